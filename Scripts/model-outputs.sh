#!/usr/bin/env bash
# Writes what `grade` computes for every shipped model on 5 students, so that two builds can be
# compared byte for byte (a refactoring must not change a number or a word):
#
#   Scripts/model-outputs.sh <grade-binary> <out-dir>
#   diff -r before/ after/
#
# Per assignment and student: `grade reference` as JSON (with a course key made for the run, kept
# outside <out-dir>: array outputs do not depend on which key it is); `grade check --format json`
# (timing removed, numeric seed fixed) of the reference itself — as a self-check and as a graded
# run — of the assignment's demo answers checked as that student (every item wrong: the
# diagnosis speaks; no reference value is shown), and of the demo as student 'demo'; `grade
# explain` at a student's inputs (formulas and shapes) and at the demo inputs (every number).
set -euo pipefail
grade=$1 out=$2
mkdir -p "$out"
keydir=$(mktemp -d)
trap 'rm -rf "$keydir"' EXIT
"$grade" key new --out "$keydir/course.key" >/dev/null
key="$keydir/course.key"
cd "$(dirname "$0")/.."
students="alice bob carol dave erin"
for a in backprop-basics rnn-bptt rnn-canonical window-lm ngram-lm lstm-lm gru-lm; do
  demo=$(ls Assignments/$a/examples/demo.* | head -1)
  for s in $students; do
    "$grade" reference "$a" --student "$s" --out "$out/$a-$s-reference.json" --key-file "$key" >/dev/null
    for sub in reference demo; do
      file=$([ $sub = reference ] && echo "$out/$a-$s-reference.json" || echo "$demo")
      "$grade" check "$a" "$file" --student "$s" --format json --numeric-seed 7 \
        | grep -v '"seconds"' > "$out/$a-$s-check-$sub.json" || true
    done
    "$grade" check "$a" "$out/$a-$s-reference.json" --student "$s" --format json --numeric-seed 7 --key-file "$key" \
      | grep -v '"seconds"' > "$out/$a-$s-check-reference-graded.json" || true
    "$grade" check "$a" "$demo" --student "$s" --numeric-seed 7 > "$out/$a-$s-check-demo.txt" || true
    "$grade" check "$a" "$demo" --student "$s" --numeric-seed 7 --format html | grep -v 'seconds' > "$out/$a-$s-check-demo.html" || true
  done
  "$grade" check "$a" "$demo" --student demo --format json --numeric-seed 7 | grep -v '"seconds"' > "$out/$a-demo-check.json" || true
  for item in $(python3 -c "import json;print(' '.join(i['id'] for i in json.load(open('Assignments/$a/assignment.json'))['items']))"); do
    "$grade" explain "$a" "$item" --student alice > "$out/$a-explain-$item.txt" || true
    "$grade" explain "$a" "$item" > "$out/$a-explain-demo-$item.txt" || true
  done
done
echo "wrote $(ls "$out" | wc -l) files to $out"
