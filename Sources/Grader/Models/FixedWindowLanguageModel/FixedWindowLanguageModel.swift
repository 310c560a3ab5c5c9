import BPTTReference
import Jacobians

/// `window-lm`: the fixed-window neural language model of note 002 (`WindowLanguageModel`).
///
/// ```
/// inputs   tokens (n+1), E (d×|V|), W (H×nd), b_1 (H), U (|V|×H), b_2 (|V|)
/// items    loss (J), delta1 (|V|: ŷ − y), dU (|V|×H), db_2 (|V|), delta2 (H: Uᵀδ1 ⊙ f′(z)),
///          dW (H×nd), db_1 (H), de (nd: ∂J/∂e), dE (d×|V|: the window's columns accumulate)
/// options  activation (f of the hidden layer, default σ)
/// ```
/// Numeric probes: J as a function of each parameter; of e (de), of θ = U h + b_2 (delta1) and of
/// z = W e + b_1 (delta2).
struct FixedWindowLanguageModel: ModelReference {
  static let name = "window-lm"
  static let summary = "the fixed-window neural language model of note 002: e = [E x^(1); …; E x^(n)], h = f(W e + b_1), ŷ = softmax(U h + b_2)"
  static let sizeNames = ["n", "d", "H", "V"]
  static let optionKeys = ["activation", "convention"]
  static let sizeMeanings = ["n": "the number of words in the window", "d": "the embedding size", "H": "the hidden size", "V": "the vocabulary size"]

  let sizes: [String: Int]
  let f: Activation

  init(sizes: [String: Int], options: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    f = try Activation.decode(options)
    try VectorConvention.decodeColumnOnly(options)
  }

  var inputs: [ModelQuantity] {
    let n = size("n"), d = size("d"), H = size("H"), V = size("V")
    return [
      ModelQuantity("tokens", [n + 1], .int64), ModelQuantity("E", [d, V]), ModelQuantity("W", [H, n * d]),
      ModelQuantity("b_1", [H]), ModelQuantity("U", [V, H]), ModelQuantity("b_2", [V]),
    ]
  }

  var items: [ModelQuantity] {
    let n = size("n"), d = size("d"), H = size("H"), V = size("V")
    return [
      ModelQuantity("loss", []), ModelQuantity("delta1", [V]), ModelQuantity("dU", [V, H]), ModelQuantity("db_2", [V]),
      ModelQuantity("delta2", [H]), ModelQuantity("dW", [H, n * d]), ModelQuantity("db_1", [H]),
      ModelQuantity("de", [n * d]), ModelQuantity("dE", [d, V]),
    ]
  }

  var notation: ModelNotation { ModelNotation(loss: "J", activation: f.name) }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let n = size("n"), d = size("d"), H = size("H"), V = size("V")
    // A window with a repeated word (when n ≥ 3), so that the accumulation into dE shows.
    return [
      "tokens": rng.tokens(count: n + 1, vocabulary: V),
      "E": rng.normalTensor([d, V], standardDeviation: 1),
      "W": rng.normalTensor([H, n * d], standardDeviation: 1.5 / Double(n * d).squareRoot()),
      "b_1": rng.normalTensor([H], standardDeviation: 0.5),
      "U": rng.normalTensor([V, H], standardDeviation: 2 / Double(H).squareRoot()),
      "b_2": rng.normalTensor([V], standardDeviation: 0.5),
    ]
  }

  func tokens(_ inputs: [String: Tensor]) -> [Int] { inputs["tokens"]!.ints }

  func parameters(_ inputs: [String: Tensor]) -> WindowLanguageModelParameters {
    WindowLanguageModelParameters(
      E: inputs["E"]!.matrix, W: inputs["W"]!.matrix, b_1: inputs["b_1"]!.matrix,
      U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix)
  }

  /// The network at `inputs`; the inputs are the model's own, so their shapes hold.
  func network(_ p: WindowLanguageModelParameters) -> WindowLanguageModel {
    try! WindowLanguageModel(windowSize: size("n"), parameters: p, f: f)
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let net = network(parameters(inputs))
    let pass = try! net.forward(tokens: tokens(inputs))
    let g = net.backward(pass)
    return [
      "loss": Tensor(scalar: pass.J),
      "delta1": Tensor(g.delta1, vector: true), "dU": Tensor(g.dU), "db_2": Tensor(g.db_2, vector: true),
      "delta2": Tensor(g.delta2, vector: true), "dW": Tensor(g.dW), "db_1": Tensor(g.db_1, vector: true),
      "de": Tensor(g.de, vector: true), "dE": Tensor(g.dE),
    ]
  }

  func numericProbes(item: String, inputs: [String: Tensor]) -> [NumericProbe] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    func lossProbe(_ keyPath: WritableKeyPath<WindowLanguageModelParameters, Matrix>) -> [NumericProbe] {
      [NumericProbe(point: p[keyPath: keyPath]) { m in
        var q = p
        q[keyPath: keyPath] = m
        return (try? network(q).loss(tokens: tokens)) ?? .nan
      }]
    }
    let net = network(p)
    let target = tokens[tokens.count - 1]
    switch item {
    case "dU": return lossProbe(\.U)
    case "db_2": return lossProbe(\.b_2)
    case "dW": return lossProbe(\.W)
    case "db_1": return lossProbe(\.b_1)
    case "dE": return lossProbe(\.E)
    case "de":
      let e = try! net.embed(tokens)
      return [NumericProbe(point: e) { e in (try? net.loss(e: e, target: target)) ?? .nan }]
    case "delta1":
      let pass = try! net.forward(tokens: tokens)
      return [NumericProbe(point: pass.theta) { theta in CrossEntropy.loss(scores: theta, label: target) }]
    case "delta2":
      let pass = try! net.forward(tokens: tokens)
      return [NumericProbe(point: pass.z) { z in CrossEntropy.loss(scores: p.U * f(z) + p.b_2, label: target) }]
    default:
      return []
    }
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { windowDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    FixedWindowExplanation(model: self, inputs: inputs).steps(for: item)
  }
}
