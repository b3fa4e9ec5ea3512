"""Exactly-once under kill -9: a file-to-file job is killed at random moments
while input files keep arriving, restarted each time, and finally run to
completion. The output, read through _spark_metadata, must hold every input
row exactly once (no loss, no duplicate), batch ids must be contiguous, and
offsets and commits never differ by more than one batch."""
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

KILLS = int(os.environ.get("SPATE_KILLS", "12"))
rng = random.Random(int(os.environ.get("SPATE_SEED", "1234")))
d = tempdir("kill9")
staging, inp = os.path.join(d, "staging"), os.path.join(d, "in")
os.makedirs(inp)
run(["gen", "invoices", "--out", staging, "--files", "40", "--per-file", "25", "--seed", "99"])
pending = sorted(os.listdir(staging))
expected = sorted(invoice_rows(read_lines(os.path.join(staging, f) for f in pending)))
out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
job = os.path.join(SOURCE_DIR, "examples", "02-file-stream.sql")
args = [SPATE, "run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
        "--var", "interval=0 seconds", "--quiet"]


def trickle(n):
    for _ in range(n):
        if pending:
            name = pending.pop(0)
            os.rename(os.path.join(staging, name), os.path.join(inp, name))


def check_logs():
    offs = [int(x) for x in os.listdir(os.path.join(chk, "offsets")) if x.isdigit()] if os.path.isdir(os.path.join(chk, "offsets")) else []
    coms = [int(x) for x in os.listdir(os.path.join(chk, "commits")) if x.isdigit()] if os.path.isdir(os.path.join(chk, "commits")) else []
    if offs:
        check(sorted(offs) == list(range(min(offs), max(offs) + 1)), "offsets not contiguous: %r" % sorted(offs))
        check(max(offs) - (max(coms) if coms else -1) <= 1, "offsets %d ahead of commits %r" % (max(offs), max(coms) if coms else None))


trickle(3)
for k in range(KILLS):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + rng.uniform(0.05, 0.6)
    while time.time() < deadline:
        trickle(1)
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    check_logs()
    # Readers never see duplicates, at any point.
    seen = Counter(sink_lines(out))
    exp = Counter(expected)
    check(all(c <= exp[row] for row, c in seen.items()), "duplicate or unknown rows visible after kill %d" % k)
trickle(len(pending))
run(["run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
     "--trigger", "available-now", "--quiet"])
check_logs()
got = sink_lines(out)
missing = sum((Counter(expected) - Counter(got)).values())
dups = sum((Counter(got) - Counter(expected)).values())
check(missing == 0 and dups == 0 and sorted(got) == expected,
      "exactly-once violated: %d expected, %d got, %d missing, %d duplicated" % (len(expected), len(got), missing, dups))
# Sink log ids run without gaps from the newest compact file to the newest
# batch, and the newest batch is the last one the checkpoint committed.
ids = sink_log_ids(out)
compact = max([int(n[:-8]) for n in os.listdir(os.path.join(out, "_spark_metadata")) if n.endswith(".compact")] or [0])
tail = [i for i in ids if i >= compact]
check(tail == list(range(compact, max(ids) + 1)), "sink log ids not contiguous: %r" % ids)
coms = [int(x) for x in os.listdir(os.path.join(chk, "commits")) if x.isdigit()]
check(max(ids) <= max(coms), "sink log %d ahead of commits %d" % (max(ids), max(coms)))
batches = list(range(max(ids) + 1))
print("kills=%d rows=%d batches=%d" % (KILLS, len(got), len(batches)))
cleanup(d)
print("1 passed, 0 failed")
