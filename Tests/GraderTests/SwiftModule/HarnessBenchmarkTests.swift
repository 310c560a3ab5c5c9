import Foundation
import Testing
@testable import Grader

/// End-to-end cost of grading a Swift submission against a bare `swiftc` of the same files.
///
/// Opt-in (`GRADER_BENCHMARK=1`, see Benchmarks/harness-benchmark.sh): it prints, per assignment
/// and isolation, the median of 7 of
/// ```
/// bare     swiftc Solution.swift Inputs.swift main.swift -o a.out   (main.swift empty, default flags)
/// wmo      the same with -wmo, the whole-module mode the runner compiles in (for comparison)
/// runner   SwiftModuleRunner.run: copy, one swiftc against the prebuilt harness, every item in its
///          own sandboxed process
/// ```
/// and the median of the ratios runner / bare taken round by round; it checks that every item
/// produced a value. The measurements are interleaved (bare, wmo, then the runner under each
/// isolation, seven rounds) and each ratio pairs measurements taken seconds apart, so that load
/// from other processes on the machine falls on both sides alike. What a grading process does once,
/// whatever the number of submissions (build the harness module, probe bwrap, list the runtime
/// libraries a chroot needs), is done before timing.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GRADER_BENCHMARK"] == "1" && SwiftModuleFixtures.swiftcAvailable,
                             "set GRADER_BENCHMARK=1 (Benchmarks/harness-benchmark.sh) to measure the Swift runner"))
struct HarnessBenchmarkTests {
  static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

  static func bareCompileSeconds(_ assignment: String, flags: [String] = []) throws -> Double {
    // The student's file and the starter's helper: what a student compiles by hand.
    let root = SwiftModuleFixtures.assignmentDirectory(assignment)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bare-swiftc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for path in ["examples/swift-solution/Solution.swift", "starter/Inputs.swift"] {
      let source = root.appendingPathComponent(path)
      try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent(source.lastPathComponent))
    }
    try "".write(to: directory.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
    let swiftc = try #require(ExecutableLookup.find("swiftc"))
    let start = Date()
    let report = try SandboxedProcess.run(
      executable: swiftc,
      arguments: flags + ["Solution.swift", "Inputs.swift", "main.swift"].map { directory.appendingPathComponent($0).path }
        + ["-o", directory.appendingPathComponent("a.out").path],
      environment: ProcessInfo.processInfo.environment, wallClockSeconds: 300, maxOutputBytes: 1 << 20)
    #expect(report.termination == .exited(0), "\(report.stderrText)")
    return Date().timeIntervalSince(start)
  }

  struct RunnerTimes {
    var totals: [Double] = []
    var compiles: [Double] = []
    var runs: [Double] = []
    /// runner / bare of the same round.
    var ratios: [Double] = []
  }

  static let rounds = 7

  @Test("the runner end to end against a bare swiftc", arguments: SwiftModuleFixtures.assignmentIDs)
  func runnerAgainstBareSwiftc(assignment: String) throws {
    let spec = try SwiftModuleFixtures.spec(assignment)
    let inputs = SwiftModuleFixtures.randomInputs(spec, seed: 1)
    let files = [SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("examples/swift-solution/Solution.swift")]
    let loaded = try SwiftModuleFixtures.assignment(assignment)
    let runner = { (isolation: Isolation) -> SwiftModuleRun in
      SwiftModuleRunner.run(
        files: files, assignment: loaded,
        itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: inputs, isolation: isolation)
    }
    // Once per grading process, and the compiler's caches.
    let toolchain = try HarnessToolchain.prepared()
    _ = HarnessRuntime.listed(for: toolchain)
    _ = try Self.bareCompileSeconds(assignment)
    for isolation in SwiftModuleFixtures.isolations { _ = runner(isolation) }

    var bare: [Double] = []
    var wmo: [Double] = []
    var times = [Isolation: RunnerTimes]()
    for _ in 0..<Self.rounds {
      let bareSeconds = try Self.bareCompileSeconds(assignment)
      bare.append(bareSeconds)
      wmo.append(try Self.bareCompileSeconds(assignment, flags: ["-wmo"]))
      for isolation in SwiftModuleFixtures.isolations {
        let start = Date()
        let run = runner(isolation)
        let total = Date().timeIntervalSince(start)
        times[isolation, default: RunnerTimes()].totals.append(total)
        times[isolation, default: RunnerTimes()].ratios.append(total / bareSeconds)
        times[isolation, default: RunnerTimes()].compiles.append(run.compileSeconds)
        times[isolation, default: RunnerTimes()].runs.append(run.runSeconds)
        #expect(spec.itemIDs.allSatisfy { run.outcomes[$0]?.tensor != nil }, "\(run.outcomes)")
      }
    }
    let bareMedian = Self.median(bare)
    for isolation in SwiftModuleFixtures.isolations {
      let t = times[isolation, default: RunnerTimes()]
      print(String(
        format: "benchmark %@ %@: bare swiftc %.3f s (-wmo %.3f s); runner %.3f s (compile %.3f s, %d items %.3f s); ratio %.2f",
        assignment, isolation.rawValue, bareMedian, Self.median(wmo), Self.median(t.totals), Self.median(t.compiles),
        spec.itemIDs.count, Self.median(t.runs), Self.median(t.ratios)))
    }
  }
}
