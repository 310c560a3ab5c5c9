import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

/// The GRU's own slips beyond the table of `GatedSlipEvaluationTests`.
@Suite("GRUSlipEvaluation")
struct GRUSlipEvaluationTests {
  @Test("the backward pass of the other update convention and b_hn without ⊙ r are MutantGRU's, on the items behind the gates")
  func backwardOnlyMistakes() {
    for options in GatedSlipEvaluationTests.gru.models.map({ ($0 as! GRULanguageModel).options }) where options.truncation == .full {
      let model = GRULanguageModel(sizes: GatedSlipEvaluationTests.sizes, options: options)
      for seed in randomSeeds.prefix(5) {
        let inputs = GatedSlipEvaluationTests.inputs(model, seed: seed)
        let evaluation = model.derivation!.prepare(inputs)
        let swapped = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: options, mistakes: .updateSwappedInBackward))
        let bias = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: options, mistakes: .resetBiasWithoutGate))
        for q in model.items {
          let v = evaluation.value(of: q.name, with: [AppliedSlip(step: "update-gate", kind: .custom("update-gate"), parameter: 2)])
          if GRULanguageModel.behindCell.contains(q.name) {
            GatedSlipEvaluationTests.expectClose(v, swapped[q.name], "update-gate(2) \(q.name) \(options)", tolerance: 1e-11)
          } else {
            #expect(v == nil, "\(q.name) is not behind the gates")
          }
        }
        if options.reset == .after {
          GatedSlipEvaluationTests.expectClose(evaluation.value(of: "db_h", with: [AppliedSlip(step: "hidden-bias", kind: .dropped)]), bias["db_h"], "b_hn \(options)", tolerance: 1e-11)
        } else {
          #expect(model.derivation!.step("hidden-bias")!.slips.allSatisfy { $0.kind != .dropped })
        }
      }
    }
  }
}
