import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `J = (1/N) Σᵢ CE(softmax(XᵢW + b), yᵢ) + c·λ Σ W²` for `_Differentiation`;
/// `p = vec(W) ++ b` (W row-major D × C; b of C entries, ignored when `bias` is false).
@differentiable(reverse, wrt: p)
func softmaxClassifierMirror(_ p: [Double], X: [Double], y: [Int], N: Int, D: Int, C: Int,
                             lambda: Double, c: Double, bias: Bool) -> Double {
  var total = 0.0
  for i in withoutDerivative(at: 0..<N) {
    var scores: [Double] = []
    for k in withoutDerivative(at: 0..<C) {
      var s = 0.0
      if bias { s = p[D * C + k] }
      for j in withoutDerivative(at: 0..<D) { s = s + X[i * D + j] * p[j * C + k] }
      scores = scores + [s]
    }
    total = total + crossEntropyMirror(scores, label: y[i])
  }
  var penalty = 0.0
  for k in withoutDerivative(at: 0..<(D * C)) { penalty = penalty + p[k] * p[k] }
  return total / Double(N) + c * lambda * penalty
}

@Suite struct SoftmaxClassifierTests {
  /// One configuration of the classifier under test.
  struct Config: Sendable, CustomStringConvertible {
    var lambda: Double
    var l2: L2Factor
    var bias: Bool
    var description: String { "λ=\(lambda) \(l2) bias=\(bias)" }
  }

  static let configs = [
    Config(lambda: 0, l2: .full, bias: false),
    Config(lambda: 0.3, l2: .full, bias: false),
    Config(lambda: 0.3, l2: .half, bias: true),
    Config(lambda: 0.05, l2: .full, bias: true),
  ]
  static let cases: [(Config, UInt64)] = configs.flatMap { c in randomSeeds.map { (c, $0) } }

  struct Problem {
    var X: Matrix, y: [Int], W: Matrix, b: Matrix?
  }

  static func randomProblem(seed: UInt64, bias: Bool) -> Problem {
    var rng = SplitMix64(seed: seed)
    let N = 3 + rng.int(below: 8), D = 2 + rng.int(below: 5), C = 2 + rng.int(below: 4)
    let X = rng.normalMatrix(N, D)
    let y = (0..<N).map { _ in rng.int(below: C) }
    let W = rng.normalMatrix(D, C, standardDeviation: 0.5)
    return Problem(X: X, y: y, W: W, b: bias ? rng.matrix(1, C) : nil)
  }

  @Test(arguments: cases)
  func gradientMatchesCentralDifferences(config: Config, seed: UInt64) throws {
    let p = Self.randomProblem(seed: seed, bias: config.bias)
    let model = SoftmaxClassifier(lambda: config.lambda, l2: config.l2)
    let r = try model.evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    #expect(r.dW.shape == p.W.shape)
    let numericW = NumericGradient.gradient(of: { try! model.evaluate(X: p.X, y: p.y, W: $0, b: p.b).loss }, at: p.W)
    expectAgree(r.dW, numericW, within: centralDifferenceTolerance, "∂J/∂W")
    if let b = p.b {
      let numericB = NumericGradient.gradient(of: { try! model.evaluate(X: p.X, y: p.y, W: p.W, b: $0).loss }, at: b)
      let db = try #require(r.db)
      #expect(db.shape == b.shape)
      expectAgree(db, numericB, within: centralDifferenceTolerance, "∂J/∂b")
    } else {
      #expect(r.db == nil)
    }
  }

  @Test(arguments: cases)
  func gradientMatchesAutodiff(config: Config, seed: UInt64) throws {
    let p = Self.randomProblem(seed: seed, bias: config.bias)
    let r = try SoftmaxClassifier(lambda: config.lambda, l2: config.l2).evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    let N = p.X.rows, D = p.X.cols, C = p.W.cols
    let params = p.W.scalars + (p.b?.scalars ?? [Double](repeating: 0, count: C))
    let mirror: @differentiable(reverse) ([Double]) -> Double = {
      softmaxClassifierMirror($0, X: p.X.scalars, y: p.y, N: N, D: D, C: C,
                              lambda: config.lambda, c: config.l2.c, bias: config.bias)
    }
    expectAgree(r.loss, mirror(params), within: exactTolerance, "J vs mirror")
    let auto = autodiffGradient(of: mirror, at: params)
    expectAgree(r.dW, slice(auto, 0..<(D * C), D, C), within: exactTolerance, "∂J/∂W vs autodiff")
    if let db = r.db {
      expectAgree(db, slice(auto, (D * C)..<(D * C + C), 1, C), within: exactTolerance, "∂J/∂b vs autodiff")
    }
  }

