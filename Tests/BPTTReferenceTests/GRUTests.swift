import Testing
import Jacobians
import BPTTReference
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every (reset, update) pair.
let gruVariants: [GRUOptions] = GRUReset.allCases.flatMap { reset in GRUUpdate.allCases.map { GRUOptions(reset: reset, update: $0) } }

@Suite struct GRUForwardTests {
  /// Every gate and state against the equations, written out with column vectors, for each
  /// reset and update convention.
  @Test(arguments: randomSeeds)
  func forwardPassFollowsTheEquations(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let p = c.parameters, H = gateHiddenSize, T = c.steps
    func rows(_ m: Matrix, _ k: Int) -> Matrix { m.rows((k * H)..<((k + 1) * H)) }
    let sigmoid = { (m: Matrix) in m.map { 1 / (1 + exp(-$0)) } }, tanhm = { (m: Matrix) in m.map { tanh($0) } }
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    for variant in gruVariants {
      for reduction in LossReduction.allCases {
        var options = variant
        options.reduction = reduction
        let fp = GRU.forward(p, tokens: c.tokens, options: options)
        #expect(fp.steps == T && fp.ax.shape == Shape(T, 3 * H) && fp.h.shape == Shape(T + 1, H) && fp.h.row(0) == p.h0.T)
        var h = p.h0
        var losses: [Double] = []
        for t in 1...T {
          var x = Matrix(rows: gateVocabularySize, cols: 1)
          x[c.tokens[t - 1], 0] = 1
          let e = p.E * x
          let ax = p.W_x * e + p.b_x
          let r = sigmoid(rows(ax, 0) + rows(p.W_h, 0) * h + rows(p.b_h, 0))
          let z = sigmoid(rows(ax, 1) + rows(p.W_h, 1) * h + rows(p.b_h, 1))
          let ah_n = options.reset == .after ? rows(p.W_h, 2) * h + rows(p.b_h, 2) : rows(p.W_h, 2) * (r ⊙ h) + rows(p.b_h, 2)
          let n = tanhm(rows(ax, 2) + (options.reset == .after ? r ⊙ ah_n : ah_n))
          h = options.update == .keep ? (ones - z) ⊙ n + z ⊙ h : z ⊙ n + (ones - z) ⊙ h
          let logits = p.U * h + p.b_2
          let ex = logits.map { exp($0) }
          let yhat = ex / ex.sum()
          expectAgree(fp.ax.row(t - 1), ax.T, within: 1e-14, "ax^(\(t))")
          expectAgree(Matrix(row: Array(fp.ah.row(t - 1).scalars[(2 * H)...])), ah_n.T, within: 1e-14, "ah_n^(\(t))")
          expectAgree(fp.r.row(t - 1), r.T, within: 1e-14, "r^(\(t))")
          expectAgree(fp.z.row(t - 1), z.T, within: 1e-14, "z^(\(t))")
          expectAgree(fp.n.row(t - 1), n.T, within: 1e-14, "n^(\(t))")
          expectAgree(fp.h.row(t), h.T, within: 1e-14, "h^(\(t)), \(options)")
          expectAgree(fp.yhat.row(t - 1), yhat.T, within: 1e-14, "ŷ^(\(t))")
          losses.append(-log(yhat[c.tokens[t], 0]))
        }
        let mean = losses.reduce(0, +) / Double(T)
        expectClose(fp.loss, reduction == .mean ? mean : mean * Double(T), within: 1e-13, "J, \(options)")
        expectClose(fp.perplexity, exp(mean), within: 1e-13, "perplexity")
        #expect(GRU.loss(p, tokens: c.tokens, options: options) == fp.loss)
      }
    }
  }

  /// The two update conventions are the same model with z ↔ 1 − z: negating the update gate's
  /// pre-activation (W_hz, W_xz, b_xz, b_hz ↦ −·) turns one into the other.
  @Test(arguments: randomSeeds)
  func updateConventionsAreMirrorImages(seed: UInt64) {
    let c = GRUCase(seed: seed)
    var q = c.parameters
    let H = gateHiddenSize
    for m in [\GRUParameters.W_x, \.W_h, \.b_x, \.b_h] {
      let cols = q[keyPath: m].cols
      for k in (H * cols)..<(2 * H * cols) { q[keyPath: m].scalars[k] = -q[keyPath: m].scalars[k] }
    }
    for reset in GRUReset.allCases {
      let keep = GRU.forward(c.parameters, tokens: c.tokens, options: GRUOptions(reset: reset, update: .keep))
      let new = GRU.forward(q, tokens: c.tokens, options: GRUOptions(reset: reset, update: .new))
      expectAgree(keep.h, new.h, within: 1e-14, "h, \(reset)")
      expectClose(keep.loss, new.loss, within: 1e-14, "J, \(reset)")
    }
  }

