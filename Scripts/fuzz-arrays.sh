#!/usr/bin/env bash
# Fuzzes the readers of students' array files (.npy, .npz, JSON, safetensors) with libFuzzer
# and AddressSanitizer.
#
#   Scripts/fuzz-arrays.sh                  1 000 000 executions
#   Scripts/fuzz-arrays.sh -runs=5000000    any libFuzzer flags instead of the defaults
#
# Compiles Sources/Grader/ArrayFormats/*.swift, Sources/Grader/Tensor.swift and
# Scripts/fuzz/ArrayReaderFuzz.swift with `swiftc -sanitize=fuzzer,address`, writes seed
# inputs made by ArrayFileWriter and a dictionary of the formats' tokens, and runs. Everything
# goes to $FUZZ_WORK (default: $TMPDIR/gradientgrader-fuzz-arrays), nothing into the repository.
# Findings (crashes, traps, ASan reports, allocations over -malloc_limit_mb, inputs slower than
# -timeout seconds) are saved under $FUZZ_WORK/artifacts and make the script exit non-zero.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${FUZZ_WORK:-${TMPDIR:-/tmp}/gradientgrader-fuzz-arrays}
mkdir -p "$work/corpus" "$work/artifacts"

sources=("$root"/Sources/Grader/ArrayFormats/*.swift "$root/Sources/Grader/Tensor.swift" "$root/Scripts/fuzz/ArrayReaderFuzz.swift")
echo "Building $work/fuzz-arrays from ${#sources[@]} files…" >&2
# ld.gold warns that it cannot export ASan's local symbols; those warnings are harmless.
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name ArrayReaderFuzz \
  -I "$root/Sources/CZlib" -lz "${sources[@]}" -o "$work/fuzz-arrays" 2> >(grep -v "Cannot export local symbol" >&2)

# Tokens of the four formats, for libFuzzer's dictionary mutations.
cat > "$work/arrays.dict" <<'DICT'
"\x93NUMPY"
"\x01\x00"
"\x02\x00"
"'descr'"
"'<f8'"
"'fortran_order'"
"'shape'"
"False"
"(4294967296, 4294967296)"
"PK\x03\x04"
"PK\x01\x02"
"PK\x05\x06"
"PK\x06\x06"
"PK\x06\x07"
"\xff\xff\xff\xff"
"\xff\xff\xff\xff\xff\xff\xff\x7f"
"\x01\x00\x18\x00"
"\"shape\""
"\"data\""
"\"dtype\""
"\"data_offsets\""
"\"__metadata__\""
"\"F64\""
"NaN"
"-Infinity"
"1e999"
"[[[[[[[["
"{\"a\":"
DICT

if [ $# -eq 0 ]; then
  set -- -runs=1000000
fi
echo "Fuzzing; findings go to $work/artifacts/" >&2
ARRAY_FUZZ_SEEDS="$work/corpus" "$work/fuzz-arrays" \
  -dict="$work/arrays.dict" -max_len=65536 -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=256 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" "$work/corpus"
