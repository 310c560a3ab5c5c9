/// What a batch's results say about the class: per item how many pass, and the most common
/// findings, so that an instructor sees which derivation went wrong for whom.
///
/// ```
/// per item     passed · failed · error · missing · in review · pass rate · mean points
/// needs review every (student, item) the grader could not verify: 0 points until an
///              instructor looks (listed first, so that none is forgotten)
/// findings     (item, kind) counted over students, most common first (a submission that
///              cannot be read, or was not graded, is one finding for the whole); kinds:
///              a diagnosed mistake (its id) · wrong shape · transposed · NaN or ±Inf ·
///              wrong values · differs from the numeric gradient · missing · unreadable ·
///              could not be graded (crash or time limit) · code failed
/// ```
/// Deterministic for the same reports (no timings): it is written beside the gradebook.
public struct BatchSummary: Sendable {
  public struct ItemStatistics: Sendable {
    public var id: String
    public var statement: String
    public var passed = 0, failed = 0, errors = 0, missing = 0, review = 0
    public var pointsTotal = 0.0
    public var maxPoints = 0.0

    public var students: Int { passed + failed + errors + missing + review }
    /// passed / students (an item in review is not passed).
    public var passRate: Double { students == 0 ? 0 : Double(passed) / Double(students) }
    public var meanPoints: Double { students == 0 ? 0 : pointsTotal / Double(students) }
  }

  /// One kind of finding on one item, with the students it concerns.
  public struct Finding: Sendable {
    public var item: String
    public var kind: String
    public var description: String
    public var students: [String]
  }

  public var assignment: String
  public var title: String
  public var students: Int
  public var meanScore: Double
  public var medianScore: Double
  public var maxScore: Double
  public var fullMarks: Int
  /// Students none of whose items could be graded (the grading crashed or ran out of time).
  public var ungraded: [String]
  /// The items the grader could not verify, by student: for the course staff to look at.
  public var needsReview: [(student: String, item: String)]
  public var items: [ItemStatistics]
  /// Most common first; ties in item order, then by kind.
  public var findings: [Finding]

  public init(reports: [GradeReport], assignment: Assignment) {
    let reports = reports.sorted { $0.student < $1.student }
    self.assignment = assignment.id
    self.title = assignment.title
    students = reports.count
    // A student not graded (infrastructure) has no score: none of the figures counts them.
    let scored = reports.filter { GradebookStatus($0) != .notGraded }
    let scores = scored.map(\.score).sorted()
    meanScore = scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)
    medianScore = scores.isEmpty ? 0 : (scores[(scores.count - 1) / 2] + scores[scores.count / 2]) / 2
    maxScore = reports.first?.maxScore ?? 0
    fullMarks = scored.filter { $0.maxScore > 0 && $0.score >= $0.maxScore }.count
    ungraded = reports.filter { r in BatchSummary.findings(in: r).first?.kind == "ungraded" && BatchSummary.findings(in: r).first?.item == BatchSummary.wholeSubmission }.map(\.student)

