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
/// δ recursion. For a gradient, `forward(inputTerms:targets:weights:)` runs the output layer
/// and its share of the backward pass (G1, G1 U, db_2) in one pass over U
/// (`OutputLayerKernel`); `backward` then needs only dU = G1ᵀ Hs[1…T] and the recursion.
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
    /// T × |V| probabilities; empty when `output` holds the output layer's gradients instead.
    var P: Matrix
    var stepLosses: [Double]
    /// The output layer's gradients of `Σₜ wₜ J^(t)`, computed with the forward pass
    /// (`forward(inputTerms:targets:weights:)`).
    var output: OutputGradients? = nil
  }

  /// The output layer's share of the backward pass, for weights wₜ:
  /// ```
  /// G1     T × |V|   rows wₜ δ1^(t)ᵀ = wₜ (ŷ^(t) − y^(t))ᵀ
  /// dHout  T × H     G1 U: rows ∂(Σ wₛ J^(s))/∂h^(t) through the output
  /// db_2   |V| × 1   G1ᵀ 1 (zeros without biases)
  /// ```
  struct OutputGradients {
    var G1: Matrix
    var dHout: Matrix
    var db_2: Matrix
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
    let T = A.rows, V = vocabularySize
    let (Z, Hs) = recurrence(inputTerms: A)
    // Output layer for all timesteps at once: logits = Hs[1…T] Uᵀ  (T × |V|), read in place.
    let H = hiddenSize
    let logits = [Double](unsafeUninitializedCapacity: T * V) { buffer, count in
      Hs.scalars.withUnsafeBufferPointer { hs in
        U.scalars.withUnsafeBufferPointer { u in
          MatrixProduct.multiply(T, V, H, hs.baseAddress! + H, lda: H, transposeA: false,
                                 u.baseAddress!, ldb: H, transposeB: true, into: buffer.baseAddress!, ldc: V)
        }
      }
      count = T * V
    }
    var P = Matrix(rows: T, cols: V, scalars: logits)
    var stepLosses = [Double](repeating: 0, count: T)
    P.scalars.withUnsafeMutableBufferPointer { p in
      for t in 0..<T {
        let row = p.baseAddress! + t * V
        if let b = b_2 {
          stepLosses[t] = b.scalars.withUnsafeBufferPointer { bp in
            VectorKernels.softmaxInPlace(row, V, adding: bp.baseAddress!, target: targets[t])
          }
        } else {
          stepLosses[t] = VectorKernels.softmaxInPlace(row, V, target: targets[t])
        }
      }
    }
    return Forward(Z: Z, Hs: Hs, P: P, stepLosses: stepLosses)
  }

  /// The forward pass for the gradient of `Σₜ weights[t−1] J^(t)`: the recurrence, then the
  /// output layer and its gradients in one pass over U (`OutputLayerKernel`); `P` stays empty.
  func forward(inputTerms A: Matrix, targets: [Int], weights: [Double]) -> Forward {
    let T = A.rows, H = hiddenSize, V = vocabularySize
    let (Z, Hs) = recurrence(inputTerms: A)
    let g = [Double](unsafeUninitializedCapacity: T * V) { _, count in count = T * V }
    var G1 = Matrix(rows: T, cols: V, scalars: g)
    var dHout = Matrix(rows: T, cols: H)
    var db_2 = Matrix(rows: V, cols: 1)
    let losses = Hs.scalars.withUnsafeBufferPointer { hs in
      U.scalars.withUnsafeBufferPointer { u in
        G1.scalars.withUnsafeMutableBufferPointer { g1 in
          dHout.scalars.withUnsafeMutableBufferPointer { dh in
            db_2.scalars.withUnsafeMutableBufferPointer { db in
              withBias { bias in
                OutputLayerKernel.forwardBackward(
                  x: hs.baseAddress! + H, ldx: H, rows: T, width: H, w: u.baseAddress!, classes: V, bias: bias,
                  targets: targets, stepWeights: weights,
                  g: g1.baseAddress!, dx: dh.baseAddress!, db: bias == nil ? nil : db.baseAddress!)
              }
            }
          }
        }
      }
    }
    return Forward(Z: Z, Hs: Hs, P: Matrix(rows: 0, cols: 0), stepLosses: losses,
                   output: OutputGradients(G1: G1, dHout: dHout, db_2: db_2))
  }

  /// `body(b_2)` with b_2's storage, or nil without biases.
  func withBias<R>(_ body: (UnsafePointer<Double>?) -> R) -> R {
    guard let b = b_2 else { return body(nil) }
    return b.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  /// z^(t) = W_h h^(t−1) + a^(t) + b_1 and h^(t) = f(z^(t)) for t = 1…T: Z (T × H) and
  /// Hs ((T+1) × H, row 0 = h0ᵀ).
  func recurrence(inputTerms A: Matrix) -> (Z: Matrix, Hs: Matrix) {
    let T = A.rows, H = hiddenSize
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
              let zt = z.baseAddress! + t * H, ht = hs.baseAddress! + (t + 1) * H
              VectorKernels.matrixVector(W.baseAddress!, hPrev, zt, H, H)
              if let b = b_1 {
                for i in 0..<H { zt[i] = (zt[i] + a[t * H + i]) + b.scalars[i] }
              } else {
                for i in 0..<H { zt[i] += a[t * H + i] }
              }
              if case .sigmoid = f {
                VectorKernels.logistic(zt, ht, H)
              } else {
                for i in 0..<H { ht[i] = f(zt[i]) }
              }
            }
          }
        }
      }
    }
    return (Z, Hs)
  }

  /// y = W x for a square `n × n` row-major W (`VectorKernels.matrixVector`).
  @inline(__always)
  static func matrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    VectorKernels.matrixVector(W, x, y, n, n)
  }

  /// y = Wᵀ x for a square `n × n` row-major W (`VectorKernels.transposedMatrixVector`).
  @inline(__always)
  static func transposedMatrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    VectorKernels.transposedMatrixVector(W, x, y, n, n)
  }

  /// Replaces logits by softmax probabilities; returns −log ŷ_target = logΣexp(l) − l_target.
  /// ```
  /// ŷ = exp(l − m) / Σ exp(l − m),  m = max l      (no overflow)
  /// ```
  @inline(__always)
  static func softmaxInPlace(_ row: UnsafeMutablePointer<Double>, _ V: Int, target: Int) -> Double {
    VectorKernels.softmaxInPlace(row, V, target: target)
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
    let (G1, dHout, db_2) = outputGradients(&fwd, targets: targets, weights: weights)
    var dU = Matrix(rows: 0, cols: 0)
    G1.scalars.withUnsafeBufferPointer { g in
      // dU = G1ᵀ Hs[1…T]  (|V| × H), Hs read in place.
      fwd.Hs.scalars.withUnsafeBufferPointer { hs in
        let scalars = [Double](unsafeUninitializedCapacity: V * H) { buffer, count in
          MatrixProduct.multiply(V, H, T, g.baseAddress!, lda: V, transposeA: true,
                                 hs.baseAddress! + H, ldb: H, transposeB: false, into: buffer.baseAddress!, ldc: H)
          count = V * H
        }
        dU = Matrix(rows: V, cols: H, scalars: scalars)
      }
    }
    let fp = derivativeOfActivation(fwd)

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
                  let step = i + 1
                  if step == 1 {
                    RecurrentCore.transposedMatrixVector(W, UnsafePointer(gz + i * H), d0, H)   // W_hᵀ ∂/∂z
                  } else if truncation.firstKeptStep(for: step) == step {
                    for j in 0..<H { carry[j] = 0 }
                  } else {
                    RecurrentCore.transposedMatrixVector(W, UnsafePointer(gz + i * H), carry, H)
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
    // dW_h = Gzᵀ Hs[0…T−1]  (H × H), Hs read in place.
    // Every entry is written by the product.
    var dW_h = Matrix(rows: H, cols: H, scalars: [Double](unsafeUninitializedCapacity: H * H) { _, count in count = H * H })
    Gz.scalars.withUnsafeBufferPointer { gz in
      fwd.Hs.scalars.withUnsafeBufferPointer { hs in
        dW_h.scalars.withUnsafeMutableBufferPointer { dw in
          MatrixProduct.multiply(H, H, T, gz.baseAddress!, lda: H, transposeA: true,
                                 hs.baseAddress!, ldb: H, transposeB: false, into: dw.baseAddress!, ldc: H)
        }
      }
    }
    let db_1 = b_1 == nil ? Matrix(rows: H, cols: 1) : Gz.columnSums().transposed
    return Backward(dU: dU, db_2: db_2, dW_h: dW_h, db_1: db_1, dh0: dh0, Gz: Gz)
  }

  /// G1, dHout = G1 U and db_2: those of the forward pass when it computed them, else from the
  /// probabilities `fwd.P` (consumed: turned into G1 in place).
  func outputGradients(_ fwd: inout Forward, targets: [Int], weights: [Double]) -> (Matrix, Matrix, Matrix) {
    if let o = fwd.output { return (o.G1, o.dHout, o.db_2) }
    let T = fwd.Z.rows, H = hiddenSize, V = vocabularySize
    var G1 = Matrix(rows: 0, cols: 0)
    swap(&G1, &fwd.P)
    var db_2 = Matrix(rows: V, cols: 1)
    G1.scalars.withUnsafeMutableBufferPointer { g in
      db_2.scalars.withUnsafeMutableBufferPointer { db in
        for t in 0..<T {
          let row = g.baseAddress! + t * V
          let w = weights[t]
          if w == 0 {
            row.update(repeating: 0, count: V)
          } else {
            row[targets[t]] -= 1
            if w != 1 { VectorKernels.scaleInPlace(row, V, by: w) }
          }
          // db_2 = G1ᵀ 1, row by row.
          if b_2 != nil { VectorKernels.add(UnsafePointer(row), into: db.baseAddress!, V) }
        }
      }
    }
    // ∂J/∂h from the output, G1 U (T × H).
    var dHout = Matrix(rows: T, cols: H)
    G1.scalars.withUnsafeBufferPointer { g in
      U.scalars.withUnsafeBufferPointer { u in
        dHout.scalars.withUnsafeMutableBufferPointer { dh in
          MatrixProduct.multiply(T, H, V, g.baseAddress!, lda: V, transposeA: false,
                                 u.baseAddress!, ldb: H, transposeB: false, into: dh.baseAddress!, ldc: H)
        }
      }
    }
    return (G1, dHout, db_2)
  }

  /// f′(z^(t)) for every step (T × H): from h = f(z) itself for σ (h(1 − h)) and tanh (1 − h²),
  /// the same numbers as `activation.derivative(Z)` without evaluating f again.
  func derivativeOfActivation(_ fwd: Forward) -> Matrix {
    let T = fwd.Z.rows, H = hiddenSize
    switch activation {
    case .sigmoid, .tanh:
      let sigmoid: Bool = { if case .sigmoid = activation { return true } else { return false } }()
      var fp = Matrix(rows: T, cols: H)
      fwd.Hs.scalars.withUnsafeBufferPointer { hs in
        fp.scalars.withUnsafeMutableBufferPointer { out in
          for i in 0..<(T * H) {
            let h = hs[H + i]
            out[i] = sigmoid ? h * (1 - h) : 1 - h * h
          }
        }
      }
      return fp
    default:
      return activation.derivative(fwd.Z)
    }
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
