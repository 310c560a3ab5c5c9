import Jacobians

/// Hidden input sets: inputs a student never sees, on which students' code is run as well.
///
/// ```
/// hidden set k of student s   SplitMix64 seeded with HMAC-SHA256(course key,
///                             "hidden-inputs\0<assignment>\0<s>\0<k>")   (`CourseKey`)
/// ```
/// Only the holder of the course key can compute them; without it there is none (a self-check).
/// A graded run of code uses `hiddenInputSetCount` of them: the rubric's `hidden_inputs`, at
/// least 1. An item that passes at the student's own inputs passes only if, at every hidden set,
/// it also agrees with the reference (entry by entry, the rubric's tolerance). The numeric
/// self-check is not repeated there: it has already vouched for the reference at the student's
/// inputs. A failure there names the entry and the relative error, never an expected value.
extension Autograder {
  /// The inputs of hidden set `k` (0-based) of `student`; nil without the course key.
  public func hiddenInputs(for student: String, set k: Int) -> [String: Tensor]? {
    guard let courseKey else { return nil }
    var rng = SplitMix64(seed: courseKey.hiddenInputsSeed(assignment: assignment.id, student: student, set: k))
    return model.generateInputs(using: &rng)
  }

  /// How many hidden sets students' code runs on: none without the key, else the rubric's
  /// `hidden_inputs` and at least 1.
  public var hiddenInputSetCount: Int {
    courseKey == nil ? 0 : Swift.max(rubric.hiddenInputSets, 1)
  }

  /// Re-checks every passing item of `report` on hidden input sets. `runs[k]` holds the inputs of
  /// set k and what the student's code returned there.
  public func applyHiddenChecks(to report: inout GradeReport, runs: [(inputs: [String: Tensor], answers: [String: SubmittedAnswer])]) {
    guard !runs.isEmpty else { return }
    let references = runs.map { model.reference(inputs: $0.inputs) }
    // Items answered by formulas were already checked at random points of their own.
    for index in report.items.indices where report.items[index].status == .pass && !report.items[index].internalError && report.items[index].formula == nil {
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
    case .formula?: return "a formula is checked at random points of its own, not at hidden input sets"
    case .value(let t)?:
      if let problem = ShapeCheck.problem(submitted: t.shape, expected: shape) { return "it \(problem)" }
      let c = EntryComparison.compare(submitted: t.scalars, expected: expected.scalars, shape: shape, tolerance: tolerance)
      if c.passed { return nil }
      // No absolute error: where the submission is 0 it would be the hidden reference's entry.
      return "it differs from the reference in \(c.failingEntries) of \(expected.count) entries (worst at \(index(c.worstIndex)), max rel error \(number(c.maxRelError)))"
    }
  }
}
