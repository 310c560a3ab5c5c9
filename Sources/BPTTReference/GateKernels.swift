#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Jacobians

/// The loops the fast paths of the gated models (`LSTM`, `GRU`) share: matrix–vector products
/// for the recurrence, the embedding lookup and its scatter, the batched output layer, and the
/// schedule of backward sweeps a truncation implies.
///
/// Storage as in `RecurrentCore`: timestep t (1…T) is row t − 1 of a `T × ·` matrix.
enum GateKernels {
  // MARK: Matrix–vector products

  /// y = W x (or y += W x) for a row-major `m × n` W: four rows at a time, two-wide vectors over
  /// the columns (eight independent sums). Every row's sum is formed by the same operations
  /// wherever the row lies, so permuting blocks of rows permutes the results exactly.
  @inline(__always)
  static func matrixVector(
    _ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    rows m: Int, cols n: Int, accumulate: Bool = false
  ) {
    typealias V2 = SIMD2<Double>
    let rawX = UnsafeRawPointer(x)
    var i = 0
    while i + 4 <= m {
      let r0 = UnsafeRawPointer(W + i * n), r1 = UnsafeRawPointer(W + (i + 1) * n)
      let r2 = UnsafeRawPointer(W + (i + 2) * n), r3 = UnsafeRawPointer(W + (i + 3) * n)
      var s0 = V2(), s1 = V2(), s2 = V2(), s3 = V2()
      var j = 0
      while j + 2 <= n {
        let xj = rawX.loadUnaligned(fromByteOffset: j * 8, as: V2.self)
        s0 += r0.loadUnaligned(fromByteOffset: j * 8, as: V2.self) * xj
        s1 += r1.loadUnaligned(fromByteOffset: j * 8, as: V2.self) * xj
        s2 += r2.loadUnaligned(fromByteOffset: j * 8, as: V2.self) * xj
        s3 += r3.loadUnaligned(fromByteOffset: j * 8, as: V2.self) * xj
        j += 2
      }
      var t0 = s0[0] + s0[1], t1 = s1[0] + s1[1], t2 = s2[0] + s2[1], t3 = s3[0] + s3[1]
      if j < n {
        t0 += W[i * n + j] * x[j]; t1 += W[(i + 1) * n + j] * x[j]
        t2 += W[(i + 2) * n + j] * x[j]; t3 += W[(i + 3) * n + j] * x[j]
      }
      if accumulate {
        y[i] += t0; y[i + 1] += t1; y[i + 2] += t2; y[i + 3] += t3
      } else {
        y[i] = t0; y[i + 1] = t1; y[i + 2] = t2; y[i + 3] = t3
      }
      i += 4
    }
    while i < m {
      let row = UnsafeRawPointer(W + i * n)
      var s = V2()
      var j = 0
      while j + 2 <= n {
        s += row.loadUnaligned(fromByteOffset: j * 8, as: V2.self) * rawX.loadUnaligned(fromByteOffset: j * 8, as: V2.self)
        j += 2
      }
      var t = s[0] + s[1]
      if j < n { t += W[i * n + j] * x[j] }
      if accumulate { y[i] += t } else { y[i] = t }
      i += 1
    }
  }

  /// y = Wᵀ x (or y += Wᵀ x) for a row-major `m × n` W, as Σ_r x_r W[r, :] over contiguous rows:
  /// `(n × 1) = (m × n)ᵀ (m × 1)`.
  @inline(__always)
  static func transposedMatrixVector(
    _ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    rows m: Int, cols n: Int, accumulate: Bool = false
  ) {
    if !accumulate { y.update(repeating: 0, count: n) }
    var r = 0
    // Four rows per pass over y: a quarter of the loads and stores of y.
    while r + 4 <= m {
      let c0 = x[r], c1 = x[r + 1], c2 = x[r + 2], c3 = x[r + 3]
      let w0 = W + r * n, w1 = W + (r + 1) * n, w2 = W + (r + 2) * n, w3 = W + (r + 3) * n
      for j in 0..<n { y[j] += (c0 * w0[j] + c1 * w1[j]) + (c2 * w2[j] + c3 * w3[j]) }
      r += 4
    }
    while r < m {
      let c = x[r]
      let row = W + r * n
      for j in 0..<n { y[j] += c * row[j] }
      r += 1
    }
  }

  // MARK: Elementwise

