import Foundation

/// A grade record (`GradeRecord.Document`) written and read without Codable: the bytes
/// `ReportJSON.encode` writes, byte for byte, in a fraction of the time (a batch writes and
/// reads one record per student).
///
/// ```
/// layout     pretty printed as Foundation's JSONEncoder does: two spaces per level,
///            "key" : value, ",\n" between members, an empty array or object "[\n\n<indent>]";
///            keys sorted; absent optionals left out; a final newline
/// numbers    Double.description without a trailing ".0" (1 → 1, 1e-07, 1e+16); NaN and ±Inf
///            as the strings "NaN", "Infinity", "-Infinity"; integers in decimal
/// strings    " and \ escaped, \b \t \n \f \r, the other control characters as \u00xx
///            (lowercase hex); "/" and everything else as UTF-8
/// ```
/// `decode` reads what `encode` writes — and any JSON of the same fields in another spacing or
/// key order — and answers nil for anything else: a record cut short, an unknown or repeated
/// key, a `null`, a number Foundation refuses (a leading zero, one out of range) or one of more
/// than 63 characters. The caller then decodes with Foundation, which gives the same report or
/// the same error as before: this reader only ever takes the fast way to the same answer.
enum GradeRecordJSON {
  // MARK: Writing

  static func encode(_ document: GradeRecord.Document) -> [UInt8] {
    var w = Writer()
    w.bytes.reserveCapacity(4096 + document.items.reduce(0) { $0 + 24 * (($1.submitted?.count ?? 0) + ($1.expected?.count ?? 0)) })
    w.open(UInt8(ascii: "{"))
    w.key("assignment"); w.string(document.assignment)
    w.key("format"); w.string(document.format)
    if let isolation = document.isolation { w.key("isolation"); w.string(isolation) }
    w.key("items")
    w.open(UInt8(ascii: "["))
    for item in document.items {
      w.element()
      w.item(item)
    }
    w.close(UInt8(ascii: "]"))
    w.key("max_score"); w.number(document.maxScore)
    w.key("mode"); w.string(document.mode.rawValue)
    w.key("notes"); w.strings(document.notes)
    if let p = document.provenance {
      w.key("provenance")
      w.open(UInt8(ascii: "{"))
      w.key("assignment_sha256"); w.string(p.assignmentSHA256)
      w.key("grader_version"); w.string(p.graderVersion)
      w.key("rubric_sha256"); w.string(p.rubricSHA256)
      w.key("submission_sha256"); w.string(p.submissionSHA256)
      w.close(UInt8(ascii: "}"))
    }
    w.key("reveals_reference"); w.bool(document.revealsReference)
    w.key("score"); w.number(document.score)
    w.key("seconds"); w.number(document.seconds)
    w.key("student"); w.string(document.student)
    w.key("title"); w.string(document.title)
    w.close(UInt8(ascii: "}"))
    w.bytes.append(UInt8(ascii: "\n"))
    return w.bytes
  }

  /// Pretty JSON into one growing buffer: `first` is whether the open container has no member yet.
  struct Writer {
    var bytes: [UInt8] = []
    var depth = 0
    var first = true

    mutating func indent() {
      for _ in 0..<(2 * depth) { bytes.append(UInt8(ascii: " ")) }
    }

    mutating func open(_ bracket: UInt8) {
      bytes.append(bracket)
      depth += 1
      first = true
    }

    /// `]` or `}`: an empty container keeps its blank line, as Foundation writes it.
    mutating func close(_ bracket: UInt8) {
      bytes.append(UInt8(ascii: "\n"))
      if first { bytes.append(UInt8(ascii: "\n")) }
      depth -= 1
      indent()
      bytes.append(bracket)
      first = false
    }

    mutating func element() {
      if first { bytes.append(UInt8(ascii: "\n")) } else { bytes.append(UInt8(ascii: ",")); bytes.append(UInt8(ascii: "\n")) }
      first = false
      indent()
    }

    /// A member's key (plain ASCII, never escaped) and the separator.
    mutating func key(_ name: StaticString) {
      element()
      bytes.append(UInt8(ascii: "\""))
      name.withUTF8Buffer { bytes.append(contentsOf: $0) }
      bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    mutating func bool(_ value: Bool) {
      if value { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65]) }
    }

    mutating func int(_ value: Int) {
      if value >= 0 && value < 10 { bytes.append(UInt8(ascii: "0") + UInt8(value)); return }
      bytes.append(contentsOf: String(value).utf8)
    }

