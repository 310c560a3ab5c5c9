import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `softmax(θ)` for `_Differentiation`: the stable form, with the maximum left differentiable
/// (its contributions cancel, since softmax is shift invariant).
@differentiable(reverse)
func softmaxMirror(_ theta: [Double]) -> [Double] {
  var m = theta[0]
  for i in withoutDerivative(at: 1..<theta.count) where theta[i] > m { m = theta[i] }
  var e: [Double] = []
  var Z = 0.0
  for i in withoutDerivative(at: 0..<theta.count) {
    let ei = exp(theta[i] - m)
    e = e + [ei]
    Z = Z + ei
  }
  var out: [Double] = []
  for i in withoutDerivative(at: 0..<theta.count) { out = out + [e[i] / Z] }
  return out
}

@Suite struct SoftmaxTests {
  @Test(arguments: randomSeeds)
  func probabilitiesArePositiveAndSumToOne(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let C = 2 + rng.int(below: 9)
    let theta = rng.normalMatrix(C, 1, standardDeviation: 5)
    let yHat = softmax(theta)
    #expect(yHat.shape == theta.shape)
    #expect(yHat.scalars.allSatisfy { $0 > 0 && $0 <= 1 })
    let total = yHat.sum()
    #expect(Swift.abs(total - 1) <= 1e-15 * Double(C), "Σ ŷ = \(total)")
    // A row vector keeps its orientation.
    #expect(softmax(theta.T).shape == Shape(1, C))
    #expect(softmax(theta.T).scalars == yHat.scalars)
  }

  @Test(arguments: randomSeeds)
  func matchesTheNaiveFormulaAndTheMirror(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let theta = rng.matrix(7, 1, -3, 3)
    let naiveExp = theta.scalars.map { exp($0) }
    let Z = naiveExp.reduce(0, +)
    let naive = Matrix(column: naiveExp.map { $0 / Z })
    expectAgree(softmax(theta), naive, within: exactTolerance, "stable vs naive softmax")
    expectAgree(softmax(theta), Matrix(column: softmaxMirror(theta.scalars)), within: exactTolerance, "softmax vs mirror")
  }

  /// softmax(θ + c·1) = softmax(θ); with c = 1000 the naive form would overflow exp.
  @Test(arguments: randomSeeds)
  func shiftInvariantAndStableForLargeScores(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let theta = rng.matrix(5, 1, -2, 2)
    for c in [-1000.0, 1000, 1e6] {
      let shifted = softmax(theta.map { $0 + c })
      #expect(shifted.isFinite)
      // θ + c is rounded to a multiple of ulp(c), so the result moves by about ulp(c).
      expectAgree(shifted, softmax(theta), within: 1e-9, "softmax(θ + \(c))")
    }
    let lse = Softmax.logSumExp(theta.scalars)
    let naive = log(theta.scalars.map { exp($0) }.reduce(0, +))
    expectAgree(lse, naive, within: exactTolerance, "log-sum-exp")
    expectAgree(Softmax.logSumExp(theta.scalars.map { $0 + 1000 }), lse + 1000, within: exactTolerance, "log-sum-exp shifted")
  }

  @Test(arguments: randomSeeds)
  func logProbabilitiesAndRowwise(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let theta = rng.matrix(6, 1, -4, 4)
    expectAgree(Softmax.logProbabilities(theta), softmax(theta).map { log($0) }, within: exactTolerance, "log-softmax")
    let S = rng.matrix(4, 6, -4, 4)
    let P = Softmax.rowwise(S)
    #expect(P.shape == S.shape)
    for i in 0..<S.rows {
      #expect(P.row(i).scalars == softmax(S.row(i)).scalars)
    }
  }

  @Test func edgeCases() {
    // One class: probability 1.
    #expect(softmax(Matrix(column: [3.5])).scalars == [1])
    // Equal scores: uniform.
    #expect(softmax(Matrix(column: [2, 2, 2, 2])).scalars == [0.25, 0.25, 0.25, 0.25])
    // A NaN score poisons every probability, so no comparison can pass.
    #expect(softmax(Matrix(column: [1, .nan, 0])).scalars.allSatisfy { $0.isNaN })
    // −∞ scores get probability 0.
    #expect(softmax(Matrix(column: [0, -.infinity])).scalars == [1, 0])
  }
}
