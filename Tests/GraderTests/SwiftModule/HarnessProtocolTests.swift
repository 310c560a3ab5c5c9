import Foundation
import Testing
@testable import Grader

/// The result pipe's frames and the bounds on what a result may declare, before anything is
/// allocated for it.
@Suite struct HarnessProtocolTests {
  static func frame(_ k: Int, _ body: String) -> [UInt8] {
    Array("result \(k) \(body.utf8.count)\n".utf8) + Array(body.utf8)
  }

  @Test("frames are read in order, the last of a set winning; a frame cut short is no answer")
  func frames() {
    let a = "grading-result 1 dU\nmissing\n", b = "grading-result 1 dU\nvalue 0 3ff0000000000000\n"
    let stream = Self.frame(0, a) + Self.frame(1, a) + Self.frame(1, b) + Array(Self.frame(2, b).dropLast(3))
    let bodies = HarnessProtocol.frames(stream)
    #expect(bodies == [0: a, 1: b])
    // A header that is not one, or declares more bytes than follow, ends the stream.
    #expect(HarnessProtocol.frames(Array("result 0 99999999999999\nx".utf8)).isEmpty)
    #expect(HarnessProtocol.frames(Array("garbage\n".utf8) + Self.frame(0, a)).isEmpty)
    #expect(HarnessProtocol.frames(Array("result -1 0\n".utf8)).isEmpty)
  }

  struct ShapeCase: Sendable, CustomTestStringConvertible {
    var dimensions: [String]
    var expected: [Int]?
    var refused: Bool
    var testDescription: String { "\(dimensions.joined(separator: "×")) for \(expected.map { "\($0)" } ?? "an unknown shape")" }
  }

  static let shapeCases: [ShapeCase] = [
    ShapeCase(dimensions: ["4611686018427387904", "4611686018427387904", "16"], expected: [5, 5], refused: true),   // 2⁶²·2⁶²·16 overflows
    ShapeCase(dimensions: ["99999999999999999999999"], expected: [5], refused: true),                               // does not fit in an Int
    ShapeCase(dimensions: ["65536", "65536"], expected: [10, 10], refused: true),                                   // 2³² entries
    ShapeCase(dimensions: ["65537"], expected: [4], refused: true),                                                 // past max(16·4, 65 536)
    ShapeCase(dimensions: ["65536"], expected: [4], refused: false),
    ShapeCase(dimensions: ["400", "400"], expected: [100, 100], refused: false),                                    // 16·10 000 = 160 000 allowed
    ShapeCase(dimensions: ["401", "400"], expected: [100, 100], refused: true),
    ShapeCase(dimensions: ["5000", "1000"], expected: nil, refused: true),                                          // past 2²² when unknown
  ]

  @Test("a declared shape is multiplied with overflow checks and bounded by the expected one", arguments: shapeCases)
  func declaredShapes(c: ShapeCase) {
    let text = "grading-result 1 dU\nvalue \(c.dimensions.count) " + c.dimensions.joined(separator: " ") + "\n"
    let result = HarnessProtocol.decodeResult(text, item: "dU", expectedShape: c.expected)
    if c.refused {
      #expect(result == .oversized(shape: c.dimensions, limit: HarnessProtocol.maximumEntries(expected: c.expected)))
    } else {
      // Within the bound: then the scalars must be there; none are, so it is malformed, not refused.
      #expect(result == nil)
    }
  }

  @Test("values, NaN and ±Inf arrive bit for bit; malformed bodies are not answers")
  func values() {
    let nan = String(Double.nan.bitPattern, radix: 16), inf = String(Double.infinity.bitPattern, radix: 16)
    let result = HarnessProtocol.decodeResult("grading-result 1 dU\nvalue 2 1 2 \(nan) \(inf)\n", item: "dU", expectedShape: [1, 2])
    guard case .value(let t)? = result else {
      Issue.record("\(String(describing: result))")
      return
    }
    #expect(t.shape == [1, 2] && t.scalars[0].isNaN && t.scalars[1] == .infinity)
    #expect(HarnessProtocol.decodeResult("grading-result 1 dW\nmissing\n", item: "dU") == nil)
    #expect(HarnessProtocol.decodeResult("grading-result 1 dU\nvalue 1 -3\n", item: "dU") == nil)
    #expect(HarnessProtocol.decodeResult("grading-result 1 dU\nvalue 4 1 1 1 1 0\n", item: "dU") == nil)
    #expect(HarnessProtocol.decodeResult("grading-result 1 dU\nvalue 1 2 0\n", item: "dU") == nil)
  }

  @Test("the bytes kept from one process cover the sets' bounded values, and never more than 96 MiB")
  func resultBytes() {
    #expect(HarnessProtocol.maximumEntries(expected: [5, 5]) == 65_536)
    #expect(HarnessProtocol.maximumEntries(expected: [1000, 1000]) == 1 << 22)
    #expect(HarnessProtocol.resultBytes(expectedShape: [5, 5], sets: 2) == 2 * (65_536 * 17 + 4096))
    #expect(HarnessProtocol.resultBytes(expectedShape: nil, sets: 21) == 96 << 20)
  }
}
