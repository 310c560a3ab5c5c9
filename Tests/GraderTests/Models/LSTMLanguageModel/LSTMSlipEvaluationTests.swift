import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("LSTMSlipEvaluation")
struct LSTMSlipEvaluationTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]

  /// Every gate order and reduction, with full BPTT and four truncations.
  static let optionSets: [LSTMOptions] = LSTMGateOrder.allCases.flatMap { order in
    LossReduction.allCases.flatMap { reduction in
      [Truncation.full, .window(1), .window(3), .chunks(2), .chunks(4)].map {
        LSTMOptions(gateOrder: order, reduction: reduction, truncation: $0)
      }
    }
  }

  static func expectClose(_ a: Tensor?, _ b: Tensor?, _ what: String, tolerance: Double = 1e-12) {
    guard let a, let b else { Issue.record("\(what): missing value"); return }
    #expect(a.shape == b.shape, "\(what)")
    let err = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    let scale = max(1, b.scalars.map(abs).max() ?? 0)
    #expect(err <= tolerance * scale, "\(what): max error \(err)")
  }

  static func inputs(_ model: LSTMLanguageModel, seed: UInt64) -> [String: Tensor] {
    var rng = SplitMix64(seed: seed)
    return model.generateInputs(using: &rng)
  }

  @Test("with no slip every item equals LSTM.gradients on 20 seeds, in every gate order, reduction and truncation", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: Self.optionSets[optionIndex])
    for seed in randomSeeds {
      let inputs = Self.inputs(model, seed: seed)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: []), reference[q.name], "\(q.name) seed \(seed) \(model.options)") }
    }
  }

  @Test("with a zero initial state, h0 and c0 are no inputs and the items are the reference at h^(0) = c^(0) = 0")
  func zeroInitialState() {
    let zero = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions(), initialState: .zero)
    let given = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions())
    #expect(!zero.inputs.contains { $0.name == "h0" || $0.name == "c0" })
    #expect(zero.derivation!.step("h0") == nil && zero.derivation!.step("c0") == nil)
    for seed in randomSeeds.prefix(5) {
      let inputs = Self.inputs(zero, seed: seed)
      #expect(inputs["h0"] == nil && inputs["c0"] == nil)
      var withZeros = inputs
      withZeros["h0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      withZeros["c0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      let expected = given.reference(inputs: withZeros)
      let evaluation = zero.derivation!.prepare(inputs)
      for q in zero.items {
        Self.expectClose(zero.reference(inputs: inputs)[q.name], expected[q.name], "\(q.name) seed \(seed)")
        Self.expectClose(evaluation.value(of: q.name, with: []), expected[q.name], "\(q.name) seed \(seed)")
      }
      // The slips h0:zero and c0:zero of the given state are the zero-state model.
      let givenInputs = Self.inputs(given, seed: seed)
      var zeroed = givenInputs
      zeroed["h0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      zeroed["c0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      let both = given.derivation!.prepare(givenInputs)
      let target = given.reference(inputs: zeroed)
      for q in given.items {
        Self.expectClose(both.value(of: q.name, with: [AppliedSlip(step: "h0", kind: .zero), AppliedSlip(step: "c0", kind: .zero)]), target[q.name], "h0+c0 zero \(q.name)")
      }
    }
  }

  /// Today's mistakes as slips, and the `MutantLSTM` switches (or truncation) that made them.
  static let mistakes: [(AppliedSlip, LSTMMistakes, Truncation?)] = [
    (AppliedSlip(step: "delta1", kind: .signFlipped), .signFlipped, nil),
    (AppliedSlip(step: "gate-order", kind: .custom("gate-order"), parameter: 1), .gateOrderSwapped, nil),
    (AppliedSlip(step: "cell", kind: .custom("forget-input-swapped")), .forgetInputSwapped, nil),
    (AppliedSlip(step: "cell-path", kind: .termDropped), .cellTanhPathOmitted, nil),
    (AppliedSlip(step: "cell-local", kind: .dropped), .cellTanhDerivativeOmitted, nil),
    (AppliedSlip(step: "cell-carry", kind: .notPropagated), .cellCarryOmitted, nil),
    (AppliedSlip(step: "cell-carry", kind: .dropped), .cellCarryWithoutForget, nil),
    (AppliedSlip(step: "hidden-carry", kind: .notPropagated), .hiddenCarryOmitted, nil),
    (AppliedSlip(step: "g-local", kind: .derivative(.sigmoid)), .sigmoidDerivativeForCandidate, nil),
    (AppliedSlip(step: "gates-local", kind: .derivative(.tanh)), .tanhDerivativeForGates, nil),
    (AppliedSlip(step: "forget-factor", kind: .step(1)), .currentCellInForget, nil),
    (AppliedSlip(step: "output-gate", kind: .dropped), .outputGateWithoutTanh, nil),
    (AppliedSlip(step: "embedding", kind: .scatterAssigned(.backward)), .embeddingAssigned, nil),
    (AppliedSlip(step: "bptt", kind: .notPropagated), [], .window(1)),
    (AppliedSlip(step: "bptt", kind: .truncated(.window), parameter: 2), [], .window(2)),
    (AppliedSlip(step: "bptt", kind: .truncated(.window), parameter: 4), [], .window(4)),
    (AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: 2), [], .chunks(2)),
    (AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: 3), [], .chunks(3)),
  ]

  @Test("each of today's mistakes, as a slip, is what MutantLSTM made of it, on 5 seeds in both gate orders and reductions", arguments: mistakes.indices)
  func mistakesAreMutantLSTM(index: Int) {
    let (slip, switches, truncation) = Self.mistakes[index]
    for order in LSTMGateOrder.allCases {
      for reduction in LossReduction.allCases {
        let options = LSTMOptions(gateOrder: order, reduction: reduction)
        let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
        var mutant = options
        if let truncation { mutant.truncation = truncation }
        for seed in randomSeeds.prefix(5) {
          let inputs = Self.inputs(model, seed: seed)
          let expected = LSTMLanguageModel.tensors(MutantLSTM.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: mutant, mistakes: switches))
          let evaluation = model.derivation!.prepare(inputs)
          for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: [slip]), expected[q.name], "\(slip) \(q.name) \(options) seed \(seed)", tolerance: 1e-11) }
        }
      }
    }
  }

  @Test("the gate gradients written in the other order are the reference's blocks permuted")
  func blocksWrittenInOtherOrder() {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions())
    for seed in randomSeeds.prefix(5) {
      let inputs = Self.inputs(model, seed: seed)
      let p = model.parameters(inputs)
      let expected = LSTMLanguageModel.tensors(LSTM.gradients(p, tokens: model.tokens(inputs), options: model.options).reorderingGates(from: .ifog, to: .ifgo))
      let evaluation = model.derivation!.prepare(inputs)
      let written = AppliedSlip(step: "gate-order", kind: .custom("gate-order"), parameter: 2)
      for q in model.items {
        if LSTMLanguageModel.blockItems.contains(q.name) {
          Self.expectClose(evaluation.value(of: q.name, with: [written]), expected[q.name], "\(q.name) seed \(seed)")
        } else {
          #expect(evaluation.value(of: q.name, with: [written]) == nil, "\(q.name) has no gate blocks")
        }
      }
    }
  }

  @Test("every declared slip changes some item, and only items its step claims, on 3 seeds")
  func slipsChangeTheirItems() {
    for options in [LSTMOptions(), LSTMOptions(gateOrder: .ifgo, reduction: .sum)] {
      let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
      let derivation = model.derivation!
      for seed in randomSeeds.prefix(3) {
        let inputs = Self.inputs(model, seed: seed)
        let reference = model.reference(inputs: inputs)
        let evaluation = derivation.prepare(inputs)
        for d in derivation.slips where d.slip.effect == .recompute {
          for k in d.slip.parameters.isEmpty ? [nil] : d.slip.parameters.map({ Optional($0) }) {
            var changed = Set<String>()
            for q in model.items {
              guard let v = evaluation.value(of: q.name, with: [d.applied(k)]) else { continue }
              let gap = zip(v.scalars, reference[q.name]!.scalars).map { abs($0 - $1) }.max() ?? 0
              if gap > 1e-12 * max(1, reference[q.name]!.scalars.map(abs).max() ?? 0) { changed.insert(q.name) }
            }
            #expect(!changed.isEmpty, "\(d.id)(\(k.map(String.init) ?? "")) changes nothing, \(options) seed \(seed)")
            // dc0 is zero without the path through h^(t): changed, but left to cell-carry-missing.
            let claimed = d.step.items.union(d.items)
            #expect(changed.isSubset(of: claimed), "\(d.id) changes \(changed.subtracting(claimed)) beyond its step, \(options)")
          }
        }
      }
    }
  }

  @Test("two slips that set the same switch cannot be made together")
  func exclusiveSlips() {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions())
    let evaluation = model.derivation!.prepare(Self.inputs(model, seed: 1))
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "gates-local", kind: .derivative(.tanh)), AppliedSlip(step: "f-local", kind: .dropped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "cell-carry", kind: .dropped), AppliedSlip(step: "cell-carry", kind: .notPropagated)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "nowhere", kind: .dropped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "f-local", kind: .dropped), AppliedSlip(step: "o-local", kind: .dropped)]) != nil)
  }
}
