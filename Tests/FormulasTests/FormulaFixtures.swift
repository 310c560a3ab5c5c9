import BPTTReference
import Formulas
import Jacobians
import Testing
import TestSupport

// Shared contexts and seeded evaluation points of the formula tests: the RNN language model of
// notes 002/003 (column convention) and the scoring network of note 003.

/// Two routes to one value agree when their relative distance is at most this.
let sameValueTolerance = 1e-12

/// Expects `Discrepancy.relative(a, b) ≤ tolerance`; NaN and shape mismatches fail (`!(err <= tol)`).
func expectSame(_ a: Matrix, _ b: Matrix, _ what: String, tolerance: Double = sameValueTolerance,
                sourceLocation: SourceLocation = #_sourceLocation) {
  let err = Discrepancy.relative(a, b)
  #expect(err <= tolerance, "\(what): relative error \(err) exceeds \(tolerance) (shapes \(a.shape), \(b.shape))",
          sourceLocation: sourceLocation)
}

// MARK: - RNN language model

/// The quantities of the RNN-LM in the column convention, with their shapes in T, V, d, H.
///
/// ```
/// e^(t) = E x^(t),  z^(t) = W_h h^(t−1) + W_e e^(t) + b_1,  h^(t) = f(z^(t)),  h^(0) = h0
/// ŷ^(t) = softmax(U h^(t) + b_2),  y^(t) = onehot(x(t+1)),  δ1^(t) = ŷ^(t) − y^(t)
/// δ2^(t) = (Uᵀ δ1^(t)) ⊙ f′(z^(t))      (the step's own loss)
/// dz^(t) = ∂J/∂z^(t)                    (everything J sends back to z^(t), 1/T included)
/// ```
/// `t` is a step variable (1…T) so that per-step items (δ2^(t) = …) may use it without a sum.
func rnnContext(activation: Activation = .sigmoid, stepVariables: [String: StepRange] = ["t": .oneThroughT]) -> FormulaContext {
  try! FormulaContext(quantities: [
    .matrix("W_h", "H×H", summary: "recurrent weights"),
    .matrix("W_e", "H×d", summary: "input weights"),
    .matrix("U", "V×H", summary: "output weights"),
    .matrix("b_1", "H×1"),
    .matrix("b_2", "V×1"),
    .matrix("E", "d×V", summary: "embeddings"),
    .matrix("h0", "H×1", summary: "initial state"),
    .oneHot("x", "V×1", steps: .oneThroughT),
    .matrix("e", "d×1", steps: .oneThroughT),
    .matrix("z", "H×1", steps: .oneThroughT),
    .matrix("h", "H×1", steps: .zeroThroughT, summary: "hidden state, h[0] = h0"),
    .matrix("yhat", "V×1", steps: .oneThroughT),
    .oneHot("y", "V×1", steps: .oneThroughT),
    .matrix("delta1", "V×1", steps: .oneThroughT),
    .matrix("delta2", "H×1", steps: .oneThroughT),
    .matrix("dz", "H×1", steps: .oneThroughT, aliases: ["dJdz"]),
    .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1)),
  ], activation: activation, stepVariables: stepVariables)
}

/// A seeded RNN-LM point: the bindings of every declared quantity, and the reference gradients.
struct RNNPoint {
  var bindings: FormulaBindings
  var parameters: RNNParameters
  var tokens: [Int]
  var forward: RNNForwardPass
  var deltas: RNNDeltas
  var gradients: RNNGradients
  var activation: Activation

  /// T = 6, V = 10, d = 4, H = 5 unless given.
  init(seed: UInt64, activation: Activation = .sigmoid, T: Int = 6, V: Int = 10, d: Int = 4, H: Int = 5) {
    var rng = SplitMix64(seed: seed)
    parameters = RNNParameters.random(vocabularySize: V, embeddingSize: d, hiddenSize: H, using: &rng)
    let tokens = (0...T).map { _ in rng.int(below: V) }
    self.tokens = tokens
    self.activation = activation
    let options = RNNOptions(activation: activation)
    let p = parameters
    let forward = BPTT.forward(p, tokens: tokens, options: options)
    let deltas = BPTT.deltas(p, tokens: tokens, options: options)
    self.forward = forward
    self.deltas = deltas
    gradients = BPTT.gradients(p, tokens: tokens, options: options)
    let x = (1...T).map { CrossEntropy.oneHot(tokens[$0 - 1], classes: V) }
    let y = (1...T).map { CrossEntropy.oneHot(tokens[$0], classes: V) }
    var b = FormulaBindings(stepCount: T)
    b["W_h"] = .matrix(p.W_h)
    b["W_e"] = .matrix(p.W_e)
    b["U"] = .matrix(p.U)
    b["b_1"] = .matrix(p.b_1)
    b["b_2"] = .matrix(p.b_2)
    b["E"] = .matrix(p.E)
    b["h0"] = .matrix(p.h0)
    b["x"] = .steps(x)
    b["e"] = .steps(x.map { p.E * $0 })
    b["z"] = .steps(forward.z)
    b["h"] = .steps(forward.h)
    b["yhat"] = .steps(forward.yhat)
    b["y"] = .steps(y)
    b["delta1"] = .steps((0..<T).map { deltas.delta1.row($0).T })
    b["delta2"] = .steps((0..<T).map { deltas.delta2.row($0).T })
    b["dz"] = .steps((0..<T).map { deltas.dJdz.row($0).T })
    b["tokens"] = .classIndices(tokens)
    bindings = b
  }

