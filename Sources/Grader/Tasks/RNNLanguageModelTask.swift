import BPTTReference
import Jacobians

/// The `rnn-lm` reference: the column-form RNN language model of notes 000/002/003.
///
/// ```
/// inputs   tokens (T+1), E (d×|V|), W_h (H×H), W_e (H×d), b_1 (H), U (|V|×H), b_2 (|V|), h0 (H)
/// items    loss, dU, db_2, dW_h, dW_e, db_1, dE, dh0      (∂J/∂θ, shape of θ)
///          delta1 (T×|V|)  row t = δ1^(t) = ŷ^(t) − y^(t)
///          delta2 (T×H)    row t = δ2^(t) = (Uᵀδ1^(t)) ⊙ f′(z^(t))
///          dW_h_terms (T×H×H)  slice i = ∂J^(T)/∂W_h|_(i)
/// ```
/// Numeric probes: J as a function of each parameter; J^(t) as a function of the logits
/// θ^(t) = U h^(t) + b_2 (delta1) and of z^(t) (delta2); J^(T) as a function of the copy of W_h
/// used at step i alone (dW_h_terms).
struct RNNLanguageModelTask: AssignmentTask {
  static let inputNames = ["tokens", "E", "W_h", "W_e", "b_1", "U", "b_2", "h0"]
  static let itemNames = ["loss", "dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0", "delta1", "delta2", "dW_h_terms"]

  let assignment: Assignment
  var options: RNNOptions { assignment.model.options }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let s = assignment.model.sizes
    let T = s["T"]!, V = s["V"]!, d = s["d"]!, H = s["H"]!
    // Recurrent weights large enough that every timestep's contribution shows in the gradient.
    return [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "E": rng.normalTensor([d, V], standardDeviation: 1),
      "W_h": rng.normalTensor([H, H], standardDeviation: 2 / Double(H).squareRoot()),
      "W_e": rng.normalTensor([H, d], standardDeviation: 1.5 / Double(d).squareRoot()),
      "b_1": rng.normalTensor([H], standardDeviation: 0.5),
      "U": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_2": rng.normalTensor([V], standardDeviation: 0.5),
      "h0": rng.uniformTensor([H], -0.5, 0.5),
    ]
  }

  static func parameters(_ inputs: [String: Tensor]) -> RNNParameters {
    RNNParameters(
      E: inputs["E"]!.matrix, W_h: inputs["W_h"]!.matrix, W_e: inputs["W_e"]!.matrix,
      b_1: inputs["b_1"]!.matrix, U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix,
      h0: inputs["h0"]!.matrix)
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let p = Self.parameters(inputs)
    let tokens = inputs["tokens"]!.ints
    let T = tokens.count - 1
    let forward = BPTT.forward(p, tokens: tokens, options: options)
    let g = BPTT.gradients(p, tokens: tokens, options: options)
    let deltas = BPTT.deltas(p, tokens: tokens, options: options)
    let terms = ExplicitBPTT.recurrentWeightTerms(p, tokens: tokens, options: options, t: T)
    return [
      "loss": Tensor(scalar: forward.loss),
      "dU": Tensor(g.dU), "db_2": Tensor(g.db_2, vector: true),
      "dW_h": Tensor(g.dW_h), "dW_e": Tensor(g.dW_e), "db_1": Tensor(g.db_1, vector: true),
      "dE": Tensor(g.dE), "dh0": Tensor(g.dh0, vector: true),
      "delta1": Tensor(deltas.delta1), "delta2": Tensor(deltas.delta2),
      "dW_h_terms": Tensor(stacking: terms, shape: [p.hiddenSize, p.hiddenSize]),
    ]
  }

  func numericProbes(item: String, inputs: [String: Tensor]) -> [NumericProbe] {
    let p = Self.parameters(inputs)
    let tokens = inputs["tokens"]!.ints
    let options = self.options
    let T = tokens.count - 1
    func lossProbe(_ keyPath: WritableKeyPath<RNNParameters, Matrix>) -> [NumericProbe] {
      [NumericProbe(point: p[keyPath: keyPath]) { m in
        var q = p
        q[keyPath: keyPath] = m
        return BPTT.loss(q, tokens: tokens, options: options)
      }]
    }
    switch item {
    case "dU": return lossProbe(\.U)
    case "db_2": return lossProbe(\.b_2)
    case "dW_h": return lossProbe(\.W_h)
    case "dW_e": return lossProbe(\.W_e)
    case "db_1": return lossProbe(\.b_1)
    case "dE": return lossProbe(\.E)
    case "dh0": return lossProbe(\.h0)
    case "delta1":
      let forward = BPTT.forward(p, tokens: tokens, options: options)
      let V = p.vocabularySize
      return (1...T).map { t in
        let logits = p.U * forward.h[t] + (options.useBiases ? p.b_2 : Matrix(shape: p.b_2.shape))
        return NumericProbe(offset: (t - 1) * V, point: logits) { theta in
          crossEntropy(logits: theta, target: tokens[t])
        }
      }
    case "delta2":
      let forward = BPTT.forward(p, tokens: tokens, options: options)
      let H = p.hiddenSize
      let f = options.activation
      let b2 = options.useBiases ? p.b_2 : Matrix(shape: p.b_2.shape)
      return (1...T).map { t in
        NumericProbe(offset: (t - 1) * H, point: forward.z[t - 1]) { z in
          crossEntropy(logits: p.U * f(z) + b2, target: tokens[t])
        }
      }
    case "dW_h_terms":
      let H = p.hiddenSize
      return (1...T).map { i in
        NumericProbe(offset: (i - 1) * H * H, point: p.W_h) { W in
          BPTT.stepLoss(p, tokens: tokens, options: options, t: T, recurrentWeightAtStep: i, W)
        }
      }
    default:
      return []
    }
  }
}

/// −log softmax(θ)_target, computed stably as logsumexp(θ) − θ_target.
func crossEntropy(logits theta: Matrix, target: Int) -> Double {
  let m = theta.scalars.max() ?? 0
  var s = 0.0
  for x in theta.scalars { s += _exp(x - m) }
  return m + _log(s) - theta.scalars[target]
}
