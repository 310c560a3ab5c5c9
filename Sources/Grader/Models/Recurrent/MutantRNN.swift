import BPTTReference
import Jacobians

/// Mistakes a student's RNN backward pass can make, switched on one (or several) at a time in
/// `MutantRNN`. With none switched on, `MutantRNN` computes the reference gradients.
///
/// ```
/// signFlipped               δ1^(t) = y^(t) − ŷ^(t)                      (instead of ŷ^(t) − y^(t))
/// activationForDerivative   ∂h^(i)/∂z^(i) = diag(f(z^(i)))              (instead of diag(f′(z^(i))))
/// derivativeAtNextStep      diag(f′(z^(i+1))) at step i; f′(z^(T)) at the last step, where
///                           z^(T+1) does not exist
/// diagonalSoftmaxJacobian   ∂ŷ/∂θ = diag(ŷ ⊙ (1 − ŷ)), so δ1^(t) = (ŷ_l − 1) e_l, l = x(t+1)
/// meanMissing               wₜ = 1 for J = (1/T) Σₜ J^(t)               (off by a factor T)
/// meanTwice                 wₜ = 1/T² for J = (1/T) Σₜ J^(t)
/// meanOnSum                 wₜ = 1/T for J = Σₜ J^(t)
/// currentStateInOuterProduct  ∂J^(t)/∂W_h|_(i) = ∂J^(t)/∂z^(i) ⊗ h^(i)   (instead of h^(i−1))
/// outputErrorRecounted      the δ recursion (which already carries every later output) run
///                           once per outer t: δ1^(j) enters T − j + 1 times
/// embeddingAssigned         dE[:, x(t)] = W_eᵀ ∂J/∂z^(t) in the backward loop t = T…1, so
///                           a repeated word keeps only its earliest occurrence
/// biasesOmitted             the forward pass without b_1 and b_2 (their gradients still formed)
/// ```
/// "Only the i = t term" (the carry ∂J/∂h^(t−1) never propagated) and "the sum truncated to k
/// steps" are truncations: pass `RNNOptions.truncation = .window(1)` or `.window(k)`.
public struct RNNMistakes: OptionSet, Hashable, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  public static let signFlipped = RNNMistakes(rawValue: 1 << 0)
  public static let activationForDerivative = RNNMistakes(rawValue: 1 << 1)
  public static let derivativeAtNextStep = RNNMistakes(rawValue: 1 << 2)
  public static let diagonalSoftmaxJacobian = RNNMistakes(rawValue: 1 << 3)
  public static let meanMissing = RNNMistakes(rawValue: 1 << 4)
  public static let meanTwice = RNNMistakes(rawValue: 1 << 5)
  public static let meanOnSum = RNNMistakes(rawValue: 1 << 6)
  public static let currentStateInOuterProduct = RNNMistakes(rawValue: 1 << 7)
  public static let outputErrorRecounted = RNNMistakes(rawValue: 1 << 8)
  public static let embeddingAssigned = RNNMistakes(rawValue: 1 << 9)
  public static let biasesOmitted = RNNMistakes(rawValue: 1 << 10)
}

/// What `MutantRNN` computes: the loss, every gradient, the error signals and the per-step terms.
///
/// ```
/// loss            J = Σₜ wₜ J^(t)
/// dE   d × |V|    dW_h  H × H    dW_e  H × d    db_1  H × 1    dU  |V| × H    db_2  |V| × 1
/// dh0  H × 1
/// dInputColumns   H × |V|   column x(t) receives ∂J/∂z^(t): the canonical RNN's ∂E/∂W_xh
///                           (never clipped here: the canonical RNN clips its own set)
/// delta1          T × |V|   row t−1 = δ1^(t)ᵀ     delta2   T × H   row t−1 = δ2^(t)ᵀ (unscaled)
/// dW_h_terms      T slices H × H: ∂J^(T)/∂W_h|_(i), i = 1…T (unscaled)
/// ```
public struct MutantRNNResult: Sendable {
  public var loss: Double
  public var gradients: RNNGradients
  public var dInputColumns: Matrix
  public var delta1: Matrix
  public var delta2: Matrix
  public var dW_h_terms: [Matrix]
}

/// What `MutantRNN.canonical` computes: E = Σₜ wₜ E_t and the canonical RNN's gradients.
public struct MutantCanonicalResult: Sendable {
  public var loss: Double
  public var gradients: CanonicalRNNGradients
}

