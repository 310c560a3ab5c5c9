import Jacobians

/// Everything the RNN language model's exercise asks for, computed together: the loss, every
/// gradient, the error signals, and the per-step terms of the recurrent weight's gradient.
///
/// ```
/// loss                  J = w Σ_t J^(t)
/// gradients             ∂J/∂θ for every parameter (truncated, then clipped, as `BPTT.gradients`)
/// deltas                δ1^(t), δ2^(t) (the step's own loss term) and ∂J/∂z^(t) (`BPTT.deltas`)
/// recurrentWeightTerms  T × H·H, row i − 1 = vec(∂J^(t)/∂W_h|_(i)), the terms of one J^(t)
///                       (`ExplicitBPTT.recurrentWeightTerms`, rows flattened row-major)
/// ```
public struct RNNItemValues: Sendable {
  public var loss: Double
  public var gradients: RNNGradients
  public var deltas: RNNDeltas
  public var recurrentWeightTerms: Matrix
}

extension BPTT {
  /// `RNNItemValues` with the terms of J^(`termsOf`) (the last step by default): the loss,
  /// δ1, δ2 and the terms from one plain forward pass (δ2 by one product δ1 U) and one δ
  /// recursion of J^(t) alone; the gradients as `gradients` computes them (their own forward
  /// pass, which forms the output layer's gradients with the logits), so that every item is bit
  /// for bit the separate reference's; ∂J/∂z^(t) is that gradient's δ recursion (`deltas`'s to
  /// rounding).
  ///
  /// Cost: two forward passes, one product δ1 U, one backward pass, and O(T·H²) for the terms;
  /// memory O(T·|V| + T·H²), the size of the items.
  public static func items(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), termsOf t: Int? = nil) -> RNNItemValues {
    let (core, A, _) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    let T = targets.count
    let termStep = t ?? T
    if termStep < 1 || termStep > T { stop(.stepOutOfRange(step: termStep, steps: T)) }
    let fwd = core.forward(inputTerms: A, targets: targets)
    let sum = fwd.stepLosses.reduce(0, +)
    let loss = options.reduction == .mean ? sum / Double(T) : sum
    var delta1 = fwd.P
    for t in 0..<T { delta1[t, targets[t]] -= 1 }
    // δ2^(t)ᵀ = (δ1^(t)ᵀ U) ⊙ f′(z^(t))ᵀ, all rows at once, as `deltas`.
    let delta2 = MatrixProduct.multiply(delta1, core.U) ⊙ core.activation.derivative(fwd.Z)
    let terms = recurrentWeightTerms(core: core, Z: fwd.Z, Hs: fwd.Hs, delta1: delta1, options: options, t: termStep)
    // The gradients' own backward pass carries ∂J/∂z^(t) too: no second δ recursion for dJdz.
    let (g, Gz) = weightedGradientsAndCarry(p, tokens: tokens, options: options,
                                            weights: RecurrentCore.weights(steps: T, reduction: options.reduction))
    return RNNItemValues(loss: loss, gradients: g.clipped(options.clipping), deltas: RNNDeltas(delta1: delta1, delta2: delta2, dJdz: Gz),
                         recurrentWeightTerms: terms)
  }

  /// ∂J^(t)/∂W_h|_(i) for i = 1…T, the fast path of `ExplicitBPTT.recurrentWeightTerms`: row
  /// i − 1 of the `T × H·H` result is the term of step i, row-major; rows the truncation drops
  /// (i < firstKeptStep(t)) and those after t are zero.
  ///
  /// ```
  /// g^(t) = Uᵀ δ1^(t)                        ∂J^(t)/∂h^(t)         (H × 1)
  /// ∂J^(t)/∂z^(i) = g^(i) ⊙ f′(z^(i))         g^(i−1) = W_hᵀ ∂J^(t)/∂z^(i)
  /// ∂J^(t)/∂W_h|_(i) = ∂J^(t)/∂z^(i) h^(i−1)ᵀ
  /// ```
  /// One vector recursion instead of the explicit path's H × H Jacobian products: O(T·H²) time
  /// and the memory of the result.
  public static func recurrentWeightTerms(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), t: Int) -> Matrix {
    let (core, A, _) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    let T = targets.count
    if t < 1 || t > T { stop(.stepOutOfRange(step: t, steps: T)) }
    let fwd = core.forward(inputTerms: A, targets: targets)
    var delta1 = fwd.P
    for s in 0..<T { delta1[s, targets[s]] -= 1 }
    return recurrentWeightTerms(core: core, Z: fwd.Z, Hs: fwd.Hs, delta1: delta1, options: options, t: t)
  }

  static func recurrentWeightTerms(core: RecurrentCore, Z: Matrix, Hs: Matrix, delta1: Matrix, options: RNNOptions, t: Int) -> Matrix {
    let T = Z.rows, H = core.hiddenSize
    var terms = Matrix(rows: T, cols: H * H)
    // g = Uᵀ δ1^(t): (1 × |V|)(|V| × H).
    var carry = MatrixProduct.multiply(delta1.row(t - 1), core.U).scalars
    let fp = core.activation.derivative(Z.rows((0..<t)))
    let first = options.truncation.firstKeptStep(for: t)
    var gz = [Double](repeating: 0, count: H)
    for i in stride(from: t, through: first, by: -1) {
      for j in 0..<H { gz[j] = carry[j] * fp.scalars[(i - 1) * H + j] }
      terms.scalars.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress! + (i - 1) * H * H
        for a in 0..<H {
          let g = gz[a]
          for b in 0..<H { base[a * H + b] = g * Hs.scalars[(i - 1) * H + b] }
        }
      }
      if i > first {
        core.W_h.scalars.withUnsafeBufferPointer { W in
          gz.withUnsafeBufferPointer { g in
            carry.withUnsafeMutableBufferPointer { c in
              RecurrentCore.transposedMatrixVector(W.baseAddress!, g.baseAddress!, c.baseAddress!, H)
            }
          }
        }
      }
    }
    return terms
  }
}

extension CanonicalRNN {
  /// The loss and every gradient of the canonical RNN from one forward pass (`loss` and
  /// `gradients` each run their own).
  public static func lossAndGradients(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) -> (loss: Double, gradients: CanonicalRNNGradients) {
    let (core, A) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    let T = targets.count, H = p.hiddenSize, V = p.vocabularySize
    var fwd = core.forward(inputTerms: A, targets: targets)
    let sum = fwd.stepLosses.reduce(0, +)
    let loss = options.reduction == .mean ? sum / Double(T) : sum
    let back = core.backward(&fwd, targets: targets, weights: RecurrentCore.weights(steps: T, reduction: options.reduction),
                             truncation: options.truncation)
    var dW_xh = Matrix(rows: H, cols: V)
    for s in 0..<T {
      for i in 0..<H { dW_xh.scalars[i * V + tokens[s]] += back.Gz.scalars[s * H + i] }
    }
    let g = CanonicalRNNGradients(dW_xh: dW_xh, dW_hh: back.dW_h, dW_yh: back.dU, db_h: back.db_1, db_y: back.db_2, dh0: back.dh0)
    return (loss, g.clipped(options.clipping))
  }
}
