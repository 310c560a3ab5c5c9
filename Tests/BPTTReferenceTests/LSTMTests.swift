import Testing
import Jacobians
import BPTTReference
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct LSTMForwardTests {
  /// Every gate and state of the forward pass against the equations, written out with column
  /// vectors and the test's own gate blocks, in both gate orders.
  @Test(arguments: randomSeeds)
  func forwardPassFollowsTheEquations(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let p = c.parameters, H = gateHiddenSize, T = c.steps
    for order in LSTMGateOrder.allCases {
      for reduction in LossReduction.allCases {
        let options = LSTMOptions(gateOrder: order, reduction: reduction)
        let fp = LSTM.forward(p, tokens: c.tokens, options: options)
        #expect(fp.steps == T && fp.a.shape == Shape(T, 4 * H) && fp.h.shape == Shape(T + 1, H) && fp.c.shape == Shape(T + 1, H))
        #expect(fp.h.row(0) == p.h0.T && fp.c.row(0) == p.c0.T)
        let k = referenceGateBlocks(order)
        func block(_ a: Matrix, _ q: Int) -> Matrix { Matrix(column: Array(a.scalars[(q * H)..<((q + 1) * H)])) }
        var h = p.h0, cell = p.c0
        var losses: [Double] = []
        for t in 1...T {
          var x = Matrix(rows: gateVocabularySize, cols: 1)
          x[c.tokens[t - 1], 0] = 1
          let e = p.E * x                                      // e^(t) = E x^(t)
          let a = p.W_x * e + p.W_h * h + p.b
          let i = block(a, k.i).map { 1 / (1 + exp(-$0)) }, f = block(a, k.f).map { 1 / (1 + exp(-$0)) }
          let o = block(a, k.o).map { 1 / (1 + exp(-$0)) }, g = block(a, k.g).map { tanh($0) }
          cell = f ⊙ cell + i ⊙ g
          h = o ⊙ cell.map { tanh($0) }
          let logits = p.U * h + p.b_2
          let ex = logits.map { exp($0) }
          let yhat = ex / ex.sum()
          expectAgree(fp.e.row(t - 1), e.T, within: 0, "e^(\(t))")
          expectAgree(fp.a.row(t - 1), a.T, within: 1e-14, "a^(\(t))")
          expectAgree(fp.i.row(t - 1), i.T, within: 1e-14, "i^(\(t))")
          expectAgree(fp.f.row(t - 1), f.T, within: 1e-14, "f^(\(t))")
          expectAgree(fp.o.row(t - 1), o.T, within: 1e-14, "o^(\(t))")
          expectAgree(fp.g.row(t - 1), g.T, within: 1e-14, "g^(\(t))")
          expectAgree(fp.preactivation(.forget).row(t - 1), block(a, k.f).T, within: 1e-14, "a_f^(\(t))")
          #expect(fp.gate(.cell) == fp.g && fp.gate(.output) == fp.o)
          expectAgree(fp.c.row(t), cell.T, within: 1e-14, "c^(\(t))")
          expectAgree(fp.h.row(t), h.T, within: 1e-14, "h^(\(t))")
          expectAgree(fp.yhat.row(t - 1), yhat.T, within: 1e-14, "ŷ^(\(t))")
          losses.append(-log(yhat[c.tokens[t], 0]))
        }
        expectAgree(Matrix(row: fp.stepLosses), Matrix(row: losses), within: 1e-13, "J^(t)")
        let mean = losses.reduce(0, +) / Double(T)
        expectClose(fp.loss, reduction == .mean ? mean : mean * Double(T), within: 1e-13, "J")
        expectClose(fp.perplexity, exp(mean), within: 1e-13, "perplexity")
        #expect(LSTM.loss(p, tokens: c.tokens, options: options) == fp.loss)
      }
    }
  }

  /// U = 0, b_2 = 0: every word equally likely, J^(t) = log |V|, perplexity |V| (note 000).
  @Test(arguments: randomSeeds)
  func uniformModelHasPerplexityV(seed: UInt64) {
    var c = LSTMCase(seed: seed)
    c.parameters.U = Matrix(shape: c.parameters.U.shape)
    c.parameters.b_2 = Matrix(shape: c.parameters.b_2.shape)
    let fp = LSTM.forward(c.parameters, tokens: c.tokens)
    expectClose(fp.perplexity, Double(gateVocabularySize), within: 1e-14, "perplexity")
  }

  @Test func largeLogitsDoNotOverflow() {
    var c = LSTMCase(seed: 3)
    c.parameters.U = 1000 * c.parameters.U
    let g = LSTM.gradients(c.parameters, tokens: c.tokens)
    #expect(g.loss.isFinite && g.named.allSatisfy { $0.value.isFinite })
  }
}

