import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("MutantGRU")
struct MutantGRUTests {
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

  static func inputs(_ model: GRULanguageModel, seed: UInt64) -> (GRUParameters, [Int]) {
    var rng = SplitMix64(seed: seed)
    let inputs = model.generateInputs(using: &rng)
    return (model.parameters(inputs), model.tokens(inputs))
  }

  static func maxError(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  static func expectClose(_ a: GRUGradients, _ b: GRUGradients, _ what: String) {
    #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(b.loss)), "\(what) loss")
    for ((name, mine), (_, theirs)) in zip(a.named + a.carries, b.named + b.carries) {
      let err = maxError(mine, theirs)
      #expect(err <= 1e-12 * max(1, theirs.maxAbs), "\(what) \(name): max error \(err)")
    }
  }

  @Test("with no mistake it equals GRU.gradients (loss, every gradient, dh, dax, dah) on 20 seeds", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    let model = GRULanguageModel(sizes: Self.sizes, options: options)
    for seed in randomSeeds {
      let (p, tokens) = Self.inputs(model, seed: seed)
      Self.expectClose(MutantGRU.evaluate(p, tokens: tokens, options: options), GRU.gradients(p, tokens: tokens, options: options), "seed \(seed) \(options)")
    }
  }

  @Test("one step (T = 1) and a one-unit state: still the reference")
  func smallestSizes() {
    for sizes in [["T": 1, "V": 3, "d": 2, "H": 1], ["T": 2, "V": 2, "d": 1, "H": 2]] {
      for reset in GRUReset.allCases {
        let model = GRULanguageModel(sizes: sizes, options: GRUOptions(reset: reset))
        for seed in randomSeeds.prefix(5) {
          let (p, tokens) = Self.inputs(model, seed: seed)
          Self.expectClose(MutantGRU.evaluate(p, tokens: tokens, options: model.options), GRU.gradients(p, tokens: tokens, options: model.options), "\(sizes) \(reset) seed \(seed)")
        }
      }
    }
  }

  @Test("the update swapped and the reset misplaced are the reference of the other option, at the same numbers")
  func optionMistakesAreTheOtherOption() {
    for reset in GRUReset.allCases {
      for update in GRUUpdate.allCases {
        let options = GRUOptions(reset: reset, update: update)
        let model = GRULanguageModel(sizes: Self.sizes, options: options)
        var otherUpdate = options, otherReset = options
        otherUpdate.update = update == .keep ? .new : .keep
        otherReset.reset = reset == .after ? .before : .after
        for seed in randomSeeds.prefix(5) {
          let (p, tokens) = Self.inputs(model, seed: seed)
          Self.expectClose(MutantGRU.evaluate(p, tokens: tokens, options: options, mistakes: .updateSwapped), GRU.gradients(p, tokens: tokens, options: otherUpdate), "update \(options) seed \(seed)")
          Self.expectClose(MutantGRU.evaluate(p, tokens: tokens, options: options, mistakes: .resetMisplaced), GRU.gradients(p, tokens: tokens, options: otherReset), "reset \(options) seed \(seed)")
        }
      }
    }
  }

  static let behind = GRULanguageModel.behindCell
  static let every: Set<String> = ["loss", "dU", "db_2", "dW_x", "dW_h", "db_x", "db_h", "dE", "dh0", "dh"]

  @Test("each mistake changes exactly the items its catalogue entry lists, on 20 seeds", arguments: [
    (GRUMistakes.signFlipped, every.subtracting(["loss"])),
    (.meanMissing, every), (.meanTwice, every),
    (.updateSwapped, every), (.updateSwappedInBackward, behind), (.resetMisplaced, every),
    (.directPathOmitted, behind), (.resetLeftOutOfCarry, behind), (.resetBiasWithoutGate, ["db_h"]),
    (.sigmoidDerivativeForCandidate, behind), (.tanhDerivativeForGates, behind),
    (.embeddingAssigned, ["dE"]),
  ] as [(GRUMistakes, Set<String>)])
  func mistakesChangeTheirItems(mistake: GRUMistakes, changed: Set<String>) {
    let model = GRULanguageModel(sizes: Self.sizes, options: GRUOptions())
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let right = model.reference(inputs: inputs)
      let wrong = GRULanguageModel.tensors(MutantGRU.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options, mistakes: mistake))
      var differ = Set<String>()
      for (name, r) in right {
        let w = wrong[name]!
        let err = zip(r.scalars, w.scalars).map { abs($0 - $1) }.max() ?? 0
        let scale = max(1e-3, r.scalars.map(abs).max() ?? 0)
        if err > 1e-6 * scale { differ.insert(name) } else { #expect(err <= 1e-12 * scale, "seed \(seed) \(name): \(err) is neither equal nor clearly different") }
      }
      #expect(differ == changed, "seed \(seed): changed \(differ.sorted())")
    }
  }

  @Test("with the reset before W_hn, b_hn is outside r: the b_hn mistake changes nothing")
  func resetBiasMistakeNeedsResetAfter() {
    let options = GRUOptions(reset: .before)
    let model = GRULanguageModel(sizes: Self.sizes, options: options)
    for seed in randomSeeds.prefix(5) {
      let (p, tokens) = Self.inputs(model, seed: seed)
      Self.expectClose(MutantGRU.evaluate(p, tokens: tokens, options: options, mistakes: .resetBiasWithoutGate), GRU.gradients(p, tokens: tokens, options: options), "seed \(seed)")
    }
    #expect(model.mistakes.mutants(for: "db_h").allSatisfy { $0.id != "reset-bias-without-gate" })
  }

  @Test("the b_hn mistake changes only the n block of db_h, to db_x's n block")
  func resetBiasIsTheInputBias() {
    let model = GRULanguageModel(sizes: Self.sizes, options: GRUOptions())
    for seed in randomSeeds.prefix(5) {
      let (p, tokens) = Self.inputs(model, seed: seed)
      let right = GRU.gradients(p, tokens: tokens, options: model.options)
      let wrong = MutantGRU.evaluate(p, tokens: tokens, options: model.options, mistakes: .resetBiasWithoutGate)
      #expect(Self.maxError(wrong.db_h.rows(0..<6), right.db_h.rows(0..<6)) <= 1e-12)
      #expect(Self.maxError(wrong.db_h.rows(6..<9), right.db_x.rows(6..<9)) <= 1e-12)
    }
  }
}
