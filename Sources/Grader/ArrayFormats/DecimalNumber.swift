/// The double a decimal spelling names, read without `strtod` when that is exact (Clinger's fast
/// path), for the readers of JSON numbers.
///
/// ```
/// spelling  −? digits (. digits)? ([eE] [+−]? digits)?        m = the digits without the point
/// value     m · 10^q                                          q = exponent − digits after the point
/// exact     m ≤ 2⁵³ and |q| ≤ 22:  Double(m) and 10^|q| are exact doubles, so one IEEE
///           multiplication (q ≥ 0) or division (q < 0) rounds the exact value once: it is the
///           correctly rounded double, the one strtod returns
/// ```
/// Anything else (more digits, a larger exponent, m = 0 — whose sign strtod keeps) is nil: the
/// caller reads it with strtod. Leading zeros of m do not count as digits.
public enum DecimalNumber {
  /// 10⁰ … 10²², each exact in a double.
  static let powersOfTen: [Double] = (0...22).map { k in
    var p = 1.0
    for _ in 0..<k { p *= 10 }   // every partial product is an exact integer below 2⁵³·2^k
    return p
  }

  /// The value of the well-formed number spelled by `bytes[span]` when the fast path is exact;
  /// nil otherwise (the caller falls back to strtod).
  public static func exactValue(_ bytes: UnsafeRawBufferPointer, _ span: Range<Int>) -> Double? {
    var k = span.lowerBound
    let end = span.upperBound
    guard k < end else { return nil }
    let negative = bytes[k] == UInt8(ascii: "-")
    if negative { k += 1 }
    var m: UInt64 = 0
    var significant = 0, afterPoint = 0
    var seenPoint = false
    while k < end {
      let c = bytes[k]
      if c == UInt8(ascii: ".") {
        seenPoint = true
      } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
        if m != 0 || c != UInt8(ascii: "0") { significant += 1 }
        guard significant <= 16 else { return nil }
        m = m * 10 + UInt64(c - UInt8(ascii: "0"))
        if seenPoint { afterPoint += 1 }
      } else {
        break
      }
      k += 1
    }
    var exponent = 0
    if k < end {
      // [eE] [+−]? digits
      k += 1
      var negativeExponent = false
      if k < end && (bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-")) {
        negativeExponent = bytes[k] == UInt8(ascii: "-")
        k += 1
      }
      guard k < end else { return nil }
      while k < end {
        let c = bytes[k]
        guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"), exponent < 1000 else { return nil }
        exponent = exponent * 10 + Int(c - UInt8(ascii: "0"))
        k += 1
      }
      if negativeExponent { exponent = -exponent }
    }
    guard m != 0, m <= 1 << 53 else { return nil }
    let q = exponent - afterPoint
    guard q >= -22 && q <= 22 else { return nil }
    let value = q >= 0 ? Double(m) * powersOfTen[q] : Double(m) / powersOfTen[-q]
    return negative ? -value : value
  }

  /// The same for the bytes of an array slice.
  public static func exactValue(_ bytes: ArraySlice<UInt8>) -> Double? {
    bytes.withUnsafeBytes { exactValue($0, 0..<$0.count) }
  }
}
