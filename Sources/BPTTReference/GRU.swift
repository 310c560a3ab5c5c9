import Jacobians

/// Everything the GRU's forward pass computes, one row per timestep.
///
/// ```
/// e      T × d       row t−1 = e^(t)ᵀ
/// ax     T × 3H      row t−1 = (W_x e^(t) + b_x)ᵀ                        blocks r, z, n
/// ah     T × 3H      row t−1 = [W_hr h + b_hr; W_hz h + b_hz; W_hn h̃ + b_hn]ᵀ,
///                    h = h^(t−1), h̃ = h^(t−1) (reset `after`) or r ⊙ h^(t−1) (`before`)
/// r z n  T × H each  the reset gate, the update gate, the candidate
/// h      (T+1) × H   row t = h^(t)ᵀ, row 0 = h0ᵀ
/// yhat   T × |V|     row t−1 = ŷ^(t)ᵀ
/// ```
/// Pre-activations: r = σ(ax_r + ah_r), z = σ(ax_z + ah_z), n = tanh(ax_n + r ⊙ ah_n) (`after`)
/// or tanh(ax_n + ah_n) (`before`). J^(t), J, perplexity as `LSTMForwardPass`.
public struct GRUForwardPass: Equatable, Sendable {
  public var e: Matrix
  public var ax: Matrix
  public var ah: Matrix
  public var r: Matrix
  public var z: Matrix
  public var n: Matrix
  public var h: Matrix
  public var yhat: Matrix
  public var stepLosses: [Double]
  public var loss: Double
  public var perplexity: Double

  public init(e: Matrix, ax: Matrix, ah: Matrix, r: Matrix, z: Matrix, n: Matrix, h: Matrix, yhat: Matrix,
              stepLosses: [Double], loss: Double, perplexity: Double) {
    self.e = e
    self.ax = ax
    self.ah = ah
    self.r = r
    self.z = z
    self.n = n
    self.h = h
    self.yhat = yhat
    self.stepLosses = stepLosses
    self.loss = loss
    self.perplexity = perplexity
  }

  public var steps: Int { stepLosses.count }
}

/// The GRU language model and its gradient by backpropagation through time, the fast path
/// (input terms and output layer batched over all timesteps, the recurrence one or two
/// matrix–vector products per step each way).
///
/// Model and shapes: `GRUParameters`; tokens, J, truncation as in `LSTM`. Backward at step t,
/// from the total ∂J/∂h^(t) = wₜ Uᵀ δ1^(t) + (carry from step t + 1), for update `keep`
/// (`new`: z and 1 − z exchanged, h^(t−1) − n negated):
/// ```
/// ∂J/∂n = ∂J/∂h^(t) ⊙ (1 − z)        ∂J/∂z = ∂J/∂h^(t) ⊙ (h^(t−1) − n)
/// ∂J/∂n̂ = ∂J/∂n ⊙ tanh′(n̂)           ∂J/∂ẑ = ∂J/∂z ⊙ σ′(ẑ)        (n̂, ẑ, r̂: pre-activations)
/// after:  ∂J/∂ah_n = ∂J/∂n̂ ⊙ r,   ∂J/∂r = ∂J/∂n̂ ⊙ ah_n
///         carry = ∂J/∂h^(t) ⊙ z + W_hᵀ ∂J/∂ah                         (H × 1) = (3H × H)ᵀ(3H × 1)
/// before: ∂J/∂(r ⊙ h^(t−1)) = W_hnᵀ ∂J/∂n̂ =: q,   ∂J/∂r = q ⊙ h^(t−1),   ∂J/∂ah_n = ∂J/∂n̂
///         carry = ∂J/∂h^(t) ⊙ z + W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + q ⊙ r
/// ∂J/∂r̂ = ∂J/∂r ⊙ σ′(r̂);   ∂J/∂ax = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂];   ∂J/∂ah_{r,z} = ∂J/∂{r̂, ẑ}
/// ```
/// and, with DAX, DAH the `T × 3H` matrices of rows ∂J/∂ax^(t)ᵀ, ∂J/∂ah^(t)ᵀ:
/// ```
/// dW_x = DAXᵀ [e^(1) … e^(T)]ᵀ (3H × d)     db_x = DAXᵀ 1     db_h = DAHᵀ 1     (3H × 1)
/// dW_h = DAHᵀ [h̃^(1) … h̃^(T)]ᵀ (3H × H), blockwise: h̃ = h^(t−1) for r, z (and n `after`),
///        r ⊙ h^(t−1) for n `before`
/// dE[:, x(t)] += W_xᵀ ∂J/∂ax^(t);   dh0 = the carry out of step 1;   dU, db_2 as `LSTM`
/// ```
public enum GRU {
  public static func validate(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) throws(RNNInputError) {
    try p.validate()
    try validateGatedSequence(tokens, vocabularySize: p.vocabularySize, truncation: options.truncation, clipping: options.clipping)
  }

