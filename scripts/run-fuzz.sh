#!/usr/bin/env bash
# Run every libFuzzer target of a SPATE_FUZZ=ON build for a short time (`make fuzz`;
# docs/fault-tolerance.md "Fuzzing").
#   scripts/run-fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
# Each target starts from a scratch copy of its seed corpus and crash reproducers
# (tests/fuzz/corpus/<t>/, tests/fuzz/regressions/<t>/), so the repository is never
# modified; new inputs stay in the scratch dir (removed), crash/leak/timeout inputs are
# kept in BUILD_DIR/fuzz-artifacts/<t>/. Exits non-zero if any target fails.
set -uo pipefail
BUILD=${1:?usage: run-fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}
SECS=${2:-20}
shift 2 2>/dev/null || shift $#
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(sql json csv checkpoint state)
SRC=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/spate-fuzz-run.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
fail=0
for t in "${TARGETS[@]}"; do
  exe="$BUILD/fuzz_$t"
  if [ ! -x "$exe" ]; then
    echo "fuzz: $exe missing (configure with -DSPATE_FUZZ=ON and build target fuzzers)" >&2
    fail=1
    continue
  fi
  corpus="$SCRATCH/$t"
  art="$BUILD/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$art"
  cp -r "$SRC/tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null || true
  cp -r "$SRC/tests/fuzz/regressions/$t/." "$corpus/" 2>/dev/null || true
  dict=()
  [ -f "$SRC/tests/fuzz/$t.dict" ] && dict=(-dict="$SRC/tests/fuzz/$t.dict")
  echo "== fuzz_$t: ${SECS}s" >&2
  log="$BUILD/fuzz-$t.log"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$exe" "$corpus" "${dict[@]}" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1
  rc=$?
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$log" >&2 || true
  if [ $rc -ne 0 ]; then
    echo "fuzz_$t FAILED (exit $rc); log: $log; reproducers in $art/:" >&2
    grep -E 'ERROR: |SUMMARY: |runtime error|invariant failed' "$log" | head -20 >&2
    ls -l "$art" >&2
    fail=1
  fi
done
exit $fail
