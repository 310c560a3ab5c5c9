import Jacobians

/// The objective whose exact gradient truncated BPTT computes: the loss with the states at the cut
/// held constant.
///
/// ```
/// J̃(θ) = w Σ_t J^(t)(θ; h^(s_t) = h̄^(s_t))      s_t = firstKeptStep(t) − 1,  w = 1/T or 1
/// ```
/// Each J^(t) is recomputed from the state h^(s_t) — a constant h̄^(s_t), the state of the forward
/// pass at fixed parameters θ̄ (`frozenStates`) — through steps s_t + 1 … t with the parameters θ.
/// h^(0) is a parameter and never frozen: when s_t = 0 the chain starts from θ's own h0.
/// ```
/// window(k)   s_t = max(0, t − k)               each J^(t) from its own frozen start
/// chunks(k)   s_t = ⌊(t − 1)/k⌋·k                one chain, restarted at every chunk boundary
/// full        s_t = 0                            J̃ = J
/// ```
/// At θ = θ̄ the surrogate is the loss itself, J̃(θ̄) = J(θ̄), and ∇J̃(θ̄) is the truncated gradient
/// (`BPTT.gradients` with the same options): so central differences of J̃ at the student's
/// parameters check a truncated reference, where those of J would not.
extension BPTT {
  /// The states h̄^(0) … h̄^(T) the surrogate holds constant: the forward pass at `p`, each H × 1.
  public static func frozenStates(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> [Matrix] {
    forward(p, tokens: tokens, options: options).h
  }

  /// J̃ at `p`, the cut states taken from `frozen` (`frozenStates` at the fixed parameters).
  public static func truncatedSurrogateLoss(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), frozen: [Matrix]) -> Double {
    let T = tokens.count - 1
    checkSurrogate(p, tokens: tokens, options: options, frozen: frozen)
    var total = 0.0
    var h = p.h0
    var reached = 0          // h holds h^(reached) of the current chain
    var chainStart = -1      // s of the current chain
    for t in 1...T {
      let s = options.truncation.firstKeptStep(for: t) - 1
      if s != chainStart || reached != t - 1 {
        chainStart = s
        h = s == 0 ? p.h0 : frozen[s]
        reached = s
      }
      while reached < t {
        reached += 1
        h = surrogateStep(p, tokens: tokens, options: options, step: reached, from: h, recurrentWeight: p.W_h)
      }
      total += surrogateOutputLoss(p, tokens: tokens, options: options, t: t, h)
    }
    return options.reduction == .mean ? total / Double(T) : total
  }

  /// J^(t) of the surrogate alone (not divided by T) when the copy of W_h used at step `step` is
  /// replaced by `W`: its numeric gradient with respect to `W` is the truncated term
  /// ∂J^(t)/∂W_h|_(step) of `ExplicitBPTT.recurrentWeightTerms` — zero for a step at or before
  /// the cut s_t, or after t.
  public static func truncatedStepLoss(
    _ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), frozen: [Matrix],
    t: Int, recurrentWeightAtStep step: Int, _ W: Matrix
  ) -> Double {
    let T = tokens.count - 1
    if t < 1 || t > T { stop(.stepOutOfRange(step: t, steps: T)) }
    checkSurrogate(p, tokens: tokens, options: options, frozen: frozen)
    let s = options.truncation.firstKeptStep(for: t) - 1
    var h = s == 0 ? p.h0 : frozen[s]
    if s < t {
      for i in (s + 1)...t {
        h = surrogateStep(p, tokens: tokens, options: options, step: i, from: h, recurrentWeight: i == step ? W : p.W_h)
      }
    }
    return surrogateOutputLoss(p, tokens: tokens, options: options, t: t, h)
  }

  /// h^(i) = f(W h^(i−1) + W_e e^(i) + b_1) from the given h^(i−1).
  static func surrogateStep(_ p: RNNParameters, tokens: [Int], options: RNNOptions, step i: Int, from h: Matrix, recurrentWeight W: Matrix) -> Matrix {
    var z = W * h + p.W_e * p.E.column(tokens[i - 1])
    if options.useBiases { z = z + p.b_1 }
    return options.activation(z)
  }

  /// J^(t) = −log softmax(U h^(t) + b_2)_{x(t+1)}.
  static func surrogateOutputLoss(_ p: RNNParameters, tokens: [Int], options: RNNOptions, t: Int, _ h: Matrix) -> Double {
    var logits = p.U * h
    if options.useBiases { logits = logits + p.b_2 }
    return CrossEntropy.loss(scores: logits.scalars, label: tokens[t])
  }

  /// Stops with a sentence unless the model, the tokens and the T + 1 frozen H × 1 states fit.
  static func checkSurrogate(_ p: RNNParameters, tokens: [Int], options: RNNOptions, frozen: [Matrix]) {
    do { try validate(p, tokens: tokens, options: options) } catch { stop(error) }
    let T = tokens.count - 1
    if frozen.count != T + 1 || frozen.contains(where: { $0.shape != p.h0.shape }) {
      stop(.frozenStates(count: frozen.count, expected: T + 1, hiddenSize: p.hiddenSize))
    }
  }
}

extension CanonicalRNN {
  /// The states h̄^(0) … h̄^(T) of the canonical RNN at `p`, held constant by the surrogate.
  public static func frozenStates(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) -> [Matrix] {
    forward(p, tokens: tokens, options: options).h
  }

  /// Ẽ at `p`: the canonical RNN as the column form with E = I and W_e = W_xh
  /// (`CanonicalRNNParameters.columnForm`), the cut states from `frozen`.
  public static func truncatedSurrogateLoss(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions, frozen: [Matrix]) -> Double {
    BPTT.truncatedSurrogateLoss(p.columnForm, tokens: tokens, options: options, frozen: frozen)
  }
}
