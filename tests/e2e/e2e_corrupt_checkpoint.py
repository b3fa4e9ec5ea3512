"""Corrupted checkpoints and sink logs: each case either recovers deterministically
(and the oracle then finds every record exactly once) or stops before running a
batch with an error naming the damaged file and the reason. Never a silent restart
from the beginning, never a skipped range.

Each case: 6 input files -> batches 0..5 committed; damage; 2 more input files;
run again (available-now)."""
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa

PER = 10
root = tempdir("corrupt")
passed = 0


def setup(name, job="seq-copy.sql"):
    d = os.path.join(root, name)
    v = dict(input=os.path.join(d, "in"), output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"),
             compact=100, retain=100)
    gen_seq(v["input"], 6, PER)
    run_ok(job, **v)
    check(ids(os.path.join(v["checkpoint"], "commits")) == list(range(6)), "%s: setup commits" % name)
    return v


def more_input(v):
    gen_seq(v["input"], 2, PER, start=6 * PER)


def p_(v, *parts):
    return os.path.join(v["checkpoint"], *parts)


def expect_error(name, v, damage, needles):
    global passed
    damage(v)
    more_input(v)
    sink_before = sorted(os.listdir(os.path.join(v["output"], "_spark_metadata")))
    p = run_job("seq-copy.sql", **v)
    check(p.returncode == 1, "%s: expected a clean failure (exit 1), got %d\nstderr:\n%s" % (name, p.returncode, p.stderr))
    for n in needles:
        check(n in p.stderr, "%s: %r not in the error:\n%s" % (name, n, p.stderr))
    # Nothing ran: the sink log is untouched.
    check(sorted(os.listdir(os.path.join(v["output"], "_spark_metadata"))) == sink_before,
          "%s: a batch ran on a damaged checkpoint" % name)
    passed += 1


def expect_recovery(name, v, damage):
    global passed
    damage(v)
    more_input(v)
    run_ok("seq-copy.sql", **v)
    check_logs(v["checkpoint"], name)
    ok, text = verify(v["output"], 0, 8 * PER - 1)
    check(ok, "%s: recovery is not exactly-once:\n%s" % (name, text))
    check(ids(p_(v, "commits"))[-1] == 7, "%s: commits %r" % (name, ids(p_(v, "commits"))))
    passed += 1


def truncate(path, n=None):
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: (len(data) // 2 if n is None else n)])


# --- offsets/N ---
expect_error("offsets-truncated", setup("a"), lambda v: truncate(p_(v, "offsets", "5")),
             ["offsets/5: line 2: invalid offset metadata JSON"])
expect_error("offsets-empty", setup("b"), lambda v: truncate(p_(v, "offsets", "5"), 0),
             ["offsets/5: line 1: empty file (truncated write?)"])
expect_error("offsets-garbage", setup("c"), lambda v: write_text(p_(v, "offsets", "5"), "\x7fELF\x01garbage"),
             ["offsets/5: line 1: missing log version line"])
expect_error("offsets-future-version", setup("d"),
             lambda v: write_text(p_(v, "offsets", "5"), "v7" + read_text(p_(v, "offsets", "5"))[2:]),
             ["offsets/5: unsupported log version v7"])
# A torn entry of a batch that never committed (impossible with atomic writes, possible on a broken disk).
expect_error("offsets-uncommitted-torn", setup("e"),
             lambda v: write_text(p_(v, "offsets", "6"), read_text(p_(v, "offsets", "5"))[:-3]),
             ["offsets/6: line 3: invalid source offset JSON"])
# --- gaps ---
expect_error("offsets-gap", setup("f"), lambda v: os.remove(p_(v, "offsets", "3")),
             ["offsets/3 is missing"])
expect_error("offsets-gap-latest-minus-one", setup("g"),
             lambda v: (os.remove(p_(v, "offsets", "4")), os.remove(p_(v, "commits", "5"))),
             ["offsets/4 is missing"])
expect_error("commits-gap", setup("h"), lambda v: os.remove(p_(v, "commits", "2")), ["commits/2 is missing"])
expect_error("offsets-deleted", setup("i"),
             lambda v: [os.remove(f) for f in glob.glob(p_(v, "offsets", "*"))],
             ["commits/5 exists but offsets/5 does not"])
expect_error("metadata-garbage", setup("j"), lambda v: write_text(p_(v, "metadata"), '{"id":'),
             ["metadata: invalid JSON"])
# --- sink log ---
expect_error("sink-log-truncated", setup("k"),
             lambda v: truncate(os.path.join(v["output"], "_spark_metadata", "5")),
             ["_spark_metadata/5: line 2: invalid log entry"])
expect_error("sink-log-gap", setup("l"), lambda v: os.remove(os.path.join(v["output"], "_spark_metadata", "3")),
             ["_spark_metadata/3 is missing"])
# --- deterministic recoveries ---
# Latest commit lost: batch 5 is replayed with its recorded offsets; the sink skips it.
expect_recovery("commit-lost", setup("m"), lambda v: os.remove(p_(v, "commits", "5")))


# Stray temp files of interrupted writes everywhere: ignored, never taken for batches.
def strays(v):
    for d, name in [("offsets", ".6.0123456789abcdef.tmp"), ("commits", ".6.0123456789abcdef.tmp"),
                    ("offsets", "6.tmp"), ("commits", "7.crc"), ("sources/0", ".6.0123456789abcdef.tmp")]:
        write_text(p_(v, *d.split("/"), name), "v1\n{garbage")
    write_text(os.path.join(v["output"], "_spark_metadata", ".6.00000000000000ab.tmp"), "v1\n{garbage")
    write_text(os.path.join(v["output"], ".part-00000-x.c000.json.00000000000000ab.tmp"), '{"seq":3}\n')


expect_recovery("stray-temp-files", setup("n"), strays)
# A stale lock file left by a kill -9 (no process holds the flock) does not block a restart.
expect_recovery("stale-lock", setup("o"), lambda v: write_text(p_(v, ".lock"), "999999\n"))
cleanup(root)
print("%d passed, 0 failed" % passed)
