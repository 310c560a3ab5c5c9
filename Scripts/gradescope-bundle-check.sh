#!/usr/bin/env bash
# The Gradescope path, end to end, as Gradescope runs it: makes a bundle with `grade
# gradescope-bundle`, unzips it into an empty folder standing for /autograder/source, runs its
# setup.sh (GRADE_TOOLCHAIN=present: the toolchain is already here; the build is Gradescope's),
# then its run_autograder — with the grade it built — on four submissions, and checks each
# results.json against Gradescope's specification of that file:
#
#   correct   the reference answers of the student           score = max (19), every test passed
#   wrong     the same with dU and dW_h sign-flipped          0 < score < max, those tests failed
#   empty     nothing uploaded                                score 0, the reason, no tests
#   corrupt   answers.npz that is not a ZIP                   score 0, "could not be read"
#
# Usage: Scripts/gradescope-bundle-check.sh [grade]   (default .build/debug/grade; run by .ci/run)
# Needs python3 (the results are read with its json module) and unzip or python3's zipfile.
# The release build is most of the time (minutes on 2 cores). GRADESCOPE_CHECK_DIR=<dir> keeps
# the folder: the next run empties it but for source/.build and unzips the new bundle there,
# so that setup.sh's build is incremental (the archive's members all carry the same date).
set -euo pipefail
cd "$(dirname "$0")/.."
grade="$(cd "$(dirname "${1:-.build/debug/grade}")" && pwd)/$(basename "${1:-.build/debug/grade}")"
[ -x "$grade" ] || { echo "gradescope-bundle-check: no grade at $grade (swift build first)" >&2; exit 1; }

if [ -n "${GRADESCOPE_CHECK_DIR:-}" ]; then
  work="$GRADESCOPE_CHECK_DIR"
  mkdir -p "$work"
  find "$work" -mindepth 1 -maxdepth 1 ! -name autograder -exec rm -rf {} +
  [ -d "$work/autograder" ] && find "$work/autograder" -mindepth 1 -maxdepth 1 ! -name source -exec rm -rf {} +
  [ -d "$work/autograder/source" ] && find "$work/autograder/source" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/gradescope-check.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
student="ann@example.edu"
"$grade" key new --out "$work/course.key" > /dev/null
"$grade" gradescope-bundle rnn-bptt --out "$work/autograder.zip" --key-file "$work/course.key"

# Gradescope unzips the upload into /autograder/source.
root="$work/autograder"
mkdir -p "$root/source"
if command -v unzip > /dev/null; then unzip -q "$work/autograder.zip" -d "$root/source"
else python3 -m zipfile -e "$work/autograder.zip" "$root/source"; fi
[ -z "$(ls -A "$root/source/Tests" 2> /dev/null)" ] && [ ! -e "$root/source/Benchmarks" ] \
  || { echo "gradescope-bundle-check: the bundle carries tests or benchmarks" >&2; exit 1; }
cp "$root/source/run_autograder" "$root/run_autograder"

start=$SECONDS
AUTOGRADER_ROOT="$root" GRADE_TOOLCHAIN=present bash "$root/source/setup.sh" > "$work/setup.log" 2>&1 \
  || { tail -n 40 "$work/setup.log" >&2; echo "gradescope-bundle-check: setup.sh failed" >&2; exit 1; }
echo "gradescope-bundle-check: setup.sh built the bundle in $((SECONDS - start)) s"
built="$root/source/.build/release/grade"

# The submissions, made with the repository's grade (any build gives the same arrays).
mkdir -p "$work/correct" "$work/wrong" "$work/empty" "$work/corrupt"
"$grade" reference rnn-bptt --student "$student" --out "$work/correct/answers.json" --key-file "$work/course.key" > /dev/null
python3 - "$work/correct/answers.json" "$work/wrong/answers.json" <<'PY'
import json, sys
answers = json.load(open(sys.argv[1]))
for item in ("dU", "dW_h"): answers[item]["data"] = [-x for x in answers[item]["data"]]
json.dump(answers, open(sys.argv[2], "w"))
PY
head -c 300 /dev/urandom > "$work/corrupt/answers.npz"

