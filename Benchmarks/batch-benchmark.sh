#!/usr/bin/env bash
# Throughput of `grade batch` (submissions per second) on rnn-bptt, in one run:
#
#   arrays   300 array submissions (half .npz, half .json) with the workers (`grade worker`),
#            then with --one-process-per-student; the ratio of the two, and a check that both
#            wrote the same gradebook and summaries byte for byte (--no-timing)
#   Swift    6 copies of the worked Swift solution, graded with the course key (compiled, run at
#            the student's inputs and the hidden sets), at --jobs 1 and at --jobs <jobs>
#   Python   6 copies of the worked Python solution, the same way (skipped without python3 and NumPy)
#
# Goal: at least 400 array submissions per second on two cores.
#
#   Benchmarks/batch-benchmark.sh [students] [jobs] [code-students]
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set). The class is
# made fresh each time with `grade reference` (the reference answers at each student's inputs)
# and graded into a temporary folder; every student must score full marks. The load of the
# machine (its load average) is printed before and after: figures taken under load from
# elsewhere are lower.
set -euo pipefail

students="${1:-300}"
jobs="${2:-2}"
code_students="${3:-6}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"

cd "$here"
swift build -c release --product grade --scratch-path "$scratch" > /dev/null
grade="$here/$scratch/release/grade"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$grade" key new --out "$work/course.key" > /dev/null
mkdir -p "$work/arrays" "$work/swift" "$work/python"
for ((k = 0; k < students; k++)); do
  id="$(printf 'student-%03d' "$k")"
  if ((k % 2)); then ext=json; else ext=npz; fi
  "$grade" reference rnn-bptt --student "$id" --out "$work/arrays/$id.$ext" --key-file "$work/course.key" > /dev/null
done
for ((k = 0; k < code_students; k++)); do
  id="$(printf 'student-%03d' "$k")"
  cp -R Assignments/rnn-bptt/examples/swift-solution "$work/swift/$id"
  cp Assignments/rnn-bptt/examples/python-solution/solution.py "$work/python/$id.py"
done

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# batch <folder> <out> <jobs> [options…]: grades, checks full marks, prints the wall seconds.
batch() {
  local folder="$1" out="$2" n="$3"
  shift 3
  local t0 t1 count full
  t0=$(now)
  "$grade" batch rnn-bptt "$folder" --out "$out" --jobs "$n" --key-file "$work/course.key" --quiet --no-timing "$@" > /dev/null
  t1=$(now)
  count=$(awk 'END { print NR - 1 }' "$out/gradebook.csv")
  full=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' "$out/gradebook.csv")
  if [ "$full" -ne "$count" ]; then
    echo "batch-benchmark: $full of $count students of $folder scored full marks; expected all" >&2
    exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "grade batch throughput on rnn-bptt, $(nproc) cores; load average before: $(load)"

workers=$(batch "$work/arrays" "$work/out-workers" "$jobs")
single=$(batch "$work/arrays" "$work/out-single" "$jobs" --one-process-per-student)
for file in gradebook.csv summary.md summary.json; do
  if ! cmp -s "$work/out-workers/$file" "$work/out-single/$file"; then
    echo "batch-benchmark: the workers and the single-use children wrote different $file" >&2
    exit 1
  fi
done
printf 'arrays  %4d submissions, %d jobs: workers %.2f s (%s/s)   one process per student %.2f s (%s/s)   ratio %s×   (goal ≥ 400/s)\n' \
  "$students" "$jobs" "$workers" "$(rate "$students" "$workers")" "$single" "$(rate "$students" "$single")" "$(ratio "$single" "$workers")"

if command -v swiftc > /dev/null && ((code_students > 0)); then
  one=$(batch "$work/swift" "$work/out-swift-1" 1)
  many=$(batch "$work/swift" "$work/out-swift-n" "$jobs")
  printf 'Swift   %4d submissions: --jobs 1 %.2f s (%s/s)   --jobs %d %.2f s (%s/s)   speed-up %s×\n' \
    "$code_students" "$one" "$(rate "$code_students" "$one")" "$jobs" "$many" "$(rate "$code_students" "$many")" "$(ratio "$one" "$many")"
else
  echo "Swift   skipped: swiftc is not available"
fi

if python3 -c "import numpy" 2> /dev/null && ((code_students > 0)); then
  one=$(batch "$work/python" "$work/out-python-1" 1)
  many=$(batch "$work/python" "$work/out-python-n" "$jobs")
  printf 'Python  %4d submissions: --jobs 1 %.2f s (%s/s)   --jobs %d %.2f s (%s/s)   speed-up %s×\n' \
    "$code_students" "$one" "$(rate "$code_students" "$one")" "$jobs" "$many" "$(rate "$code_students" "$many")" "$(ratio "$one" "$many")"
else
  echo "Python  skipped: python3 with NumPy is not available"
fi
echo "load average after: $(load)"
