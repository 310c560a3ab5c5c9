// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "GradientGrader",
  products: [
    .library(name: "Jacobians", targets: ["Jacobians"]),
    .library(name: "BPTTReference", targets: ["BPTTReference"]),
    .library(name: "Grader", targets: ["Grader"]),
    .executable(name: "grade", targets: ["grade"]),
  ],
  targets: [
    // MARK: - Reference libraries

    /// Dense matrices and every feed-forward gradient of the lecture notes, explicitly.
    .target(name: "Jacobians"),
    /// The RNN language model and backpropagation through time.
    .target(name: "BPTTReference", dependencies: ["Jacobians"]),

    // MARK: - Grading

    /// zlib, for the deflated members of `.npz` archives.
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .target(name: "Grader", dependencies: ["Jacobians", "BPTTReference", "CZlib"]),
    /// The command line, a thin shell over `Grader`.
    .executableTarget(name: "grade", dependencies: ["Grader"]),

    // MARK: - Benchmarks

    /// `swift run -c release bptt-benchmark`: RNN-LM forward and gradient times against NumPy.
    .executableTarget(
      name: "bptt-benchmark", dependencies: ["BPTTReference", "Jacobians"],
      path: "Benchmarks/BPTTBenchmark", exclude: ["numpy_rnn.py"]),

    // MARK: - Tests

    .target(name: "TestSupport", dependencies: ["Jacobians"], path: "Tests/TestSupport"),
    .testTarget(name: "JacobiansTests", dependencies: ["Jacobians", "TestSupport"]),
    .testTarget(name: "BPTTReferenceTests", dependencies: ["BPTTReference", "TestSupport"]),
    .testTarget(name: "GraderTests", dependencies: ["Grader", "TestSupport"], resources: [.copy("Fixtures")]),
    /// End-to-end runs of the built `grade` binary.
    .testTarget(name: "GradeCLITests", dependencies: ["grade", "Grader"]),
  ],
  swiftLanguageModes: [.v5]
)
