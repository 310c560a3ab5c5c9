import BPTTReference
import Jacobians

/// `rnn-lm`: the column-form RNN language model of notes 000/002/003 (`BPTT`).
///
/// ```
/// inputs   tokens (T+1), E (d×|V|), W_h (H×H), W_e (H×d), b_1 (H), U (|V|×H), b_2 (|V|), h0 (H)
/// items    loss, dU, db_2, dW_h, dW_e, db_1, dE, dh0      (∂J/∂θ, shape of θ)
///          delta1 (T×|V|)  row t = δ1^(t) = ŷ^(t) − y^(t)
///          delta2 (T×H)    row t = δ2^(t) = (Uᵀδ1^(t)) ⊙ f′(z^(t))
///          dW_h_terms (T×H×H)  slice i = ∂J^(T)/∂W_h|_(i)
/// options  activation, reduction (mean | sum), truncation (full | window(k) | chunks(k)), biases,
///          initial_state (given | zero: then h0 is not an input)
/// ```
/// Numeric probes (`recurrentProbes`, lines of `RNNLine`): J along each parameter; Σ_t J^(t)
/// with step t's logits θ^(t) = U h^(t) + b_2 moved along row t of the direction (delta1), or
/// z^(t) moved on its way to step t's output only (delta2); J^(T) with each step's copy of W_h
/// moved along its own slice (dW_h_terms). Under a truncation that cuts, J and J^(T) are the
/// truncated surrogate (`BPTT.truncatedSurrogateLoss`): the cut states are constants computed at
/// the student's parameters, so the probes estimate the truncated gradient. δ1^(t) and δ2^(t)
/// are the step's own loss term, which no truncation changes.
struct RNNLanguageModel: RecurrentModel {
  static let name = "rnn-lm"
  static let summary = "the RNN language model of notes 000/002/003 (column form): BPTT"
  static let sizeNames = ["T", "V", "d", "H"]
  static let optionKeys = RNNOptions.assignmentKeys
  static let sizeMeanings = ["T": "the number of time steps", "V": "the vocabulary size", "d": "the embedding size", "H": "the hidden size"]

  let sizes: [String: Int]
  let options: RNNOptions
  let initialState: InitialState

  init(sizes: [String: Int], options: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    self.options = try RNNOptions.decode(options)
    self.initialState = try InitialState.decode(options)
  }

  init(sizes: [String: Int], options: RNNOptions, initialState: InitialState = .given) {
    self.sizes = sizes
    self.options = options
    self.initialState = initialState
  }

