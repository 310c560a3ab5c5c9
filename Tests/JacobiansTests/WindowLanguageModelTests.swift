import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `J = −log softmax(U f(W e + b_1) + b_2)_{x(n+1)}` for `_Differentiation`, over
/// `p = vec(E) ++ vec(W) ++ b_1 ++ vec(U) ++ b_2 ++ s` (row-major within each matrix). The extra
/// block `s` (nd entries, evaluated at 0) is added to e, so that `∂J/∂s = ∂J/∂e`.
@differentiable(reverse, wrt: p)
func windowLanguageModelMirror(_ p: [Double], tokens: [Int], d: Int, H: Int, V: Int, f: Activation) -> Double {
  let n = withoutDerivative(at: tokens.count - 1)
  let nd = withoutDerivative(at: n * d)
  let oW = withoutDerivative(at: d * V), ob1 = withoutDerivative(at: d * V + H * nd)
  let oU = withoutDerivative(at: ob1 + H), ob2 = withoutDerivative(at: ob1 + H + V * H)
  let os = withoutDerivative(at: ob2 + V)
  var e: [Double] = []
  for k in withoutDerivative(at: 0..<n) {
    let w = withoutDerivative(at: tokens[k])
    for i in withoutDerivative(at: 0..<d) { e = e + [p[i * V + w] + p[os + k * d + i]] }
  }
  var h: [Double] = []
  for j in withoutDerivative(at: 0..<H) {
    var z = p[ob1 + j]
    for c in withoutDerivative(at: 0..<nd) { z = z + p[oW + j * nd + c] * e[c] }
    h = h + [activationMirror(z, f)]
  }
  var theta: [Double] = []
  for v in withoutDerivative(at: 0..<V) {
    var t = p[ob2 + v]
    for j in withoutDerivative(at: 0..<H) { t = t + p[oU + v * H + j] * h[j] }
    theta = theta + [t]
  }
  let m = withoutDerivative(at: theta.max() ?? 0)
  var Z = 0.0
  for v in withoutDerivative(at: 0..<V) { Z = Z + exp(theta[v] - m) }
  return log(Z) + m - theta[withoutDerivative(at: tokens[n])]
}

@Suite struct WindowLanguageModelTests {
  /// Activations without a kink, and those with one (their pre-activations are kept away from it).
  static let activations: [Activation] = [.sigmoid, .tanh, .swish, .relu, .leakyReLU(slope: 0.2), .hardTanh]
  static let cases: [(Activation, UInt64)] = activations.flatMap { f in randomSeeds.map { (f, $0) } }

  /// A model (n, d, H, |V| from the seed) and n + 1 random tokens, with z at least 1e-3 away from
  /// every kink of f.
  static func randomCase(seed: UInt64, f: Activation) -> (model: WindowLanguageModel, tokens: [Int]) {
    var rng = SplitMix64(seed: seed ^ 0x5EED_0002)
    let n = 1 + rng.int(below: 4), d = 2 + rng.int(below: 3), H = 2 + rng.int(below: 4), V = 3 + rng.int(below: 6)
    let tokens = (0...n).map { _ in rng.int(below: V) }
    let E = rng.matrix(d, V), W = rng.matrix(H, n * d), U = rng.matrix(V, H, -2, 2), b_2 = rng.matrix(V, 1)
    while true {
      let p = WindowLanguageModelParameters(E: E, W: W, b_1: rng.matrix(H, 1), U: U, b_2: b_2)
      let model = try! WindowLanguageModel(windowSize: n, parameters: p, f: f)
      if isAwayFromKinks(try! model.forward(tokens: tokens).z, f) { return (model, tokens) }
    }
  }

  /// J of a model with the same window size and activation but other parameters.
  static func loss(_ p: WindowLanguageModelParameters, like model: WindowLanguageModel, tokens: [Int]) -> Double {
    try! WindowLanguageModel(windowSize: model.windowSize, parameters: p, f: model.f).loss(tokens: tokens)
  }

  // MARK: Forward

