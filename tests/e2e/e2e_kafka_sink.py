"""Kafka sink end to end against `spate broker`: Kafka -> Kafka with key and
value columns, exactly-once through the transactional producer (a replayed
batch publishes nothing: its marker in _spate_sink_commits is read back at
start), the topic taken from a column, and kafka.transactional=false
(at-least-once) also delivering every record."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce, consume  # noqa

d = tempdir("kafka-sink")
broker, bs = start_broker(["in:2", "out:1", "out2:1"])
try:
    recs = [("id%d" % i, "value %d" % i) for i in range(8)]
    produce(bs, "in", recs[:4], partition=0)
    produce(bs, "in", recs[4:], partition=1)
    job = os.path.join(d, "job.sql")
    with open(job, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW src USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe 'in', startingOffsets 'earliest', maxOffsetsPerTrigger 4);
CREATE STREAMING QUERY to_kafka USING kafka
  OPTIONS (kafka.bootstrap.servers '${bootstrap}', kafka.transactional '${txn:-true}')
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT key, upper(CAST(value AS STRING)) AS value, '${topic}' AS topic FROM src;
""")
    chk = os.path.join(d, "chk")
    args = ["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk, "--var", "topic=out",
            "--trigger", "available-now", "--quiet"]
    run(args, timeout=120)
    expected = sorted((k, v.upper()) for k, v in recs)
    got = sorted((k, v) for _, _, k, v in consume(bs, "out"))
    check(got == expected, "output records differ:\n%r\n%r" % (got, expected))
    ids = sorted(int(x) for x in os.listdir(os.path.join(chk, "commits")))
    check(ids == [0, 1], "batches %r" % ids)

    # The commit markers: one per batch, keyed by spate-<queryId>.
    with open(os.path.join(chk, "metadata")) as f:
        qid = json.load(f)["id"]
    markers = [(k, json.loads(v)) for _, _, k, v in consume(bs, "_spate_sink_commits") if k == "spate-" + qid]
    check(sorted(m["batchId"] for _, m in markers) == [0, 1], "markers %r" % markers)

    # Crash after the Kafka commit but before commits/1: the replay publishes nothing.
    os.remove(os.path.join(chk, "commits", "1"))
    run(args, timeout=120)
    got = sorted((k, v) for _, _, k, v in consume(bs, "out"))
    check(got == expected, "replayed batch was published twice: %d records" % len(got))
    check(os.path.exists(os.path.join(chk, "commits", "1")), "replayed batch not committed")

    # At-least-once mode delivers everything too.
    chk2 = os.path.join(d, "chk2")
    run(["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk2, "--var", "topic=out2",
         "--var", "txn=false", "--trigger", "available-now", "--quiet"], timeout=120)
    got = sorted((k, v) for _, _, k, v in consume(bs, "out2", read_committed=False))
    check(got == expected, "at-least-once output differs: %r" % got)

    # Errors: no value column.
    bad = os.path.join(d, "bad.sql")
    with open(bad, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW src USING kafka OPTIONS (kafka.bootstrap.servers '%s', subscribe 'in');
CREATE STREAMING QUERY q USING kafka OPTIONS (kafka.bootstrap.servers '%s', topic 'x')
  CHECKPOINT LOCATION '%s' AS SELECT key FROM src;
""" % (bs, bs, os.path.join(d, "chk3")))
    p = run(["run", bad, "--trigger", "available-now", "--quiet"], timeout=60, check_rc=False)
    check(p.returncode != 0 and "Required attribute 'value' not found" in p.stderr, "no-value error: %r" % p.stderr)
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