  var inputs: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return withoutZeroState([
      ModelQuantity("tokens", [T + 1], .int64), ModelQuantity("E", [d, V]), ModelQuantity("W_h", [H, H]),
      ModelQuantity("W_e", [H, d]), ModelQuantity("b_1", [H]), ModelQuantity("U", [V, H]), ModelQuantity("b_2", [V]),
      ModelQuantity("h0", [H]),
    ])
  }

  var items: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return [
      ModelQuantity("loss", []), ModelQuantity("dU", [V, H]), ModelQuantity("db_2", [V]), ModelQuantity("dW_h", [H, H]),
      ModelQuantity("dW_e", [H, d]), ModelQuantity("db_1", [H]), ModelQuantity("dE", [d, V]), ModelQuantity("dh0", [H]),
      ModelQuantity("delta1", [T, V]), ModelQuantity("delta2", [T, H]), ModelQuantity("dW_h_terms", [T, H, H]),
    ]
  }

  var names: RecurrentNames {
    RecurrentNames(loss: "J", recurrentWeight: "W_h", outputWeight: "U", outputBias: "b_2", hiddenBias: "b_1", inputWeight: "W_e", embedding: "E")
  }

  var notation: ModelNotation { recurrentNotation }

  func role(of item: String) -> RecurrentRole? {
    switch item {
    case "loss": return .loss
    case "dU": return .outputWeight
    case "db_2": return .outputBias
    case "dW_h": return .recurrentWeight
    case "dW_e": return .inputWeight
    case "db_1": return .hiddenBias
    case "dE": return .embedding
    case "dh0": return .initialState
    case "delta1": return .delta1
    case "delta2": return .delta2
    case "dW_h_terms": return .recurrentWeightTerms
    default: return nil
    }
  }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    // Recurrent weights large enough that every timestep's contribution shows in the gradient.
    var inputs: [String: Tensor] = [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "E": rng.normalTensor([d, V], standardDeviation: 1),
      "W_h": rng.normalTensor([H, H], standardDeviation: 2 / Double(H).squareRoot()),
      "W_e": rng.normalTensor([H, d], standardDeviation: 1.5 / Double(d).squareRoot()),
      "b_1": rng.normalTensor([H], standardDeviation: 0.5),
      "U": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_2": rng.normalTensor([V], standardDeviation: 0.5),
    ]
    if initialState == .given { inputs["h0"] = rng.uniformTensor([H], -0.5, 0.5) }
    return inputs
  }

  func tokens(_ inputs: [String: Tensor]) -> [Int] { inputs["tokens"]!.ints }

  func columnForm(_ inputs: [String: Tensor]) -> RNNParameters {
    RNNParameters(
      E: inputs["E"]!.matrix, W_h: inputs["W_h"]!.matrix, W_e: inputs["W_e"]!.matrix,
      b_1: inputs["b_1"]!.matrix, U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix,
      h0: initialState(inputs, hiddenSize: size("H")))
  }

  /// Every item from one forward pass (`BPTT.items`): the per-step terms by one δ recursion of
  /// J^(T), in the memory of the item.
  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let p = columnForm(inputs)
    let r = BPTT.items(p, tokens: tokens(inputs), options: options)
    let g = r.gradients
    let H = p.hiddenSize
    return [
      "loss": Tensor(scalar: r.loss),
      "dU": Tensor(g.dU), "db_2": Tensor(g.db_2, vector: true),
      "dW_h": Tensor(g.dW_h), "dW_e": Tensor(g.dW_e), "db_1": Tensor(g.db_1, vector: true),
      "dE": Tensor(g.dE), "dh0": Tensor(g.dh0, vector: true),
      "delta1": Tensor(r.deltas.delta1), "delta2": Tensor(r.deltas.delta2),
      "dW_h_terms": Tensor(r.recurrentWeightTerms, shape: [r.recurrentWeightTerms.rows, H, H]),
    ]
  }

  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    numericProbes(inputs: inputs, reference: LazyValue { self.reference(inputs: inputs) })
  }

  func numericProbes(inputs: [String: Tensor], reference: [String: Tensor]) -> [String: NumericProbe] {
    numericProbes(inputs: inputs, reference: LazyValue { reference })
  }

  func numericProbes(inputs: [String: Tensor], reference: LazyValue<[String: Tensor]>) -> [String: NumericProbe] {
    let p = columnForm(inputs)
    let tokens = tokens(inputs)
    let options = self.options
    let point: [RecurrentRole: Matrix] = [
      .outputWeight: p.U, .outputBias: p.b_2, .recurrentWeight: p.W_h, .inputWeight: p.W_e,
      .hiddenBias: p.b_1, .embedding: p.E, .initialState: p.h0,
    ]
    return recurrentProbes(point: point, line: { RNNLine(p, tokens: tokens, options: options) },
                           steps: tokens.count - 1, embeddingSize: p.embeddingSize, reference: reference)
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { recurrentDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    recurrentExplanation(item, inputs: inputs)
  }

  func steps(of item: String) -> StepSlices? {
    switch item {
    case "dW_h_terms":
      return StepSlices(
        name: "∂J^(T)/∂W_h|_(i)", symbol: "i",
        chart: .init(
          xLabel: "step i whose copy of W_h the term belongs to", yLabel: "‖∂J^(T)/∂W_h|_(i)‖_F",
          explanation: "how much the copy of W_h used at step i contributes to the last step's loss. Terms far from the last step are small when the gradient vanishes on its way back"))
    case "delta1", "delta2":
      return StepSlices(name: "row t")
    default:
      return nil
    }
  }

  /// ‖∂J^(t)/∂h^(i)‖₂ by distance t − i, one line per t (`ExplicitBPTT.hiddenGradientNormTable`).
  func figures(inputs: [String: Tensor]) -> [ReportFigure] {
    let table = ExplicitBPTT.hiddenGradientNormTable(columnForm(inputs), tokens: tokens(inputs), options: options)
    guard !table.rows.isEmpty else { return [] }
    return [ReportFigure(
      title: "How the gradient travels back through time",
      introduction: "At your inputs, the gradient of each loss term J^(t) with respect to an earlier hidden state h^(i), by how many steps back it is. Each step back multiplies by ∂h^(i)/∂h^(i−1) = diag(f′(z^(i))) W_h: lines falling to the right are vanishing gradients, which is why the early terms of `dW_h_terms` are small.",
      chart: .init(
        series: table.rows.map { row in .init(name: "t = \(row.t)", points: row.byDistance.enumerated().map { (Double($0.offset), $0.element) }) },
        xTicks: (0...table.maximumDistance).map { (Double($0), String($0)) },
        xLabel: "distance t − i (steps back from the loss term)", yLabel: "‖∂J^(t)/∂h^(i)‖₂"),
      caption: "Computed from the reference model at your inputs (J^(t) not divided by T)")]
  }
}