  @Test(arguments: randomSeeds)
  func uniformModelHasPerplexityV(seed: UInt64) {
    var c = GRUCase(seed: seed)
    c.parameters.U = Matrix(shape: c.parameters.U.shape)
    c.parameters.b_2 = Matrix(shape: c.parameters.b_2.shape)
    expectClose(GRU.forward(c.parameters, tokens: c.tokens).perplexity, Double(gateVocabularySize), within: 1e-14, "perplexity")
  }
}

@Suite struct GRUGradientTests {
  /// The fast path against central differences (extended precision) of the truncated
  /// objective in every option set (the mean's are the sum's divided by T), each clipping
  /// applied to both sides.
  @Test(arguments: gruSumCases)
  func gradientsMatchCentralDifferences(option: GRUOptionCase, seed: UInt64) {
    let c = GRUCase(seed: seed)
    let numericSum = GateReference.gruNumericGradient(c.parameters, tokens: c.tokens, options: option.options)
    for reduction in LossReduction.allCases {
      let numeric = numericSum.map { reduction.weight(steps: c.steps) * $0 }
      for clipping in gateClippings {
        var options = option.options
        options.reduction = reduction
        options.clipping = clipping
        let analytic = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        expectAgree(analytic.named, renamed(analytic.named, referenceClip(numeric, clipping)), within: centralDifferenceTolerance,
                    "\(options), seed \(seed)")
      }
    }
  }

  /// The fast path against `_Differentiation` of the mirrored truncated objective, in every
  /// option set (the mean's gradient is the sum's divided by T) and clipping.
  @Test(arguments: gruSumCases)
  func gradientsMatchAutodiff(option: GRUOptionCase, seed: UInt64) {
    let c = GRUCase(seed: seed)
    let autoSum = gruMirrorGradient(c.parameters, tokens: c.tokens, options: option.options)
    for reduction in LossReduction.allCases {
      let auto = autoSum.map { reduction.weight(steps: c.steps) * $0 }
      for clipping in gateClippings {
        var options = option.options
        options.reduction = reduction
        options.clipping = clipping
        let analytic = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        #expect(clipping == .none || clippingActs(auto, clipping), "\(clipping) acts on seed \(seed)")
        expectAgree(analytic.named, renamed(analytic.named, referenceClip(auto, clipping)), within: autodiffTolerance,
                    "\(options), seed \(seed) vs autodiff")
      }
    }
  }

  @Test(arguments: randomSeeds)
  func truncationLongerThanTheSequenceIsFullBPTT(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let T = c.steps
    for variant in gruVariants {
      for reduction in LossReduction.allCases {
        var options = variant
        options.reduction = reduction
        let full = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        let explicitFull = ExplicitGRU.gradients(c.parameters, tokens: c.tokens, options: options)
        for tr in [Truncation.window(T), .window(T + 3), .chunks(T), .chunks(2 * T)] {
          options.truncation = tr
          #expect(GRU.gradients(c.parameters, tokens: c.tokens, options: options) == full, "\(options), T = \(T)")
          #expect(ExplicitGRU.gradients(c.parameters, tokens: c.tokens, options: options) == explicitFull)
        }
      }
    }
  }

  @Test(arguments: randomSeeds)
  func shortTruncationDiffersFromFull(seed: UInt64) {
    let c = GRUCase(seed: seed)
    for variant in gruVariants {
      let full = GRU.gradients(c.parameters, tokens: c.tokens, options: variant)
      for tr in [Truncation.window(1), .window(2), .chunks(2), .chunks(3)] {
        var options = variant
        options.truncation = tr
        let g = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        #expect(Discrepancy.relative(g.dW_h, full.dW_h) > 1e-6, "\(options)")
        #expect(Discrepancy.relative(g.dh0, full.dh0) > 1e-6, "\(options)")
        #expect(g.dU == full.dU && g.db_2 == full.db_2 && g.loss == full.loss)
      }
    }
  }

  /// The carries dh, dah, dax are the derivatives of the truncated objective with respect to a
  /// shift of h^(t), of the recurrent terms and of the input terms of step t wherever step t is
  /// computed (central differences).
  @Test(arguments: gateTruncations.flatMap { tr in randomSeeds.map { (tr, $0) } })
  func carriesMatchCentralDifferences(truncation: Truncation, seed: UInt64) {
    let c = GRUCase(seed: seed)
    var options = gruVariants[Int(seed % 4)]
    options.truncation = truncation
    options.reduction = seed % 8 < 4 ? .sum : .mean
    let g = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
    let numeric = GateReference.gruNumericCarries(c.parameters, tokens: c.tokens, options: options)
    expectAgree(g.carries, renamed(g.carries, [numeric[0], numeric[2], numeric[1]]), within: centralDifferenceTolerance,
                "\(options), seed \(seed)")
  }

