#!/usr/bin/env bash
# Kafka benchmark (not a test): YSB events produced to a topic on `spate broker`
# (kcat -l over generated JSON-lines files), then consumed by bench/ysb-kafka.sql
# (from_json, filter, count per ad and window) with an available-now trigger.
# Prints produce rate, consume rate (events/s end to end, and over batch time) and
# CPU: the consumer's (spate run) user+sys seconds over its wall time (cores used),
# and its share of all CPU spent during the run (consumer + broker process).
#   bash bench/kafka.sh                      # 1M events
#   EVENTS=5000000 bash bench/kafka.sh
# `spate broker` (librdkafka's mock cluster) keeps only about 5 MB per partition and
# silently drops older records, so PARTITIONS defaults to enough partitions to hold
# the whole data set at ~3.5 MB each; the script checks every event was consumed.
#   KAFKA=1 bash bench/run.sh                # after the file benchmarks
#   SQL=my.sql KCAT_LINGER_MS=500 bash bench/kafka.sh   # another query; bigger producer batches
# Measured on the 2-core development machine, quiet: 0.80-0.89 M events/s consumed
# (0.33-0.39 before offsets were listed in one request for all partitions and records
# taken in batches). The mock broker answers a Fetch with one produced record batch
# per partition (about 150 records with kcat's 20 ms linger; kafka.debug=fetch shows
# "Enqueue 157 message(s) (37654 bytes)"), so getBatch is mostly fetch round trips.
# Numbers taken while other jobs load the machine are meaningless (0.15-0.35).
set -euo pipefail
cd "$(dirname "$0")/.."
SPATE=${SPATE:-build/spate}
SQL=${SQL:-bench/ysb-kafka.sql}
EVENTS=${EVENTS:-1000000}
FILES=${FILES:-4}
WORK=${WORK:-$(mktemp -d /tmp/spate-kbench-XXXXXX)}
command -v kcat >/dev/null || { echo "bench/kafka.sh: kcat is required (apt-get install kcat)" >&2; exit 1; }
mkdir -p "$WORK"
rm -rf "$WORK/ysb" "$WORK/chk" "$WORK/progress.jsonl"
"$SPATE" gen ysb --events "$EVENTS" --out "$WORK/ysb" --files "$FILES" >/dev/null
bytes=$(du -sb "$WORK/ysb" | cut -f1)
PARTITIONS=${PARTITIONS:-$(( bytes / 3500000 + 4 ))}
MAX_OFFSETS=${MAX_OFFSETS:-$(( (EVENTS + 3) / 4 ))}  # 4 batches, so the first one reports a lag

"$SPATE" broker --topic "ysb:$PARTITIONS" >"$WORK/broker.out" 2>"$WORK/broker.err" &
broker=$!
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  grep -q '^bootstrap.servers=' "$WORK/broker.out" 2>/dev/null && break
  sleep 0.1
done
bs=$(sed -n 's/^bootstrap.servers=//p' "$WORK/broker.out" | head -1)
[ -n "$bs" ] || { echo "bench/kafka.sh: spate broker did not start" >&2; cat "$WORK/broker.err" >&2; exit 1; }

python3 - "$SPATE" "$bs" "$broker" "$WORK" "$EVENTS" "$bytes" "$PARTITIONS" "$MAX_OFFSETS" "$SQL" <<'PY'
import glob, json, os, resource, subprocess, sys, time
spate, bs, broker, work, events, nbytes, parts, max_offsets, sql = sys.argv[1:10]
events, nbytes = int(events), int(nbytes)
tick = os.sysconf("SC_CLK_TCK")

def cpu_of(pid):  # user+sys seconds of a running process
    with open("/proc/%s/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / tick

files = sorted(glob.glob(os.path.join(work, "ysb", "*.json")))
t0 = time.time()
# kcat -l takes one file: one producer per file, in parallel (records spread over partitions by kcat's partitioner).
procs = [subprocess.Popen(["kcat", "-b", bs, "-t", "ysb", "-P", "-X", "linger.ms=" + os.environ.get("KCAT_LINGER_MS", "20"), "-X", "batch.num.messages=10000", "-X", "sticky.partitioning.linger.ms=0",
                           "-X", "queue.buffering.max.messages=1000000", "-l", f]) for f in files]
if any(p.wait() != 0 for p in procs):
    sys.exit("bench/kafka.sh: kcat failed")
t1 = time.time()
print("kafka produce: %d events (%.1f MB JSON) with kcat in %.2f s -> %.2f M events/s"
      % (events, nbytes / 1e6, t1 - t0, events / (t1 - t0) / 1e6))

prog = os.path.join(work, "progress.jsonl")
b0 = cpu_of(broker)
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.time()
subprocess.run([spate, "run", sql, "--var", "bootstrap=" + bs, "--var",
                "checkpoint=" + os.path.join(work, "chk"), "--var", "max_offsets=" + max_offsets, "--trigger", "available-now", "--quiet", "--progress", prog],
               check=True)
wall = time.time() - t0
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
b1 = cpu_of(broker)
user, sys_ = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
progs = [json.loads(l) for l in open(prog) if l.strip()]
batches = [p for p in progs if "addBatch" in p["durationMs"]]
rows = sum(p["numInputRows"] for p in batches)
assert rows == events, "consumed %d of %d events (did the broker drop old records? raise PARTITIONS)" % (rows, events)
batch_ms = sum(p["batchDuration"] for p in batches)
get_ms = sum(p["durationMs"].get("getBatch", 0) for p in batches)
add_ms = sum(p["durationMs"].get("addBatch", 0) for p in batches)
lag0 = batches[0]["sources"][0].get("metrics", {}).get("maxOffsetsBehindLatest", "-")
ncpu = os.cpu_count() or 1
broker_cpu = b1 - b0
print("kafka consume (ysb-kafka.sql, %s partitions, %d batches): %d events in %.2f s end to end -> %.2f M events/s "
      "(%.2f M events/s over batch time %.2f s: getBatch %.2f s, addBatch %.2f s); first batch maxOffsetsBehindLatest %s"
      % (parts, len(batches), events, wall, events / wall / 1e6, events / (batch_ms / 1000) / 1e6, batch_ms / 1000,
         get_ms / 1000, add_ms / 1000, lag0))
print("kafka consumer CPU: user %.2f s + sys %.2f s over %.2f s wall = %.2f cores (%.0f%% of %d CPUs); "
      "consumer share of CPU spent during the run: %.0f%% (broker %.2f s)"
      % (user, sys_, wall, (user + sys_) / wall, 100 * (user + sys_) / wall / ncpu, ncpu,
         100 * (user + sys_) / max(1e-9, user + sys_ + broker_cpu), broker_cpu))
PY