/// A flexible, step-by-step RNN backward pass (column form) that can make the mistakes of
/// `RNNMistakes`. It serves the RNN language model and, through `CanonicalRNNParameters.columnForm`
/// (E = I, W_e = W_xh), the canonical RNN. Tests show that with no mistake it equals `BPTT` and
/// `CanonicalRNN`.
///
/// The backward pass sums explicit per-loss-term sweeps, as note 000 derives it:
/// ```
/// ∂J^(t)/∂h^(t)   = δ1^(t)ᵀ U                                        (1 × H)
/// ∂J^(t)/∂z^(i)   = ∂J^(t)/∂h^(i) diag(f′(z^(i)))                     (1 × H), i = first(t) … t
/// ∂J^(t)/∂h^(i−1) = ∂J^(t)/∂z^(i) W_h
/// ∂J/∂z^(i)       = Σ_{t ≥ i} wₜ ∂J^(t)/∂z^(i)                        (H × 1 as a gradient)
/// dW_h = Σᵢ ∂J/∂z^(i) ⊗ h^(i−1),  dW_e = Σᵢ ∂J/∂z^(i) ⊗ e^(i),  db_1 = Σᵢ ∂J/∂z^(i)
/// dU = Σₜ wₜ δ1^(t) ⊗ h^(t),  db_2 = Σₜ wₜ δ1^(t),  dh0 = Σₜ wₜ (∂J^(t)/∂h^(0))ᵀ
/// ```
/// Cost O(T² H²): for the small sizes of homework.
public enum MutantRNN {
  /// Runs the forward and backward pass with `mistakes` (options' truncation and clipping apply).
  public static func evaluate(_ p: RNNParameters, tokens: [Int], options: RNNOptions, mistakes: RNNMistakes = []) -> MutantRNNResult {
    let T = tokens.count - 1
    let H = p.hiddenSize, V = p.vocabularySize, d = p.embeddingSize
    let f = options.activation
    let biases = options.useBiases && !mistakes.contains(.biasesOmitted)
    let formBiasGradients = options.useBiases

    // Forward: z^(t), h^(t), ŷ^(t), J^(t).
    var z: [Matrix] = [], h: [Matrix] = [p.h0], yhat: [Matrix] = [], stepLosses: [Double] = []
    for t in 1...T {
      let e = p.E.column(tokens[t - 1])                        // e^(t) = E x^(t)          d × 1
      var zt = p.W_h * h[t - 1] + p.W_e * e                    // W_h h^(t−1) + W_e e^(t)  H × 1
      if biases { zt = zt + p.b_1 }
      z.append(zt)
      h.append(f(zt))
      var logits = p.U * h[t]                                  // U h^(t) (+ b_2)          |V| × 1
      if biases { logits = logits + p.b_2 }
      yhat.append(Softmax.probabilities(logits))
      stepLosses.append(Softmax.logSumExp(logits.scalars) - logits.scalars[tokens[t]])
    }
    let w = weight(steps: T, reduction: options.reduction, mistakes: mistakes)
    let loss = w * stepLosses.reduce(0, +)

    // δ1^(t) and the local derivative at each step.
    let delta1s: [Matrix] = (1...T).map { t in
      var g = yhat[t - 1]
      let l = tokens[t]
      if mistakes.contains(.diagonalSoftmaxJacobian) {
        // (∂CE/∂ŷ) diag(ŷ ⊙ (1 − ŷ)): only the label entry, −(1/ŷ_l) ŷ_l (1 − ŷ_l) = ŷ_l − 1.
        g = Matrix(rows: V, cols: 1)
        g[l, 0] = yhat[t - 1][l, 0] - 1
      } else {
        g[l, 0] -= 1
      }
      return mistakes.contains(.signFlipped) ? -g : g
    }
    let local: [Matrix] = (1...T).map { i in
      if mistakes.contains(.activationForDerivative) { return f(z[i - 1]) }
      if mistakes.contains(.derivativeAtNextStep) { return f.derivative(z[Swift.min(i + 1, T) - 1]) }
      return f.derivative(z[i - 1])
    }

    // One loss term's sweep: (∂J^(t)/∂z^(i))ᵀ for the kept i, and (∂J^(t)/∂h^(0))ᵀ if kept.
    func sweep(_ t: Int, scale: Double) -> (dz: [Int: Matrix], dh0: Matrix?) {
      var g = scale * (p.U.T * delta1s[t - 1])                 // (∂J^(t)/∂h^(t))ᵀ          H × 1
      var dz: [Int: Matrix] = [:]
      var dh0: Matrix? = nil
      let first = options.truncation.firstKeptStep(for: t)
      for i in stride(from: t, through: first, by: -1) {
        let dzi = g ⊙ local[i - 1]                             // (∂J^(t)/∂z^(i))ᵀ          H × 1
        dz[i] = dzi
        g = p.W_h.T * dzi                                      // (∂J^(t)/∂h^(i−1))ᵀ        H × 1
        if i == 1 { dh0 = g }
      }
      return (dz, dh0)
    }

    var Gz = [Matrix](repeating: Matrix(rows: H, cols: 1), count: T)
    var dh0 = Matrix(rows: H, cols: 1)
    var dU = Matrix(rows: V, cols: H), db_2 = Matrix(rows: V, cols: 1)
    for t in 1...T {
      dU += w * Matrix.outer(delta1s[t - 1], h[t])            // wₜ δ1^(t) ⊗ h^(t)
      if formBiasGradients { db_2 += w * delta1s[t - 1] }
      // Recounted: the sweep from t also injects the outputs δ1^(j) of every j < t.
      let injections = mistakes.contains(.outputErrorRecounted) ? Array(1...t) : [t]
      for j in injections {
        let s = sweep(j, scale: w)
        for (i, dzi) in s.dz { Gz[i - 1] += dzi }
        if let d0 = s.dh0 { dh0 += d0 }
      }
    }

    var dW_h = Matrix(rows: H, cols: H), dW_e = Matrix(rows: H, cols: d), db_1 = Matrix(rows: H, cols: 1)
    for i in 1...T {
      let state = mistakes.contains(.currentStateInOuterProduct) ? h[i] : h[i - 1]
      dW_h += Matrix.outer(Gz[i - 1], state)                   // ∂J/∂z^(i) ⊗ h^(i−1)
      dW_e += Matrix.outer(Gz[i - 1], p.E.column(tokens[i - 1]))
      if formBiasGradients { db_1 += Gz[i - 1] }
    }
    var dE = Matrix(rows: d, cols: V), dInput = Matrix(rows: H, cols: V)
    for i in stride(from: T, through: 1, by: -1) {             // the backward loop's order
      let word = tokens[i - 1]
      let de = p.W_e.T * Gz[i - 1]                             // ∂J/∂e^(i) = W_eᵀ ∂J/∂z^(i)
      let assign = mistakes.contains(.embeddingAssigned)
      for k in 0..<d { dE[k, word] = (assign ? 0 : dE[k, word]) + de[k, 0] }
      for k in 0..<H { dInput[k, word] = (assign ? 0 : dInput[k, word]) + Gz[i - 1][k, 0] }
    }

    // Error signals, unscaled: δ2^(t) = (Uᵀ δ1^(t)) ⊙ f′(z^(t)).
    var delta1 = Matrix(rows: T, cols: V), delta2 = Matrix(rows: T, cols: H)
    for t in 1...T {
      let d2 = (p.U.T * delta1s[t - 1]) ⊙ local[t - 1]
      for v in 0..<V { delta1[t - 1, v] = delta1s[t - 1][v, 0] }
      for j in 0..<H { delta2[t - 1, j] = d2[j, 0] }
    }
    // ∂J^(T)/∂W_h|_(i) for J^(T) alone (unscaled).
    let last = sweep(T, scale: 1)
    let terms: [Matrix] = (1...T).map { i in
      guard let dzi = last.dz[i] else { return Matrix(rows: H, cols: H) }
      return Matrix.outer(dzi, mistakes.contains(.currentStateInOuterProduct) ? h[i] : h[i - 1])
    }

    let gradients = RNNGradients(dE: dE, dW_h: dW_h, dW_e: dW_e, db_1: db_1, dU: dU, db_2: db_2, dh0: dh0)
    return MutantRNNResult(
      loss: loss, gradients: gradients.clipped(options.clipping), dInputColumns: dInput,
      delta1: delta1, delta2: delta2, dW_h_terms: terms)
  }

