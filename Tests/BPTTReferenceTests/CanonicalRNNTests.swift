import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct CanonicalRNNTests {
  static func model(_ seed: UInt64) -> (CanonicalRNNParameters, [Int]) {
    var rng = SplitMix64(seed: seed)
    let p = CanonicalRNNParameters.random(vocabularySize: vocabularySize, hiddenSize: hiddenSize, scale: 0.8, using: &rng)
    let T = 4 + Int(seed % 3)
    return (p, (0...T).map { _ in rng.int(below: vocabularySize) })
  }

  static let optionSets: [OptionCase] = [
    OptionCase(options: CanonicalRNN.defaultOptions),
    OptionCase(options: RNNOptions(activation: .sigmoid, useBiases: false, reduction: .mean)),
    OptionCase(options: RNNOptions(activation: .relu, reduction: .sum)),
    OptionCase(options: RNNOptions(activation: .tanh, reduction: .sum, truncation: .chunks(2))),
    OptionCase(options: RNNOptions(activation: .tanh, reduction: .sum, truncation: .window(2))),
  ]
  static let cases: [(OptionCase, UInt64)] = optionSets.flatMap { o in randomSeeds.map { (o, $0) } }

  @Test func defaultsAreMinCharRNN() {
    #expect(CanonicalRNN.defaultOptions.activation == .tanh)
    #expect(CanonicalRNN.defaultOptions.reduction == .sum)
    #expect(CanonicalRNN.defaultOptions.truncation == .full && CanonicalRNN.defaultOptions.clipping == .none)
  }

  @Test(arguments: cases)
  func gradientsMatchCentralDifferences(option: OptionCase, seed: UInt64) {
    let (p, tokens) = Self.model(seed)
    let o = option.options
    let g = CanonicalRNN.gradients(p, tokens: tokens, options: o)
    let numeric = TruncatedObjective.numericGradient(p.flattened, .canonical(o), tokens: tokens, truncation: o.truncation, shapes: p.shapes)
    let theta = p.flattened.map { Wide($0) }
    let ref = TruncatedObjective.value(theta, .canonical(o), tokens: tokens, truncation: .full,
                                       frozen: TruncatedObjective.states(theta, .canonical(o), tokens: tokens))
    expectClose(CanonicalRNN.loss(p, tokens: tokens, options: o), Double(ref), within: 1e-13, "reference loss")
    for (a, n) in zip(g.named, numeric) {
      expectAgree(a.value, n, within: centralDifferenceTolerance, "canonical \(o), seed \(seed): \(a.name)")
    }
  }

  @Test(arguments: randomSeeds)
  func gradientsMatchAutodiff(seed: UInt64) {
    let (p, tokens) = Self.model(seed)
    for o in [CanonicalRNN.defaultOptions, RNNOptions(activation: .sigmoid, useBiases: false, reduction: .mean)] {
      let layout = MirrorLayout(form: .canonical, V: vocabularySize, d: 0, H: hiddenSize,
                                activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
      let auto = mirrorGradient(p.flattened, layout, tokens, shapes: p.shapes)
      let g = CanonicalRNN.gradients(p, tokens: tokens, options: o)
      for (a, n) in zip(g.named, auto) {
        expectAgree(a.value, n, within: autodiffTolerance, "canonical \(o), seed \(seed): \(a.name) vs autodiff")
      }
    }
  }

  /// The canonical RNN is the column form with E = I and W_e = W_xh.
  @Test(arguments: randomSeeds)
  func canonicalIsTheColumnFormWithIdentityEmbedding(seed: UInt64) {
    let (p, tokens) = Self.model(seed)
    let o = CanonicalRNN.defaultOptions
    let col = p.columnForm
    let fc = CanonicalRNN.forward(p, tokens: tokens, options: o)
    let fb = BPTT.forward(col, tokens: tokens, options: o)
    expectClose(fc.loss, fb.loss, within: 1e-14, "loss")
    #expect(fc.h.count == fb.h.count)
    let gc = CanonicalRNN.gradients(p, tokens: tokens, options: o)
    let gb = BPTT.gradients(col, tokens: tokens, options: o)
    expectAgree(gc.dW_xh, gb.dW_e, within: 1e-14, "dW_xh = dW_e")
    expectAgree(gc.dW_hh, gb.dW_h, within: 1e-14, "dW_hh")
    expectAgree(gc.dW_yh, gb.dU, within: 1e-14, "dW_yh")
    expectAgree(gc.db_h, gb.db_1, within: 1e-14, "db_h")
    expectAgree(gc.db_y, gb.db_2, within: 1e-14, "db_y")
    expectAgree(gc.dh0, gb.dh0, within: 1e-14, "dh0")
    // Columns of W_xh of words never input get no gradient.
    for w in 0..<vocabularySize where !tokens.dropLast().contains(w) {
      #expect(gc.dW_xh.column(w).maxAbs == 0)
    }
    expectClose(CanonicalRNN.loss(p, tokens: tokens, options: o), fc.loss, within: 0, "loss and forward agree")
  }

  /// min-char-rnn clips every entry to [−5, 5].
  @Test func clippingByValueLikeMinCharRNN() {
    var (p, tokens) = Self.model(3)
    p.W_yh = 50 * p.W_yh
    var o = CanonicalRNN.defaultOptions
    let raw = CanonicalRNN.gradients(p, tokens: tokens, options: o)
    o.clipping = .value(5)
    let clipped = CanonicalRNN.gradients(p, tokens: tokens, options: o)
    #expect(raw.named.contains { $0.value.maxAbs > 5 })
    for (r, c) in zip(raw.named, clipped.named) {
      #expect(c.value == r.value.map { min(max($0, -5), 5) }, "\(r.name)")
    }
  }
}
