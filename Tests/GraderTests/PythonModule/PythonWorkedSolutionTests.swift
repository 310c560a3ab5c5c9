import Foundation
import Testing
@testable import Grader

/// The shipped Python starters and worked solutions, run through the real sandbox: the starter
/// answers nothing; the worked solution passes every item of every shipped assignment for 20
/// students, graded with the course key (their own inputs and a hidden set each); a solution that
/// reproduces the arrays of its own inputs fails the hidden sets.
///
/// Nested in the serialized `SwiftModuleRunnerTests`, so that its items, which run under item
/// uids, never overlap that suite's check for processes left behind.
extension SwiftModuleRunnerTests {
  @Suite(.serialized, .enabled(if: PythonModuleFixtures.pythonAvailable, PythonModuleFixtures.pythonMissingMessage))
  struct PythonWorkedSolutionTests {
    @Test("the Python starter reports every item missing", arguments: shippedAssignments)
    func starterReportsEveryItemMissing(id: String) throws {
      let spec = try SwiftModuleFixtures.spec(id)
      let run = try PythonModuleFixtures.starter(id).run(
        itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: try grader(id).inputs(for: "starter"))
      for item in spec.itemIDs {
        guard case .missing(let why) = run.outcomes[item] else {
          Issue.record("\(id) \(item): \(String(describing: run.outcomes[item]))")
          continue
        }
        #expect(why == "\(item) returned None: not answered yet (expected \(Tensor.describe(spec.itemShapes[item]!)))")
      }
    }

    /// Grades `runs` (each student's own set, then its hidden sets) as `SubmissionGrading` does.
    static func reports(_ g: Autograder, students: [String], runs: [SwiftModuleRun], items: [String]) -> [GradeReport] {
      let perStudent = 1 + g.hiddenInputSetCount
      return students.enumerated().map { index, student in
        let own = runs[index * perStudent]
        var report = g.grade(student: student, answers: SubmissionGrading.answers(of: own, items: items), kind: .code)
        let hidden = (1..<perStudent).map { k in
          (inputs: g.hiddenInputs(for: student, set: k - 1)!, answers: SubmissionGrading.answers(of: runs[index * perStudent + k], items: items))
        }
        g.applyHiddenChecks(to: &report, runs: hidden)
        return report
      }
    }

    /// Every student's own inputs, then its hidden sets, in one list.
    static func inputSets(_ g: Autograder, students: [String]) -> [[String: Tensor]] {
      students.flatMap { student in
        [g.inputs(for: student)] + (0..<g.hiddenInputSetCount).map { g.hiddenInputs(for: student, set: $0)! }
      }
    }

    @Test("the worked Python solution passes every item for 20 students, graded with the key", arguments: shippedAssignments)
    func workedSolutionPassesFor20Students(id: String) throws {
      let g = try grader(id, key: testKey)
      #expect(g.hiddenInputSetCount >= 1)
      let spec = try SwiftModuleFixtures.spec(id)
      let students = (1...20).map { "python-\($0)" }
      let prepared = try PythonModuleFixtures.workedSolution(id)
      let runs = prepared.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputSets: Self.inputSets(g, students: students))
      #expect(prepared.isolationUsed != "none")
      for report in Self.reports(g, students: students, runs: runs, items: spec.itemIDs) {
        #expect(report.mode == .graded)
        for item in report.items where item.status != .pass {
          Issue.record("\(id) \(report.student) \(item.id): \(item.message)")
        }
        #expect(report.score == report.maxScore, "\(id) \(report.student)")
        #expect(report.notes.contains { $0.contains("hidden input set") })
      }
    }

