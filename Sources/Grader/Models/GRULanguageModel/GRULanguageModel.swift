import BPTTReference
import Jacobians

/// `gru-lm`: the GRU language model of note 001's gates (`GRU`, column form; blocks r, z, n).
///
/// ```
/// inputs   tokens (T+1), E (d×|V|), W_x (3H×d), W_h (3H×H), b_x (3H), b_h (3H), U (|V|×H),
///          b_2 (|V|), h0 (H) (with `initial_state` given)
/// items    loss, dU, db_2, dW_x, dW_h, db_x, db_h, dE, dh0     (∂J/∂θ, shape of θ)
///          dh (T×H)   row t = ∂J/∂h^(t), the total through ŷ^(t) and step t + 1
/// options  reset (after, PyTorch's, default | before, d2l's and Keras's default),
///          update (keep: h = (1 − z) ⊙ n + z ⊙ h^(t−1), default | new: h = z ⊙ n + (1 − z) ⊙ h^(t−1)),
///          reduction (mean | sum), truncation (full | window(k) | chunks(k)), convention (column),
///          initial_state (given: h0 is an input, default | zero: h^(0) = 0, dh0 taken there)
/// ```
/// Numeric probes: `GRU.surrogateLoss` (J for full BPTT) in each parameter, with the cut states
/// computed once at the student's parameters; for dh, the same objective as a function of
/// h^(t), run forward from there by `GRU.loss` (`stateObjective`).
struct GRULanguageModel: ModelReference {
  static let name = "gru-lm"
  static let summary = "the GRU language model (column form): reset r, update z, candidate n; gate gradients through time"
  static let sizeNames = ["T", "V", "d", "H"]
  static let optionKeys = ["reset", "update", "initial_state"] + GatedOptions.sharedKeys
  static let sizeMeanings = ["T": "the number of time steps", "V": "the vocabulary size", "d": "the embedding size", "H": "the hidden size, the units of each gate"]

  let sizes: [String: Int]
  let options: GRUOptions
  /// Whether h^(0) is an input (`given`) or zero.
  let initialState: InitialState

  init(sizes: [String: Int], options object: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    try VectorConvention.decodeColumnOnly(object)
    options = GRUOptions(
      reset: try GatedOptions.choice(object, "reset", default: GRUReset.after),
      update: try GatedOptions.choice(object, "update", default: GRUUpdate.keep),
      reduction: try GatedOptions.reduction(object), truncation: try GatedOptions.truncation(object))
    initialState = try InitialState.decode(object)
  }

  init(sizes: [String: Int], options: GRUOptions, initialState: InitialState = .given) {
    self.sizes = sizes
    self.options = options
    self.initialState = initialState
  }

  var T: Int { size("T") }

