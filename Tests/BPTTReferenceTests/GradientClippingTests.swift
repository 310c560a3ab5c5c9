import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct GradientClippingTests {
  /// Clipping is applied after the gradient: clipped = clip(unclipped).
  @Test(arguments: randomSeeds)
  func clippingIsAppliedAfterTheGradient(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let raw = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: .tanh))
    let norm = raw.globalNorm
    // The global norm is over all seven gradients.
    let squares = raw.named.map { $0.value.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +)
    expectClose(norm, squares.squareRoot(), within: 1e-14, "global norm")

    // By global norm, below the norm: every gradient scaled by c/‖g‖, the new norm is c.
    let threshold = norm / 3
    let byNorm = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: .tanh, clipping: .globalNorm(threshold)))
    #expect(byNorm == raw.clipped(.globalNorm(threshold)))
    expectClose(byNorm.globalNorm, threshold, within: 1e-14, "clipped norm")
    for (a, b) in zip(byNorm.named, raw.named) { expectAgree(a.value, (threshold / norm) * b.value, within: 1e-15, a.name) }
    // Above the norm: unchanged.
    let loose = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: .tanh, clipping: .globalNorm(2 * norm)))
    #expect(loose == raw)

    // By value: every entry clamped.
    let cap = raw.dU.maxAbs / 2
    let byValue = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: .tanh, clipping: .value(cap)))
    for (a, b) in zip(byValue.named, raw.named) {
      #expect(a.value == b.value.map { Swift.min(Swift.max($0, -cap), cap) }, "\(a.name)")
      #expect(a.value.maxAbs <= cap)
    }
    #expect(byValue.dU.maxAbs == cap)
  }

  @Test func clippingOffByDefault() {
    #expect(RNNOptions().clipping == .none)
    let c = SeededCase(seed: 5)
    let g = BPTT.gradients(c.parameters, tokens: c.tokens)
    #expect(g.clipped(.none) == g)
  }

  @Test func edgeCases() {
    #expect(GradientClipping.rule(.globalNorm(1), norm: .nan) == .keep)
    #expect(GradientClipping.rule(.globalNorm(1), norm: .infinity) == .keep)
    #expect(GradientClipping.rule(.globalNorm(1), norm: 4) == .scale(0.25))
    #expect(GradientClipping.rule(.globalNorm(1), norm: 1) == .keep)
    #expect(GradientClipping.globalNorm([Matrix([[3]]), Matrix([[4, 0]])]) == 5)
    #expect(GradientClipping.globalNorm([Matrix([[1e300, 1e300]])]) == 1e300 * 2.0.squareRoot())
    #expect(GradientClipping.globalNorm([Matrix([[.nan]])]).isNaN)
    #expect(GradientClipping.clamp(Matrix([[-3, 0.5, 7]]), 1) == Matrix([[-1, 0.5, 1]]))
    #expect(throws: RNNInputError.invalidClippingThreshold(0)) {
      let c = SeededCase(seed: 1)
      try BPTT.validate(c.parameters, tokens: c.tokens, options: RNNOptions(clipping: .value(0)))
    }
  }
}
