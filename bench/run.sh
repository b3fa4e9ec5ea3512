#!/usr/bin/env bash
# Benchmarks (not tests): prints throughput. `make bench`, or:
#   EVENTS=10000000 FILES=20 bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SPATE=${SPATE:-build/spate}
EVENTS=${EVENTS:-5000000}
FILES=${FILES:-20}
WORK=${WORK:-$(mktemp -d /tmp/spate-bench-XXXXXX)}
mkdir -p "$WORK"
if [ ! -d "$WORK/ysb" ]; then
  "$SPATE" gen ysb --events "$EVENTS" --out "$WORK/ysb" --files "$FILES" >/dev/null
fi
bytes=$(du -sb "$WORK/ysb" | cut -f1)
rm -rf "$WORK/chk" "$WORK/progress.jsonl"
start=$(date +%s.%N)
"$SPATE" run bench/ysb.sql --var input="$WORK/ysb" --var checkpoint="$WORK/chk" \
  --trigger available-now --quiet --progress "$WORK/progress.jsonl"
end=$(date +%s.%N)
python3 - "$start" "$end" "$EVENTS" "$bytes" "$WORK/progress.jsonl" <<'PY'
import json, sys
start, end, events, nbytes, prog = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
secs = end - start
rows = sum(json.loads(l)["numInputRows"] for l in open(prog) if l.strip())
assert rows == events, "processed %d of %d events" % (rows, events)
print("ysb (no join): %d events, %.1f MB JSON in %.2f s end to end -> %.2f M events/s, %.0f MB/s"
      % (events, nbytes / 1e6, secs, events / secs / 1e6, nbytes / secs / 1e6))
PY
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
