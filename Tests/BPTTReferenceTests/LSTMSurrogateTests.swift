import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct LSTMSurrogateTests {
  /// The library's surrogate objective is the reference's truncated objective, at θ0 and at a
  /// perturbed θ′ (with the cut states still those of θ0), in every option set.
  @Test(arguments: lstmSumCases)
  func surrogateIsTheTruncatedObjective(option: LSTMOptionCase, seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let options = option.options
    let p0 = c.parameters
    var rng = SplitMix64(seed: seed ^ 0xA5A5)
    let p1 = LSTMParameters(flat: p0.flattened.map { $0 + rng.uniform(-0.05, 0.05) }, like: p0)
    for p in [p0, p1] {
      let library = LSTM.surrogateLoss(p, cutStatesFrom: p0, tokens: c.tokens, options: options)
      let reference = GateReference.lstmObjective(at: p.flattened, cutStatesFrom: p0.flattened, options, tokens: c.tokens)
      expectClose(library, reference, within: 1e-13, "S(θ′), \(options), seed \(seed)")
    }
    // The mean's surrogate is the sum's divided by T.
    var mean = options
    mean.reduction = .mean
    expectClose(LSTM.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: mean),
                LSTM.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: options) / Double(c.steps), within: 1e-15, "mean S")
    // At θ0 the surrogate is J; for full BPTT it is J everywhere.
    #expect(LSTM.surrogateLoss(p0, cutStatesFrom: p0, tokens: c.tokens, options: options) == LSTM.loss(p0, tokens: c.tokens, options: options))
    if options.truncation.isFull(forSteps: c.steps) {
      #expect(LSTM.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: options) == LSTM.loss(p1, tokens: c.tokens, options: options))
    } else {
      let moved = LSTM.surrogateLoss(p1, cutStatesFrom: p0, tokens: c.tokens, options: options)
      #expect(moved != LSTM.loss(p1, tokens: c.tokens, options: options), "the cut states stay those of θ0")
    }
  }

  /// What a grader does: central differences (in Double) of the library's surrogate give the
  /// truncated gradient.
  @Test(arguments: randomSeeds)
  func numericGradientOfTheSurrogateIsTheTruncatedGradient(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    for tr in [Truncation.window(2), .chunks(3)] {
      let options = LSTMOptions(gateOrder: .ifgo, reduction: .sum, truncation: tr)
      let p0 = c.parameters
      let cut = LSTM.forward(p0, tokens: c.tokens, options: options)
      let numeric = NumericGradient.gradients(of: { m in
        LSTM.surrogateLoss(LSTMParameters(E: m[0], W_x: m[1], W_h: m[2], b: m[3], U: m[4], b_2: m[5], h0: m[6], c0: m[7]),
                           cutStates: cut, tokens: c.tokens, options: options)
      }, at: p0.named.map(\.value))
      let analytic = LSTM.gradients(p0, tokens: c.tokens, options: options)
      expectAgree(analytic.named, renamed(analytic.named, numeric), within: centralDifferenceTolerance, "\(tr), seed \(seed)")
    }
  }
}
