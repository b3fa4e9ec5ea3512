"""Restart on the same checkpoint: a query stopped after each batch and
restarted (trigger once, three runs) produces exactly the output of one
uninterrupted run, with contiguous batch ids and no batch written twice."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

d = tempdir("restart")
inp = os.path.join(d, "in")
run(["gen", "invoices", "--out", inp, "--files", "4", "--per-file", "50", "--seed", "7"])
inputs = sorted(os.path.join(inp, f) for f in os.listdir(inp))
expected = sorted(invoice_rows(read_lines(inputs)))
job = os.path.join(SOURCE_DIR, "examples", "02-file-stream.sql")

# Uninterrupted reference run.
ref_out, ref_chk = os.path.join(d, "ref-out"), os.path.join(d, "ref-chk")
run(["run", job, "--var", "input=" + inp, "--var", "output=" + ref_out, "--var", "checkpoint=" + ref_chk,
     "--trigger", "available-now", "--quiet"])
check(sorted(sink_lines(ref_out)) == expected, "reference run output differs from the oracle")

# Stop after every batch: one trigger per run.
out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
for i in range(4):
    run(["run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
         "--trigger", "once", "--quiet"])
    batches = sorted(set(b for b, _, _ in metadata_files(out)))
    check(batches == list(range(i + 1)), "after run %d batches are %r" % (i, batches))
# A fifth run finds nothing new.
run(["run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
     "--trigger", "once", "--quiet"])
check(sorted(set(b for b, _, _ in metadata_files(out))) == [0, 1, 2, 3], "a run without new data wrote a batch")
check(sorted(sink_lines(out)) == expected, "restarted output differs from the uninterrupted run")
check(sorted(os.listdir(os.path.join(chk, "commits"))) == ["0", "1", "2", "3"], "commits log")

cleanup(d)
print("1 passed, 0 failed")
