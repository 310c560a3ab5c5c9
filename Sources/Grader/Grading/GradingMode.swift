/// What a report is worth, said in every format.
///
/// ```
/// self-check   no course key: the student's own inputs only, no hidden input set; not a grade
/// graded       with the course key: code also runs on hidden input sets; the points count
/// practice     with the course key, but the rubric gives this kind of submission no credit
///              ("credit": "code-only" and arrays were submitted): checked, 0 points
/// ```
/// Array submissions are computed by the student at inputs the student holds, so no hidden input
/// set can check them: a rubric that must be sure the work is the student's own gives credit to
/// code only (and to formulas, which the grader evaluates at points of its own).
public enum GradingMode: String, Sendable, CaseIterable, Codable {
  case selfCheck = "self-check"
  case graded
  case practice

  /// One sentence for the top of a report.
  public var banner: String {
    switch self {
    case .selfCheck:
      return "Self-check, not a grade: without the course's key your submission was checked at your own inputs (and formulas at random points drawn for this run), no hidden input set was run, and its score counts for nothing."
    case .graded:
      return "Graded run."
    case .practice:
      return "Practice, not graded: this assignment gives credit to code (Swift or Python) only; an array submission is checked for practice and earns 0 points."
    }
  }
}

/// What a submission is, for the rubric's `credit`.
///
/// Formulas earn credit as code does: the grader evaluates them at random points of the model
/// the student never saw, so that numbers typed in cannot pass.
public enum SubmissionKind: String, Sendable {
  /// Arrays (files) computed by the student (alone or beside formulas).
  case arrays
  /// The student's code (Swift or Python), run by the grader (alone or beside formulas).
  case code
  /// Formulas only, evaluated by the grader.
  case formulas
}
