/// The gradebook of a batch as CSV: one row per student, sorted by student id.
///
/// ```
/// student,score,max_score,<item 1>,<item 2>,…
/// alice,17,19,1,2,1,3,2,1,2,1,1,0,3
/// ```
/// Points are written as whole numbers, or with two decimals when fractional. There are no
/// timestamps or timings, so the same results always give the same bytes. Fields holding a comma,
/// a quote or a line break are quoted (RFC 4180); lines end in `\n`.
public enum Gradebook {
  public static func csv(_ reports: [GradeReport], items: [String]) -> String {
    var out = (["student", "score", "max_score"] + items).map(field).joined(separator: ",") + "\n"
    for report in reports.sorted(by: { $0.student < $1.student }) {
      var row = [report.student, ItemResult.points(report.score), ItemResult.points(report.maxScore)]
      for id in items {
        row.append(report.item(id).map { ItemResult.points($0.points) } ?? "")
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
