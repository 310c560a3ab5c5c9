import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

/// One gated model of the table-driven tests: its models in every option set, and what its
/// step-by-step mutant (`MutantLSTM`, `MutantGRU`, an independent implementation of the same
/// mistakes) makes of today's mistakes.
struct GatedCase: CustomStringConvertible {
  var description: String
  /// Every option set, with full BPTT and four truncations.
  var models: [any ModelReference]
  /// The models whose derivation today's mistakes are checked on (full BPTT).
  var mistakeModels: [Int]
  var zeroState: any ModelReference, givenState: any ModelReference
  var initialInputs: [String]
  /// Today's mistakes as slips, each with the mutant's items at model i's inputs.
  var mistakes: [(slip: AppliedSlip, made: (any ModelReference, [String: Tensor]) -> [String: Tensor])]
  /// Slips that set the same switch (nil together), and two that do not.
  var exclusive: [[AppliedSlip]]
  var compatible: [AppliedSlip]
  /// The models on which every declared slip is made.
  var slipModels: [any ModelReference]
}

@Suite("GatedSlipEvaluation")
struct GatedSlipEvaluationTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]
  static let truncations: [Truncation] = [.full, .window(1), .window(3), .chunks(2), .chunks(4)]

  static func slip(_ step: String, _ kind: SlipKind, _ k: Int? = nil) -> AppliedSlip { AppliedSlip(step: step, kind: kind, parameter: k) }

  static let lstm: GatedCase = {
    let options: [LSTMOptions] = LSTMGateOrder.allCases.flatMap { order in
      LossReduction.allCases.flatMap { reduction in truncations.map { LSTMOptions(gateOrder: order, reduction: reduction, truncation: $0) } }
    }
    func mutant(_ m: LSTMMistakes, _ truncation: Truncation? = nil) -> (any ModelReference, [String: Tensor]) -> [String: Tensor] {
      { model, inputs in
        let model = model as! LSTMLanguageModel
        var o = model.options
        if let truncation { o.truncation = truncation }
        return LSTMLanguageModel.tensors(MutantLSTM.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: o, mistakes: m))
      }
    }
    let models = options.map { LSTMLanguageModel(sizes: sizes, options: $0) }
    return GatedCase(
      description: "lstm-lm", models: models, mistakeModels: models.indices.filter { models[$0].options.truncation == .full },
      zeroState: LSTMLanguageModel(sizes: sizes, options: LSTMOptions(), initialState: .zero), givenState: LSTMLanguageModel(sizes: sizes, options: LSTMOptions()),
      initialInputs: ["h0", "c0"],
      mistakes: [
        (slip("delta1", .signFlipped), mutant(.signFlipped)),
        (slip("gate-order", .custom("gate-order"), 1), mutant(.gateOrderSwapped)),
        (slip("cell", .custom("forget-input-swapped")), mutant(.forgetInputSwapped)),
        (slip("cell-path", .termDropped), mutant(.cellTanhPathOmitted)),
        (slip("cell-local", .dropped), mutant(.cellTanhDerivativeOmitted)),
        (slip("cell-carry", .notPropagated), mutant(.cellCarryOmitted)),
        (slip("cell-carry", .dropped), mutant(.cellCarryWithoutForget)),
        (slip("hidden-carry", .notPropagated), mutant(.hiddenCarryOmitted)),
        (slip("g-local", .derivative(.sigmoid)), mutant(.sigmoidDerivativeForCandidate)),
        (slip("gates-local", .derivative(.tanh)), mutant(.tanhDerivativeForGates)),
        (slip("forget-factor", .step(1)), mutant(.currentCellInForget)),
        (slip("output-gate", .dropped), mutant(.outputGateWithoutTanh)),
        (slip("embedding", .scatterAssigned(.backward)), mutant(.embeddingAssigned)),
        (slip("bptt", .notPropagated), mutant([], .window(1))),
        (slip("bptt", .truncated(.window), 2), mutant([], .window(2))),
        (slip("bptt", .truncated(.window), 4), mutant([], .window(4))),
        (slip("bptt", .truncated(.chunks), 2), mutant([], .chunks(2))),
        (slip("bptt", .truncated(.chunks), 3), mutant([], .chunks(3))),
      ],
      exclusive: [[slip("gates-local", .derivative(.tanh)), slip("f-local", .dropped)], [slip("cell-carry", .dropped), slip("cell-carry", .notPropagated)]],
      compatible: [slip("f-local", .dropped), slip("o-local", .dropped)],
      slipModels: [LSTMLanguageModel(sizes: sizes, options: LSTMOptions()), LSTMLanguageModel(sizes: sizes, options: LSTMOptions(gateOrder: .ifgo, reduction: .sum))])
  }()

  static let gru: GatedCase = {
    let options: [GRUOptions] = GRUReset.allCases.flatMap { reset in
      GRUUpdate.allCases.flatMap { update in
        LossReduction.allCases.flatMap { reduction in truncations.map { GRUOptions(reset: reset, update: update, reduction: reduction, truncation: $0) } }
      }
    }
    func mutant(_ m: GRUMistakes, _ truncation: Truncation? = nil) -> (any ModelReference, [String: Tensor]) -> [String: Tensor] {
      { model, inputs in
        let model = model as! GRULanguageModel
        var o = model.options
        if let truncation { o.truncation = truncation }
        return GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: o, mistakes: m))
      }
    }
    let models = options.map { GRULanguageModel(sizes: sizes, options: $0) }
    return GatedCase(
      description: "gru-lm", models: models, mistakeModels: models.indices.filter { models[$0].options.truncation == .full },
      zeroState: GRULanguageModel(sizes: sizes, options: GRUOptions(), initialState: .zero), givenState: GRULanguageModel(sizes: sizes, options: GRUOptions()),
      initialInputs: ["h0"],
      mistakes: [
        (slip("delta1", .signFlipped), mutant(.signFlipped)),
        (slip("update-gate", .custom("update-gate"), 1), mutant(.updateSwapped)),
        (slip("reset", .custom("reset-misplaced")), mutant(.resetMisplaced)),
        (slip("direct-carry", .notPropagated), mutant(.directPathOmitted)),
        (slip("candidate-carry", .dropped), mutant(.resetLeftOutOfCarry)),
        (slip("n-local", .derivative(.sigmoid)), mutant(.sigmoidDerivativeForCandidate)),
        (slip("gates-local", .derivative(.tanh)), mutant(.tanhDerivativeForGates)),
        (slip("embedding", .scatterAssigned(.backward)), mutant(.embeddingAssigned)),
        (slip("bptt", .notPropagated), mutant([], .window(1))),
        (slip("bptt", .truncated(.window), 2), mutant([], .window(2))),
        (slip("bptt", .truncated(.window), 4), mutant([], .window(4))),
        (slip("bptt", .truncated(.chunks), 2), mutant([], .chunks(2))),
        (slip("bptt", .truncated(.chunks), 3), mutant([], .chunks(3))),
      ],
      exclusive: [[slip("gates-local", .derivative(.tanh)), slip("z-local", .dropped)], [slip("update-gate", .custom("update-gate"), 2), slip("update-local", .signFlipped)]],
      compatible: [slip("r-local", .dropped), slip("z-local", .dropped)],
      slipModels: [GRULanguageModel(sizes: sizes, options: GRUOptions()), GRULanguageModel(sizes: sizes, options: GRUOptions(reset: .before, update: .new, reduction: .sum))])
  }()

  static let cases = [lstm, gru]

  /// A model of a case, or one of today's mistakes on a case.
  struct Run: Sendable, CustomStringConvertible {
    var model: Int, index: Int
    var description: String { "\(GatedSlipEvaluationTests.cases[model]) #\(index)" }
  }

  static let optionRuns = cases.indices.flatMap { c in cases[c].models.indices.map { Run(model: c, index: $0) } }
  static let mistakeRuns = cases.indices.flatMap { c in cases[c].mistakes.indices.map { Run(model: c, index: $0) } }

  static func expectClose(_ a: Tensor?, _ b: Tensor?, _ what: String, tolerance: Double = 1e-12) {
    guard let a, let b else { Issue.record("\(what): missing value"); return }
    #expect(a.shape == b.shape, "\(what)")
    let err = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    let scale = max(1, b.scalars.map(abs).max() ?? 0)
    #expect(err <= tolerance * scale, "\(what): max error \(err)")
  }

  static func inputs(_ model: any ModelReference, seed: UInt64) -> [String: Tensor] {
    var rng = SplitMix64(seed: seed)
    return model.generateInputs(using: &rng)
  }

  @Test("with no slip every item is the reference (LSTM.gradients, GRU.gradients) on 20 seeds, in every option set", arguments: optionRuns)
  func equalsReference(run: Run) {
    let model = Self.cases[run.model].models[run.index]
    for seed in randomSeeds {
      let inputs = Self.inputs(model, seed: seed)
      let reference = model.reference(inputs: inputs)
      let evaluation = model.derivation!.prepare(inputs)
      for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: []), reference[q.name], "\(q.name) seed \(seed) \(run)") }
    }
  }

  @Test("with a zero initial state the initial states are no inputs and the items are the reference there; the h0 (and c0) zero slips are that model", arguments: cases.indices)
  func zeroInitialState(model c: Int) {
    let zero = Self.cases[c].zeroState, given = Self.cases[c].givenState, names = Self.cases[c].initialInputs
    let H = Self.sizes["H"]!
    #expect(!zero.inputs.contains { names.contains($0.name) })
    #expect(names.allSatisfy { zero.derivation!.step($0) == nil })
    for seed in randomSeeds.prefix(5) {
      let inputs = Self.inputs(zero, seed: seed)
      #expect(names.allSatisfy { inputs[$0] == nil })
      var withZeros = inputs
      for n in names { withZeros[n] = Tensor(shape: [H], scalars: Array(repeating: 0, count: H)) }
      let expected = given.reference(inputs: withZeros)
      let evaluation = zero.derivation!.prepare(inputs)
      var zeroed = Self.inputs(given, seed: seed)
      let slipped = given.derivation!.prepare(zeroed)
      for n in names { zeroed[n] = Tensor(shape: [H], scalars: Array(repeating: 0, count: H)) }
      let target = given.reference(inputs: zeroed)
      for q in zero.items {
        Self.expectClose(zero.reference(inputs: inputs)[q.name], expected[q.name], "\(q.name) seed \(seed)")
        Self.expectClose(evaluation.value(of: q.name, with: []), expected[q.name], "\(q.name) seed \(seed)")
        Self.expectClose(slipped.value(of: q.name, with: names.map { AppliedSlip(step: $0, kind: .zero) }), target[q.name], "\(names) zero \(q.name) seed \(seed)")
      }
    }
  }

  @Test("each of today's mistakes, as a slip, is what the model's mutant made of it, on 5 seeds in every option set with full BPTT", arguments: mistakeRuns)
  func mistakesAreTheMutants(run: Run) {
    let c = Self.cases[run.model]
    let (slip, made) = c.mistakes[run.index]
    for m in c.mistakeModels {
      let model = c.models[m]
      for seed in randomSeeds.prefix(5) {
        let inputs = Self.inputs(model, seed: seed)
        let expected = made(model, inputs)
        let evaluation = model.derivation!.prepare(inputs)
        for q in model.items { Self.expectClose(evaluation.value(of: q.name, with: [slip]), expected[q.name], "\(slip) \(q.name) \(c) #\(m) seed \(seed)", tolerance: 1e-11) }
      }
    }
  }

  /// Every declared slip (each parameter) made on `model` at `inputs`.
  static func declared(_ model: any ModelReference) -> [AppliedSlip] {
    model.derivation!.slips.filter { $0.slip.effect == .recompute }.flatMap { d in
      d.slip.parameters.isEmpty ? [d.applied(nil)] : d.slip.parameters.map { d.applied($0) }
    }
  }

  @Test("every declared slip changes some item, and only items its step claims, on 3 seeds", arguments: cases.indices)
  func slipsChangeTheirItems(model c: Int) {
    for model in Self.cases[c].slipModels {
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
            #expect(!changed.isEmpty, "\(d.id)(\(k.map(String.init) ?? "")) changes nothing, \(model.sizes) seed \(seed)")
            // The LSTM's dc0 is zero without the path through h^(t): changed, but left to cell-carry-missing.
            let claimed = d.step.items.union(d.items)
            #expect(changed.isSubset(of: claimed), "\(d.id) changes \(changed.subtracting(claimed)) beyond its step")
          }
        }
      }
    }
  }

  @Test("the entries the search screens on are the value's entries, for every declared slip and pairs of them", arguments: cases.indices)
  func entriesAreTheValue(model c: Int) {
    let model = Self.cases[c].givenState
    let slips = Self.declared(model)
    for seed in randomSeeds.prefix(2) {
      let inputs = Self.inputs(model, seed: seed)
      let evaluation = model.derivation!.prepare(inputs)
      let made: [[AppliedSlip]] = [[]] + slips.map { [$0] } + zip(slips, slips.dropFirst(7)).map { [$0, $1] }
      for applied in made {
        for q in model.items {
          guard let v = evaluation.value(of: q.name, with: applied) else {
            #expect(evaluation.entries(of: q.name, with: applied, at: [0]) == nil, "\(applied) \(q.name): entries without a value")
            continue
          }
          // A fresh evaluation, so that the entries are computed rather than read from the cached value.
          let fresh = model.derivation!.prepare(inputs)
          let indices = stride(from: v.count - 1, through: 0, by: -max(1, v.count / 17)).map { $0 }
          guard let e = fresh.entries(of: q.name, with: applied, at: indices) else { Issue.record("\(applied) \(q.name): no entries"); continue }
          for (k, x) in zip(indices, e) {
            #expect(abs(x - v.scalars[k]) <= 1e-13 * max(1, abs(v.scalars[k])), "\(applied) \(q.name)[\(k)]: \(x) vs \(v.scalars[k])")
          }
        }
      }
    }
  }

  @Test("two slips that set the same switch cannot be made together", arguments: cases.indices)
  func exclusiveSlips(model c: Int) {
    let model = Self.cases[c].givenState
    let evaluation = model.derivation!.prepare(Self.inputs(model, seed: 1))
    for pair in Self.cases[c].exclusive { #expect(evaluation.value(of: "dW_h", with: pair) == nil, "\(pair)") }
    #expect(evaluation.value(of: "dW_h", with: [AppliedSlip(step: "nowhere", kind: .dropped)]) == nil)
    #expect(evaluation.value(of: "dW_h", with: Self.cases[c].compatible) != nil)
  }

  /// Models wide enough (H = 40) for the kernels' 4-vector strips, in both conventions of each cell.
  static let wide: [[any ModelReference]] = {
    let sizes = ["T": 5, "V": 12, "d": 4, "H": 40]
    return [
      [LSTMLanguageModel(sizes: sizes, options: LSTMOptions()), LSTMLanguageModel(sizes: sizes, options: LSTMOptions(gateOrder: .ifgo, reduction: .sum, truncation: .chunks(2)))],
      [GRULanguageModel(sizes: sizes, options: GRUOptions()), GRULanguageModel(sizes: sizes, options: GRUOptions(reset: .before, update: .new, reduction: .sum, truncation: .window(2)))],
    ]
  }()

  @Test("slips anticipated together (their sweeps in lockstep) give, bit for bit, the values they give one at a time, in every option set", arguments: cases.indices)
  func anticipatedSlipsAreTheSlipsOneAtATime(model c: Int) {
    for (n, model) in (Self.cases[c].models + Self.wide[c]).enumerated() {
      let slips = Self.declared(model)
      for seed in randomSeeds.prefix(n >= Self.cases[c].models.count ? 2 : 1) {
        let inputs = Self.inputs(model, seed: seed)
        let together = model.derivation!.prepare(inputs), alone = model.derivation!.prepare(inputs)
        // In lockstep whatever the size (at large sizes only, otherwise).
        guard let lockstep = together as? any LockstepSweeps else { Issue.record("\(model.name): no lockstep sweeps"); continue }
        lockstep.lockstepAbove = 0
        let candidates = slips.map { [$0] } + zip(slips, slips.dropFirst(5)).map { [$0, $1] }
        together.anticipate(candidates, for: "dW_h")
        for applied in candidates {
          for q in model.items {
            let a = together.value(of: q.name, with: applied), b = alone.value(of: q.name, with: applied)
            #expect(a?.scalars == b?.scalars, "\(model.name) \(applied) \(q.name), seed \(seed)")
          }
        }
      }
    }
  }
  /// The reference of `model` with its truncation replaced by `truncation` (`LSTM.gradients`,
  /// `GRU.gradients`): what a truncation slip must compute.
  static func truncatedReference(_ model: any ModelReference, _ truncation: Truncation, _ inputs: [String: Tensor]) -> [String: Tensor]? {
    if let m = model as? LSTMLanguageModel {
      var o = m.options
      o.truncation = truncation
      return LSTMLanguageModel(sizes: sizes, options: o).reference(inputs: inputs)
    }
    if let m = model as? GRULanguageModel {
      var o = m.options
      o.truncation = truncation
      return GRULanguageModel(sizes: sizes, options: o).reference(inputs: inputs)
    }
    return nil
  }

  @Test("windows and chunks of every k = 2 … T − 1, asked in turn on one evaluation, are the reference with that truncation, and what each gives asked alone", arguments: cases.indices)
  func truncationsInTurnAreTheTruncatedReference(model c: Int) {
    let cases = Self.cases[c]
    let T = Self.sizes["T"]!
    for m in cases.mistakeModels.prefix(2) {
      let model = cases.models[m]
      for seed in randomSeeds.prefix(3) {
        let inputs = Self.inputs(model, seed: seed)
        let inTurn = model.derivation!.prepare(inputs)
        for kind in [TruncationStyle.window, .chunks] {
          for k in 2..<T {
            let slip = Self.slip("bptt", .truncated(kind), k)
            let alone = model.derivation!.prepare(inputs)
            guard let expected = Self.truncatedReference(model, kind == .window ? .window(k) : .chunks(k), inputs) else { Issue.record("\(cases): no reference"); return }
            for q in model.items {
              let a = inTurn.value(of: q.name, with: [slip]), b = alone.value(of: q.name, with: [slip])
              #expect(a != nil && a?.scalars == b?.scalars, "\(kind) \(k) \(q.name) \(cases) #\(m) seed \(seed)")
              Self.expectClose(a, expected[q.name], "\(kind) \(k) \(q.name) \(cases) #\(m) seed \(seed)", tolerance: 1e-11)
            }
          }
        }
      }
    }
  }
}

