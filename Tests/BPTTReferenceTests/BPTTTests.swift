import Testing
import Jacobians
import BPTTReference
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct BPTTForwardTests {
  @Test(arguments: randomSeeds)
  func forwardPassFollowsTheColumnFormula(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = c.parameters
    for options in [RNNOptions(), RNNOptions(activation: .tanh, useBiases: false, reduction: .sum)] {
      let fp = BPTT.forward(p, tokens: c.tokens, options: options)
      let T = c.steps
      #expect(fp.steps == T && fp.z.count == T && fp.h.count == T + 1 && fp.yhat.count == T)
      #expect(fp.h[0] == p.h0)
      var h = p.h0
      var losses: [Double] = []
      for t in 1...T {
        // z^(t) = W_h h^(t−1) + W_e E x^(t) + b_1, with x^(t) one-hot.
        var x = Matrix(rows: vocabularySize, cols: 1)
        x[c.tokens[t - 1], 0] = 1
        var z = p.W_h * h + p.W_e * (p.E * x)
        if options.useBiases { z = z + p.b_1 }
        h = options.activation(z)
        var logits = p.U * h
        if options.useBiases { logits = logits + p.b_2 }
        let ex = logits.map { exp($0) }
        let yhat = ex / ex.sum()
        expectAgree(fp.z[t - 1], z, within: 1e-14, "z^(\(t))")
        expectAgree(fp.h[t], h, within: 1e-14, "h^(\(t))")
        expectAgree(fp.yhat[t - 1], yhat, within: 1e-14, "ŷ^(\(t))")
        #expect(abs(fp.yhat[t - 1].sum() - 1) <= 1e-14)
        losses.append(-log(yhat[c.tokens[t], 0]))
      }
      expectAgree(Matrix(row: fp.stepLosses), Matrix(row: losses), within: 1e-13, "J^(t)")
      let mean = losses.reduce(0, +) / Double(T)
      expectClose(fp.loss, options.reduction == .mean ? mean : mean * Double(T), within: 1e-13, "J")
      expectClose(fp.perplexity, exp(mean), within: 1e-13, "perplexity = exp(mean J^(t))")
      #expect(BPTT.loss(p, tokens: c.tokens, options: options) == fp.loss)
    }
  }

  /// Note 000: a model that thinks all words equally likely (U = 0, b_2 = 0 ⇒ ŷ uniform) has
  /// J^(t) = log |V| and perplexity exp(log |V|) = |V|.
  @Test(arguments: randomSeeds)
  func uniformModelHasPerplexityV(seed: UInt64) {
    var p = SeededCase(seed: seed).parameters
    p.U = Matrix(shape: p.U.shape)
    p.b_2 = Matrix(shape: p.b_2.shape)
    let fp = BPTT.forward(p, tokens: SeededCase(seed: seed).tokens, options: RNNOptions(activation: .tanh))
    expectClose(fp.perplexity, Double(vocabularySize), within: 1e-14, "perplexity of the uniform model")
    for J in fp.stepLosses { expectClose(J, log(Double(vocabularySize)), within: 1e-14, "J^(t) = log |V|") }
  }

  @Test func largeLogitsDoNotOverflow() {
    var p = SeededCase(seed: 7).parameters
    p.U = 1000 * p.U
    let fp = BPTT.forward(p, tokens: SeededCase(seed: 7).tokens, options: RNNOptions())
    #expect(fp.loss.isFinite && fp.stepLosses.allSatisfy { $0.isFinite })
    #expect(fp.yhat.allSatisfy { $0.isFinite })
  }
}

@Suite struct BPTTGradientTests {
  static let cases: [(OptionCase, UInt64)] = optionTable.flatMap { o in randomSeeds.map { (o, $0) } }
  static let fullCases: [(OptionCase, UInt64)] = fullOptionTable.flatMap { o in randomSeeds.map { (o, $0) } }

