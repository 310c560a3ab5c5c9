import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The GRU in the row-vector convention (d2l's), tested on its own parameters.
@Suite struct RowGRUTests {
  @Test(arguments: randomSeeds)
  func rowFormIsTheTransposeOfTheColumnForm(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let row = RowGRUParameters(column: c.parameters)
    #expect(row.columnForm == c.parameters)
    #expect(row.W_h.shape == Shape(gateHiddenSize, 3 * gateHiddenSize) && row.b_h.shape == Shape(1, 3 * gateHiddenSize))
    for variant in gruVariants {
      for tr in [Truncation.full, .window(1), .chunks(2)] {
        var options = variant
        options.truncation = tr
        let fr = RowGRU.forward(row, tokens: c.tokens, options: options)
        let fc = GRU.forward(c.parameters, tokens: c.tokens, options: options)
        for (name, a, b) in [("ax", fr.ax, fc.ax), ("ah", fr.ah, fc.ah), ("r", fr.r, fc.r), ("z", fr.z, fc.z), ("n", fr.n, fc.n),
                             ("h", fr.h, fc.h), ("ŷ", fr.yhat, fc.yhat), ("e", fr.e, fc.e)] {
          expectAgree(a, b, within: 1e-14, "\(name), \(options)")
        }
        expectClose(fr.loss, fc.loss, within: 1e-14, "J")
        let gr = RowGRU.gradients(row, tokens: c.tokens, options: options)
        let gc = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
        #expect(gr == RowGRUGradients(column: gc))
        #expect(gr.dW_x == gc.dW_x.T && gr.dW_h == gc.dW_h.T && gr.db_x == gc.db_x.T && gr.db_h == gc.db_h.T && gr.dU == gc.dU.T)
        #expect(gr.dE == gc.dE.T && gr.dh0 == gc.dh0.T && gr.dh == gc.dh && gr.dax == gc.dax && gr.dah == gc.dah)
      }
    }
  }

  @Test(arguments: randomSeeds)
  func rowGradientsMatchCentralDifferences(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let row = RowGRUParameters(column: c.parameters)
    func parameters(_ m: [Matrix]) -> RowGRUParameters {
      RowGRUParameters(E: m[0], W_x: m[1], W_h: m[2], b_x: m[3], b_h: m[4], U: m[5], b_2: m[6], h0: m[7])
    }
    let options = gruVariants[Int(seed % 4)]
    let numeric = NumericGradient.gradients(of: { RowGRU.loss(parameters($0), tokens: c.tokens, options: options) },
                                            at: row.named.map(\.value))
    let analytic = RowGRU.gradients(row, tokens: c.tokens, options: options)
    expectAgree(analytic.named, renamed(analytic.named, numeric), within: centralDifferenceTolerance, "row, \(options), seed \(seed)")
    var truncated = options
    truncated.truncation = .chunks(2)
    let numericTruncated = NumericGradient.gradients(of: {
      RowGRU.surrogateLoss(parameters($0), cutStatesFrom: row, tokens: c.tokens, options: truncated)
    }, at: row.named.map(\.value))
    let analyticTruncated = RowGRU.gradients(row, tokens: c.tokens, options: truncated)
    expectAgree(analyticTruncated.named, renamed(analyticTruncated.named, numericTruncated), within: centralDifferenceTolerance,
                "row, \(truncated), seed \(seed)")
  }
}
