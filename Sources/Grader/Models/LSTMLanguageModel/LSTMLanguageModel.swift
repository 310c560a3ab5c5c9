import BPTTReference
import Jacobians

/// `lstm-lm`: the LSTM language model of note 001's gates (`LSTM`, column form).
///
/// ```
/// inputs   tokens (T+1), E (d×|V|), W_x (4H×d), W_h (4H×H), b (4H), U (|V|×H), b_2 (|V|),
///          h0 (H), c0 (H) (with `initial_state` given)
/// items    loss, dU, db_2, dW_x, dW_h, db, dE, dh0, dc0       (∂J/∂θ, shape of θ)
///          dh (T×H)   row t = ∂J/∂h^(t), the total through ŷ^(t) and a^(t+1) (c^(t) held fixed)
///          dc (T×H)   row t = ∂J/∂c^(t), the total through h^(t) and c^(t+1)
///          da (T×4H)  row t = ∂J/∂a^(t), blocks in the gate order
/// options  gate_order (ifog, CS231n's, default | ifgo, PyTorch's), reduction (mean | sum),
///          truncation (full | window(k) | chunks(k)), convention (column),
///          initial_state (given: h0 and c0 are inputs, default | zero: h^(0) = c^(0) = 0, and
///          dh0, dc0 are taken there)
/// ```
/// Numeric probes: the truncated objective `LSTM.surrogateLoss` (J itself for full BPTT) as a
/// function of each parameter, with the cut states computed once at the student's parameters;
/// for the carries, the same objective as a function of the state at step t, h^(t) (c^(t)
/// fixed), c^(t) (through h^(t) = o ⊙ tanh(c^(t))) or a^(t), run forward from there by
/// `LSTM.loss` (`stateObjective`).
struct LSTMLanguageModel: ModelReference {
  static let name = "lstm-lm"
  static let summary = "the LSTM language model (column form): c^(t) = f ⊙ c^(t−1) + i ⊙ g, h^(t) = o ⊙ tanh(c^(t)); gate gradients through time"
  static let sizeNames = ["T", "V", "d", "H"]
  static let optionKeys = ["gate_order", "initial_state"] + GatedOptions.sharedKeys
  static let sizeMeanings = ["T": "the number of time steps", "V": "the vocabulary size", "d": "the embedding size", "H": "the hidden size, the units of each gate"]

  let sizes: [String: Int]
  let options: LSTMOptions
  /// Whether h^(0) and c^(0) are inputs (`given`) or zero.
  let initialState: InitialState

  init(sizes: [String: Int], options object: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    try VectorConvention.decodeColumnOnly(object)
    options = LSTMOptions(
      gateOrder: try GatedOptions.choice(object, "gate_order", default: LSTMGateOrder.ifog),
      reduction: try GatedOptions.reduction(object), truncation: try GatedOptions.truncation(object))
    initialState = try InitialState.decode(object)
  }

  init(sizes: [String: Int], options: LSTMOptions, initialState: InitialState = .given) {
    self.sizes = sizes
    self.options = options
    self.initialState = initialState
  }

  var T: Int { size("T") }
  var H: Int { size("H") }

