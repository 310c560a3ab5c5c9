import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians
import TestSupport

@Suite("gru-lm")
struct GRULanguageModelTests {
  static let sizes = ["T": 6, "V": 10, "d": 4, "H": 3]
  static let optionSets: [GRUOptions] = GRUReset.allCases.flatMap { reset in
    GRUUpdate.allCases.flatMap { update in
      LossReduction.allCases.flatMap { reduction in
        LSTMLanguageModelTests.truncations.map { GRUOptions(reset: reset, update: update, reduction: reduction, truncation: $0) }
      }
    }
  }

  @Test("the reference agrees with its numeric estimate (the truncated objective) for every item, in every option the loader accepts", arguments: optionSets.indices)
  func numericSelfCheck(optionIndex: Int) {
    let options = Self.optionSets[optionIndex]
    let model = GRULanguageModel(sizes: Self.sizes, options: options)
    for seed in randomSeeds.prefix(2) {
      var rng = SplitMix64(seed: seed)
      let failures = LSTMLanguageModelTests.selfCheckFailures(model, inputs: model.generateInputs(using: &rng))
      #expect(failures.isEmpty, "\(options) seed \(seed): \(failures)")
    }
  }

  @Test("T = 1 and a one-unit state pass the self-check")
  func smallestSizes() {
    for sizes in [["T": 1, "V": 3, "d": 2, "H": 1], ["T": 2, "V": 2, "d": 1, "H": 2]] {
      for options in [GRUOptions(), GRUOptions(reset: .before, update: .new, truncation: .window(1)), GRUOptions(truncation: .chunks(1))] {
        let model = GRULanguageModel(sizes: sizes, options: options)
        var rng = SplitMix64(seed: 11)
        let failures = LSTMLanguageModelTests.selfCheckFailures(model, inputs: model.generateInputs(using: &rng))
        #expect(failures.isEmpty, "\(sizes) \(options): \(failures)")
      }
    }
  }

  @Test("a carry mistake leaves step T of dh right: the diagnosis names it and step T − 1", arguments: [
    "direct-path-missing", "reset-left-out-of-carry", "only-current-step", "tanh-derivative-for-sigmoid-gates",
  ])
  func carriesDivergeAtTMinusOne(mutant: String) throws {
    let g = try grader("gru-lm")
    let T = g.assignment.model.size("T")
    for student in DiagnosisFixtures.students {
      let c = try #require(DiagnosisFixtures.cases(g, students: [student]).first { $0.item == "dh" && $0.mutant == mutant })
      let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dh", student: student, value: c.value).diagnosis)
      #expect(d.id == mutant)
      #expect(d.divergesFromStep == T - 1, "\(student) \(mutant): \(d.message)")
      #expect(d.message.contains("your ∂J/∂h^(t) first differs at step \(T - 1)"))
    }
  }

  @Test("truncation to k steps leaves the last k rows of dh right and diverges from T − k", arguments: [2, 3, 4, 5])
  func truncationDivergesAtTMinusK(k: Int) throws {
    let g = try grader("gru-lm")
    let T = g.assignment.model.size("T")
    let model = g.model as! GRULanguageModel
    var options = model.options
    options.truncation = .window(k)
    for student in DiagnosisFixtures.students {
      let inputs = g.inputs(for: student)
      let truncated = GRU.gradients(model.parameters(inputs), tokens: model.tokens(inputs), options: options)
      let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dh", student: student, value: Tensor(truncated.dh)).diagnosis)
      #expect(d.id == "truncated-bptt")
      #expect(d.divergesFromStep == T - k)
      #expect(d.divergingSteps == Array(stride(from: T - k, through: 1, by: -1)))
    }
  }

  @Test("the update gate swapped names the variant: the other convention, or its backward on this forward")
  func updateVariants() throws {
    let g = try grader("gru-lm")
    let cases = DiagnosisFixtures.cases(g, students: ["cy"]).filter { $0.item == "dW_h" && $0.mutant == "update-gate-swapped" }
    #expect(cases.map(\.parameter) == [1, 2])
    let model = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "cy", value: cases[0].value).diagnosis)
    #expect(model.message.contains("is computed with h^(t) = z ⊙ n + (1 − z) ⊙ h^(t−1)"))
    let backward = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "cy", value: cases[1].value).diagnosis)
    #expect(backward.message.contains("as if it were h^(t) = z ⊙ n + (1 − z) ⊙ h^(t−1)"))
  }

  @Test("the figures show ‖∂J^(T)/∂h^(i)‖ and the direct path by distance, and dh by step")
  func figures() throws {
    let g = try grader("gru-lm")
    let model = g.model as! GRULanguageModel
    let inputs = g.inputs(for: "demo")
    let figures = model.figures(inputs: inputs)
    #expect(figures.count == 2)
    let T = model.size("T")
    let back = ExplicitGRU.hiddenGradients(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options, t: T)
    let travel = figures[0].chart.series
    #expect(travel.count == 2)
    for (k, row) in back.enumerated() { #expect(abs(travel[0].points[k].y - row.frobeniusNorm) <= 1e-12) }
    #expect(travel[1].points[0].y == travel[0].points[0].y)
    #expect(travel.allSatisfy { $0.points.count == T + 1 && $0.points.allSatisfy { $0.y.isFinite && $0.y >= 0 } })
    let dh = model.reference(inputs: inputs)["dh"]!.matrix
    for t in 1...T { #expect(abs(figures[1].chart.series[0].points[t - 1].y - dh.row(t - 1).frobeniusNorm) <= 1e-12) }
  }

  @Test("grade explain db_h names b_hn inside the reset gate")
  func explainRecurrentBias() throws {
    let g = try grader("gru-lm")
    let e = try Explainer.explain(assignment: g.assignment, item: "db_h", student: "demo", values: true)
    let text = e.rendered()
    #expect(text.contains("n = tanh(x_n + r ⊙ (W_hn h^(t−1) + b_hn))"))
    #expect(text.contains("b_hn sits inside r ⊙ (W_hn h^(t−1) + b_hn): its block is Σ_t ∂J/∂n̂ ⊙ r"))
  }
}
