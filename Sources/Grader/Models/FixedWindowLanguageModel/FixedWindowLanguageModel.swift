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
/// Numeric probes: J along each parameter; along e (de), θ = U h + b_2 (delta1) and
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

  /// J along each parameter, e, θ and z; f on the pieces of the point's z (`Activation.onPiece`),
  /// so that no step crosses a kink. Work per evaluation: the forward pass (H·nd + |V|·H
  /// multiply-adds and |V| exps), the output layer alone for θ.
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let net = network(p)
    let target = tokens[tokens.count - 1]
    let pass = try! net.forward(tokens: tokens)
    let e = try! net.embed(tokens)
    let zbar = pass.z
    let f = self.f
    let n = size("n"), d = size("d"), H = size("H"), V = size("V")
    let forward = Double(H * n * d + V * H) + 50 * Double(V)
    // J = CE(U f̄(W e + b_1) + b_2) with e the window's columns of E.
    func J(E: Matrix = p.E, W: Matrix = p.W, b_1: Matrix = p.b_1, U: Matrix = p.U, b_2: Matrix = p.b_2, e given: Matrix? = nil) -> Double {
      var q = p
      q.E = E
      let x = given ?? ((try? network(q).embed(tokens)) ?? e)
      return CrossEntropy.loss(scores: U * f.onPieces(of: zbar, W * x + b_1) + b_2, label: target)
    }
    func probe(_ at: Matrix, work: Double = forward, _ g: @escaping (Matrix) -> Double) -> NumericProbe {
      .gradient(of: g, at: at, work: work, forwardWork: forward)
    }
    return [
      "dU": probe(p.U) { J(U: $0) },
      "db_2": probe(p.b_2) { J(b_2: $0) },
      "dW": probe(p.W) { J(W: $0) },
      "db_1": probe(p.b_1) { J(b_1: $0) },
      "dE": probe(p.E) { J(E: $0) },
      "de": probe(e) { J(e: $0) },
      "delta1": probe(pass.theta, work: 52 * Double(V)) { CrossEntropy.loss(scores: $0, label: target) },
      "delta2": probe(zbar) { CrossEntropy.loss(scores: p.U * f.onPieces(of: zbar, $0) + p.b_2, label: target) },
    ]
  }

  // MARK: Diagnosis and teaching

  var derivation: Derivation? { windowDerivation }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    FixedWindowExplanation(model: self, inputs: inputs).steps(for: item)
  }
}
