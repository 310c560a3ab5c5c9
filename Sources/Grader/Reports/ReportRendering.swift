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
  /// `width` wraps the text report for a terminal of that many columns (`TerminalWrapping.width()`);
  /// no other format is ever wrapped.
  public func rendered(_ format: ReportFormat, color: Bool = false, showHidden: Bool = false, width: Int? = nil) -> String {
    switch format {
    case .text: return textReport(color: color, showHidden: showHidden, width: width)
    case .json: return ReportJSON.encode(jsonDocument(showHidden: showHidden))
    case .markdown: return markdownReport(showHidden: showHidden)
    case .html: return htmlReport(showHidden: showHidden)
    case .junit: return junitReport(showHidden: showHidden)
    case .gradescope: return ReportJSON.encode(gradescopeResults())
    case .prairielearn: return ReportJSON.encode(prairieLearnResults(showHidden: showHidden))
    case .record: return GradeRecord.encode(self)
    }
  }

  // MARK: JSON

  /// `{"assignment", "title", "student", "score", "max_score", "passed", "mode", "items": [{"id",
  /// "status", "points", "max_points", "message", "hidden", "statement", "shape", "reference": {…},
  /// "numeric": {…, "method"}, "diagnosis"}], "notes", "isolation", "seconds"}`
  public func jsonDocument(showHidden: Bool = false) -> ReportDocument {
    ReportDocument(self, showHidden: showHidden)
  }

  // MARK: Text

  /// The text report. `width` wraps it for a terminal of that many columns (`TerminalWrapping`;
  /// nil: lines as long as their content). A submission that did not compile shows the
  /// compiler's errors once, under the score, and each item only where the first error is; a
  /// note on the student id (`StudentIDCheck`) is shown there too.
  func textReport(color: Bool, showHidden: Bool, width: Int? = nil) -> String {
    let style = TerminalStyle(enabled: color)
    func wrapped(_ text: String, indent: Int) -> String {
      guard let width else { return text }
      return TerminalWrapping.wrap(text, width: width, indent: indent)
    }
    var out = wrapped(style.bold("\(assignment) — \(title)"), indent: 2) + "\n"
    out += wrapped("student: \(student)    score: \(ItemResult.points(score))/\(ItemResult.points(maxScore))\(mode == .graded ? "    (graded)" : "")", indent: 2) + "\n"
    if mode != .graded { out += wrapped(style.yellow(mode.banner), indent: 2) + "\n" }
    let compileFailure = self.compileFailure
    // A note on the student id (`StudentIDCheck`) explains every line below it: it comes first.
    let idNotes = notes.filter(StudentIDCheck.isNote)
    for note in idNotes { out += "\n" + wrapped(style.yellow(note), indent: 2) + "\n" }
    if let compileFailure {
      // The heading, then each compiler line indented under it.
      let lines = compileFailure.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        .map { k, line in k == 0 ? wrapped(style.red(String(line)), indent: 2) : wrapped("  " + line, indent: 4) }
      out += "\n" + lines.joined(separator: "\n") + "\n"
    }
    out += "\n"
    let idWidth = items.map(\.id.count).max() ?? 4
    // The findings start after the columns; on a narrow terminal they go under the item instead.
    let column = idWidth + 22
    let below = width.map { column > $0 / 2 } ?? false
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
      let head = "  \(mark)  \(item.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(pts.padding(toLength: 7, withPad: " ", startingAt: 0))"
      let finding = concealed ? "hidden item" : item.message
      if below {
        out += "  \(mark)  \(item.id)  \(pts)\n"
        out += wrapped("      " + finding, indent: 6) + "\n"
      } else {
        out += wrapped(head + finding, indent: column) + "\n"
      }
      if !concealed, let d = item.diagnosis {
        let indent = below ? 6 : column
        out += wrapped(String(repeating: " ", count: indent) + style.yellow("hint: ") + d.hint, indent: indent + 6) + "\n"
      }
    }
    let otherNotes = notes.filter { $0 != compileFailure && !StudentIDCheck.isNote($0) }
    for note in otherNotes { out += "\n" + wrapped("note: \(note)", indent: 6) }
    if !otherNotes.isEmpty { out += "\n" }
    if let isolation { out += "\n" + wrapped("student code ran under: \(isolation)", indent: 4) + "\n" }
    let passed = items.filter { $0.status == .pass }.count
    out += "\n" + wrapped("\(passed) of \(items.count) items pass; score \(ItemResult.points(score))/\(ItemResult.points(maxScore)).", indent: 2) + "\n"
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
      let finding = concealed ? "hidden item" : (item.message.utf8.contains(UInt8(ascii: "|")) ? item.message.replacingOccurrences(of: "|", with: "\\|") : item.message)
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
  public static func points(_ x: Double) -> String {
    x == x.rounded() ? String(Int(x)) : CFormat.string("%.2f", x)
  }
}

