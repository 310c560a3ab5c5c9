import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct RNNParametersTests {
  @Test(arguments: randomSeeds)
  func randomParametersAreReproducibleAndShaped(seed: UInt64) throws {
    var a = SplitMix64(seed: seed), b = SplitMix64(seed: seed)
    let p = RNNParameters.random(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, using: &a)
    #expect(p == RNNParameters.random(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, using: &b))
    try p.validate()
    #expect(p.E.shape == Shape(3, 7) && p.W_h.shape == Shape(4, 4) && p.W_e.shape == Shape(4, 3))
    #expect(p.b_1.shape == Shape(4, 1) && p.U.shape == Shape(7, 4) && p.b_2.shape == Shape(7, 1) && p.h0.shape == Shape(4, 1))
    #expect(p.scalarCount == 21 + 16 + 12 + 4 + 28 + 7 + 4)
    #expect(p.named.map { $0.name } == ["E", "W_h", "W_e", "b_1", "U", "b_2", "h0"])
  }

  @Test func gradientsHaveTheShapesOfTheParameters() {
    let c = SeededCase(seed: 3)
    let g = BPTT.gradients(c.parameters, tokens: c.tokens)
    for (gp, pp) in zip(g.named, c.parameters.named) { #expect(gp.value.shape == pp.value.shape, "\(gp.name)") }
    let zero = RNNGradients(zerosLike: c.parameters)
    #expect(zero.globalNorm == 0)
    #expect(zero.named.map { $0.name } == ["dE", "dW_h", "dW_e", "db_1", "dU", "db_2", "dh0"])
  }

  @Test func wrongShapesAreNamed() {
    var p = SeededCase(seed: 3).parameters
    p.b_2 = Matrix(rows: 1, cols: 7)
    #expect(throws: RNNInputError.shapeMismatch(parameter: "b_2", expected: Shape(7, 1), actual: Shape(1, 7))) { try p.validate() }
  }

  /// Biases off: b_1 and b_2 do not enter, their gradients are zero.
  @Test(arguments: randomSeeds)
  func biasesOffIgnoresTheBiases(seed: UInt64) {
    let c = SeededCase(seed: seed)
    let o = RNNOptions(useBiases: false)
    var q = c.parameters
    q.b_1 = 3 * q.b_1
    q.b_2 = q.b_2.map { $0 + 1 }
    #expect(BPTT.loss(q, tokens: c.tokens, options: o) == BPTT.loss(c.parameters, tokens: c.tokens, options: o))
    let g = BPTT.gradients(c.parameters, tokens: c.tokens, options: o)
    #expect(g.db_1.maxAbs == 0 && g.db_2.maxAbs == 0)
  }
}
