import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The row-vector form of note 004, tested on its own parameters.
@Suite struct RowRNNTests {
  static let cases: [(OptionCase, UInt64)] = optionTable.flatMap { o in randomSeeds.map { (o, $0) } }
  static let fullCases: [(OptionCase, UInt64)] = fullOptionTable.flatMap { o in randomSeeds.map { (o, $0) } }

  static func rowParameters(_ c: SeededCase) -> RowRNNParameters { RowRNNParameters(column: c.parameters) }

  /// Central differences with respect to the row parameters, of the row form's own forward
  /// pass (the reference indexes W_h, W_e, W_x, W_o in note 004's orientation).
  static func numericRowGradients(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions) -> RowRNNGradients {
    let m = TruncatedObjective.numericGradient(p.flattened, .row(options), tokens: tokens, truncation: options.truncation, shapes: p.shapes)
    return RowRNNGradients(dW_x: m[0], dW_h: m[1], dW_e: m[2], db_h: m[3], dW_o: m[4], db_o: m[5], dh0: m[6])
  }

  /// The reference row forward pass gives the library's row loss.
  @Test(arguments: fullCases)
  func referenceRowLossIsTheRowLoss(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = Self.rowParameters(c)
    let theta = p.flattened.map { Wide($0) }
    let ref = TruncatedObjective.value(theta, .row(option.options), tokens: c.tokens, truncation: .full,
                                       frozen: TruncatedObjective.states(theta, .row(option.options), tokens: c.tokens))
    expectClose(RowBPTT.loss(p, tokens: c.tokens, options: option.options), Double(ref), within: 1e-13, "row J")
  }

  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = Self.rowParameters(c)
    let analytic = RowBPTT.gradients(p, tokens: c.tokens, options: option.options)
    let numeric = Self.numericRowGradients(p, tokens: c.tokens, options: option.options)
    expectAgree(analytic.named, numeric.named, within: centralDifferenceTolerance, "row, \(option), seed \(seed)")
  }

  @Test(arguments: fullCases)
  func gradientsMatchAutodiff(option: OptionCase, seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = Self.rowParameters(c)
    let o = option.options
    let layout = MirrorLayout(form: .row, V: vocabularySize, d: embeddingSize, H: hiddenSize,
                              activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
    let auto = mirrorGradient(p.flattened, layout, c.tokens, shapes: p.shapes)
    let analytic = RowBPTT.gradients(p, tokens: c.tokens, options: o)
    for (g, a) in zip(analytic.named, auto) {
      expectAgree(g.value, a, within: autodiffTolerance, "row, \(o), seed \(seed): \(g.name) vs autodiff")
    }
  }

  /// The row forward pass holds the transposes of the column pass; gradients are transposes.
  @Test(arguments: randomSeeds)
  func rowFormIsTheTransposeOfTheColumnForm(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = Self.rowParameters(c)
    #expect(p.columnForm == c.parameters)
    for f in tableActivations {
      let options = RNNOptions(activation: f, reduction: .sum)
      let row = RowBPTT.forward(p, tokens: c.tokens, options: options)
      let col = BPTT.forward(c.parameters, tokens: c.tokens, options: options)
      #expect(row.h[0].shape == Shape(1, hiddenSize) && row.yhat[0].shape == Shape(1, vocabularySize))
      for t in 1...c.steps {
        expectAgree(row.z[t - 1], col.z[t - 1].T, within: 1e-14, "z2^(\(t))")
        expectAgree(row.h[t], col.h[t].T, within: 1e-14, "h^(\(t))")
        expectAgree(row.yhat[t - 1], col.yhat[t - 1].T, within: 1e-14, "ŷ^(\(t))")
      }
      expectClose(row.loss, col.loss, within: 1e-14, "J")
      expectClose(row.perplexity, col.perplexity, within: 1e-14, "perplexity")
      let gr = RowBPTT.gradients(p, tokens: c.tokens, options: options)
      let gc = BPTT.gradients(c.parameters, tokens: c.tokens, options: options)
      #expect(gr.dW_h == gc.dW_h.T && gr.dW_o == gc.dU.T && gr.dW_x == gc.dE.T && gr.dh0 == gc.dh0.T)
      #expect(RowBPTT.deltas(p, tokens: c.tokens, options: options) == BPTT.deltas(c.parameters, tokens: c.tokens, options: options))
      #expect(BPTT.gradients(p, tokens: c.tokens, options: options) == gr && BPTT.forward(p, tokens: c.tokens, options: options) == row)
      #expect(BPTT.loss(p, tokens: c.tokens, options: options) == row.loss && BPTT.deltas(p, tokens: c.tokens, options: options) == RowBPTT.deltas(p, tokens: c.tokens, options: options))
    }
  }

  /// Note 004's outer products: ∂J^(t)/∂W_o = h^(t)ᵀ δ1^(t), ∂J^(t)/∂W_h|_(t) = h^(t−1)ᵀ δ2^(t).
  @Test(arguments: randomSeeds)
  func outerProductsOfNote004(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let p = Self.rowParameters(c)
    let options = RNNOptions(truncation: .window(1))
    let fp = RowBPTT.forward(p, tokens: c.tokens, options: options)
    let deltas = RowBPTT.deltas(p, tokens: c.tokens, options: options)
    var dW_o = Matrix(shape: p.W_o.shape), dW_h = Matrix(shape: p.W_h.shape)
    for t in 1...c.steps {
      dW_o += fp.h[t].T * deltas.delta1.row(t - 1)
      dW_h += fp.h[t - 1].T * deltas.delta2.row(t - 1)
    }
    let g = RowBPTT.gradients(p, tokens: c.tokens, options: options)
    expectAgree(g.dW_o, dW_o / Double(c.steps), within: 1e-14, "Σₜ h^(t)ᵀ δ1^(t) / T")
    expectAgree(g.dW_h, dW_h / Double(c.steps), within: 1e-14, "Σₜ h^(t−1)ᵀ δ2^(t) / T (window 1)")
  }
}
