"""`spate verify --kafka`: the exactly-once oracle over a Kafka topic (issue 6 test
tooling). A Kafka -> Kafka query with the transactional sink copies 100
sequence-numbered JSON records; verify reads the output the way a downstream
consumer must (isolation.level=read_committed, every partition to its end) and
accepts exactly 0..99. The oracle is tested against a deliberately broken topic
(one record duplicated, one missing): it must fail, naming both."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

d = tempdir("verify-kafka")
broker, bs = start_broker(["in:2", "out:2", "bad:1"])
try:
    produce(bs, "in", [json.dumps({"seq": i}) for i in range(0, 100, 2)], partition=0)
    produce(bs, "in", [json.dumps({"seq": i}) for i in range(1, 100, 2)], partition=1)
    job = os.path.join(d, "job.sql")
    with open(job, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW src USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe 'in', startingOffsets 'earliest', maxOffsetsPerTrigger 30);
CREATE STREAMING QUERY copy USING kafka
  OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic 'out')
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(value AS STRING) AS value FROM src;
""")
    run(["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + os.path.join(d, "chk"),
         "--trigger", "available-now", "--quiet"], timeout=120)

    p = run(["verify", "--kafka", bs, "--topic", "out", "--expect-range", "0..99"], check_rc=False, timeout=60)
    check(p.returncode == 0, "verify of the copied topic failed:\n%s%s" % (p.stdout, p.stderr))
    check("kafka topic out: 2 partitions read committed; field seq: count=100 distinct=100 min=0 max=99" in p.stdout
          and p.stdout.rstrip().endswith("OK"), "verify output:\n%s" % p.stdout)

    # The oracle against a broken topic: 7 twice, 20 missing.
    vals = [i for i in range(50) if i != 20] + [7]
    produce(bs, "bad", [json.dumps({"seq": i}) for i in vals], partition=0)
    p = run(["verify", "--kafka", bs, "--topic", "bad", "--expect-range", "0..49"], check_rc=False, timeout=60)
    check(p.returncode == 1, "verify accepted a broken topic (rc %d):\n%s" % (p.returncode, p.stdout))
    for want in ("first duplicate: seq=7 (2 copies; in bad-0", "first missing: seq=20", "FAILED"):
        check(want in p.stdout, "verify output lacks %r:\n%s" % (want, p.stdout))

    # Usage: --kafka needs --topic and excludes OUTPUT_DIR.
    p = run(["verify", "--kafka", bs], check_rc=False)
    check(p.returncode == 2 and "--topic" in p.stderr, "usage error expected: %d %s" % (p.returncode, p.stderr))
    p = run(["verify", d, "--kafka", bs, "--topic", "out"], check_rc=False)
    check(p.returncode == 2, "OUTPUT_DIR with --kafka accepted")
    # (spate broker creates a topic on first use, so a missing topic reads as empty)
    p = run(["verify", "--kafka", bs, "--topic", "no_such_topic", "--expect-count", "1"], check_rc=False, timeout=60)
    check(p.returncode == 1 and "MISMATCH count: got 0, expected 1" in p.stdout,
          "an empty topic was accepted:\n%s%s" % (p.stdout, p.stderr))
finally:
    stop_broker(broker)
cleanup(d)
print("verify --kafka: ok")
