#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Jacobians

/// The recurrence and the output layer, shared by the column form, the row form (through the
/// transposes) and the canonical RNN (whose input term is a column of W_xh). The fast path:
/// the output layer is batched over all timesteps as matrix products, the recurrence is the
/// δ recursion.
///
/// Storage: timestep t (1…T) is row t − 1 of a `T × ·` matrix; h^(t) is row t of `Hs`.
/// ```
/// A      T × H        row t−1 = (input term of z^(t))ᵀ, e.g. (W_e e^(t))ᵀ
/// Z      T × H        row t−1 = z^(t)ᵀ = (W_h h^(t−1) + a^(t) + b_1)ᵀ
/// Hs     (T+1) × H    row t   = h^(t)ᵀ,  row 0 = h0ᵀ
/// P      T × |V|      row t−1 = ŷ^(t)ᵀ = softmax(U h^(t) + b_2)ᵀ
/// logits = Hs[1…T] Uᵀ             (T × |V|) = (T × H)(|V| × H)ᵀ
/// ```
struct RecurrentCore {
  var W_h: Matrix
  /// nil when biases are off.
  var b_1: Matrix?
  var U: Matrix
  var b_2: Matrix?
  var h0: Matrix
  var activation: Activation

  var hiddenSize: Int { W_h.rows }
  var vocabularySize: Int { U.rows }

  struct Forward {
    var Z: Matrix
    var Hs: Matrix
    var P: Matrix
    var stepLosses: [Double]
  }

  /// The gradients of a weighted sum of step losses `Σₜ wₜ J^(t)`, truncated.
  struct Backward {
    var dU: Matrix
    var db_2: Matrix
    var dW_h: Matrix
    var db_1: Matrix
    var dh0: Matrix
    /// T × H, row t−1 = ∂(Σ wₛ J^(s))/∂z^(t) over the kept terms.
    var Gz: Matrix
  }

  // MARK: Forward

  /// The forward pass for inputs `A` (T × H) and targets x(2…T+1).
  func forward(inputTerms A: Matrix, targets: [Int]) -> Forward {
    let T = A.rows, H = hiddenSize, V = vocabularySize
    var Z = Matrix(rows: T, cols: H)
    var Hs = Matrix(rows: T + 1, cols: H)
    for j in 0..<H { Hs.scalars[j] = h0.scalars[j] }
    let f = activation
    W_h.scalars.withUnsafeBufferPointer { W in
      A.scalars.withUnsafeBufferPointer { a in
        Z.scalars.withUnsafeMutableBufferPointer { z in
          Hs.scalars.withUnsafeMutableBufferPointer { hs in
            for t in 0..<T {
              // z^(t) = W_h h^(t−1) + a^(t) + b_1
              let hPrev = UnsafePointer(hs.baseAddress! + t * H)
              let zt = z.baseAddress! + t * H
              RecurrentCore.matrixVector(W.baseAddress!, hPrev, zt, H)
              for i in 0..<H {
                var zi = zt[i] + a[t * H + i]
                if let b = b_1 { zi += b.scalars[i] }
                zt[i] = zi
                hs[(t + 1) * H + i] = f(zi)
              }
            }
          }
        }
      }
    }
    // Output layer for all timesteps at once: logits = Hs[1…T] Uᵀ  (T × |V|).
    let hOut = Hs.rows(1..<(T + 1))
    var P = MatrixProduct.multiply(hOut, U, transposeB: true)
    var stepLosses = [Double](repeating: 0, count: T)
    P.scalars.withUnsafeMutableBufferPointer { p in
      for t in 0..<T {
        let row = p.baseAddress! + t * V
        if let b = b_2 {
          b.scalars.withUnsafeBufferPointer { bp in
            for v in 0..<V { row[v] += bp[v] }
          }
        }
        stepLosses[t] = Self.softmaxInPlace(row, V, target: targets[t])
      }
    }
    return Forward(Z: Z, Hs: Hs, P: P, stepLosses: stepLosses)
  }