  /// Every gradient of the fast path against central differences of the (truncated) objective.
  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let options = option.options
    let analytic = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    let numeric = TruncatedObjective.numericGradients(c.parameters, tokens: c.tokens, options: options)
    expectAgree(analytic.named, numeric.named, within: centralDifferenceTolerance, "\(options), seed \(seed)")
  }

  /// For full BPTT the truncated objective is J itself: the library's loss gives the same numbers.
  @Test(arguments: fullCases)
  func referenceObjectiveIsTheLossForFullBPTT(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let L = MirrorLayout.column(option.options)
    let theta = c.parameters.flattened.map { Wide($0) }
    let frozen = TruncatedObjective.states(theta, L, tokens: c.tokens)
    let ref = TruncatedObjective.value(theta, L, tokens: c.tokens, truncation: .full, frozen: frozen)
    expectClose(BPTT.loss(c.parameters, tokens: c.tokens, options: option.options), Double(ref), within: 1e-13, "J")
  }

  /// Full BPTT against Swift's `_Differentiation` on the differentiable mirror.
  @Test(arguments: fullCases)
  func gradientsMatchAutodiff(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = option.options
    let layout = MirrorLayout(form: .column, V: vocabularySize, d: embeddingSize, H: hiddenSize,
                              activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
    let auto = mirrorGradient(c.parameters.flattened, layout, c.tokens, shapes: c.parameters.shapes)
    let analytic = BPTT.gradients(c.parameters, tokens: c.tokens, options: o)
    for (g, a) in zip(analytic.named, auto) {
      expectAgree(g.value, a, within: autodiffTolerance, "\(o), seed \(seed): \(g.name) vs autodiff")
    }
    expectClose(mirrorLoss(c.parameters.flattened, layout, c.tokens), BPTT.loss(c.parameters, tokens: c.tokens, options: o),
                within: 1e-13, "mirror loss")
  }

  /// Truncation with k ≥ T keeps every term: bit-for-bit the full gradient.
  @Test(arguments: randomSeeds)
  func truncationLongerThanTheSequenceIsFullBPTT(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let T = c.steps
    for f in tableActivations {
      let full = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: f))
      for tr in [Truncation.window(T), .window(T + 5), .chunks(T), .chunks(2 * T)] {
        let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: f, truncation: tr))
        #expect(g == full, "\(tr) with T = \(T)")
      }
    }
  }

  /// Truncation changes the gradient of a recurrent model (so the tests above test something).
  @Test(arguments: randomSeeds)
  func shortTruncationDiffersFromFull(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let full = BPTT.gradients(c.parameters, tokens: c.tokens)
    for tr in [Truncation.window(1), .chunks(2)] {
      let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: RNNOptions(truncation: tr))
      #expect(Discrepancy.relative(g.dW_h, full.dW_h) > 1e-6, "\(tr)")
      #expect(g.dU == full.dU, "the output layer is not recurrent: \(tr) leaves dU alone")
    }
  }

  /// chunks(k): no gradient crosses a chunk boundary, so h^(0) only hears from the first chunk.
  @Test(arguments: randomSeeds)
  func chunksCutTheGradientOfLaterLosses(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let options = RNNOptions(truncation: .chunks(2))
    for t in 3...c.steps {
      let g = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: options, t: t)
      #expect(g.dh0.maxAbs == 0, "J^(\(t)) lies outside the first chunk")
    }
    let g1 = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: options, t: 2)
    #expect(g1.dh0.maxAbs > 0)
  }
}

