#!/usr/bin/env bash
# Throughput of `grade batch` (submissions per second) on rnn-bptt, in one run, each figure with
# the CPU time of the whole process tree per submission beside the wall time: the batch, its
# workers and children and their sandboxed runs, counted by `perf stat -e task-clock` (which
# follows every descendant, reaped or not: under bubblewrap the runs of students' code are not
# reaped by their parents, so /usr/bin/time, the fallback without perf, misses them):
#
#   arrays   300 array submissions (half .npz, half .json) with the workers (`grade worker`),
#            then with --one-process-per-student; the ratio of the two, and a check that both
#            wrote the same gradebook and summaries byte for byte (--no-timing)
#   Swift    6 copies of the worked Swift solution, graded with the course key (compiled, run at
#            the student's inputs and the hidden sets), at --jobs 1 and at --jobs <jobs>
#   Python   6 copies of the worked Python solution, the same way (skipped without python3 and NumPy)
#
# Goal: at least 400 array submissions per second on two cores. Load from other work lowers the
# wall-clock rates but hardly the CPU time, so each line also prints submissions per CPU-second:
# two idle cores give at most twice that.
#
#   Benchmarks/batch-benchmark.sh [students] [jobs] [code-students]
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set), or runs the
# `grade` binary GRADE names (e.g. a copy of an earlier build, to compare). The class is made
# fresh each time with `grade reference` (the reference answers at each student's inputs) and
# graded into a temporary folder; every student must score full marks. The load of the machine
# (its load average) is printed before, after each part and at the end: wall-clock figures taken
# under load from elsewhere are lower.
set -euo pipefail

students="${1:-300}"
jobs="${2:-2}"
code_students="${3:-6}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"

cd "$here"
if perf stat -x, -e task-clock -o /dev/null true 2> /dev/null; then
  counter=perf
elif [ -x /usr/bin/time ]; then
  counter=time
else
  echo "batch-benchmark: needs perf (apt-get install linux-perf) or GNU time at /usr/bin/time for the CPU figures" >&2
  exit 1
fi
if [ -n "${GRADE:-}" ]; then
  grade="$GRADE"
else
  swift build -c release --product grade --scratch-path "$scratch" > /dev/null
  grade="$here/$scratch/release/grade"
fi

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

# batch <folder> <out> <jobs> [options…]: grades, checks full marks, prints the wall seconds and
# the CPU seconds (user + system) of the whole process tree.
batch() {
  local folder="$1" out="$2" n="$3"
  shift 3
  local t0 t1 count full
  t0=$(now)
  local run=("$grade" batch rnn-bptt "$folder" --out "$out" --jobs "$n" --key-file "$work/course.key" --quiet --no-timing "$@")
  if [ "$counter" = perf ]; then
    perf stat -x, -e task-clock -o "$work/cpu" "${run[@]}" > /dev/null
  else
    /usr/bin/time -f '%U %S' -o "$work/cpu" "${run[@]}" > /dev/null
  fi
  t1=$(now)
  count=$(awk 'END { print NR - 1 }' "$out/gradebook.csv")
  full=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' "$out/gradebook.csv")
  if [ "$full" -ne "$count" ]; then
    echo "batch-benchmark: $full of $count students of $folder scored full marks; expected all" >&2
    exit 1
  fi
  local cpu
  if [ "$counter" = perf ]; then
    cpu=$(awk -F, '$3 == "task-clock" { printf "%.3f", $1 / 1000 }' "$work/cpu")
  else
    cpu=$(tail -n 1 "$work/cpu" | awk '{ printf "%.3f", $1 + $2 }')
  fi
  awk -v a="$t0" -v b="$t1" -v cpu="$cpu" 'BEGIN { printf "%.3f %.3f", b - a, cpu }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# figure <label> <submissions> <wall cpu>: one measured run as a line.
figure() {
  local label="$1" n="$2" wall="${3% *}" cpu="${3#* }"
  awk -v l="$label" -v n="$n" -v w="$wall" -v c="$cpu" 'BEGIN {
    printf "  %-26s %6.2f s wall  %7.2f/s   CPU %7.2f s  %8.2f ms/submission  %7.2f/CPU-s\n", l, w, n / w, c, 1000 * c / n, n / c }'
}

echo "grade batch throughput on rnn-bptt, $(nproc) cores, CPU time by $counter; load average before: $(load)"

workers=$(batch "$work/arrays" "$work/out-workers" "$jobs")
single=$(batch "$work/arrays" "$work/out-single" "$jobs" --one-process-per-student)
for file in gradebook.csv summary.md summary.json; do
  if ! cmp -s "$work/out-workers/$file" "$work/out-single/$file"; then
    echo "batch-benchmark: the workers and the single-use children wrote different $file" >&2
    exit 1
  fi
done
echo "arrays  $students submissions (half .npz, half .json), --jobs $jobs; same gradebook and summaries both ways (goal ≥ 400/s):"
figure "workers" "$students" "$workers"
figure "one process per student" "$students" "$single"
echo "  ratio $(ratio "${single% *}" "${workers% *}")× wall, $(ratio "${single#* }" "${workers#* }")× CPU   (load now $(load))"

# The code submissions in $1 (a label, a folder name and what was graded) at --jobs 1 and --jobs <jobs>.
code_figures() {
  local label=$1 name=$2 what=$3
  one=$(batch "$work/$name" "$work/out-$name-1" 1)
  many=$(batch "$work/$name" "$work/out-$name-n" "$jobs")
  echo "$label $code_students submissions of the worked solution, $what:"
  figure "--jobs 1" "$code_students" "$one"
  figure "--jobs $jobs" "$code_students" "$many"
  echo "  speed-up $(ratio "${one% *}" "${many% *}")×   (load now $(load))"
}

if ((code_students == 0)); then
  echo "Swift   skipped: no code submissions asked for (code-students is 0)"
elif command -v swiftc > /dev/null; then
  code_figures "Swift  " swift "graded (compiled, run at the student's inputs and the hidden sets)"
else
  echo "Swift   skipped: swiftc is not available"
fi

if ((code_students == 0)); then
  echo "Python  skipped: no code submissions asked for (code-students is 0)"
elif python3 -c "import numpy" 2> /dev/null; then
  code_figures "Python " python "graded the same way"
else
  echo "Python  skipped: python3 with NumPy is not available"
fi
echo "load average after: $(load)"
