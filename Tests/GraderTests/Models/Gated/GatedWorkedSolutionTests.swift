import Foundation
import Testing
@testable import Grader

/// The worked solutions of lstm-lm and gru-lm, graded as submissions for 20 students each: the
/// Swift one through the real runner, the NumPy one through python3.
@Suite("Worked solutions of the gated models")
struct GatedWorkedSolutionTests {
  static let assignments = ["lstm-lm", "gru-lm"]
  static let students = (1...20).map { "student-\($0)" }

  @Test("the worked Swift solution passes every item for 20 students", .enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage), arguments: assignments)
  func swiftSolution(assignment: String) throws {
    let g = try grader(assignment)
    let spec = try SwiftModuleFixtures.spec(assignment)
    let submission = try SwiftModuleFixtures.workedSolution(assignment)
    for student in Self.students {
      let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: g.inputs(for: student))
      #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
      let report = g.grade(student: student, answers: SubmissionGrading.answers(of: run, items: spec.itemIDs))
      #expect(report.allPassed, "\(assignment)/\(student): \(report.items.filter { $0.status != .pass }.map(\.message))")
    }
  }

  static let hasNumPy: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import numpy"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  @Test("the worked NumPy solution passes every item for 20 students", .enabled(if: hasNumPy, "python3 with numpy is not available"), arguments: assignments)
  func numpySolution(assignment: String) throws {
    let g = try grader(assignment)
    let script = assignmentsRoot.appendingPathComponent("\(assignment)/examples/solution.py").path
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for student in Self.students {
      let inputs = dir.appendingPathComponent("\(student)-inputs.npz"), answers = dir.appendingPathComponent("\(student)-answers.npz")
      try ArrayFileWriter.write(g.inputs(for: student), to: inputs)
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["python3", script, inputs.path, answers.path]
      try p.run()
      p.waitUntilExit()
      #expect(p.terminationStatus == 0)
      let report = try SubmissionGrading.grade(answers, student: student, with: g)
      #expect(report.allPassed, "\(assignment)/\(student): \(report.items.filter { $0.status != .pass }.map(\.message))")
      #expect(report.items.count == g.assignment.items.count)
    }
  }
}
