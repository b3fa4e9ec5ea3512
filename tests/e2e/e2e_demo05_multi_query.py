"""Seed demo 05 end to end (examples/05-multi-query.sql) against `spate broker`:
one job file, one source definition, two queries: demo 04's notification writer
(Kafka topic `notifications`) and demo 03's flattening writer (JSON files), each
with its own checkpoint. The seed invoices (02-FileStreamDemo/Invoice-set1.json and
04-KafkaSinkDemo/samples.json, one JSON document per record) are produced with
kcat; both outputs must be exactly the oracles' (computed here from the seed input),
each query must have read every record, and a re-run must add nothing."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce, consume  # noqa

seed_files = [os.path.join(SEED, "02-FileStreamDemo", "Invoice-set1.json"),
              os.path.join(SEED, "04-KafkaSinkDemo", "samples.json")]
records = read_lines(seed_files)
expected_rows = sorted(flattened_invoice_rows(records))
expected_notes = sorted(notification_records(records))
check(len(records) == 510, "seed data: %d records" % len(records))

d = tempdir("demo05")
broker, bs = start_broker(["invoices:1", "notifications:1"])
try:
    produce(bs, "invoices", records)
    out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
    progress = os.path.join(d, "progress.jsonl")
    job = os.path.join(SOURCE_DIR, "examples", "05-multi-query.sql")
    args = ["run", job, "--var", "bootstrap=" + bs, "--var", "output=" + out, "--var", "checkpoint=" + chk,
            "--trigger", "available-now", "--quiet"]
    run(args + ["--progress", progress], timeout=300)

    got_rows = sorted(sink_lines(out))
    check(got_rows == expected_rows, "file rows differ (%d vs %d); first expected missing: %r" %
          (len(got_rows), len(expected_rows), next((e for e in expected_rows if e not in set(got_rows)), None)))
    got_notes = sorted((k, v) for _, _, k, v in consume(bs, "notifications"))
    check(got_notes == expected_notes, "notifications differ (%d vs %d); first expected missing: %r" %
          (len(got_notes), len(expected_notes), next((e for e in expected_notes if e not in set(got_notes)), None)))

    # Two queries, two checkpoints, each read the whole topic.
    for sub in ("notify", "flatten"):
        c = os.path.join(chk, sub)
        check(os.path.exists(os.path.join(c, "metadata")), "no checkpoint %s" % c)
        last = sorted(int(x) for x in os.listdir(os.path.join(c, "commits")))[-1]
        with open(os.path.join(c, "offsets", str(last))) as f:
            offs = json.loads(f.read().split("\n")[2])
        check(offs == {"invoices": {"0": len(records)}}, "%s offsets/%d %r" % (sub, last, offs))
    with open(os.path.join(chk, "notify", "metadata")) as f:
        id1 = json.load(f)["id"]
    with open(os.path.join(chk, "flatten", "metadata")) as f:
        id2 = json.load(f)["id"]
    check(id1 != id2, "both queries have the id %s" % id1)
    with open(progress) as f:
        progs = [json.loads(l) for l in f if l.strip()]
    names = sorted(set(p["name"] for p in progs))
    check(names == ["Flattened Invoice Writer", "Notification Writer"], "query names %r" % names)
    for name in names:
        n = sum(p["numInputRows"] for p in progs if p["name"] == name)
        check(n == len(records), "%s read %d rows, expected %d" % (name, n, len(records)))

    # A re-run reads nothing new: no new files, no new records.
    before = sorted(os.listdir(out))
    run(args, timeout=300)
    check(sorted(os.listdir(out)) == before, "re-run changed the output directory")
    check(sorted((k, v) for _, _, k, v in consume(bs, "notifications")) == expected_notes,
          "re-run published notifications again")
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
