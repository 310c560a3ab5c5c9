import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

@Suite("Diagnoser")
struct DiagnoserTests {
  @Test("every mutant, on every shipped assignment and item it applies to, fails and is diagnosed as itself, for several students", arguments: shippedAssignments)
  func everyMutantIsDiagnosed(assignment: String) throws {
    let g = try grader(assignment)
    let cases = DiagnosisFixtures.cases(g)
    #expect(!cases.isEmpty)
    for c in cases {
      let item = DiagnosisFixtures.gradeItem(g, item: c.item, student: c.student, value: c.value)
      #expect(item.status == .fail, "\(c): \(item.message)")
      #expect(item.diagnosis?.id == c.mutant, "\(c) diagnosed as \(item.diagnosis?.id ?? "nothing"): \(item.diagnosis?.message ?? "")")
    }
  }

  @Test("every mutant of the catalogue applies somewhere and is produced for at least one student")
  func everyMutantIsExercised() throws {
    var seen = Set<String>()
    for id in shippedAssignments {
      let g = try grader(id)
      for c in DiagnosisFixtures.cases(g) { seen.insert(c.mutant) }
    }
    var all = Set<String>()
    for id in shippedAssignments {
      let mutants = try grader(id).model.mistakes.mutants
      #expect(Set(mutants.map(\.id)).count == mutants.count, "\(id): ids are unique")
      all.formUnion(mutants.map(\.id))
    }
    #expect(all.subtracting(seen).isEmpty, "never produced: \(all.subtracting(seen))")
    #expect(all.count >= 21)
  }

  @Test("the report's JSON carries the diagnosis on the item", arguments: [("rnn-bptt", "dW_h", "only-current-step"), ("backprop-basics", "dCE_dtheta", "sign-flipped"), ("rnn-canonical", "dW_xh", "embedding-assigned")])
  func jsonCarriesDiagnosis(assignment: String, item: String, mutant: String) throws {
    let g = try grader(assignment)
    let c = try #require(DiagnosisFixtures.cases(g, students: ["json"]).first { $0.item == item && $0.mutant == mutant })
    var answers = correctAnswers(g, student: "json")
    answers[item] = .value(c.value)
    let report = g.grade(student: "json", answers: answers)
    #expect(report.items.filter { $0.status != .pass }.map(\.id) == [item])
    let json = report.rendered(.json, color: false, showHidden: true)
    #expect(json.contains("\"diagnosis\""))
    #expect(json.contains("\"id\" : \"\(mutant)\""), "\(json)")
  }

  @Test("the message for only the i = t term names the sum over i")
  func onlyCurrentStepMessage() throws {
    let g = try grader("rnn-bptt")
    let c = try #require(DiagnosisFixtures.cases(g, students: ["eve"]).first { $0.item == "dW_h" && $0.mutant == "only-current-step" })
    let item = DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "eve", value: c.value)
    let d = try #require(item.diagnosis)
    #expect(d.message.contains("equals only the i = t term of Σ_i ∂J^(t)/∂W_h|_(i)"))
    #expect(d.message.contains("W_h is used at every step, so its gradient sums over all of them"))
    #expect(item.message.contains(d.message))
  }

  @Test("truncation names k", arguments: [2, 3, 4, 5])
  func truncationNamesK(k: Int) throws {
    let g = try grader("rnn-bptt")
    let c = try #require(DiagnosisFixtures.cases(g, students: ["kay"]).first { $0.item == "dW_h" && $0.mutant == "truncated-bptt" && $0.parameter == Double(k) })
    let item = DiagnosisFixtures.gradeItem(g, item: "dW_h", student: "kay", value: c.value)
    #expect(item.diagnosis?.id == "truncated-bptt")
    #expect(item.diagnosis?.message.contains("k = \(k)") == true, "\(item.diagnosis?.message ?? "")")
  }

  @Test("a wrong answer no mutant explains is diagnosed 'unknown'", arguments: shippedAssignments)
  func unknownMistake(assignment: String) throws {
    let g = try grader(assignment)
    var rng = SplitMix64(seed: 99)
    for spec in g.assignment.items {
      let reference = g.reference(for: "zed")[spec.id]!
      // Every entry perturbed by an independent random 10 %: no mistake of the catalogue.
      let noisy = Tensor(shape: reference.shape, scalars: reference.scalars.map { $0 * (1 + rng.uniform(0.05, 0.15)) + rng.uniform(0.01, 0.02) })
      let item = DiagnosisFixtures.gradeItem(g, item: spec.id, student: "zed", value: noisy)
      #expect(item.status == .fail)
      #expect(item.diagnosis?.id == Diagnoser.unknownID, "\(assignment)/\(spec.id): \(item.diagnosis?.id ?? "none")")
      #expect(item.diagnosis?.hint.contains("grade explain \(assignment) \(spec.id)") == true)
    }
  }

  @Test("the diagnoser returns nil for the correct answer")
  func correctAnswerHasNoDiagnosis() throws {
    for id in shippedAssignments {
      let g = try grader(id)
      let d = Diagnoser(assignment: g.assignment)
      let inputs = g.inputs(for: "fay")
      let reference = g.model.reference(inputs: inputs)
      for spec in g.assignment.items {
        #expect(d.diagnose(item: spec, submitted: reference[spec.id]!, inputs: inputs, tolerance: g.rubric.entry(spec.id).tolerance) == nil)
      }
    }
  }

  @Test("items that are not values (missing, unreadable, wrong shape, NaN) carry no diagnosis")
  func nonValuesHaveNoDiagnosis() throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "gil")
    answers["dU"] = nil
    answers["dW_h"] = .unreadable("truncated file")
    answers["dW_e"] = .value(Tensor(shape: [4, 5], scalars: [Double](repeating: 0, count: 20)))
    answers["db_1"] = .value(Tensor(shape: [5], scalars: [.nan, 0, 0, 0, 0]))
    let report = g.grade(student: "gil", answers: answers)
    for id in ["dU", "dW_h", "dW_e", "db_1"] {
      #expect(report.item(id)?.status != .pass)
      #expect(report.item(id)?.diagnosis == nil, "\(id)")
    }
  }
}
