import Jacobians

/// Everything the LSTM's forward pass computes, every gate and state, one row per timestep
/// (the row form's vectors; the column form's are their transposes).
///
/// ```
/// e        T × d        row t−1 = e^(t)ᵀ = (E x^(t))ᵀ
/// a        T × 4H       row t−1 = a^(t)ᵀ = (W_x e^(t) + W_h h^(t−1) + b)ᵀ, blocks in gateOrder
/// i f o g  T × H each   row t−1 = the gate at step t (i, f, o = σ(·), g = tanh(·))
/// c        (T+1) × H    row t   = c^(t)ᵀ = (f ⊙ c^(t−1) + i ⊙ g)ᵀ,   row 0 = c0ᵀ
/// h        (T+1) × H    row t   = h^(t)ᵀ = (o ⊙ tanh(c^(t)))ᵀ,        row 0 = h0ᵀ
/// yhat     T × |V|      row t−1 = ŷ^(t)ᵀ = softmax(U h^(t) + b_2)ᵀ
/// stepLosses[t−1] = J^(t) = −log ŷ^(t)_{x(t+1)}
/// loss = (1/T) Σₜ J^(t) (mean) or Σₜ J^(t) (sum);  perplexity = exp((1/T) Σₜ J^(t))
/// ```
public struct LSTMForwardPass: Equatable, Sendable {
  public var gateOrder: LSTMGateOrder
  public var e: Matrix
  public var a: Matrix
  public var i: Matrix
  public var f: Matrix
  public var o: Matrix
  public var g: Matrix
  public var c: Matrix
  public var h: Matrix
  public var yhat: Matrix
  public var stepLosses: [Double]
  public var loss: Double
  public var perplexity: Double

  public init(
    gateOrder: LSTMGateOrder, e: Matrix, a: Matrix, i: Matrix, f: Matrix, o: Matrix, g: Matrix,
    c: Matrix, h: Matrix, yhat: Matrix, stepLosses: [Double], loss: Double, perplexity: Double
  ) {
    self.gateOrder = gateOrder
    self.e = e
    self.a = a
    self.i = i
    self.f = f
    self.o = o
    self.g = g
    self.c = c
    self.h = h
    self.yhat = yhat
    self.stepLosses = stepLosses
    self.loss = loss
    self.perplexity = perplexity
  }

  /// T, the number of steps.
  public var steps: Int { stepLosses.count }

  /// The gate's values, `T × H` (one of i, f, o, g).
  public func gate(_ gate: LSTMGate) -> Matrix {
    switch gate {
    case .input: return i
    case .forget: return f
    case .output: return o
    case .cell: return g
    }
  }

  /// The gate's pre-activations a_i, a_f, a_o or a_g, `T × H`: its block of the columns of a.
  public func preactivation(_ gate: LSTMGate) -> Matrix {
    let H = i.cols, k = gateOrder.block(gate)
    return a.columns((k * H)..<((k + 1) * H))
  }
}

