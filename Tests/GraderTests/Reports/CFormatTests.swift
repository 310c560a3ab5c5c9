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

  @Test("numbers of the reports: whole numbers without printf give printf's characters", arguments: randomSeeds)
  func wholeNumbers(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let whole = (0..<300).map { _ in Double(Int(rng.next() % 200_001) - 100_000) } + [1, -1, 99_999, -99_999, 100_000, 1e5 + 1, 12, 3]
    for x in whole + whole.map({ $0 + 0.5 }) + whole.map({ $0 / 7 }) where x != 0 {
      let a = abs(x)
      let printf = a >= 1e-3 && a < 1e5 ? String(format: "%.6g", x) : String(format: "%.3e", x)
      #expect(Autograder.number(x) == printf, "\(x)")
    }
  }

  /// `"%.2f"` trimmed as `SVGChart.f` trims it, through printf.
  static func trimmedPrintf(_ x: Double) -> String {
    var t = Substring(String(format: "%.2f", x))
    while t.hasSuffix("0") { t = t.dropLast() }
    if t.hasSuffix(".") { t = t.dropLast() }
    return t == "-0" ? "0" : String(t)
  }

  @Test("coordinates without printf: the trimmed characters of %.2f, the halfway cases left to printf", arguments: randomSeeds)
  func twoDecimalsWithoutPrintf(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    // Coordinates of a chart (0–1000, two decimals or many), halfway cases (k/200 and their
    // neighbours one ulp away), and any magnitude up to 10⁷.
    var values = Self.special + [0.125, 1.125, 2.675, 0.285, 1.005, 999_999.995, 1e6, 1e6 - 0.001, 0.004999999999999999]
    var coordinates: [Double] = []
    for _ in 0..<300 {
      let halfway = Double(Int(rng.next() % 200_000) * 2 + 1) / 200
      values += [halfway, halfway.nextUp, halfway.nextDown, -halfway]
      coordinates.append(Double(Int(rng.next() % 100_000) - 50_000) / 100)
      values.append(Double(rng.next() % 1_000_000_000) / 1_000_000 * (rng.next() % 2 == 0 ? 1 : -1))
      values.append(Double(rng.next() % 2_000_001) / 1_000_000 * pow(10, Double(Int(rng.next() % 10) - 3)))
    }
    for x in values + coordinates {
      if let text = CFormat.twoDecimalsTrimmed(x) { #expect(text == Self.trimmedPrintf(x), "\(x)") }
      #expect(SVGChart.f(x) == Self.trimmedPrintf(x), "\(x)")
    }
    // A number of two decimals or fewer is never near a halfway case: it takes the fast way.
    #expect(coordinates.allSatisfy { CFormat.twoDecimalsTrimmed($0) != nil })
  }

  @Test("colours without printf: the bytes of #%02x%02x%02x, out-of-range channels left to printf")
  func coloursWithoutPrintf() {
    var rng = SplitMix64(seed: 7)
    var colours: [(Double, Double, Double)] = [(0, 0, 0), (255, 255, 255), (255.4, -0.4, 15.5), (256, 0, 0), (-1, 300, 8)]
    for _ in 0..<500 { colours.append((Double(rng.next() % 2560) / 10, Double(rng.next() % 2560) / 10, Double(rng.next() % 2560) / 10)) }
    for c in colours {
      let (r, g, b) = (Int32(c.0.rounded()), Int32(c.1.rounded()), Int32(c.2.rounded()))
      #expect(SVGChart.hex(c) == String(format: "#%02x%02x%02x", r, g, b), "\(c)")
    }
    #expect(SVGChart.reds(0.5) == String(format: "#%02x%02x%02x", 251, 106, 74))
  }
}
