/// The gradebook of a batch as CSV: one row per student, sorted by student id.
///
/// ```
/// student,score,max_score,status,<item 1>,<item 2>,…
/// alice,17,19,graded,1,2,1,3,2,1,2,1,1,0,3
/// bob,,19,not-graded,,,…
/// ```
/// `status` tells a real score from one that is not (yet) a grade (`GradebookStatus`): a 0 for a
/// file that could not be read or a grading that crashed is not a 0 for wrong answers, and a
/// score with an item in review may still go up. A student not graded has no score at all: the
/// score and item cells are empty (the grader concluded nothing; the next run grades them). Points are written as whole numbers, or with two
/// decimals when fractional. There are no timestamps or timings, so the same results always give
/// the same bytes. Fields holding a comma, a quote or a line break are quoted (RFC 4180); lines
/// end in `\n`.
public enum Gradebook {
  public static func csv(_ reports: [GradeReport], items: [String]) -> String {
    var out = (["student", "score", "max_score", "status"] + items).map(field).joined(separator: ",") + "\n"
    for report in reports.sorted(by: { $0.student < $1.student }) {
      let status = GradebookStatus(report)
      let scored = status != .notGraded
      var row = [report.student, scored ? ItemResult.points(report.score) : "", ItemResult.points(report.maxScore), status.rawValue]
      for id in items {
        row.append(scored ? report.item(id).map { ItemResult.points($0.points) } ?? "" : "")
      }
      out += row.map(field).joined(separator: ",") + "\n"
    }
    return out
  }

  static func field(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// What a student's row of the gradebook is, the first that applies:
///
/// ```
/// not-graded     the grader could not do its part (infrastructure: an I/O error, a full disk,
///                a crash, a time limit; see logs/): no score, graded again next run
/// unreadable     the submission could not be read at all
/// needs-review   some item could not be verified by the grader: 0 points until an instructor looks
/// practice       the rubric gives this kind of submission no credit ("credit": "code-only")
/// self-check     a batch run with --self-check, without the course key: nothing is a grade
/// graded         a grade
/// ```
public enum GradebookStatus: String, Sendable, CaseIterable {
  case notGraded = "not-graded"
  case unreadable
  case needsReview = "needs-review"
  case practice
  case selfCheck = "self-check"
  case graded

  public init(_ report: GradeReport) {
    let whole = BatchSummary.findings(in: report).first { $0.item == BatchSummary.wholeSubmission }?.kind
    if whole == "ungraded" { self = .notGraded }
    else if whole == "unreadable" { self = .unreadable }
    else if report.items.contains(where: { $0.status == .review }) { self = .needsReview }
    else if report.mode == .practice { self = .practice }
    else if report.mode == .selfCheck { self = .selfCheck }
    else { self = .graded }
  }
}
