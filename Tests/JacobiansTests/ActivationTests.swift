import Testing
import _Differentiation
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Differentiable mirror (shared by the other test files of this target)

/// `f(z)` written for `_Differentiation`, independently of `Activation`'s implementation.
@differentiable(reverse, wrt: z)
func activationMirror(_ z: Double, _ f: Activation) -> Double {
  switch f {
  case .sigmoid:
    return 1 / (1 + exp(-z))
  case .tanh:
    return tanh(z)
  case .hardTanh:
    if z < -1 { return -1 }
    if z > 1 { return 1 }
    return z
  case .relu:
    if z > 0 { return z }
    return 0
  case .leakyReLU(let a):
    if z > 0 { return z }
    return a * z
  case .swish:
    return z / (1 + exp(-z))
  }
}

// MARK: - Tests

@Suite struct ActivationTests {
  static let cases: [(Activation, UInt64)] = allActivations.flatMap { f in randomSeeds.map { (f, $0) } }

  @Test(arguments: cases)
  func derivativeMatchesCentralDifferencesAwayFromKinks(f: Activation, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let z = Matrix(column: (0..<12).map { _ in drawAwayFromKinks(&rng, f, -6, 6) })
    let analytic = f.derivative(z)
    let numeric = Matrix(column: z.scalars.map { zi in NumericGradient.derivative(of: { f($0) }, at: zi) })
    expectAgree(analytic, numeric, within: centralDifferenceTolerance, "\(f)′ vs central differences")
  }

  @Test(arguments: cases)
  func derivativeMatchesAutodiff(f: Activation, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let z = (0..<12).map { _ in rng.uniform(-6, 6) }
    let analytic = Matrix(column: z.map { f.derivative($0) })
    let auto = Matrix(column: z.map { zi in gradient(at: zi) { activationMirror($0, f) } })
    expectAgree(analytic, auto, within: exactTolerance, "\(f)′ vs autodiff")
    // The values agree too, so the mirror is the same function.
    let values = Matrix(column: z.map { f($0) })
    let mirrorValues = Matrix(column: z.map { activationMirror($0, f) })
    expectAgree(values, mirrorValues, within: exactTolerance, "\(f) vs its mirror")
  }

  @Test(arguments: allActivations)
  func matrixFormsActEntryByEntry(f: Activation) {
    var rng = SplitMix64(seed: randomSeeds[0])
    let z = rng.matrix(3, 4, -3, 3)
    #expect(f(z).shape == z.shape)
    #expect(f.derivative(z).shape == z.shape)
    for k in 0..<z.count {
      #expect(f(z).scalars[k] == f(z.scalars[k]))
      #expect(f.derivative(z).scalars[k] == f.derivative(z.scalars[k]))
    }
  }

  /// The documented kink values: relu′(0) = 0, hardTanh′(±1) = 1, leakyReLU′(0) = a.
  @Test func documentedKinkValues() {
    #expect(Activation.relu.derivative(0) == 0)
    #expect(Activation.relu(0) == 0)
    #expect(Activation.hardTanh.derivative(-1) == 1)
    #expect(Activation.hardTanh.derivative(1) == 1)
    #expect(Activation.hardTanh(-1) == -1)
    #expect(Activation.hardTanh(1) == 1)
    #expect(Activation.leakyReLU(slope: 0.01).derivative(0) == 0.01)
    #expect(Activation.leakyReLU(slope: 0.2).derivative(0) == 0.2)
    // Just outside the kinks the one-sided values hold.
    #expect(Activation.hardTanh.derivative(1.0.nextUp) == 0)
    #expect(Activation.hardTanh.derivative((-1.0).nextDown) == 0)
    #expect(Activation.relu.derivative(Double.leastNonzeroMagnitude) == 1)
    // Each kink value lies between the one-sided derivatives (a valid subgradient).
    for f in allActivations {
      for k in kinks(of: f) {
        let left = f.derivative(k - 1e-9), right = f.derivative(k + 1e-9), at = f.derivative(k)
        #expect(Swift.min(left, right) <= at && at <= Swift.max(left, right), "\(f) at \(k)")
      }
    }
  }

  /// σ(0) = ½, σ′(0) = ¼; tanh′(0) = 1; swish′(0) = ½ (from σ(0) + 0·σ′(0)); and σ stays finite
  /// and in [0, 1] far out, where the naive 1/(1 + e^(−z)) would overflow e^(−z).
  @Test func closedFormValuesAndStability() {
    #expect(Activation.sigmoid(0) == 0.5)
    #expect(Activation.sigmoid.derivative(0) == 0.25)
    #expect(Activation.tanh.derivative(0) == 1)
    #expect(Activation.swish.derivative(0) == 0.5)
    for z in [-1000.0, -745, 745, 1000] {
      let s = Activation.logistic(z)
      #expect(s.isFinite && s >= 0 && s <= 1, "σ(\(z)) = \(s)")
      #expect(Activation.sigmoid.derivative(z).isFinite)
    }
  }

  @Test func namesRoundTrip() {
    for f in allActivations {
      #expect(Activation(name: f.description) == f)
    }
    #expect(Activation(name: "leakyrelu") == .leakyReLU(slope: 0.01))
    #expect(Activation(name: "SiLU") == .swish)
    #expect(Activation(name: "softplus") == nil)
  }
}
