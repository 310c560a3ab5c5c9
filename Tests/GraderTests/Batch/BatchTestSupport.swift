import Foundation
@testable import Grader

/// A report with one item of each kind: pass, a wrong matrix (transposed), NaN, missing,
/// unreadable, and a wrong per-step stack — graded in-process for `student`.
func mixedReport(student: String = "mia") throws -> GradeReport {
  let g = try grader("rnn-bptt")
  var answers = correctAnswers(g, student: student)
  let reference = g.reference(for: student)
  let dW_h = reference["dW_h"]!
  let n = dW_h.shape[0]
  var transposed = dW_h.scalars
  for i in 0..<n { for j in 0..<n { transposed[i * n + j] = dW_h.scalars[j * n + i] } }
  answers["dW_h"] = .value(Tensor(shape: dW_h.shape, scalars: transposed))
  var delta2 = reference["delta2"]!
  delta2.scalars[3] = .nan
  answers["delta2"] = .value(delta2)
  answers["db_1"] = nil
  answers["dE"] = .unreadable("dE.npy is not an array file.")
  var terms = reference["dW_h_terms"]!
  let slice = terms.shape[1] * terms.shape[2]
  for k in 0..<(2 * slice) { terms.scalars[k] = 0 }
  answers["dW_h_terms"] = .value(terms)
  return g.grade(student: student, answers: answers, notes: ["'extra' is not an item of rnn-bptt and was ignored."])
}
