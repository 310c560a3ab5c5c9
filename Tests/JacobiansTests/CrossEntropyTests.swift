import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `CE(y, softmax(θ)) = log Σ exp(θ) − θ_label` for `_Differentiation`.
@differentiable(reverse, wrt: theta)
func crossEntropyMirror(_ theta: [Double], label: Int) -> Double {
  var m = theta[0]
  for i in withoutDerivative(at: 1..<theta.count) where theta[i] > m { m = theta[i] }
  var Z = 0.0
  for i in withoutDerivative(at: 0..<theta.count) { Z = Z + exp(theta[i] - m) }
  return log(Z) + m - theta[label]
}

@Suite struct CrossEntropyTests {
  static func randomCase(_ seed: UInt64) -> (theta: Matrix, label: Int) {
    var rng = SplitMix64(seed: seed)
    let C = 2 + rng.int(below: 8)
    return (rng.normalMatrix(C, 1, standardDeviation: 2), rng.int(below: C))
  }

  @Test(arguments: randomSeeds)
  func lossFromScoresEqualsMinusLogProbability(seed: UInt64) {
    let (theta, label) = Self.randomCase(seed)
    let fromScores = CrossEntropy.loss(scores: theta, label: label)
    let fromProbabilities = CrossEntropy.loss(probabilities: softmax(theta), label: label)
    expectAgree(fromScores, fromProbabilities, within: exactTolerance, "CE from scores vs −log ŷ_label")
    // H(p, q) = −Σ p log q with one-hot p.
    let y = CrossEntropy.oneHot(label, classes: theta.count)
    let H = -zip(y.scalars, softmax(theta).scalars).reduce(0) { $0 + $1.0 * log($1.1) }
    expectAgree(fromScores, H, within: exactTolerance, "CE vs H(y, ŷ)")
    #expect(fromScores > 0)
  }

  @Test(arguments: randomSeeds)
  func gradientIsYHatMinusYByCentralDifferences(seed: UInt64) {
    let (theta, label) = Self.randomCase(seed)
    let analytic = CrossEntropy.gradientWithRespectToScores(theta, label: label)
    let numeric = NumericGradient.gradient(of: { CrossEntropy.loss(scores: $0, label: label) }, at: theta)
    expectAgree(analytic, numeric, within: centralDifferenceTolerance, "ŷ − y vs central differences")
    expectAgree(analytic, softmax(theta) - CrossEntropy.oneHot(label, classes: theta.count), within: 0, "ŷ − y")
  }

  @Test(arguments: randomSeeds)
  func gradientMatchesAutodiff(seed: UInt64) {
    let (theta, label) = Self.randomCase(seed)
    let analytic = CrossEntropy.gradientWithRespectToScores(theta, label: label)
    let auto = autodiffGradient(of: { crossEntropyMirror($0, label: label) }, at: theta.scalars)
    expectAgree(analytic, Matrix(column: auto), within: exactTolerance, "ŷ − y vs autodiff")
    expectAgree(CrossEntropy.loss(scores: theta, label: label), crossEntropyMirror(theta.scalars, label: label),
                within: exactTolerance, "CE vs mirror")
  }

  /// −(y ⊘ ŷ)ᵀ (diag(ŷ) − ŷŷᵀ) = (ŷ − y)ᵀ: the explicit chain and the shortcut agree.
  @Test(arguments: randomSeeds)
  func explicitChainEqualsShortcut(seed: UInt64) {
    let (theta, label) = Self.randomCase(seed)
    let chain = CrossEntropy.explicitChain(theta, label: label)
    let C = theta.count
    #expect(chain.dCE_dyHat.shape == Shape(1, C))
    #expect(chain.dyHat_dtheta.shape == Shape(C, C))
    #expect(chain.dCE_dtheta.shape == Shape(1, C))
    expectAgree(chain.dCE_dtheta, CrossEntropy.gradientWithRespectToScores(theta, label: label).T,
                within: exactTolerance, "explicit chain vs ŷ − y")
    // ∂CE/∂ŷ by central differences of −log ŷ_label. −log p varies on the scale of p itself
    // (its third derivative is −2/p³), so the step is taken relative to p = ŷ_label: the
    // truncation error is then (h/p)²/3 ≈ 1.2e-11 whatever p is.
    let step = NumericGradient.Step.fixed(NumericGradient.cubeRootEpsilon * chain.yHat.scalars[label])
    let numeric = NumericGradient.gradient(of: { CrossEntropy.loss(probabilities: $0, label: label) }, at: chain.yHat, step: step)
    expectAgree(chain.dCE_dyHat, numeric.T, within: centralDifferenceTolerance, "∂CE/∂ŷ vs central differences")
  }

  /// The array form is the matrix form, bit for bit, and the mirror's value; NaN stays NaN.
  @Test(arguments: randomSeeds)
  func lossOfAnArrayIsTheLossOfItsMatrix(seed: UInt64) {
    let (theta, label) = Self.randomCase(seed)
    #expect(CrossEntropy.loss(scores: theta.scalars, label: label) == CrossEntropy.loss(scores: theta, label: label))
    expectAgree(CrossEntropy.loss(scores: theta.scalars, label: label), crossEntropyMirror(theta.scalars, label: label),
                within: exactTolerance, "CE of an array vs mirror")
    var poisoned = theta.scalars
    poisoned[(label + 1) % poisoned.count] = .nan
    #expect(CrossEntropy.loss(scores: poisoned, label: label).isNaN)
  }

  @Test func oneHotAndStability() {
    #expect(CrossEntropy.oneHot(2, classes: 4).scalars == [0, 0, 1, 0])
    #expect(CrossEntropy.oneHot(2, classes: 4).shape == Shape(4, 1))
    // Scores far beyond exp's range: CE stays finite; the label holds the largest score by 1000,
    // so CE = log(1 + e^(−1000)) rounds to 0, and the gradient to ŷ − y = 0.
    let theta = Matrix(column: [1e4, 1e4 + 1000, 1e4 - 5])
    #expect(CrossEntropy.loss(scores: theta, label: 1) == 0)
    #expect(CrossEntropy.gradientWithRespectToScores(theta, label: 1).maxAbs == 0)
    // Wrong by 1000: CE = 1000 + log(1 + e^(−1000) + e^(−1005)), which rounds to 1000.
    #expect(CrossEntropy.loss(scores: theta, label: 0) == 1000)
  }
}
