import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("RecurrentSlipEvaluation")
struct RecurrentSlipEvaluationTests {
  static let optionSets: [RNNOptions] = [
    RNNOptions(),
    RNNOptions(activation: .tanh, useBiases: false, reduction: .sum),
    RNNOptions(activation: .sigmoid, truncation: .window(3)),
    RNNOptions(activation: .tanh, truncation: .chunks(2)),
    RNNOptions(activation: .relu, reduction: .sum, truncation: .window(1)),
  ]

  static func lm(_ options: RNNOptions, T: Int = 6, initialState: InitialState = .given) -> RNNLanguageModel {
    RNNLanguageModel(sizes: ["T": T, "V": 7, "d": 3, "H": 4], options: options, initialState: initialState)
  }

  static func expectClose(_ a: Tensor?, _ b: Tensor?, _ what: String, tolerance: Double = 1e-12) {
    guard let a, let b else { Issue.record("\(what): missing value"); return }
    #expect(a.shape == b.shape, "\(what)")
    let err = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    let scale = max(1, b.scalars.map(abs).max() ?? 0)
    #expect(err <= tolerance * scale, "\(what): max error \(err)")
  }

  @Test("with no slip every item equals the reference (BPTT, ExplicitBPTT) on 20 seeds", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let model = Self.lm(Self.optionSets[optionIndex])
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: []), reference[q.name], "\(q.name) seed \(seed) \(model.options)") }
    }
  }

  @Test("with no slip the canonical RNN's items equal CanonicalRNN on 20 seeds")
  func canonicalEqualsReference() throws {
    let model = try #require(try grader("rnn-canonical").model as? CanonicalRNNModel)
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: []), reference[q.name], "\(q.name) seed \(seed)") }
    }
  }

  /// `slip`'s value of `items` against the reference of a model with other options.
  static func expectSlipIsModel(_ slip: AppliedSlip, base: RNNOptions = RNNOptions(), as other: RNNOptions, items: [String], seeds: ArraySlice<UInt64> = randomSeeds.prefix(5)) {
    let model = lm(base), reference = lm(other)
    for seed in seeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let expected = reference.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for item in items { expectClose(evaluation.value(of: item, with: [slip]), expected[item], "\(slip) \(item) seed \(seed)", tolerance: 1e-11) }
    }
  }

  @Test("a truncation slip of k steps is BPTT truncated to k steps, in windows and in chunks", arguments: 1...5)
  func truncationIsBPTT(k: Int) {
    let items = ["dW_h", "dW_e", "db_1", "dE", "dh0", "dW_h_terms"]
    Self.expectSlipIsModel(AppliedSlip(step: "bptt", kind: .truncated(.window), parameter: k), as: RNNOptions(truncation: .window(k)), items: items)
    Self.expectSlipIsModel(AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: k), as: RNNOptions(truncation: .chunks(k)), items: items)
  }

  @Test("another activation in the forward pass is the reference of that activation; biases left out are the forward pass without them")
  func forwardSlipsAreModels() {
    let all = ["loss", "dU", "dW_h", "dW_e", "dE", "dh0", "delta1", "delta2", "dW_h_terms"]
    Self.expectSlipIsModel(AppliedSlip(step: "h", kind: .activation(.tanh)), as: RNNOptions(activation: .tanh), items: all + ["db_1", "db_2"])
    Self.expectSlipIsModel(AppliedSlip(step: "h", kind: .activation(.relu)), as: RNNOptions(activation: .relu), items: all)
    Self.expectSlipIsModel(AppliedSlip(step: "biases", kind: .zero), as: RNNOptions(useBiases: false), items: all)
  }

  @Test("h^(0) taken as zero is the model whose initial state is zero")
  func zeroInitialState() {
    let given = Self.lm(RNNOptions()), zero = Self.lm(RNNOptions(), initialState: .zero)
    for seed in randomSeeds.prefix(5) {
      var rng = SplitMix64(seed: seed)
      let inputs = given.generateInputs(using: &rng)
      var withoutState = inputs
      withoutState["h0"] = nil
      let expected = zero.reference(inputs: withoutState)
      let evaluation = given.derivation!.prepare(inputs)
      for q in zero.items { Self.expectClose(evaluation.value(of: q.name, with: [AppliedSlip(step: "h0", kind: .zero)]), expected[q.name], "\(q.name)") }
    }
  }

  @Test("closed forms: only J^(T) gives (1/T) Σ_i ∂J^(T)/∂W_h|_(i); δ2 with the carry is ∂J/∂z^(t); h^(t) in the outer product; the sign flips every gradient; the carry without W_hᵀ by hand")
  func closedForms() throws {
    let model = Self.lm(RNNOptions())
    for seed in randomSeeds.prefix(5) {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      let p = model.columnForm(inputs), tokens = model.tokens(inputs)
      let T = tokens.count - 1, H = 4
      let terms = reference["dW_h_terms"]!.scalars
      var lastOnly = [Double](repeating: 0, count: H * H)
      for i in 0..<T { for e in 0..<(H * H) { lastOnly[e] += terms[i * H * H + e] / Double(T) } }
      Self.expectClose(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "loss", kind: .lastTerm)]), Tensor(shape: [H, H], scalars: lastOnly), "only J^(T)")
      let deltas = BPTT.deltas(p, tokens: tokens)
      Self.expectClose(evaluation.value(of: "delta2", with: [AppliedSlip(step: "delta2", kind: .extraTerm)]), Tensor(deltas.dJdz), "δ2 with the carry")
      let fwd = BPTT.forward(p, tokens: tokens)
      var expected = Matrix(rows: H, cols: H)
      for t in 1...T { expected += Matrix.outer(deltas.dJdz.row(t - 1).T, fwd.h[t]) }
      Self.expectClose(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "recurrent-weight", kind: .step(1))]), Tensor(expected), "h^(t)")
      for item in ["dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0"] {
        let flipped = Tensor(shape: reference[item]!.shape, scalars: reference[item]!.scalars.map { -$0 })
        Self.expectClose(evaluation.value(of: item, with: [AppliedSlip(step: "delta1", kind: .signFlipped)]), flipped, "sign \(item)")
      }
      // The carry without W_hᵀ: ∂J/∂z^(t) = (Uᵀδ1^(t)/T + ∂J/∂z^(t+1)) ⊙ σ′(z^(t)), by hand.
      var G = [[Double]](repeating: [Double](repeating: 0, count: H), count: T + 1)
      for t in stride(from: T, through: 1, by: -1) {
        var d1 = fwd.yhat[t - 1]
        d1[tokens[t], 0] -= 1
        let o = p.U.T * d1
        let s = RNNOptions().activation.derivative(fwd.z[t - 1])
        for j in 0..<H { G[t - 1][j] = (o.scalars[j] / Double(T) + (t < T ? G[t][j] : 0)) * s.scalars[j] }
      }
      Self.expectClose(evaluation.value(of: "dh0", with: [AppliedSlip(step: "carry", kind: .dropped)]), Tensor(shape: [H], scalars: G[0]), "carry dropped")
    }
  }

  @Test("the assigned embedding keeps only the earliest occurrence in the backward loop, the latest in a forward loop")
  func embeddingAssigned() throws {
    let model = Self.lm(RNNOptions())
    var rng = SplitMix64(seed: 5)
    var inputs = model.generateInputs(using: &rng)
    let tokens = [2, 4, 2, 6, 2, 1, 3]
    inputs["tokens"] = Tensor(shape: [7], scalars: tokens.map(Double.init), dtype: .int64)
    let p = model.columnForm(inputs)
    let dJdz = BPTT.deltas(p, tokens: tokens).dJdz
    let evaluation = model.derivation!.prepare(inputs)
    let backward = evaluation.value(of: "dE", with: [AppliedSlip(step: "embedding", kind: .scatterAssigned(.backward))])!.matrix
    let forward = evaluation.value(of: "dE", with: [AppliedSlip(step: "embedding", kind: .scatterAssigned(.forward))])!.matrix
    Self.expectClose(Tensor(backward.column(2)), Tensor(p.W_e.T * dJdz.row(0).T), "word 2 at t = 1")
    Self.expectClose(Tensor(forward.column(2)), Tensor(p.W_e.T * dJdz.row(4).T), "word 2 at t = 5")
    Self.expectClose(Tensor(backward.column(4)), Tensor(BPTT.gradients(p, tokens: tokens).dE.column(4)), "column 4 (used once)")
  }

  @Test("every declared slip changes some item of rnn-bptt and rnn-canonical at the shipped sizes", arguments: ["rnn-bptt", "rnn-canonical"])
  func everySlipChangesSomething(assignment: String) throws {
    let g = try grader(assignment)
    let derivation = try #require(g.model.derivation)
    let inputs = g.inputs(for: "ada")
    let reference = g.model.reference(inputs: inputs)
    let evaluation = derivation.prepare(inputs)
    for d in derivation.slips where !d.slip.effect.isItemTransform {
      let k = d.slip.parameters.first
      let changed = d.items.filter { item in
        guard let v = evaluation.value(of: item, with: [AppliedSlip(step: d.step.id, kind: d.slip.kind, parameter: k)]) else { return false }
        return v.scalars != reference[item]!.scalars
      }
      #expect(!changed.isEmpty, "\(d.id)")
    }
  }

  @Test("the entries at given indices are those of the whole value, for every slip of rnn-bptt and rnn-canonical", arguments: ["rnn-bptt", "rnn-canonical"])
  func entriesAreThoseOfTheValue(assignment: String) throws {
    let g = try grader(assignment)
    let derivation = try #require(g.model.derivation)
    let inputs = g.inputs(for: "entries")
    let evaluation = derivation.prepare(inputs)
    var rng = SplitMix64(seed: 3)
    for d in derivation.slips where !d.slip.effect.isItemTransform {
      let applied = [AppliedSlip(step: d.step.id, kind: d.slip.kind, parameter: d.slip.parameters.last)]
      for spec in g.assignment.items {
        guard let whole = evaluation.value(of: spec.id, with: applied) else { continue }
        let indices = (0..<min(40, whole.count)).map { _ in rng.int(below: whole.count) }
        let some = try #require(evaluation.entries(of: spec.id, with: applied, at: indices))
        for (k, x) in zip(indices, some) {
          #expect(abs(x - whole.scalars[k]) <= 1e-12 * max(1, abs(whole.scalars[k])), "\(d.id) \(spec.id)[\(k)]")
        }
      }
    }
  }

  @Test("an unknown slip, or two slips on one switch, gives nil")
  func invalidCombinations() {
    let model = Self.lm(RNNOptions())
    var rng = SplitMix64(seed: 1)
    let evaluation = model.derivation!.prepare(model.generateInputs(using: &rng))
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "carry", kind: .signFlipped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "biases", kind: .zero), AppliedSlip(step: "z", kind: .zero)]) == nil)
    #expect(evaluation.value(of: "nothing", with: []) == nil)
  }
}