/// The LSTM language model and its gradient by backpropagation through time, the fast path:
/// the input terms W_x e^(t) and the output layer batched over all timesteps as matrix
/// products, the recurrence one matrix–vector product per step each way.
///
/// Model and shapes: `LSTMParameters`. Tokens: T + 1 integers in 0..<|V|; inputs
/// x(1…T) = tokens[0…T−1], targets x(2…T+1) = tokens[1…T]. J^(t) = −log ŷ^(t)_{x(t+1)};
/// J = Σₜ wₜ J^(t) with wₜ = 1/T (mean) or 1 (sum).
///
/// Backward, step t, with the carries ∂J/∂h^(t) and ∂J/∂c^(t+1) coming from step t + 1
/// (CS231n's `lstm_step_backward`; ⊙ is elementwise, σ′ = σ(1 − σ), tanh′ = 1 − tanh²):
/// ```
/// ∂J/∂h^(t)  = wₜ Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1)                         (H × 1)
/// ∂J/∂c^(t)  = ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) + ∂J/∂c^(t+1) ⊙ f^(t+1)      (H × 1)
/// ∂J/∂a_i    = ∂J/∂c^(t) ⊙ g ⊙ σ′(a_i)         ∂J/∂a_f = ∂J/∂c^(t) ⊙ c^(t−1) ⊙ σ′(a_f)
/// ∂J/∂a_o    = ∂J/∂h^(t) ⊙ tanh(c^(t)) ⊙ σ′(a_o)   ∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ tanh′(a_g)
/// carries to step t − 1:  W_hᵀ ∂J/∂a^(t)  (H × 1) = (4H × H)ᵀ(4H × 1),   ∂J/∂c^(t) ⊙ f^(t)
/// ```
/// and, with DA the `T × 4H` matrix of rows (∂J/∂a^(t))ᵀ:
/// ```
/// dW_h = DAᵀ [h^(0) … h^(T−1)]ᵀ     (4H × H) = (T × 4H)ᵀ(T × H)
/// dW_x = DAᵀ [e^(1) … e^(T)]ᵀ       (4H × d)
/// db   = DAᵀ 1                       (4H × 1)
/// dE[:, x(t)] += W_xᵀ ∂J/∂a^(t)      (d × |V|; columns of absent words stay zero)
/// dU   = G1ᵀ [h^(1) … h^(T)]ᵀ,  db_2 = G1ᵀ 1      (G1 rows wₜ δ1^(t)ᵀ, δ1 = ŷ − y)
/// dh0  = W_hᵀ ∂J/∂a^(1),  dc0 = ∂J/∂c^(1) ⊙ f^(1)
/// ```
/// Truncation (`Truncation.firstKeptStep`): J^(t) back-propagates through steps
/// firstKeptStep(t) … t only; the state (h, c) before them is a constant, except
/// (h^(0), c^(0)), which are parameters. `surrogateLoss` is the function whose exact gradient
/// the truncated gradient is.
public enum LSTM {
  /// Throws when the parameters, tokens or options cannot be used together.
  public static func validate(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) throws(RNNInputError) {
    try p.validate()
    try validateGatedSequence(tokens, vocabularySize: p.vocabularySize, truncation: options.truncation, clipping: options.clipping)
  }

