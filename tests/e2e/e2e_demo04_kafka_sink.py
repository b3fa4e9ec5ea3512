"""Seed demo 04 end to end (examples/04-kafka-sink.sql) against `spate broker`:
the seed invoices (04-KafkaSinkDemo/samples.json, one JSON document per record)
are produced to `invoices` with kcat; the job writes one loyalty notification per
invoice to `notifications` (key InvoiceNumber, value
to_json(named_struct(CustomerCardNo, TotalAmount, EarnedLoyaltyPoints))). The
records read back with isolation.level=read_committed must be exactly the oracle's
(computed here from the seed input); a re-run publishes nothing more. Then the
README's "Kafka: an embedded broker" commands run as written (on a fresh broker,
with HOST:PORT, build/spate, ../shared/seed-demos and /tmp/chk4 filled in) and
print the same records."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce, consume  # noqa

seed = os.path.join(SEED, "04-KafkaSinkDemo", "samples.json")
records = read_lines([seed])
expected = sorted(notification_records(records))
check(len(expected) == 10, "seed data: %d records" % len(expected))

d = tempdir("demo04")
broker, bs = start_broker(["invoices:1", "notifications:1"])
try:
    produce(bs, "invoices", records)
    chk = os.path.join(d, "chk")
    progress = os.path.join(d, "progress.jsonl")
    job = os.path.join(SOURCE_DIR, "examples", "04-kafka-sink.sql")
    args = ["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk, "--trigger", "available-now",
            "--quiet"]
    run(args + ["--progress", progress], timeout=300)
    out = consume(bs, "notifications")
    got = sorted((k, v) for _, _, k, v in out)
    check(got == expected, "notifications differ:\n got %r\n expected %r" % (got, expected))
    # Every value is a JSON object with the demo's fields in order.
    for _, v in got:
        check(list(json.loads(v, object_pairs_hook=list)[i][0] for i in range(3)) ==
              ["CustomerCardNo", "TotalAmount", "EarnedLoyaltyPoints"], "value fields %r" % v)
    with open(progress) as f:
        progs = [json.loads(l) for l in f if l.strip()]
    check(progs and progs[0]["name"] == "Notification Writer", "query name %r" % [p.get("name") for p in progs])
    check(sum(p["numInputRows"] for p in progs) == len(records), "numInputRows")

    # Exactly once: a re-run on the same checkpoint publishes nothing.
    run(args, timeout=300)
    got2 = sorted((k, v) for _, _, k, v in consume(bs, "notifications"))
    check(got2 == expected, "re-run published again: %d records" % len(got2))
finally:
    stop_broker(broker)

# The README section, run as written.
with open(os.path.join(SOURCE_DIR, "README.md")) as f:
    readme = f.read()
m = re.search(r"### Kafka: an embedded broker[^\n]*\n.*?```sh\n(.*?)```", readme, re.S)
check(m, "README has no Kafka broker section with a sh block")
cmds = [l for l in m.group(1).split("\n") if l.strip()]
check(cmds and cmds[0].startswith("build/spate broker --topic invoices:1 --topic notifications:1 &"),
      "README broker line %r" % (cmds[:1],))
broker, bs = start_broker(["invoices:1", "notifications:1"])  # the README's first command
try:
    script = "\n".join(cmds[1:]) + "\n"
    script = script.replace("127.0.0.1:PORT", bs).replace("build/spate", SPATE)
    script = script.replace("../shared/seed-demos", SEED).replace("/tmp/chk4", os.path.join(d, "readme-chk"))
    p = subprocess.run(["bash", "-e", "-c", script], cwd=SOURCE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    check(p.returncode == 0, "README commands failed (%d):\n%s\n%s" % (p.returncode, script, p.stderr))
    lines = sorted(l for l in p.stdout.split("\n") if l)
    check(lines == sorted("%s %s" % kv for kv in expected), "README output differs:\n%s" % p.stdout)
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
