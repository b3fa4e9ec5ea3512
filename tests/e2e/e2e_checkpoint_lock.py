"""Two processes on one checkpoint: while a query runs, a second `spate run` on the
same checkpoint is refused before it writes anything ("checkpoint ... is in use by
pid <first>"), also while the first is paused (SIGSTOP); once the first stops, the
second runs and the output is exactly once. A kill -9 releases the lock."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa

PER = 10
d = tempdir("lock")
v = dict(input=os.path.join(d, "in"), output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"))
gen_seq(v["input"], 3, PER)
passed = 0


def start_long_running():
    errf = open(os.path.join(d, "first-stderr.txt"), "w")
    p = subprocess.Popen([SPATE] + job_args("seq-copy.sql", **v) + ["--trigger", "processing-time:100 milliseconds"],
                         stdout=subprocess.DEVNULL, stderr=errf, text=True)
    errf.close()
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(v["checkpoint"], "commits", "2")):
        if p.poll() is not None or time.time() > deadline:
            stop(p)
            fail("first query exited or committed nothing in 20 s:\n" + read_text(os.path.join(d, "first-stderr.txt")))
        time.sleep(0.02)
    return p


def stop(p):
    """Never leave a query behind, even when a check fails."""
    if p.poll() is None:
        os.kill(p.pid, signal.SIGCONT)
        p.kill()
        p.wait(timeout=20)


def refused(first, what):
    snapshot = (sorted(os.listdir(os.path.join(v["checkpoint"], "offsets"))),
                sorted(os.listdir(os.path.join(v["output"], "_spark_metadata"))))
    p2 = run_job("seq-copy.sql", timeout=20, **v)
    check(p2.returncode == 1, "%s: second process exited %d, expected a refusal\n%s" % (what, p2.returncode, p2.stderr))
    want = "is in use by pid %d" % first.pid
    check(want in p2.stderr and v["checkpoint"] in p2.stderr, "%s: %r not in:\n%s" % (what, want, p2.stderr))
    check(snapshot == (sorted(os.listdir(os.path.join(v["checkpoint"], "offsets"))),
                       sorted(os.listdir(os.path.join(v["output"], "_spark_metadata")))),
          "%s: the refused process wrote a log entry" % what)


# 1. Refused while the first runs; 2. and while it is paused.
p1 = start_long_running()
try:
    refused(p1, "running")
except SystemExit:
    stop(p1)
    raise
passed += 1
os.kill(p1.pid, signal.SIGSTOP)
try:
    refused(p1, "paused")
    gen_seq(v["input"], 2, PER, start=3 * PER)  # new input arrives while it is paused
except SystemExit:
    stop(p1)
    raise
finally:
    if p1.poll() is None:
        os.kill(p1.pid, signal.SIGCONT)
passed += 1
# The resumed first process keeps ownership and processes the new input; then it stops gracefully.
deadline = time.time() + 20
while ids(os.path.join(v["output"], "_spark_metadata"), ".compact")[-1:] != [4]:
    if time.time() > deadline:
        stop(p1)
        fail("resumed query did not process the new input")
    time.sleep(0.02)
p1.send_signal(signal.SIGTERM)
try:
    rc1 = p1.wait(timeout=20)
except subprocess.TimeoutExpired:
    stop(p1)
    fail("first query ignored SIGTERM for 20 s")
check(rc1 == 0, "first query: exit %r after SIGTERM\n%s" % (rc1, read_text(os.path.join(d, "first-stderr.txt"))))
# 3. Now the second process runs.
gen_seq(v["input"], 1, PER, start=5 * PER)
run_ok("seq-copy.sql", **v)
ok, text = verify(v["output"], 0, 6 * PER - 1)
check(ok, "after the hand-over:\n" + text)
check_logs(v["checkpoint"], "hand-over")
passed += 1
# 4. kill -9 of the owner releases the lock (the kernel drops flock locks of dead processes).
p1 = start_long_running()
p1.kill()
p1.wait(timeout=20)
gen_seq(v["input"], 1, PER, start=6 * PER)
run_ok("seq-copy.sql", **v)
ok, text = verify(v["output"], 0, 7 * PER - 1)
check(ok, "after kill -9 of the owner:\n" + text)
passed += 1
cleanup(d)
print("%d passed, 0 failed" % passed)