/// The `json` report: the report's fields, hidden items concealed, and no reference value unless
/// the report reveals it.
public struct ReportDocument: Encodable {
  public var assignment: String
  public var title: String
  public var student: String
  public var score: Double
  public var maxScore: Double
  public var passed: Bool
  public var mode: GradingMode
  public var items: [Item]
  public var notes: [String]
  public var isolation: String?
  public var seconds: Double

  enum CodingKeys: String, CodingKey {
    case assignment, title, student, score, maxScore = "max_score", passed, mode, items, notes, isolation, seconds
  }

  init(_ report: GradeReport, showHidden: Bool) {
    assignment = report.assignment
    title = report.title
    student = report.student
    score = report.score
    maxScore = report.maxScore
    passed = report.allPassed
    mode = report.mode
    items = report.items.map { Item($0, showHidden: showHidden, revealsReference: report.revealsReference) }
    notes = report.notes
    isolation = report.isolation
    seconds = report.seconds
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(assignment, forKey: .assignment)
    try c.encode(title, forKey: .title)
    try c.encode(student, forKey: .student)
    try c.encode(score, forKey: .score)
    try c.encode(maxScore, forKey: .maxScore)
    try c.encode(passed, forKey: .passed)
    try c.encode(mode, forKey: .mode)
    try c.encode(items, forKey: .items)
    try c.encode(notes, forKey: .notes)
    try c.encode(isolation, forKey: .isolation)   // null when no code ran
    try c.encode(seconds, forKey: .seconds)
  }

  /// One item: a hidden item that is concealed shows only its status and points.
  public struct Item: Encodable {
    public var id: String
    public var status: ItemResult.Status
    public var points: Double
    public var maxPoints: Double
    public var message: String
    public var hidden: Bool
    public var statement: String?
    public var shape: [Int]?
    public var submittedShape: [Int]?
    public var dtype: DType?
    public var formula: FormulaRendering?
    public var reference: Check?
    public var numeric: Check?
    var diagnosis: DiagnosisDocument?

    enum CodingKeys: String, CodingKey {
      case id, status, points, maxPoints = "max_points", message, hidden, statement, shape
      case submittedShape = "submitted_shape", dtype, formula, reference, numeric, diagnosis
    }

    init(_ item: ItemResult, showHidden: Bool, revealsReference: Bool) {
      let concealed = item.hidden && !showHidden
      id = item.id
      status = item.status
      points = item.points
      maxPoints = item.maxPoints
      message = concealed ? "hidden item" : item.message
      hidden = item.hidden
      guard !concealed else { return }
      statement = item.statement
      shape = item.expectedShape
      submittedShape = item.submittedShape
      dtype = item.submittedDType
      formula = item.formula
      reference = item.reference.map { Check($0, revealsReference: revealsReference) }
      numeric = item.numeric.map { Check($0, revealsReference: revealsReference) }
      diagnosis = item.diagnosis.map(DiagnosisDocument.init)
    }
  }

  /// A comparison's fields; the expected value at the worst entry (the reference's, or the
  /// numeric estimate's) and the submitted one beside it only when the reference may be shown.
  public struct Check: Encodable {
    public var maxAbsError: Double
    public var maxRelError: Double
    public var worstIndex: [Int]
    public var worstSubmitted: Double?
    public var worstExpected: Double?
    public var failingEntries: Int
    public var method: String?
    public var forwardPasses: Int?

    enum CodingKeys: String, CodingKey {
      case maxAbsError = "max_abs_error", maxRelError = "max_rel_error", worstIndex = "worst_index"
      case worstSubmitted = "worst_submitted", worstExpected = "worst_expected"
      case failingEntries = "failing_entries", method, forwardPasses = "forward_passes"
    }

    init(_ check: ItemResult.Check, revealsReference: Bool) {
      let c = check.comparison
      maxAbsError = c.maxAbsError
      maxRelError = c.maxRelError
      worstIndex = c.worstIndex
      worstSubmitted = revealsReference ? c.worstSubmitted : nil
      worstExpected = revealsReference ? c.worstExpected : nil
      failingEntries = c.failingEntries
      method = check.method
      forwardPasses = check.forwardPasses
    }
  }
}

/// In the `json` report: the student's own formula, as written and as read — no value at any
/// point. `{"source", "origin", "text", "latex", "points_checked"}`.
extension FormulaRendering: Encodable {
  enum CodingKeys: String, CodingKey {
    case source, origin, text, latex, pointsChecked = "points_checked"
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(source, forKey: .source)
    try c.encodeIfPresent(origin, forKey: .origin)
    try c.encodeIfPresent(text, forKey: .text)
    try c.encodeIfPresent(latex, forKey: .latex)
    try c.encode(pointsChecked, forKey: .pointsChecked)
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
