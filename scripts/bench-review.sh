#!/usr/bin/env bash
# What drawing costs: `socdrift diff -o json` (no drawing) against `-o markdown` (Mermaid graphs)
# and `-o html` (the review page) over generated workspace pairs, release build, medians of RUNS.
#
# Pairs (soc-sim's generator, `cargo run -p soc-sim --example generate`):
#   wide:  1,000 workflows of ~50 nodes, 10% drifted (100 workflows drawn on both sides)
#   large: 20 workflows of ~200 nodes, all drifted
# Prints one line per pair and format: median seconds, output bytes, and the ratio to JSON.
#
# Usage: scripts/bench-review.sh            (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

cargo build --quiet --release -p soc-cli
cargo build --quiet --release -p soc-sim --example generate
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
socdrift="$target/release/socdrift"

"$target/release/examples/generate" "$dir/wide" 1000 50 5 0.1 >/dev/null
"$target/release/examples/generate" "$dir/large" 20 200 5 1.0 >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for pair in wide large; do
  json_s=""
  for format in json markdown html; do
    times=()
    for _ in $(seq "$RUNS"); do
      start="$(date +%s.%N)"
      "$socdrift" diff "$dir/$pair/staging/workflows" "$dir/$pair/production/workflows" -o "$format" \
        >"$dir/out.$format" || [ $? -eq 1 ]
      end="$(date +%s.%N)"
      times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
    done
    s="$(printf '%s\n' "${times[@]}" | median)"
    [ "$format" = json ] && json_s="$s"
    printf 'bench-review: pair=%s format=%s median_s=%.3f bytes=%d ratio_to_json=%.2f\n' \
      "$pair" "$format" "$s" "$(wc -c <"$dir/out.$format")" "$(awk -v a="$s" -v b="$json_s" 'BEGIN {print a / b}')"
  done
done