  var inputs: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return [
      ModelQuantity("tokens", [T + 1], .int64), ModelQuantity("E", [d, V]), ModelQuantity("W_x", [3 * H, d]),
      ModelQuantity("W_h", [3 * H, H]), ModelQuantity("b_x", [3 * H]), ModelQuantity("b_h", [3 * H]),
      ModelQuantity("U", [V, H]), ModelQuantity("b_2", [V]), ModelQuantity("h0", [H]),
    ].filter { initialState == .given || $0.name != "h0" }
  }

  var items: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return [
      ModelQuantity("loss", []), ModelQuantity("dU", [V, H]), ModelQuantity("db_2", [V]),
      ModelQuantity("dW_x", [3 * H, d]), ModelQuantity("dW_h", [3 * H, H]), ModelQuantity("db_x", [3 * H]),
      ModelQuantity("db_h", [3 * H]), ModelQuantity("dE", [d, V]), ModelQuantity("dh0", [H]), ModelQuantity("dh", [T, H]),
    ]
  }

  var notation: ModelNotation { ModelNotation(loss: "J", recurrentWeight: "W_h", steps: T) }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    var inputs = [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "E": rng.normalTensor([d, V], standardDeviation: 1),
      "W_x": rng.normalTensor([3 * H, d], standardDeviation: 1 / Double(d).squareRoot()),
      "W_h": rng.normalTensor([3 * H, H], standardDeviation: 1.5 / Double(H).squareRoot()),
      "b_x": rng.normalTensor([3 * H], standardDeviation: 0.5),
      "b_h": rng.normalTensor([3 * H], standardDeviation: 0.5),
      "U": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_2": rng.normalTensor([V], standardDeviation: 0.5),
      "h0": rng.uniformTensor([H], -0.5, 0.5),
    ]
    if initialState == .zero { inputs["h0"] = nil }
    return inputs
  }

  func tokens(_ inputs: [String: Tensor]) -> [Int] { inputs["tokens"]!.ints }

  /// The parameters at `inputs` (h0 zero when the initial state is).
  func parameters(_ inputs: [String: Tensor]) -> GRUParameters {
    let W_h = inputs["W_h"]!.matrix
    return GRUParameters(
      E: inputs["E"]!.matrix, W_x: inputs["W_x"]!.matrix, W_h: W_h, b_x: inputs["b_x"]!.matrix,
      b_h: inputs["b_h"]!.matrix, U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix,
      h0: initialState == .given ? inputs["h0"]!.matrix : Matrix(rows: W_h.cols, cols: 1))
  }

  /// The items of `g` (the reference's, or a mutant's), in their shapes.
  static func tensors(_ g: GRUGradients) -> [String: Tensor] {
    [
      "loss": Tensor(scalar: g.loss), "dU": Tensor(g.dU), "db_2": Tensor(g.db_2, vector: true),
      "dW_x": Tensor(g.dW_x), "dW_h": Tensor(g.dW_h), "db_x": Tensor(g.db_x, vector: true),
      "db_h": Tensor(g.db_h, vector: true), "dE": Tensor(g.dE), "dh0": Tensor(g.dh0, vector: true), "dh": Tensor(g.dh),
    ]
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    Self.tensors(GRU.gradients(parameters(inputs), tokens: tokens(inputs), options: options))
  }

  // MARK: Numeric probes

  /// Each parameter along its direction through the (truncated) surrogate loss; dh as one line,
  /// Σ_t of the state objective of step t along row t of the direction (`NumericProbe.slices`).
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let options = self.options
    let shared = LazyValue { GRU.forward(p, tokens: tokens, options: options) }
    func parameterProbe(_ keyPath: WritableKeyPath<GRUParameters, Matrix>) -> NumericProbe {
      .gradient(of: { m in
        var q = p
        q[keyPath: keyPath] = m
        return GRU.surrogateLoss(q, cutStates: shared.value, tokens: tokens, options: options)
      }, at: p[keyPath: keyPath])
    }
    let T = tokens.count - 1, H = p.hiddenSize
    let slices = LazyValue { (1...T).map { t -> (offset: Int, point: Matrix, f: (Matrix) -> Double) in
      (offset: (t - 1) * H, point: shared.value.h.row(t).T, f: stateObjective(p, tokens: tokens, step: t))
    } }
    let probes: [String: NumericProbe] = [
      "dU": parameterProbe(\.U), "db_2": parameterProbe(\.b_2), "dW_x": parameterProbe(\.W_x), "dW_h": parameterProbe(\.W_h),
      "db_x": parameterProbe(\.b_x), "db_h": parameterProbe(\.b_h), "dE": parameterProbe(\.E), "dh0": parameterProbe(\.h0),
      "dh": .slices(count: T * H, slices),
    ]
    return probes.filter { name, _ in items.contains { $0.name == name } }
  }

  /// The part of the (truncated) objective that depends on h^(t), as a function of h^(t):
  /// ```
  /// w J^(t)(h^(t)) + Σ_{s = t+1 … m} w J^(s)(run from h^(t) through steps t+1 … s)
  /// ```
  /// with m = `lastLossReaching(step: t)` (T for full BPTT). Its gradient is row t of dh.
  func stateObjective(_ p: GRUParameters, tokens: [Int], step t: Int) -> (Matrix) -> Double {
    let T = tokens.count - 1
    let w = options.reduction.weight(steps: T)
    let m = options.truncation.lastLossReaching(step: t, steps: T)
    let suffix = Array(tokens[t...m])
    let suffixOptions = GRUOptions(reset: options.reset, update: options.update, reduction: .sum)
    return { h in
      var value = CrossEntropy.loss(scores: p.U * h + p.b_2, label: tokens[t])
      if m > t {
        var q = p
        q.h0 = h
        value += GRU.loss(q, tokens: suffix, options: suffixOptions)
      }
      return w * value
    }
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { gruDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    GRUExplanation(model: self, inputs: inputs).steps(for: item)
  }

  func steps(of item: String) -> StepSlices? {
    guard item == "dh" else { return nil }
    return StepSlices(name: "∂J/∂h^(t)", symbol: "t", chart: .init(
      xLabel: "step t", yLabel: "‖∂J/∂h^(t)‖₂",
      explanation: "the gradient reaching the state of each step, from its own output and from step t + 1"))
  }

  /// How the gradient of the last loss term travels back, in all and along the direct path
  /// through the update gate alone (`ExplicitGRU.hiddenGradients`), and dh by step.
  func figures(inputs: [String: Tensor]) -> [ReportFigure] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let T = tokens.count - 1
    let fp = GRU.forward(p, tokens: tokens, options: options)
    let back = ExplicitGRU.hiddenGradients(p, tokens: tokens, options: options, t: T)   // i = T … 0
    let keep = options.update == .keep
    var direct = back[0].T
    var directNorms = [direct.frobeniusNorm]
    for i in stride(from: T, through: 1, by: -1) {
      let z = fp.z.row(i - 1).T
      direct = direct ⊙ (keep ? z : Matrix(rows: z.rows, cols: 1, repeating: 1) - z)
      directNorms.append(direct.frobeniusNorm)
    }
    let gate = keep ? "z" : "(1 − z)"
    let travel = ReportFigure(
      title: "How the gradient travels back through the GRU",
      introduction: "At your inputs, the gradient of the last loss term J^(T) with respect to the state h^(i) of earlier steps, by how many steps back it is. Besides the paths through the gates and W_h, h^(t) = \(keep ? "(1 − z) ⊙ n + z ⊙ h^(t−1)" : "z ⊙ n + (1 − z) ⊙ h^(t−1)") passes h^(t−1) on directly, scaled by \(gate) alone: while \(gate) stays near 1 that path keeps the gradient alive.",
      chart: .init(
        series: [
          .init(name: "‖∂J^(T)/∂h^(i)‖₂", points: back.enumerated().map { (Double($0.offset), $0.element.frobeniusNorm) }),
          .init(name: "the direct path alone: ‖∂J^(T)/∂h^(T) ⊙ \(gate)^(T) ⊙ … ⊙ \(gate)^(i+1)‖₂", points: directNorms.enumerated().map { (Double($0.offset), $0.element) }),
        ],
        xTicks: (0...T).map { (Double($0), String($0)) }, xLabel: "distance T − i (steps back from the last loss term)", yLabel: "norm"),
      caption: "Computed from the reference model at your inputs (J^(T) not divided by T)")
    let g = GRU.gradients(p, tokens: tokens, options: options)
    let totals = ReportFigure(
      title: "The carry dh by step",
      introduction: "The total ∂J/∂h^(t) of every loss term\(options.truncation.isFull(forSteps: T) ? "" : " that the truncation keeps"), step by step: what the backward pass carries from step t + 1 to step t, added to the step's own output gradient.",
      chart: .init(
        series: [.init(name: "‖∂J/∂h^(t)‖₂", points: (1...T).map { (Double($0), g.dh.row($0 - 1).frobeniusNorm) })],
        xTicks: (1...T).map { (Double($0), String($0)) }, xLabel: "step t", yLabel: "norm"),
      caption: "The reference's rows of dh at your inputs")
    return [travel, totals]
  }
}
