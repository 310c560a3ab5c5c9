import Foundation
import Testing
import TestSupport
@testable import Grader
import Jacobians

/// `CFormat` against Foundation's `String(format:)`, the formatter it stands in for: the same
/// characters for every format the reports use, at seeded values across many magnitudes, both
/// signs, the halfway cases of rounding, zeros and the non-finite.
@Suite("C formats of numbers")
struct CFormatTests {
  static let formats = ["%.2f", "%.6g", "%.3e", "%.0f"]

  static let special: [Double] = [
    0, -0.0, 0.005, 0.015, 0.125, -0.125, 2.675, 1.005, 0.995, -0.004, 1e-7, 123456.789, 1e300, -1.7976931348623157e308,
    .leastNonzeroMagnitude, .nan, .infinity, -.infinity,
  ]

  @Test("the characters of String(format:), at special values and seeded ones", arguments: randomSeeds)
  func sameAsFoundation(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let seeded = (0..<200).map { _ -> Double in
      let mantissa = Double(rng.next() % 2_000_001) / 1_000_000 - 1
      let exponent = Int(rng.next() % 25) - 12
      return mantissa * pow(10, Double(exponent))
    }
    for x in Self.special + seeded {
      for format in Self.formats {
        #expect(CFormat.string(format, x) == String(format: format, x), "\(format) of \(x)")
      }
    }
  }

  @Test("colours and coordinates of the pictures as before: hex bytes, two decimals without trailing zeros")
  func pictures() {
    #expect(CFormat.string("#%02x%02x%02x", Int32(255), Int32(0), Int32(10)) == "#ff000a")
    #expect(SVGChart.hex((254.6, 0.4, 16)) == String(format: "#%02x%02x%02x", 255, 0, 16))
    let cases: [(Double, String)] = [(12.5, "12.5"), (3, "3"), (-0.001, "0"), (0.105, "0.1"), (100, "100"), (7.25, "7.25"), (-2.5, "-2.5")]
    for (x, expected) in cases {
      #expect(SVGChart.f(x) == expected, "\(x)")
    }
    #expect(Autograder.number(1.5e-7) == "1.500e-07" && Autograder.number(0.25) == "0.25")
  }
}