@Suite struct LSTMGradientTests {
  /// The fast path against central differences (extended precision) of the truncated
  /// objective, in every option set (both reductions: the mean's differences are the sum's
  /// divided by T); each clipping applied to both sides.
  @Test(arguments: lstmSumCases)
  func gradientsMatchCentralDifferences(option: LSTMOptionCase, seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let numericSum = GateReference.lstmNumericGradient(c.parameters, tokens: c.tokens, options: option.options)
    for reduction in LossReduction.allCases {
      let numeric = numericSum.map { reduction.weight(steps: c.steps) * $0 }
      for clipping in gateClippings {
        var options = option.options
        options.reduction = reduction
        options.clipping = clipping
        let analytic = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
        expectAgree(analytic.named, renamed(analytic.named, referenceClip(numeric, clipping)), within: centralDifferenceTolerance,
                    "\(options), seed \(seed)")
      }
    }
  }

  /// The fast path against `_Differentiation` of the mirrored truncated objective, in every
  /// option set (the mean's gradient is the sum's divided by T) and clipping.
  @Test(arguments: lstmSumCases)
  func gradientsMatchAutodiff(option: LSTMOptionCase, seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let autoSum = lstmMirrorGradient(c.parameters, tokens: c.tokens, options: option.options)
    for reduction in LossReduction.allCases {
      let auto = autoSum.map { reduction.weight(steps: c.steps) * $0 }
      for clipping in gateClippings {
        var options = option.options
        options.reduction = reduction
        options.clipping = clipping
        let analytic = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
        #expect(clipping == .none || clippingActs(auto, clipping), "\(clipping) acts on seed \(seed)")
        expectAgree(analytic.named, renamed(analytic.named, referenceClip(auto, clipping)), within: autodiffTolerance,
                    "\(options), seed \(seed) vs autodiff")
      }
    }
  }

  /// Truncation with k ≥ T keeps every term: bit for bit the full gradient.
  @Test(arguments: randomSeeds)
  func truncationLongerThanTheSequenceIsFullBPTT(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let T = c.steps
    for order in LSTMGateOrder.allCases {
      for reduction in LossReduction.allCases {
        let full = LSTM.gradients(c.parameters, tokens: c.tokens, options: LSTMOptions(gateOrder: order, reduction: reduction))
        for tr in [Truncation.window(T), .window(T + 3), .chunks(T), .chunks(2 * T)] {
          let options = LSTMOptions(gateOrder: order, reduction: reduction, truncation: tr)
          #expect(LSTM.gradients(c.parameters, tokens: c.tokens, options: options) == full, "\(tr), T = \(T)")
          #expect(ExplicitLSTM.gradients(c.parameters, tokens: c.tokens, options: options)
                  == ExplicitLSTM.gradients(c.parameters, tokens: c.tokens, options: LSTMOptions(gateOrder: order, reduction: reduction)))
        }
      }
    }
  }

  /// Truncation changes the recurrent gradients (the tables above test something) and leaves the
  /// output layer's alone.
  @Test(arguments: randomSeeds)
  func shortTruncationDiffersFromFull(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let full = LSTM.gradients(c.parameters, tokens: c.tokens)
    for tr in [Truncation.window(1), .window(2), .chunks(2), .chunks(3)] {
      let g = LSTM.gradients(c.parameters, tokens: c.tokens, options: LSTMOptions(truncation: tr))
      #expect(Discrepancy.relative(g.dW_h, full.dW_h) > 1e-6, "\(tr)")
      #expect(Discrepancy.relative(g.dh0, full.dh0) > 1e-6, "\(tr)")
      #expect(g.dU == full.dU && g.db_2 == full.db_2 && g.loss == full.loss, "\(tr) leaves the output layer alone")
    }
  }

  /// The carries dh, dc, da are the derivatives of the truncated objective with respect to a
  /// shift of h^(t), c^(t), a^(t) wherever step t is computed (central differences).
  @Test(arguments: gateTruncations.flatMap { tr in randomSeeds.map { (tr, $0) } })
  func carriesMatchCentralDifferences(truncation: Truncation, seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let options = LSTMOptions(gateOrder: seed % 2 == 0 ? .ifog : .ifgo, reduction: seed % 4 < 2 ? .sum : .mean, truncation: truncation)
    let g = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
    let numeric = GateReference.lstmNumericCarries(c.parameters, tokens: c.tokens, options: options)
    expectAgree(g.carries, renamed(g.carries, numeric), within: centralDifferenceTolerance, "\(options), seed \(seed)")
  }

  /// h^(0) and c^(0) enter J only through step 1, whatever the truncation:
  /// dh0 = W_hᵀ ∂J/∂a^(1) and dc0 = ∂J/∂c^(1) ⊙ f^(1).
  @Test(arguments: randomSeeds)
  func initialStatesEnterThroughTheFirstStep(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    for tr in gateTruncations {
      let options = LSTMOptions(truncation: tr)
      let g = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
      let f1 = LSTM.forward(c.parameters, tokens: c.tokens, options: options).f.row(0).T
      expectAgree(g.dh0, c.parameters.W_h.T * g.da.row(0).T, within: 1e-14, "dh0, \(tr)")
      expectAgree(g.dc0, g.dc.row(0).T ⊙ f1, within: 1e-14, "dc0, \(tr)")
    }
  }
}

