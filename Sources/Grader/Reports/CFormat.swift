import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Numbers printed with a C format (`"%.2f"`, `"%.6g"`, `"%02x"`): the characters
/// `String(format:)` gives, through `vsnprintf` into a buffer on the stack, without Foundation's
/// formatter — a report's pictures print thousands of numbers.
///
/// ```
/// CFormat.string("%.2f", 2.5)        "2.50"
/// CFormat.string("%.3e", 1.0e-7)     "1.000e-07"
/// ```
/// Output longer than 511 bytes is cut there (no number a report prints comes close).
enum CFormat {
  static func string(_ format: String, _ arguments: CVarArg...) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buffer -> String in
      let base = buffer.baseAddress!
      let written = withVaList(arguments) { vsnprintf(base, buffer.count, format, $0) }
      let n = Int(Swift.max(0, Swift.min(written, Int32(buffer.count - 1))))
      return String(decoding: UnsafeRawBufferPointer(start: base, count: n), as: UTF8.self)
    }
  }

  /// `"%.2f"` of `x` without its trailing zeros and point, "-0" as "0" (`SVGChart.f`: a chart
  /// prints thousands of coordinates), worked out from x·100 rounded to an integer; nil where
  /// that could differ from printf's rounding of x's exact value — x·100 within 10⁻⁶ of a halfway
  /// case (its own rounding error is below 2⁻²⁶ for |x| < 10⁶), |x| ≥ 10⁶, NaN or ±Inf.
  ///
  /// ```
  /// 12.5 → "12.5"    3 → "3"    -0.001 → "0"    7.256 → "7.26"    0.125 → nil (a halfway case)
  /// ```
  static func twoDecimalsTrimmed(_ x: Double) -> String? {
    let a = Swift.abs(x)
    guard a < 1e6 else { return nil }   // false for NaN too
    let scaled = a * 100
    let fraction = scaled - scaled.rounded(.down)
    guard Swift.abs(fraction - 0.5) > 1e-6 else { return nil }
    let n = Int(scaled.rounded())
    guard n != 0 else { return "0" }
    let whole = n / 100, cents = n % 100
    var out = x < 0 ? "-" : ""
    out += String(whole)
    if cents != 0 {
      out += cents % 10 == 0 ? ".\(cents / 10)" : (cents < 10 ? ".0\(cents)" : ".\(cents)")
    }
    return out
  }
}
