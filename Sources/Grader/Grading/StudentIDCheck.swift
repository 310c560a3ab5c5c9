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
/// The note names ids only, never a reference value; a match at one item is not a grade.
public enum StudentIDCheck {
  static let askPrefix = "Nothing passes and no known mistake matches:"
  static let matchPrefix = "These answers match the inputs of "

  /// Whether `note` is one this check wrote.
  public static func isNote(_ note: String) -> Bool { note.hasPrefix(askPrefix) || note.hasPrefix(matchPrefix) }

  /// The note for `report`, or nil when something passes or a mistake was recognised.
  public static func note(for report: GradeReport, grader: Autograder, candidates: [String]) -> String? {
    guard !report.items.isEmpty,
          !report.items.contains(where: { $0.status == .pass || ($0.diagnosis.map { $0.id != Diagnoser.unknownID } ?? false) }) else { return nil }
    let ask = "\(askPrefix) check that --student '\(report.student)' is the id your inputs were made for (grade inputs \(report.assignment) --student \(report.student) makes them)."
    guard let item = report.items.first(where: { $0.submitted != nil && $0.status == .fail }), let submitted = item.submitted else { return ask }
    let tolerance = grader.rubric.entries[item.id]?.tolerance ?? grader.rubric.tolerance
    for candidate in candidates where candidate != report.student && !candidate.isEmpty {
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
}
