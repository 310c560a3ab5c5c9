// swift-tools-version: 6.0
import Foundation
import PackageDescription

// MARK: - Build-machine CPU

/// The matrix products of `Jacobians` in AVX2 with fused multiply-add: `-target-cpu haswell` for
/// the target's Swift code, and `JACOBIANS_AVX2_FMA` selects the 6 × 8 register tile of
/// `MatrixProduct`. Only when /proc/cpuinfo of the machine running this build lists every
/// feature the compiler may then emit on its own, so the binary always runs where it was built.
/// Anywhere else (macOS, ARM, older x86, or `JACOBIANS_PORTABLE=1` in the environment, e.g. when
/// the binary is copied to other machines) the target keeps the default, portable code.
let jacobiansSwiftSettings: [SwiftSetting] = {
  let required = ["sse4_1", "sse4_2", "ssse3", "popcnt", "cx16", "lahf_lm", "avx", "avx2", "fma",
                  "f16c", "bmi1", "bmi2", "abm", "movbe"]
  guard ProcessInfo.processInfo.environment["JACOBIANS_PORTABLE"] == nil,
        let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
  else { return [] }
  let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
  guard required.allSatisfy(flags.contains) else { return [] }
  return [.define("JACOBIANS_AVX2_FMA"), .unsafeFlags(["-Xfrontend", "-target-cpu", "-Xfrontend", "haswell"])]
}()

let package = Package(
  name: "GradientGrader",
  products: [
    .library(name: "Jacobians", targets: ["Jacobians"]),
    .library(name: "BPTTReference", targets: ["BPTTReference"]),
    .library(name: "NGram", targets: ["NGram"]),
    .library(name: "Formulas", targets: ["Formulas"]),
    .library(name: "Digest", targets: ["Digest"]),
    .library(name: "Grader", targets: ["Grader"]),
    .library(name: "GradeCLI", targets: ["GradeCLI"]),
    .executable(name: "grade", targets: ["grade"]),
  ],
  targets: [
    // MARK: - Reference libraries

    /// Dense matrices and every feed-forward gradient of the lecture notes, explicitly.
    .target(name: "Jacobians", dependencies: ["CPrefetch"], swiftSettings: jacobiansSwiftSettings),
    /// The compiler's cache-prefetch hint as an inline C function (a header only: nothing to
    /// link), for the matrix products of `Jacobians`.
    .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
    /// The RNN language model and backpropagation through time.
    .target(name: "BPTTReference", dependencies: ["Jacobians"]),
    /// N-gram language models: counting, MLE, add-k smoothing, back-off, perplexity.
    .target(name: "NGram", dependencies: ["Jacobians"]),

    // MARK: - Students' formulas

    /// Students' matrix-calculus formulas: parsed (plain, LaTeX, Unicode), shape-checked in
    /// dimension symbols, evaluated at bindings, printed as text, LaTeX and MathML.
    .target(name: "Formulas", dependencies: ["Jacobians"]),

    // MARK: - Digests

    /// SHA-256 and HMAC-SHA256, for seeds and secrets derived from a course key.
    .target(name: "Digest"),

    // MARK: - Grading

    /// zlib, for the deflated members of `.npz` archives.
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .target(name: "Grader", dependencies: ["Jacobians", "BPTTReference", "NGram", "Formulas", "CZlib", "Digest"]),
    /// The `grade` commands over `Grader`: parsing, calling the library, printing (through
    /// injected streams), and the exchange with the batch's child processes.
    .target(name: "GradeCLI", dependencies: ["Grader", "Formulas"]),
    /// The executable: a few lines around `GradeCLI`.
    .executableTarget(name: "grade", dependencies: ["GradeCLI"]),

    // MARK: - Benchmarks

    /// `swift run -c release bptt-benchmark`: RNN-LM forward and gradient times against NumPy.
    .executableTarget(
      name: "bptt-benchmark", dependencies: ["BPTTReference", "Jacobians"],
      path: "Benchmarks/BPTTBenchmark", exclude: ["numpy_rnn.py"]),
    /// `swift run -c release diagnosis-benchmark`: the time to diagnose a failing item, at the
    /// shipped sizes and at T = 35, H = 256, |V| = 10000.
    .executableTarget(name: "diagnosis-benchmark", dependencies: ["Grader", "Jacobians"], path: "Benchmarks/DiagnosisBenchmark"),
    /// `swift run -c release lstm-benchmark`: LSTM and GRU forward and gradient times against NumPy.
    .executableTarget(
      name: "lstm-benchmark", dependencies: ["BPTTReference", "Jacobians"],
      path: "Benchmarks/GateBenchmark", exclude: ["numpy_gates.py"]),
    /// `swift run -c release numeric-benchmark`: grading a correct submission at real sizes — the
    /// numeric check per item, `grade check` time and peak memory, beside PyTorch's and JAX's checks.
    .executableTarget(
      name: "numeric-benchmark", dependencies: ["GradeCLI", "Grader", "BPTTReference", "Jacobians"],
      path: "Benchmarks/NumericBenchmark", exclude: ["autograd_checks.py"]),
    /// `swift run -c release formula-benchmark`: parse, shape-check and evaluate typical formulas,
    /// then grade formula items through the grader at the shipped sizes.
    .executableTarget(
      name: "formula-benchmark", dependencies: ["Formulas", "Jacobians", "Grader"], path: "Benchmarks/FormulaBenchmark"),

    // MARK: - Tests

    .target(name: "TestSupport", dependencies: ["Jacobians"], path: "Tests/TestSupport"),
    .testTarget(name: "JacobiansTests", dependencies: ["Jacobians", "TestSupport"]),
    .testTarget(name: "BPTTReferenceTests", dependencies: ["BPTTReference", "TestSupport"]),
    .testTarget(name: "NGramTests", dependencies: ["NGram", "TestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "DigestTests", dependencies: ["Digest"]),
    .testTarget(name: "FormulasTests", dependencies: ["Formulas", "BPTTReference", "TestSupport"]),
    .testTarget(name: "GraderTests", dependencies: ["Grader", "NGram", "Digest", "Formulas", "TestSupport"], resources: [.copy("Fixtures")]),
    /// End-to-end runs of the built `grade` binary.
    .testTarget(name: "GradeCLITests", dependencies: ["grade", "GradeCLI", "Grader"]),
  ],
  swiftLanguageModes: [.v5]
)
