/// An entry-by-entry comparison of a submitted array with an expected one of the same shape.
///
/// ```
/// abs error of entry k   |sₖ − rₖ|
/// rel error of entry k   |sₖ − rₖ| / max(|sₖ|, |rₖ|)         (0 when both are 0)
/// passes                 every entry finite and |sₖ − rₖ| ≤ absolute + relative·|rₖ|
/// worst entry            the one with the largest |sₖ − rₖ| / (absolute + relative·|rₖ|)
/// ```
/// A NaN or ±Inf submitted entry is the worst entry and fails the comparison.
public struct EntryComparison: Sendable, Equatable {
  public var maxAbsError: Double
  public var maxRelError: Double
  /// Multi-index of the worst entry in the item's shape (empty for a scalar).
  public var worstIndex: [Int]
  public var worstSubmitted: Double
  public var worstExpected: Double
  public var passed: Bool
  /// How many entries fail.
  public var failingEntries: Int

  public static func compare(submitted: [Double], expected: [Double], shape: [Int], tolerance: Tolerance) -> EntryComparison {
    precondition(submitted.count == expected.count, "compare needs equal counts")
    var maxAbs = 0.0, maxRel = 0.0, worstRatio = -1.0, worst = 0, failing = 0
    for k in submitted.indices {
      let s = submitted[k], r = expected[k]
      let diff = Swift.abs(s - r)
      let ratio: Double
      if !s.isFinite || !r.isFinite || diff.isNaN {
        ratio = .infinity
        maxAbs = .infinity
        maxRel = .infinity
      } else {
        let scale = Swift.max(Swift.abs(s), Swift.abs(r))
        maxAbs = Swift.max(maxAbs, diff)
        maxRel = Swift.max(maxRel, scale == 0 ? 0 : diff / scale)
        let bound = tolerance.bound(for: r)
        ratio = bound > 0 ? diff / bound : (diff == 0 ? 0 : .infinity)
      }
      if !tolerance.accepts(s, expected: r) { failing += 1 }
      if ratio > worstRatio { worstRatio = ratio; worst = k }
    }
    return EntryComparison(
      maxAbsError: maxAbs, maxRelError: maxRel,
      worstIndex: multiIndex(worst, shape: shape),
      worstSubmitted: submitted.isEmpty ? 0 : submitted[worst],
      worstExpected: expected.isEmpty ? 0 : expected[worst],
      passed: failing == 0, failingEntries: failing)
  }

  /// `compare(…).passed` for the entries in `range` (all by default), stopping at the first
  /// entry that fails: every entry finite and within `tolerance` of the expected one.
  public static func passes(submitted: [Double], expected: [Double], tolerance: Tolerance, in range: Range<Int>? = nil) -> Bool {
    precondition(submitted.count == expected.count, "compare needs equal counts")
    let range = range ?? submitted.indices
    return submitted.withUnsafeBufferPointer { s in
      expected.withUnsafeBufferPointer { r in
        for k in range where !tolerance.accepts(s[k], expected: r[k]) { return false }
        return true
      }
    }
  }

  /// The multi-index of flat (row-major) position `k`.
  public static func multiIndex(_ k: Int, shape: [Int]) -> [Int] {
    var index = [Int](repeating: 0, count: shape.count)
    var rest = k
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      let n = Swift.max(shape[axis], 1)
      index[axis] = rest % n
      rest /= n
    }
    return index
  }
}