    mutating func number(_ value: Double) {
      guard value.isFinite else {
        string(value.isNaN ? ReportJSON.nonFinite.nan : value > 0 ? ReportJSON.nonFinite.positive : ReportJSON.nonFinite.negative)
        return
      }
      var text = value.description
      text.withUTF8 { utf8 in
        let n = utf8.count
        if n >= 2 && utf8[n - 2] == UInt8(ascii: ".") && utf8[n - 1] == UInt8(ascii: "0") {
          bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<(n - 2)]))
        } else {
          bytes.append(contentsOf: utf8)
        }
      }
    }

    mutating func string(_ value: String) {
      bytes.append(UInt8(ascii: "\""))
      var text = value
      text.withUTF8 { utf8 in
        var run = 0
        for k in 0..<utf8.count {
          let c = utf8[k]
          guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
          if run < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<k])) }
          run = k + 1
          bytes.append(UInt8(ascii: "\\"))
          switch c {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(c)
          case 0x08: bytes.append(JSONLetter.b)
          case 0x09: bytes.append(JSONLetter.t)
          case 0x0a: bytes.append(JSONLetter.n)
          case 0x0c: bytes.append(JSONLetter.f)
          case 0x0d: bytes.append(JSONLetter.r)
          default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [JSONLetter.u, UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 0xf)]])
          }
        }
        if run < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...])) }
      }
      bytes.append(UInt8(ascii: "\""))
    }

    mutating func strings(_ values: [String]) {
      open(UInt8(ascii: "["))
      for value in values { element(); string(value) }
      close(UInt8(ascii: "]"))
    }

    mutating func ints(_ values: [Int]) {
      open(UInt8(ascii: "["))
      for value in values { element(); int(value) }
      close(UInt8(ascii: "]"))
    }

    mutating func numbers(_ values: [Double]) {
      open(UInt8(ascii: "["))
      for value in values { element(); number(value) }
      close(UInt8(ascii: "]"))
    }

    mutating func item(_ item: GradeRecord.Item) {
      open(UInt8(ascii: "{"))
      if let d = item.diagnosis {
        key("diagnosis")
        open(UInt8(ascii: "{"))
        if let step = d.divergesFromStep { key("diverges_from_step"); int(step) }
        if let steps = d.divergingSteps { key("diverging_steps"); ints(steps) }
        key("hint"); string(d.hint)
        key("id"); string(d.id)
        key("message"); string(d.message)
        close(UInt8(ascii: "}"))
      }
      if let dtype = item.dtype { key("dtype"); string(dtype.rawValue) }
      if let expected = item.expected { key("expected"); numbers(expected) }
      key("expected_shape"); ints(item.expectedShape)
      key("hidden"); bool(item.hidden)
      key("id"); string(item.id)
      key("internal_error"); bool(item.internalError)
      key("max_points"); number(item.maxPoints)
      key("message"); string(item.message)
      if let numeric = item.numeric { key("numeric"); check(numeric) }
      key("points"); number(item.points)
      if let reference = item.reference { key("reference"); check(reference) }
      key("statement"); string(item.statement)
      key("status"); string(item.status.rawValue)
      if let submitted = item.submitted { key("submitted"); numbers(submitted) }
      if let shape = item.submittedShape { key("submitted_shape"); ints(shape) }
      close(UInt8(ascii: "}"))
    }

    mutating func check(_ c: GradeRecord.Check) {
      open(UInt8(ascii: "{"))
      key("failing_entries"); int(c.failingEntries)
      if let passes = c.forwardPasses { key("forward_passes"); int(passes) }
      key("max_abs_error"); number(c.maxAbsError)
      key("max_rel_error"); number(c.maxRelError)
      if let method = c.method { key("method"); string(method) }
      key("passed"); bool(c.passed)
      if let expected = c.worstExpected { key("worst_expected"); number(expected) }
      key("worst_index"); ints(c.worstIndex)
      key("worst_submitted"); number(c.worstSubmitted)
      close(UInt8(ascii: "}"))
    }
  }

  // MARK: Reading

  /// The record in `bytes`, or nil when the fast reader does not take it (see the type's comment).
  static func decode(_ bytes: UnsafeRawBufferPointer) -> GradeRecord.Document? {
    var r = Reader(bytes: bytes)
    guard let document = r.document() else { return nil }
    r.space()
    return r.at == r.bytes.count ? document : nil
  }

  static func decode(_ data: Data) -> GradeRecord.Document? {
    data.withUnsafeBytes { decode($0) }
  }

  /// A cursor over the bytes; every reading function answers nil (and the whole read gives up)
  /// at the first byte it does not expect.
  struct Reader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func space() {
      while at < bytes.count {
        let c = bytes[at]
        guard c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 else { return }
        at += 1
      }
    }

    /// Skips white space, then takes `c` if it is next.
    mutating func take(_ c: UInt8) -> Bool {
      space()
      guard at < bytes.count, bytes[at] == c else { return false }
      at += 1
      return true
    }

    /// The members of an object, `member` called with each key (which must not repeat: it
    /// answers false for a key it does not know or has seen).
    mutating func object(_ member: (inout Reader, String) -> Bool) -> Bool {
      guard take(UInt8(ascii: "{")) else { return false }
      if take(UInt8(ascii: "}")) { return true }
      repeat {
        space()
        guard let name = string(), take(UInt8(ascii: ":")), member(&self, name) else { return false }
      } while take(UInt8(ascii: ","))
      return take(UInt8(ascii: "}"))
    }

    /// The elements of an array, `element` reading each.
    mutating func array<T>(_ element: (inout Reader) -> T?) -> [T]? {
      guard take(UInt8(ascii: "[")) else { return nil }
      var values: [T] = []
      if take(UInt8(ascii: "]")) { return values }
      repeat {
        guard let value = element(&self) else { return nil }
        values.append(value)
      } while take(UInt8(ascii: ","))
      return take(UInt8(ascii: "]")) ? values : nil
    }

    mutating func bool() -> Bool? {
      space()
      if matches("true") { return true }
      if matches("false") { return false }
      return nil
    }

    mutating func matches(_ word: StaticString) -> Bool {
      let n = word.utf8CodeUnitCount
      guard at + n <= bytes.count else { return false }
      let p = word.utf8Start
      for k in 0..<n where bytes[at + k] != p[k] { return false }
      at += n
      return true
    }

    /// A string without escapes is read in one piece; escapes other than a lone \uXXXX of the
    /// basic plane (a surrogate pair) give up. Control characters and bytes that are not UTF-8
    /// give up too (Foundation refuses them).
    mutating func string() -> String? {
      space()
      guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
      at += 1
      let start = at
      var plain = true
      while at < bytes.count {
        let c = bytes[at]
        if c == UInt8(ascii: "\"") { break }
        if c < 0x20 { return nil }
        if c == UInt8(ascii: "\\") { plain = false; at += 2; continue }
        at += 1
      }
      guard at < bytes.count else { return nil }
      let end = at
      at += 1
      let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
      if plain { return String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) }
      var out: [UInt8] = []
      out.reserveCapacity(raw.count)
      var k = 0
      while k < raw.count {
        let c = raw[k]
        guard c == UInt8(ascii: "\\") else { out.append(c); k += 1; continue }
        guard k + 1 < raw.count else { return nil }
        let e = raw[k + 1]
        k += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case JSONLetter.b: out.append(0x08)
        case JSONLetter.f: out.append(0x0c)
        case JSONLetter.n: out.append(0x0a)
        case JSONLetter.r: out.append(0x0d)
        case JSONLetter.t: out.append(0x09)
        case JSONLetter.u:
          guard k + 4 <= raw.count else { return nil }
          var v: UInt32 = 0
          for j in 0..<4 {
            let h = raw[k + j]
            let digit: UInt8
            switch h {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = h - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = h - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = h - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(digit)
          }
          k += 4
          guard let scalar = Unicode.Scalar(v) else { return nil }   // a surrogate: give up
          out.append(contentsOf: String(Character(scalar)).utf8)
        default: return nil
        }
      }
      return String(validating: out, as: UTF8.self)
    }

    /// The span of a JSON number (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`), and whether
    /// it is an integer (no fraction, no exponent).
    mutating func numberSpan() -> (Range<Int>, integer: Bool)? {
      space()
      let start = at
      if at < bytes.count && bytes[at] == UInt8(ascii: "-") { at += 1 }
      func digits(_ r: inout Reader) -> Int {
        let s = r.at
        while r.at < r.bytes.count, r.bytes[r.at] >= UInt8(ascii: "0"), r.bytes[r.at] <= UInt8(ascii: "9") { r.at += 1 }
        return r.at - s
      }
      let intStart = at
      let whole = digits(&self)
      guard whole > 0, !(whole > 1 && bytes[intStart] == UInt8(ascii: "0")) else { return nil }
      var integer = true
      if at < bytes.count && bytes[at] == UInt8(ascii: ".") {
        at += 1
        integer = false
        guard digits(&self) > 0 else { return nil }
      }
      if at < bytes.count && (bytes[at] == JSONLetter.e || bytes[at] == JSONLetter.E) {
        at += 1
        integer = false
        if at < bytes.count && (bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-")) { at += 1 }
        guard digits(&self) > 0 else { return nil }
      }
      return (start..<at, integer)
    }

    mutating func int() -> Int? {
      guard let (span, integer) = numberSpan(), integer, span.count <= 18 else { return nil }
      var value = 0
      var k = span.lowerBound
      let negative = bytes[k] == UInt8(ascii: "-")
      if negative { k += 1 }
      while k < span.upperBound { value = value * 10 + Int(bytes[k] - UInt8(ascii: "0")); k += 1 }
      return negative ? -value : value
    }

    /// A finite number (read by strtod: correctly rounded, so the shortest spelling gives back
    /// the same bits), or one of the strings of `ReportJSON.nonFinite`. Anything that overflows
    /// or underflows to zero gives up.
    mutating func double() -> Double? {
      space()
      if at < bytes.count && bytes[at] == UInt8(ascii: "\"") {
        switch string() {
        case ReportJSON.nonFinite.nan: return .nan
        case ReportJSON.nonFinite.positive: return .infinity
        case ReportJSON.nonFinite.negative: return -.infinity
        default: return nil
        }
      }
      guard let (span, integer) = numberSpan() else { return nil }
      if integer && span.count <= 15 {
        // Exact in a double: at most 15 digits.
        var value = 0
        var k = span.lowerBound
        let negative = bytes[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        while k < span.upperBound { value = value * 10 + Int(bytes[k] - UInt8(ascii: "0")); k += 1 }
        return negative ? -Double(value) : Double(value)   // "-0" is -0.0, as Foundation reads it
      }
      if let exact = DecimalNumber.exactValue(bytes, span) { return exact }
      guard span.count < 64 else { return nil }
      return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
        for k in 0..<span.count { buffer[k] = CChar(bitPattern: bytes[span.lowerBound + k]) }
        buffer[span.count] = 0
        let value = strtod(buffer.baseAddress!, nil)
        guard value.isFinite, value != 0 || Self.isZero(bytes, span) else { return nil }
        return value
      }
    }

    /// Whether the number spelled in `span` is zero (all its mantissa digits are).
    static func isZero(_ bytes: UnsafeRawBufferPointer, _ span: Range<Int>) -> Bool {
      for k in span {
        let c = bytes[k]
        if c == JSONLetter.e || c == JSONLetter.E { break }
        if c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") { return false }
      }
      return true
    }

    // MARK: The record's objects

    mutating func document() -> GradeRecord.Document? {
      var format: String?, assignment: String?, title: String?, student: String?
      var score: Double?, maxScore: Double?, seconds: Double?
      var isolation: String?, mode: GradingMode?, reveals: Bool?, notes: [String]?
      var items: [GradeRecord.Item]?, provenance: GradeProvenance?
      let read = object { r, key in
        switch key {
        case "format": return put(&format, r.string())
        case "assignment": return put(&assignment, r.string())
        case "title": return put(&title, r.string())
        case "student": return put(&student, r.string())
        case "score": return put(&score, r.double())
        case "max_score": return put(&maxScore, r.double())
        case "seconds": return put(&seconds, r.double())
        case "isolation": return put(&isolation, r.string())
        case "mode": return put(&mode, r.string().flatMap(GradingMode.init(rawValue:)))
        case "reveals_reference": return put(&reveals, r.bool())
        case "notes": return put(&notes, r.array { $0.string() })
        case "items": return put(&items, r.array { $0.item() })
        case "provenance": return put(&provenance, r.provenance())
        default: return false
        }
      }
      guard read, let format, let assignment, let title, let student, let score, let maxScore, let seconds,
            let mode, let reveals, let notes, let items
      else { return nil }
      return GradeRecord.Document(
        format: format, assignment: assignment, title: title, student: student, score: score, maxScore: maxScore,
        seconds: seconds, isolation: isolation, mode: mode, revealsReference: reveals, notes: notes, items: items,
        provenance: provenance)
    }

    mutating func provenance() -> GradeProvenance? {
      var version: String?, assignment: String?, rubric: String?, submission: String?
      let read = object { r, key in
        switch key {
        case "grader_version": return put(&version, r.string())
        case "assignment_sha256": return put(&assignment, r.string())
        case "rubric_sha256": return put(&rubric, r.string())
        case "submission_sha256": return put(&submission, r.string())
        default: return false
        }
      }
      guard read, let version, let assignment, let rubric, let submission else { return nil }
      return GradeProvenance(graderVersion: version, assignmentSHA256: assignment, rubricSHA256: rubric, submissionSHA256: submission)
    }

    mutating func item() -> GradeRecord.Item? {
      var id: String?, statement: String?, status: ItemResult.Status?, points: Double?, maxPoints: Double?
      var message: String?, hidden: Bool?, expectedShape: [Int]?, internalError: Bool?
      var submittedShape: [Int]?, dtype: DType?, reference: GradeRecord.Check?, numeric: GradeRecord.Check?
      var diagnosis: DiagnosisDocument?, submitted: [Double]?, expected: [Double]?
      let read = object { r, key in
        switch key {
        case "id": return put(&id, r.string())
        case "statement": return put(&statement, r.string())
        case "status": return put(&status, r.string().flatMap(ItemResult.Status.init(rawValue:)))
        case "points": return put(&points, r.double())
        case "max_points": return put(&maxPoints, r.double())
        case "message": return put(&message, r.string())
        case "hidden": return put(&hidden, r.bool())
        case "expected_shape": return put(&expectedShape, r.array { $0.int() })
        case "internal_error": return put(&internalError, r.bool())
        case "submitted_shape": return put(&submittedShape, r.array { $0.int() })
        case "dtype": return put(&dtype, r.string().flatMap(DType.init(rawValue:)))
        case "reference": return put(&reference, r.check())
        case "numeric": return put(&numeric, r.check())
        case "diagnosis": return put(&diagnosis, r.diagnosis())
        case "submitted": return put(&submitted, r.array { $0.double() })
        case "expected": return put(&expected, r.array { $0.double() })
        default: return false
        }
      }
      guard read, let id, let statement, let status, let points, let maxPoints, let message, let hidden,
            let expectedShape, let internalError
      else { return nil }
      return GradeRecord.Item(
        id: id, statement: statement, status: status, points: points, maxPoints: maxPoints, message: message,
        hidden: hidden, expectedShape: expectedShape, internalError: internalError, submittedShape: submittedShape,
        dtype: dtype, reference: reference, numeric: numeric, diagnosis: diagnosis, submitted: submitted, expected: expected)
    }

    mutating func check() -> GradeRecord.Check? {
      var maxAbs: Double?, maxRel: Double?, worstIndex: [Int]?, worstSubmitted: Double?, worstExpected: Double?
      var passed: Bool?, failing: Int?, method: String?, passes: Int?
      let read = object { r, key in
        switch key {
        case "max_abs_error": return put(&maxAbs, r.double())
        case "max_rel_error": return put(&maxRel, r.double())
        case "worst_index": return put(&worstIndex, r.array { $0.int() })
        case "worst_submitted": return put(&worstSubmitted, r.double())
        case "worst_expected": return put(&worstExpected, r.double())
        case "passed": return put(&passed, r.bool())
        case "failing_entries": return put(&failing, r.int())
        case "method": return put(&method, r.string())
        case "forward_passes": return put(&passes, r.int())
        default: return false
        }
      }
      guard read, let maxAbs, let maxRel, let worstIndex, let worstSubmitted, let passed, let failing else { return nil }
      return GradeRecord.Check(
        maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: worstIndex, worstSubmitted: worstSubmitted,
        worstExpected: worstExpected, passed: passed, failingEntries: failing, method: method, forwardPasses: passes)
    }

    mutating func diagnosis() -> DiagnosisDocument? {
      var id: String?, message: String?, hint: String?, step: Int?, steps: [Int]?
      let read = object { r, key in
        switch key {
        case "id": return put(&id, r.string())
        case "message": return put(&message, r.string())
        case "hint": return put(&hint, r.string())
        case "diverges_from_step": return put(&step, r.int())
        case "diverging_steps": return put(&steps, r.array { $0.int() })
        default: return false
        }
      }
      guard read, let id, let message, let hint else { return nil }
      return DiagnosisDocument(id: id, message: message, hint: hint, divergesFromStep: step, divergingSteps: steps)
    }
  }
}

/// Puts a member's value in its slot: false when it could not be read, or its key came before.
private func put<T>(_ slot: inout T?, _ value: T?) -> Bool {
  guard slot == nil, let value else { return false }
  slot = value
  return true
}

/// The letters of JSON's escapes (RFC 8259, section 7: \b \f \n \r \t \u) and of a number's
/// exponent (e, E), by their codes.
enum JSONLetter {
  static let b: UInt8 = 0x62, f: UInt8 = 0x66, n: UInt8 = 0x6E, r: UInt8 = 0x72, t: UInt8 = 0x74, u: UInt8 = 0x75
  static let e: UInt8 = 0x65, E: UInt8 = 0x45
}
