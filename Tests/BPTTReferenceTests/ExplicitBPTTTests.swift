import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct ExplicitBPTTTests {
  static let cases: [(OptionCase, UInt64)] = optionTable.flatMap { o in randomSeeds.map { (o, $0) } }

  /// The explicit path (Jacobian products, per-timestep terms) equals the fast path (δ recursion,
  /// batched output layer) in every option combination, clipping included.
  @Test(arguments: cases)
  func explicitPathEqualsFastPath(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    var options = option.options
    let fast = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    let explicit = ExplicitBPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    expectAgree(explicit.named, fast.named, within: pathTolerance, "\(options), seed \(seed)")
    options.clipping = .globalNorm(0.1)
    let clippedFast = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    let clippedExplicit = ExplicitBPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    expectAgree(clippedExplicit.named, clippedFast.named, within: pathTolerance, "clipped, \(options), seed \(seed)")
  }

  /// Note 000: ∂J^(t)/∂W_h = Σ_{i=1}^{t} ∂J^(t)/∂W_h|_(i), for every t and every truncation.
  @Test(arguments: cases)
  func recurrentWeightTermsSumToTheStepGradient(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let options = option.options
    for t in 1...c.steps {
      let terms = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: options, t: t)
      #expect(terms.count == t && terms.allSatisfy { $0.shape == Shape(hiddenSize, hiddenSize) })
      var sum = Matrix(rows: hiddenSize, cols: hiddenSize)
      for term in terms { sum += term }
      let whole = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: options, t: t).dW_h
      expectAgree(sum, whole, within: pathTolerance, "Σᵢ ∂J^(\(t))/∂W_h|_(i), \(options)")
      // Dropped terms are exactly zero, kept ones are not.
      let first = options.truncation.firstKeptStep(for: t)
      for i in 1...t where i < first { #expect(terms[i - 1].maxAbs == 0, "term \(i) of J^(\(t)) under \(options.truncation)") }
    }
  }

  /// Each boxed term ∂J^(t)/∂W_h|_(i) is the derivative with respect to the copy of W_h used at
  /// step i alone: central differences of J^(t) with that copy replaced (the reference, whose
  /// values `BPTT.stepLoss` reproduces).
  @Test(arguments: randomSeeds)
  func eachTermIsTheDerivativeWithRespectToOneCopy(seed: UInt64) {
    let c = SeededCase(seed: seed)
    for f in tableActivations {
      let options = RNNOptions(activation: f)
      let t = c.steps
      let L = MirrorLayout.column(options)
      let theta = c.parameters.flattened.map { Wide($0) }
      let h0 = (0..<hiddenSize).map { theta[L.initialState($0)] }
      let terms = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: options, t: t)
      for i in 1...t {
        let numeric = TruncatedObjective.gradient(at: c.parameters.W_h.scalars) { W in
          TruncatedObjective.stepLoss(theta, L, tokens: c.tokens, from: 0, state: h0, t: t, weightAt: (i, W))
        }
        expectAgree(terms[i - 1], Matrix(rows: hiddenSize, cols: hiddenSize, scalars: numeric), within: centralDifferenceTolerance,
                    "∂J^(\(t))/∂W_h|_(\(i)), \(f), seed \(seed)")
        // BPTT.stepLoss is the same function: equal values at a changed copy.
        let W = c.parameters.W_h.map { $0 * 0.7 + 0.05 }
        let value = TruncatedObjective.stepLoss(theta, L, tokens: c.tokens, from: 0, state: h0, t: t, weightAt: (i, W.scalars.map { Wide($0) }))
        expectClose(BPTT.stepLoss(c.parameters, tokens: c.tokens, options: options, t: t, recurrentWeightAtStep: i, W), Double(value),
                    within: 1e-13, "stepLoss with W_h|_(\(i)) replaced")
      }
      // A copy used after step t does not enter J^(t).
      if t > 1 {
        let later = numericGradient(c.parameters.W_h) { W in
          BPTT.stepLoss(c.parameters, tokens: c.tokens, options: options, t: t - 1, recurrentWeightAtStep: t, W)
        }
        #expect(later.maxAbs == 0)
      }
    }
  }

  /// A window of 1 keeps only the i = t term, equal to the full path's i = t term.
  @Test(arguments: randomSeeds)
  func windowOfOneKeepsOnlyTheLastTerm(seed: UInt64) {
    let c = SeededCase(seed: seed)
    for t in 1...c.steps {
      let full = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: RNNOptions(), t: t)
      let one = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: RNNOptions(truncation: .window(1)), t: t)
      for i in 1..<t { #expect(one[i - 1].maxAbs == 0) }
      #expect(one[t - 1] == full[t - 1])
      #expect(one[t - 1].maxAbs > 0)
    }
  }

  /// ∂J^(t)/∂h^(i) by the chain of Jacobians against central differences of J^(t) as a function
  /// of a replaced h^(i); the norms table is their norms by distance.
  @Test(arguments: randomSeeds)
  func hiddenGradientsMatchCentralDifferences(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let options = RNNOptions(activation: .tanh)
    let t = c.steps
    let fp = BPTT.forward(c.parameters, tokens: c.tokens, options: options)
    let rows = ExplicitBPTT.hiddenGradients(c.parameters, tokens: c.tokens, options: options, t: t)
    let norms = ExplicitBPTT.hiddenGradientNorms(c.parameters, tokens: c.tokens, options: options, t: t)
    #expect(rows.count == t + 1 && norms.byDistance.count == t + 1)
    let L = MirrorLayout.column(options)
    let theta = c.parameters.flattened.map { Wide($0) }
    let h0 = (0..<hiddenSize).map { theta[L.initialState($0)] }
    for k in 0...t {
      let i = t - k
      let numeric = Matrix(column: TruncatedObjective.gradient(at: fp.h[i].scalars) { h in
        TruncatedObjective.stepLoss(theta, L, tokens: c.tokens, from: 0, state: h0, t: t, stateAt: (i, h))
      })
      let moved = fp.h[i].map { $0 + 0.1 }
      let value = TruncatedObjective.stepLoss(theta, L, tokens: c.tokens, from: 0, state: h0, t: t, stateAt: (i, moved.scalars.map { Wide($0) }))
      expectClose(BPTT.stepLoss(c.parameters, tokens: c.tokens, options: options, t: t, hiddenStateAtStep: i, moved), Double(value),
                  within: 1e-13, "stepLoss with h^(\(i)) replaced")
      expectAgree(rows[k], numeric.T, within: centralDifferenceTolerance, "∂J^(\(t))/∂h^(\(i))")
      expectClose(norms.byDistance[k], numeric.frobeniusNorm, within: centralDifferenceTolerance, "norm at distance \(k)")
    }
    // h^(0) is the parameter h0: its row is the full-BPTT gradient of J^(t).
    let g = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: options, t: t)
    expectAgree(rows[t], g.dh0.T, within: pathTolerance, "∂J^(t)/∂h^(0) = dh0 of J^(t)")
  }

  /// Vanishing: σ′ ≤ 1/4 and a small W_h make every Jacobian contract, so the norm falls at
  /// every step back. Exploding: ReLU in its linear region with W_h = 1.5 I multiplies the
  /// norm by exactly 1.5 per step.
  @Test func vanishingAndExplodingGradients() {
    let V = 5, d = 2, H = 3
    var rng = SplitMix64(seed: 42)
    var p = RNNParameters.random(vocabularySize: V, embeddingSize: d, hiddenSize: H, using: &rng)
    let tokens = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0]
    p.W_h = 0.5 * p.W_h
    let vanishing = ExplicitBPTT.hiddenGradientNormTable(p, tokens: tokens, options: RNNOptions(activation: .sigmoid))
    #expect(vanishing.rows.count == 10 && vanishing.maximumDistance == 10)
    for row in vanishing.rows {
      for k in 1..<row.byDistance.count { #expect(row.byDistance[k] < row.byDistance[k - 1]) }
    }
    #expect(vanishing.norms(atDistance: 10).count == 1)
    #expect(ExplicitBPTT.hiddenGradientNorms(p, tokens: tokens, options: RNNOptions(activation: .sigmoid)) == vanishing)
    #expect(vanishing.rows[4] == ExplicitBPTT.hiddenGradientNorms(p, tokens: tokens, options: RNNOptions(activation: .sigmoid), t: 5))
    #expect(vanishing.text.split(separator: "\n").count == 12)

    var q = p
    q.W_h = 1.5 * Matrix.identity(H)
    q.E = q.E.map { abs($0) + 0.1 }
    q.W_e = q.W_e.map { abs($0) }
    q.b_1 = q.b_1.map { abs($0) }
    q.h0 = q.h0.map { abs($0) + 0.1 }
    let exploding = ExplicitBPTT.hiddenGradientNorms(q, tokens: tokens, options: RNNOptions(activation: .relu), t: 10)
    for k in 1...10 {
      expectClose(exploding.byDistance[k], 1.5 * exploding.byDistance[k - 1], within: 1e-13, "growth at distance \(k)")
    }
  }
}
