#!/usr/bin/env bash
# Benchmarks soc-diff against the generic baseline `jq -S . | diff -u` on the same export files.
#
# Runs `cargo bench -p soc-diff --bench diff` (two generated sides of 2,000 workflows, ~50 BPMN
# nodes each, 2% drifted), which also writes both sides' export files to a temporary folder; then
# times `jq -S .` over each side's files plus `diff -u` of the two outputs, RUNS times, and prints
# the medians and the ratio. jq only sorts keys: it neither decodes the base64 taskflow nor drops
# ids and timestamps, so its diff is mostly noise; the ratio is about cost, not about output.
#
# Usage: scripts/bench-diff.sh            (RUNS=3 by default)
# Needs jq on PATH; installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v jq >/dev/null 2>&1; then
  echo "error: jq is not installed; this benchmark compares against jq -S . | diff -u, so install jq (e.g. apt-get install jq) and rerun" >&2
  exit 1
fi

RUNS="${RUNS:-3}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

echo "== cargo bench -p soc-diff --bench diff (writes the export files to $dir)"
SOCDRIFT_BENCH_DIR="$dir" cargo bench -q -p soc-diff --bench diff | tee "$dir/bench.out"
line="$(grep '^bench-diff:' "$dir/bench.out")"
ours="$(sed -E 's/.* total_s=([0-9.]+).*/\1/' <<<"$line")"
bytes="$(sed -E 's/.* bytes=([0-9]+).*/\1/' <<<"$line")"

echo
echo "== jq -S . | diff -u over the same $(find "$dir/staging" "$dir/production" -name '*.json' | wc -l) files, $RUNS runs"
times=()
for _ in $(seq "$RUNS"); do
  start="$(date +%s.%N)"
  # One jq process per side over all of its files (file names sort the same on both sides).
  jq -S . "$dir"/staging/*.json >"$dir/staging.txt"
  jq -S . "$dir"/production/*.json >"$dir/production.txt"
  diff -u "$dir/staging.txt" "$dir/production.txt" >"$dir/jq.diff" || true
  end="$(date +%s.%N)"
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
done
jq_median="$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
diff_lines="$(wc -l <"$dir/jq.diff")"

mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN {print b / 1e6 / t}'; }
printf '\n%-44s %8.2f s  %7.1f MB/s\n' "socdrift normalize + diff (median)" "$ours" "$(mbps "$ours")"
printf '%-44s %8.2f s  %7.1f MB/s  (%s diff lines)\n' "jq -S . | diff -u (median of $RUNS)" "$jq_median" "$(mbps "$jq_median")" "$diff_lines"
printf '%-44s %8.2f\n' "ratio jq time / socdrift time" "$(awk -v j="$jq_median" -v o="$ours" 'BEGIN {print j / o}')"
