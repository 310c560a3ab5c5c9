#!/usr/bin/env bash
# Grades 300 array submissions of rnn-bptt with `grade batch --jobs 2` and prints the wall time.
# Goal: at most 20 s on two cores.
#
#   Benchmarks/batch-benchmark.sh [students] [jobs]
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set). The class is
# made fresh each time with `grade reference` (the reference answers at each student's inputs,
# half as .npz and half as .json) and graded into a temporary folder; every student must score
# full marks.
set -euo pipefail

students="${1:-300}"
jobs="${2:-2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"

cd "$here"
swift build -c release --product grade --scratch-path "$scratch" > /dev/null
grade="$here/$scratch/release/grade"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/submissions"
for ((k = 0; k < students; k++)); do
  id="$(printf 'student-%03d' "$k")"
  if ((k % 2)); then ext=json; else ext=npz; fi
  "$grade" reference rnn-bptt --student "$id" --out "$work/submissions/$id.$ext" > /dev/null
done

start=$(date +%s.%N)
"$grade" batch rnn-bptt "$work/submissions" --out "$work/out" --jobs "$jobs" --quiet
end=$(date +%s.%N)

full=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' "$work/out/gradebook.csv")
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "batch of $students array submissions, $jobs jobs: $seconds s wall ($full with full marks)"
if [ "$full" -ne "$students" ]; then
  echo "batch-benchmark: expected every student to score full marks" >&2
  exit 1
fi
