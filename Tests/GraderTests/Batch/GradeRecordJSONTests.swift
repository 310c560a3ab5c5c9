import Foundation
import Jacobians
import Testing
import TestSupport
@testable import Grader

/// The hand-written record codec (`GradeRecordJSON`) against Foundation's (`ReportJSON`): the
/// same bytes for every record, seeded ones with every optional present or absent, NaN and ±Inf,
/// escapes and non-ASCII text, empty arrays, extreme numbers; the same report read back; and
/// anything the fast reader does not take — cut short, changed, unknown keys, odd numbers — read
/// (or refused) by Foundation as before.
@Suite("The grade record codec writes and reads the bytes of Foundation's")
struct GradeRecordJSONTests {
  /// Text that needs every kind of escape, and text that needs none.
  static let texts: [String] = {
    var controls = ""
    for c in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
    return [
      "", "plain", "a \"quoted\" word", "back\\slash and /slash/", controls, "tab\there\nnew line\r\u{8}\u{c}",
      "δ1^(t) ≈ ∂J/∂h — é, 漢字, 😀", "\u{7f}\u{85}\u{2028}\u{2029}\u{feff}", "ends with a backslash \\", "{\"json\": [1, 2]}",
    ]
  }()

  /// Numbers whose spelling is easy to get wrong.
  static let numbers: [Double] = [
    0, 1, -1, 0.1, -0.5, 1e-7, 1e15, 1e16, 123456789, 0x1p53.nextUp, 12345678901234568, 1.5e-5, 2.5e-05, 1e300, -1e-300,
    .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .pi, 100, 0.000123,
    .nan, .infinity, -.infinity, -0.0,
  ]

  static func number(_ rng: inout SplitMix64) -> Double {
    switch rng.next() % 6 {
    case 0: return numbers[Int(rng.next() % UInt64(numbers.count))]
    case 1: return Double(Int(rng.next() % 2001) - 1000) / 4
    case 2: return Double(bitPattern: rng.next())   // any bits: NaNs, subnormals, huge and tiny
    default: return (Double(rng.next() % 1_000_000_007) / 1_000_000_007 - 0.5) * pow(10, Double(Int(rng.next() % 17) - 8))
    }
  }

  static func text(_ rng: inout SplitMix64) -> String {
    texts[Int(rng.next() % UInt64(texts.count))] + (rng.next() % 2 == 0 ? "" : " \(rng.next() % 1000)")
  }

  static func maybe<T>(_ rng: inout SplitMix64, _ make: (inout SplitMix64) -> T) -> T? {
    rng.next() % 2 == 0 ? nil : make(&rng)
  }

  static func ints(_ rng: inout SplitMix64) -> [Int] {
    (0..<Int(rng.next() % 4)).map { _ in Int(rng.next() % 20) - (rng.next() % 5 == 0 ? 30 : 0) }
  }

  static func check(_ rng: inout SplitMix64) -> ItemResult.Check {
    ItemResult.Check(
      comparison: EntryComparison(
        maxAbsError: number(&rng), maxRelError: number(&rng), worstIndex: ints(&rng), worstSubmitted: number(&rng),
        worstExpected: number(&rng), passed: rng.next() % 2 == 0, failingEntries: Int(rng.next() % 100)),
      method: maybe(&rng, text), forwardPasses: maybe(&rng) { Int($0.next() % 5000) })
  }

  /// A report of 0–5 items, each optional field present or absent at random.
  static func report(seed: UInt64) -> GradeReport {
    var rng = SplitMix64(seed: seed)
    let items = (0..<Int(rng.next() % 6)).map { k -> ItemResult in
      var item = ItemResult(
        id: "item_\(k)\(text(&rng).prefix(3))", statement: text(&rng),
        status: ItemResult.Status.allCases[Int(rng.next() % UInt64(ItemResult.Status.allCases.count))],
        points: number(&rng), maxPoints: number(&rng), message: text(&rng), hidden: rng.next() % 2 == 0, expectedShape: ints(&rng))
      item.submittedShape = maybe(&rng, ints)
      item.submittedDType = maybe(&rng) { DType.allCases[Int($0.next() % 4)] }
      item.reference = maybe(&rng, check)
      item.numeric = maybe(&rng, check)
      item.diagnosis = maybe(&rng) { r in
        var d = Diagnosis(id: text(&r), message: text(&r), hint: text(&r))
        d.divergesFromStep = maybe(&r) { Int($0.next() % 10) }
        d.divergingSteps = maybe(&r, ints)
        return d
      }
      item.submitted = maybe(&rng) { r in (0..<Int(r.next() % 40)).map { _ in number(&r) } }
      item.expected = maybe(&rng) { r in (0..<Int(r.next() % 40)).map { _ in number(&r) } }
      return item
    }
    var report = GradeReport(
      assignment: text(&rng), title: text(&rng), student: "student-\(seed % 1000)", items: items,
      notes: (0..<Int(rng.next() % 3)).map { _ in text(&rng) }, seconds: number(&rng), isolation: maybe(&rng, text),
      mode: GradingMode.allCases[Int(rng.next() % 3)], revealsReference: rng.next() % 2 == 0)
    report.provenance = maybe(&rng) { r in
      GradeProvenance(graderVersion: text(&r), assignmentSHA256: String(r.next(), radix: 16), rubricSHA256: text(&r), submissionSHA256: "")
    }
    return report
  }

  /// The 20 shared seeds and 480 more.
  static let seeds: [UInt64] = randomSeeds + (1...480).map { UInt64($0) &* 0x2545_F491_4F6C_DD1D }

