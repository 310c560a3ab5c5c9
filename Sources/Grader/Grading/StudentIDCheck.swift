import Foundation

/// A submission made for another student's inputs: every item fails and no known mistake
/// matches, because the answers are right — for someone else. When that is so, the report says
/// which of the `candidates` (ids the caller can name cheaply: the other identity fields of
/// Gradescope's submission metadata, the ids of a roster) the answers match, or else asks the
/// student to check the id.
///
/// ```
/// nothing passes, no known mistake, item k answered →  compare item k (the assignment's first
///   answered item, e.g. loss) with the reference at each candidate's inputs
/// a candidate matches    "These answers match the inputs of 'ann@x.edu', not of 's7' …"
/// none matches           "Nothing passes and no known mistake matches: check that …"
/// ```
/// The note names ids only, never a reference value; a match at one item is not a grade. Code
/// (Swift, Python) computes at the inputs it is given, whatever the id, and a submission with no
/// answered item says nothing about inputs: neither gets a note. Of a roster larger than
/// `maximumCandidates`, the ids closest in spelling to the student's are compared (a typo, a
/// different case, the e-mail for the sid): the cost is bounded whatever the course's size.
public enum StudentIDCheck {
  /// The most candidates compared, each one reference computed at that id's inputs.
  public static let maximumCandidates = 500

  static let askPrefix = "Nothing passes and no known mistake matches:"
  static let matchPrefix = "These answers match the inputs of "

  /// Whether `note` is one this check wrote.
  public static func isNote(_ note: String) -> Bool { note.hasPrefix(askPrefix) || note.hasPrefix(matchPrefix) }

  /// The note for `report`, or nil when something passes or a mistake was recognised.
  public static func note(for report: GradeReport, grader: Autograder, candidates: [String]) -> String? {
    guard report.isolation == nil, !report.items.isEmpty,
          !report.items.contains(where: { $0.status == .pass || ($0.diagnosis.map { $0.id != Diagnoser.unknownID } ?? false) }),
          let item = report.items.first(where: { $0.submitted != nil && $0.status == .fail }), let submitted = item.submitted
    else { return nil }
    let ask = "\(askPrefix) check that --student '\(report.student)' is the id your inputs were made for (grade inputs \(report.assignment) --student \(report.student) makes them)."
    let tolerance = grader.rubric.entries[item.id]?.tolerance ?? grader.rubric.tolerance
    for candidate in closest(to: report.student, among: candidates) {
      guard let expected = grader.reference(for: candidate)[item.id], expected.scalars.count == submitted.count else { continue }
      let matches = zip(submitted, expected.scalars).allSatisfy { s, r in
        abs(s - r) <= tolerance.absolute + tolerance.relative * abs(r)   // NaN never matches
      }
      if matches {
        return "\(matchPrefix)'\(candidate)', not of '\(report.student)' (the grader compared '\(item.id)'): the inputs were made for another id. Grade them as --student \(candidate), or make the inputs again with grade inputs \(report.assignment) --student \(report.student)."
      }
    }
    return ask
  }

  /// The ids of `candidates` other than `student`, once each, in their order; when there are more
  /// than `maximumCandidates`, those closest to `student` in edit distance (ties in order).
  static func closest(to student: String, among candidates: [String]) -> [String] {
    var seen = Set<String>()
    let others = candidates.filter { !$0.isEmpty && $0 != student && seen.insert($0).inserted }
    guard others.count > maximumCandidates else { return others }
    let target = Array(student.lowercased().unicodeScalars)
    return others.enumerated()
      .map { (distance: editDistance(target, Array($0.element.lowercased().unicodeScalars)), position: $0.offset, id: $0.element) }
      .sorted { ($0.distance, $0.position) < ($1.distance, $1.position) }
      .prefix(maximumCandidates).map(\.id)
  }

  /// The Levenshtein distance of `a` and `b` (ids are short: O(|a|·|b|) is nothing).
  static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    guard !a.isEmpty else { return b.count }
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
      var current = [i + 1] + Array(repeating: 0, count: b.count)
      for (j, y) in b.enumerated() {
        current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
