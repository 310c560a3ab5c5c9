import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The LSTM in the row-vector convention (CS231n's), tested on its own parameters.
@Suite struct RowLSTMTests {
  /// The row forward pass (row vectors, step by step) computes the column form's numbers; the
  /// row gradients are the column gradients transposed, the carries the same matrices.
  @Test(arguments: randomSeeds)
  func rowFormIsTheTransposeOfTheColumnForm(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let row = RowLSTMParameters(column: c.parameters)
    #expect(row.columnForm == c.parameters)
    #expect(row.W_x.shape == Shape(gateEmbeddingSize, 4 * gateHiddenSize) && row.E.shape == Shape(gateVocabularySize, gateEmbeddingSize))
    for order in LSTMGateOrder.allCases {
      for tr in [Truncation.full, .window(2), .chunks(3)] {
        let options = LSTMOptions(gateOrder: order, reduction: .sum, truncation: tr)
        let fr = RowLSTM.forward(row, tokens: c.tokens, options: options)
        let fc = LSTM.forward(c.parameters, tokens: c.tokens, options: options)
        for (name, a, b) in [("a", fr.a, fc.a), ("i", fr.i, fc.i), ("f", fr.f, fc.f), ("o", fr.o, fc.o), ("g", fr.g, fc.g),
                             ("c", fr.c, fc.c), ("h", fr.h, fc.h), ("ŷ", fr.yhat, fc.yhat), ("e", fr.e, fc.e)] {
          expectAgree(a, b, within: 1e-14, "\(name), \(options)")
        }
        expectClose(fr.loss, fc.loss, within: 1e-14, "J")
        expectClose(RowLSTM.loss(row, tokens: c.tokens, options: options), fc.loss, within: 1e-14, "row J")
        let gr = RowLSTM.gradients(row, tokens: c.tokens, options: options)
        let gc = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
        #expect(gr == RowLSTMGradients(column: gc))
        #expect(gr.dW_x == gc.dW_x.T && gr.dW_h == gc.dW_h.T && gr.db == gc.db.T && gr.dU == gc.dU.T && gr.dE == gc.dE.T)
        #expect(gr.dh0 == gc.dh0.T && gr.dc0 == gc.dc0.T && gr.dh == gc.dh && gr.dc == gc.dc && gr.da == gc.da && gr.loss == gc.loss)
        #expect(RowLSTM.surrogateLoss(row, cutStatesFrom: row, tokens: c.tokens, options: options)
                == LSTM.surrogateLoss(c.parameters, cutStatesFrom: c.parameters, tokens: c.tokens, options: options))
      }
    }
  }

  /// Central differences of the row form's own loss (and truncated objective) with respect to
  /// the row parameters.
  @Test(arguments: randomSeeds)
  func rowGradientsMatchCentralDifferences(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let row = RowLSTMParameters(column: c.parameters)
    func parameters(_ m: [Matrix]) -> RowLSTMParameters {
      RowLSTMParameters(E: m[0], W_x: m[1], W_h: m[2], b: m[3], U: m[4], b_2: m[5], h0: m[6], c0: m[7])
    }
    let full = LSTMOptions(gateOrder: .ifgo)
    let numeric = NumericGradient.gradients(of: { RowLSTM.loss(parameters($0), tokens: c.tokens, options: full) },
                                            at: row.named.map(\.value))
    let analytic = RowLSTM.gradients(row, tokens: c.tokens, options: full)
    expectAgree(analytic.named, renamed(analytic.named, numeric), within: centralDifferenceTolerance, "row, full, seed \(seed)")
    let truncated = LSTMOptions(reduction: .sum, truncation: .window(2))
    let numericTruncated = NumericGradient.gradients(of: {
      RowLSTM.surrogateLoss(parameters($0), cutStatesFrom: row, tokens: c.tokens, options: truncated)
    }, at: row.named.map(\.value))
    let analyticTruncated = RowLSTM.gradients(row, tokens: c.tokens, options: truncated)
    expectAgree(analyticTruncated.named, renamed(analyticTruncated.named, numericTruncated), within: centralDifferenceTolerance,
                "row, window(2), seed \(seed)")
  }
}