  /// The forward pass: every gate, c^(t), h^(t), ŷ^(t), J^(t), J and the perplexity.
  public static func forward(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> LSTMForwardPass {
    let fwd = forwardCore(p, tokens: tokens, options: options)
    let T = fwd.A.rows, H = p.hiddenSize
    func gate(_ gate: LSTMGate) -> Matrix {
      let k = options.gateOrder.block(gate)
      return fwd.Gates.columns((k * H)..<((k + 1) * H))
    }
    return LSTMForwardPass(
      gateOrder: options.gateOrder, e: fwd.Es, a: fwd.A,
      i: gate(.input), f: gate(.forget), o: gate(.output), g: gate(.cell),
      c: fwd.C, h: fwd.Hs, yhat: fwd.P, stepLosses: fwd.stepLosses,
      loss: GateKernels.reduce(fwd.stepLosses, options.reduction),
      perplexity: Elementary.exp(fwd.stepLosses.reduce(0, +) / Double(T)))
  }

  /// J = (1/T) Σₜ J^(t) (mean) or Σₜ J^(t) (sum).
  public static func loss(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> Double {
    GateKernels.reduce(forwardCore(p, tokens: tokens, options: options).stepLosses, options.reduction)
  }

  /// J, ∂J/∂θ for every parameter and the carries dh, dc, da, with the options' truncation;
  /// then clipping of the parameter gradients.
  public static func gradients(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> LSTMGradients {
    var fwd = forwardCore(p, tokens: tokens, options: options)
    return backward(p, &fwd, tokens: tokens, options: options).clipped(options.clipping)
  }

  // MARK: Forward

  /// What the fast path keeps of the forward pass (rows: timesteps).
  /// ```
  /// Es     T × d        A  T × 4H (pre-activations)    Gates  T × 4H (σ or tanh of A)
  /// C, Hs  (T+1) × H    TC T × H (tanh c^(t))           P      T × |V|
  /// ```
  struct Forward {
    var Es: Matrix
    var A: Matrix
    var Gates: Matrix
    var C: Matrix
    var TC: Matrix
    var Hs: Matrix
    var P: Matrix
    var stepLosses: [Double]
  }

  /// The offsets of the blocks i, f, o, g in a vector of 4H.
  struct Blocks {
    var i: Int, f: Int, o: Int, g: Int
    init(_ order: LSTMGateOrder, _ H: Int) {
      i = order.block(.input) * H
      f = order.block(.forget) * H
      o = order.block(.output) * H
      g = order.block(.cell) * H
    }
  }

  /// Validates, stopping with the error's sentence on bad input.
  static func check(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) {
    do { try validate(p, tokens: tokens, options: options) } catch { stop(error) }
  }

  /// The input terms of every step at once: rows (W_x e^(t) + b)ᵀ, `T × 4H` = (T × d)(4H × d)ᵀ.
  static func inputTerms(_ p: LSTMParameters, _ Es: Matrix) -> Matrix {
    var AX = MatrixProduct.multiply(Es, p.W_x, transposeB: true)
    let n = AX.cols
    AX.scalars.withUnsafeMutableBufferPointer { ax in
      p.b.scalars.withUnsafeBufferPointer { b in
        for t in 0..<Es.rows { for j in 0..<n { ax[t * n + j] += b[j] } }
      }
    }
    return AX
  }

  /// One LSTM cell: on entry `a` holds W_x e^(t) + b; on exit a^(t), and the gates, c^(t),
  /// tanh(c^(t)), h^(t) are written.
  @inline(__always)
  static func cell(
    _ W_h: UnsafePointer<Double>, _ H: Int, _ k: Blocks,
    a: UnsafeMutablePointer<Double>, gates: UnsafeMutablePointer<Double>,
    hPrev: UnsafePointer<Double>, cPrev: UnsafePointer<Double>,
    c: UnsafeMutablePointer<Double>, tc: UnsafeMutablePointer<Double>, h: UnsafeMutablePointer<Double>
  ) {
    GateKernels.matrixVector(W_h, hPrev, a, rows: 4 * H, cols: H, accumulate: true)   // + W_h h^(t−1)
    for j in 0..<H {
      let i = GateKernels.sigmoid(a[k.i + j]), f = GateKernels.sigmoid(a[k.f + j])
      let o = GateKernels.sigmoid(a[k.o + j]), g = GateKernels.tanh(a[k.g + j])
      gates[k.i + j] = i; gates[k.f + j] = f; gates[k.o + j] = o; gates[k.g + j] = g
      let cj = f * cPrev[j] + i * g
      let tcj = GateKernels.tanh(cj)
      c[j] = cj
      tc[j] = tcj
      h[j] = o * tcj
    }
  }

  static func forwardCore(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) -> Forward {
    check(p, tokens: tokens, options: options)
    let T = tokens.count - 1, H = p.hiddenSize
    let Es = GateKernels.embeddings(p.E, tokens: tokens, steps: T)
    var A = inputTerms(p, Es)
    var Gates = Matrix(rows: T, cols: 4 * H)
    var C = Matrix(rows: T + 1, cols: H), Hs = Matrix(rows: T + 1, cols: H), TC = Matrix(rows: T, cols: H)
    for j in 0..<H {
      C.scalars[j] = p.c0.scalars[j]
      Hs.scalars[j] = p.h0.scalars[j]
    }
    let k = Blocks(options.gateOrder, H)
    p.W_h.scalars.withUnsafeBufferPointer { W in
      A.scalars.withUnsafeMutableBufferPointer { a in
        Gates.scalars.withUnsafeMutableBufferPointer { gates in
          C.scalars.withUnsafeMutableBufferPointer { c in
            Hs.scalars.withUnsafeMutableBufferPointer { hs in
              TC.scalars.withUnsafeMutableBufferPointer { tc in
                for t in 0..<T {
                  cell(W.baseAddress!, H, k, a: a.baseAddress! + t * 4 * H, gates: gates.baseAddress! + t * 4 * H,
                       hPrev: UnsafePointer(hs.baseAddress! + t * H), cPrev: UnsafePointer(c.baseAddress! + t * H),
                       c: c.baseAddress! + (t + 1) * H, tc: tc.baseAddress! + t * H, h: hs.baseAddress! + (t + 1) * H)
                }
              }
            }
          }
        }
      }
    }
    let (P, stepLosses) = GateKernels.outputForward(Hs.rows(1..<(T + 1)), U: p.U, b_2: p.b_2, targets: Array(tokens.dropFirst()))
    return Forward(Es: Es, A: A, Gates: Gates, C: C, TC: TC, Hs: Hs, P: P, stepLosses: stepLosses)
  }

  // MARK: Backward

  /// The unclipped gradients of J from a forward pass (whose probabilities are consumed).
  static func backward(_ p: LSTMParameters, _ fwd: inout Forward, tokens: [Int], options: LSTMOptions) -> LSTMGradients {
    let targets = Array(tokens.dropFirst())
    let T = targets.count, H = p.hiddenSize
    let loss = GateKernels.reduce(fwd.stepLosses, options.reduction)
    let weights = [Double](repeating: options.reduction.weight(steps: T), count: T)
    let (dU, db_2, dHout) = GateKernels.outputBackward(&fwd.P, fwd.Hs.rows(1..<(T + 1)), U: p.U, targets: targets, weights: weights)

    var DH = Matrix(rows: T, cols: H), DC = Matrix(rows: T, cols: H), DA = Matrix(rows: T, cols: 4 * H)
    var dh0 = Matrix(rows: H, cols: 1), dc0 = Matrix(rows: H, cols: 1)
    let k = Blocks(options.gateOrder, H)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 8 * H)
    defer { scratch.deallocate() }
    scratch.initialize(repeating: 0, count: 8 * H)
    let carryH = scratch, carryC = scratch + H, dh = scratch + 2 * H, dc = scratch + 3 * H, da = scratch + 4 * H
    let sweeps = GateKernels.sweeps(steps: T, truncation: options.truncation)
    p.W_h.scalars.withUnsafeBufferPointer { Wb in
      fwd.Gates.scalars.withUnsafeBufferPointer { gb in
        fwd.C.scalars.withUnsafeBufferPointer { cb in
          fwd.TC.scalars.withUnsafeBufferPointer { tcb in
            dHout.scalars.withUnsafeBufferPointer { dob in
              DH.scalars.withUnsafeMutableBufferPointer { DHb in
                DC.scalars.withUnsafeMutableBufferPointer { DCb in
                  DA.scalars.withUnsafeMutableBufferPointer { DAb in
                    dh0.scalars.withUnsafeMutableBufferPointer { d0 in
                      dc0.scalars.withUnsafeMutableBufferPointer { e0 in
                        let W = Wb.baseAddress!
                        for sweep in sweeps {
                          for j in 0..<H { carryH[j] = 0; carryC[j] = 0 }
                          for step in stride(from: sweep.top, through: sweep.bottom, by: -1) {
                            let t = step - 1
                            let gates = gb.baseAddress! + t * 4 * H
                            let cPrev = cb.baseAddress! + t * H, tc = tcb.baseAddress! + t * H
                            let output = sweep.everyOutput || step == sweep.top
                            for j in 0..<H {
                              let i = gates[k.i + j], f = gates[k.f + j], o = gates[k.o + j], g = gates[k.g + j]
                              // ∂J/∂h^(t): from ŷ^(t) and from a^(t+1)
                              let dhj = carryH[j] + (output ? dob[t * H + j] : 0)
                              // ∂J/∂c^(t): through h^(t) and through c^(t+1)
                              let dcj = dhj * o * (1 - tc[j] * tc[j]) + carryC[j]
                              dh[j] = dhj
                              dc[j] = dcj
                              da[k.i + j] = dcj * g * i * (1 - i)
                              da[k.f + j] = dcj * cPrev[j] * f * (1 - f)
                              da[k.o + j] = dhj * tc[j] * o * (1 - o)
                              da[k.g + j] = dcj * i * (1 - g * g)
                              DHb[t * H + j] += dhj
                              DCb[t * H + j] += dcj
                            }
                            for j in 0..<(4 * H) { DAb[t * 4 * H + j] += da[j] }
                            if step == sweep.bottom && step != 1 { break }
                            // The carries to step t − 1.
                            GateKernels.transposedMatrixVector(W, UnsafePointer(da), carryH, rows: 4 * H, cols: H)
                            for j in 0..<H { carryC[j] = dc[j] * gates[k.f + j] }
                            if step == 1 {
                              for j in 0..<H { d0[j] += carryH[j]; e0[j] += carryC[j] }
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
      }
    }
    let dW_h = MatrixProduct.multiply(DA, fwd.Hs.rows(0..<T), transposeA: true)
    let dW_x = MatrixProduct.multiply(DA, fwd.Es, transposeA: true)
    let db = DA.columnSums().transposed
    let dE = GateKernels.scatterEmbeddingGradient(MatrixProduct.multiply(DA, p.W_x), tokens: tokens, vocabularySize: p.vocabularySize)
    return LSTMGradients(loss: loss, dE: dE, dW_x: dW_x, dW_h: dW_h, db: db, dU: dU, db_2: db_2,
                         dh0: dh0, dc0: dc0, dh: DH, dc: DC, da: DA)
  }
}