  var inputs: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return [
      ModelQuantity("tokens", [T + 1], .int64), ModelQuantity("E", [d, V]), ModelQuantity("W_x", [4 * H, d]),
      ModelQuantity("W_h", [4 * H, H]), ModelQuantity("b", [4 * H]), ModelQuantity("U", [V, H]),
      ModelQuantity("b_2", [V]), ModelQuantity("h0", [H]), ModelQuantity("c0", [H]),
    ].filter { initialState == .given || ($0.name != "h0" && $0.name != "c0") }
  }

  var items: [ModelQuantity] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    return [
      ModelQuantity("loss", []), ModelQuantity("dU", [V, H]), ModelQuantity("db_2", [V]),
      ModelQuantity("dW_x", [4 * H, d]), ModelQuantity("dW_h", [4 * H, H]), ModelQuantity("db", [4 * H]),
      ModelQuantity("dE", [d, V]), ModelQuantity("dh0", [H]), ModelQuantity("dc0", [H]),
      ModelQuantity("dh", [T, H]), ModelQuantity("dc", [T, H]), ModelQuantity("da", [T, 4 * H]),
    ]
  }

  var notation: ModelNotation { ModelNotation(loss: "J", recurrentWeight: "W_h", steps: T) }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let T = size("T"), V = size("V"), d = size("d"), H = size("H")
    var b = rng.normalTensor([4 * H], standardDeviation: 0.5)
    // A forget-gate bias of +1 (block f, the second in both orders): f ≈ 0.7, so the cell
    // carry keeps the gradient of early steps visible.
    for j in H..<(2 * H) { b.scalars[j] += 1 }
    var inputs = [
      "tokens": rng.tokens(count: T + 1, vocabulary: V),
      "E": rng.normalTensor([d, V], standardDeviation: 1),
      "W_x": rng.normalTensor([4 * H, d], standardDeviation: 1 / Double(d).squareRoot()),
      "W_h": rng.normalTensor([4 * H, H], standardDeviation: 1.5 / Double(H).squareRoot()),
      "b": b,
      "U": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_2": rng.normalTensor([V], standardDeviation: 0.5),
      "h0": rng.uniformTensor([H], -0.5, 0.5),
      "c0": rng.uniformTensor([H], -1, 1),
    ]
    if initialState == .zero {
      inputs["h0"] = nil
      inputs["c0"] = nil
    }
    return inputs
  }

  func tokens(_ inputs: [String: Tensor]) -> [Int] { inputs["tokens"]!.ints }

  /// The parameters at `inputs` (h0 and c0 zero when the initial state is).
  func parameters(_ inputs: [String: Tensor]) -> LSTMParameters {
    let W_h = inputs["W_h"]!.matrix
    let zero = Matrix(rows: W_h.cols, cols: 1)
    return LSTMParameters(
      E: inputs["E"]!.matrix, W_x: inputs["W_x"]!.matrix, W_h: W_h, b: inputs["b"]!.matrix,
      U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix,
      h0: initialState == .given ? inputs["h0"]!.matrix : zero, c0: initialState == .given ? inputs["c0"]!.matrix : zero)
  }

  /// The items of `g` (the reference's, or a mutant's), in their shapes.
  static func tensors(_ g: LSTMGradients) -> [String: Tensor] {
    [
      "loss": Tensor(scalar: g.loss), "dU": Tensor(g.dU), "db_2": Tensor(g.db_2, vector: true),
      "dW_x": Tensor(g.dW_x), "dW_h": Tensor(g.dW_h), "db": Tensor(g.db, vector: true), "dE": Tensor(g.dE),
      "dh0": Tensor(g.dh0, vector: true), "dc0": Tensor(g.dc0, vector: true),
      "dh": Tensor(g.dh), "dc": Tensor(g.dc), "da": Tensor(g.da),
    ]
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    Self.tensors(LSTM.gradients(parameters(inputs), tokens: tokens(inputs), options: options))
  }

  // MARK: Numeric probes

  /// Each parameter along its direction through the (truncated) surrogate loss; the per-step
  /// items dh, dc, da as one line each, Σ_t of the state objective of step t along row t of the
  /// direction (`NumericProbe.slices`).
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let options = self.options
    // The cut states of the truncated objective, computed once, when a probe first needs them.
    let shared = LazyValue { LSTM.forward(p, tokens: tokens, options: options) }
    func parameterProbe(_ keyPath: WritableKeyPath<LSTMParameters, Matrix>) -> NumericProbe {
      .gradient(of: { m in
        var q = p
        q[keyPath: keyPath] = m
        return LSTM.surrogateLoss(q, cutStates: shared.value, tokens: tokens, options: options)
      }, at: p[keyPath: keyPath])
    }
    let T = tokens.count - 1, H = p.hiddenSize
    let k = MutantLSTM.Blocks(options.gateOrder, hidden: H)
    // The per-step probes read the point's states lazily: their slices are those states.
    func steps(width: Int, _ slice: @escaping (LSTMForwardPass, Int) -> (point: Matrix, f: (Matrix) -> Double)) -> NumericProbe {
      let slices = LazyValue { (1...T).map { t -> (offset: Int, point: Matrix, f: (Matrix) -> Double) in
        let s = slice(shared.value, t)
        return (offset: (t - 1) * width, point: s.point, f: s.f)
      } }
      return .slices(count: T * width, slices)
    }
    var probes: [String: NumericProbe] = [
      "dU": parameterProbe(\.U), "db_2": parameterProbe(\.b_2), "dW_x": parameterProbe(\.W_x), "dW_h": parameterProbe(\.W_h),
      "db": parameterProbe(\.b), "dE": parameterProbe(\.E), "dh0": parameterProbe(\.h0), "dc0": parameterProbe(\.c0),
    ]
    probes["dh"] = steps(width: H) { cut, t in
      let objective = stateObjective(p, tokens: tokens, forward: cut, step: t)
      let c = cut.c.row(t).T
      return (cut.h.row(t).T, { h in objective(h, c) })
    }
    probes["dc"] = steps(width: H) { cut, t in
      let objective = stateObjective(p, tokens: tokens, forward: cut, step: t)
      let o = cut.o.row(t - 1).T
      return (cut.c.row(t).T, { c in objective(o ⊙ Activation.tanh(c), c) })
    }
    probes["da"] = steps(width: 4 * H) { cut, t in
      let objective = stateObjective(p, tokens: tokens, forward: cut, step: t)
      let cPrevious = cut.c.row(t - 1).T
      return (cut.a.row(t - 1).T, { a in
        let s = Activation.sigmoid, th = Activation.tanh
        let i = s(MutantLSTM.block(a, k.i, H)), f = s(MutantLSTM.block(a, k.f, H))
        let o = s(MutantLSTM.block(a, k.o, H)), g = th(MutantLSTM.block(a, k.g, H))
        let c = f ⊙ cPrevious + i ⊙ g
        return objective(o ⊙ th(c), c)
      })
    }
    return probes.filter { name, _ in items.contains { $0.name == name } }
  }

  /// The part of the (truncated) objective that depends on the state (h^(t), c^(t)), as a
  /// function of that state: the loss terms whose backward pass reaches step t,
  /// ```
  /// w J^(t)(h^(t)) + Σ_{s = t+1 … m} w J^(s)(run from (h^(t), c^(t)) through steps t+1 … s)
  /// ```
  /// with m = `lastLossReaching(step: t)` (T for full BPTT) and w = 1/T or 1. Its gradient in
  /// h^(t) is row t of dh, in c^(t) (with h^(t) = o ⊙ tanh(c^(t))) row t of dc.
  func stateObjective(_ p: LSTMParameters, tokens: [Int], forward fp: LSTMForwardPass, step t: Int) -> (Matrix, Matrix) -> Double {
    let T = tokens.count - 1
    let w = options.reduction.weight(steps: T)
    let m = options.truncation.lastLossReaching(step: t, steps: T)
    let suffix = Array(tokens[t...m])                              // x^(t+1) … x^(m+1)
    let order = options.gateOrder
    return { h, c in
      var value = CrossEntropy.loss(scores: p.U * h + p.b_2, label: tokens[t])
      if m > t {
        var q = p
        q.h0 = h
        q.c0 = c
        value += LSTM.loss(q, tokens: suffix, options: LSTMOptions(gateOrder: order, reduction: .sum))
      }
      return w * value
    }
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { lstmDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    LSTMExplanation(model: self, inputs: inputs).steps(for: item)
  }

  func steps(of item: String) -> StepSlices? {
    switch item {
    case "dh":
      return StepSlices(name: "∂J/∂h^(t)", symbol: "t", chart: .init(
        xLabel: "step t", yLabel: "‖∂J/∂h^(t)‖₂",
        explanation: "the gradient reaching the hidden state of each step, from its own output and from a^(t+1)"))
    case "dc":
      return StepSlices(name: "∂J/∂c^(t)", symbol: "t", chart: .init(
        xLabel: "step t", yLabel: "‖∂J/∂c^(t)‖₂",
        explanation: "the gradient reaching the cell of each step, through h^(t) and through c^(t+1) = f ⊙ c^(t) + …"))
    case "da":
      return StepSlices(name: "∂J/∂a^(t)", symbol: "t", chart: .init(
        xLabel: "step t", yLabel: "‖∂J/∂a^(t)‖₂",
        explanation: "the gradient at the four gates' pre-activations of each step, which dW_x, dW_h and db sum"))
    default:
      return nil
    }
  }

  /// How the gradient of the last loss term travels back through h and through the cell, and
  /// the totals dh, dc by step (`ExplicitLSTM.stateGradients`, `LSTM.gradients`).
  func figures(inputs: [String: Tensor]) -> [ReportFigure] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let T = tokens.count - 1
    let fp = LSTM.forward(p, tokens: tokens, options: options)
    let back = ExplicitLSTM.stateGradients(p, tokens: tokens, options: options, t: T)   // i = T … 0
    // The cell path alone: ∂J^(T)/∂c^(T) ⊙ f^(T) ⊙ … ⊙ f^(i+1).
    var highway = back[0].dc.T
    var cellOnly = [highway.frobeniusNorm]
    for i in stride(from: T, through: 1, by: -1) {
      highway = highway ⊙ fp.f.row(i - 1).T
      cellOnly.append(highway.frobeniusNorm)
    }
    let distances = (0...T).map { (Double($0), String($0)) }
    let travel = ReportFigure(
      title: "How the gradient travels back through the cell",
      introduction: "At your inputs, the gradient of the last loss term J^(T) with respect to the hidden state h^(i) and the cell c^(i) of earlier steps, by how many steps back they are. Each step back through h multiplies by the gates' Jacobians and W_h, where the gradient of an RNN fades; the cell's own path multiplies only by the forget gate, ∂c^(i)/∂c^(i−1) = diag(f^(i)), which keeps it alive while f stays near 1.",
      chart: .init(
        series: [
          .init(name: "‖∂J^(T)/∂h^(i)‖₂", points: back.enumerated().map { (Double($0.offset), $0.element.dh.frobeniusNorm) }),
          .init(name: "‖∂J^(T)/∂c^(i)‖₂", points: back.enumerated().map { (Double($0.offset), $0.element.dc.frobeniusNorm) }),
          .init(name: "through c alone: ‖∂J^(T)/∂c^(T) ⊙ f^(T) ⊙ … ⊙ f^(i+1)‖₂", points: cellOnly.enumerated().map { (Double($0.offset), $0.element) }),
        ],
        xTicks: distances, xLabel: "distance T − i (steps back from the last loss term)", yLabel: "norm"),
      caption: "Computed from the reference model at your inputs (J^(T) not divided by T)")
    let g = LSTM.gradients(p, tokens: tokens, options: options)
    func rowNorms(_ m: Matrix) -> [(x: Double, y: Double)] { (1...T).map { (Double($0), m.row($0 - 1).frobeniusNorm) } }
    let totals = ReportFigure(
      title: "The carries dh and dc by step",
      introduction: "The totals ∂J/∂h^(t) (c^(t) held fixed) and ∂J/∂c^(t) of every loss term\(options.truncation.isFull(forSteps: T) ? "" : " that the truncation keeps"), step by step: the two quantities the backward pass carries from step t + 1 to step t.",
      chart: .init(
        series: [.init(name: "‖∂J/∂h^(t)‖₂", points: rowNorms(g.dh)), .init(name: "‖∂J/∂c^(t)‖₂", points: rowNorms(g.dc))],
        xTicks: (1...T).map { (Double($0), String($0)) }, xLabel: "step t", yLabel: "norm"),
      caption: "The reference's rows of dh and dc at your inputs")
    return [travel, totals]
  }
}
