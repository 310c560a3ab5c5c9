import BPTTReference
import Jacobians

/// The `rnn-canonical` reference: min-char-rnn's model of note 001.
///
/// ```
/// inputs   tokens (T+1), W_xh (H×|V|), W_hh (H×H), W_yh (|V|×H), b_h (H), b_y (|V|), h0 (H)
/// items    loss, dW_xh, dW_hh, dW_yh, db_h, db_y, dh0        (∂E/∂θ, shape of θ)
/// ```
/// Numeric probes: E as a function of each parameter.
struct CanonicalRNNTask: AssignmentTask {
  static let inputNames = ["tokens", "W_xh", "W_hh", "W_yh", "b_h", "b_y", "h0"]
  static let itemNames = ["loss", "dW_xh", "dW_hh", "dW_yh", "db_h", "db_y", "dh0"]

  let assignment: Assignment
  var options: RNNOptions { assignment.model.options }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let s = assignment.model.sizes
    let T = s["T"]!, V = s["V"]!, H = s["H"]!
    return [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "W_xh": rng.normalTensor([H, V], standardDeviation: 1),
      "W_hh": rng.normalTensor([H, H], standardDeviation: 1.5 / Double(H).squareRoot()),
      "W_yh": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_h": rng.normalTensor([H], standardDeviation: 0.3),
      "b_y": rng.normalTensor([V], standardDeviation: 0.3),
      "h0": rng.uniformTensor([H], -0.5, 0.5),
    ]
  }

  static func parameters(_ inputs: [String: Tensor]) -> CanonicalRNNParameters {
    CanonicalRNNParameters(
      W_xh: inputs["W_xh"]!.matrix, W_hh: inputs["W_hh"]!.matrix, W_yh: inputs["W_yh"]!.matrix,
      b_h: inputs["b_h"]!.matrix, b_y: inputs["b_y"]!.matrix, h0: inputs["h0"]!.matrix)
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let p = Self.parameters(inputs)
    let tokens = inputs["tokens"]!.ints
    let loss = CanonicalRNN.loss(p, tokens: tokens, options: options)
    let g = CanonicalRNN.gradients(p, tokens: tokens, options: options)
    return [
      "loss": Tensor(scalar: loss),
      "dW_xh": Tensor(g.dW_xh), "dW_hh": Tensor(g.dW_hh), "dW_yh": Tensor(g.dW_yh),
      "db_h": Tensor(g.db_h, vector: true), "db_y": Tensor(g.db_y, vector: true),
      "dh0": Tensor(g.dh0, vector: true),
    ]
  }

  func numericProbes(item: String, inputs: [String: Tensor]) -> [NumericProbe] {
    let p = Self.parameters(inputs)
    let tokens = inputs["tokens"]!.ints
    let options = self.options
    func lossProbe(_ keyPath: WritableKeyPath<CanonicalRNNParameters, Matrix>) -> [NumericProbe] {
      [NumericProbe(point: p[keyPath: keyPath]) { m in
        var q = p
        q[keyPath: keyPath] = m
        return CanonicalRNN.loss(q, tokens: tokens, options: options)
      }]
    }
    switch item {
    case "dW_xh": return lossProbe(\.W_xh)
    case "dW_hh": return lossProbe(\.W_hh)
    case "dW_yh": return lossProbe(\.W_yh)
    case "db_h": return lossProbe(\.b_h)
    case "db_y": return lossProbe(\.b_y)
    case "dh0": return lossProbe(\.h0)
    default: return []
    }
  }
}
