#!/usr/bin/env bash
# The main job of `make run`: seed demo 02 (file stream of invoices) on invoice
# files made by spate's own generator, run to completion, then a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
SPATE=build/spate
OUT=out/demo02
rm -rf "$OUT"
mkdir -p "$OUT/input"
"$SPATE" gen invoices --out "$OUT/input" --files 3 --per-file 500 --seed 42 >/dev/null
echo "== spate: seed demo 02 (file stream) on $(ls "$OUT/input" | wc -l) generated invoice files =="
"$SPATE" run examples/02-file-stream.sql \
  --var input="$OUT/input" --var output="$OUT/output" --var checkpoint="$OUT/checkpoint" \
  --trigger available-now --progress "$OUT/progress.jsonl"
batches=$(ls "$OUT/output/_spark_metadata" | grep -c '^[0-9]*$' || true)
files=$(ls "$OUT/output" | grep -c '^part-' || true)
rows=$(cat "$OUT"/output/part-* 2>/dev/null | wc -l)
invoices=$(cat "$OUT"/input/* | wc -l)
echo
echo "== done =="
echo "input:       $OUT/input ($invoices invoices)"
echo "output:      $OUT/output ($rows line-item rows in $files files, $batches committed batches)"
echo "checkpoint:  $OUT/checkpoint"
echo "progress:    $OUT/progress.jsonl (one StreamingQueryProgress per batch)"
echo "first row:   $(head -n 1 "$(ls "$OUT"/output/part-* | head -n 1)")"