  @Test(arguments: cases)
  func forwardKeepsEveryIntermediate(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let p = model.parameters
    let n = model.windowSize, d = model.embeddingSize, H = model.hiddenSize, V = model.vocabularySize
    let pass = try model.forward(tokens: tokens)
    #expect(pass.e.shape == Shape(n * d, 1))
    #expect(pass.z.shape == Shape(H, 1))
    #expect(pass.h.shape == Shape(H, 1))
    #expect(pass.theta.shape == Shape(V, 1))
    #expect(pass.yHat.shape == Shape(V, 1))
    #expect(pass.window == Array(tokens[0..<n]))
    #expect(pass.target == tokens[n])
    // e^(k) = E x^(k) with x^(k) one-hot: slice k of e.
    for k in 0..<n {
      let ek = p.E * CrossEntropy.oneHot(tokens[k], classes: V)
      #expect(Array(pass.e.scalars[(k * d)..<((k + 1) * d)]) == ek.scalars)
    }
    #expect(try model.embed(tokens) == pass.e)
    #expect(try model.embed(Array(tokens[0..<n])) == pass.e)
    #expect(pass.z == p.W * pass.e + p.b_1)
    #expect(pass.h == f(pass.z))
    #expect(pass.theta == p.U * pass.h + p.b_2)
    #expect(pass.yHat == softmax(pass.theta))
    expectAgree(pass.yHat.sum(), 1, within: exactTolerance, "Σ ŷ")
    expectAgree(pass.J, -log(pass.yHat.scalars[tokens[n]]), within: exactTolerance, "J vs −log ŷ_target")
    #expect(try model.loss(tokens: tokens) == pass.J)
    #expect(try model.loss(e: pass.e, target: tokens[n]) == pass.J)
  }

  // MARK: Explicit Jacobians against the δ shortcut

  /// −(y ⊘ ŷ)ᵀ (diag(ŷ) − ŷŷᵀ) = δ1ᵀ, δ1ᵀ U diag(f′(z)) = δ2ᵀ, and every product equals its shortcut.
  @Test(arguments: cases)
  func explicitJacobianProductEqualsDeltaShortcut(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let n = model.windowSize, d = model.embeddingSize, H = model.hiddenSize, V = model.vocabularySize
    let pass = try model.forward(tokens: tokens)
    let g = model.backward(pass)
    let chain = model.explicitChain(pass)
    // Shapes, as documented.
    #expect(g.delta1.shape == Shape(V, 1))
    #expect(g.dU.shape == Shape(V, H))
    #expect(g.db_2.shape == Shape(V, 1))
    #expect(g.delta2.shape == Shape(H, 1))
    #expect(g.dW.shape == Shape(H, n * d))
    #expect(g.db_1.shape == Shape(H, 1))
    #expect(g.de.shape == Shape(n * d, 1))
    #expect(g.dE.shape == Shape(d, V))
    #expect(chain.dJ_dyHat.shape == Shape(1, V))
    #expect(chain.dyHat_dtheta.shape == Shape(V, V))
    #expect(chain.dtheta_dh.shape == Shape(V, H))
    #expect(chain.dh_dz.shape == Shape(H, H))
    #expect(chain.dz_de.shape == Shape(H, n * d))
    #expect(chain.dtheta_dvecU.shape == Shape(V, V * H))
    #expect(chain.dz_dvecW.shape == Shape(H, H * n * d))
    #expect(chain.de_dvecE.shape == Shape(n * d, d * V))
    #expect(chain.dJ_dvecE.shape == Shape(1, d * V))

    expectAgree(chain.dJ_dtheta.T, g.delta1, within: exactTolerance, "−(y ⊘ ŷ)ᵀ(diag(ŷ) − ŷŷᵀ) vs ŷ − y")
    expectAgree(chain.dJ_dz.T, g.delta2, within: exactTolerance, "δ1ᵀ U diag(f′(z)) vs (Uᵀδ1) ⊙ f′(z)")
    expectAgree(chain.dJ_de.T, g.de, within: exactTolerance, "δ2ᵀ W vs Wᵀδ2")
    expectAgree(chain.dJ_db_2.T, g.db_2, within: exactTolerance, "∂J/∂b_2 chain vs δ1")
    expectAgree(chain.dJ_db_1.T, g.db_1, within: exactTolerance, "∂J/∂b_1 chain vs δ2")
    expectAgree(chain.dU, g.dU, within: exactTolerance, "∂J/∂U chain vs δ1 hᵀ")
    expectAgree(chain.dW, g.dW, within: exactTolerance, "∂J/∂W chain vs δ2 eᵀ")
    expectAgree(chain.dE, g.dE, within: exactTolerance, "∂J/∂E chain vs accumulated slices of ∂J/∂e")
    // The shortcuts re-use δ1 and δ2.
    #expect(g.delta1 == pass.yHat - CrossEntropy.oneHot(tokens[n], classes: V))
    #expect(g.db_2 == g.delta1)
    #expect(g.db_1 == g.delta2)
    #expect(g.dU == Matrix.outer(g.delta1, pass.h))
    #expect(g.dW == Matrix.outer(g.delta2, pass.e))
    #expect(g.delta2 == ((model.parameters.U.T * g.delta1) ⊙ f.derivative(pass.z)))
  }

