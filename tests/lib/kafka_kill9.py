"""Shared driver of the Kafka kill -9 tests (e2e_kafka_kill9_*.py): a job reading
topic `in` (2 partitions) of a `spate broker` and writing either Kafka topic `out`
(transactional sink) or a JSON file sink is killed with SIGKILL at random moments
while records keep being produced (every other run paused at a named point inside a batch, for the Kafka sink with its transaction open, then killed there), restarted each time, then run to completion
with Trigger.AvailableNow. The output - Kafka read with isolation.level=
read_committed, files read through _spark_metadata - must hold every input
record exactly once. Bounded: every wait has a timeout."""
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter

from spate_test import SPATE, check, cleanup, run, sink_lines, tempdir
from kafka_test import consume, produce, start_broker, stop_broker

JOB_HEAD = """
CREATE TEMPORARY VIEW src USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe 'in', startingOffsets 'earliest', maxOffsetsPerTrigger 60);
"""
JOB_KAFKA = JOB_HEAD + """
CREATE STREAMING QUERY to_kafka USING kafka
  OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic 'out')
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT key, concat('v:', CAST(value AS STRING)) AS value FROM src;
"""
JOB_FILE = JOB_HEAD + """
CREATE STREAMING QUERY to_file USING json
  OPTIONS (path '${output}')
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(key AS STRING) AS k, concat('v:', CAST(value AS STRING)) AS v FROM src;
"""


def check_logs(chk):
    def ids(sub):
        p = os.path.join(chk, sub)
        return sorted(int(x) for x in os.listdir(p) if x.isdigit()) if os.path.isdir(p) else []
    offs, coms = ids("offsets"), ids("commits")
    if offs:
        check(offs == list(range(offs[0], offs[-1] + 1)), "offsets not contiguous: %r" % offs)
        check(offs[-1] - (coms[-1] if coms else -1) <= 1, "offsets %d ahead of commits %r" % (offs[-1], coms[-1:]))
    return coms


# Named points a run pauses at (SPATE_CRASH_AT=<point>:<nth>:sleep=<ms>) to be killed inside a batch.
PAUSE_POINTS = {
    "kafka": ["sink.kafka.produced", "offsets.synced", "sink.kafka.produced", "batch.executed"],
    "file": ["sink.files.synced", "offsets.synced", "sink.log.written", "batch.executed"],
}


def run_kill9(kind, kills=None, seed=None, total=1600, chunk=40):
    kills = int(os.environ.get("SPATE_KILLS", "8")) if kills is None else kills
    rng = random.Random(int(os.environ.get("SPATE_SEED", "4242")) if seed is None else seed)
    start = time.time()
    d = tempdir("kafka-kill9-" + kind)
    broker, bs = start_broker(["in:2", "out:1"])
    try:
        job = os.path.join(d, "job.sql")
        with open(job, "w") as f:
            f.write(JOB_KAFKA if kind == "kafka" else JOB_FILE)
        out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
        vars_ = ["--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk, "--var", "output=" + out]
        records = [("k%05d" % i, "r%05d" % i) for i in range(total)]
        pending = list(records)
        nprod = [0]

        quota = [0]  # chunks the current run may still produce (input spread over all runs)

        def produce_chunk(force=False):
            if not pending or (quota[0] <= 0 and not force):
                return
            quota[0] -= 1
            part = nprod[0] % 2
            batch = pending[:chunk]
            del pending[:chunk]
            produce(bs, "in", batch, partition=part, timeout=30)
            nprod[0] += 1

        per_run = -(-total // chunk) // (kills + 1)
        produce_chunk(force=True)
        killed_with_progress = paused_kills = 0
        points = PAUSE_POINTS[kind]
        for k in range(kills):
            env = dict(os.environ)
            env.pop("SPATE_CRASH_AT", None)
            point = None
            if k % 2 == 1:
                # Every other run pauses inside a batch at a named point (docs/fault-tolerance.md)
                # and is killed there: for the Kafka sink also with its transaction open.
                point = points[(k // 2) % len(points)]
                env["SPATE_CRASH_AT"] = "%s:%d:sleep=30000" % (point, rng.randint(1, 3))
            quota[0] = per_run
            errf = open(os.path.join(d, "run%d.err" % k), "w+")
            p = subprocess.Popen([SPATE, "run", job] + vars_ + ["--quiet"], stdout=subprocess.DEVNULL, stderr=errf,
                                 env=env)
            deadline = time.time() + (8 if point else rng.uniform(0.4, 1.6))
            while time.time() < deadline:
                produce_chunk()
                time.sleep(0.03)
                if point:
                    errf.seek(0)
                    if ("pause point %s hit" % point) in errf.read():
                        paused_kills += 1
                        time.sleep(0.3)  # let the producer's buffered records reach the broker
                        break
            before = len(check_logs(chk))
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=30)
            errf.seek(0)
            err = errf.read()
            errf.close()
            check(p.returncode == -signal.SIGKILL,
                  "run %d ended by itself (rc %r) before the kill: %s" % (k, p.returncode, err[-2000:]))
            coms = check_logs(chk)
            if coms and before:
                killed_with_progress += 1
            if os.environ.get("SPATE_KILL9_DEBUG"):
                print("run %d point %s commits %r stderr %r" % (k, point, coms[-1:], err[-300:]))
            if kind == "file":
                seen = Counter(sink_lines(out))
                check(all(c == 1 for c in seen.values()), "duplicate rows visible after kill %d" % k)
        while pending:
            produce_chunk(force=True)
        check(killed_with_progress > 0, "no kill happened while batches were committing (jobs too slow to start?)")
        check(paused_kills >= kills // 2 - 1, "only %d runs reached their pause point inside a batch" % paused_kills)
        run(["run", job] + vars_ + ["--trigger", "available-now", "--quiet"], timeout=120)
        coms = check_logs(chk)
        expected = sorted((key, "v:" + val) for key, val in records)
        if kind == "kafka":
            got = sorted((key, val) for _, _, key, val in consume(bs, "out", read_committed=True))
        else:
            got = sorted((r["k"], r["v"]) for r in (json.loads(line) for line in sink_lines(out)))
        missing = sum((Counter(expected) - Counter(got)).values())
        dups = sum((Counter(got) - Counter(expected)).values())
        check(missing == 0 and dups == 0,
              "exactly-once violated (%s): %d expected, %d got, %d missing, %d duplicated"
              % (kind, len(expected), len(got), missing, dups))
        extra = ""
        if kind == "kafka":
            # librdkafka reads read_committed by default: ask for the aborted records too
            raw = subprocess.run(["kcat", "-b", bs, "-t", "out", "-C", "-e", "-q", "-X",
                                  "isolation.level=read_uncommitted", "-f", "%s\\n"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, timeout=60).stdout.count("\n")
            last = max((off for _, off, _, _ in consume(bs, "out", read_committed=True)), default=-1)
            extra = " read_uncommitted_view=%d last_offset=%d" % (raw, last)
        print("kind=%s kills=%d (with progress %d, inside a batch %d) records=%d batches=%d%s time=%.1fs"
              % (kind, kills, killed_with_progress, paused_kills, len(got), coms[-1] + 1, extra,
                 time.time() - start))
    finally:
        stop_broker(broker)
    cleanup(d)
