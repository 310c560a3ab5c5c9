import Foundation

/// The report formats of `grade check --format`.
///
/// ```
/// text          for a terminal (colour when it is one)
/// json          the report's fields, hidden items concealed, its mode ("self-check", …)
/// markdown      a table and what to look at
/// html          one self-contained page with pictures (see `htmlReport`)
/// junit         JUnit XML, one test case per item, for CI
/// gradescope    Gradescope's results.json
/// prairielearn  PrairieLearn's external grader results
/// record        everything, values included, as `grade batch` stores it (see `GradeRecord`)
/// ```
/// Every format says what the report is (`GradingMode`: a self-check is not a grade), and none
/// shows a reference value — an expected entry, a numeric estimate, a heat-map value, a
/// derivation's numbers — unless the report `revealsReference` (the rubric's
/// `"feedback": "full"`, or an instructor's view). The record of a graded run keeps everything
/// for the course staff.
public enum ReportFormat: String, CaseIterable, Sendable {
  case text, json, markdown, html, junit, gradescope, prairielearn, record
}

extension GradeReport {
  /// The report in `format`. `showHidden` reveals hidden items' details (for instructors).
  public func rendered(_ format: ReportFormat, color: Bool = false, showHidden: Bool = false) -> String {
    switch format {
    case .text: return textReport(color: color, showHidden: showHidden)
    case .json: return jsonValue(showHidden: showHidden).rendered() + "\n"
    case .markdown: return markdownReport(showHidden: showHidden)
    case .html: return htmlReport(showHidden: showHidden)
    case .junit: return junitReport(showHidden: showHidden)
    case .gradescope: return gradescopeValue().rendered() + "\n"
    case .prairielearn: return prairieLearnValue(showHidden: showHidden).rendered() + "\n"
    case .record: return GradeRecord.encode(self).rendered() + "\n"
    }
  }

  // MARK: JSON

  /// `{"assignment", "student", "score", "max_score", "items": [{"id", "status", "points",
  /// "max_points", "message", "reference": {…}, "numeric": {…, "method"}, "diagnosis"}], …}`
  public func jsonValue(showHidden: Bool = false) -> JSONValue {
    .object([
      ("assignment", .string(assignment)),
      ("title", .string(title)),
      ("student", .string(student)),
      ("score", .number(score)),
      ("max_score", .number(maxScore)),
      ("passed", .bool(allPassed)),
      ("mode", .string(mode.rawValue)),
      ("items", .array(items.map { $0.jsonValue(showHidden: showHidden, revealsReference: revealsReference) })),
      ("notes", .array(notes.map(JSONValue.string))),
      ("isolation", isolation.map(JSONValue.string) ?? .null),
      ("seconds", .number(seconds)),
    ])
  }

  // MARK: Text

  func textReport(color: Bool, showHidden: Bool) -> String {
    let style = TerminalStyle(enabled: color)
    var out = style.bold("\(assignment) — \(title)") + "\n"
    out += "student: \(student)    score: \(ItemResult.points(score))/\(ItemResult.points(maxScore))\(mode == .graded ? "    (graded)" : "")\n"
    if mode != .graded { out += style.yellow(mode.banner) + "\n" }
    out += "\n"
    let width = items.map(\.id.count).max() ?? 4
    for item in items {
      let concealed = item.hidden && !showHidden
      let mark: String
      switch item.status {
      case .pass: mark = style.green("✓ pass   ")
      case .fail: mark = style.red("✗ fail   ")
      case .error: mark = style.red("! error  ")
      case .missing: mark = style.yellow("- missing")
      case .review: mark = style.yellow("? review ")
      }
      let pts = "\(ItemResult.points(item.points))/\(ItemResult.points(item.maxPoints))"
      out += "  \(mark)  \(item.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(pts.padding(toLength: 7, withPad: " ", startingAt: 0))"
      out += concealed ? "hidden item\n" : "\(item.message)\n"
      if !concealed, let d = item.diagnosis {
        out += String(repeating: " ", count: width + 22) + style.yellow("hint: ") + d.hint + "\n"
      }
    }
    for note in notes { out += "\nnote: \(note)" }
    if !notes.isEmpty { out += "\n" }
    if let isolation { out += "\nstudent code ran under: \(isolation)\n" }
    let passed = items.filter { $0.status == .pass }.count
    out += "\n\(passed) of \(items.count) items pass; score \(ItemResult.points(score))/\(ItemResult.points(maxScore)).\n"
    return out
  }

  // MARK: Markdown