  /// `.full` is λΣW² with gradient 2λW, `.half` is ½λΣW² with gradient λW; the data parts agree.
  @Test(arguments: randomSeeds)
  func halfAndFullPenalties(seed: UInt64) throws {
    let p = Self.randomProblem(seed: seed, bias: true)
    let lambda = 0.7
    let full = try SoftmaxClassifier(lambda: lambda, l2: .full).evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    let half = try SoftmaxClassifier(lambda: lambda, l2: .half).evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    let none = try SoftmaxClassifier().evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    let sumOfSquares = p.W.scalars.reduce(0) { $0 + $1 * $1 }
    expectAgree(full.regularizationLoss, lambda * sumOfSquares, within: exactTolerance, "λΣW²")
    expectAgree(half.regularizationLoss, 0.5 * lambda * sumOfSquares, within: exactTolerance, "½λΣW²")
    #expect(none.regularizationLoss == 0)
    #expect(full.dataLoss == none.dataLoss && half.dataLoss == none.dataLoss)
    expectAgree(full.dW - none.dW, 2 * lambda * p.W, within: exactTolerance, "2λW")
    expectAgree(half.dW - none.dW, lambda * p.W, within: exactTolerance, "λW")
    // The bias is not regularized.
    #expect(full.db == none.db)
  }

  /// The lecture's penalty λΣθ² is the default.
  @Test func defaultPenaltyIsFull() {
    #expect(SoftmaxClassifier().l2 == .full)
    #expect(SoftmaxClassifier(lambda: 0.1).l2 == .full)
    #expect(SoftmaxClassifier().lambda == 0)
    #expect(L2Factor.full.c == 1 && L2Factor.half.c == 0.5)
  }

  /// The data loss is the mean of the per-example cross entropies; dS rows are (ŷᵢ − yᵢ)/N.
  @Test(arguments: randomSeeds)
  func dataLossIsMeanCrossEntropy(seed: UInt64) throws {
    let p = Self.randomProblem(seed: seed, bias: true)
    let r = try SoftmaxClassifier(lambda: 0.1).evaluate(X: p.X, y: p.y, W: p.W, b: p.b)
    let N = p.X.rows
    #expect(r.scores.shape == Shape(N, p.W.cols))
    #expect(r.probabilities.shape == r.scores.shape)
    let mean = (0..<N).map { CrossEntropy.loss(scores: r.scores.row($0), label: p.y[$0]) }.reduce(0, +) / Double(N)
    expectAgree(r.dataLoss, mean, within: exactTolerance, "mean CE")
    for i in 0..<N {
      let shortcut = CrossEntropy.gradientWithRespectToScores(r.scores.row(i), label: p.y[i]) / Double(N)
      expectAgree(r.dS.row(i), shortcut, within: exactTolerance, "dS row \(i)")
    }
  }

  /// W = 0 and no bias: every score is 0, ŷ is uniform, and J = log C exactly as derived
  /// (−log(1/C)); the gradient is Xᵀ(1/C − Y)/N.
  @Test(arguments: [2, 3, 10])
  func zeroWeightsGiveLogC(C: Int) throws {
    var rng = SplitMix64(seed: randomSeeds[5])
    let X = rng.normalMatrix(4, 3)
    let y = [0, 1, C - 1, 1]
    let r = try SoftmaxClassifier(lambda: 1).evaluate(X: X, y: y, W: Matrix(rows: 3, cols: C))
    expectAgree(r.loss, log(Double(C)), within: exactTolerance, "log C")
    var Y = Matrix(rows: 4, cols: C)
    for i in 0..<4 { Y[i, y[i]] = 1 }
    expectAgree(r.dW, X.T * (Matrix(rows: 4, cols: C, repeating: 1.0 / Double(C)) - Y) / 4, within: exactTolerance, "Xᵀ(P − Y)/N")
  }

  @Test func invalidInputsAreReportedInSentences() {
    let X = Matrix(rows: 2, cols: 3), W = Matrix(rows: 3, cols: 4)
    let model = SoftmaxClassifier()
    #expect(throws: SoftmaxClassifierError.labelOutOfRange(example: 1, label: 4, classes: 4)) {
      try model.evaluate(X: X, y: [0, 4], W: W)
    }
    #expect(throws: SoftmaxClassifierError.labelCount(expected: 2, actual: 1)) {
      try model.evaluate(X: X, y: [0], W: W)
    }
    #expect(throws: SoftmaxClassifierError.noExamples) {
      try model.evaluate(X: Matrix(rows: 0, cols: 3), y: [], W: W)
    }
    do {
      _ = try model.evaluate(X: X, y: [0, 1], W: Matrix(rows: 5, cols: 4))
      Issue.record("X 2×3 with W 5×4 was accepted")
    } catch {
      #expect(error.description == "scores S = XW needs X columns == W rows, got 2×3 and 5×4")
    }
    do {
      _ = try model.evaluate(X: X, y: [0, 1], W: W, b: Matrix(rows: 4, cols: 1))
      Issue.record("a 4×1 bias was accepted")
    } catch {
      #expect(error.description == "bias of S = XW + 1b needs b of shape 1×C for W of shape D×C, got 3×4 and 4×1")
    }
    #expect(SoftmaxClassifierError.labelOutOfRange(example: 1, label: 4, classes: 4).description
            == "label 4 of example 1 is outside the classes 0..<4")
    #expect(SoftmaxClassifierError.labelCount(expected: 2, actual: 1).description
            == "the classifier needs one label per example: 2 examples, got 1 labels")
  }
}
