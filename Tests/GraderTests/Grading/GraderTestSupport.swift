import Foundation
@testable import Grader

/// The package's own assignments folder.
let assignmentsRoot = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")

/// Loads a shipped assignment and its rubric.
func shipped(_ id: String) throws -> (Assignment, Rubric) {
  try AssignmentCatalog(root: assignmentsRoot).load(id)
}

/// A self-check grader (no course key) of a shipped assignment, or a graded one with `key`.
func grader(_ id: String, key: CourseKey? = nil) throws -> Autograder {
  let (a, r) = try shipped(id)
  var g = Autograder(assignment: a, rubric: r, courseKey: key)
  g.numericSeed = 7
  return g
}

/// Fixed course keys for the tests (a course makes its own with `grade key new`).
let testKey = try! CourseKey(bytes: Array(0..<32))
let otherTestKey = try! CourseKey(bytes: (0..<32).map { UInt8(255 - $0) })

/// A correct submission: the reference values, as arrays.
func correctAnswers(_ g: Autograder, student: String) -> [String: SubmittedAnswer] {
  g.reference(for: student).mapValues { SubmittedAnswer.value($0) }
}

/// A temporary folder removed when the value goes away is overkill here: tests write under one
/// fresh folder each.
func temporaryDirectory() -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("grade-tests-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

let shippedAssignments = ["backprop-basics", "rnn-bptt", "rnn-canonical", "window-lm", "ngram-lm", "lstm-lm", "gru-lm"]
