import Jacobians

/// Everything the forward pass of the RNN-LM computes, timestep by timestep (column vectors).
///
/// Time indices: t = 1…T for the steps, arrays are 0-based.
/// ```
/// z[t−1]           = z^(t)   H × 1      t = 1…T
/// h[t]             = h^(t)   H × 1      t = 0…T   (h[0] = h0)
/// yhat[t−1]        = ŷ^(t)   |V| × 1    t = 1…T
/// stepLosses[t−1]  = J^(t) = −log ŷ^(t)_{x(t+1)}
/// loss             = J = (1/T) Σₜ J^(t)   (mean)   or   Σₜ J^(t)   (sum)
/// perplexity       = exp((1/T) Σₜ J^(t))  (note 000; the mean whatever the reduction)
/// ```
public struct RNNForwardPass: Equatable, Sendable {
  public var z: [Matrix]
  public var h: [Matrix]
  public var yhat: [Matrix]
  public var stepLosses: [Double]
  public var loss: Double
  public var perplexity: Double

  public init(z: [Matrix], h: [Matrix], yhat: [Matrix], stepLosses: [Double], loss: Double, perplexity: Double) {
    self.z = z
    self.h = h
    self.yhat = yhat
    self.stepLosses = stepLosses
    self.loss = loss
    self.perplexity = perplexity
  }

  /// T, the number of steps.
  public var steps: Int { stepLosses.count }

  init(_ fwd: RecurrentCore.Forward, reduction: LossReduction, columns: Bool) {
    let T = fwd.Z.rows
    func vec(_ m: Matrix, _ r: Int) -> Matrix { columns ? m.row(r).transposed : m.row(r) }
    let mean = fwd.stepLosses.reduce(0, +) / Double(T)
    self.init(
      z: (0..<T).map { vec(fwd.Z, $0) },
      h: (0...T).map { vec(fwd.Hs, $0) },
      yhat: (0..<T).map { vec(fwd.P, $0) },
      stepLosses: fwd.stepLosses,
      loss: reduction == .mean ? mean : fwd.stepLosses.reduce(0, +),
      perplexity: Elementary.exp(mean))
  }
}

/// The error signals of note 004, one row per timestep.
///
/// ```
/// delta1   T × |V|   row t−1 = δ1^(t)ᵀ = (ŷ^(t) − y^(t))ᵀ                      ∂J^(t)/∂(U h^(t) + b_2)
/// delta2   T × H     row t−1 = δ2^(t)ᵀ = ((Uᵀ δ1^(t)) ⊙ f′(z^(t)))ᵀ            ∂J^(t)/∂z^(t)
/// dJdz     T × H     row t−1 = (∂J/∂z^(t))ᵀ: every kept term of every J^(s), s ≥ t, weighted
///                    as in J (1/T for the mean) — what the δ recursion carries
/// ```
/// delta1 and delta2 are the step's own loss term only, unscaled by 1/T.
public struct RNNDeltas: Equatable, Sendable {
  public var delta1: Matrix
  public var delta2: Matrix
  public var dJdz: Matrix

  public init(delta1: Matrix, delta2: Matrix, dJdz: Matrix) {
    self.delta1 = delta1
    self.delta2 = delta2
    self.dJdz = dJdz
  }
}

/// Backpropagation through time for the RNN language model in the column convention
/// (notes 002/003), the fast path: the output layer batched over all timesteps (logits,
/// softmax, δ1 and G1 U in one pass over U, then dU = G1ᵀ Hs as one product), the recurrence
/// by the δ recursion.
///
/// ```
/// e^(t) = E x^(t),  z^(t) = W_h h^(t−1) + W_e e^(t) + b_1,  h^(t) = f(z^(t))
/// ŷ^(t) = softmax(U h^(t) + b_2),  J^(t) = −log ŷ^(t)_{x(t+1)}
/// ```
/// Tokens: T + 1 integers in 0..<|V|; inputs x(1…T) = tokens[0…T−1], targets
/// x(2…T+1) = tokens[1…T].
///
/// Batched backward (G1 has rows wₜ δ1^(t)ᵀ, wₜ = 1/T or 1; Gz rows (∂J/∂z^(t))ᵀ):
/// ```
/// dU   = G1ᵀ [h^(1) … h^(T)]ᵀ         (|V| × H) = (|V| × T)(T × H)
/// db_2 = Σₜ wₜ δ1^(t)                  (|V| × 1)
/// ∂J/∂z^(t) = (Uᵀ wₜ δ1^(t) + W_hᵀ ∂J/∂z^(t+1)) ⊙ f′(z^(t))      (H × 1), the δ recursion
/// dW_h = Σₜ ∂J/∂z^(t) h^(t−1)ᵀ         (H × H)
/// dW_e = Σₜ ∂J/∂z^(t) e^(t)ᵀ           (H × d)
/// db_1 = Σₜ ∂J/∂z^(t)                  (H × 1)
/// dE[:, x(t)] += W_eᵀ ∂J/∂z^(t)        (d × |V|; columns of absent words stay zero)
/// dh0  = W_hᵀ ∂J/∂z^(1)                (H × 1)
/// ```
public enum BPTT {
  /// Throws when the parameters, tokens or options cannot be used together.
  public static func validate(_ p: RNNParameters, tokens: [Int], options: RNNOptions) throws(RNNInputError) {
    try p.validate()
    try validateSequence(tokens, vocabularySize: p.vocabularySize, options: options)
  }

