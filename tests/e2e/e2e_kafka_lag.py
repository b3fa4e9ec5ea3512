"""Kafka lag end to end against `spate broker`: 100 records, maxOffsetsPerTrigger 30.
The progress JSON carries Spark's sources[].metrics (avgOffsetsBehindLatest,
maxOffsetsBehindLatest, minOffsetsBehindLatest as strings, keys sorted, after
processedRowsPerSecond): 70, 40, 10, 0 over the four batches; /metrics exposes
spate_kafka_offsets_behind_latest per query and source; the terminal status line
shows lag=N."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa
from monitor_test import free_port, parse_prometheus, value  # noqa

JOB = """
CREATE TEMPORARY VIEW ev USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe '${topic}', startingOffsets 'earliest',
  maxOffsetsPerTrigger ${max}, kafkaConsumer.pollTimeoutMs 30000);
CREATE STREAMING QUERY lagq USING noop
  TRIGGER PROCESSING TIME '1 hour'
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(value AS STRING) AS v FROM ev;
"""


def lag_metrics(n):
    return {"avgOffsetsBehindLatest": "%d.0" % n, "maxOffsetsBehindLatest": str(n), "minOffsetsBehindLatest": str(n)}


d = tempdir("kafka-lag")
job = os.path.join(d, "job.sql")
with open(job, "w") as f:
    f.write(JOB)
broker, bs = start_broker(["lag:1", "lag2:2"])
try:
    produce(bs, "lag", ["r%d" % i for i in range(100)], partition=0)

    # 1. available-now: four batches of 30, 30, 30, 10 records; lag 70, 40, 10, 0.
    prog = os.path.join(d, "progress.jsonl")
    run(["run", job, "--var", "bootstrap=" + bs, "--var", "topic=lag", "--var", "max=30", "--var", "checkpoint=" + os.path.join(d, "c1"),
         "--trigger", "available-now", "--progress", prog, "--quiet"], timeout=120)
    with open(prog) as f:
        progs = [json.loads(l) for l in f if l.strip()]
    batches = [p for p in progs if "addBatch" in p["durationMs"]]
    check([p["numInputRows"] for p in batches] == [30, 30, 30, 10], "batches %r" % [p["numInputRows"] for p in batches])
    for p, lag in zip(batches, (70, 40, 10, 0)):
        src = p["sources"][0]
        check(src["metrics"] == lag_metrics(lag), "batch %d metrics %r" % (p["batchId"], src.get("metrics")))
        check(list(src["metrics"]) == sorted(src["metrics"]), "metrics keys sorted: %r" % list(src["metrics"]))
        check(list(src)[-2:] == ["processedRowsPerSecond", "metrics"], "source key order %r" % list(src))
    check(batches[0]["sources"][0]["endOffset"] == {"lag": {"0": 30}}, "endOffset %r" % batches[0]["sources"][0])

    # 2. Two partitions with different backlogs: Spark's avg is a Double ("3.5").
    produce(bs, "lag2", ["a%d" % i for i in range(8)], partition=0)
    produce(bs, "lag2", ["b%d" % i for i in range(2)], partition=1)
    prog2 = os.path.join(d, "progress2.jsonl")
    run(["run", job, "--var", "bootstrap=" + bs, "--var", "topic=lag2", "--var", "max=3", "--var",
         "checkpoint=" + os.path.join(d, "c2"), "--trigger", "available-now", "--progress", prog2, "--quiet"],
        timeout=120)
    with open(prog2) as f:
        first = [json.loads(l) for l in f if l.strip()][0]
    # backlog 8 + 2, limit 3: 3*8/10 -> 2, 3*2/10 -> 1 (Spark's split); behind 6 and 1.
    check(first["sources"][0]["endOffset"] == {"lag2": {"0": 2, "1": 1}}, "lag2 end %r" % first["sources"][0])
    check(first["sources"][0]["metrics"] == {"avgOffsetsBehindLatest": "3.5", "maxOffsetsBehindLatest": "6",
                                             "minOffsetsBehindLatest": "1"}, "lag2 metrics %r" % first["sources"][0])

    # 3. Running with --ui: after batch 0 the next trigger is an hour away, so lag stays 70.
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    err_path = os.path.join(d, "stderr.txt")
    with open(err_path, "w") as err:
        proc = subprocess.Popen([SPATE, "run", job, "--var", "bootstrap=" + bs, "--var", "topic=lag", "--var", "max=30", "--var",
                                 "checkpoint=" + os.path.join(d, "c3"), "--ui", "127.0.0.1:%d" % port],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        import urllib.request
        deadline = time.time() + 30
        m = {}
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
                    m = parse_prometheus(r.read().decode())
                if any(n == "spate_kafka_offsets_behind_latest" for n, _ in m):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        with urllib.request.urlopen(url + "/api/queries", timeout=5) as r:
            q = json.loads(r.read().decode())[0]
        lag = value(m, "spate_kafka_offsets_behind_latest", query_id=q["id"], query_name="lagq", source_index="0",
                    source="KafkaV2[Subscribe[lag]]")
        check(lag == 70, "spate_kafka_offsets_behind_latest %r" % lag)
        check(q["lastProgress"]["sources"][0]["metrics"] == lag_metrics(70), "lastProgress %r" % q["lastProgress"])
        with urllib.request.urlopen(url + "/api/queries/%s/progress" % q["id"], timeout=5) as r:
            rp = json.loads(r.read().decode())
        check(rp[-1]["sources"][0]["metrics"]["maxOffsetsBehindLatest"] == "70", "recentProgress %r" % rp[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    with open(err_path) as f:
        err_text = f.read()
    check(any("msg=batch" in l and " lag=70" in l for l in err_text.splitlines()), "per-batch log line:\n%s" % err_text)

    # 4. On a terminal the status line shows lag=70.
    import pty
    import select
    master, slave = pty.openpty()
    import fcntl, struct, termios  # noqa: E401
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    proc = subprocess.Popen([SPATE, "run", job, "--var", "bootstrap=" + bs, "--var", "topic=lag", "--var", "max=30", "--var",
                             "checkpoint=" + os.path.join(d, "c4")], stdin=slave, stdout=subprocess.DEVNULL,
                            stderr=slave, env=dict(os.environ, TERM="xterm"))
    os.close(slave)
    screen = b""
    deadline = time.time() + 30
    while time.time() < deadline and b"lag=70" not in screen:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    proc.terminate()
    proc.wait(timeout=20)
    os.close(master)
    text = screen.decode(errors="replace")
    check("lagq | batch 0 |" in text and "| lag=70" in text, "tty status line: %r" % text[-1500:])
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