  func markdownReport(showHidden: Bool) -> String {
    var out = "# \(assignment): \(title)\n\n"
    out += "**Student:** \(student) · **Score:** \(ItemResult.points(score)) / \(ItemResult.points(maxScore)) · **\(mode == .selfCheck ? "Self-check" : mode == .practice ? "Practice" : "Graded")**\n\n"
    if mode != .graded { out += "> **\(mode.banner)**\n\n" }
    out += "| item | status | points | finding |\n|---|---|---|---|\n"
    for item in items {
      let concealed = item.hidden && !showHidden
      let finding = concealed ? "hidden item" : item.message.replacingOccurrences(of: "|", with: "\\|")
      out += "| `\(item.id)` | \(item.status.rawValue) | \(ItemResult.points(item.points))/\(ItemResult.points(item.maxPoints)) | \(finding) |\n"
    }
    let details = items.filter { !($0.hidden && !showHidden) && ($0.diagnosis != nil || $0.status != .pass) }
    if !details.isEmpty {
      out += "\n## What to look at\n"
      for item in details {
        out += "\n### `\(item.id)` — \(item.statement)\n\n\(item.message)\n"
        if let latex = item.formula?.latex { out += "\nYour formula: $\(latex)$\n" }
        if let d = item.diagnosis { out += "\n> **Hint:** \(d.hint)\n" }
      }
    }
    if !notes.isEmpty { out += "\n## Notes\n\n" + notes.map { "- \($0)" }.joined(separator: "\n") + "\n" }
    return out
  }
}

extension ItemResult {
  func jsonValue(showHidden: Bool, revealsReference: Bool) -> JSONValue {
    let concealed = hidden && !showHidden
    var fields: [(String, JSONValue)] = [
      ("id", .string(id)),
      ("status", .string(status.rawValue)),
      ("points", .number(points)),
      ("max_points", .number(maxPoints)),
      ("message", .string(concealed ? "hidden item" : message)),
      ("hidden", .bool(hidden)),
    ]
    if concealed { return .object(fields) }
    fields.append(("statement", .string(statement)))
    fields.append(("shape", .array(expectedShape.map { .number($0) })))
    if let s = submittedShape { fields.append(("submitted_shape", .array(s.map { .number($0) }))) }
    if let d = submittedDType { fields.append(("dtype", .string(d.rawValue))) }
    if let f = formula { fields.append(("formula", f.jsonValue)) }
    if let r = reference { fields.append(("reference", r.jsonValue(revealsReference: revealsReference))) }
    if let n = numeric { fields.append(("numeric", n.jsonValue(revealsReference: revealsReference))) }
    if let d = diagnosis {
      var diagnosisFields: [(String, JSONValue)] = [("id", .string(d.id)), ("message", .string(d.message)), ("hint", .string(d.hint))]
      if let step = d.divergesFromStep { diagnosisFields.append(("diverges_from_step", .number(step))) }
      if let steps = d.divergingSteps { diagnosisFields.append(("diverging_steps", .array(steps.map { .number($0) }))) }
      fields.append(("diagnosis", .object(diagnosisFields)))
    }
    return .object(fields)
  }

  public static func points(_ x: Double) -> String {
    x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
  }
}

extension FormulaRendering {
  /// `{"source", "origin", "text", "latex", "points_checked"}`: the student's own formula, as
  /// written and as read (no value of any point).
  var jsonValue: JSONValue {
    var fields: [(String, JSONValue)] = [("source", .string(source))]
    if let origin { fields.append(("origin", .string(origin))) }
    if let text { fields.append(("text", .string(text))) }
    if let latex { fields.append(("latex", .string(latex))) }
    fields.append(("points_checked", .number(pointsChecked)))
    return .object(fields)
  }
}

extension ItemResult.Check {
  /// The comparison's fields; the expected value at the worst entry (the reference's, or the
  /// numeric estimate's) and the submitted one beside it only when the reference may be shown.
  func jsonValue(revealsReference: Bool) -> JSONValue {
    var fields: [(String, JSONValue)] = [
      ("max_abs_error", .number(comparison.maxAbsError)),
      ("max_rel_error", .number(comparison.maxRelError)),
      ("worst_index", .array(comparison.worstIndex.map { .number($0) })),
    ]
    if revealsReference {
      fields.append(("worst_submitted", .number(comparison.worstSubmitted)))
      fields.append(("worst_expected", .number(comparison.worstExpected)))
    }
    fields.append(("failing_entries", .number(comparison.failingEntries)))
    if let method { fields.append(("method", .string(method))) }
    if let forwardPasses { fields.append(("forward_passes", .number(forwardPasses))) }
    return .object(fields)
  }
}

/// ANSI colours, only when writing to a terminal and `NO_COLOR` is unset.
public struct TerminalStyle {
  var enabled: Bool

  public static func shouldColor(fileDescriptor: Int32 = 1) -> Bool {
    isatty(fileDescriptor) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
  }

  func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
  func bold(_ s: String) -> String { wrap(s, "1") }
  func green(_ s: String) -> String { wrap(s, "32") }
  func red(_ s: String) -> String { wrap(s, "31") }
  func yellow(_ s: String) -> String { wrap(s, "33") }
}
