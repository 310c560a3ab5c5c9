import Testing
import Jacobians
import BPTTReference
import TestSupport

/// The lines of `RNNLine` against the references they check: for a random direction c, the
/// central difference of φ at 0 (h = 10⁻⁵, error O(h²) ≈ 10⁻¹⁰ here) equals ⟨item, c⟩ to 10⁻⁶ of
/// Σ|item_k c_k|, over the option table (every truncation, kinked activations included) on 5 seeds.
///
/// ```
/// objective    direction            item
/// loss         W_h, W_e, E, b_1, U, b_2, h0 at once     Σ ⟨∂J/∂θ, c_θ⟩
/// stepLosses   logits (T × |V|)      delta1
/// stepLosses   z^(t), output only    delta2 (the cross terms ∂J^(t)/∂z^(s), s < t, stay out)
/// lastStep     each step's W_h       dW_h terms of J^(T)
/// ```
@Suite("Lines through the RNN's point")
struct RNNLineTests {
  static func derivative(_ line: RNNLine, _ c: RNNLine.Direction, _ objective: RNNLine.Objective) -> Double {
    let h = 1e-5
    let v = line.values(at: [h, -h], along: c, objective: objective)
    return (v[0] - v[1]) / (2 * h)
  }

  static func dot(_ a: Matrix, _ b: Matrix) -> (value: Double, scale: Double) {
    zip(a.scalars, b.scalars).reduce((0.0, 0.0)) { ($0.0 + $1.0 * $1.1, $0.1 + abs($1.0 * $1.1)) }
  }

  static func expectProjection(_ numeric: Double, _ exact: (value: Double, scale: Double), _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    let err = abs(numeric - exact.value) / max(exact.scale, 1e-300)
    if !(err <= 1e-6) { Issue.record("\(what): φ′(0) = \(numeric), ⟨item, c⟩ = \(exact.value), error \(err) of Σ|item c|", sourceLocation: sourceLocation) }
  }

  @Test("φ′(0) is the projection of every item the line checks", arguments: optionTable)
  func projections(o: OptionCase) {
    for seed in randomSeeds.prefix(5) {
      let s = SeededCase(seed: seed)
      let p = s.parameters, T = s.steps, H = p.hiddenSize, V = p.vocabularySize, d = p.embeddingSize
      let line = RNNLine(p, tokens: s.tokens, options: o.options)
      let r = BPTT.items(p, tokens: s.tokens, options: o.options)
      var rng = SplitMix64(seed: seed ^ 0x5EED)
      func m(_ rows: Int, _ cols: Int) -> Matrix { rng.matrix(rows, cols) }
      // Every parameter at once.
      let c = RNNLine.Direction(E: m(d, V), W_h: m(H, H), W_e: m(H, d), b_1: m(H, 1), U: m(V, H), b_2: m(V, 1), h0: m(H, 1))
      let g = r.gradients
      let parts = [Self.dot(g.dE, c.E!), Self.dot(g.dW_h, c.W_h!), Self.dot(g.dW_e, c.W_e!), Self.dot(g.dU, c.U!), Self.dot(g.dh0, c.h0!)]
        + (o.options.useBiases ? [Self.dot(g.db_1, c.b_1!), Self.dot(g.db_2, c.b_2!)] : [])
      let total = parts.reduce((value: 0.0, scale: 0.0)) { ($0.value + $1.value, $0.scale + $1.scale) }
      Self.expectProjection(Self.derivative(line, c, .loss), total, "\(o) seed \(seed) every parameter")
      // Each alone, the states unmoved for U and b_2.
      Self.expectProjection(Self.derivative(line, .init(U: c.U), .loss), Self.dot(g.dU, c.U!), "\(o) seed \(seed) U")
      Self.expectProjection(Self.derivative(line, .init(W_h: c.W_h), .loss), Self.dot(g.dW_h, c.W_h!), "\(o) seed \(seed) W_h")
      // The per-step items.
      let cl = m(T, V)
      Self.expectProjection(Self.derivative(line, .init(logits: cl), .stepLosses), Self.dot(r.deltas.delta1, cl), "\(o) seed \(seed) delta1")
      let cz = m(T, H)
      Self.expectProjection(Self.derivative(line, .init(outputPreactivations: cz), .stepLosses), Self.dot(r.deltas.delta2, cz), "\(o) seed \(seed) delta2")
      let cw = m(T, H * H)
      Self.expectProjection(Self.derivative(line, .init(W_hAtStep: cw), .lastStep), Self.dot(r.recurrentWeightTerms, cw), "\(o) seed \(seed) dW_h terms")
      // At ε = 0 the line is the objective.
      expectClose(line.value(.loss), BPTT.loss(p, tokens: s.tokens, options: o.options), within: 1e-12, "\(o) seed \(seed) φ(0)")
    }
  }

  @Test("the canonical RNN's line: φ′(0) = Σ ⟨∂E/∂θ, c_θ⟩ with W_xh in the place of W_e", arguments: optionTable)
  func canonical(o: OptionCase) {
    for seed in randomSeeds.prefix(5) {
      var rng = SplitMix64(seed: seed)
      let p = CanonicalRNNParameters.random(vocabularySize: 6, hiddenSize: 4, scale: 0.8, using: &rng)
      let tokens = (0...5).map { _ in rng.int(below: 6) }
      let line = RNNLine(p, tokens: tokens, options: o.options)
      let (_, g) = CanonicalRNN.lossAndGradients(p, tokens: tokens, options: o.options)
      let c = RNNLine.Direction(W_h: rng.matrix(4, 4), W_e: rng.matrix(4, 6), b_1: rng.matrix(4, 1), U: rng.matrix(6, 4), b_2: rng.matrix(6, 1), h0: rng.matrix(4, 1))
      let parts = [Self.dot(g.dW_hh, c.W_h!), Self.dot(g.dW_xh, c.W_e!), Self.dot(g.dW_yh, c.U!), Self.dot(g.dh0, c.h0!)]
        + (o.options.useBiases ? [Self.dot(g.db_h, c.b_1!), Self.dot(g.db_y, c.b_2!)] : [])
      let total = parts.reduce((value: 0.0, scale: 0.0)) { ($0.value + $1.value, $0.scale + $1.scale) }
      Self.expectProjection(Self.derivative(line, c, .loss), total, "\(o) seed \(seed)")
    }
  }
}
