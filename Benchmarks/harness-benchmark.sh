#!/usr/bin/env bash
# Grading a Swift submission end to end (copy, one swiftc against the prebuilt harness module,
# every item in its own sandboxed process) against a bare `swiftc` of the same files, for each
# assignment's worked solution and each isolation available. Prints one line per case:
#   benchmark <assignment> <isolation>: bare swiftc … s; runner … s (compile … s, N items … s); ratio …
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH_PATH:-.build-benchmark}"
GRADER_BENCHMARK=1 swift test --scratch-path "$scratch" --filter HarnessBenchmarkTests 2>&1 \
  | grep -E '^benchmark |✘|error:' || true
