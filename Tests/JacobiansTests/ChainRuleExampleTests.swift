import Testing
import _Differentiation
import Jacobians
import TestSupport

/// z(t) = x²y − y² with x = t², y = 2t, for `_Differentiation`.
@differentiable(reverse)
func chainRuleMirror(_ t: Double) -> Double {
  let x = t * t
  let y = 2 * t
  return x * x * y - y * y
}

@Suite struct ChainRuleExampleTests {
  /// The closed form 10t⁴ − 8t; its two terms can cancel (at t³ = 0.8), so the comparison is
  /// relative to the size of the terms, 10t⁴ + 8|t|, rather than to their difference.
  static func closedFormError(_ value: Double, _ t: Double) -> Double {
    let closed = 10 * t * t * t * t - 8 * t
    let scale = Swift.max(10 * t * t * t * t + 8 * Swift.abs(t), Double.leastNormalMagnitude)
    return Swift.abs(value - closed) / scale
  }

  static let ts: [Double] = randomSeeds.map { seed in
    var rng = SplitMix64(seed: seed)
    return rng.uniform(-2, 2)
  }

  @Test(arguments: ts)
  func chainRuleMatchesTheClosedForm(t: Double) {
    let p = ChainRuleExample.evaluate(t: t)
    let err = Self.closedFormError(p.dz_dt, t)
    #expect(err <= exactTolerance, "dz/dt = \(p.dz_dt) at t = \(t), error \(err)")
    // The pieces are the local derivatives of the slide.
    #expect(p.x == t * t && p.y == 2 * t)
    #expect(p.dz_dx == 2 * p.x * p.y)
    #expect(p.dz_dy == p.x * p.x - 2 * p.y)
    #expect(p.dx_dt == 2 * t && p.dy_dt == 2)
    #expect(p.dz_dt == p.dz_dx * p.dx_dt + p.dz_dy * p.dy_dt)
  }

  @Test(arguments: ts)
  func chainRuleMatchesCentralDifferencesAndAutodiff(t: Double) {
    let p = ChainRuleExample.evaluate(t: t)
    let numeric = NumericGradient.derivative(of: { ChainRuleExample.evaluate(t: $0).z }, at: t)
    #expect(Self.closedFormError(numeric, t) <= centralDifferenceTolerance)
    expectAgree(p.dz_dt, numeric, within: centralDifferenceTolerance, "dz/dt vs central differences")
    let auto = gradient(at: t, of: chainRuleMirror)
    #expect(Self.closedFormError(auto, t) <= exactTolerance)
    expectAgree(p.dz_dt, auto, within: exactTolerance, "dz/dt vs autodiff")
    #expect(p.z == chainRuleMirror(t))
  }

  /// At t = 1: x = 1, y = 2, z = 1·2 − 4 = −2, ∂z/∂x = 4, ∂z/∂y = 1 − 4 = −3, so
  /// dz/dt = 4·2 + (−3)·2 = 2 = 10 − 8. At t = 0 every term vanishes.
  @Test func handWorkedPoints() {
    let p = ChainRuleExample.evaluate(t: 1)
    #expect(p.x == 1 && p.y == 2 && p.z == -2)
    #expect(p.dz_dx == 4 && p.dx_dt == 2 && p.dz_dy == -3 && p.dy_dt == 2)
    #expect(p.dz_dt == 2)
    #expect(ChainRuleExample.evaluate(t: 0).dz_dt == 0)
  }
}
