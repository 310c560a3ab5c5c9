#!/usr/bin/env bash
# Writes what `grade` computes for every shipped model on 5 students, so that two builds can be
# compared byte for byte (a refactoring must not change a number or a word):
#
#   Scripts/model-outputs.sh <grade-binary> <out-dir>
#   diff -r before/ after/
#
# Per assignment and student: `grade reference` as JSON; `grade check --format json` (timing
# removed, numeric seed fixed) of the reference itself, of the assignment's demo answers checked
# as that student (every item wrong: the diagnosis speaks), and of the demo as student 'demo'.
set -euo pipefail
grade=$1 out=$2
mkdir -p "$out"
cd "$(dirname "$0")/.."
students="alice bob carol dave erin"
for a in backprop-basics rnn-bptt rnn-canonical window-lm ngram-lm lstm-lm gru-lm; do
  demo=$(ls Assignments/$a/examples/demo.* | head -1)
  for s in $students; do
    "$grade" reference "$a" --student "$s" --out "$out/$a-$s-reference.json" >/dev/null
    for sub in reference demo; do
      file=$([ $sub = reference ] && echo "$out/$a-$s-reference.json" || echo "$demo")
      "$grade" check "$a" "$file" --student "$s" --format json --numeric-seed 7 \
        | grep -v '"seconds"' > "$out/$a-$s-check-$sub.json" || true
    done
    "$grade" check "$a" "$demo" --student "$s" --numeric-seed 7 > "$out/$a-$s-check-demo.txt" || true
    "$grade" check "$a" "$demo" --student "$s" --numeric-seed 7 --format html | grep -v 'seconds' > "$out/$a-$s-check-demo.html" || true
  done
  "$grade" check "$a" "$demo" --student demo --format json --numeric-seed 7 | grep -v '"seconds"' > "$out/$a-demo-check.json" || true
  for item in $(python3 -c "import json;print(' '.join(i['id'] for i in json.load(open('Assignments/$a/assignment.json'))['items']))"); do
    "$grade" explain "$a" "$item" --student alice > "$out/$a-explain-$item.txt" || true
  done
done
echo "wrote $(ls "$out" | wc -l) files to $out"
