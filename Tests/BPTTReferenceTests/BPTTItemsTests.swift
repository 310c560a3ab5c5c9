import Testing
import Jacobians
import BPTTReference
import TestSupport

/// `BPTT.items` (one forward pass for every item) against the separate references, and the
/// canonical RNN's `lossAndGradients` against `loss` and `gradients`, over the option table on
/// the 20 seeds: the same numbers to 1e-12.
@Suite("Every item from one forward pass")
struct BPTTItemsTests {
  @Test("BPTT.items equals BPTT.loss, gradients, deltas and ExplicitBPTT's per-step terms", arguments: optionTable)
  func items(o: OptionCase) {
    for seed in randomSeeds.prefix(5) {
      let c = SeededCase(seed: seed)
      let T = c.steps
      let r = BPTT.items(c.parameters, tokens: c.tokens, options: o.options)
      expectClose(r.loss, BPTT.loss(c.parameters, tokens: c.tokens, options: o.options), within: pathTolerance, "\(o) seed \(seed) loss")
      expectAgree(r.gradients.named, BPTT.gradients(c.parameters, tokens: c.tokens, options: o.options).named, within: pathTolerance, "\(o) seed \(seed)")
      let d = BPTT.deltas(c.parameters, tokens: c.tokens, options: o.options)
      expectAgree(r.deltas.delta1, d.delta1, within: pathTolerance, "\(o) seed \(seed) delta1")
      expectAgree(r.deltas.delta2, d.delta2, within: pathTolerance, "\(o) seed \(seed) delta2")
      expectAgree(r.deltas.dJdz, d.dJdz, within: pathTolerance, "\(o) seed \(seed) dJdz")
      for t in [1, T] {
        let explicit = ExplicitBPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: o.options, t: t)
        let fast = BPTT.recurrentWeightTerms(c.parameters, tokens: c.tokens, options: o.options, t: t)
        let H = c.parameters.hiddenSize
        for i in 0..<T {
          let row = Matrix(rows: H, cols: H, scalars: Array(fast.scalars[(i * H * H)..<((i + 1) * H * H)]))
          if i < explicit.count {
            expectAgree(row, explicit[i], within: pathTolerance, "\(o) seed \(seed) term \(i + 1) of J^(\(t))")
          } else {
            #expect(row.scalars.allSatisfy { $0 == 0 }, "\(o) seed \(seed): the terms after step \(t) are zero")
          }
        }
        if t == T { #expect(fast == r.recurrentWeightTerms) }
      }
    }
  }

  @Test("CanonicalRNN.lossAndGradients equals loss and gradients", arguments: optionTable)
  func canonical(o: OptionCase) {
    for seed in randomSeeds.prefix(5) {
      var rng = SplitMix64(seed: seed)
      let p = CanonicalRNNParameters.random(vocabularySize: 6, hiddenSize: 4, scale: 0.8, using: &rng)
      let tokens = (0...5).map { _ in rng.int(below: 6) }
      let (loss, g) = CanonicalRNN.lossAndGradients(p, tokens: tokens, options: o.options)
      expectClose(loss, CanonicalRNN.loss(p, tokens: tokens, options: o.options), within: pathTolerance, "\(o) seed \(seed) loss")
      let h = CanonicalRNN.gradients(p, tokens: tokens, options: o.options)
      for (a, b, name) in [(g.dW_xh, h.dW_xh, "dW_xh"), (g.dW_hh, h.dW_hh, "dW_hh"), (g.dW_yh, h.dW_yh, "dW_yh"),
                           (g.db_h, h.db_h, "db_h"), (g.db_y, h.db_y, "db_y"), (g.dh0, h.dh0, "dh0")] {
        expectAgree(a, b, within: pathTolerance, "\(o) seed \(seed) \(name)")
      }
    }
  }
}
