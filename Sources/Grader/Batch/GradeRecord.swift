import Foundation

/// One student's complete grading result as a batch stores it (`results/<student>.json`):
/// every field of the `GradeReport`, hidden items included, with the submitted and expected
/// values, so that reports and pictures can be drawn again without grading again. It is the
/// course staff's copy: the reports students see are rendered from it with the rubric's policy.
///
/// ```
/// {"format": "grade-record-2", "assignment", "title", "student", "score", "max_score",
///  "seconds", "isolation", "mode", "reveals_reference", "notes": […],
///  "items": [{"id", "statement", "status", "points", "max_points", "message", "hidden",
///             "expected_shape", "submitted_shape", "dtype", "internal_error",
///             "reference": {comparison}, "numeric": {comparison, "method", "forward_passes"},
///             "diagnosis": {"id", "message", "hint", "diverges_from_step", "diverging_steps"},
///             "submitted": […], "expected": […]}],
///  "provenance": {"grader_version", "assignment_sha256", "rubric_sha256", "submission_sha256"}}
/// ```
/// `provenance` (`GradeProvenance`) is written by a batch; a record without it is of a run
/// outside a batch, or of an older grader.
/// Written and read by `GradeRecordJSON`, byte for byte as `ReportJSON` (Foundation's Codable)
/// writes it, which reads whatever that reader does not take: numbers in their shortest
/// round-trip spelling, so decoding gives back the same doubles; NaN and ±Inf are the strings
/// "NaN", "Infinity", "-Infinity".
///
/// The reference values (`expected`, and the expected value at the worst entry of each check)
/// are kept when the record is of a run with the course key — only the course staff has one —
/// or when the report may show them anyway; a self-check's record, which anyone can make,
/// leaves them out unless the rubric's feedback is `full`.
public enum GradeRecord {
  public static let format = "grade-record-2"

  /// Whether the record of `report` keeps the reference values.
  public static func keepsReference(_ report: GradeReport) -> Bool {
    report.mode != .selfCheck || report.revealsReference
  }

  /// The record of `report`, as JSON (`GradeRecordJSON`: the bytes `ReportJSON.encode` writes).
  public static func encode(_ report: GradeReport) -> String {
    String(decoding: encodedBytes(report), as: UTF8.self)
  }

  /// The record of `report`, as the UTF-8 bytes of `encode`.
  public static func encodedBytes(_ report: GradeReport) -> [UInt8] {
    GradeRecordJSON.encode(Document(report))
  }

  /// The record through Foundation's encoder (`ReportJSON`): what `encode` writes, the slow way.
  static func foundationEncode(_ report: GradeReport) -> String {
    ReportJSON.encode(Document(report))
  }

  /// The report stored in `data`; throws when it is not a complete record.
  public static func decode(_ data: Data) throws(GradeRecordError) -> GradeReport {
    // The fast reader takes every record `encode` writes; anything else is Foundation's to read
    // (or to refuse, with its reason).
    let document: Document
    if let fast = GradeRecordJSON.decode(data) { document = fast } else { document = try foundationDocument(data) }
    guard document.format == format else { throw .invalid(path: "format", expected: "\"\(format)\"") }
    return document.report
  }

  /// The report stored in `data`, read by Foundation's decoder alone (what `decode` gives).
  static func foundationDecode(_ data: Data) throws(GradeRecordError) -> GradeReport {
    let document = try foundationDocument(data)
    guard document.format == format else { throw .invalid(path: "format", expected: "\"\(format)\"") }
    return document.report
  }

  static func foundationDocument(_ data: Data) throws(GradeRecordError) -> Document {
    let document: Document
    do {
      document = try ReportJSON.decode(Document.self, from: data)
    } catch let error as DecodingError {
      throw GradeRecordError(error)
    } catch {
      throw .notJSON
    }
    return document
  }

  // MARK: The document

  struct Document: Codable {
    var format: String
    var assignment: String
    var title: String
    var student: String
    var score: Double
    var maxScore: Double
    var seconds: Double
    var isolation: String?
    var mode: GradingMode
    var revealsReference: Bool
    var notes: [String]
    var items: [Item]
    var provenance: GradeProvenance?

