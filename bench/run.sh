#!/usr/bin/env bash
# Benchmarks (not tests): print throughput. `make bench`, or:
#   EVENTS=10000000 FILES=20 bash bench/run.sh
# 1. YSB without the join (bench/ysb.sql): JSON -> filter -> count per ad and 10 s bucket.
# 2. Full YSB (bench/ysb-join.sql): the same plus a join to the campaigns table in SQLite
#    and a 10-second event-time window per campaign.
# 3. Kafka (bench/kafka.sh, ~10 s; KAFKA=0 skips it): YSB events through `spate broker`.
set -euo pipefail
cd "$(dirname "$0")/.."
SPATE=${SPATE:-build/spate}
EVENTS=${EVENTS:-5000000}
FILES=${FILES:-20}
WORK=${WORK:-$(mktemp -d /tmp/spate-bench-XXXXXX)}
mkdir -p "$WORK"
if [ ! -d "$WORK/ysb" ] || [ ! -f "$WORK/campaigns.csv" ]; then
  rm -rf "$WORK/ysb"
  "$SPATE" gen ysb --events "$EVENTS" --out "$WORK/ysb" --files "$FILES" --campaigns-out "$WORK/campaigns.csv" >/dev/null
fi
python3 - "$WORK/campaigns.csv" "$WORK/campaigns.db" <<'PY'
import csv, os, sqlite3, sys
if os.path.exists(sys.argv[2]):
    os.remove(sys.argv[2])
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE campaigns (ad_id TEXT PRIMARY KEY, campaign_id TEXT)")
with open(sys.argv[1]) as f:
    r = csv.reader(f)
    next(r)
    db.executemany("INSERT INTO campaigns VALUES (?, ?)", list(r))
db.commit()
PY
bytes=$(du -sb "$WORK/ysb" | cut -f1)
run_one() {  # name job.sql extra-vars...
  local name=$1 job=$2
  shift 2
  rm -rf "$WORK/chk" "$WORK/progress.jsonl"
  local start end
  start=$(date +%s.%N)
  "$SPATE" run "$job" --var input="$WORK/ysb" --var checkpoint="$WORK/chk" "$@" \
    --trigger available-now --quiet --progress "$WORK/progress.jsonl"
  end=$(date +%s.%N)
  python3 - "$name" "$start" "$end" "$EVENTS" "$bytes" "$WORK/progress.jsonl" <<'PY'
import json, sys
name, start, end, events, nbytes, prog = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
secs = end - start
rows = sum(json.loads(l)["numInputRows"] for l in open(prog) if l.strip())
assert rows == events, "processed %d of %d events" % (rows, events)
print("%s: %d events, %.1f MB JSON in %.2f s end to end -> %.2f M events/s, %.0f MB/s"
      % (name, events, nbytes / 1e6, secs, events / secs / 1e6, nbytes / secs / 1e6))
PY
}
run_one "ysb (no join)" bench/ysb.sql
run_one "ysb (join + window)" bench/ysb-join.sql --var db="$WORK/campaigns.db"
if [ "${KAFKA:-1}" != 0 ] && command -v kcat >/dev/null; then
  SPATE="$SPATE" WORK="$WORK/kafka" EVENTS="${KAFKA_EVENTS:-1000000}" bash bench/kafka.sh
fi
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
