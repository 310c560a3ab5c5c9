#!/usr/bin/env bash
# Grades a class of array submissions of rnn-bptt three ways — one unsharded batch, N shards
# merged, and N shards with one killed midway and run again — checks that the three gradebooks,
# summaries and feedback folders are byte for byte the same, and projects from the measured
# time per submission the wall time of a 50 000-student course on 64 shards.
#
#   Benchmarks/shard-benchmark.sh [students] [shards] [jobs]      (default 2000 7 2)
#
# Builds the release binary first (scratch path .build-bench unless SCRATCH is set), or runs the
# `grade` binary GRADE names, as batch-benchmark.sh does. The class is
# made with `grade reference` (half .npz, half .json); every 40th submission is made unreadable
# (half a file) and every 25th has one item scaled, so the class is mixed. Shards run one after
# the other here, each with --jobs <jobs>: on a cluster they run at once, one per machine.
set -euo pipefail

students="${1:-2000}"
shards="${2:-7}"
jobs="${3:-2}"
course=50000
course_shards=64
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${SCRATCH:-.build-bench}"

cd "$here"
if [ -n "${GRADE:-}" ]; then
  grade="$GRADE"
else
  swift build -c release --product grade --scratch-path "$scratch" > /dev/null
  grade="$here/$scratch/release/grade"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$grade" key new --out "$work/course.key" > /dev/null
mkdir -p "$work/submissions"
for ((k = 0; k < students; k++)); do
  id="$(printf 'student-%05d' "$k")"
  if ((k % 2)); then ext=json; else ext=npz; fi
  file="$work/submissions/$id.$ext"
  "$grade" reference rnn-bptt --student "$id" --out "$file" --key-file "$work/course.key" > /dev/null
  if ((k % 40 == 7)); then
    head -c 200 "$file" > "$file.cut" && mv "$file.cut" "$file"
  elif ((k % 25 == 3)) && [ "$ext" = json ]; then
    sed -i 's/\("dU" *: *{[^}]*"data" *: *\[\)/\1 1e3, /' "$file"
  fi
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
batch() { "$grade" batch rnn-bptt "$work/submissions" --key-file "$work/course.key" --jobs "$jobs" --quiet --no-timing "$@" > /dev/null; }
same() {  # the class files of two folders are identical
  for f in gradebook.csv summary.md summary.json; do cmp -s "$1/$f" "$2/$f" || { echo "shard-benchmark: $f differs between $1 and $2" >&2; exit 1; }; done
  diff -r -q "$1/feedback" "$2/feedback" > /dev/null || { echo "shard-benchmark: feedback/ differs between $1 and $2" >&2; exit 1; }
}

start=$(now); batch --out "$work/one"; end=$(now)
one=$(elapsed "$start" "$end")

shard_seconds=()
for ((i = 0; i < shards; i++)); do
  s=$(now); batch --out "$work/seven/shard-$i" --shard "$i/$shards"; e=$(now)
  shard_seconds+=("$(elapsed "$s" "$e")")
done
s=$(now); "$grade" merge "$work"/seven/shard-* --out "$work/seven-merged" > /dev/null; e=$(now)
merge=$(elapsed "$s" "$e")
same "$work/one" "$work/seven-merged"

# Shard 0 again from scratch, killed after about a third of its time, then run to the end.
for ((i = 1; i < shards; i++)); do cp -r "$work/seven/shard-$i" "$work/killed-shard-$i"; done
# (grade itself in the background, not a subshell, so that the kill reaches the batch)
"$grade" batch rnn-bptt "$work/submissions" --key-file "$work/course.key" --jobs "$jobs" --quiet --no-timing \
  --out "$work/killed-shard-0" --shard "0/$shards" > /dev/null &
pid=$!
sleep "$(awk -v t="${shard_seconds[0]}" 'BEGIN { printf "%.2f", t / 3 }')"
kill -KILL "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
done_before=$(find "$work/killed-shard-0/results" -name '*.json' ! -name '.*' 2> /dev/null | wc -l)
batch --out "$work/killed-shard-0" --shard "0/$shards"
"$grade" merge "$work"/killed-shard-* --out "$work/killed-merged" > /dev/null
same "$work/one" "$work/killed-merged"

graded=$(awk -F, 'NR > 1 && $4 == "graded" { n++ } END { print n + 0 }' "$work/one/gradebook.csv")
unreadable=$(awk -F, 'NR > 1 && $4 == "unreadable" { n++ } END { print n + 0 }' "$work/one/gradebook.csv")
full=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' "$work/one/gradebook.csv")
sum_shards=$(printf '%s\n' "${shard_seconds[@]}" | awk '{ s += $1 } END { printf "%.2f", s }')
max_shard=$(printf '%s\n' "${shard_seconds[@]}" | sort -g | tail -1)
echo "class: $students array submissions ($graded graded, $full with full marks, $unreadable unreadable), --jobs $jobs"
echo "one batch:          $one s wall"
echo "$shards shards:           $sum_shards s in all, one after the other (longest $max_shard s); merge $merge s"
echo "killed and resumed: shard 0 killed with $done_before results written, run again; merged"
echo "gradebook.csv, summary.md, summary.json and feedback/: byte for byte the same in all three"
awk -v one="$one" -v n="$students" -v jobs="$jobs" -v merge="$merge" -v N="$course" -v S="$course_shards" 'BEGIN {
  per = one / n                     # wall seconds per submission at --jobs jobs on this machine
  per_shard = N / S                 # students per shard (the hash balances them)
  shard = per_shard * per           # one shard on one machine like this one
  m = merge / n * N                 # the merge reads every result: linear in the class
  printf "measured: %.1f ms wall per submission at --jobs %d (%.1f ms of one job)\n", per * 1000, jobs, per * jobs * 1000
  alone = N * per                   # the whole course in one batch on one machine
  printf "projected: %d students on %d shards (%d each, one machine like this per shard): %.0f s per shard + %.0f s merge = %.1f min wall (one machine: %.1f min)\n", N, S, per_shard, shard, m, (shard + m) / 60, alone / 60
}'