    enum CodingKeys: String, CodingKey {
      case format, assignment, title, student, score, maxScore = "max_score", seconds, isolation, mode
      case revealsReference = "reveals_reference", notes, items, provenance
    }

    init(
      format: String, assignment: String, title: String, student: String, score: Double, maxScore: Double, seconds: Double,
      isolation: String?, mode: GradingMode, revealsReference: Bool, notes: [String], items: [Item], provenance: GradeProvenance?
    ) {
      self.format = format
      self.assignment = assignment
      self.title = title
      self.student = student
      self.score = score
      self.maxScore = maxScore
      self.seconds = seconds
      self.isolation = isolation
      self.mode = mode
      self.revealsReference = revealsReference
      self.notes = notes
      self.items = items
      self.provenance = provenance
    }

    init(_ report: GradeReport) {
      let keep = GradeRecord.keepsReference(report)
      format = GradeRecord.format
      assignment = report.assignment
      title = report.title
      student = report.student
      score = report.score
      maxScore = report.maxScore
      seconds = report.seconds
      isolation = report.isolation
      mode = report.mode
      revealsReference = report.revealsReference
      notes = report.notes
      items = report.items.map { Item($0, reference: keep) }
      provenance = report.provenance
    }

    var report: GradeReport {
      var report = GradeReport(
        assignment: assignment, title: title, student: student, items: items.map(\.result), notes: notes,
        seconds: seconds, isolation: isolation, mode: mode, revealsReference: revealsReference)
      report.provenance = provenance
      return report
    }
  }

  struct Item: Codable {
    var id: String
    var statement: String
    var status: ItemResult.Status
    var points: Double
    var maxPoints: Double
    var message: String
    var hidden: Bool
    var expectedShape: [Int]
    var internalError: Bool
    var submittedShape: [Int]?
    var dtype: DType?
    var reference: Check?
    var numeric: Check?
    var diagnosis: DiagnosisDocument?
    var submitted: [Double]?
    var expected: [Double]?

    enum CodingKeys: String, CodingKey {
      case id, statement, status, points, maxPoints = "max_points", message, hidden, expectedShape = "expected_shape"
      case internalError = "internal_error", submittedShape = "submitted_shape", dtype, reference, numeric, diagnosis
      case submitted, expected
    }

    init(
      id: String, statement: String, status: ItemResult.Status, points: Double, maxPoints: Double, message: String,
      hidden: Bool, expectedShape: [Int], internalError: Bool, submittedShape: [Int]?, dtype: DType?, reference: Check?,
      numeric: Check?, diagnosis: DiagnosisDocument?, submitted: [Double]?, expected: [Double]?
    ) {
      self.id = id
      self.statement = statement
      self.status = status
      self.points = points
      self.maxPoints = maxPoints
      self.message = message
      self.hidden = hidden
      self.expectedShape = expectedShape
      self.internalError = internalError
      self.submittedShape = submittedShape
      self.dtype = dtype
      self.reference = reference
      self.numeric = numeric
      self.diagnosis = diagnosis
      self.submitted = submitted
      self.expected = expected
    }

    init(_ item: ItemResult, reference keep: Bool) {
      id = item.id
      statement = item.statement
      status = item.status
      points = item.points
      maxPoints = item.maxPoints
      message = item.message
      hidden = item.hidden
      expectedShape = item.expectedShape
      internalError = item.internalError
      submittedShape = item.submittedShape
      dtype = item.submittedDType
      reference = item.reference.map { Check($0, reference: keep) }
      numeric = item.numeric.map { Check($0, reference: keep) }
      diagnosis = item.diagnosis.map(DiagnosisDocument.init)
      submitted = item.submitted
      expected = keep ? item.expected : nil
    }

    var result: ItemResult {
      var item = ItemResult(
        id: id, statement: statement, status: status, points: points, maxPoints: maxPoints,
        message: message, hidden: hidden, expectedShape: expectedShape)
      item.submittedShape = submittedShape
      item.submittedDType = dtype
      item.reference = reference?.check
      item.numeric = numeric?.check
      item.diagnosis = diagnosis?.diagnosis
      item.submitted = submitted
      item.expected = expected
      return item
    }
  }