  /// σ(z) = 1 / (1 + e^(−z)), neither branch overflowing (as `Activation.logistic`).
  @inline(__always)
  static func sigmoid(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + exp(-z)) }
    let e = exp(z)
    return e / (1 + e)
  }

  @inline(__always)
  static func tanh(_ z: Double) -> Double { Glibc_tanh(z) }

  // MARK: Embeddings

  /// Es (T × d), row t − 1 = e^(t)ᵀ = column x(t) of E (d × |V|).
  static func embeddings(_ E: Matrix, tokens: [Int], steps T: Int) -> Matrix {
    let d = E.rows, V = E.cols
    var Es = Matrix(rows: T, cols: d)
    for t in 0..<T {
      let w = tokens[t]
      for k in 0..<d { Es.scalars[t * d + k] = E.scalars[k * V + w] }
    }
    return Es
  }

  /// dE (d × |V|): column x(t) receives row t − 1 of dEs (T × d) for every t; the columns of
  /// words that are not inputs stay zero, a word that occurs twice gets both rows.
  static func scatterEmbeddingGradient(_ dEs: Matrix, tokens: [Int], vocabularySize V: Int) -> Matrix {
    let T = dEs.rows, d = dEs.cols
    var dE = Matrix(rows: d, cols: V)
    for t in 0..<T {
      let w = tokens[t]
      for k in 0..<d { dE.scalars[k * V + w] += dEs.scalars[t * d + k] }
    }
    return dE
  }

  // MARK: The output layer, batched over all timesteps

  /// ŷ^(t) = softmax(U h^(t) + b_2) for every t at once, and J^(t) = −log ŷ^(t)_{x(t+1)}.
  /// ```
  /// logits = Hout Uᵀ + 1 b_2ᵀ      (T × |V|) = (T × H)(|V| × H)ᵀ
  /// ```
  /// `Hout` (T × H) has rows h^(t)ᵀ, t = 1…T. Returns P (T × |V|, rows ŷ^(t)ᵀ) and the J^(t).
  static func outputForward(_ Hout: Matrix, U: Matrix, b_2: Matrix, targets: [Int]) -> (P: Matrix, stepLosses: [Double]) {
    let T = Hout.rows, V = U.rows
    var P = MatrixProduct.multiply(Hout, U, transposeB: true)
    var stepLosses = [Double](repeating: 0, count: T)
    P.scalars.withUnsafeMutableBufferPointer { p in
      b_2.scalars.withUnsafeBufferPointer { b in
        for t in 0..<T {
          let row = p.baseAddress! + t * V
          for v in 0..<V { row[v] += b[v] }
          stepLosses[t] = RecurrentCore.softmaxInPlace(row, V, target: targets[t])
        }
      }
    }
    return (P, stepLosses)
  }

  /// The output layer's backward pass for `Σₜ wₜ J^(t)`; `P` is consumed (turned into G1).
  /// ```
  /// G1 = rows wₜ (ŷ^(t) − y^(t))ᵀ        (T × |V|)
  /// dU = G1ᵀ Hout                         (|V| × H) = (T × |V|)ᵀ(T × H)
  /// db_2 = G1ᵀ 1                          (|V| × 1)
  /// dHout = G1 U                          (T × H), row t − 1 = wₜ ∂J^(t)/∂h^(t) (ᵀ)
  /// ```
  static func outputBackward(_ P: inout Matrix, _ Hout: Matrix, U: Matrix, targets: [Int], weights: [Double])
    -> (dU: Matrix, db_2: Matrix, dHout: Matrix)
  {
    let T = Hout.rows, V = U.rows
    var G1 = Matrix(rows: 0, cols: 0)
    swap(&G1, &P)
    G1.scalars.withUnsafeMutableBufferPointer { g in
      for t in 0..<T {
        let row = g.baseAddress! + t * V
        let w = weights[t]
        row[targets[t]] -= 1
        if w != 1 { for v in 0..<V { row[v] *= w } }
      }
    }
    let dU = MatrixProduct.multiply(G1, Hout, transposeA: true)
    let db_2 = G1.columnSums().transposed
    let dHout = MatrixProduct.multiply(G1, U)
    return (dU, db_2, dHout)
  }

  /// Σₜ wₜ J^(t) with wₜ = 1/T (mean) or 1 (sum), summed in increasing t.
  static func reduce(_ stepLosses: [Double], _ reduction: LossReduction) -> Double {
    let s = stepLosses.reduce(0, +)
    return reduction == .mean ? s / Double(stepLosses.count) : s
  }

  // MARK: The backward sweeps of a truncation

  /// One backward sweep: steps `top` down to `bottom` (1-based), taking the output gradient
  /// ∂J^(t)/∂h^(t) of every step (`everyOutput`) or of `top` alone; the carry starts at zero
  /// at `top` and is dropped below `bottom` unless `bottom` is 1 (then it is ∂/∂h^(0)).
  struct Sweep: Equatable {
    var top: Int
    var bottom: Int
    var everyOutput: Bool
  }

  /// The sweeps that compute the truncated gradient (`Truncation.firstKeptStep`):
  /// ```
  /// full, or k ≥ T    one sweep T … 1, every output
  /// chunks(k)         one sweep per chunk, last chunk first, every output of the chunk
  /// window(k)         one sweep per loss term t: t … max(1, t − k + 1), J^(t)'s output only
  /// ```
  static func sweeps(steps T: Int, truncation: Truncation) -> [Sweep] {
    if truncation.isFull(forSteps: T) { return [Sweep(top: T, bottom: 1, everyOutput: true)] }
    switch truncation {
    case .full:
      return [Sweep(top: T, bottom: 1, everyOutput: true)]
    case .chunks(let k):
      return stride(from: ((T - 1) / k) * k + 1, through: 1, by: -k).map {
        Sweep(top: Swift.min($0 + k - 1, T), bottom: $0, everyOutput: true)
      }
    case .window:
      return stride(from: T, through: 1, by: -1).map {
        Sweep(top: $0, bottom: truncation.firstKeptStep(for: $0), everyOutput: false)
      }
    }
  }

  /// The step s(t) = firstKeptStep(t) − 1 whose state J^(t) starts from in the truncated
  /// objective: a constant when s ≥ 1, the parameter h^(0) (and c^(0)) when s = 0.
  static func cutStep(_ truncation: Truncation, t: Int) -> Int { truncation.firstKeptStep(for: t) - 1 }
}

@inline(__always) private func Glibc_tanh(_ x: Double) -> Double { tanh(x) }

extension Matrix {
  /// Columns `range` of every row: `rows × range.count`.
  func columns(_ range: Range<Int>) -> Matrix {
    let n = range.count
    var out = [Double](repeating: 0, count: rows * n)
    for i in 0..<rows {
      for j in 0..<n { out[i * n + j] = scalars[i * cols + range.lowerBound + j] }
    }
    return Matrix(rows: rows, cols: n, scalars: out)
  }
}
