"""Seed demo 02 end to end on the seed invoices: exact output rows, one batch
per input file (maxFilesPerTrigger=1), Spark's JSON writer format, progress JSON,
and an idempotent re-run (nothing new -> nothing written)."""
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

seed = os.path.join(SEED, "02-FileStreamDemo")
d = tempdir("demo02")
inp = os.path.join(d, "in")
os.makedirs(inp)
files = ["Invoice-set1.json", "Invoice-set2.json", "Invoice-set3.json"]
for i, name in enumerate(files):
    shutil.copy(os.path.join(seed, name), os.path.join(inp, name))
    t = time.time() - 100 + i  # distinct, ordered modification times
    os.utime(os.path.join(inp, name), (t, t))

out = os.path.join(d, "out")
chk = os.path.join(d, "chk")
progress = os.path.join(d, "progress.jsonl")
job = os.path.join(SOURCE_DIR, "examples", "02-file-stream.sql")
run(["run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
     "--trigger", "available-now", "--progress", progress, "--quiet"])

expected = invoice_rows(read_lines([os.path.join(seed, f) for f in files]))
got = sink_lines(out)
check(len(got) == len(expected), "row count %d != expected %d" % (len(got), len(expected)))
check(sorted(got) == sorted(expected), "rows differ; first expected missing: %r" %
      next((e for e in sorted(expected) if e not in set(got)), None))

# One batch per file, in modification-time order, each batch = that file's rows.
meta = metadata_files(out)
batches = sorted(set(b for b, _, _ in meta))
check(batches == [0, 1, 2], "expected batches 0..2, got %r" % batches)
for b, name in enumerate(files):
    rows = []
    for bb, path, _ in meta:
        if bb == b:
            rows.extend(read_lines([path]))
    check(sorted(rows) == sorted(invoice_rows(read_lines([os.path.join(seed, name)]))),
          "batch %d does not hold exactly the rows of %s" % (b, name))

# Checkpoint layout (Spark's): metadata, offsets/N, commits/N, sources/0.
check(os.path.exists(os.path.join(chk, "metadata")), "no checkpoint metadata")
for b in range(3):
    with open(os.path.join(chk, "offsets", str(b))) as f:
        lines = f.read().split("\n")
    check(lines[0] == "v1", "offsets/%d version line %r" % (b, lines[0]))
    meta_line = json.loads(lines[1])
    check("batchTimestampMs" in meta_line and meta_line["conf"]["spark.sql.shuffle.partitions"] == "3",
          "offsets/%d metadata %r" % (b, meta_line))
    check(json.loads(lines[2]) == {"logOffset": b}, "offsets/%d source offset %r" % (b, lines[2]))
    with open(os.path.join(chk, "commits", str(b))) as f:
        check(f.read().split("\n")[0] == "v1", "commits/%d" % b)

# Progress: one JSON line per batch with Spark's fields.
with open(progress) as f:
    progs = [json.loads(l) for l in f if l.strip()]
check([p["batchId"] for p in progs] == [0, 1, 2], "progress batch ids %r" % [p["batchId"] for p in progs])
check(progs[0]["numInputRows"] == len(read_lines([os.path.join(seed, files[0])])), "batch 0 numInputRows")
check(sum(p["numInputRows"] for p in progs) == len(read_lines([os.path.join(seed, f) for f in files])),
      "numInputRows total")
for key in ("id", "runId", "name", "timestamp", "batchDuration", "durationMs", "sources", "sink"):
    check(key in progs[0], "progress lacks %s" % key)
check(progs[0]["name"] == "Flattened Invoice Writer", "query name %r" % progs[0]["name"])

# A second run on the same checkpoint finds nothing new and writes nothing.
before = sorted(os.listdir(out))
run(["run", job, "--var", "input=" + inp, "--var", "output=" + out, "--var", "checkpoint=" + chk,
     "--trigger", "available-now", "--quiet"])
check(sorted(os.listdir(out)) == before, "re-run changed the output directory")
check(sorted(sink_lines(out)) == sorted(expected), "re-run changed the committed rows")

cleanup(d)
print("1 passed, 0 failed")