  var T: Int { tokens.count - 1 }

  /// The bound sequence of `name` as an array indexed by step (index 0 = the range's first step).
  func steps(_ name: String) -> [Matrix] {
    guard case .steps(let m)? = bindings[name] else { fatalError("\(name) is not a sequence") }
    return m
  }

  /// The bindings with the step variable t set.
  func at(t: Int) -> FormulaBindings {
    var b = bindings
    b.steps["t"] = t
    return b
  }
}

// MARK: - Scoring network (note 003)

/// `z = Wx + b, h = f(z), s = uᵀh` with `δ = uᵀ ⊙ f′(z)` (1 × n, the slides' row), and a
/// softmax classifier's scores θ (C × 1) with its label.
func scoringContext(activation: Activation? = .tanh) -> FormulaContext {
  try! FormulaContext(quantities: [
    .matrix("W", "n×m"),
    .matrix("x", "m×1"),
    .matrix("b", "n×1"),
    .matrix("z", "n×1"),
    .matrix("h", "n×1"),
    .matrix("u", "n×1"),
    .scalar("s"),
    .matrix("delta", "1×n"),
    .matrix("theta", "C×1"),
    .classIndex("label", classes: "C"),
  ], activation: activation, stepCount: nil)
}

struct ScoringPoint {
  var bindings: FormulaBindings
  var net: ScoringNetwork
  var pass: ScoringForward
  var gradients: ScoringGradients
  var chain: ScoringChain
  var theta: Matrix
  var label: Int

  init(seed: UInt64, activation: Activation = .tanh) {
    var rng = SplitMix64(seed: seed)
    let n = 2 + rng.int(below: 5), m = 2 + rng.int(below: 6), C = 2 + rng.int(below: 6)
    net = try! ScoringNetwork(W: rng.matrix(n, m), b: rng.matrix(n, 1), u: rng.matrix(n, 1), f: activation)
    let x = rng.matrix(m, 1)
    pass = net.forward(x)
    gradients = net.backward(pass)
    chain = net.explicitChain(pass)
    theta = rng.matrix(C, 1, -3, 3)
    label = rng.int(below: C)
    var b = FormulaBindings()
    b["W"] = .matrix(net.W)
    b["x"] = .matrix(x)
    b["b"] = .matrix(net.b)
    b["z"] = .matrix(pass.z)
    b["h"] = .matrix(pass.h)
    b["u"] = .matrix(net.u)
    b["s"] = .scalar(pass.s)
    b["delta"] = .matrix(gradients.delta)
    b["theta"] = .matrix(theta)
    b["label"] = .classIndex(label)
    bindings = b
  }
}

// MARK: - Helpers

/// Parses, failing the test with the message when the formula does not parse.
func parse(_ source: String, _ context: FormulaContext, sourceLocation: SourceLocation = #_sourceLocation) -> Formula? {
  do {
    return try Formula(source, in: context)
  } catch {
    Issue.record("`\(source)` does not parse: \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Evaluates, failing the test with the message when evaluation throws.
func evaluate(_ f: Formula, _ b: FormulaBindings, sourceLocation: SourceLocation = #_sourceLocation) -> Matrix? {
  do {
    return try f.evaluate(at: b)
  } catch {
    Issue.record("`\(f.source)` does not evaluate: \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// The error `body` throws, or nil (recorded as an issue) when it does not throw.
func formulaError(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(FormulaError) -> Void) -> FormulaError? {
  do {
    try body()
    Issue.record("`\(what)` was accepted, expected an error", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}
