#!/usr/bin/env bash
# Grading a Swift submission end to end (copy, one swiftc against the prebuilt harness module,
# every item in its own sandboxed process) against a bare `swiftc` of the same files, for each
# assignment's worked solution and each isolation available; medians of 7 interleaved rounds (see
# Tests/GraderTests/SwiftModule/HarnessBenchmarkTests.swift). Prints one line per case:
#   benchmark <assignment> <isolation>: bare swiftc … s (-wmo … s); runner … s (compile … s, N items … s); ratio …
# ratio = median of runner / bare swiftc (default flags) round by round; the goal is at most 1.3.
# SCRATCH_PATH=.build-<name> Benchmarks/harness-benchmark.sh  builds and runs with that scratch path.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH_PATH:-.build-benchmark}"
GRADER_BENCHMARK=1 swift test --scratch-path "$scratch" --filter HarnessBenchmarkTests 2>&1 \
  | grep -E '^benchmark |✘|error:' || true