@Suite struct LSTMGateOrderTests {
  /// ifgo (PyTorch) on parameters whose blocks are moved from ifog is the same model as ifog
  /// (CS231n): the same forward pass and loss; the gradients are the ifog ones with the blocks
  /// moved.
  @Test(arguments: randomSeeds)
  func gateOrdersArePermutationsOfEachOther(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let p = c.parameters
    let moved = p.reorderingGates(from: .ifog, to: .ifgo)
    #expect(moved != p)
    #expect(moved.reorderingGates(from: .ifgo, to: .ifog) == p)
    // The blocks, by hand: g is block 3 of ifog and block 2 of ifgo.
    let H = gateHiddenSize
    #expect(moved.W_h.rows((2 * H)..<(3 * H)) == p.W_h.rows((3 * H)..<(4 * H)))
    #expect(moved.b.rows((3 * H)..<(4 * H)) == p.b.rows((2 * H)..<(3 * H)))
    for tr in gateTruncations {
      let ifog = LSTMOptions(gateOrder: .ifog, truncation: tr), ifgo = LSTMOptions(gateOrder: .ifgo, truncation: tr)
      let f1 = LSTM.forward(p, tokens: c.tokens, options: ifog), f2 = LSTM.forward(moved, tokens: c.tokens, options: ifgo)
      for gate in LSTMGate.allCases {
        expectAgree(f1.gate(gate), f2.gate(gate), within: 1e-15, "\(gate) gate")
        expectAgree(f1.preactivation(gate), f2.preactivation(gate), within: 1e-15, "a_\(gate.letter)")
      }
      expectClose(f1.loss, f2.loss, within: 1e-15, "J")
      let g1 = LSTM.gradients(p, tokens: c.tokens, options: ifog).reorderingGates(from: .ifog, to: .ifgo)
      let g2 = LSTM.gradients(moved, tokens: c.tokens, options: ifgo)
      expectAgree(g2.named, g1.named, within: 1e-14, "ifgo vs moved ifog, \(tr)")
      expectAgree(g2.carries, g1.carries, within: 1e-14, "carries, \(tr)")
      // The same numbers read in the other order are another model.
      #expect(Discrepancy.relative(LSTM.gradients(p, tokens: c.tokens, options: ifgo).dW_h, g1.dW_h) > 1e-3)
    }
  }
}

