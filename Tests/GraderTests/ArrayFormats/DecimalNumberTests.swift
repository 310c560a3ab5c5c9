import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Jacobians
import Testing
import TestSupport
@testable import Grader

/// `DecimalNumber.exactValue` against strtod: every value it gives is strtod's to the bit, and it
/// gives one for the spellings its fast path covers.
@Suite("Decimal numbers: the exact fast path")
struct DecimalNumberTests {
  static func strtodValue(_ text: String) -> Double {
    text.withCString { strtod($0, nil) }
  }

  static func fast(_ text: String) -> Double? {
    DecimalNumber.exactValue(Array(text.utf8)[...])
  }

  @Test("shortest spellings of seeded doubles: strtod's bits whenever it answers, and it answers for ≤ 15 digits",
        arguments: randomSeeds)
  func shortestSpellings(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var answered = 0
    for _ in 0..<2000 {
      let magnitude = pow(10, rng.uniform(-30, 30))
      let x = rng.uniform(-1, 1) * magnitude
      for text in ["\(x)", "\(Float(x))", "\((x * 1e6).rounded() / 1e6)"] {
        let expected = Self.strtodValue(text)
        if let value = Self.fast(text) {
          answered += 1
          #expect(value.bitPattern == expected.bitPattern, "\(text): \(value) ≠ strtod's \(expected)")
        }
      }
      // Up to 15 significant digits within 10^±22 the fast path always answers.
      let short = String(format: "%.14e", x)
      if abs(Int(log10(abs(x)).rounded(.down))) <= 7 {
        let value = Self.fast(short)
        #expect(value?.bitPattern == Self.strtodValue(short).bitPattern, "\(short)")
      }
    }
    #expect(answered > 1000)
  }

  @Test("random digit strings and exponents: never a value strtod would not give", arguments: randomSeeds)
  func randomSpellings(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for _ in 0..<3000 {
      var text = rng.next() % 2 == 0 ? "-" : ""
      let whole = 1 + Int(rng.next() % 10), fraction = Int(rng.next() % 14)
      text += String(1 + rng.next() % 9)
      for _ in 1..<whole { text += String(rng.next() % 10) }
      if fraction > 0 {
        text += "."
        for _ in 0..<fraction { text += String(rng.next() % 10) }
      }
      if rng.next() % 2 == 0 { text += (rng.next() % 2 == 0 ? "e" : "E") + ["", "+", "-"][Int(rng.next() % 3)] + String(rng.next() % 40) }
      if let value = Self.fast(text) {
        #expect(value.bitPattern == Self.strtodValue(text).bitPattern, "\(text)")
      }
    }
  }

  @Test("edges: 2⁵³, 10²², zeros, leading zeros, long mantissas")
  func edges() {
    let answered = ["9007199254740992", "1e22", "1e-22", "0.000123", "-0.5", "123456789012345.6", "4.5E+3", "0.1", "7e0"]
    for text in answered {
      #expect(Self.fast(text)?.bitPattern == Self.strtodValue(text).bitPattern, "\(text)")
    }
    // Past the fast path: strtod's to read (2⁵³ + 1 rounds, 10²³ is not exact, zero keeps its sign).
    for text in ["9007199254740993", "1e23", "1e-23", "0", "-0", "0.0e5", "12345678901234567", "1.00000000000000000"] {
      #expect(Self.fast(text) == nil, "\(text)")
    }
  }
}
