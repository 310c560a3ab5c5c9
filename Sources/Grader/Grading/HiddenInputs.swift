import Jacobians

/// Hidden input sets: inputs a student never sees, on which students' code is run as well.
///
/// ```
/// hidden set k of student s   generated from the seed of "assignment/s#hidden-k"
/// ```
/// An item that passes at the student's own inputs passes only if, at every hidden set, it also
/// agrees with the reference (entry by entry, the rubric's tolerance). The numeric self-check is
/// not repeated there: it has already vouched for the reference at the student's inputs.
extension Autograder {
  /// The inputs of hidden set `k` (0-based) of `student`.
  public func hiddenInputs(for student: String, set k: Int) -> [String: Tensor] {
    var rng = StudentVariant.generator(assignment: assignment.id, student: "\(student)#hidden-\(k)")
    return model.generateInputs(using: &rng)
  }

  /// Re-checks every passing item of `report` on hidden input sets. `runs[k]` holds the inputs of
  /// set k and what the student's code returned there.
  public func applyHiddenChecks(to report: inout GradeReport, runs: [(inputs: [String: Tensor], answers: [String: SubmittedAnswer])]) {
    guard !runs.isEmpty else { return }
    let references = runs.map { model.reference(inputs: $0.inputs) }
    for index in report.items.indices where report.items[index].status == .pass && !report.items[index].internalError {
      let item = report.items[index]
      let tolerance = rubric.entry(item.id).tolerance
      for (k, run) in runs.enumerated() {
        guard let expected = references[k][item.id] else { continue }
        if let problem = Self.hiddenProblem(run.answers[item.id], expected: expected, shape: item.expectedShape, tolerance: tolerance) {
          report.items[index].status = .fail
          report.items[index].points = 0
          let which = runs.count == 1 ? "the hidden input set" : "hidden input set \(k + 1) of \(runs.count)"
          report.items[index].message = "'\(item.id)' is right at your inputs but not at \(which): \(problem). Your code must compute the item from its inputs, not reproduce numbers."
          break
        }
      }
    }
    report.notes.append("Your code was also run on \(runs.count) hidden input set\(runs.count == 1 ? "" : "s").")
  }

  /// Nil when the answer agrees with the reference; otherwise what went wrong, as a phrase.
  static func hiddenProblem(_ answer: SubmittedAnswer?, expected: Tensor, shape: [Int], tolerance: Tolerance) -> String? {
    switch answer {
    case nil, .unfilled?: return "it returned nothing"
    case .unreadable(let why)?, .failed(let why)?: return why
    case .value(let t)?:
      if let problem = ShapeCheck.problem(submitted: t.shape, expected: shape) { return "it \(problem)" }
      let c = EntryComparison.compare(submitted: t.scalars, expected: expected.scalars, shape: shape, tolerance: tolerance)
      if c.passed { return nil }
      return "at \(index(c.worstIndex)) it gave \(number(c.worstSubmitted)), expected \(number(c.worstExpected))"
    }
  }
}
