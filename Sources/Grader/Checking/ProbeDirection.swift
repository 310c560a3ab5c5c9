import Jacobians

/// An item-shaped direction c along which a probe's line φ is evaluated: φ′(0) = ⟨item, c⟩.
/// The estimator picks it; the probe only follows it.
///
/// ```
/// basis(k)        c = e_k                                     one entry: exact checks of small items
/// random(seed)    c_k = s_k (1 + m_k),  s_k = ±1, m_k ∈ [0, 1)  every entry, |c_k| ∈ [1, 2)
/// outer(seed)     c = a bᵀ, a and b random as above           rank one, for Jacobian items
/// ```
/// Entries are a counter-based hash of (seed, k) — 32 bits each: the sign and a 31-bit
/// magnitude — so any entry or block is computed where it is needed, in any order, and a
/// direction of any size holds two words: checking an item never allocates a dense array per
/// direction. The seeds come from the run's secret numeric seed (`Autograder.numericSeed`).
///
/// Mathematical properties (what detection rests on):
/// - |c_k| ≥ 1 for every k: an error δ confined to one entry k moves ⟨·, c⟩ by at least |δ|,
///   whatever the seed.
/// - Given the magnitudes, the signs s_k are independent and fair: for a fixed error vector e,
///   P(|⟨e, c⟩| ≥ 7·√(Σ c_k² e_k²)) ≤ 2·e^(−49/2) < 5·10⁻¹¹ (Hoeffding).
/// - For any δ ≠ 0 and any t, P(|⟨δ, c⟩| < t) ≤ 2t/‖δ‖∞ + 2⁻³¹: conditioned on every other
///   entry, the term of the largest |δ_k| is uniform on an interval of length |δ_k| (up to the
///   31-bit grid), so it lands within t of any value with at most that probability.
public struct ProbeDirection: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case basis(Int)
    case random(seed: UInt64)
    case outer(rows: Int, cols: Int, seed: UInt64)
  }

  /// The item's number of entries.
  public let count: Int
  public let kind: Kind

  public static func basis(_ k: Int, count: Int) -> ProbeDirection {
    precondition(k >= 0 && k < count, "basis vector \(k) of \(count) entries")
    return ProbeDirection(count: count, kind: .basis(k))
  }

  public static func random(seed: UInt64, count: Int) -> ProbeDirection {
    ProbeDirection(count: count, kind: .random(seed: seed))
  }

  /// c = a bᵀ for an item of `rows × cols` entries (a Jacobian, row-major).
  public static func outer(rows: Int, cols: Int, seed: UInt64) -> ProbeDirection {
    ProbeDirection(count: rows * cols, kind: .outer(rows: rows, cols: cols, seed: seed))
  }

  /// c_k.
  public func entry(_ k: Int) -> Double {
    switch kind {
    case .basis(let i): return k == i ? 1 : 0
    case .random(let seed): return Self.signed(seed, k)
    case .outer(_, let cols, let seed):
      return Self.signed(Self.mix(seed ^ 0xA), k / cols) * Self.signed(Self.mix(seed ^ 0xB), k % cols)
    }
  }

  /// c_k for k in `range`, in order.
  public func entries(_ range: Range<Int>) -> [Double] {
    var out = [Double](repeating: 0, count: range.count)
    out.withUnsafeMutableBufferPointer { fill($0, from: range.lowerBound) }
    return out
  }

  /// Every entry.
  public var scalars: [Double] { entries(0..<count) }

  /// Every entry as a matrix of `rows × cols` (rows · cols = count).
  public func matrix(rows: Int, cols: Int) -> Matrix {
    precondition(rows * cols == count, "a direction of \(count) entries as \(rows) × \(cols)")
    return Matrix(rows: rows, cols: cols, scalars: scalars)
  }

  /// The factors a (rows) and b (cols) of an outer direction; nil for the others.
  public var factors: (a: [Double], b: [Double])? {
    guard case .outer(let rows, let cols, let seed) = kind else { return nil }
    return (ProbeDirection.random(seed: Self.mix(seed ^ 0xA), count: rows).scalars,
            ProbeDirection.random(seed: Self.mix(seed ^ 0xB), count: cols).scalars)
  }

  /// Writes c_k for k = start, start + 1, … into `out`.
  public func fill(_ out: UnsafeMutableBufferPointer<Double>, from start: Int) {
    guard let base = out.baseAddress, out.count > 0 else { return }
    switch kind {
    case .basis(let i):
      for n in 0..<out.count { base[n] = 0 }
      if i >= start && i < start + out.count { base[i - start] = 1 }
    case .random(let seed):
      Self.fillSigned(seed, from: start, base, out.count)
    case .outer(_, let cols, _):
      let (a, b) = factors!
      var k = start
      for n in 0..<out.count {
        base[n] = a[k / cols] * b[k % cols]
        k += 1
      }
    }
  }

  /// Calls `body(start, block)` for consecutive blocks of entries covering the direction, in order.
  public func forEachBlock(_ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
    let blockSize = 4096
    let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: Swift.min(blockSize, Swift.max(count, 1)))
    defer { buffer.deallocate() }
    var start = 0
    while start < count {
      let n = Swift.min(blockSize, count - start)
      let block = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
      fill(block, from: start)
      body(start, UnsafeBufferPointer(block))
      start += n
    }
  }

  /// ⟨values, c⟩ and Σ|values_k c_k|, the scale of its rounding.
  public struct Dot: Sendable, Equatable {
    public var value: Double
    public var absolute: Double
    public init(value: Double, absolute: Double) {
      self.value = value
      self.absolute = absolute
    }
  }

  /// ⟨values, c⟩ and Σ|values_k c_k|.
  public func dot(_ values: [Double]) -> Dot {
    precondition(values.count == count, "a direction of \(count) entries against \(values.count) values")
    if case .basis(let i) = kind { return Dot(value: values[i], absolute: Swift.abs(values[i])) }
    var s = 0.0, a = 0.0
    values.withUnsafeBufferPointer { v in
      forEachBlock { start, c in
        for n in 0..<c.count {
          let p = v[start + n] * c[n]
          s += p
          a += Swift.abs(p)
        }
      }
    }
    return Dot(value: s, absolute: a)
  }

  /// How far ⟨s, c⟩ may move when every entry of s may be off by τ_k = tolerance.bound(s_k):
  /// 7·√(Σ c_k² τ_k²) for independent signs (exceeded with probability below 5·10⁻¹¹ by an
  /// error chosen without knowing them), the worst case Σ |c_k| τ_k for a rank-one direction
  /// (whose signs are products) or a basis vector.
  public func toleranceAllowance(_ values: [Double], tolerance: Tolerance) -> Double {
    precondition(values.count == count, "a direction of \(count) entries against \(values.count) values")
    if case .basis(let i) = kind { return tolerance.bound(for: values[i]) }
    var independent = true
    if case .outer = kind { independent = false }
    var sum = 0.0
    values.withUnsafeBufferPointer { v in
      forEachBlock { start, c in
        for n in 0..<c.count {
          let tau = tolerance.bound(for: v[start + n])
          sum += independent ? c[n] * c[n] * tau * tau : Swift.abs(c[n]) * tau
        }
      }
    }
    return independent ? 7 * sum.squareRoot() : sum
  }

  // MARK: The hash

  /// SplitMix64's finalizer: a bijection of 64-bit words whose outputs pass BigCrush.
  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// ±(1 + m), m ∈ [0, 1) on a 2⁻³¹ grid, from half of the word of entry k.
  @inline(__always)
  static func signed(_ seed: UInt64, _ k: Int) -> Double {
    let word = mix(seed &+ UInt64(k >> 1) &* 0xD1B5_4A32_D192_ED03)
    return value(UInt32(truncatingIfNeeded: (k & 1) == 0 ? word : word >> 32))
  }

  /// ±(1 + m·2⁻³¹) from 32 bits: the sign from the top bit, m from the other 31, written
  /// straight into the bits of a Double (exponent 0, m at the top of the mantissa): exact.
  @inline(__always)
  static func value(_ half: UInt32) -> Double {
    let h = UInt64(half)
    return Double(bitPattern: ((h >> 31) << 63) | 0x3FF0_0000_0000_0000 | ((h & 0x7FFF_FFFF) << 21))
  }

  /// `signed(seed, k)` for k = start ..< start + n, two entries per hash.
  static func fillSigned(_ seed: UInt64, from start: Int, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    var k = start, i = 0
    if k & 1 == 1 && i < n {
      out[i] = signed(seed, k)
      k += 1
      i += 1
    }
    while i + 1 < n {
      let word = mix(seed &+ UInt64(k >> 1) &* 0xD1B5_4A32_D192_ED03)
      out[i] = value(UInt32(truncatingIfNeeded: word))
      out[i + 1] = value(UInt32(truncatingIfNeeded: word >> 32))
      k += 2
      i += 2
    }
    if i < n { out[i] = signed(seed, k) }
  }
}
