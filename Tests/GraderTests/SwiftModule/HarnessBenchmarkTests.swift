import Foundation
import Testing
@testable import Grader

/// End-to-end cost of grading a Swift submission against a bare `swiftc` of the same files.
///
/// Opt-in (`GRADER_BENCHMARK=1`, see Benchmarks/harness-benchmark.sh): it prints, per assignment
/// and isolation, the median of 3 of
/// ```
/// bare     swiftc Solution.swift Inputs.swift main.swift -o a.out   (main.swift empty, default flags)
/// runner   SwiftModuleRunner.run: copy, one swiftc against the prebuilt harness, every item in its
///          own sandboxed process
/// ```
/// and their ratio; it checks that every item produced a value.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GRADER_BENCHMARK"] == "1" && SwiftModuleFixtures.swiftcAvailable,
                             "set GRADER_BENCHMARK=1 (Benchmarks/harness-benchmark.sh) to measure the Swift runner"))
struct HarnessBenchmarkTests {
  static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

  static func bareCompileSeconds(_ assignment: String) throws -> Double {
    let solution = SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("examples/swift-solution")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bare-swiftc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for name in ["Solution.swift", "Inputs.swift"] {
      try FileManager.default.copyItem(at: solution.appendingPathComponent(name), to: directory.appendingPathComponent(name))
    }
    try "".write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
    let swiftc = try #require(ExecutableLookup.find("swiftc"))
    let start = Date()
    let report = try SandboxedProcess.run(
      executable: swiftc,
      arguments: ["Solution.swift", "Inputs.swift", "main.swift"].map { directory.appendingPathComponent($0).path }
        + ["-o", directory.appendingPathComponent("a.out").path],
      environment: ProcessInfo.processInfo.environment, wallClockSeconds: 300, maxOutputBytes: 1 << 20)
    #expect(report.termination == .exited(0), "\(report.stderrText)")
    return Date().timeIntervalSince(start)
  }

  @Test("the runner end to end against a bare swiftc", arguments: SwiftModuleFixtures.assignmentIDs)
  func runnerAgainstBareSwiftc(assignment: String) throws {
    let spec = try SwiftModuleFixtures.spec(assignment)
    let inputs = SwiftModuleFixtures.randomInputs(spec, seed: 1)
    let files = [SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("examples/swift-solution/Solution.swift")]
    _ = try HarnessToolchain.prepared()
    _ = try Self.bareCompileSeconds(assignment)   // warm the compiler's caches
    let bare = Self.median(try (0..<3).map { _ in try Self.bareCompileSeconds(assignment) })
    for isolation in SwiftModuleFixtures.isolations {
      var totals: [Double] = []
      var compiles: [Double] = []
      var runs: [Double] = []
      for _ in 0..<3 {
        let start = Date()
        let run = SwiftModuleRunner.run(
          files: files, assignmentDirectory: SwiftModuleFixtures.assignmentDirectory(assignment),
          itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: inputs, isolation: isolation)
        totals.append(Date().timeIntervalSince(start))
        compiles.append(run.compileSeconds)
        runs.append(run.runSeconds)
        #expect(spec.itemIDs.allSatisfy { run.outcomes[$0]?.tensor != nil }, "\(run.outcomes)")
      }
      let total = Self.median(totals)
      print(String(
        format: "benchmark %@ %@: bare swiftc %.3f s; runner %.3f s (compile %.3f s, %d items %.3f s); ratio %.2f",
        assignment, isolation.rawValue, bare, total, Self.median(compiles), spec.itemIDs.count, Self.median(runs), total / bare))
    }
  }
}
