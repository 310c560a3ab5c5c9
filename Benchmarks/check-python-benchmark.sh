#!/usr/bin/env bash
# End to end: `grade check` of each assignment's worked Python solution (the sandbox, NumPy
# imported once, one process per item, the grading) against a bare `python3 solution.py`, which
# computes the same items once in one process at the same inputs and saves them.
# Goal: at most 2 s per check of a worked solution.
#
#   Benchmarks/check-python-benchmark.sh [rounds]
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set). Each round
# times the bare run, the self-check (the student's inputs) and the graded run (with a course
# key: the student's inputs and the rubric's hidden set) back to back, so load from elsewhere
# falls on them alike; the figures are medians over the rounds, the ratios the medians of the
# per-round ratios.
set -euo pipefail

rounds="${1:-7}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"
cd "$here"
swift build -c release --product grade --scratch-path "$scratch" > /dev/null
grade="$here/$scratch/release/grade"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$grade" key new --out "$work/course.key" > /dev/null

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

isolation="rlimits"
command -v bwrap > /dev/null && isolation="bubblewrap"
echo "grade check of a worked Python solution against a bare python3 solution.py; isolation $isolation; median of $rounds rounds"
for assignment in rnn-bptt rnn-canonical backprop-basics window-lm ngram-lm lstm-lm gru-lm; do
  solution="Assignments/$assignment/examples/python-solution/solution.py"
  "$grade" check "$assignment" "$solution" --student bench > /dev/null   # warm the page cache
  : > "$work/bare"; : > "$work/check"; : > "$work/graded"; : > "$work/ratio"; : > "$work/graded-ratio"
  for ((r = 0; r < rounds; r++)); do
    "$grade" inputs "$assignment" --student "bench-$r" --out "$work/inputs.npz" > /dev/null
    t0=$(now)
    python3 "$solution" "$work/inputs.npz" "$work/answers.npz" > /dev/null
    t1=$(now)
    "$grade" check "$assignment" "$solution" --student "bench-$r" > /dev/null
    t2=$(now)
    "$grade" check "$assignment" "$solution" --student "bench-$r" --key-file "$work/course.key" > /dev/null
    t3=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v dir="$work" 'BEGIN {
      print b - a >> (dir "/bare"); print c - b >> (dir "/check"); print d - c >> (dir "/graded")
      print (c - b) / (b - a) >> (dir "/ratio"); print (d - c) / (b - a) >> (dir "/graded-ratio") }'
  done
  printf '%-16s bare python3 %.3f s   self-check %.3f s (%.1f×)   graded %.3f s (%.1f×)   (goal ≤ 2 s)\n' \
    "$assignment" "$(median < "$work/bare")" "$(median < "$work/check")" "$(median < "$work/ratio")" \
    "$(median < "$work/graded")" "$(median < "$work/graded-ratio")"
done
