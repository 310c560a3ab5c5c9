import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

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

@Suite("Diagnosis localization of what no slip explains")
struct UnexplainedLocalizationTests {
  /// dW_h from the reference's terms ∂J/∂W_h|_(i) = ∂J/∂z^(i) h^(i−1)ᵀ with weights `c`.
  static func weighted(_ g: Autograder, student: String, _ c: [Double]) throws -> Tensor {
    let inputs = g.inputs(for: student)
    let terms = try #require(g.model.derivation!.prepare(inputs).terms(of: "dW_h"))
    var out = [Double](repeating: 0, count: terms.terms[0].count)
    for (k, t) in terms.terms.enumerated() { for e in out.indices { out[e] += c[k] * t.scalars[e] } }
    return Tensor(shape: terms.terms[0].shape, scalars: out)
  }

  @Test("dW_h alone, its sum stopped early: the terms it lacks are named from the partial sums")
  func partialSum() throws {
    let g = try grader("rnn-bptt")
    let value = try Self.weighted(g, student: "part", [0, 0, 1, 1, 1, 1])
    let item = DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "part", value: value)
    let d = try #require(item.diagnosis)
    #expect(d.id == Diagnoser.unknownID)
    #expect(d.message.contains("the terms i = 1 … 2 are missing"), "\(d.message)")
    #expect(d.message.contains("∂J/∂W_h|_(i) = ∂J/∂z^(i) h^(i−1)ᵀ"))
  }

  @Test("dW_h alone, one term weighted wrongly: the first term that differs, going back from T")
  func weightedTerm() throws {
    let g = try grader("rnn-bptt")
    let value = try Self.weighted(g, student: "weight", [1, 1, 1, 0.5, 1, 1])
    let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "weight", value: value).diagnosis)
    #expect(d.id == Diagnoser.unknownID)
    #expect(d.message.contains("the terms agree down to i = 5 and first differ at i = 4"), "\(d.message)")
  }

  @Test("terms that themselves differ are said to differ, not the sum")
  func termsDiffer() throws {
    let g = try grader("rnn-bptt")
    var rng = SplitMix64(seed: 8)
    var value = g.reference(for: "noise")["dW_h"]!
    value.scalars = value.scalars.map { $0 * (1 + rng.uniform(0.05, 0.15)) }
    let d = try #require(DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "noise", value: value).diagnosis)
    #expect(d.message.contains("is not a weighted sum of the terms"), "\(d.message)")
  }

  @Test("with the rest of the submission: the items that agree, and the first step only the failing ones go through")
  func acrossItems() throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "across")
    guard case .value(var dW_h) = answers["dW_h"]!, case .value(var dW_e) = answers["dW_e"]! else { Issue.record("no values"); return }
    var rng = SplitMix64(seed: 9)
    dW_h.scalars = dW_h.scalars.map { $0 * (1 + rng.uniform(0.05, 0.15)) }
    dW_e.scalars = dW_e.scalars.map { $0 * (1 + rng.uniform(0.05, 0.15)) }
    answers["dW_h"] = .value(dW_h)
    answers["dW_e"] = .value(dW_e)
    let report = g.grade(student: "across", answers: answers)
    let d = try #require(report.item("dW_h")?.diagnosis)
    #expect(d.id == Diagnoser.unknownID)
    #expect(d.message.contains("agree with the reference; dW_e does not"), "\(d.message)")
    #expect(d.message.contains("The first step your dW_h goes through that no agreeing item does is ∂J/∂W_h = Σ_i ∂J/∂z^(i) h^(i−1)ᵀ"), "\(d.message)")
  }
}