  /// y = W x for a square `n × n` row-major W: four rows at a time, two-wide vectors over the
  /// columns (eight independent sums).
  @inline(__always)
  static func matrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    typealias V2 = SIMD2<Double>
    var i = 0
    let rawX = UnsafeRawPointer(x)
    while i + 4 <= n {
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
      y[i] = t0; y[i + 1] = t1; y[i + 2] = t2; y[i + 3] = t3
      i += 4
    }
    while i < n {
      var s = 0.0
      for j in 0..<n { s += W[i * n + j] * x[j] }
      y[i] = s
      i += 1
    }
  }

  /// y = Wᵀ x for a square `n × n` row-major W, as Σ_r x_r W[r, :] (contiguous rows).
  @inline(__always)
  static func transposedMatrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    for j in 0..<n { y[j] = 0 }
    for r in 0..<n {
      let c = x[r]
      if c == 0 { continue }
      let row = W + r * n
      for j in 0..<n { y[j] += c * row[j] }
    }
  }

  /// Replaces logits by softmax probabilities; returns −log ŷ_target = logΣexp(l) − l_target.
  /// ```
  /// ŷ = exp(l − m) / Σ exp(l − m),  m = max l      (no overflow)
  /// ```
  @inline(__always)
  static func softmaxInPlace(_ row: UnsafeMutablePointer<Double>, _ V: Int, target: Int) -> Double {
    var m = -Double.infinity
    for v in 0..<V where row[v] > m { m = row[v] }
    if !m.isFinite { m = 0 }
    let targetLogit = row[target]
    var s = 0.0
    for v in 0..<V {
      let e = exp(row[v] - m)
      row[v] = e
      s += e
    }
    let inv = 1 / s
    for v in 0..<V { row[v] *= inv }
    return (log(s) + m) - targetLogit
  }

  // MARK: Backward

  /// The backward pass of `Σₜ weights[t−1] J^(t)` with `truncation` (terms i < firstKeptStep(t)
  /// of J^(t) are dropped).
  ///
  /// ```
  /// δ1^(t) = ŷ^(t) − y^(t)                       G1 = rows wₜ δ1^(t)ᵀ        (T × |V|)
  /// dU = G1ᵀ Hs[1…T]    (|V| × H)                db_2 = G1ᵀ 1               (|V| × 1)
  /// ∂/∂h^(t) from the output: G1 U               (T × H)
  /// ∂/∂z^(i) = ∂/∂h^(i) ⊙ f′(z^(i))              ∂/∂h^(i−1) += W_hᵀ ∂/∂z^(i)
  /// dW_h = Gzᵀ Hs[0…T−1]  (H × H)                db_1 = Gzᵀ 1               (H × 1)
  /// ```
  /// The probabilities `fwd.P` are consumed (turned into G1 in place); `fwd.P` is left empty.
  func backward(_ fwd: inout Forward, targets: [Int], weights: [Double], truncation: Truncation) -> Backward {
    let T = fwd.Z.rows, H = hiddenSize, V = vocabularySize
    var G1 = Matrix(rows: 0, cols: 0)
    swap(&G1, &fwd.P)
    G1.scalars.withUnsafeMutableBufferPointer { g in
      for t in 0..<T {
        let row = g.baseAddress! + t * V
        let w = weights[t]
        if w == 0 {
          for v in 0..<V { row[v] = 0 }
        } else {
          row[targets[t]] -= 1
          if w != 1 { for v in 0..<V { row[v] *= w } }
        }
      }
    }
    let hOut = fwd.Hs.rows(1..<(T + 1))
    let dU = MatrixProduct.multiply(G1, hOut, transposeA: true)
    let db_2 = b_2 == nil ? Matrix(rows: V, cols: 1) : G1.columnSums().transposed
    let dHout = MatrixProduct.multiply(G1, U)
    let fp = activation.derivative(fwd.Z)

    var Gz = Matrix(rows: T, cols: H)
    var dh0 = Matrix(rows: H, cols: 1)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 3 * H)
    defer { scratch.deallocate() }
    scratch.initialize(repeating: 0, count: 3 * H)
    let back = scratch, carry = scratch + H, gzi = scratch + 2 * H
    W_h.scalars.withUnsafeBufferPointer { Wb in
      fp.scalars.withUnsafeBufferPointer { fpb in
        dHout.scalars.withUnsafeBufferPointer { dhb in
          Gz.scalars.withUnsafeMutableBufferPointer { gzb in
            dh0.scalars.withUnsafeMutableBufferPointer { d0b in
              let W = Wb.baseAddress!, fpz = fpb.baseAddress!, dho = dhb.baseAddress!
              let gz = gzb.baseAddress!, d0 = d0b.baseAddress!
              if truncation.isFull(forSteps: T) || truncation.isChunked {
                // One backward sweep; the carried gradient is cut at the first step of a chunk.
                for i in stride(from: T - 1, through: 0, by: -1) {
                  // ∂/∂z^(i+1) = (∂J/∂h from the output + carried) ⊙ f′(z)
                  for j in 0..<H { gz[i * H + j] = (dho[i * H + j] + carry[j]) * fpz[i * H + j] }
                  RecurrentCore.transposedMatrixVector(W, UnsafePointer(gz + i * H), back, H)   // W_hᵀ ∂/∂z
                  let step = i + 1
                  if step == 1 {
                    for j in 0..<H { d0[j] = back[j] }
                  } else if truncation.firstKeptStep(for: step) == step {
                    for j in 0..<H { carry[j] = 0 }
                  } else {
                    for j in 0..<H { carry[j] = back[j] }
                  }
                }
              } else {
                // Window: each J^(t) runs its own sweep over i = first(t) … t; `carry` holds
                // ∂J^(t)/∂h^(i).
                for t in 1...T where weights[t - 1] != 0 {
                  for j in 0..<H { carry[j] = dho[(t - 1) * H + j] }
                  let first = truncation.firstKeptStep(for: t)
                  for step in stride(from: t, through: first, by: -1) {
                    let i = step - 1
                    for j in 0..<H {
                      gzi[j] = carry[j] * fpz[i * H + j]
                      gz[i * H + j] += gzi[j]
                    }
                    if step == first && step != 1 { break }
                    RecurrentCore.transposedMatrixVector(W, UnsafePointer(gzi), back, H)
                    if step == 1 {
                      for j in 0..<H { d0[j] += back[j] }
                    } else {
                      for j in 0..<H { carry[j] = back[j] }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let dW_h = MatrixProduct.multiply(Gz, fwd.Hs.rows(0..<T), transposeA: true)
    let db_1 = b_1 == nil ? Matrix(rows: H, cols: 1) : Gz.columnSums().transposed
    return Backward(dU: dU, db_2: db_2, dW_h: dW_h, db_1: db_1, dh0: dh0, Gz: Gz)
  }

  /// The per-step weights of J = Σₜ wₜ J^(t): all `1/T` (mean) or `1` (sum).
  static func weights(steps T: Int, reduction: LossReduction) -> [Double] {
    [Double](repeating: reduction.weight(steps: T), count: T)
  }

  /// Weight 1 on step t (1-based) only: the gradient of J^(t) alone.
  static func weights(steps T: Int, only t: Int) -> [Double] {
    var w = [Double](repeating: 0, count: T)
    w[t - 1] = 1
    return w
  }
}

extension Truncation {
  /// True for `.chunks`: one backward sweep with the carried gradient cut at chunk starts.
  var isChunked: Bool {
    if case .chunks = self { return true }
    return false
  }
}
