import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("GRUSlipEvaluation")
struct GRUSlipEvaluationTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]

  /// Every reset placement, update convention and reduction, with full BPTT and four truncations.
  static let optionSets: [GRUOptions] = GRUReset.allCases.flatMap { reset in
    GRUUpdate.allCases.flatMap { update in
      LossReduction.allCases.flatMap { reduction in
        [Truncation.full, .window(1), .window(3), .chunks(2), .chunks(4)].map {
          GRUOptions(reset: reset, update: update, reduction: reduction, truncation: $0)
        }
      }
    }
  }

  static func inputs(_ model: GRULanguageModel, seed: UInt64) -> [String: Tensor] {
    var rng = SplitMix64(seed: seed)
    return model.generateInputs(using: &rng)
  }

  @Test("with no slip every item equals GRU.gradients on 20 seeds, in every reset, update, reduction and truncation", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let model = GRULanguageModel(sizes: Self.sizes, options: Self.optionSets[optionIndex])
    for seed in randomSeeds {
      let inputs = Self.inputs(model, seed: seed)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for q in model.items { LSTMSlipEvaluationTests.expectClose(evaluation.value(of: q.name, with: []), reference[q.name], "\(q.name) seed \(seed) \(model.options)") }
    }
  }

  @Test("with a zero initial state, h0 is no input and the items are the reference at h^(0) = 0; h0:zero is that model")
  func zeroInitialState() {
    let zero = GRULanguageModel(sizes: Self.sizes, options: GRUOptions(), initialState: .zero)
    let given = GRULanguageModel(sizes: Self.sizes, options: GRUOptions())
    #expect(!zero.inputs.contains { $0.name == "h0" })
    #expect(zero.derivation!.step("h0") == nil)
    for seed in randomSeeds.prefix(5) {
      let inputs = Self.inputs(zero, seed: seed)
      #expect(inputs["h0"] == nil)
      var withZero = inputs
      withZero["h0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      let expected = given.reference(inputs: withZero)
      let evaluation = zero.derivation!.prepare(inputs)
      let givenInputs = Self.inputs(given, seed: seed)
      var zeroed = givenInputs
      zeroed["h0"] = Tensor(shape: [3], scalars: [0, 0, 0])
      let slipped = given.derivation!.prepare(givenInputs)
      let target = given.reference(inputs: zeroed)
      for q in zero.items {
        LSTMSlipEvaluationTests.expectClose(zero.reference(inputs: inputs)[q.name], expected[q.name], "\(q.name) seed \(seed)")
        LSTMSlipEvaluationTests.expectClose(evaluation.value(of: q.name, with: []), expected[q.name], "\(q.name) seed \(seed)")
        LSTMSlipEvaluationTests.expectClose(slipped.value(of: q.name, with: [AppliedSlip(step: "h0", kind: .zero)]), target[q.name], "h0:zero \(q.name) seed \(seed)")
      }
    }
  }

  /// Today's mistakes as slips, and the `MutantGRU` switches (or truncation) that made them.
  static let mistakes: [(AppliedSlip, GRUMistakes, Truncation?)] = [
    (AppliedSlip(step: "delta1", kind: .signFlipped), .signFlipped, nil),
    (AppliedSlip(step: "update-gate", kind: .custom("update-gate"), parameter: 1), .updateSwapped, nil),
    (AppliedSlip(step: "reset", kind: .custom("reset-misplaced")), .resetMisplaced, nil),
    (AppliedSlip(step: "direct-carry", kind: .notPropagated), .directPathOmitted, nil),
    (AppliedSlip(step: "candidate-carry", kind: .dropped), .resetLeftOutOfCarry, nil),
    (AppliedSlip(step: "n-local", kind: .derivative(.sigmoid)), .sigmoidDerivativeForCandidate, nil),
    (AppliedSlip(step: "gates-local", kind: .derivative(.tanh)), .tanhDerivativeForGates, nil),
    (AppliedSlip(step: "embedding", kind: .scatterAssigned(.backward)), .embeddingAssigned, nil),
    (AppliedSlip(step: "bptt", kind: .notPropagated), [], .window(1)),
    (AppliedSlip(step: "bptt", kind: .truncated(.window), parameter: 2), [], .window(2)),
    (AppliedSlip(step: "bptt", kind: .truncated(.window), parameter: 4), [], .window(4)),
    (AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: 2), [], .chunks(2)),
    (AppliedSlip(step: "bptt", kind: .truncated(.chunks), parameter: 3), [], .chunks(3)),
  ]

  @Test("each of today's mistakes, as a slip, is what MutantGRU made of it, on 5 seeds in every reset, update and reduction", arguments: mistakes.indices)
  func mistakesAreMutantGRU(index: Int) {
    let (slip, switches, truncation) = Self.mistakes[index]
    for options in Self.optionSets where options.truncation == .full {
      let model = GRULanguageModel(sizes: Self.sizes, options: options)
      var mutant = options
      if let truncation { mutant.truncation = truncation }
      for seed in randomSeeds.prefix(5) {
        let inputs = Self.inputs(model, seed: seed)
        let expected = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: mutant, mistakes: switches))
        let evaluation = model.derivation!.prepare(inputs)
        for q in model.items { LSTMSlipEvaluationTests.expectClose(evaluation.value(of: q.name, with: [slip]), expected[q.name], "\(slip) \(q.name) \(options) seed \(seed)", tolerance: 1e-11) }
      }
    }
  }

  @Test("the backward pass of the other update convention and b_hn without ⊙ r are MutantGRU's, on the items behind the gates")
  func backwardOnlyMistakes() {
    for options in Self.optionSets where options.truncation == .full {
      let model = GRULanguageModel(sizes: Self.sizes, options: options)
      for seed in randomSeeds.prefix(5) {
        let inputs = Self.inputs(model, seed: seed)
        let evaluation = model.derivation!.prepare(inputs)
        let swapped = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: options, mistakes: .updateSwappedInBackward))
        let bias = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: options, mistakes: .resetBiasWithoutGate))
        for q in model.items {
          let v = evaluation.value(of: q.name, with: [AppliedSlip(step: "update-gate", kind: .custom("update-gate"), parameter: 2)])
          if GRULanguageModel.behindCell.contains(q.name) {
            LSTMSlipEvaluationTests.expectClose(v, swapped[q.name], "update-gate(2) \(q.name) \(options)", tolerance: 1e-11)
          } else {
            #expect(v == nil, "\(q.name) is not behind the gates")
          }
        }
        if options.reset == .after {
          LSTMSlipEvaluationTests.expectClose(evaluation.value(of: "db_h", with: [AppliedSlip(step: "hidden-bias", kind: .dropped)]), bias["db_h"], "b_hn \(options)", tolerance: 1e-11)
        } else {
          #expect(model.derivation!.step("hidden-bias")!.slips.allSatisfy { $0.kind != .dropped })
        }
      }
    }
  }

  @Test("every declared slip changes some item, and only items its step claims, on 3 seeds")
  func slipsChangeTheirItems() {
    for options in [GRUOptions(), GRUOptions(reset: .before, update: .new, reduction: .sum)] {
      let model = GRULanguageModel(sizes: Self.sizes, options: options)
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
            #expect(changed.isSubset(of: d.items), "\(d.id) changes \(changed.subtracting(d.items)) beyond its step, \(options)")
          }
        }
      }
    }
  }

  @Test("two slips that set the same switch cannot be made together")
  func exclusiveSlips() {
    let model = GRULanguageModel(sizes: Self.sizes, options: GRUOptions())
    let evaluation = model.derivation!.prepare(Self.inputs(model, seed: 1))
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "gates-local", kind: .derivative(.tanh)), AppliedSlip(step: "z-local", kind: .dropped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "update-gate", kind: .custom("update-gate"), parameter: 2), AppliedSlip(step: "update-local", kind: .signFlipped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "nowhere", kind: .dropped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "r-local", kind: .dropped), AppliedSlip(step: "z-local", kind: .dropped)]) != nil)
  }
}