    /// A solution.py whose every function returns the reference at `student`'s own inputs.
    static func precomputed(_ g: Autograder, student: String) -> String {
      func literal(_ scalars: ArraySlice<Double>, _ shape: ArraySlice<Int>) -> String {
        guard let first = shape.first else { return "\(scalars.first!)" }
        let stride = scalars.count / max(first, 1)
        return "[" + (0..<first).map { k in
          literal(scalars[(scalars.startIndex + k * stride)..<(scalars.startIndex + (k + 1) * stride)], shape.dropFirst())
        }.joined(separator: ", ") + "]"
      }
      var source = "import numpy as np\n"
      for (id, value) in g.reference(for: student).sorted(by: { $0.key < $1.key }) {
        source += "\n\ndef \(id)(**inputs):\n    return np.array(\(literal(value.scalars[...], value.shape[...])))\n"
      }
      return source
    }

    @Test("arrays precomputed for the student's own inputs pass a self-check but fail the hidden sets of a graded run",
          arguments: ["rnn-bptt", "backprop-basics"])
    func precomputedArraysFailTheHiddenSets(id: String) throws {
      let graded = try grader(id, key: testKey)
      let spec = try SwiftModuleFixtures.spec(id)
      let student = "copycat"
      let prepared = try PythonModuleFixtures.preparedOnce(key: "precomputed-\(id)", assignment: id) {
        try PythonModuleFixtures.writeSubmission(["solution.py": Self.precomputed(graded, student: student)])
      }
      let runs = prepared.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputSets: Self.inputSets(graded, students: [student]))
      let selfCheck = try grader(id).grade(student: student, answers: SubmissionGrading.answers(of: runs[0], items: spec.itemIDs), kind: .code)
      #expect(selfCheck.allPassed, "at its own inputs every item is right")
      let report = try #require(Self.reports(graded, students: [student], runs: runs, items: spec.itemIDs).first)
      #expect(report.score == 0)
      for item in report.items {
        #expect(item.status == .fail, "\(id) \(item.id)")
        #expect(item.message.contains("is right at your inputs but not at the hidden input set"), "\(id) \(item.id): \(item.message)")
      }
    }

    @Test("graded end to end by SubmissionGrading: a .py file, its hidden set, the isolation in the report")
    func gradedThroughSubmissionGrading() throws {
      let g = try grader("window-lm", key: testKey)
      let solution = SwiftModuleFixtures.assignmentDirectory("window-lm").appendingPathComponent("examples/python-solution/solution.py")
      let report = try SubmissionGrading.grade(solution, student: "through", with: g)
      #expect(report.allPassed, "\(report.items.map(\.message))")
      #expect(report.mode == .graded)
      #expect(report.isolation?.isEmpty == false)
      #expect(report.notes.contains("Your code was also run on 1 hidden input set."))
    }

    @Test("a module that cannot be imported fails every item with the student's line, noted once")
    func importFailure() throws {
      let url = try PythonModuleFixtures.writeSubmission(["solution.py": "import numpy as np\n\ndef loss(tokens:\n    return 1\n"])
      let report = try SubmissionGrading.grade(url, student: "syntax", with: try grader("window-lm"))
      #expect(report.items.allSatisfy { $0.status == .error })
      let message = try #require(report.items.first?.message)
      #expect(message.contains("solution.py could not be imported: SyntaxError at solution.py, line 3"), "\(message)")
      #expect(report.notes.contains { $0.hasPrefix("The submission could not be imported, so no item ran") })
    }

    @Test("an input missing from a set fails that set only; an item id that is no Python identifier fails without running")
    func badRequests() throws {
      let spec = try SwiftModuleFixtures.spec("window-lm")
      let prepared = try PythonModuleFixtures.workedSolution("window-lm")
      let g = try grader("window-lm")
      var broken = g.inputs(for: "b")
      broken["U"] = nil
      let runs = prepared.run(itemIDs: ["loss", "not-an-id"], itemShapes: spec.itemShapes, inputSets: [g.inputs(for: "a"), broken])
      #expect(runs[0].outcomes["loss"]?.tensor?.shape == [])
      #expect(runs[1].outcomes["loss"] == .failed("not run: Input U was not given, so the submission cannot be run."))
      #expect(runs[0].outcomes["not-an-id"] == .failed("not run: item id not-an-id is not a Python identifier, so no function can answer it"))
    }
  }
}
