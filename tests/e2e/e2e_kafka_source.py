"""Kafka source end to end against `spate broker`: records produced with kcat
come out of a JSON file sink exactly once, batches honour maxOffsetsPerTrigger,
offsets/N holds Spark's {"topic":{"partition":next offset}} JSON, the initial
offsets are kept in sources/0/0, a restart reads only new records, and a
replayed batch (commits/N removed) does not duplicate file output."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

d = tempdir("kafka-source")
broker, bs = start_broker(["events:3"])
try:
    sent = []
    for p in range(3):
        recs = [("k%d-%d" % (p, i), "v%d-%d" % (p, i)) for i in range(4 + p)]
        produce(bs, "events", recs, partition=p)
        sent += [(k, v, p, i) for i, (k, v) in enumerate(recs)]
    job = os.path.join(d, "job.sql")
    with open(job, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW events USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe 'events', startingOffsets 'earliest',
  maxOffsetsPerTrigger 6, kafkaConsumer.pollTimeoutMs 30000);
CREATE STREAMING QUERY kafka_to_json USING json OPTIONS (path '${output}')
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(key AS STRING) AS k, CAST(value AS STRING) AS v, topic, partition, offset, timestampType
   FROM events;
""")
    out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
    args = ["run", job, "--var", "bootstrap=" + bs, "--var", "output=" + out, "--var", "checkpoint=" + chk,
            "--trigger", "available-now", "--quiet"]
    run(args, timeout=120)

    def rows():
        return sorted((r["k"], r["v"], r["partition"], r["offset"]) for r in map(json.loads, sink_lines(out)))

    for l in sink_lines(out):
        r = json.loads(l)
        check(r["topic"] == "events" and r["timestampType"] == 0, "bad row %r" % r)
    check(rows() == sorted(sent), "rows differ:\n%r\n%r" % (rows(), sorted(sent)))
    # 15 records, at most 6 per batch -> 3 batches
    ids = sorted(int(x) for x in os.listdir(os.path.join(chk, "offsets")))
    check(ids == [0, 1, 2], "batches %r" % ids)
    with open(os.path.join(chk, "offsets", "2")) as f:
        last = f.read().split("\n")[2]
    check(json.loads(last) == {"events": {"0": 4, "1": 5, "2": 6}}, "offsets/2 source offset %r" % last)
    with open(os.path.join(chk, "sources", "0", "0")) as f:
        init = f.read()
    check(init == 'v1\n{"events":{"0":0,"1":0,"2":0}}', "initial offsets file %r" % init)

    # New records: a restart reads only them.
    more = [("n%d" % i, "w%d" % i) for i in range(3)]
    produce(bs, "events", more, partition=1)
    run(args, timeout=120)
    sent += [(k, v, 1, 5 + i) for i, (k, v) in enumerate(more)]
    check(rows() == sorted(sent), "after restart rows differ: %r" % rows())

    # Replay of the last batch (crash after the sink, before commits/N): no duplicates.
    ids = sorted(int(x) for x in os.listdir(os.path.join(chk, "commits")))
    os.remove(os.path.join(chk, "commits", str(ids[-1])))
    run(args, timeout=120)
    check(rows() == sorted(sent), "replay duplicated rows: %r" % rows())
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
