import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The library's truncated surrogate J̃ (`BPTT.truncatedSurrogateLoss`): it is the loss at the
/// frozen point, the test's independent objective everywhere, and its central differences are
/// the truncated gradient — which those of J are not.
@Suite struct TruncatedSurrogateTests {
  static let cases: [(OptionCase, UInt64)] = optionTable.flatMap { o in randomSeeds.map { (o, $0) } }
  /// The truncations that cut something at T = 4…6, and k ≥ T, which cuts nothing.
  static let cutting: [Truncation] = [.window(1), .window(3), .chunks(2), .chunks(3)]

  /// Every parameter matrix of `p` with a way to put it back.
  static let parameters: [(String, WritableKeyPath<RNNParameters, Matrix>, KeyPath<RNNGradients, Matrix>)] = [
    ("E", \.E, \.dE), ("W_h", \.W_h, \.dW_h), ("W_e", \.W_e, \.dW_e), ("b_1", \.b_1, \.db_1),
    ("U", \.U, \.dU), ("b_2", \.b_2, \.db_2), ("h0", \.h0, \.dh0),
  ]

  @Test("at the frozen point the surrogate is the loss", arguments: cases)
  func surrogateIsTheLossAtTheFrozenPoint(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = option.options
    let frozen = BPTT.frozenStates(c.parameters, tokens: c.tokens, options: o)
    expectClose(BPTT.truncatedSurrogateLoss(c.parameters, tokens: c.tokens, options: o, frozen: frozen),
                BPTT.loss(c.parameters, tokens: c.tokens, options: o), within: 1e-13, "\(o), seed \(seed)")
  }

  @Test("away from the frozen point it agrees with the independent objective (extended precision)", arguments: cases)
  func surrogateMatchesTheIndependentObjective(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = option.options
    let frozen = BPTT.frozenStates(c.parameters, tokens: c.tokens, options: o)
    // Move every parameter, the frozen states staying those of the unmoved model.
    var rng = SplitMix64(seed: seed ^ 0x5eed)
    var q = c.parameters
    for (_, path, _) in Self.parameters { q[keyPath: path] = q[keyPath: path].map { $0 + rng.uniform(-0.1, 0.1) } }
    let L = MirrorLayout.column(o)
    let independent = TruncatedObjective.value(
      q.flattened.map { Wide($0) }, L, tokens: c.tokens, truncation: o.truncation,
      frozen: TruncatedObjective.states(c.parameters.flattened.map { Wide($0) }, L, tokens: c.tokens))
    expectClose(BPTT.truncatedSurrogateLoss(q, tokens: c.tokens, options: o, frozen: frozen), Double(independent),
                within: 1e-12, "\(o), seed \(seed)")
  }

  @Test("central differences of the surrogate are the truncated gradient, for every parameter", arguments: cases)
  func centralDifferencesAreTheTruncatedGradient(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = option.options
    let p = c.parameters
    let frozen = BPTT.frozenStates(p, tokens: c.tokens, options: o)
    let g = BPTT.gradients(p, tokens: c.tokens, options: o)
    for (name, path, gradient) in Self.parameters {
      let numeric = numericGradient(p[keyPath: path]) { m in
        var q = p
        q[keyPath: path] = m
        return BPTT.truncatedSurrogateLoss(q, tokens: c.tokens, options: o, frozen: frozen)
      }
      expectAgree(g[keyPath: gradient], numeric, within: centralDifferenceTolerance, "\(o), seed \(seed): d\(name)")
    }
  }

  /// Why the surrogate is needed: central differences of J itself are the full gradient.
  @Test("central differences of the loss itself are not the truncated gradient", arguments: randomSeeds)
  func theLossItselfDoesNotCheckTruncation(seed: UInt64) {
    let c = SeededCase(seed: seed)
    for truncation in Self.cutting {
      let o = RNNOptions(truncation: truncation)
      let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: o)
      let numeric = numericGradient(c.parameters.W_h) { W in
        var q = c.parameters
        q.W_h = W
        return BPTT.loss(q, tokens: c.tokens, options: o)
      }
      let err = Discrepancy.relative(g.dW_h, numeric)
      #expect(err > 100 * centralDifferenceTolerance, "\(truncation), seed \(seed): the full and truncated dW_h agree to \(err)")
    }
  }

  @Test("a step's surrogate gives the truncated per-step terms ∂J^(t)/∂W_h|_(i), zero before the cut", arguments: cases)
  func stepTermsMatchExplicitBPTT(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = option.options
    let T = c.steps
    let frozen = BPTT.frozenStates(c.parameters, tokens: c.tokens, options: o)
    for t in [T, Swift.max(1, T - 2)] {
      let terms = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: o, t: t)
      for i in 1...t {
        let numeric = numericGradient(c.parameters.W_h) { W in
          BPTT.truncatedStepLoss(c.parameters, tokens: c.tokens, options: o, frozen: frozen, t: t, recurrentWeightAtStep: i, W)
        }
        if i < o.truncation.firstKeptStep(for: t) {
          #expect(numeric.maxAbs == 0, "\(o), seed \(seed): term i = \(i) of J^(\(t)) is cut")
          #expect(terms[i - 1].maxAbs == 0)
        } else {
          // Far terms are small (the gradient vanishes): entry by entry within the grader's own
          // trust in central differences, |ref − num| ≤ 1e-7 + 1e-5·|num|.
          for (r, n) in zip(terms[i - 1].scalars, numeric.scalars) where !(Swift.abs(r - n) <= 1e-7 + 1e-5 * Swift.abs(n)) {
            Issue.record("\(o), seed \(seed): ∂J^(\(t))/∂W_h|_(\(i)) has \(r), central differences \(n)")
          }
        }
      }
    }
  }

  @Test("the canonical RNN's surrogate: its central differences are CanonicalRNN.gradients", arguments: CanonicalRNNTests.cases)
  func canonicalSurrogate(option: OptionCase, seed: UInt64) {
    let (p, tokens) = CanonicalRNNTests.model(seed)
    let o = option.options
    let frozen = CanonicalRNN.frozenStates(p, tokens: tokens, options: o)
    expectClose(CanonicalRNN.truncatedSurrogateLoss(p, tokens: tokens, options: o, frozen: frozen),
                CanonicalRNN.loss(p, tokens: tokens, options: o), within: 1e-13, "canonical \(o), seed \(seed): loss")
    let g = CanonicalRNN.gradients(p, tokens: tokens, options: o)
    let paths: [(String, WritableKeyPath<CanonicalRNNParameters, Matrix>, Matrix)] = [
      ("W_xh", \.W_xh, g.dW_xh), ("W_hh", \.W_hh, g.dW_hh), ("W_yh", \.W_yh, g.dW_yh),
      ("b_h", \.b_h, g.db_h), ("b_y", \.b_y, g.db_y), ("h0", \.h0, g.dh0),
    ]
    for (name, path, analytic) in paths {
      let numeric = numericGradient(p[keyPath: path]) { m in
        var q = p
        q[keyPath: path] = m
        return CanonicalRNN.truncatedSurrogateLoss(q, tokens: tokens, options: o, frozen: frozen)
      }
      expectAgree(analytic, numeric, within: centralDifferenceTolerance, "canonical \(o), seed \(seed): d\(name)")
    }
  }
}