  /// The canonical RNN's gradients with `mistakes` (column form with E = I, W_e = W_xh).
  public static func canonical(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions, mistakes: RNNMistakes = []) -> MutantCanonicalResult {
    let r = evaluate(p.columnForm, tokens: tokens, options: RNNOptions(
      activation: options.activation, useBiases: options.useBiases, reduction: options.reduction,
      truncation: options.truncation, clipping: .none), mistakes: mistakes)
    let g = r.gradients
    let out = CanonicalRNNGradients(dW_xh: r.dInputColumns, dW_hh: g.dW_h, dW_yh: g.dU, db_h: g.db_1, db_y: g.db_2, dh0: g.dh0)
    return MutantCanonicalResult(loss: r.loss, gradients: out.clipped(options.clipping))
  }

  /// The weight wₜ of each J^(t) in J, as the student applies it.
  static func weight(steps T: Int, reduction: LossReduction, mistakes: RNNMistakes) -> Double {
    let n = Double(T)
    switch reduction {
    case .mean:
      if mistakes.contains(.meanMissing) { return 1 }
      if mistakes.contains(.meanTwice) { return 1 / (n * n) }
      return 1 / n
    case .sum:
      return mistakes.contains(.meanOnSum) ? 1 / n : 1
    }
  }
}
