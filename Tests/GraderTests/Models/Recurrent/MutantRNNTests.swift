import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("MutantRNN")
struct MutantRNNTests {
  static let optionSets: [RNNOptions] = [
    RNNOptions(),
    RNNOptions(activation: .tanh, useBiases: false, reduction: .sum),
    RNNOptions(activation: .sigmoid, truncation: .window(3)),
    RNNOptions(activation: .tanh, truncation: .chunks(2), clipping: .globalNorm(0.05)),
    RNNOptions(activation: .relu, reduction: .sum, clipping: .value(0.02)),
  ]

  static func model(seed: UInt64) -> (RNNParameters, [Int]) {
    var rng = SplitMix64(seed: seed)
    let p = RNNParameters.random(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, scale: 0.9, using: &rng)
    let tokens = (0..<7).map { _ in rng.int(below: 7) }
    return (p, tokens)
  }

  static func expectClose(_ a: Matrix, _ b: Matrix, _ what: String) {
    #expect(a.shape == b.shape, "\(what)")
    let err = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(err <= 1e-12 * max(1, b.maxAbs), "\(what): max error \(err)")
  }

  @Test("with no mistake it equals BPTT (gradients, loss, deltas, per-step terms) on 20 seeds", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    for seed in randomSeeds {
      let (p, tokens) = Self.model(seed: seed)
      let r = MutantRNN.evaluate(p, tokens: tokens, options: options)
      let g = BPTT.gradients(p, tokens: tokens, options: options)
      for ((name, mine), (_, theirs)) in zip(r.gradients.named, g.named) { Self.expectClose(mine, theirs, "\(name) seed \(seed) \(options)") }
      #expect(abs(r.loss - BPTT.loss(p, tokens: tokens, options: options)) <= 1e-12)
      let deltas = BPTT.deltas(p, tokens: tokens, options: options)
      Self.expectClose(r.delta1, deltas.delta1, "delta1")
      Self.expectClose(r.delta2, deltas.delta2, "delta2")
      let terms = ExplicitBPTT.recurrentWeightTerms(p, tokens: tokens, options: options, t: tokens.count - 1)
      for (i, (mine, theirs)) in zip(r.dW_h_terms, terms).enumerated() { Self.expectClose(mine, theirs, "term \(i + 1)") }
    }
  }

  @Test("with no mistake the canonical form equals CanonicalRNN on 20 seeds", arguments: optionSets.indices)
  func canonicalEqualsReference(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let p = CanonicalRNNParameters.random(vocabularySize: 6, hiddenSize: 4, scale: 0.9, using: &rng)
      let tokens = (0..<6).map { _ in rng.int(below: 6) }
      let r = MutantRNN.canonical(p, tokens: tokens, options: options)
      let g = CanonicalRNN.gradients(p, tokens: tokens, options: options)
      for ((name, mine), (_, theirs)) in zip(r.gradients.named, g.named) { Self.expectClose(mine, theirs, "\(name) seed \(seed)") }
      #expect(abs(r.loss - CanonicalRNN.loss(p, tokens: tokens, options: options)) <= 1e-12)
    }
  }

  @Test("mistakes with a closed form: sign is −g, the mean's 1/T missing is T·g, applied twice g/T")
  func closedForms() {
    for seed in randomSeeds.prefix(5) {
      let (p, tokens) = Self.model(seed: seed)
      let T = Double(tokens.count - 1)
      let g = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions()).gradients
      let sign = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: .signFlipped).gradients
      let missing = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: .meanMissing).gradients
      let twice = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: .meanTwice).gradients
      for k in g.named.indices {
        Self.expectClose(sign.named[k].value, -g.named[k].value, "sign \(g.named[k].name)")
        Self.expectClose(missing.named[k].value, T * g.named[k].value, "missing \(g.named[k].name)")
        Self.expectClose(twice.named[k].value, g.named[k].value / T, "twice \(g.named[k].name)")
      }
    }
  }

  @Test("the truncated mutant is BPTT with window(k); h^(t) in the outer product is Σ ∂J/∂z^(t) h^(t)ᵀ")
  func truncationAndOuterProduct() {
    for seed in randomSeeds.prefix(5) {
      let (p, tokens) = Self.model(seed: seed)
      for k in 1...4 {
        let options = RNNOptions(truncation: .window(k))
        Self.expectClose(MutantRNN.evaluate(p, tokens: tokens, options: options).gradients.dW_h, BPTT.gradients(p, tokens: tokens, options: options).dW_h, "window \(k)")
      }
      let fwd = BPTT.forward(p, tokens: tokens)
      let dJdz = BPTT.deltas(p, tokens: tokens).dJdz
      var expected = Matrix(rows: 4, cols: 4)
      for t in 1...(tokens.count - 1) { expected += Matrix.outer(dJdz.row(t - 1), fwd.h[t]) }
      Self.expectClose(MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: .currentStateInOuterProduct).gradients.dW_h, expected, "h^(t)")
    }
  }

  @Test("the assigned embedding keeps only the earliest occurrence of a repeated word")
  func embeddingAssigned() {
    let (p, _) = Self.model(seed: 5)
    let tokens = [2, 4, 2, 6, 2, 1, 3]
    let fwdGz = BPTT.deltas(p, tokens: tokens).dJdz
    let dE = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: .embeddingAssigned).gradients.dE
    let first = p.W_e.T * fwdGz.row(0).T                       // word 2 at t = 1
    Self.expectClose(dE.column(2), first, "column 2")
    Self.expectClose(dE.column(4), BPTT.gradients(p, tokens: tokens).dE.column(4), "column 4 (used once)")
  }

  @Test("every RNN mistake changes some item")
  func everyMistakeChangesSomething() {
    let (p, tokens) = Self.model(seed: 11)
    let base = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions())
    let mistakes: [RNNMistakes] = [.signFlipped, .activationForDerivative, .derivativeAtNextStep, .diagonalSoftmaxJacobian, .meanMissing,
                                   .meanTwice, .currentStateInOuterProduct, .outputErrorRecounted, .embeddingAssigned, .biasesOmitted]
    for m in mistakes {
      let r = MutantRNN.evaluate(p, tokens: tokens, options: RNNOptions(), mistakes: m)
      let differs = zip(r.gradients.named, base.gradients.named).contains { $0.value != $1.value }
      #expect(differs, "\(m.rawValue)")
    }
    let sum = RNNOptions(reduction: .sum)
    #expect(MutantRNN.evaluate(p, tokens: tokens, options: sum, mistakes: .meanOnSum).gradients.dW_h != MutantRNN.evaluate(p, tokens: tokens, options: sum).gradients.dW_h)
  }
}