    needsReview = reports.flatMap { r in r.items.filter { $0.status == .review }.map { (student: r.student, item: $0.id) } }
    var stats = assignment.items.map { ItemStatistics(id: $0.id, statement: $0.statement) }
    var found: [String: Finding] = [:]
    var order: [String] = []
    for report in reports {
      for (k, spec) in assignment.items.enumerated() where GradebookStatus(report) != .notGraded {
        guard let item = report.item(spec.id) else { continue }
        stats[k].maxPoints = item.maxPoints
        stats[k].pointsTotal += item.points
        switch item.status {
        case .pass: stats[k].passed += 1
        case .review: stats[k].review += 1
        case .fail: stats[k].failed += 1
        case .error: stats[k].errors += 1
        case .missing: stats[k].missing += 1
        }
      }
      for (item, kind, description) in BatchSummary.findings(in: report) {
        let key = item + "\u{0}" + kind
        if found[key] == nil {
          found[key] = Finding(item: item, kind: kind, description: description, students: [])
          order.append(key)
        }
        found[key]!.students.append(report.student)
      }
    }
    items = stats
    let itemOrder = Dictionary(uniqueKeysWithValues: assignment.items.enumerated().map { ($1.id, $0) })
    findings = order.map { found[$0]! }.sorted { a, b in
      if a.students.count != b.students.count { return a.students.count > b.students.count }
      let ia = itemOrder[a.item] ?? -1, ib = itemOrder[b.item] ?? -1
      if ia != ib { return ia < ib }
      return a.kind < b.kind
    }
  }

  /// The item of a finding about a submission as a whole.
  public static let wholeSubmission = "(whole submission)"

  /// The findings of one report: one for the whole submission when every item has the same
  /// unreadable, ungraded or missing finding (a file that cannot be read is one finding, not one
  /// per item), otherwise one per item that does not pass.
  static func findings(in report: GradeReport) -> [(item: String, kind: String, description: String)] {
    let kinds = report.items.map { (item: $0.id, finding: kind(of: $0)) }
    if let first = kinds.first?.finding, ["unreadable", "ungraded", "missing"].contains(first.kind),
       kinds.allSatisfy({ $0.finding?.kind == first.kind }) {
      let description: String
      switch first.kind {
      case "unreadable": description = "the submission could not be read at all"
      case "ungraded": description = "not graded (infrastructure): the grading could not be completed"
      default: description = "nothing submitted: every item is missing"
      }
      return [(wholeSubmission, first.kind, description)]
    }
    return kinds.compactMap { k in k.finding.map { (k.item, $0.kind, $0.description) } }
  }

  /// The kind of finding of a non-passing item and its description; nil for a pass.
  static func kind(of item: ItemResult) -> (kind: String, description: String)? {
    if item.status == .pass { return nil }
    if let d = item.diagnosis, d.id != Diagnoser.unknownID { return ("mistake:" + d.id, firstSentence(d.message)) }
    switch item.status {
    case .pass: return nil
    case .review: return ("needs-review", "needs review: the grader could not verify its reference")
    case .missing: return ("missing", "not in the submission, or left unfilled")
    case .error:
      if item.message.hasPrefix(BatchRunner.ungradedPrefix(item.id)) { return ("ungraded", "not graded (infrastructure)") }
      if item.message.contains("could not be read") { return ("unreadable", "could not be read (file format, dtype or array name)") }
      if item.submittedDType != nil { return ("dtype", "not floating point") }
      return ("code-failed", "the submitted code failed for this item")
    case .fail:
      if let s = item.submittedShape, let problem = ShapeCheck.problem(submitted: s, expected: item.expectedShape) {
        return problem.contains("transpose") ? ("shape-transposed", "the transpose of the expected shape") : ("shape", "wrong shape")
      }
      if let values = item.submitted, values.contains(where: { !$0.isFinite }) { return ("non-finite", "contains NaN or ±Inf") }
      if item.message.contains("is the transpose of the expected one") { return ("transposed", "the transpose of the expected matrix") }
      if let r = item.reference, !r.comparison.passed { return ("values", "wrong values (differs from the reference)") }
      return ("numeric", "differs from the numeric gradient")
    }
  }

  /// A diagnosis's first sentence: what the mistake is, without the student's own numbers.
  static func firstSentence(_ s: String) -> String {
    guard let end = s.range(of: ". ") else { return s }
    return String(s[..<end.lowerBound]) + "."
  }

  // MARK: Rendering

  public var markdown: String {
    var out = "# Batch summary: \(assignment)\n\n\(title)\n\n"
    out += "- **Students:** \(students)\n"
    out += "- **Mean score:** \(Self.decimal(meanScore)) / \(ItemResult.points(maxScore)) · **median** \(Self.decimal(medianScore))\n"
    out += "- **Full marks:** \(fullMarks) of \(students)\n"
    if !ungraded.isEmpty { out += "- **Not graded** (infrastructure: a crash, a time limit, an I/O error; graded again when the batch runs again; not in the figures): \(ungraded.joined(separator: ", "))\n" }
    if !needsReview.isEmpty {
      out += "\n## Needs review\n\nThe grader could not verify its own reference for these items (its reference and its numeric gradient disagree): they have 0 points until an instructor has looked at them.\n\n| student | item |\n|---|---|\n"
      for r in needsReview { out += "| \(r.student) | `\(r.item)` |\n" }
    }
    out += "\n## Items\n\n| item | pass rate | passed | failed | error | missing | review | mean points | most common finding |\n|---|---|---|---|---|---|---|---|---|\n"
    for s in items {
      let top = findings.first { $0.item == s.id }.map { "\($0.description.replacingOccurrences(of: "|", with: "\\|")) (\($0.students.count))" } ?? "—"
      out += "| `\(s.id)` | \(Self.percent(s.passRate)) | \(s.passed) | \(s.failed) | \(s.errors) | \(s.missing) | \(s.review) | \(Self.decimal(s.meanPoints)) / \(ItemResult.points(s.maxPoints)) | \(top) |\n"
    }
    out += "\n## Most common findings\n\n"
    if findings.isEmpty {
      out += "Every item of every student passes.\n"
    } else {
      out += "| students | item | finding |\n|---|---|---|\n"
      for f in findings.prefix(15) {
        out += "| \(f.students.count) | `\(f.item)` | \(f.description.replacingOccurrences(of: "|", with: "\\|")) |\n"
      }
    }
    return out
  }

  /// `summary.json`: the statistics, the reviews and the findings.
  public var json: String { ReportJSON.encode(Document(self)) }

  struct Document: Encodable {
    struct Review: Encodable { var student: String; var item: String }
    struct Item: Encodable {
      var id: String, passRate: Double, passed: Int, failed: Int, error: Int, missing: Int, review: Int
      var meanPoints: Double, maxPoints: Double
      enum CodingKeys: String, CodingKey {
        case id, passRate = "pass_rate", passed, failed, error, missing, review, meanPoints = "mean_points", maxPoints = "max_points"
      }
    }
    struct FindingDocument: Encodable {
      var item: String, kind: String, description: String, count: Int, students: [String]
    }
    var assignment: String
    var students: Int
    var meanScore: Double, medianScore: Double, maxScore: Double
    var fullMarks: Int
    var ungraded: [String]
    var needsReview: [Review]
    var items: [Item]
    var findings: [FindingDocument]

    enum CodingKeys: String, CodingKey {
      case assignment, students, meanScore = "mean_score", medianScore = "median_score", maxScore = "max_score"
      case fullMarks = "full_marks", ungraded, needsReview = "needs_review", items, findings
    }

    init(_ s: BatchSummary) {
      assignment = s.assignment
      students = s.students
      meanScore = s.meanScore
      medianScore = s.medianScore
      maxScore = s.maxScore
      fullMarks = s.fullMarks
      ungraded = s.ungraded
      needsReview = s.needsReview.map { Review(student: $0.student, item: $0.item) }
      items = s.items.map {
        Item(id: $0.id, passRate: $0.passRate, passed: $0.passed, failed: $0.failed, error: $0.errors, missing: $0.missing,
             review: $0.review, meanPoints: $0.meanPoints, maxPoints: $0.maxPoints)
      }
      findings = s.findings.map { FindingDocument(item: $0.item, kind: $0.kind, description: $0.description, count: $0.students.count, students: $0.students) }
    }
  }

  public static func decimal(_ x: Double) -> String {
    let s = String(format: "%.2f", x)
    return s.hasSuffix(".00") ? String(s.dropLast(3)) : s
  }

  static func percent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
}
