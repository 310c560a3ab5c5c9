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
///             "submitted": […], "expected": […]}]}
/// ```
/// Numbers are written in their shortest round-trip spelling, so decoding gives back the same
/// doubles; NaN and ±Inf are the strings "NaN", "Infinity", "-Infinity".
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

  /// The record of `report`.
  public static func encode(_ report: GradeReport) -> JSONValue {
    let reference = keepsReference(report)
    return .object([
      ("format", .string(format)),
      ("assignment", .string(report.assignment)),
      ("title", .string(report.title)),
      ("student", .string(report.student)),
      ("score", .number(report.score)),
      ("max_score", .number(report.maxScore)),
      ("seconds", .number(report.seconds)),
      ("isolation", report.isolation.map(JSONValue.string) ?? .null),
      ("mode", .string(report.mode.rawValue)),
      ("reveals_reference", .bool(report.revealsReference)),
      ("notes", .array(report.notes.map(JSONValue.string))),
      ("items", .array(report.items.map { encode($0, reference: reference) })),
    ])
  }

  static func encode(_ item: ItemResult, reference keep: Bool) -> JSONValue {
    var fields: [(String, JSONValue)] = [
      ("id", .string(item.id)),
      ("statement", .string(item.statement)),
      ("status", .string(item.status.rawValue)),
      ("points", .number(item.points)),
      ("max_points", .number(item.maxPoints)),
      ("message", .string(item.message)),
      ("hidden", .bool(item.hidden)),
      ("expected_shape", .array(item.expectedShape.map { .number($0) })),
      ("internal_error", .bool(item.internalError)),
    ]
    if let s = item.submittedShape { fields.append(("submitted_shape", .array(s.map { .number($0) }))) }
    if let d = item.submittedDType { fields.append(("dtype", .string(d.rawValue))) }
    if let r = item.reference { fields.append(("reference", encode(r, reference: keep))) }
    if let n = item.numeric { fields.append(("numeric", encode(n, reference: keep))) }
    if let d = item.diagnosis {
      var diagnosis: [(String, JSONValue)] = [("id", .string(d.id)), ("message", .string(d.message)), ("hint", .string(d.hint))]
      if let step = d.divergesFromStep { diagnosis.append(("diverges_from_step", .number(step))) }
      if let steps = d.divergingSteps { diagnosis.append(("diverging_steps", .array(steps.map { .number($0) }))) }
      fields.append(("diagnosis", .object(diagnosis)))
    }
    if let s = item.submitted { fields.append(("submitted", .array(s.map(JSONValue.number)))) }
    if keep, let e = item.expected { fields.append(("expected", .array(e.map(JSONValue.number)))) }
    return .object(fields)
  }

  static func encode(_ check: ItemResult.Check, reference keep: Bool) -> JSONValue {
    let c = check.comparison
    var fields: [(String, JSONValue)] = [
      ("max_abs_error", .number(c.maxAbsError)),
      ("max_rel_error", .number(c.maxRelError)),
      ("worst_index", .array(c.worstIndex.map { .number($0) })),
      ("worst_submitted", .number(c.worstSubmitted)),
    ]
    if keep { fields.append(("worst_expected", .number(c.worstExpected))) }
    fields += [
      ("passed", .bool(c.passed)),
      ("failing_entries", .number(c.failingEntries)),
    ]
    if let m = check.method { fields.append(("method", .string(m))) }
    if let f = check.forwardPasses { fields.append(("forward_passes", .number(f))) }
    return .object(fields)
  }

  // MARK: Decoding

  /// The report stored in `data`; throws when it is not a complete record.
  public static func decode(_ data: Data) throws(GradeRecordError) -> GradeReport {
    let value: ArrayJSON.Value
    do { value = try ArrayJSON.parse(data) } catch { throw .notJSON }
    let root = try Fields(value, path: "")
    guard try root.string("format") == format else { throw .invalid(path: "format", expected: "\"\(format)\"") }
    var items: [ItemResult] = []
    for (k, item) in try root.array("items").enumerated() {
      items.append(try decodeItem(Fields(item, path: "items[\(k)]")))
    }
    var notes: [String] = []
    for (k, note) in try root.array("notes").enumerated() {
      guard case .string(let s) = note else { throw .invalid(path: "notes[\(k)]", expected: "a string") }
      notes.append(s)
    }
    guard let mode = GradingMode(rawValue: try root.string("mode")) else {
      throw .invalid(path: "mode", expected: GradingMode.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return GradeReport(
      assignment: try root.string("assignment"), title: try root.string("title"),
      student: try root.string("student"), items: items, notes: notes,
      seconds: try root.number("seconds"), isolation: try root.optionalString("isolation"),
      mode: mode, revealsReference: try root.bool("reveals_reference"))
  }

  static func decodeItem(_ f: Fields) throws(GradeRecordError) -> ItemResult {
    guard let status = ItemResult.Status(rawValue: try f.string("status")) else {
      throw .invalid(path: f.at("status"), expected: ItemResult.Status.allCases.map(\.rawValue).joined(separator: ", "))
    }
    var item = ItemResult(
      id: try f.string("id"), statement: try f.string("statement"), status: status,
      points: try f.number("points"), maxPoints: try f.number("max_points"),
      message: try f.string("message"), hidden: try f.bool("hidden"),
      expectedShape: try f.integers("expected_shape"))
    if f.has("submitted_shape") { item.submittedShape = try f.integers("submitted_shape") }
    if let d = try f.optionalString("dtype") {
      guard let dtype = DType(rawValue: d) else { throw .invalid(path: f.at("dtype"), expected: "a dtype") }
      item.submittedDType = dtype
    }
    if f.has("reference") { item.reference = try decodeCheck(f.object("reference")) }
    if f.has("numeric") { item.numeric = try decodeCheck(f.object("numeric")) }
    if f.has("diagnosis") {
      let d = try f.object("diagnosis")
      var diagnosis = Diagnosis(id: try d.string("id"), message: try d.string("message"), hint: try d.string("hint"))
      if d.has("diverges_from_step") { diagnosis.divergesFromStep = Int(try d.number("diverges_from_step")) }
      if d.has("diverging_steps") { diagnosis.divergingSteps = try d.integers("diverging_steps") }
      item.diagnosis = diagnosis
    }
    if f.has("submitted") { item.submitted = try f.numbers("submitted") }
    if f.has("expected") { item.expected = try f.numbers("expected") }
    return item
  }

  static func decodeCheck(_ f: Fields) throws(GradeRecordError) -> ItemResult.Check {
    let comparison = EntryComparison(
      maxAbsError: try f.number("max_abs_error"), maxRelError: try f.number("max_rel_error"),
      worstIndex: try f.integers("worst_index"), worstSubmitted: try f.number("worst_submitted"),
      worstExpected: f.has("worst_expected") ? try f.number("worst_expected") : .nan, passed: try f.bool("passed"),
      failingEntries: Int(try f.number("failing_entries")))
    return ItemResult.Check(
      comparison: comparison, method: try f.optionalString("method"),
      forwardPasses: f.has("forward_passes") ? Int(try f.number("forward_passes")) : nil)
  }

  /// A JSON object being read, with the path of each field for messages. Parsed by the
  /// project's own JSON reader, whose numbers are correctly rounded, so doubles come back exact.
  struct Fields {
    var values: [String: ArrayJSON.Value]
    var path: String

    init(_ value: ArrayJSON.Value, path: String) throws(GradeRecordError) {
      guard case .object(let members) = value else { throw .invalid(path: path.isEmpty ? "(top level)" : path, expected: "an object") }
      var values: [String: ArrayJSON.Value] = [:]
      for member in members { values[member.key] = member.value }
      self.values = values
      self.path = path
    }

    func has(_ key: String) -> Bool {
      if let value = values[key], value != .null { return true }
      return false
    }

    func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func string(_ key: String) throws(GradeRecordError) -> String {
      guard case .string(let s)? = values[key] else { throw .invalid(path: at(key), expected: "a string") }
      return s
    }

    func optionalString(_ key: String) throws(GradeRecordError) -> String? {
      has(key) ? try string(key) : nil
    }

    func bool(_ key: String) throws(GradeRecordError) -> Bool {
      guard case .bool(let b)? = values[key] else { throw .invalid(path: at(key), expected: "true or false") }
      return b
    }

    func number(_ key: String) throws(GradeRecordError) -> Double {
      guard let value = values[key], let x = Fields.double(value) else { throw .invalid(path: at(key), expected: "a number") }
      return x
    }

    func array(_ key: String) throws(GradeRecordError) -> [ArrayJSON.Value] {
      guard case .array(let a)? = values[key] else { throw .invalid(path: at(key), expected: "an array") }
      return a
    }

    func object(_ key: String) throws(GradeRecordError) -> Fields {
      try Fields(values[key] ?? .null, path: at(key))
    }

    func numbers(_ key: String) throws(GradeRecordError) -> [Double] {
      var out: [Double] = []
      for (k, v) in try array(key).enumerated() {
        guard let x = Fields.double(v) else { throw .invalid(path: "\(at(key))[\(k)]", expected: "a number") }
        out.append(x)
      }
      return out
    }

    func integers(_ key: String) throws(GradeRecordError) -> [Int] {
      var out: [Int] = []
      for x in try numbers(key) {
        guard x == x.rounded(), Swift.abs(x) < 1e15 else { throw .invalid(path: at(key), expected: "whole numbers") }
        out.append(Int(x))
      }
      return out
    }

    /// A number, or one of the strings JSONValue writes for non-finite numbers.
    static func double(_ value: ArrayJSON.Value) -> Double? {
      switch value {
      case .number(let x, _): return x
      case .string("NaN"): return .nan
      case .string("Infinity"): return .infinity
      case .string("-Infinity"): return -.infinity
      default: return nil
      }
    }
  }
}

/// Why a stored record cannot be used (it is then graded again).
public enum GradeRecordError: Error, Sendable, Equatable, CustomStringConvertible {
  case notJSON
  case invalid(path: String, expected: String)

  public var description: String {
    switch self {
    case .notJSON: return "The record is not JSON (it may have been cut short)."
    case .invalid(let path, let expected): return "The record's field '\(path)' should be \(expected)."
    }
  }
}