metadata='{"id": 1, "created_at": "2026-01-01T00:00:00Z", "assignment": {"title": "BPTT"}, "users": [{"email": "'"$student"'", "id": 7, "name": "Ann", "sid": "s7"}]}'
for case in correct wrong empty corrupt; do
  rm -rf "$root/submission" "$root/results"
  mkdir -p "$root/submission"
  cp -R "$work/$case/." "$root/submission/"
  printf '%s' "$metadata" > "$root/submission_metadata.json"
  start=$SECONDS
  # As Gradescope runs it: /autograder/run_autograder, the installed grade (no GRADE_BIN).
  env -u GRADE_BIN -u GRADE_STUDENT AUTOGRADER_ROOT="$root" bash "$root/run_autograder" > "$work/$case.log" 2>&1 || true
  cp "$root/results/results.json" "$work/$case.results.json" 2> /dev/null || true
  python3 - "$case" "$work/$case.results.json" "$((SECONDS - start))" <<'PY'
import json, sys
case, path, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
def fail(why):
    print(f"gradescope-bundle-check: {case}: {why}", file=sys.stderr); sys.exit(1)
try: r = json.load(open(path))
except Exception as e: fail(f"no readable results.json ({e})")
# Gradescope's results.json: score and execution_time numbers, output a string, tests a list
# of objects with name, score, max_score, status passed|failed, output and visibility.
num = (int, float)
if not isinstance(r.get("score"), num) or isinstance(r.get("score"), bool): fail(f"score is not a number: {r.get('score')!r}")
if not isinstance(r.get("execution_time"), num) or r["execution_time"] < 0: fail("execution_time is not a non-negative number")
if not isinstance(r.get("output"), str) or not r["output"]: fail("output is not a non-empty string")
if r.get("output_format") not in (None, "text", "html", "simple_format", "md", "ansi"): fail(f"output_format {r['output_format']!r}")
tests = r.get("tests")
if not isinstance(tests, list): fail("tests is not a list")
for t in tests:
    for key, kind in (("name", str), ("score", num), ("max_score", num), ("status", str), ("output", str), ("visibility", str)):
        if not isinstance(t.get(key), kind): fail(f"test {t.get('name')!r}: {key} is missing or not {kind}")
    if t["status"] not in ("passed", "failed"): fail(f"test {t['name']}: status {t['status']!r}")
    if t["visibility"] not in ("hidden", "after_due_date", "after_published", "visible"): fail(f"test {t['name']}: visibility {t['visibility']!r}")
    if not 0 <= t["score"] <= t["max_score"]: fail(f"test {t['name']}: score {t['score']} outside 0…{t['max_score']}")
    if (t["status"] == "passed") != (t["score"] == t["max_score"]): fail(f"test {t['name']}: status {t['status']} with {t['score']}/{t['max_score']}")
total = sum(t["score"] for t in tests)
maximum = sum(t["max_score"] for t in tests)
if tests and abs(total - r["score"]) > 1e-9: fail(f"score {r['score']} is not the sum of the tests' scores {total}")
failed = sorted(t["name"].split(" ")[0] for t in tests if t["status"] == "failed")
if case == "correct":
    if not (len(tests) == 11 and r["score"] == maximum == 19 and not failed): fail(f"expected 19/19 with 11 passed tests, got {r['score']}/{maximum}, failed {failed}")
    if "Self-check" in r["output"]: fail("a Gradescope run called itself a self-check")
elif case == "wrong":
    if not (len(tests) == 11 and 0 < r["score"] < maximum): fail(f"expected a partial score, got {r['score']}/{maximum}")
    for item in ("dU", "dW_h"):
        if item not in failed: fail(f"{item} (sign-flipped) did not fail: failed {failed}")
elif case == "empty":
    if not (r["score"] == 0 and tests == [] and "empty" in r["output"]): fail(f"expected score 0 and the reason, got {r}")
elif case == "corrupt":
    if not (r["score"] == 0 and tests == [] and "could not be read" in r["output"]): fail(f"expected score 0 and 'could not be read', got {r}")
print(f"gradescope-bundle-check: {case:8} score {r['score']:g}/{maximum or 19:g}  ({len(tests)} tests, failed: {', '.join(failed) or 'none'}; {seconds} s)  {r['output'].splitlines()[-1][:90] if case in ('empty', 'corrupt') else ''}")
PY
done
echo "gradescope-bundle-check: the bundle builds from its zip and grades as Gradescope specifies."
