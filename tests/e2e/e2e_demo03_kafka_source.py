"""Seed demo 03 end to end (examples/03-kafka-source.sql) against `spate broker`:
the seed invoices (one JSON document per record: the lines of
02-FileStreamDemo/Invoice-set*.json and 04-KafkaSinkDemo/samples.json) are produced
to the topic `invoices` with kcat; the job parses them with from_json and its
explicit schema, flattens the line items and appends them to JSON files. The
committed rows must be exactly the oracle's (computed here from the seed input);
the checkpoint holds Spark's Kafka offsets; a re-run finds nothing new."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

seed_files = [os.path.join(SEED, "02-FileStreamDemo", "Invoice-set%d.json" % i) for i in (1, 2, 3)]
seed_files.append(os.path.join(SEED, "04-KafkaSinkDemo", "samples.json"))
records = read_lines(seed_files)
expected = flattened_invoice_rows(records)
check(len(records) == 1600 and len(expected) > 4000, "seed data: %d records, %d rows" % (len(records), len(expected)))

d = tempdir("demo03")
broker, bs = start_broker(["invoices:2"])
try:
    # Half of the records to each partition, in seed order.
    produce(bs, "invoices", records[0::2], partition=0)
    produce(bs, "invoices", records[1::2], partition=1)
    out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
    progress = os.path.join(d, "progress.jsonl")
    job = os.path.join(SOURCE_DIR, "examples", "03-kafka-source.sql")
    args = ["run", job, "--var", "bootstrap=" + bs, "--var", "output=" + out, "--var", "checkpoint=" + chk,
            "--trigger", "available-now", "--quiet"]
    run(args + ["--progress", progress], timeout=300)

    got = sink_lines(out)
    check(len(got) == len(expected), "row count %d != expected %d" % (len(got), len(expected)))
    check(sorted(got) == sorted(expected), "rows differ; first expected missing: %r; first unexpected: %r" %
          (next((e for e in sorted(expected) if e not in set(got)), None),
           next((g for g in sorted(got) if g not in set(expected)), None)))
    # Column order and types as the demo's select (spot check of one row).
    first = json.loads(got[0], object_pairs_hook=list)
    check([k for k, _ in first][:7] == ["InvoiceNumber", "CreatedTime", "StoreID", "PosID", "CustomerType",
                                        "PaymentMethod", "DeliveryType"], "column order %r" % first)

    # One batch (available-now, no read limit) covering both partitions entirely.
    with open(progress) as f:
        progs = [json.loads(l) for l in f if l.strip()]
    check(progs and progs[0]["name"] == "Flattened Invoice Writer", "query name %r" % [p.get("name") for p in progs])
    check(sum(p["numInputRows"] for p in progs) == len(records), "numInputRows %r" %
          [p["numInputRows"] for p in progs])
    last = sorted(int(x) for x in os.listdir(os.path.join(chk, "offsets")))[-1]
    with open(os.path.join(chk, "offsets", str(last))) as f:
        offs = json.loads(f.read().split("\n")[2])
    check(offs == {"invoices": {"0": 800, "1": 800}}, "offsets/%d %r" % (last, offs))

    # A second run on the same checkpoint reads nothing new and writes nothing.
    before = sorted(os.listdir(out))
    run(args, timeout=300)
    check(sorted(os.listdir(out)) == before, "re-run changed the output directory")
    check(sorted(sink_lines(out)) == sorted(expected), "re-run changed the committed rows")
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