  /// The forward pass: every z^(t), h^(t), ŷ^(t), J^(t), J and the perplexity.
  public static func forward(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNForwardPass {
    let (core, A, _) = prepare(p, tokens: tokens, options: options)
    let fwd = core.forward(inputTerms: A, targets: Array(tokens.dropFirst()))
    return RNNForwardPass(fwd, reduction: options.reduction, columns: true)
  }

  /// J = (1/T) Σₜ J^(t) (mean) or Σₜ J^(t) (sum).
  public static func loss(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> Double {
    let (core, A, _) = prepare(p, tokens: tokens, options: options)
    let fwd = core.forward(inputTerms: A, targets: Array(tokens.dropFirst()))
    let s = fwd.stepLosses.reduce(0, +)
    return options.reduction == .mean ? s / Double(fwd.stepLosses.count) : s
  }

  /// ∂J/∂θ for every parameter, with the options' truncation, then clipping.
  public static func gradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNGradients {
    let T = tokens.count - 1
    return weightedGradients(p, tokens: tokens, options: options,
                             weights: RecurrentCore.weights(steps: T, reduction: options.reduction))
      .clipped(options.clipping)
  }

  /// ∂J^(t)/∂θ for the single loss term J^(t) (not divided by T), with the options' truncation
  /// and without clipping. t = 1…T.
  public static func stepGradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), t: Int) -> RNNGradients {
    let T = tokens.count - 1
    if t < 1 || t > T { stop(.stepOutOfRange(step: t, steps: T)) }
    return weightedGradients(p, tokens: tokens, options: options, weights: RecurrentCore.weights(steps: T, only: t))
  }

