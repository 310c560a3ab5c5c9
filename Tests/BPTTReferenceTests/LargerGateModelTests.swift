import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The option tables run at H = 2; these check the same identities once more at the largest
/// sizes of the suite, |V| = 7, d = 3, H = 4, T = 6.
@Suite struct LargerGateModelTests {
  static let V = 7, d = 3, H = 4

  static func tokens(_ rng: inout SplitMix64) -> [Int] { (0...6).map { _ in rng.int(below: V) } }

  @Test(arguments: randomSeeds)
  func lstmPathsAndAutodiffAgree(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let p = LSTMParameters.random(vocabularySize: Self.V, embeddingSize: Self.d, hiddenSize: Self.H, scale: 0.8, using: &rng)
    let tokens = Self.tokens(&rng)
    let options = LSTMOptions(gateOrder: seed % 2 == 0 ? .ifog : .ifgo, truncation: [.full, .window(2), .chunks(4)][Int(seed % 3)])
    let fast = LSTM.gradients(p, tokens: tokens, options: options)
    let explicit = ExplicitLSTM.gradients(p, tokens: tokens, options: options)
    expectAgree(explicit.named, fast.named, within: pathTolerance, "explicit, \(options), seed \(seed)")
    expectAgree(explicit.carries, fast.carries, within: pathTolerance, "carries, \(options), seed \(seed)")
    let auto = lstmMirrorGradient(p, tokens: tokens, options: options)
    expectAgree(fast.named, renamed(fast.named, auto), within: autodiffTolerance, "autodiff, \(options), seed \(seed)")
  }

  @Test(arguments: randomSeeds)
  func gruPathsAndAutodiffAgree(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let p = GRUParameters.random(vocabularySize: Self.V, embeddingSize: Self.d, hiddenSize: Self.H, scale: 0.8, using: &rng)
    let tokens = Self.tokens(&rng)
    var options = gruVariants[Int(seed % 4)]
    options.truncation = [.full, .window(3), .chunks(2)][Int(seed % 3)]
    let fast = GRU.gradients(p, tokens: tokens, options: options)
    let explicit = ExplicitGRU.gradients(p, tokens: tokens, options: options)
    expectAgree(explicit.named, fast.named, within: pathTolerance, "explicit, \(options), seed \(seed)")
    expectAgree(explicit.carries, fast.carries, within: pathTolerance, "carries, \(options), seed \(seed)")
    let auto = gruMirrorGradient(p, tokens: tokens, options: options)
    expectAgree(fast.named, renamed(fast.named, auto), within: autodiffTolerance, "autodiff, \(options), seed \(seed)")
  }
}
