/// The softmax of a score vector, `ŷ = softmax(θ)`, computed so that it never overflows.
///
/// ```
/// ŷᵢ = exp(θᵢ) / Σ_c exp(θ_c)                  θ, ŷ ∈ ℝ^C   (C × 1 or 1 × C; ŷ keeps θ's shape)
///    = exp(θᵢ − m) / Σ_c exp(θ_c − m)          m = maxᵢ θᵢ  (the same value, stably)
/// log Σ_c exp(θ_c) = m + log Σ_c exp(θ_c − m)   (log-sum-exp)
/// ```
/// Subtracting the maximum makes every exponent ≤ 0, so no `exp` overflows and the largest term is
/// exactly 1, so the denominator is ≥ 1 and never underflows to 0.
///
/// Mathematical Properties:
/// - ŷᵢ ∈ (0, 1] and Σᵢ ŷᵢ = 1 (up to rounding).
/// - `softmax(θ + c·1) = softmax(θ)` for any constant c (shift invariance; the stable form uses it).
///
/// Edge Cases:
/// - A NaN score makes every probability NaN; an empty vector stops with a message.
/// - A score of `+∞`, or scores that are all `−∞`, give NaN (∞ − ∞), which the comparisons of
///   this package always reject. Single `−∞` scores among finite ones get probability 0.
public enum Softmax {
  /// `ŷ = softmax(θ)` for a vector `θ` (C × 1 or 1 × C); the result has the shape of `θ`.
  public static func probabilities(_ theta: Matrix) -> Matrix {
    let t = theta.vectorScalars(operation: "softmax")
    return Matrix(rows: theta.rows, cols: theta.cols, scalars: probabilities(t))
  }

  /// `softmax(θ)` for the entries of a plain array (length C ≥ 1).
  public static func probabilities(_ theta: [Double]) -> [Double] {
    if theta.isEmpty { fatalError("softmax needs at least one score, got an empty vector") }
    let m = maximum(theta)
    // Every exponent θᵢ − m ≤ 0 and the largest is exactly 0, so 1 ≤ Z ≤ C.
    let e = theta.map { _exp($0 - m) }
    let Z = e.reduce(0, +)
    return e.map { $0 / Z }
  }

  /// `log Σ_c exp(θ_c)`, computed as `m + log Σ_c exp(θ_c − m)`.
  public static func logSumExp(_ theta: [Double]) -> Double {
    if theta.isEmpty { fatalError("log-sum-exp needs at least one score, got an empty vector") }
    let m = maximum(theta)
    if m.isInfinite { return m }
    return m + _log(theta.reduce(0) { $0 + _exp($1 - m) })
  }

  /// `log softmax(θ)ᵢ = θᵢ − log Σ_c exp(θ_c)`, the same shape as `θ`.
  public static func logProbabilities(_ theta: Matrix) -> Matrix {
    let lse = logSumExp(theta.vectorScalars(operation: "log-softmax"))
    return theta.map { $0 - lse }
  }

  /// The softmax of every row of `S` (N × C): row i of the result is `softmax(Sᵢ)`, N × C.
  public static func rowwise(_ S: Matrix) -> Matrix {
    var out = [Double]()
    out.reserveCapacity(S.count)
    for i in 0..<S.rows {
      out += probabilities(Array(S.scalars[(i * S.cols)..<((i + 1) * S.cols)]))
    }
    return Matrix(rows: S.rows, cols: S.cols, scalars: out)
  }

  /// The largest entry; NaN when any entry is NaN (so that a NaN is never skipped).
  static func maximum(_ v: [Double]) -> Double {
    var m = -Double.infinity
    for x in v {
      if x.isNaN { return .nan }
      if x > m { m = x }
    }
    return m
  }
}

/// `ŷ = softmax(θ)`, the slides' spelling of `Softmax.probabilities(θ)`; same shape as `θ`.
public func softmax(_ theta: Matrix) -> Matrix { Softmax.probabilities(theta) }
