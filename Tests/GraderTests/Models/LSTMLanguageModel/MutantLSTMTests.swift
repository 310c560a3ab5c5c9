import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("MutantLSTM")
struct MutantLSTMTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]

  /// Every gate order and reduction, with full BPTT and four truncations.
  static let optionSets: [LSTMOptions] = LSTMGateOrder.allCases.flatMap { order in
    LossReduction.allCases.flatMap { reduction in
      [Truncation.full, .window(1), .window(3), .chunks(2), .chunks(4)].map {
        LSTMOptions(gateOrder: order, reduction: reduction, truncation: $0)
      }
    }
  }

  static func inputs(_ model: LSTMLanguageModel, seed: UInt64) -> (LSTMParameters, [Int]) {
    var rng = SplitMix64(seed: seed)
    let inputs = model.generateInputs(using: &rng)
    return (model.parameters(inputs), model.tokens(inputs))
  }

  static func maxError(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  static func expectClose(_ a: LSTMGradients, _ b: LSTMGradients, _ what: String) {
    #expect(abs(a.loss - b.loss) <= 1e-12 * max(1, abs(b.loss)), "\(what) loss")
    for ((name, mine), (_, theirs)) in zip(a.named + a.carries, b.named + b.carries) {
      let err = maxError(mine, theirs)
      #expect(err <= 1e-12 * max(1, theirs.maxAbs), "\(what) \(name): max error \(err)")
    }
  }

  @Test("with no mistake it equals LSTM.gradients (loss, every gradient, dh, dc, da) on 20 seeds", arguments: optionSets.indices)
  func equalsReference(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
    for seed in randomSeeds {
      let (p, tokens) = Self.inputs(model, seed: seed)
      Self.expectClose(MutantLSTM.evaluate(p, tokens: tokens, options: options), LSTM.gradients(p, tokens: tokens, options: options), "seed \(seed) \(options)")
    }
  }

  @Test("one step (T = 1) and a one-unit cell: still the reference")
  func smallestSizes() {
    for sizes in [["T": 1, "V": 3, "d": 2, "H": 1], ["T": 2, "V": 2, "d": 1, "H": 2]] {
      let model = LSTMLanguageModel(sizes: sizes, options: LSTMOptions())
      for seed in randomSeeds.prefix(5) {
        let (p, tokens) = Self.inputs(model, seed: seed)
        Self.expectClose(MutantLSTM.evaluate(p, tokens: tokens, options: model.options), LSTM.gradients(p, tokens: tokens, options: model.options), "\(sizes) seed \(seed)")
      }
    }
  }

  @Test("the gate order swapped is the reference of the other gate order, at the same numbers")
  func gateOrderSwappedIsTheOtherOrder() {
    for order in LSTMGateOrder.allCases {
      let options = LSTMOptions(gateOrder: order)
      let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
      var other = options
      other.gateOrder = MutantLSTM.otherOrder(order)
      for seed in randomSeeds.prefix(5) {
        let (p, tokens) = Self.inputs(model, seed: seed)
        Self.expectClose(MutantLSTM.evaluate(p, tokens: tokens, options: options, mistakes: .gateOrderSwapped), LSTM.gradients(p, tokens: tokens, options: other), "\(order) seed \(seed)")
      }
    }
  }

  /// The rows of blocks i and f (of H rows each, in `order`) exchanged.
  static func swappingInputAndForget(_ m: Matrix, _ H: Int, _ order: LSTMGateOrder) -> Matrix {
    var out = m
    let i = order.block(.input) * H, f = order.block(.forget) * H
    for r in 0..<H {
      for j in 0..<m.cols {
        out[i + r, j] = m[f + r, j]
        out[f + r, j] = m[i + r, j]
      }
    }
    return out
  }

  @Test("c = i ⊙ c^(t−1) + f ⊙ g is the LSTM whose blocks i and f are exchanged")
  func forgetInputSwappedIsABlockExchange() {
    for order in LSTMGateOrder.allCases {
      let options = LSTMOptions(gateOrder: order)
      let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
      for seed in randomSeeds.prefix(5) {
        let (p, tokens) = Self.inputs(model, seed: seed)
        let H = p.hiddenSize
        var q = p
        q.W_x = Self.swappingInputAndForget(p.W_x, H, order)
        q.W_h = Self.swappingInputAndForget(p.W_h, H, order)
        q.b = Self.swappingInputAndForget(p.b, H, order)
        var expected = LSTM.gradients(q, tokens: tokens, options: options)
        expected.dW_x = Self.swappingInputAndForget(expected.dW_x, H, order)
        expected.dW_h = Self.swappingInputAndForget(expected.dW_h, H, order)
        expected.db = Self.swappingInputAndForget(expected.db, H, order)
        expected.da = Self.swappingInputAndForget(expected.da.T, H, order).T
        Self.expectClose(MutantLSTM.evaluate(p, tokens: tokens, options: options, mistakes: .forgetInputSwapped), expected, "\(order) seed \(seed)")
      }
    }
  }

  static let behind = LSTMLanguageModel.behindCell
  static let every: Set<String> = ["loss", "dU", "db_2", "dW_x", "dW_h", "db", "dE", "dh0", "dc0", "dh", "dc", "da"]

  @Test("each mistake changes exactly the items its catalogue entry lists, on 20 seeds", arguments: [
    (LSTMMistakes.signFlipped, every.subtracting(["loss"])),
    (.meanMissing, every), (.meanTwice, every),
    (.gateOrderSwapped, every), (.forgetInputSwapped, every),
    (.cellTanhPathOmitted, behind), (.cellTanhDerivativeOmitted, behind),
    (.cellCarryOmitted, behind), (.cellCarryWithoutForget, behind), (.hiddenCarryOmitted, behind),
    (.sigmoidDerivativeForCandidate, behind), (.tanhDerivativeForGates, behind),
    (.currentCellInForget, behind), (.outputGateWithoutTanh, behind),
    (.embeddingAssigned, ["dE"]),
  ] as [(LSTMMistakes, Set<String>)])
  func mistakesChangeTheirItems(mistake: LSTMMistakes, changed: Set<String>) {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions())
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let right = model.reference(inputs: inputs)
      let wrong = LSTMLanguageModel.tensors(MutantLSTM.evaluate(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options, mistakes: mistake))
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

  @Test("the cell carry cut or kept without ⊙ f leaves the last step of dc right and diverges from T − 1")
  func cellCarryDivergesAtTMinusOne() {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions())
    for seed in randomSeeds.prefix(5) {
      let (p, tokens) = Self.inputs(model, seed: seed)
      let right = LSTM.gradients(p, tokens: tokens, options: model.options)
      for m in [LSTMMistakes.cellCarryOmitted, .cellCarryWithoutForget, .hiddenCarryOmitted] {
        let wrong = MutantLSTM.evaluate(p, tokens: tokens, options: model.options, mistakes: m)
        #expect(Self.maxError(wrong.dc.row(5), right.dc.row(5)) <= 1e-12)
        #expect(Self.maxError(wrong.dc.row(4), right.dc.row(4)) > 1e-6)
      }
      // Without the path through h^(t) the cell never receives a gradient.
      let noPath = MutantLSTM.evaluate(p, tokens: tokens, options: model.options, mistakes: .cellTanhPathOmitted)
      #expect(noPath.dc.maxAbs == 0 && noPath.dc0.maxAbs == 0)
      #expect(MutantLSTM.evaluate(p, tokens: tokens, options: model.options, mistakes: .hiddenCarryOmitted).dh0.maxAbs == 0)
    }
  }
}
