import BPTTReference
import Jacobians

/// `rnn-canonical`: min-char-rnn's model of note 001 (`CanonicalRNN`).
///
/// ```
/// inputs   tokens (T+1), W_xh (H×|V|), W_hh (H×H), W_yh (|V|×H), b_h (H), b_y (|V|), h0 (H)
/// items    loss, dW_xh, dW_hh, dW_yh, db_h, db_y, dh0        (∂E/∂θ, shape of θ)
/// options  activation, reduction (sum, as min-char-rnn; or mean), truncation, biases,
///          initial_state (given | zero: then h0 is not an input)
/// ```
/// Numeric probes: E along each parameter (`recurrentProbes`; under a truncation that cuts, the
/// truncated surrogate `CanonicalRNN.truncatedSurrogateLoss`). Diagnosis and derivations see it as the
/// column form with E = I and W_e = W_xh (`CanonicalRNNParameters.columnForm`).
struct CanonicalRNNModel: RecurrentModel {
  static let name = "rnn-canonical"
  static let summary = "min-char-rnn's RNN of note 001: h_t = tanh(W_xh x_t + W_hh h_{t−1} + b_h), E = Σ_t E_t"
  static let sizeNames = ["T", "V", "H"]
  static let optionKeys = RNNOptions.assignmentKeys
  static let sizeMeanings = ["T": "the number of time steps", "V": "the vocabulary size", "H": "the hidden size"]

  let sizes: [String: Int]
  let options: RNNOptions
  let initialState: InitialState

  init(sizes: [String: Int], options: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    self.options = try RNNOptions.decode(options)
    self.initialState = try InitialState.decode(options)
  }

  var inputs: [ModelQuantity] {
    let T = size("T"), V = size("V"), H = size("H")
    return withoutZeroState([
      ModelQuantity("tokens", [T + 1], .int64), ModelQuantity("W_xh", [H, V]), ModelQuantity("W_hh", [H, H]),
      ModelQuantity("W_yh", [V, H]), ModelQuantity("b_h", [H]), ModelQuantity("b_y", [V]), ModelQuantity("h0", [H]),
    ])
  }

  var items: [ModelQuantity] {
    let V = size("V"), H = size("H")
    return [
      ModelQuantity("loss", []), ModelQuantity("dW_xh", [H, V]), ModelQuantity("dW_hh", [H, H]), ModelQuantity("dW_yh", [V, H]),
      ModelQuantity("db_h", [H]), ModelQuantity("db_y", [V]), ModelQuantity("dh0", [H]),
    ]
  }

  var names: RecurrentNames {
    RecurrentNames(loss: "E", recurrentWeight: "W_hh", outputWeight: "W_yh", outputBias: "b_y", hiddenBias: "b_h", inputWeight: "W_xh", embedding: nil)
  }

  var notation: ModelNotation { recurrentNotation }

  func role(of item: String) -> RecurrentRole? {
    switch item {
    case "loss": return .loss
    case "dW_xh": return .inputColumns
    case "dW_hh": return .recurrentWeight
    case "dW_yh": return .outputWeight
    case "db_h": return .hiddenBias
    case "db_y": return .outputBias
    case "dh0": return .initialState
    default: return nil
    }
  }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let T = size("T"), V = size("V"), H = size("H")
    var inputs: [String: Tensor] = [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "W_xh": rng.normalTensor([H, V], standardDeviation: 1),
      "W_hh": rng.normalTensor([H, H], standardDeviation: 1.5 / Double(H).squareRoot()),
      "W_yh": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_h": rng.normalTensor([H], standardDeviation: 0.3),
      "b_y": rng.normalTensor([V], standardDeviation: 0.3),
    ]
    if initialState == .given { inputs["h0"] = rng.uniformTensor([H], -0.5, 0.5) }
    return inputs
  }

  func tokens(_ inputs: [String: Tensor]) -> [Int] { inputs["tokens"]!.ints }

  func parameters(_ inputs: [String: Tensor]) -> CanonicalRNNParameters {
    CanonicalRNNParameters(
      W_xh: inputs["W_xh"]!.matrix, W_hh: inputs["W_hh"]!.matrix, W_yh: inputs["W_yh"]!.matrix,
      b_h: inputs["b_h"]!.matrix, b_y: inputs["b_y"]!.matrix, h0: initialState(inputs, hiddenSize: size("H")))
  }

  func columnForm(_ inputs: [String: Tensor]) -> RNNParameters { parameters(inputs).columnForm }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let (loss, g) = CanonicalRNN.lossAndGradients(parameters(inputs), tokens: tokens(inputs), options: options)
    return [
      "loss": Tensor(scalar: loss),
      "dW_xh": Tensor(g.dW_xh), "dW_hh": Tensor(g.dW_hh), "dW_yh": Tensor(g.dW_yh),
      "db_h": Tensor(g.db_h, vector: true), "db_y": Tensor(g.db_y, vector: true),
      "dh0": Tensor(g.dh0, vector: true),
    ]
  }

  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    numericProbes(inputs: inputs, reference: LazyValue { self.reference(inputs: inputs) })
  }

  func numericProbes(inputs: [String: Tensor], reference: [String: Tensor]) -> [String: NumericProbe] {
    numericProbes(inputs: inputs, reference: LazyValue { reference })
  }

  func numericProbes(inputs: [String: Tensor], reference: LazyValue<[String: Tensor]>) -> [String: NumericProbe] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let options = self.options
    let point: [RecurrentRole: Matrix] = [
      .outputWeight: p.W_yh, .outputBias: p.b_y, .recurrentWeight: p.W_hh, .inputColumns: p.W_xh,
      .hiddenBias: p.b_h, .initialState: p.h0,
    ]
    return recurrentProbes(point: point, line: { RNNLine(p, tokens: tokens, options: options) },
                           steps: tokens.count - 1, embeddingSize: 1, reference: reference)
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { recurrentDerivation }

  /// min-char-rnn clips every gradient to ±5 after `lossFun` returns: say so when that is what
  /// the answer shows.
  var clippingKind: MistakeKind {
    MistakeKind.gradientClipped.describing { c, v in
      let base = MistakeKind.gradientClipped.describe(c, v)
      guard let bound = v?.parameter, v?.note?.contains("clamped") == true, Swift.abs(bound - 5) <= 1e-9 else { return base }
      return base + " min-char-rnn clips with `np.clip(dparam, -5, 5, out=dparam)` after `lossFun` returns; grade the gradients `lossFun` returns, before that line."
    }
  }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    recurrentExplanation(item, inputs: inputs)
  }
}
