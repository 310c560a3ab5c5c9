import Foundation
import Testing
import Jacobians
@testable import Grader

@Suite("ReportJSON: the one JSON path for documents the grader writes")
struct ReportJSONTests {
  struct Numbers: Codable, Equatable {
    var values: [Double]
    static func == (a: Numbers, b: Numbers) -> Bool {
      a.values.count == b.values.count && zip(a.values, b.values).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }
  }

  @Test("every double comes back bit for bit: random, subnormal, huge, ±0; NaN and ±Inf as strings")
  func doublesRoundTrip() throws {
    var rng = SplitMix64(seed: 11)
    var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-300, 5e-324, .leastNormalMagnitude, .greatestFiniteMagnitude, -1.7976931348623157e308, 123456789.123456789]
    for _ in 0..<5000 {
      let bits = rng.next()
      let x = Double(bitPattern: bits)
      if x.isFinite { values.append(x) }
      values.append(rng.normal(standardDeviation: 1) * pow(10, Double(rng.int(below: 40)) - 20))
    }
    let text = ReportJSON.encode(Numbers(values: values + [.nan, .infinity, -.infinity]))
    #expect(text.contains("\"NaN\"") && text.contains("\"Infinity\"") && text.contains("\"-Infinity\""))
    let back = try ReportJSON.decode(Numbers.self, from: Data(text.utf8))
    #expect(back == Numbers(values: values + [.nan, .infinity, -.infinity]))
  }

  @Test("keys are sorted, so a document is the same bytes every time; the output ends in a newline")
  func sortedKeys() {
    struct Document: Encodable { var zeta = 1; var alpha = "a/b"; var middle = [true]; var a1 = 1; var b2 = 2; var c3 = 3 }
    let text = ReportJSON.encode(Document())
    let z = text.range(of: "zeta")!.lowerBound, a = text.range(of: "alpha")!.lowerBound, m = text.range(of: "middle")!.lowerBound
    #expect(a < m && m < z)
    for _ in 0..<20 { #expect(ReportJSON.encode(Document()) == text) }
    #expect(text.hasSuffix("}\n"))
    #expect(text.contains("a/b"), "slashes are not escaped")
  }

  @Test("a record that is not a complete record is a sentence naming the field")
  func badRecords() {
    for (data, expected) in [
      ("{", "not JSON"),
      ("{\"format\": \"grade-record-2\"}", "assignment"),
      ("[1, 2]", "record"),
    ] {
      do {
        _ = try GradeRecord.decode(Data(data.utf8))
        Issue.record("\(data) decoded")
      } catch {
        #expect(error.description.contains(expected) || error.description.contains("field"), "\(data): \(error.description)")
      }
    }
  }
}
