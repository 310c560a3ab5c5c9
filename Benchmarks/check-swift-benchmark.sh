#!/usr/bin/env bash
# End to end: `grade check` of each assignment's worked Swift solution (compile, run every item,
# the hidden input sets of the rubric, grade) against a bare `swiftc` of the same files.
# Goal: at most 1.3× the bare compile.
#
#   Benchmarks/check-swift-benchmark.sh [rounds]
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set). Each round
# times both commands back to back, so load from elsewhere falls on both alike; the figures are
# medians over the rounds, the ratio the median of the per-round ratios.
set -euo pipefail

rounds="${1:-7}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"
cd "$here"
swift build -c release --product grade --scratch-path "$scratch" > /dev/null
grade="$here/$scratch/release/grade"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

isolation="rlimits"
command -v bwrap > /dev/null && isolation="bubblewrap"
echo "grade check of a worked Swift solution against a bare swiftc; isolation $isolation; median of $rounds rounds"
for assignment in rnn-bptt rnn-canonical backprop-basics; do
  solution="Assignments/$assignment/examples/swift-solution"
  : > "$work/main.swift"
  "$grade" check "$assignment" "$solution" --student bench > /dev/null   # warm the harness cache
  : > "$work/bare"; : > "$work/check"; : > "$work/ratio"
  for ((r = 0; r < rounds; r++)); do
    t0=$(now)
    swiftc "$solution/Solution.swift" "Assignments/$assignment/starter/Inputs.swift" "$work/main.swift" -o "$work/a.out" 2> /dev/null
    t1=$(now)
    "$grade" check "$assignment" "$solution" --student "bench-$r" > /dev/null
    t2=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v dir="$work" 'BEGIN {
      print b - a >> (dir "/bare"); print c - b >> (dir "/check"); print (c - b) / (b - a) >> (dir "/ratio") }'
  done
  printf '%-16s bare swiftc %.3f s   grade check %.3f s   ratio %.2f   (goal ≤ 1.3)\n' \
    "$assignment" "$(median < "$work/bare")" "$(median < "$work/check")" "$(median < "$work/ratio")"
done
