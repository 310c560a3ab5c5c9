import Foundation
import Testing
@testable import Grader

/// Hostile and broken submissions: each misbehaving item is contained and reported against that
/// item, and the other items still produce values, under every isolation path available here.
///
/// Serialized, so that the check for processes left behind sees only its own run's fork loop.
@Suite(.serialized, .enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
struct SwiftModuleRunnerTests {
  /// One rnn-bptt submission whose items each misbehave differently.
  static func hostileSource() -> String {
    let sources = SwiftModuleFixtures.repository.appendingPathComponent("Sources").path
    return """
    import Foundation

    func loss(_ p: Inputs) -> Double? { Double(p.T) }

    func dU(_ p: Inputs) -> [[Double]]? {
      fatalError("deliberate failure in dU")
    }

    func db_2(_ p: Inputs) -> [Double]? {
      var x = 0.0
      while x >= 0 { x += 1 }
      return [x]
    }

    func dW_h(_ p: Inputs) -> [[Double]]? {
      let huge = [Double](repeating: 1, count: 50_000_000_000 / 8)
      return [[huge[12_345]]]
    }

    /// Counts the files outside its directory it managed to read: the reference sources, this
    /// submission's own sources, and any other submission's.
    func dW_e(_ p: Inputs) -> [[Double]]? {
      var paths = ["\(sources)/Grader/Tensor.swift", "\(sources)/BPTTReference/BPTT.swift",
                   "../../../../src/Solution.swift", "../../../../src/main.swift", "/etc/passwd"]
      let fm = FileManager.default
      for name in (try? fm.contentsOfDirectory(atPath: "/tmp")) ?? [] {
        if name.hasPrefix("swift-submission-") { paths.append("/tmp/\\(name)/src/Solution.swift") }
        if name.hasPrefix("swift-module-tests-") {
          for inner in (try? fm.contentsOfDirectory(atPath: "/tmp/\\(name)")) ?? [] where inner.hasPrefix("swift-submission-") {
            paths.append("/tmp/\\(name)/\\(inner)/src/Solution.swift")
          }
        }
      }
      var read = 0.0
      for path in paths {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { read += 1 }
      }
      return [[read]]
    }

    /// Prints forged answers in the result file's format and as JSON, then answers nothing.
    func db_1(_ p: Inputs) -> [Double]? {
      let fortyTwo = String((42.0).bitPattern, radix: 16)
      print("grading-result 1 db_1")
      print("value 1 \\(p.H) " + Array(repeating: fortyTwo, count: p.H).joined(separator: " "))
      print(#"{"db_1": {"shape": [5], "data": [42, 42, 42, 42, 42]}}"#)
      return nil
    }

    func dE(_ p: Inputs) -> [[Double]]? {
      while true { _ = fork() }
    }

    func deep(_ n: Int) -> Int { n == 0 ? 0 : 1 + deep(n - 1) }

    func dh0(_ p: Inputs) -> [Double]? { [Double(deep(1 << 40))] }

    func delta1(_ p: Inputs) -> [[Double]]? {
      (0..<p.T).map { t in (0..<p.V).map { v in Double(t * 100 + v) } }
    }

    func delta2(_ p: Inputs) -> [[Double]]? { [[1, 2], [3]] }

    func dW_h_terms(_ p: Inputs) -> [[[Double]]]? { [[[.nan, .infinity]]] }
    """
  }

  static let hostileLimits = SandboxLimits(wallClockSeconds: 3, cpuSeconds: 10, maxProcesses: 16)

  static func hostileRun(_ isolation: Isolation, items: [String]? = nil) throws -> (SwiftModuleRun, String) {
    let source = hostileSource()
    let spec = try SwiftModuleFixtures.spec("rnn-bptt")
    let submission = try SwiftModuleFixtures.compiledOnce(
      key: "hostile", isolation: isolation, assignment: "rnn-bptt", limits: hostileLimits
    ) { try SwiftModuleFixtures.writeSubmission(["Solution.swift": source]) }
    let run = submission.run(
      itemIDs: items ?? spec.itemIDs, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 7))
    return (run, source)
  }

  @Test("every misbehaving item is contained and reported against itself", arguments: SwiftModuleFixtures.isolations)
  func hostileItemsAreContained(isolation: Isolation) throws {
    let start = Date()
    let (run, source) = try Self.hostileRun(isolation)
    let elapsed = Date().timeIntervalSince(start)
    #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
    if isolation == .bubblewrap { #expect(run.isolationUsed.hasPrefix("bubblewrap")) }
    if isolation == .rlimits { #expect(run.isolationUsed.hasPrefix("rlimits")) }
    let failure = { (id: String) -> String in
      if case .failed(let why) = run.outcomes[id] { return why }
      Issue.record("\(id) should have failed, got \(String(describing: run.outcomes[id]))")
      return ""
    }

    // Healthy items still produce their values.
    #expect(run.outcomes["loss"] == .value(Tensor(shape: [], scalars: [6])))
    let delta1 = try #require(run.outcomes["delta1"]?.tensor)
    #expect(delta1.shape == [6, 10])
    #expect(delta1.scalars[13] == 103)

    // fatalError: SIGILL/SIGTRAP, with the student's file and line.
    let fatalLine = source.split(separator: "\n", omittingEmptySubsequences: false)
      .firstIndex { $0.contains("fatalError(\"deliberate") }! + 1
    let dU = failure("dU")
    #expect(dU.contains("SIGILL") || dU.contains("SIGTRAP"), "\(dU)")
    #expect(dU.contains("Solution.swift:\(fatalLine): Fatal error: deliberate failure in dU"), "\(dU)")
    #expect(!dU.contains("/tmp"), "\(dU)")

    // Endless loop: killed at the wall clock.
    #expect(failure("db_2").contains("3 s wall-clock limit"))

    // 50 GB allocation: out of memory under the address-space limit.
    #expect(failure("dW_h").contains("ran out of memory under the 2 GiB address-space limit"))

    // Reading files outside its directory: nothing could be read.
    if run.isolationUsed.contains("no file-system isolation") {
      #expect(run.outcomes["dW_e"]?.tensor != nil)
    } else {
      #expect(run.outcomes["dW_e"] == .value(Tensor(shape: [1, 1], scalars: [0])))
    }

    // Forged answers on stdout are not taken: the item returned nil, so it is missing.
    guard case .missing = run.outcomes["db_1"] else {
      Issue.record("db_1 should be missing, got \(String(describing: run.outcomes["db_1"]))")
      return
    }

    // Fork loop: contained by the process limit and killed with its whole group at the wall clock.
    #expect(failure("dE").contains("wall-clock limit"))

    // Stack overflow: SIGSEGV.
    #expect(failure("dh0").contains("SIGSEGV"))

    // Ragged array: reported, not a tensor.
    #expect(failure("delta2").contains("ragged"))

    // NaN and Inf pass through for the grader to fail.
    let terms = try #require(run.outcomes["dW_h_terms"]?.tensor)
    #expect(terms.shape == [1, 1, 2])
    #expect(terms.scalars[0].isNaN && terms.scalars[1] == .infinity)

    // Two 3 s timeouts, two at a time, then cleanup: well under the sum of every limit.
    #expect(elapsed < 30)
  }

  @Test("a fork loop leaves no process behind", arguments: SwiftModuleFixtures.isolations)
  func forkLoopLeavesNothingBehind(isolation: Isolation) throws {
    let (run, _) = try Self.hostileRun(isolation, items: ["dE"])
    guard case .failed(let why) = run.outcomes["dE"] else {
      Issue.record("dE should have failed, got \(String(describing: run.outcomes["dE"]))")
      return
    }
    #expect(why.contains("wall-clock limit"))
    // The item ran under a uid of its own; none of its processes may be alive once the run returned.
    guard SandboxPlan.isRoot, let uid = run.itemUIDs["dE"] else { return }
    #expect(ProcessSweep.processes(ofUID: uid).isEmpty, "processes of the item's uid \(uid) are left")
  }

  @Test("a trap raised inside the standard library is placed at the student's line", arguments: SwiftModuleFixtures.isolations)
  func trapIsPlacedAtTheStudentsLine(isolation: Isolation) throws {
    let source = """
      func loss(_ p: Inputs) -> Double? { Double(p.T) }

      func rows(_ n: Int) -> [[Double]] { [[Double]](repeating: [0], count: n) }

      func dU(_ p: Inputs) -> [[Double]]? {
        let r = rows(p.T)
        return [r[p.T]]
      }

      func db_2(_ p: Inputs) -> [Double]? {
        let missing: [Double]? = nil
        return missing!
      }

      """
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    let indexLine = lines.firstIndex { $0.contains("r[p.T]") }! + 1
    let unwrapLine = lines.firstIndex { $0.contains("missing!") }! + 1
    let spec = try SwiftModuleFixtures.spec("rnn-bptt")
    let submission = try SwiftModuleFixtures.compiledOnce(key: "trap", isolation: isolation, assignment: "rnn-bptt") {
      try SwiftModuleFixtures.writeSubmission(["Solution.swift": source])
    }
    let run = submission.run(itemIDs: ["loss", "dU", "db_2"], itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 3))
    #expect(run.outcomes["loss"]?.tensor != nil)
    // The runtime names the standard library's file for the index, the student's for the unwrap.
    for (id, line, message) in [("dU", indexLine, "Index out of range, at "), ("db_2", unwrapLine, ": Fatal error: Unexpectedly found nil")] {
      guard case .failed(let why) = run.outcomes[id] else {
        Issue.record("\(id) should have failed, got \(String(describing: run.outcomes[id]))")
        continue
      }
      #expect(why.contains(message) && why.contains("Solution.swift:\(line)"), "\(id): \(why)")
      #expect(!why.contains("ContiguousArrayBuffer") && !why.contains("/tmp"), "\(id): \(why)")
    }
  }

  @Test("a function not written, or of another signature, costs only its own item", arguments: SwiftModuleFixtures.isolations)
  func partialSubmissionCompiles(isolation: Isolation) throws {
    let source = """
      func loss(_ p: Inputs) -> Double? { Double(p.T) }
      func dW_h(_ T: Int) -> [[Double]]? { [[Double(T)]] }
      func dh0(_ p: Inputs) -> [Double]? { [Double](repeating: 2, count: p.H) }
      """
    let spec = try SwiftModuleFixtures.spec("rnn-bptt")
    let submission = try SwiftModuleFixtures.compiledOnce(key: "partial", isolation: isolation, assignment: "rnn-bptt") {
      try SwiftModuleFixtures.writeSubmission(["Solution.swift": source])
    }
    let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 3))
    #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
    #expect(run.outcomes["loss"] == .value(Tensor(shape: [], scalars: [6])))
    #expect(run.outcomes["dh0"]?.tensor?.scalars.allSatisfy { $0 == 2 } == true)
    guard case .failed(let signature) = run.outcomes["dW_h"] else {
      Issue.record("dW_h should have failed, got \(String(describing: run.outcomes["dW_h"]))")
      return
    }
    #expect(signature.contains("expected `func dW_h(_ p: Inputs) -> [[Double]]?`") && !signature.contains("main.swift"), "\(signature)")
    for id in spec.itemIDs where !["loss", "dW_h", "dh0"].contains(id) {
      guard case .missing(let why) = run.outcomes[id] else {
        Issue.record("\(id) should be missing, got \(String(describing: run.outcomes[id]))")
        continue
      }
      #expect(why.contains("\(id) is not defined"), "\(why)")
    }
  }

  @Test("a compile error is reported with the student's file and line", arguments: SwiftModuleFixtures.isolations)
  func compileErrorIsReported(isolation: Isolation) throws {
    let starter = try String(
      contentsOf: SwiftModuleFixtures.assignmentDirectory("backprop-basics").appendingPathComponent("starter/Solution.swift"),
      encoding: .utf8)
    let broken = starter + "\nfunc extra() -> Int {\n  return undefinedName\n}\n"
    let line = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("undefinedName") }! + 1
    let spec = try SwiftModuleFixtures.spec("backprop-basics")
    let submission = try SwiftModuleFixtures.compiledOnce(key: "compile-error", isolation: isolation, assignment: "backprop-basics") {
      try SwiftModuleFixtures.writeSubmission(["Solution.swift": broken])
    }
    let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 1))
    let first = try #require(run.compileErrors.first)
    #expect(first.hasPrefix("Solution.swift:\(line):"), "\(first)")
    #expect(first.contains("error: cannot find 'undefinedName' in scope"), "\(first)")
    #expect(!run.compileErrors.joined().contains("/tmp/"))
    for id in spec.itemIDs {
      guard case .failed(let why) = run.outcomes[id] else {
        Issue.record("\(id): \(String(describing: run.outcomes[id]))")
        continue
      }
      #expect(why.contains("did not compile"))
    }
  }

  @Test("the starter's helper files replace submitted copies, and a submitted main.swift is ignored")
  func helperFilesComeFromTheStarter() throws {
    let directory = SwiftModuleFixtures.assignmentDirectory("rnn-canonical")
    let solution = try String(contentsOf: directory.appendingPathComponent("examples/swift-solution/Solution.swift"), encoding: .utf8)
    let files = try SwiftModuleFixtures.writeSubmission([
      "Solution.swift": solution,
      "Inputs.swift": "struct Inputs { let forged: Int }\n",
      "main.swift": "print(\"not the harness\")\n",
    ])
    let spec = try SwiftModuleFixtures.spec("rnn-canonical")
    let run = SwiftModuleRunner.run(
      files: files, assignment: try SwiftModuleFixtures.assignment("rnn-canonical"), itemIDs: ["loss", "dh0"], itemShapes: spec.itemShapes,
      inputs: SwiftModuleFixtures.randomInputs(spec, seed: 3))
    #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
    #expect(run.outcomes["loss"]?.tensor?.shape == [])
    #expect(run.outcomes["dh0"]?.tensor?.shape == [5])
    #expect(run.notes.contains { $0.contains("Inputs.swift was replaced by the starter's copy") })
    #expect(run.notes.contains { $0.contains("main.swift was ignored") })
  }

  @Test("missing inputs and unknown item ids fail without running")
  func badRequestsFail() throws {
    let spec = try SwiftModuleFixtures.spec("rnn-canonical")
    let submission = try SwiftModuleFixtures.workedSolution("rnn-canonical")
    var inputs = SwiftModuleFixtures.randomInputs(spec, seed: 5)
    inputs["W_hh"] = nil
    let run = submission.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputs: inputs)
    guard case .failed(let why) = run.outcomes["loss"] else {
      Issue.record("\(String(describing: run.outcomes["loss"]))")
      return
    }
    #expect(why.contains("Input W_hh was not given"))
    let unknown = submission.run(itemIDs: ["dQ", "not an id"], itemShapes: [:], inputs: SwiftModuleFixtures.randomInputs(spec, seed: 5))
    #expect(unknown.outcomes["dQ"] == .failed("not run: the submission was compiled without item dQ"))
    guard case .failed(let notID) = unknown.outcomes["not an id"] else {
      Issue.record("\(String(describing: unknown.outcomes["not an id"]))")
      return
    }
    #expect(notID.contains("not a Swift identifier"))
  }
}