  /// h^(0) enters only through step 1, whatever the truncation:
  /// ```
  /// after:   dh0 = z^(1) ⊙ ∂J/∂h^(1) + W_hᵀ ∂J/∂ah^(1)
  /// before:  dh0 = z^(1) ⊙ ∂J/∂h^(1) + [W_hr; W_hz]ᵀ ∂J/∂ah_{r,z}^(1) + r^(1) ⊙ W_hnᵀ ∂J/∂ah_n^(1)
  /// ```
  /// (update `new`: 1 − z in place of z); and the biases' gradients are the carries' column sums.
  @Test(arguments: randomSeeds)
  func initialStateEntersThroughTheFirstStep(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let H = gateHiddenSize
    for variant in gruVariants {
      for tr in gateTruncations {
        var options = variant
        options.truncation = tr
        let g = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        let fp = GRU.forward(c.parameters, tokens: c.tokens, options: options)
        let z = fp.z.row(0).T, r = fp.r.row(0).T, dh = g.dh.row(0).T, dah = g.dah.row(0).T
        let gate = options.update == .keep ? z : Matrix(rows: H, cols: 1, repeating: 1) - z
        let W = c.parameters.W_h
        let expected = options.reset == .after
          ? gate ⊙ dh + W.T * dah
          : gate ⊙ dh + W.rows(0..<(2 * H)).T * dah.rows(0..<(2 * H)) + r ⊙ (W.rows((2 * H)..<(3 * H)).T * dah.rows((2 * H)..<(3 * H)))
        expectAgree(g.dh0, expected, within: 1e-14, "dh0, \(options)")
        expectAgree(g.db_x, g.dax.columnSums().T, within: 1e-14, "db_x")
        expectAgree(g.db_h, g.dah.columnSums().T, within: 1e-14, "db_h")
      }
    }
  }
}

@Suite struct GRUClippingTests {
  @Test(arguments: randomSeeds)
  func clippingIsAppliedAfterTheGradient(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let raw = GRU.gradients(c.parameters, tokens: c.tokens)
    let squares = raw.named.map { $0.value.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +)
    expectClose(raw.globalNorm, squares.squareRoot(), within: 1e-14, "global norm over the eight gradients")
    for clipping in [Clipping.value(raw.dU.maxAbs / 2), .globalNorm(raw.globalNorm / 3)] {
      let g = GRU.gradients(c.parameters, tokens: c.tokens, options: GRUOptions(clipping: clipping))
      #expect(g == raw.clipped(clipping))
      #expect(g.loss == raw.loss && g.dh == raw.dh && g.dax == raw.dax && g.dah == raw.dah)
      expectAgree(g.named, renamed(g.named, referenceClip(raw.named.map(\.value), clipping)), within: 1e-15, "\(clipping)")
    }
    #expect(GRU.gradients(c.parameters, tokens: c.tokens, options: GRUOptions(clipping: .globalNorm(2 * raw.globalNorm))) == raw)
  }
}

@Suite struct GRUInputErrorTests {
  @Test func badInputIsReportedAsASentence() {
    let c = GRUCase(seed: 2)
    let H = gateHiddenSize, V = gateVocabularySize
    var p = c.parameters
    p.W_h = p.W_h.T
    #expect(throws: RNNInputError.shapeMismatch(parameter: "W_h", expected: Shape(3 * H, H), actual: Shape(H, 3 * H))) {
      try GRU.validate(p, tokens: c.tokens)
    }
    var q = c.parameters
    q.b_h = Matrix(rows: 2 * H, cols: 1)
    #expect(throws: RNNInputError.shapeMismatch(parameter: "b_h", expected: Shape(3 * H, 1), actual: Shape(2 * H, 1))) {
      try GRU.validate(q, tokens: c.tokens)
    }
    #expect(throws: RNNInputError.tokenOutOfRange(position: 0, token: -1, vocabularySize: V)) {
      try GRU.validate(c.parameters, tokens: [-1, 0])
    }
    #expect(throws: RNNInputError.invalidTruncationLength(0)) {
      try GRU.validate(c.parameters, tokens: c.tokens, options: GRUOptions(truncation: .window(0)))
    }
    #expect(throws: RNNInputError.invalidClippingThreshold(.infinity)) {
      try GRU.validate(c.parameters, tokens: c.tokens, options: GRUOptions(clipping: .value(.infinity)))
    }
    #expect(throws: Never.self) { try GRU.validate(c.parameters, tokens: c.tokens) }
    #expect(throws: RNNInputError.shapeMismatch(parameter: "U", expected: Shape(H, V), actual: Shape(V, H))) {
      var row = RowGRUParameters(column: c.parameters)
      row.U = row.U.T
      try row.validate()
    }
  }

  @Test func optionsDescribeThemselves() {
    #expect(GRUOptions().description == "reset after, update keep, mean, full, clipping none")
    #expect(GRUOptions(reset: .before, update: .new, reduction: .sum, truncation: .chunks(3), clipping: .globalNorm(1)).description
            == "reset before, update new, sum, chunks(3), clipping globalNorm(1.0)")
  }
}