  struct Check: Codable {
    var maxAbsError: Double
    var maxRelError: Double
    var worstIndex: [Int]
    var worstSubmitted: Double
    var worstExpected: Double?
    var passed: Bool
    var failingEntries: Int
    var method: String?
    var forwardPasses: Int?

    enum CodingKeys: String, CodingKey {
      case maxAbsError = "max_abs_error", maxRelError = "max_rel_error", worstIndex = "worst_index"
      case worstSubmitted = "worst_submitted", worstExpected = "worst_expected", passed
      case failingEntries = "failing_entries", method, forwardPasses = "forward_passes"
    }

    init(
      maxAbsError: Double, maxRelError: Double, worstIndex: [Int], worstSubmitted: Double, worstExpected: Double?,
      passed: Bool, failingEntries: Int, method: String?, forwardPasses: Int?
    ) {
      self.maxAbsError = maxAbsError
      self.maxRelError = maxRelError
      self.worstIndex = worstIndex
      self.worstSubmitted = worstSubmitted
      self.worstExpected = worstExpected
      self.passed = passed
      self.failingEntries = failingEntries
      self.method = method
      self.forwardPasses = forwardPasses
    }

    init(_ check: ItemResult.Check, reference keep: Bool) {
      let c = check.comparison
      maxAbsError = c.maxAbsError
      maxRelError = c.maxRelError
      worstIndex = c.worstIndex
      worstSubmitted = c.worstSubmitted
      worstExpected = keep ? c.worstExpected : nil
      passed = c.passed
      failingEntries = c.failingEntries
      method = check.method
      forwardPasses = check.forwardPasses
    }

    var check: ItemResult.Check {
      ItemResult.Check(
        comparison: EntryComparison(
          maxAbsError: maxAbsError, maxRelError: maxRelError, worstIndex: worstIndex, worstSubmitted: worstSubmitted,
          worstExpected: worstExpected ?? .nan, passed: passed, failingEntries: failingEntries),
        method: method, forwardPasses: forwardPasses)
    }
  }
}

/// A diagnosis as reports and records write it.
struct DiagnosisDocument: Codable {
  var id: String
  var message: String
  var hint: String
  var divergesFromStep: Int?
  var divergingSteps: [Int]?

  enum CodingKeys: String, CodingKey {
    case id, message, hint, divergesFromStep = "diverges_from_step", divergingSteps = "diverging_steps"
  }

  init(id: String, message: String, hint: String, divergesFromStep: Int?, divergingSteps: [Int]?) {
    self.id = id
    self.message = message
    self.hint = hint
    self.divergesFromStep = divergesFromStep
    self.divergingSteps = divergingSteps
  }

  init(_ d: Diagnosis) {
    id = d.id
    message = d.message
    hint = d.hint
    divergesFromStep = d.divergesFromStep
    divergingSteps = d.divergingSteps
  }

  var diagnosis: Diagnosis {
    var d = Diagnosis(id: id, message: message, hint: hint)
    d.divergesFromStep = divergesFromStep
    d.divergingSteps = divergingSteps
    return d
  }
}

/// Why a stored record cannot be used (it is then graded again).
public enum GradeRecordError: Error, Sendable, Equatable, CustomStringConvertible {
  case notJSON
  case invalid(path: String, expected: String)

  /// The decoder's complaint, with the field's path.
  init(_ error: DecodingError) {
    func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
      let keys = context.codingPath + (key.map { [$0] } ?? [])
      let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
      return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(top level)" : text)
    }
    switch error {
    case .keyNotFound(let key, let context): self = .invalid(path: path(context, key), expected: "present")
    case .typeMismatch(let type, let context): self = .invalid(path: path(context), expected: "a value of type \(type)")
    case .valueNotFound(let type, let context): self = .invalid(path: path(context), expected: "a value of type \(type)")
    case .dataCorrupted(let context):
      self = context.codingPath.isEmpty ? .notJSON : .invalid(path: path(context), expected: "valid (\(context.debugDescription))")
    @unknown default: self = .notJSON
    }
  }

  public var description: String {
    switch self {
    case .notJSON: return "The record is not JSON (it may have been cut short)."
    case .invalid(let path, let expected): return "The record's field '\(path)' should be \(expected)."
    }
  }
}
