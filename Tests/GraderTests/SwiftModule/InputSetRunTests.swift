import Foundation
import Testing
@testable import Grader

/// Several input sets in one process per item: one result per set, in order; a crash or a limit
/// at a later set keeps the earlier sets' answers and is reported at the set being computed.
///
/// Nested in the serialized `SwiftModuleRunnerTests`, so that its items, which run for seconds
/// under item uids, never overlap that suite's check for processes left behind.
extension SwiftModuleRunnerTests {
  @Suite(.serialized, .enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
  struct InputSetRunTests {
    /// An rnn-bptt submission whose items count the sets they have answered (a global variable
    /// carries over from one set to the next in the item's process) and misbehave at the second.
    static let source = """
      import Foundation

      var answered = 0.0

      func loss(_ p: Inputs) -> Double? {
        answered += 1
        return 1000 * answered + p.E[0][0]
      }

      func dU(_ p: Inputs) -> [[Double]]? {
        answered += 1
        if answered == 2 { fatalError("second set in dU") }
        return [[answered]]
      }

      func db_2(_ p: Inputs) -> [Double]? {
        answered += 1
        if answered == 2 { while true { sleep(1) } }
        return [answered]
      }

      /// At the second set, spins until its own CPU time passes 1000 s: only the CPU-time limit
      /// can stop it, however loaded the machine (the wall clock of `cpuLimits` is far above).
      func dW_h(_ p: Inputs) -> [[Double]]? {
        answered += 1
        var x = 0.0
        if answered == 2 { while clock() < 1000 * clock_t(CLOCKS_PER_SEC) { x += 1 } }
        return [[answered + 0 * x]]
      }

      func dE(_ p: Inputs) -> [[Double]]? {
        answered += 1
        if answered == 2 { exit(0) }
        return [[answered]]
      }

      func dh0(_ p: Inputs) -> [Double]? {
        answered += 1
        return answered == 1 ? nil : [answered]
      }

      func dW_e(_ p: Inputs) -> [[Double]]? { nil }
      func db_1(_ p: Inputs) -> [Double]? { nil }
      func delta1(_ p: Inputs) -> [[Double]]? { nil }
      func delta2(_ p: Inputs) -> [[Double]]? { nil }
      func dW_h_terms(_ p: Inputs) -> [[[Double]]]? { nil }
      """

    /// Per set: 2 s of wall clock, 1 s of CPU.
    static let limits = SandboxLimits(wallClockSeconds: 2, cpuSeconds: 1)
    /// Per set: 1 s of CPU and 40 s of wall clock, so that a CPU-bound item always meets the
    /// CPU-time limit first, even when it gets a fraction of a core on a loaded machine.
    static let cpuLimits = SandboxLimits(wallClockSeconds: 40, cpuSeconds: 1)

    static func submission(_ isolation: Isolation, limits: SandboxLimits = limits) throws -> CompiledSwiftSubmission {
      let key = limits == Self.limits ? "input-sets" : "input-sets-cpu"
      return try SwiftModuleFixtures.compiledOnce(key: key, isolation: isolation, assignment: "rnn-bptt", limits: limits) {
        try SwiftModuleFixtures.writeSubmission(["Solution.swift": source])
      }
    }

    static func failure(_ outcome: SwiftItemOutcome?, _ label: String) -> String {
      if case .failed(let why) = outcome { return why }
      Issue.record("\(label) should have failed, got \(String(describing: outcome))")
      return ""
    }

    @Test("each set gets its own answer, in order, from the worked solution", arguments: SwiftModuleFixtures.isolations)
    func workedSolutionAnswersEverySet(isolation: Isolation) throws {
      let spec = try SwiftModuleFixtures.spec("rnn-canonical")
      let submission = try SwiftModuleFixtures.workedSolution("rnn-canonical", isolation: isolation)
      let sets = (21...23).map { SwiftModuleFixtures.randomInputs(spec, seed: UInt64($0)) }
      let items = ["loss", "dW_hh"]
      let runs = submission.run(itemIDs: items, itemShapes: spec.itemShapes, inputSets: sets)
      #expect(runs.count == 3)
      for (k, inputs) in sets.enumerated() {
        let alone = submission.run(itemIDs: items, itemShapes: spec.itemShapes, inputs: inputs)
        for id in items {
          let value = try #require(runs[k].outcomes[id]?.tensor, "set \(k) \(id): \(String(describing: runs[k].outcomes[id]))")
          #expect(alone.outcomes[id]?.tensor == value, "set \(k) \(id) differs from a run of that set alone")
        }
      }
      #expect(runs[0].outcomes["loss"] != runs[1].outcomes["loss"])
      #expect(submission.run(itemIDs: items, itemShapes: spec.itemShapes, inputSets: []).isEmpty)
    }

    @Test("a crash, a limit or an exit at set 2 keeps set 1's answer and is reported at set 2",
          arguments: SwiftModuleFixtures.isolations)
    func laterSetFailureKeepsEarlierAnswers(isolation: Isolation) throws {
      let spec = try SwiftModuleFixtures.spec("rnn-bptt")
      let sets = (31...33).map { SwiftModuleFixtures.randomInputs(spec, seed: UInt64($0)) }
      let items = ["loss", "dU", "db_2", "dE", "dh0"]
      let start = Date()
      var runs = try Self.submission(isolation).run(itemIDs: items, itemShapes: spec.itemShapes, inputSets: sets)
      let elapsed = Date().timeIntervalSince(start)
      // The CPU-bound item runs under limits whose wall clock cannot come first.
      let cpuRuns = try Self.submission(isolation, limits: Self.cpuLimits).run(itemIDs: ["dW_h"], itemShapes: spec.itemShapes, inputSets: sets)
      for k in runs.indices { runs[k].outcomes["dW_h"] = cpuRuns[k].outcomes["dW_h"] }
      #expect(runs.count == 3)

      // A healthy item answers every set, in order.
      for k in 0..<3 {
        let expected = 1000 * Double(k + 1) + sets[k]["E"]!.scalars[0]
        #expect(runs[k].outcomes["loss"] == .value(Tensor(shape: [], scalars: [expected])), "set \(k)")
      }
      // Set 1 (index 0) keeps its answer whatever happens afterwards.
      for id in ["dU", "db_2", "dW_h", "dE"] {
        #expect(runs[0].outcomes[id]?.tensor?.scalars == [1], "\(id): \(String(describing: runs[0].outcomes[id]))")
      }
      // nil at set 1, a value at set 2.
      guard case .missing = runs[0].outcomes["dh0"] else {
        Issue.record("dh0 at set 1: \(String(describing: runs[0].outcomes["dh0"]))")
        return
      }
      #expect(runs[1].outcomes["dh0"]?.tensor?.scalars == [2])

      // Each failure is reported at the set being computed, with the limits of 3 sets.
      let dU = Self.failure(runs[1].outcomes["dU"], "dU")
      #expect((dU.contains("SIGILL") || dU.contains("SIGTRAP")) && dU.contains("second set in dU"), "\(dU)")
      #expect(Self.failure(runs[1].outcomes["db_2"], "db_2")
              .contains("killed after the 6 s wall-clock limit of 3 input sets (2 s each"))
      let dW_h = Self.failure(runs[1].outcomes["dW_h"], "dW_h")
      #expect(dW_h.contains("3 s CPU-time limit of 3 input sets (1 s each)"), "\(dW_h)")
      #expect(Self.failure(runs[1].outcomes["dE"], "dE").contains("exited before returning a value"))

      // The sets after the failing one were never run.
      for id in ["dU", "db_2", "dW_h", "dE"] {
        #expect(Self.failure(runs[2].outcomes[id], id).hasPrefix("not run: the item's process ended at input set 2 of 3"))
      }
      // One 6 s timeout, two items at a time (a generous bound: the rest takes well under a second).
      #expect(elapsed < 60)
    }

    @Test("a set with a missing input fails at that set only; the others run")
    func badSetFailsAlone() throws {
      let spec = try SwiftModuleFixtures.spec("rnn-canonical")
      let submission = try SwiftModuleFixtures.workedSolution("rnn-canonical")
      var broken = SwiftModuleFixtures.randomInputs(spec, seed: 41)
      broken["W_hh"] = nil
      let good = SwiftModuleFixtures.randomInputs(spec, seed: 42)
      let runs = submission.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputSets: [broken, good])
      #expect(Self.failure(runs[0].outcomes["loss"], "loss").contains("Input W_hh was not given"))
      #expect(runs[1].outcomes["loss"]?.tensor
              == submission.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputs: good).outcomes["loss"]?.tensor)
    }

    @Test("limits scale with the number of sets, and the sentences say so")
    func limitsScale() {
      let limits = SandboxLimits(wallClockSeconds: 10, cpuSeconds: 4)
      let three = limits.scaled(forInputSets: 3)
      #expect(three.wallClockSeconds == 30 && three.cpuSeconds == 12)
      #expect(three.memoryBytes == limits.memoryBytes && three.maxFileBytes == limits.maxFileBytes)
      #expect(limits.scaled(forInputSets: 1) == limits)
      let timeout = ItemEnding.sentence(termination: .signaled(SIGKILL), timedOut: true, stderr: "", limits: limits,
                                        inputSets: 2, signalsAsExitStatus: false)
      #expect(timeout.hasPrefix("killed after the 20 s wall-clock limit of 2 input sets (10 s each; an endless loop"))
      let single = ItemEnding.sentence(termination: .signaled(SIGKILL), timedOut: true, stderr: "", limits: limits,
                                       signalsAsExitStatus: false)
      #expect(single.hasPrefix("killed after the 10 s wall-clock limit (an endless loop"))
      let cpu = ItemEnding.sentence(termination: .signaled(SIGXCPU), timedOut: false, stderr: "", limits: limits,
                                    inputSets: 2, signalsAsExitStatus: false)
      #expect(cpu == "stopped by SIGXCPU at the 8 s CPU-time limit of 2 input sets (4 s each)")
    }

    @Test("the generated main answers the sets in order and records each before the next")
    func generatedMainLoopsOverSets() {
      let main = HarnessSupportSource.main(inputs: [AssignmentInput(name: "x", rank: 1, isInteger: false)], itemIDs: ["dx"])
      let loop = main.range(of: "for __gradingSet in 0..<__gradingHarness.setCount {")
      let select = main.range(of: "__gradingHarness.select(set: __gradingSet)")
      let submit = main.range(of: "case \"dx\": __gradingHarness.submit(dx(__gradingInputs))")
      let done = main.range(of: "__gradingHarness.done()")
      #expect(loop != nil && select != nil && submit != nil && done != nil, "\(main)")
      if let loop, let select, let submit, let done {
        #expect(loop.upperBound <= select.lowerBound && select.upperBound <= submit.lowerBound && submit.upperBound <= done.lowerBound)
      }
    }
  }
}