@Suite struct BPTTDeltaTests {
  /// δ1^(t) = ŷ^(t) − y^(t); δ2^(t) = (Uᵀ δ1^(t)) ⊙ f′(z^(t)); both the step's own, unscaled.
  @Test(arguments: randomSeeds)
  func deltasFollowNote004(seed: UInt64) {
    let c = SeededCase(seed: seed)
    for f in tableActivations {
      let options = RNNOptions(activation: f)
      let fp = BPTT.forward(c.parameters, tokens: c.tokens, options: options)
      let deltas = BPTT.deltas(c.parameters, tokens: c.tokens, options: options)
      #expect(deltas.delta1.shape == Shape(c.steps, vocabularySize) && deltas.delta2.shape == Shape(c.steps, hiddenSize))
      for t in 1...c.steps {
        var y = Matrix(rows: vocabularySize, cols: 1)
        y[c.tokens[t], 0] = 1
        let delta1 = fp.yhat[t - 1] - y
        let delta2 = (c.parameters.U.T * delta1) ⊙ f.derivative(fp.z[t - 1])
        expectAgree(deltas.delta1.row(t - 1), delta1.T, within: 1e-15, "δ1^(\(t))")
        expectAgree(deltas.delta2.row(t - 1), delta2.T, within: 1e-14, "δ2^(\(t))")
        // Independent: with a window of 1, ∂J^(t)/∂b_2 = δ1^(t) and ∂J^(t)/∂b_1 = δ2^(t),
        // and these are checked against central differences in the gradient table.
        let g = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: RNNOptions(activation: f, truncation: .window(1)), t: t)
        expectAgree(g.db_2, delta1, within: 1e-14, "∂J^(\(t))/∂b_2")
        expectAgree(g.db_1, delta2, within: 1e-14, "∂J^(\(t))/∂b_1|_(\(t))")
      }
      // The accumulated ∂J/∂z^(t) sums to db_1.
      let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
      expectAgree(deltas.dJdz.columnSums().T, g.db_1, within: 1e-14, "Σₜ ∂J/∂z^(t) = db_1")
      // The last step has no future: ∂J/∂z^(T) = (1/T) δ2^(T).
      expectAgree(deltas.dJdz.row(c.steps - 1), deltas.delta2.row(c.steps - 1) / Double(c.steps), within: 1e-14, "∂J/∂z^(T)")
    }
  }

  /// The per-term gradients of J^(t) alone against central differences of J^(t) (full BPTT).
  @Test(arguments: randomSeeds)
  func stepGradientsMatchCentralDifferences(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let options = RNNOptions(activation: .tanh)
    for t in [1, c.steps] {
      let analytic = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: options, t: t)
      let L = MirrorLayout.column(options)
      let numeric = split(TruncatedObjective.gradient(at: c.parameters.flattened) { theta in
        TruncatedObjective.stepLoss(theta, L, tokens: c.tokens, from: 0, state: (0..<hiddenSize).map { theta[L.initialState($0)] }, t: t)
      }, c.parameters.shapes)
      expectAgree(analytic.named, zip(analytic.named, numeric).map { ($0.name, $1) }, within: centralDifferenceTolerance, "J^(\(t)) seed \(seed)")
    }
  }
}

@Suite struct BPTTEmbeddingTests {
  /// Only the columns of E of words that occur as inputs x(1…T) receive gradient; a word that
  /// occurs twice accumulates both contributions.
  @Test(arguments: randomSeeds)
  func embeddingGradientColumns(seed: UInt64) {
    var c = SeededCase(seed: seed)
    // Make word 2 repeat and word 6 absent from the inputs.
    c.tokens = c.tokens.map { $0 == 6 ? 5 : $0 }
    c.tokens[0] = 2
    c.tokens[2] = 2
    let options = RNNOptions(activation: .tanh)
    let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
    let inputs = Set(c.tokens.dropLast())
    for w in 0..<vocabularySize where !inputs.contains(w) {
      #expect(g.dE.column(w).scalars.allSatisfy { $0 == 0 }, "column \(w) of dE")
    }
    // dE[:, w] = Σ_{t: x(t) = w} W_eᵀ ∂J/∂z^(t)
    let dJdz = BPTT.deltas(c.parameters, tokens: c.tokens, options: options).dJdz
    var expected = Matrix(rows: embeddingSize, cols: 1)
    for t in 1...c.steps where c.tokens[t - 1] == 2 { expected += c.parameters.W_e.T * dJdz.row(t - 1).T }
    expectAgree(g.dE.column(2), expected, within: 1e-14, "repeated word 2")
    #expect(c.tokens.dropLast().filter { $0 == 2 }.count >= 2)
  }
}

@Suite struct BPTTValidationTests {
  @Test func validateReportsBadInputAsSentences() {
    let p = SeededCase(seed: 1).parameters
    #expect(throws: RNNInputError.sequenceTooShort(count: 1)) { try BPTT.validate(p, tokens: [3], options: RNNOptions()) }
    #expect(throws: RNNInputError.tokenOutOfRange(position: 1, token: 7, vocabularySize: 7)) {
      try BPTT.validate(p, tokens: [3, 7, 1], options: RNNOptions())
    }
    #expect(throws: RNNInputError.invalidTruncationLength(0)) {
      try BPTT.validate(p, tokens: [3, 2, 1], options: RNNOptions(truncation: .window(0)))
    }
    var q = p
    q.W_e = q.W_e.T
    do {
      try BPTT.validate(q, tokens: [1, 2], options: RNNOptions())
      Issue.record("a transposed W_e must not validate")
    } catch {
      #expect(error.description == "W_e has shape 3×4, expected 4×3 (did you transpose?).")
    }
  }
}
