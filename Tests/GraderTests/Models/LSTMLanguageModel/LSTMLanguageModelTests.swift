import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("lstm-lm")
struct LSTMLanguageModelTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]
  /// Every truncation the loader accepts that differs at T = 6 (k ≥ T is full BPTT).
  static let truncations: [Truncation] = [.full] + (1...6).flatMap { [Truncation.window($0), .chunks($0)] }
  static let optionSets: [LSTMOptions] = LSTMGateOrder.allCases.flatMap { order in
    LossReduction.allCases.flatMap { reduction in
      truncations.map { LSTMOptions(gateOrder: order, reduction: reduction, truncation: $0) }
    }
  }

  /// `Autograder.numericTolerance`, the bound of the grader's self-check.
  static let numericTolerance = Tolerance(relative: 1e-5, absolute: 1e-7)

  /// The grader's self-check: the reference against its own numeric estimate, as `Autograder`
  /// makes it (every item here is small enough for central differences on every entry).
  static func selfCheckFailures(_ model: some ModelReference, inputs: [String: Tensor]) -> [String] {
    let reference = model.reference(inputs: inputs)
    var failures: [String] = []
    var rng = SplitMix64(seed: 7)
    let probes = model.numericProbes(inputs: inputs)
    for item in model.items {
      let probe = probes[item.name]
      if item.name == "loss" {
        if probe != nil { failures.append("loss has probes") }
        continue
      }
      guard let probe else {
        failures.append("\(item.name) has no probe")
        continue
      }
      let expected = reference[item.name]!
      let estimate = NumericEstimator.estimate(probe, rng: &rng)
      #expect(estimate.method == .exact)
      let c = NumericEstimator.compare(expected.scalars, with: estimate, shape: item.shape, tolerance: Self.numericTolerance)
      if !c.passed { failures.append("\(item.name): max rel error \(c.maxRelError) at \(c.worstIndex)") }
    }
    return failures
  }

  @Test("the reference agrees with its numeric estimate (the truncated objective) for every item, in every option the loader accepts", arguments: optionSets.indices)
  func numericSelfCheck(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    let model = LSTMLanguageModel(sizes: Self.sizes, options: options)
    for seed in randomSeeds.prefix(2) {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      let failures = Self.selfCheckFailures(model, inputs: inputs)
      #expect(failures.isEmpty, "\(options) seed \(seed): \(failures)")
    }
  }

  @Test("the truncated gradient is not J's: the truncated objective is what the probes differentiate")
  func truncatedIsNotFull() {
    let model = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions(truncation: .window(2)))
    var rng = SplitMix64(seed: 3)
    let inputs = model.generateInputs(using: &rng)
    let truncated = model.reference(inputs: inputs)["dW_h"]!
    let full = LSTMLanguageModel(sizes: Self.sizes, options: LSTMOptions()).reference(inputs: inputs)["dW_h"]!
    let gap = zip(truncated.scalars, full.scalars).map { abs($0 - $1) }.max()!
    #expect(gap > 1e-4, "window(2) and full BPTT differ by \(gap)")
  }

  @Test("T = 1 and a one-unit cell pass the self-check")
  func smallestSizes() {
    for sizes in [["T": 1, "V": 3, "d": 2, "H": 1], ["T": 2, "V": 2, "d": 1, "H": 2]] {
      for truncation in [Truncation.full, .window(1), .chunks(1)] {
        let model = LSTMLanguageModel(sizes: sizes, options: LSTMOptions(truncation: truncation))
        var rng = SplitMix64(seed: 11)
        let failures = Self.selfCheckFailures(model, inputs: model.generateInputs(using: &rng))
        #expect(failures.isEmpty, "\(sizes) \(truncation): \(failures)")
      }
    }
  }

  // MARK: Localization

  @Test("a carry missing leaves step T of dh, dc, da right: the diagnosis names the mistake and step T − 1", arguments: [
    ("dh", "hidden-carry-missing"), ("dc", "hidden-carry-missing"), ("da", "hidden-carry-missing"),
    ("dc", "cell-carry-missing"), ("da", "cell-carry-without-forget-gate"), ("dh", "current-cell-in-forget-gate"),
  ])
  func carriesDivergeAtTMinusOne(item: String, mutant: String) throws {
    let g = try grader("lstm-lm")
    let T = g.assignment.model.size("T")
    for student in DiagnosisFixtures.students {
      let c = try #require(DiagnosisFixtures.cases(g, students: [student]).first { $0.item == item && $0.mutant == mutant })
      let d = try #require(DiagnosisFixtures.gradeItem(g, item: item, student: student, value: c.value).diagnosis)
      #expect(d.id == mutant)
      #expect(d.divergesFromStep == T - 1, "\(student) \(item) \(mutant): \(d.message)")
      #expect(d.message.contains("steps \(T)…\(T) agree with the reference"))
      #expect(d.message.contains("first differs at step \(T - 1)"))
    }
  }

  @Test("without the path through h^(t), dc differs at every step, from T")
  func tanhPathDivergesAtT() throws {
    let g = try grader("lstm-lm")
    let T = g.assignment.model.size("T")
    let c = try #require(DiagnosisFixtures.cases(g, students: ["ada"]).first { $0.item == "dc" && $0.mutant == "cell-tanh-path-missing" })
    let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dc", student: "ada", value: c.value).diagnosis)
    #expect(d.divergesFromStep == T)
    #expect(d.divergingSteps == Array(stride(from: T, through: 1, by: -1)))
  }

  @Test("truncation to k steps leaves the last k rows of dc right and diverges from T − k", arguments: [2, 3, 4, 5])
  func truncationDivergesAtTMinusK(k: Int) throws {
    let g = try grader("lstm-lm")
    let T = g.assignment.model.size("T")
    let model = g.model as! LSTMLanguageModel
    var options = model.options
    options.truncation = .window(k)
    for student in DiagnosisFixtures.students {
      let inputs = g.inputs(for: student)
      let truncated = LSTM.gradients(model.parameters(inputs), tokens: model.tokens(inputs), options: options)
      for (item, value) in [("dc", truncated.dc), ("dh", truncated.dh), ("da", truncated.da)] {
        let d = try #require(DiagnosisFixtures.gradeItem(g, item: item, student: student, value: Tensor(value)).diagnosis)
        #expect(d.id == "truncated-bptt")
        #expect(d.message.contains("k = \(k)"))
        #expect(d.divergesFromStep == T - k, "\(item) \(student)")
        #expect(d.divergingSteps == Array(stride(from: T - k, through: 1, by: -1)))
      }
    }
  }

  @Test("an unknown slip in one row of dc is localized to that step", arguments: [1, 3, 6])
  func unknownLocalized(step: Int) throws {
    let g = try grader("lstm-lm")
    var answers = correctAnswers(g, student: "mo")
    guard case .value(var t) = answers["dc"]! else { Issue.record("no value"); return }
    t.scalars[(step - 1) * 3 + 1] += 0.25
    answers["dc"] = .value(t)
    let report = g.grade(student: "mo", answers: answers)
    #expect(report.items.filter { $0.status != .pass }.map(\.id) == ["dc"])
    let d = try #require(report.item("dc")?.diagnosis)
    #expect(d.id == Diagnoser.unknownID)
    #expect(d.divergesFromStep == step)
    #expect(d.divergingSteps == [step])
    #expect(d.message.contains("your ∂J/∂c^(t) first differs at step \(step)"))
  }

  @Test("the gate order swapped names the variant: the weights read in the other order, or the blocks written in it")
  func gateOrderVariants() throws {
    let g = try grader("lstm-lm")
    let cases = DiagnosisFixtures.cases(g, students: ["ben"]).filter { $0.item == "dW_x" && $0.mutant == "gate-order-swapped" }
    #expect(cases.map(\.parameter) == [1, 2])
    let read = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_x", student: "ben", value: cases[0].value).diagnosis)
    #expect(read.message.contains("whose blocks are read in the order ifgo"))
    let written = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_x", student: "ben", value: cases[1].value).diagnosis)
    #expect(written.message.contains("has its blocks of H rows in the order ifgo"))
  }

  // MARK: Teaching

  @Test("the figures show ‖∂J^(T)/∂h^(i)‖, ‖∂J^(T)/∂c^(i)‖ and the cell path by distance, and dh, dc by step")
  func figures() throws {
    let g = try grader("lstm-lm")
    let model = g.model as! LSTMLanguageModel
    let inputs = g.inputs(for: "demo")
    let figures = model.figures(inputs: inputs)
    #expect(figures.count == 2)
    let T = model.size("T")
    let travel = figures[0].chart.series
    #expect(travel.count == 3)
    let back = ExplicitLSTM.stateGradients(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options, t: T)
    for (k, state) in back.enumerated() {
      #expect(abs(travel[0].points[k].y - state.dh.frobeniusNorm) <= 1e-12)
      #expect(abs(travel[1].points[k].y - state.dc.frobeniusNorm) <= 1e-12)
    }
    // The cell path alone is part of ∂J^(T)/∂c^(i): at distance 0 they are the same vector.
    #expect(travel[2].points[0].y == travel[1].points[0].y)
    #expect(travel.allSatisfy { $0.points.count == T + 1 && $0.points.allSatisfy { $0.y.isFinite && $0.y >= 0 } })
    let reference = model.reference(inputs: inputs)
    let dc = reference["dc"]!.matrix
    for t in 1...T { #expect(abs(figures[1].chart.series[1].points[t - 1].y - dc.row(t - 1).frobeniusNorm) <= 1e-12) }
    let report = g.grade(student: "demo", answers: correctAnswers(g, student: "demo"))
    let html = report.htmlReport(showHidden: false, context: HTMLReportContext.make(for: g, student: "demo"))
    #expect(html.contains("How the gradient travels back through the cell"))
  }

  @Test("grade explain dc prints the cell's two paths, ending in the reference")
  func explainCell() throws {
    let g = try grader("lstm-lm")
    let e = try Explainer.explain(assignment: g.assignment, item: "dc", student: "demo", values: true)
    let text = e.rendered()
    #expect(text.contains("∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1)"))
    #expect(text.contains("∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1)"))
    #expect(e.steps.last?.value?.scalars == g.reference(for: "demo")["dc"]!.scalars)
  }
}