  /// δ1^(t), δ2^(t) for every t (unscaled, the step's own loss), and the accumulated ∂J/∂z^(t).
  public static func deltas(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNDeltas {
    let (core, A, _) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    let fwd = core.forward(inputTerms: A, targets: targets)
    return deltas(core: core, forward: fwd, targets: targets, options: options)
  }

  static func deltas(core: RecurrentCore, forward fwd: RecurrentCore.Forward, targets: [Int], options: RNNOptions) -> RNNDeltas {
    let T = targets.count
    var delta1 = fwd.P
    for t in 0..<T { delta1[t, targets[t]] -= 1 }
    // δ2^(t)ᵀ = (δ1^(t)ᵀ U) ⊙ f′(z^(t))ᵀ, all rows at once.
    let delta2 = MatrixProduct.multiply(delta1, core.U) ⊙ core.activation.derivative(fwd.Z)
    var consumed = fwd
    let back = core.backward(&consumed, targets: targets, weights: RecurrentCore.weights(steps: T, reduction: options.reduction),
                             truncation: options.truncation)
    return RNNDeltas(delta1: delta1, delta2: delta2, dJdz: back.Gz)
  }

  /// J^(t) alone (not divided by T) when the copy of W_h used at step `step` is replaced by `W`:
  /// ```
  /// z^(i) = W_h|_(i) h^(i−1) + W_e e^(i) + b_1,   W_h|_(i) = W for i = step, W_h otherwise
  /// ```
  /// so that the numeric gradient of this function with respect to `W` is ∂J^(t)/∂W_h|_(step)
  /// (note 000's boxed term). Untruncated; zero dependence on `W` when step > t.
  public static func stepLoss(
    _ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(),
    t: Int, recurrentWeightAtStep step: Int, _ W: Matrix
  ) -> Double {
    stepLoss(p, tokens: tokens, options: options, t: t, replacingWeightAt: step, with: W, replacingStateAt: nil, with: nil)
  }

  /// J^(t) alone (not divided by T) when the hidden state h^(i) (0 ≤ i ≤ t) is replaced by `h`
  /// and the recurrence continues from it: its numeric gradient is ∂J^(t)/∂h^(i).
  public static func stepLoss(
    _ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(),
    t: Int, hiddenStateAtStep i: Int, _ h: Matrix
  ) -> Double {
    stepLoss(p, tokens: tokens, options: options, t: t, replacingWeightAt: nil, with: nil, replacingStateAt: i, with: h)
  }

  /// The slow, step-by-step forward of J^(t) with column vectors, for the two `stepLoss` forms.
  static func stepLoss(
    _ p: RNNParameters, tokens: [Int], options: RNNOptions, t: Int,
    replacingWeightAt step: Int?, with W: Matrix?, replacingStateAt stateStep: Int?, with state: Matrix?
  ) -> Double {
    let T = tokens.count - 1
    if t < 1 || t > T { stop(.stepOutOfRange(step: t, steps: T)) }
    let f = options.activation
    var h = stateStep == 0 ? state! : p.h0
    if stateStep != nil, stateStep! < 0 || stateStep! > t { stop(.stepOutOfRange(step: stateStep!, steps: t)) }
    for i in 1...t {
      let Wi = i == step ? W! : p.W_h
      var z = Wi * h + p.W_e * p.E.column(tokens[i - 1])
      if options.useBiases { z = z + p.b_1 }
      h = f(z)
      if i == stateStep { h = state! }
    }
    var logits = p.U * h
    if options.useBiases { logits = logits + p.b_2 }
    return CrossEntropy.loss(scores: logits.scalars, label: tokens[t])
  }

  // MARK: Shared plumbing

  /// The core, the input terms A (T × H, row t−1 = (W_e e^(t))ᵀ) and the embeddings
  /// Es (T × d, row t−1 = e^(t)ᵀ = column x(t) of E).
  static func prepare(_ p: RNNParameters, tokens: [Int], options: RNNOptions) -> (RecurrentCore, Matrix, Matrix) {
    do { try validate(p, tokens: tokens, options: options) } catch { stop(error) }
    let T = tokens.count - 1, d = p.embeddingSize, V = p.vocabularySize
    var Es = Matrix(rows: T, cols: d)
    for t in 0..<T {
      let w = tokens[t]
      for k in 0..<d { Es.scalars[t * d + k] = p.E.scalars[k * V + w] }
    }
    let A = MatrixProduct.multiply(Es, p.W_e, transposeB: true)
    let core = RecurrentCore(
      W_h: p.W_h, b_1: options.useBiases ? p.b_1 : nil, U: p.U, b_2: options.useBiases ? p.b_2 : nil,
      h0: p.h0, activation: options.activation)
    return (core, A, Es)
  }

  /// A rows × cols matrix of zeros, filled as one block of memory (10 MB for dE at the
  /// benchmark's sizes).
  static func zeros(_ rows: Int, _ cols: Int) -> Matrix {
    Matrix(rows: rows, cols: cols, scalars: [Double](unsafeUninitializedCapacity: rows * cols) { buffer, count in
      buffer.initialize(repeating: 0)
      count = rows * cols
    })
  }

  static func weightedGradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions, weights: [Double]) -> RNNGradients {
    weightedGradientsAndCarry(p, tokens: tokens, options: options, weights: weights).gradients
  }

  /// The gradients of `Σₜ weights[t−1] J^(t)` (unclipped) and Gz (T × H), row t−1 = its
  /// ∂/∂z^(t).
  static func weightedGradientsAndCarry(_ p: RNNParameters, tokens: [Int], options: RNNOptions, weights: [Double]) -> (gradients: RNNGradients, Gz: Matrix) {
    let (core, A, Es) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    // The forward pass computes the output layer's gradients with the logits (one pass over U).
    var fwd = core.forward(inputTerms: A, targets: targets, weights: weights)
    let back = core.backward(&fwd, targets: targets, weights: weights, truncation: options.truncation)
    let T = targets.count, d = p.embeddingSize, V = p.vocabularySize
    // dW_e = Gzᵀ Es (H × d);  ∂J/∂e^(t) = W_eᵀ ∂J/∂z^(t): rows of Gz W_e (T × d).
    let dW_e = MatrixProduct.multiply(back.Gz, Es, transposeA: true)
    let dEs = MatrixProduct.multiply(back.Gz, p.W_e)
    var dE = zeros(d, V)
    for t in 0..<T {
      let w = tokens[t]
      for k in 0..<d { dE.scalars[k * V + w] += dEs.scalars[t * d + k] }
    }
    return (RNNGradients(dE: dE, dW_h: back.dW_h, dW_e: dW_e, db_1: back.db_1, dU: back.dU, db_2: back.db_2, dh0: back.dh0), back.Gz)
  }
}