@Suite struct LSTMClippingTests {
  /// Clipping is applied after the gradient to the parameter gradients; J and the carries stay.
  @Test(arguments: randomSeeds)
  func clippingIsAppliedAfterTheGradient(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let raw = LSTM.gradients(c.parameters, tokens: c.tokens)
    let squares = raw.named.map { $0.value.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +)
    expectClose(raw.globalNorm, squares.squareRoot(), within: 1e-14, "global norm over the eight gradients")
    for clipping in [Clipping.value(raw.dU.maxAbs / 2), .globalNorm(raw.globalNorm / 3), .globalNorm(2 * raw.globalNorm)] {
      let g = LSTM.gradients(c.parameters, tokens: c.tokens, options: LSTMOptions(clipping: clipping))
      #expect(g == raw.clipped(clipping))
      #expect(g.loss == raw.loss && g.dh == raw.dh && g.dc == raw.dc && g.da == raw.da)
      expectAgree(g.named, renamed(g.named, referenceClip(raw.named.map(\.value), clipping)), within: 1e-15, "\(clipping)")
    }
    #expect(LSTM.gradients(c.parameters, tokens: c.tokens, options: LSTMOptions(clipping: .globalNorm(2 * raw.globalNorm))) == raw)
  }
}

@Suite struct LSTMInputErrorTests {
  @Test func badInputIsReportedAsASentence() {
    let c = LSTMCase(seed: 1)
    let H = gateHiddenSize, V = gateVocabularySize
    var p = c.parameters
    p.W_h = p.W_h.T
    #expect(throws: RNNInputError.shapeMismatch(parameter: "W_h", expected: Shape(4 * H, H), actual: Shape(H, 4 * H))) {
      try LSTM.validate(p, tokens: c.tokens)
    }
    #expect(RNNInputError.shapeMismatch(parameter: "W_h", expected: Shape(12, 3), actual: Shape(3, 12)).description
            == "W_h has shape 3×12, expected 12×3 (did you transpose?).")
    var q = c.parameters
    q.c0 = Matrix(rows: H + 1, cols: 1)
    #expect(throws: RNNInputError.shapeMismatch(parameter: "c0", expected: Shape(H, 1), actual: Shape(H + 1, 1))) {
      try LSTM.validate(q, tokens: c.tokens)
    }
    var u = c.parameters
    u.W_x = Matrix(rows: 4 * H, cols: gateEmbeddingSize + 1)
    #expect(throws: RNNInputError.shapeMismatch(parameter: "W_x", expected: Shape(4 * H, gateEmbeddingSize), actual: u.W_x.shape)) {
      try LSTM.validate(u, tokens: c.tokens)
    }
    #expect(throws: RNNInputError.tokenOutOfRange(position: 1, token: V, vocabularySize: V)) {
      try LSTM.validate(c.parameters, tokens: [0, V, 1])
    }
    #expect(throws: RNNInputError.sequenceTooShort(count: 1)) { try LSTM.validate(c.parameters, tokens: [0]) }
    #expect(throws: RNNInputError.invalidTruncationLength(0)) {
      try LSTM.validate(c.parameters, tokens: c.tokens, options: LSTMOptions(truncation: .chunks(0)))
    }
    #expect(throws: RNNInputError.invalidClippingThreshold(-1)) {
      try LSTM.validate(c.parameters, tokens: c.tokens, options: LSTMOptions(clipping: .globalNorm(-1)))
    }
    #expect(throws: Never.self) { try LSTM.validate(c.parameters, tokens: c.tokens) }
    #expect(throws: RNNInputError.shapeMismatch(parameter: "b", expected: Shape(1, 4 * H), actual: Shape(4 * H, 1))) {
      var row = RowLSTMParameters(column: c.parameters)
      row.b = row.b.T
      try row.validate()
    }
    #expect(throws: RNNInputError.shapeMismatch(parameter: "W_h", expected: Shape(H, 4 * H), actual: Shape(4 * H, H))) {
      var row = RowLSTMParameters(column: c.parameters)
      row.W_h = row.W_h.T
      try row.validate()
    }
  }

  @Test func optionsDescribeThemselves() {
    #expect(LSTMOptions().description == "gates ifog, mean, full, clipping none")
    #expect(LSTMOptions(gateOrder: .ifgo, reduction: .sum, truncation: .window(2), clipping: .value(5)).description
            == "gates ifgo, sum, window(2), clipping value(5.0)")
    #expect(LSTMGateOrder.ifgo.gates.map(\.letter) == ["i", "f", "g", "o"])
    #expect(LSTMGateOrder.ifog.gates.map { LSTMGateOrder.ifog.block($0) } == [0, 1, 2, 3])
    #expect(LSTMGateOrder.ifgo.gates.map { LSTMGateOrder.ifgo.block($0) } == [0, 1, 2, 3])
  }
}
