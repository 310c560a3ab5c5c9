import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

/// The LSTM's own slips beyond the table of `GatedSlipEvaluationTests`.
@Suite("LSTMSlipEvaluation")
struct LSTMSlipEvaluationTests {
  @Test("the gate gradients written in the other order are the reference's blocks permuted")
  func blocksWrittenInOtherOrder() {
    let model = LSTMLanguageModel(sizes: GatedSlipEvaluationTests.sizes, options: LSTMOptions())
    for seed in randomSeeds.prefix(5) {
      let inputs = GatedSlipEvaluationTests.inputs(model, seed: seed)
      let p = model.parameters(inputs)
      let expected = LSTMLanguageModel.tensors(LSTM.gradients(p, tokens: model.tokens(inputs), options: model.options).reorderingGates(from: .ifog, to: .ifgo))
      let evaluation = model.derivation!.prepare(inputs)
      let written = AppliedSlip(step: "gate-order", kind: .custom("gate-order"), parameter: 2)
      for q in model.items {
        if LSTMLanguageModel.blockItems.contains(q.name) {
          GatedSlipEvaluationTests.expectClose(evaluation.value(of: q.name, with: [written]), expected[q.name], "\(q.name) seed \(seed)")
        } else {
          #expect(evaluation.value(of: q.name, with: [written]) == nil, "\(q.name) has no gate blocks")
        }
      }
    }
  }
}
