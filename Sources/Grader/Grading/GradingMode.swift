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
/// code only.
public enum GradingMode: String, Sendable, CaseIterable, Codable {
  case selfCheck = "self-check"
  case graded
  case practice

  /// One sentence for the top of a report.
  public var banner: String {
    switch self {
    case .selfCheck:
      return "Self-check, not a grade: your submission was checked at your own inputs only (no hidden input set was run), and its score counts for nothing."
    case .graded:
      return "Graded run."
    case .practice:
      return "Practice, not graded: this assignment gives credit to code (Swift or Python) only; an array submission is checked for practice and earns 0 points."
    }
  }
}

/// What a submission is, for the rubric's `credit`.
public enum SubmissionKind: String, Sendable {
  /// Arrays (files) computed by the student.
  case arrays
  /// The student's code (Swift or Python), run by the grader.
  case code
}
