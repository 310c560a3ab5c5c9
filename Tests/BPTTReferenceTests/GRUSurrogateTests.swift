import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct GRUSurrogateTests {
  /// The library's surrogate objective is the reference's truncated objective, at θ0 and at a
  /// perturbed θ′ (the cut states still those of θ0), in every option set.
  @Test(arguments: gruSumCases)
  func surrogateIsTheTruncatedObjective(option: GRUOptionCase, seed: UInt64) {
    let c = GRUCase(seed: seed)
    let options = option.options
    let p0 = c.parameters
    var rng = SplitMix64(seed: seed ^ 0x5A5A)
    let p1 = GRUParameters(flat: p0.flattened.map { $0 + rng.uniform(-0.05, 0.05) }, like: p0)
    for p in [p0, p1] {
      let library = GRU.surrogateLoss(p, cutStatesFrom: p0, tokens: c.tokens, options: options)
      let reference = GateReference.gruObjective(at: p.flattened, cutStatesFrom: p0.flattened, options, tokens: c.tokens)
      expectClose(library, reference, within: 1e-13, "S(θ′), \(options), seed \(seed)")
    }
    // The mean's surrogate is the sum's divided by T.
    var mean = options
    mean.reduction = .mean
    expectClose(GRU.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: mean),
                GRU.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: options) / Double(c.steps), within: 1e-15, "mean S")
    #expect(GRU.surrogateLoss(p0, cutStatesFrom: p0, tokens: c.tokens, options: options) == GRU.loss(p0, tokens: c.tokens, options: options))
    let moved = GRU.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: options)
    if options.truncation.isFull(forSteps: c.steps) {
      #expect(moved == GRU.loss(p1, tokens: c.tokens, options: options))
    } else {
      #expect(moved != GRU.loss(p1, tokens: c.tokens, options: options), "the cut states stay those of θ0")
    }
  }

  /// Central differences (in Double) of the library's surrogate give the truncated gradient.
  @Test(arguments: randomSeeds)
  func numericGradientOfTheSurrogateIsTheTruncatedGradient(seed: UInt64) {
    let c = GRUCase(seed: seed)
    for (variant, tr) in zip(gruVariants, [Truncation.window(2), .chunks(3), .window(1), .chunks(2)]) {
      var options = variant
      options.truncation = tr
      let p0 = c.parameters
      let cut = GRU.forward(p0, tokens: c.tokens, options: options)
      let numeric = NumericGradient.gradients(of: { m in
        GRU.surrogateLoss(GRUParameters(E: m[0], W_x: m[1], W_h: m[2], b_x: m[3], b_h: m[4], U: m[5], b_2: m[6], h0: m[7]),
                          cutStates: cut, tokens: c.tokens, options: options)
      }, at: p0.named.map(\.value))
      let analytic = GRU.gradients(p0, tokens: c.tokens, options: options)
      expectAgree(analytic.named, renamed(analytic.named, numeric), within: centralDifferenceTolerance, "\(options), seed \(seed)")
    }
  }
}
