import Foundation
@testable import Grader

/// The package's own assignments folder.
let assignmentsRoot = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")

/// Loads a shipped assignment and its rubric.
func shipped(_ id: String) throws -> (Assignment, Rubric) {
  try AssignmentCatalog(root: assignmentsRoot).load(id)
}

func grader(_ id: String) throws -> Autograder {
  let (a, r) = try shipped(id)
  var g = Autograder(assignment: a, rubric: r)
  g.numericSeed = 7
  return g
}

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
