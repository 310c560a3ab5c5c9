import Testing
import Jacobians
@testable import BPTTReference
import TestSupport

@Suite struct RecurrentCoreTests {
  /// The stable softmax cross entropy: shifting every logit by a constant changes nothing, and
  /// logits of 1000 neither overflow nor lose the answer.
  @Test func softmaxIsStable() {
    var row: [Double] = [1000, 999, 998]
    let loss = row.withUnsafeMutableBufferPointer { RecurrentCore.softmaxInPlace($0.baseAddress!, 3, target: 1) }
    var shifted: [Double] = [2, 1, 0]
    let reference = shifted.withUnsafeMutableBufferPointer { RecurrentCore.softmaxInPlace($0.baseAddress!, 3, target: 1) }
    expectClose(loss, reference, within: 1e-13, "shift invariance")
    expectAgree(Matrix(row: row), Matrix(row: shifted), within: 1e-15, "probabilities")
    expectClose(CrossEntropy.loss(scores: [1000, 999, 998], label: 1), loss, within: 1e-15, "CrossEntropy")
    #expect(loss.isFinite)
  }

  @Test func stepWeights() {
    #expect(RecurrentCore.weights(steps: 4, reduction: .mean) == [0.25, 0.25, 0.25, 0.25])
    #expect(RecurrentCore.weights(steps: 3, only: 2) == [0, 1, 0])
  }

  /// The weighted backward pass is linear in the weights: Σₜ ∂J^(t)/∂θ = ∂(Σₜ J^(t))/∂θ.
  @Test(arguments: randomSeeds)
  func backwardIsLinearInTheWeights(seed: UInt64) {
    let c = SeededCase(seed: seed)
    for tr in tableTruncations {
      let o = RNNOptions(activation: .tanh, reduction: .sum, truncation: tr)
      let whole = BPTT.gradients(c.parameters, tokens: c.tokens, options: o)
      var sum = RNNGradients(zerosLike: c.parameters)
      for t in 1...c.steps {
        let g = BPTT.stepGradients(c.parameters, tokens: c.tokens, options: o, t: t)
        sum = RNNGradients(dE: sum.dE + g.dE, dW_h: sum.dW_h + g.dW_h, dW_e: sum.dW_e + g.dW_e, db_1: sum.db_1 + g.db_1,
                           dU: sum.dU + g.dU, db_2: sum.db_2 + g.db_2, dh0: sum.dh0 + g.dh0)
      }
      expectAgree(whole.named, sum.named, within: 1e-13, "\(tr)")
    }
  }
}