  /// The forward pass: every gate and state, ŷ^(t), J^(t), J and the perplexity.
  public static func forward(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> GRUForwardPass {
    let fwd = forwardCore(p, tokens: tokens, options: options)
    let T = fwd.AX.rows, H = p.hiddenSize
    return GRUForwardPass(
      e: fwd.Es, ax: fwd.AX, ah: fwd.AH,
      r: fwd.Gates.columns(0..<H), z: fwd.Gates.columns(H..<(2 * H)), n: fwd.Gates.columns((2 * H)..<(3 * H)),
      h: fwd.Hs, yhat: fwd.P, stepLosses: fwd.stepLosses,
      loss: GateKernels.reduce(fwd.stepLosses, options.reduction),
      perplexity: Elementary.exp(fwd.stepLosses.reduce(0, +) / Double(T)))
  }

  /// J = (1/T) Σₜ J^(t) (mean) or Σₜ J^(t) (sum).
  public static func loss(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> Double {
    GateKernels.reduce(forwardCore(p, tokens: tokens, options: options).stepLosses, options.reduction)
  }

  /// J, ∂J/∂θ and the carries dh, dax, dah with the options' truncation; then clipping.
  public static func gradients(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> GRUGradients {
    var fwd = forwardCore(p, tokens: tokens, options: options)
    return backward(p, &fwd, tokens: tokens, options: options).clipped(options.clipping)
  }

  // MARK: Forward

  /// What the fast path keeps: Es (T × d), AX, AH, Gates (T × 3H; Gates = [r z n]),
  /// Hs ((T+1) × H), P (T × |V|).
  struct Forward {
    var Es: Matrix
    var AX: Matrix
    var AH: Matrix
    var Gates: Matrix
    var Hs: Matrix
    var P: Matrix
    var stepLosses: [Double]
  }

  static func check(_ p: GRUParameters, tokens: [Int], options: GRUOptions) {
    do { try validate(p, tokens: tokens, options: options) } catch { stop(error) }
  }

  /// Rows (W_x e^(t) + b_x)ᵀ for every step: `T × 3H` = (T × d)(3H × d)ᵀ.
  static func inputTerms(_ p: GRUParameters, _ Es: Matrix) -> Matrix {
    var AX = MatrixProduct.multiply(Es, p.W_x, transposeB: true)
    let n = AX.cols
    for t in 0..<Es.rows { for j in 0..<n { AX.scalars[t * n + j] += p.b_x.scalars[j] } }
    return AX
  }

  /// One GRU cell: reads ax = W_x e^(t) + b_x and h^(t−1); writes ah, the gates [r z n] and h^(t).
  @inline(__always)
  static func cell(
    _ W_h: UnsafePointer<Double>, _ b_h: UnsafePointer<Double>, _ H: Int, _ options: GRUOptions,
    ax: UnsafePointer<Double>, ah: UnsafeMutablePointer<Double>, gates: UnsafeMutablePointer<Double>,
    hPrev: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
  ) {
    let before = options.reset == .before
    // ah_{r,z} (and ah_n for `after`) = W_h h^(t−1) + b_h
    GateKernels.matrixVector(W_h, hPrev, ah, rows: before ? 2 * H : 3 * H, cols: H)
    for j in 0..<(2 * H) { ah[j] += b_h[j] }
    for j in 0..<H {
      gates[j] = GateKernels.sigmoid(ax[j] + ah[j])                 // r
      gates[H + j] = GateKernels.sigmoid(ax[H + j] + ah[H + j])     // z
    }
    if before {
      // ah_n = W_hn (r ⊙ h^(t−1)) + b_hn
      for j in 0..<H { scratch[j] = gates[j] * hPrev[j] }
      GateKernels.matrixVector(W_h + 2 * H * H, UnsafePointer(scratch), ah + 2 * H, rows: H, cols: H)
      for j in 0..<H {
        ah[2 * H + j] += b_h[2 * H + j]
        gates[2 * H + j] = GateKernels.tanh(ax[2 * H + j] + ah[2 * H + j])
      }
    } else {
      for j in 0..<H {
        ah[2 * H + j] += b_h[2 * H + j]
        gates[2 * H + j] = GateKernels.tanh(ax[2 * H + j] + gates[j] * ah[2 * H + j])
      }
    }
    let keep = options.update == .keep
    for j in 0..<H {
      let z = gates[H + j], n = gates[2 * H + j]
      h[j] = keep ? (1 - z) * n + z * hPrev[j] : z * n + (1 - z) * hPrev[j]
    }
  }

  static func forwardCore(_ p: GRUParameters, tokens: [Int], options: GRUOptions) -> Forward {
    check(p, tokens: tokens, options: options)
    let T = tokens.count - 1, H = p.hiddenSize
    let Es = GateKernels.embeddings(p.E, tokens: tokens, steps: T)
    let AX = inputTerms(p, Es)
    var AH = Matrix(rows: T, cols: 3 * H), Gates = Matrix(rows: T, cols: 3 * H)
    var Hs = Matrix(rows: T + 1, cols: H)
    for j in 0..<H { Hs.scalars[j] = p.h0.scalars[j] }
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: H)
    defer { scratch.deallocate() }
    scratch.initialize(repeating: 0, count: H)
    p.W_h.scalars.withUnsafeBufferPointer { W in
      p.b_h.scalars.withUnsafeBufferPointer { bh in
        AX.scalars.withUnsafeBufferPointer { ax in
          AH.scalars.withUnsafeMutableBufferPointer { ah in
            Gates.scalars.withUnsafeMutableBufferPointer { gates in
              Hs.scalars.withUnsafeMutableBufferPointer { hs in
                for t in 0..<T {
                  cell(W.baseAddress!, bh.baseAddress!, H, options,
                       ax: ax.baseAddress! + t * 3 * H, ah: ah.baseAddress! + t * 3 * H, gates: gates.baseAddress! + t * 3 * H,
                       hPrev: UnsafePointer(hs.baseAddress! + t * H), h: hs.baseAddress! + (t + 1) * H, scratch: scratch)
                }
              }
            }
          }
        }
      }
    }
    let (P, stepLosses) = GateKernels.outputForward(Hs.rows(1..<(T + 1)), U: p.U, b_2: p.b_2, targets: Array(tokens.dropFirst()))
    return Forward(Es: Es, AX: AX, AH: AH, Gates: Gates, Hs: Hs, P: P, stepLosses: stepLosses)
  }

  // MARK: Backward

  static func backward(_ p: GRUParameters, _ fwd: inout Forward, tokens: [Int], options: GRUOptions) -> GRUGradients {
    let targets = Array(tokens.dropFirst())
    let T = targets.count, H = p.hiddenSize
    let loss = GateKernels.reduce(fwd.stepLosses, options.reduction)
    let weights = [Double](repeating: options.reduction.weight(steps: T), count: T)
    let (dU, db_2, dHout) = GateKernels.outputBackward(&fwd.P, fwd.Hs.rows(1..<(T + 1)), U: p.U, targets: targets, weights: weights)
    let before = options.reset == .before, keep = options.update == .keep

    var DH = Matrix(rows: T, cols: H), DAX = Matrix(rows: T, cols: 3 * H), DAH = Matrix(rows: T, cols: 3 * H)
    var dh0 = Matrix(rows: H, cols: 1)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 10 * H)
    defer { scratch.deallocate() }
    scratch.initialize(repeating: 0, count: 10 * H)
    let carry = scratch, dh = scratch + H, dax = scratch + 2 * H, dah = scratch + 5 * H, q = scratch + 8 * H
    let sweeps = GateKernels.sweeps(steps: T, truncation: options.truncation)
    p.W_h.scalars.withUnsafeBufferPointer { Wb in
      fwd.Gates.scalars.withUnsafeBufferPointer { gb in
        fwd.AH.scalars.withUnsafeBufferPointer { ahb in
          fwd.Hs.scalars.withUnsafeBufferPointer { hb in
            dHout.scalars.withUnsafeBufferPointer { dob in
              DH.scalars.withUnsafeMutableBufferPointer { DHb in
                DAX.scalars.withUnsafeMutableBufferPointer { DAXb in
                  DAH.scalars.withUnsafeMutableBufferPointer { DAHb in
                    dh0.scalars.withUnsafeMutableBufferPointer { d0 in
                      let W = Wb.baseAddress!
                      for sweep in sweeps {
                        for j in 0..<H { carry[j] = 0 }
                        for step in stride(from: sweep.top, through: sweep.bottom, by: -1) {
                          let t = step - 1
                          let gates = gb.baseAddress! + t * 3 * H, ah = ahb.baseAddress! + t * 3 * H
                          let hPrev = hb.baseAddress! + t * H
                          let output = sweep.everyOutput || step == sweep.top
                          for j in 0..<H {
                            let z = gates[H + j], n = gates[2 * H + j]
                            let dhj = carry[j] + (output ? dob[t * H + j] : 0)
                            dh[j] = dhj
                            let dn = keep ? dhj * (1 - z) : dhj * z
                            let dz = keep ? dhj * (hPrev[j] - n) : dhj * (n - hPrev[j])
                            dax[2 * H + j] = dn * (1 - n * n)             // ∂J/∂n̂
                            dax[H + j] = dz * z * (1 - z)                 // ∂J/∂ẑ
                            DHb[t * H + j] += dhj
                          }
                          if before {
                            // q = W_hnᵀ ∂J/∂n̂ = ∂J/∂(r ⊙ h^(t−1))
                            GateKernels.transposedMatrixVector(W + 2 * H * H, UnsafePointer(dax + 2 * H), q, rows: H, cols: H)
                            for j in 0..<H {
                              let r = gates[j]
                              dax[j] = q[j] * hPrev[j] * r * (1 - r)      // ∂J/∂r̂
                              dah[2 * H + j] = dax[2 * H + j]
                            }
                          } else {
                            for j in 0..<H {
                              let r = gates[j]
                              dax[j] = dax[2 * H + j] * ah[2 * H + j] * r * (1 - r)
                              dah[2 * H + j] = dax[2 * H + j] * r
                            }
                          }
                          for j in 0..<(2 * H) { dah[j] = dax[j] }
                          for j in 0..<(3 * H) {
                            DAXb[t * 3 * H + j] += dax[j]
                            DAHb[t * 3 * H + j] += dah[j]
                          }
                          if step == sweep.bottom && step != 1 { break }
                          // The carry to step t − 1.
                          GateKernels.transposedMatrixVector(W, UnsafePointer(dah), carry, rows: before ? 2 * H : 3 * H, cols: H)
                          for j in 0..<H {
                            let z = gates[H + j]
                            carry[j] += dh[j] * (keep ? z : 1 - z)
                            if before { carry[j] += q[j] * gates[j] }
                          }
                          if step == 1 { for j in 0..<H { d0[j] += carry[j] } }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let Hprev = fwd.Hs.rows(0..<T)
    var dW_h = MatrixProduct.multiply(DAH, Hprev, transposeA: true)
    if before {
      // The n block multiplies r ⊙ h^(t−1).
      let S = fwd.Gates.columns(0..<H) ⊙ Hprev
      let dW_hn = MatrixProduct.multiply(DAH.columns((2 * H)..<(3 * H)), S, transposeA: true)
      for k in 0..<(H * H) { dW_h.scalars[2 * H * H + k] = dW_hn.scalars[k] }
    }
    let dW_x = MatrixProduct.multiply(DAX, fwd.Es, transposeA: true)
    let dE = GateKernels.scatterEmbeddingGradient(MatrixProduct.multiply(DAX, p.W_x), tokens: tokens, vocabularySize: p.vocabularySize)
    return GRUGradients(
      loss: loss, dE: dE, dW_x: dW_x, dW_h: dW_h, db_x: DAX.columnSums().transposed, db_h: DAH.columnSums().transposed,
      dU: dU, db_2: db_2, dh0: dh0, dh: DH, dax: DAX, dah: DAH)
  }
}