  static func reports() throws -> [GradeReport] {
    var all = seeds.map(report(seed:))
    var graded = try mixedReport()
    graded.mode = .graded
    all += [try mixedReport(), graded]
    return all
  }

  @Test("every seeded record, the mixed reports and the edge cases: the bytes Foundation's encoder writes")
  func sameBytesAsFoundation() throws {
    var kinds = Set<String>()
    for report in try Self.reports() {
      let fast = GradeRecord.encode(report)
      let foundation = GradeRecord.foundationEncode(report)
      #expect(fast == foundation, "\(report.student): the first difference at byte \(zip(fast.utf8, foundation.utf8).prefix { $0 == $1 }.count)")
      for key in ["\"diagnosis\"", "\"dtype\"", "\"expected\"", "\"forward_passes\"", "\"isolation\"", "\"provenance\"", "[\n\n", "\"NaN\"", "\\u00", "😀"]
      where fast.contains(key) { kinds.insert(key) }
    }
    // Every optional field and edge case was written by at least one record, and left out by another.
    #expect(kinds.count == 10, "\(kinds.sorted())")
  }

  @Test("read back, the fast reader gives the report Foundation's reader gives")
  func sameReportAsFoundation() throws {
    for report in try Self.reports() {
      let data = Data(GradeRecord.encode(report).utf8)
      let document = try #require(GradeRecordJSON.decode(data), "\(report.student): the fast reader refused its own record")
      let fast = document.report, foundation = try GradeRecord.foundationDecode(data)
      // Compared as Foundation writes them: every field, each number to the bit (NaN as "NaN").
      #expect(GradeRecord.foundationEncode(fast) == GradeRecord.foundationEncode(foundation), "\(report.student)")
      for (a, b) in zip(fast.items, foundation.items) {
        let same = { (x: [Double]?, y: [Double]?) in
          x?.count == y?.count && zip(x ?? [], y ?? []).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
        }
        #expect(same(a.submitted, b.submitted) && same(a.expected, b.expected), "\(report.student) \(a.id)")
        #expect(a.points.bitPattern == b.points.bitPattern || (a.points.isNaN && b.points.isNaN), "\(report.student) \(a.id)")
      }
    }
  }

  /// Changes to a record, each either read the same by both readers or left to Foundation.
  static let edits: [(String, (String) -> String)] = [
    ("compact spacing", { $0.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " : ", with: ":") }),
    ("an unknown key", { $0.replacingOccurrences(of: "\"title\" :", with: "\"extra\" : 1, \"title\" :") }),
    ("a repeated key", { $0.replacingOccurrences(of: "\"title\" :", with: "\"student\" : \"x\", \"title\" :") }),
    ("a null optional", { $0.replacingOccurrences(of: "\"notes\" :", with: "\"isolation\" : null, \"notes\" :") }),
    ("an escaped slash and a \\u escape", { $0.replacingOccurrences(of: "\"student\" : \"", with: "\"student\" : \"\\/\\u00e9\\ud83d\\ude00") }),
    ("a negative zero", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : -0") }),
    ("a leading zero", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : 00") }),
    ("a number out of range", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : 1e999") }),
    ("an underflow", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : 1e-999") }),
    ("an integer as 1.0 and 1E2", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : 1.0E2") }),
    ("a string for a number", { $0.replacingOccurrences(of: "\"seconds\" : 0", with: "\"seconds\" : \"0\"") }),
    ("an unknown status", { $0.replacingOccurrences(of: "\"status\" : \"pass\"", with: "\"status\" : \"passed\"") }),
    ("another format", { $0.replacingOccurrences(of: GradeRecord.format, with: "grade-record-1") }),
    ("a raw control character", { $0.replacingOccurrences(of: "\"student\" : \"", with: "\"student\" : \"\u{1}") }),
    ("trailing text", { $0 + "x" }),
    ("a missing key", { $0.replacingOccurrences(of: "\"reveals_reference\" : false,", with: "") }),
  ]

  @Test("a record cut anywhere, or changed, is read as Foundation reads it, or refused as Foundation refuses it")
  func cutOrChanged() throws {
    var report = try mixedReport()
    report.seconds = 0
    let text = GradeRecord.encode(report)
    #expect(text.contains("\"seconds\" : 0,") && text.contains("\"status\" : \"pass\"") && text.contains("\"reveals_reference\" : false,"))
    let bytes = Array(text.utf8)
    // Every cut but the one that drops only the final newline (a complete record).
    let cuts = (Array(stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 400))) + Array(bytes.count - 40..<bytes.count))
      .filter { $0 < bytes.count - 1 }
    for n in cuts {
      let data = Data(bytes.prefix(n))
      #expect(GradeRecordJSON.decode(data) == nil, "cut at \(n) of \(bytes.count)")
      #expect(throws: GradeRecordError.self) { try GradeRecord.decode(data) }
    }
    for (name, edit) in Self.edits {
      let data = Data(edit(text).utf8)
      #expect(edit(text) != text, "\(name) changed nothing")
      let viaFoundation = Result { () throws(GradeRecordError) in try GradeRecord.foundationDecode(data) }
      let viaDecode = Result { () throws(GradeRecordError) in try GradeRecord.decode(data) }
      switch (viaFoundation, viaDecode) {
      case (.success(let a), .success(let b)):
        #expect(GradeRecord.foundationEncode(a) == GradeRecord.foundationEncode(b), "\(name)")
      case (.failure(let a), .failure(let b)):
        #expect(a == b, "\(name)")
      default:
        Issue.record("\(name): Foundation gives \(viaFoundation), decode gives \(viaDecode)")
      }
    }
  }
}
