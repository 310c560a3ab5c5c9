import Foundation
import Testing
@testable import Grader
import BPTTReference

@Suite("Diagnosis localization")
struct LocalizationTests {
  @Test("truncated terms diverge from step T − k", arguments: [1, 2, 3, 4, 5])
  func truncationDivergesAtTMinusK(k: Int) throws {
    let g = try grader("rnn-bptt")
    let T = g.assignment.model.size("T")
    for student in DiagnosisFixtures.students {
      let inputs = g.inputs(for: student)
      let model = g.model as! RNNLanguageModel
      var options = model.options
      options.truncation = .window(k)
      let terms = ExplicitBPTT.recurrentWeightTerms(model.columnForm(inputs), tokens: inputs["tokens"]!.ints, options: options, t: T)
      let value = Tensor(stacking: terms, shape: [5, 5])
      let item = DiagnosisFixtures.gradeItem(g, item: "dW_h_terms", student: student, value: value)
      let d = try #require(item.diagnosis)
      #expect(d.id == (k == 1 ? "only-current-step" : "truncated-bptt"))
      #expect(d.divergesFromStep == T - k)
      #expect(d.divergingSteps == Array(stride(from: T - k, through: 1, by: -1)))
      #expect(d.message.contains("first differs at step \(T - k)"))
    }
  }

  @Test("the derivative at the wrong timestep leaves the last term right and diverges from step T − 1")
  func wrongTimestep() throws {
    let g = try grader("rnn-bptt")
    let c = try #require(DiagnosisFixtures.cases(g, students: ["lou"]).first { $0.item == "dW_h_terms" && $0.mutant == "derivative-at-next-step" })
    let item = DiagnosisFixtures.gradeItem(g, item: "dW_h_terms", student: "lou", value: c.value)
    #expect(item.diagnosis?.divergesFromStep == g.assignment.model.size("T") - 1)
  }

  @Test("an unknown mistake in one step's term is localized to that step, and the JSON names it", arguments: [1, 3, 6])
  func unknownLocalized(step: Int) throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "mo")
    guard case .value(var t) = answers["dW_h_terms"]! else { Issue.record("no value"); return }
    t.scalars[(step - 1) * 25 + 7] += 0.5
    answers["dW_h_terms"] = .value(t)
    let report = g.grade(student: "mo", answers: answers)
    let d = try #require(report.item("dW_h_terms")?.diagnosis)
    #expect(d.id == Diagnoser.unknownID)
    #expect(d.divergesFromStep == step)
    #expect(d.divergingSteps == [step])
    let json = report.rendered(.json, color: false, showHidden: true)
    #expect(json.contains("diverges_from_step"))
  }

  @Test("items without timesteps carry no localization")
  func noLocalization() throws {
    let g = try grader("rnn-bptt")
    let c = try #require(DiagnosisFixtures.cases(g, students: ["ned"]).first { $0.item == "dW_h" && $0.mutant == "sign-flipped" })
    let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "ned", value: c.value).diagnosis)
    #expect(d.divergesFromStep == nil)
    #expect(d.divergingSteps == nil)
  }
}