  // MARK: Independent checks

  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let p = model.parameters
    let n = model.windowSize, target = tokens[n]
    let pass = try model.forward(tokens: tokens)
    let g = model.backward(pass)
    let numeric = NumericGradient.gradients(of: { m in
      Self.loss(WindowLanguageModelParameters(E: m[0], W: m[1], b_1: m[2], U: m[3], b_2: m[4]), like: model, tokens: tokens)
    }, at: [p.E, p.W, p.b_1, p.U, p.b_2])
    expectAgree(g.dE, numeric[0], within: centralDifferenceTolerance, "∂J/∂E")
    expectAgree(g.dW, numeric[1], within: centralDifferenceTolerance, "∂J/∂W")
    expectAgree(g.db_1, numeric[2], within: centralDifferenceTolerance, "∂J/∂b_1")
    expectAgree(g.dU, numeric[3], within: centralDifferenceTolerance, "∂J/∂U")
    expectAgree(g.db_2, numeric[4], within: centralDifferenceTolerance, "∂J/∂b_2")
    // ∂J/∂e, J as a function of the stacked embeddings alone.
    let de = NumericGradient.gradient(of: { try! model.loss(e: $0, target: target) }, at: pass.e)
    expectAgree(g.de, de, within: centralDifferenceTolerance, "∂J/∂e")
    // δ1 = ∂J/∂θ with J = CE(y, softmax(θ)); δ2 = ∂J/∂z with J = CE(y, softmax(U f(z) + b_2)).
    let delta1 = NumericGradient.gradient(of: { CrossEntropy.loss(scores: $0, label: target) }, at: pass.theta)
    expectAgree(g.delta1, delta1, within: centralDifferenceTolerance, "δ1 = ∂J/∂θ")
    let delta2 = NumericGradient.gradient(of: { CrossEntropy.loss(scores: p.U * f($0) + p.b_2, label: target) }, at: pass.z)
    expectAgree(g.delta2, delta2, within: centralDifferenceTolerance, "δ2 = ∂J/∂z")
  }

  @Test(arguments: cases)
  func gradientsMatchAutodiff(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let p = model.parameters
    let n = model.windowSize, d = model.embeddingSize, H = model.hiddenSize, V = model.vocabularySize
    let pass = try model.forward(tokens: tokens)
    let g = model.backward(pass)
    let flat = p.named.flatMap { $0.value.scalars } + [Double](repeating: 0, count: n * d)
    expectAgree(pass.J, windowLanguageModelMirror(flat, tokens: tokens, d: d, H: H, V: V, f: f),
                within: exactTolerance, "J vs mirror")
    let auto = autodiffGradient(of: { windowLanguageModelMirror($0, tokens: tokens, d: d, H: H, V: V, f: f) }, at: flat)
    var offset = 0
    func next(_ rows: Int, _ cols: Int) -> Matrix {
      defer { offset += rows * cols }
      return slice(auto, offset..<(offset + rows * cols), rows, cols)
    }
    expectAgree(g.dE, next(d, V), within: exactTolerance, "∂J/∂E vs autodiff")
    expectAgree(g.dW, next(H, n * d), within: exactTolerance, "∂J/∂W vs autodiff")
    expectAgree(g.db_1, next(H, 1), within: exactTolerance, "∂J/∂b_1 vs autodiff")
    expectAgree(g.dU, next(V, H), within: exactTolerance, "∂J/∂U vs autodiff")
    expectAgree(g.db_2, next(V, 1), within: exactTolerance, "∂J/∂b_2 vs autodiff")
    expectAgree(g.de, next(n * d, 1), within: exactTolerance, "∂J/∂e vs autodiff")
    #expect(offset == auto.count)
  }

  // MARK: Properties of the notes

  /// ∂J/∂e^(k) = W_kᵀ δ2: slice k of ∂J/∂e is Wᵀδ2 restricted to rows k·d … (k+1)·d − 1, which is
  /// the transpose of W's k-th block of d columns times δ2 (E does not enter).
  @Test(arguments: cases)
  func embeddingSlicesAreWTransposeDelta2Restricted(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let W = model.parameters.W
    let n = model.windowSize, d = model.embeddingSize, H = model.hiddenSize
    let g = model.backward(try model.forward(tokens: tokens))
    let full = W.T * g.delta2
    #expect(g.embeddingGradients.count == n)
    for k in 0..<n {
      let W_k = Matrix(rows: H, cols: d) { i, j in W[i, k * d + j] }    // H × d
      let slice = g.embeddingGradients[k]
      #expect(slice.shape == Shape(d, 1))
      #expect(slice.scalars == Array(g.de.scalars[(k * d)..<((k + 1) * d)]))
      expectAgree(slice, full.rows((k * d)..<((k + 1) * d)), within: exactTolerance, "slice \(k) of Wᵀδ2")
      expectAgree(slice, W_k.T * g.delta2, within: exactTolerance, "W_\(k)ᵀ δ2")
    }
  }

  /// δ1 = ŷ − y sums to 0: Σ ŷ = 1 and Σ y = 1. Only the target's entry is negative.
  @Test(arguments: cases)
  func delta1SumsToZero(f: Activation, seed: UInt64) throws {
    let (model, tokens) = Self.randomCase(seed: seed, f: f)
    let g = model.backward(try model.forward(tokens: tokens))
    let sum = g.delta1.sum()
    #expect(Swift.abs(sum) <= 1e-14, "Σ δ1 = \(sum)")
    for (v, x) in g.delta1.scalars.enumerated() {
      if v == tokens[model.windowSize] { #expect(x < 0 && x > -1) } else { #expect(x > 0 && x < 1) }
    }
  }

  /// A window in which a word appears more than once.
  struct RepeatedWordCase: CustomTestStringConvertible, Sendable {
    var name: String
    var tokens: [Int]
    var testDescription: String { name }
  }

  static let repeatedWordCases: [RepeatedWordCase] = [
    RepeatedWordCase(name: "word 3 at positions 1 and 3", tokens: [3, 7, 3, 1]),
    RepeatedWordCase(name: "word 5 twice in a row, then as the target", tokens: [5, 5, 0, 9, 5]),
    RepeatedWordCase(name: "word 2 everywhere, the target too", tokens: [2, 2, 2, 2]),
  ]

  /// "The gradient with respect to a repeated weight is the sum of the gradient with respect to
  /// each time it appears": dE's column of a repeated word is the sum of its slices of de.
  @Test(arguments: repeatedWordCases)
  func repeatedWordAccumulates(_ c: RepeatedWordCase) throws {
    let n = c.tokens.count - 1, d = 4, H = 5, V = 10
    var rng = SplitMix64(seed: randomSeeds[0])
    let p = WindowLanguageModelParameters.random(windowSize: n, vocabularySize: V, embeddingSize: d, hiddenSize: H,
                                                 scale: 1, using: &rng)
    let model = try WindowLanguageModel(windowSize: n, parameters: p, f: .tanh)
    let pass = try model.forward(tokens: c.tokens)
    let g = model.backward(pass)
    let slices = g.embeddingGradients
    for w in 0..<V {
      let positions = (0..<n).filter { c.tokens[$0] == w }
      let column = g.dE.column(w)
      if positions.isEmpty {
        #expect(column.scalars.allSatisfy { $0 == 0 }, "word \(w) is not in the window")
        continue
      }
      var sum = Matrix(rows: d, cols: 1)
      for k in positions { sum += slices[k] }
      expectAgree(column, sum, within: exactTolerance, "column \(w) vs Σ of slices \(positions)")
      if positions.count > 1 {
        // Both positions contribute: the column is not any one slice.
        for k in positions {
          #expect(Discrepancy.relative(column, slices[k]) > 1e-3, "column \(w) equals slice \(k) alone")
        }
      }
    }
    // The accumulation against central differences, and in the explicit product.
    let numeric = NumericGradient.gradient(of: { E in
      Self.loss(WindowLanguageModelParameters(E: E, W: p.W, b_1: p.b_1, U: p.U, b_2: p.b_2), like: model, tokens: c.tokens)
    }, at: p.E)
    expectAgree(g.dE, numeric, within: centralDifferenceTolerance, "∂J/∂E vs central differences")
    expectAgree(model.explicitChain(pass).dE, g.dE, within: exactTolerance, "∂J/∂E chain vs accumulated")
  }

  /// ∂e/∂vec(E) has one 1 per row, at column i·|V| + x^(k).
  @Test func embeddingJacobianPicksTheWindowsColumns() {
    let J = WindowLanguageModel.embeddingJacobian(window: [2, 0, 2], d: 2, V: 3)
    #expect(J.shape == Shape(6, 6))
    // Hand-derived: rows (k, i) = (0,0),(0,1),(1,0),(1,1),(2,0),(2,1) → columns i·3 + x^(k).
    let ones = [(0, 2), (1, 5), (2, 0), (3, 3), (4, 2), (5, 5)]
    for i in 0..<6 {
      for j in 0..<6 { #expect(J[i, j] == (ones.contains { $0 == (i, j) } ? 1 : 0), "entry (\(i), \(j))") }
    }
    // As a numeric Jacobian of e(vec E).
    var rng = SplitMix64(seed: randomSeeds[1])
    let p = WindowLanguageModelParameters.random(windowSize: 3, vocabularySize: 3, embeddingSize: 2, hiddenSize: 2, using: &rng)
    let numeric = NumericGradient.jacobian(of: { vecE in
      let q = WindowLanguageModelParameters(E: vecE.reshaped(2, 3), W: p.W, b_1: p.b_1, U: p.U, b_2: p.b_2)
      return try! WindowLanguageModel(windowSize: 3, parameters: q, f: .sigmoid).embed([2, 0, 2])
    }, at: p.E.reshaped(1, 6))
    expectAgree(J, numeric, within: centralDifferenceTolerance, "∂e/∂vec(E)")
  }

  // MARK: Bad input and non-finite values

  struct BadInputCase: CustomTestStringConvertible, Sendable {
    var name: String
    var windowSize: Int
    var parameters: WindowLanguageModelParameters
    var tokens: [Int]
    var message: String
    var testDescription: String { name }
  }

  static func good() -> WindowLanguageModelParameters {
    var rng = SplitMix64(seed: randomSeeds[2])
    return .random(windowSize: 3, vocabularySize: 10, embeddingSize: 4, hiddenSize: 5, using: &rng)
  }

  static func with(_ change: (inout WindowLanguageModelParameters) -> Void) -> WindowLanguageModelParameters {
    var p = good()
    change(&p)
    return p
  }

  static let badInputs: [BadInputCase] = [
    BadInputCase(name: "W with n·d + 1 columns", windowSize: 3, parameters: with { $0.W = Matrix(rows: 5, cols: 13) },
                 tokens: [1, 2, 3, 4],
                 message: "window language model needs E of shape d×|V| and W of shape H×(n·d) with n = 3, got 4×10 and 5×13"),
    BadInputCase(name: "b_1 a row", windowSize: 3, parameters: with { $0.b_1 = Matrix(rows: 1, cols: 5) },
                 tokens: [1, 2, 3, 4],
                 message: "window language model needs W of shape H×(n·d) and b_1 of shape H×1, got 5×12 and 1×5"),
    BadInputCase(name: "U transposed", windowSize: 3, parameters: with { $0.U = $0.U.T },
                 tokens: [1, 2, 3, 4],
                 message: "window language model needs E of shape d×|V| and U of shape |V|×H with H = 5 (the rows of W), got 4×10 and 5×10"),
    BadInputCase(name: "b_2 too short", windowSize: 3, parameters: with { $0.b_2 = Matrix(rows: 9, cols: 1) },
                 tokens: [1, 2, 3, 4],
                 message: "window language model needs E of shape d×|V| and b_2 of shape |V|×1, got 4×10 and 9×1"),
    BadInputCase(name: "an empty vocabulary", windowSize: 3, parameters: with { $0.E = Matrix(rows: 4, cols: 0) },
                 tokens: [1, 2, 3, 4],
                 message: "E has shape 4×0; the window language model needs d, |V| and H of at least 1"),
    BadInputCase(name: "a window of 0 words", windowSize: 0, parameters: good(), tokens: [1],
                 message: "the window size is 0; it must be at least 1"),
    BadInputCase(name: "no target", windowSize: 3, parameters: good(), tokens: [1, 2, 3],
                 message: "the window language model needs 4 tokens (the window x^(1) … x^(3) and the target x^(4)), got 3"),
    BadInputCase(name: "a token outside the vocabulary", windowSize: 3, parameters: good(), tokens: [1, 10, 3, 4],
                 message: "token 10 at position 1 is outside the vocabulary 0..<10"),
    BadInputCase(name: "a negative target", windowSize: 3, parameters: good(), tokens: [1, 2, 3, -1],
                 message: "token -1 at position 3 is outside the vocabulary 0..<10"),
  ]

  @Test(arguments: badInputs)
  func badInputIsReportedWithASentence(_ c: BadInputCase) {
    do {
      let model = try WindowLanguageModel(windowSize: c.windowSize, parameters: c.parameters, f: .sigmoid)
      _ = try model.forward(tokens: c.tokens)
      Issue.record("\(c.name) was accepted")
    } catch {
      #expect(error.description == c.message)
    }
  }

  @Test func lossOfEmbeddingsChecksItsInputs() throws {
    let model = try WindowLanguageModel(windowSize: 3, parameters: Self.good(), f: .tanh)
    #expect(throws: WindowLanguageModelError.tokenOutOfRange(position: 3, token: 10, vocabularySize: 10)) {
      try model.loss(e: Matrix(rows: 12, cols: 1), target: 10)
    }
    do {
      _ = try model.loss(e: Matrix(rows: 1, cols: 12), target: 0)
      Issue.record("a 1×12 e was accepted")
    } catch {
      #expect(error.description == "window language model needs W of shape H×(n·d) and e of shape (n·d)×1, got 5×12 and 1×12")
    }
    #expect(throws: WindowLanguageModelError.tokenOutOfRange(position: 0, token: 11, vocabularySize: 10)) {
      try model.embed([11, 0, 0])
    }
  }

  /// A NaN in a window word's embedding reaches J and every gradient, and no comparison accepts it.
  @Test func nanNeverPasses() throws {
    var p = Self.good()
    p.E[2, 7] = .nan
    let model = try WindowLanguageModel(windowSize: 3, parameters: p, f: .sigmoid)
    let pass = try model.forward(tokens: [7, 1, 2, 3])
    let g = model.backward(pass)
    #expect(pass.J.isNaN)
    for (name, value) in g.named {
      #expect(!(Discrepancy.relative(value, value) <= .infinity), "\(name) with a NaN was accepted")
    }
  }
}
