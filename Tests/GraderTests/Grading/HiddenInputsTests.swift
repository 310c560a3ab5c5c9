import Testing
@testable import Grader

@Suite("Hidden input sets")
struct HiddenInputsTests {
  @Test("hidden sets differ from the student's inputs and from each other, and are the same on every run")
  func hiddenSetsAreNew() throws {
    let g = try grader("rnn-bptt")
    let visible = g.inputs(for: "kim")
    let h0 = g.hiddenInputs(for: "kim", set: 0), h1 = g.hiddenInputs(for: "kim", set: 1)
    #expect(h0["W_h"] != visible["W_h"])
    #expect(h0["W_h"] != h1["W_h"])
    #expect(h0["W_h"] == g.hiddenInputs(for: "kim", set: 0)["W_h"])
  }

  @Test("code right at every set keeps its points; code that repeats its own numbers loses them", arguments: shippedAssignments)
  func hiddenChecks(assignment: String) throws {
    let g = try grader(assignment)
    let student = "lee"
    let visibleAnswers = correctAnswers(g, student: student)
    let hidden = (0..<2).map { g.hiddenInputs(for: student, set: $0) }

    var honest = g.grade(student: student, answers: visibleAnswers)
    g.applyHiddenChecks(to: &honest, runs: hidden.map { ($0, g.model.reference(inputs: $0).mapValues { SubmittedAnswer.value($0) }) })
    #expect(honest.allPassed, "\(honest.items.filter { $0.status != .pass }.map(\.message))")
    #expect(honest.notes.contains { $0.contains("2 hidden input sets") })

    // An item whose value is the same at every input set (ngram-lm's perplexity_uniform = V + 1)
    // is right when repeated; every other item loses its points.
    let visible = g.reference(for: student)
    let constant = Set(g.assignment.items.map(\.id).filter { id in hidden.allSatisfy { g.model.reference(inputs: $0)[id] == visible[id] } })
    var parrot = g.grade(student: student, answers: visibleAnswers)
    g.applyHiddenChecks(to: &parrot, runs: hidden.map { ($0, visibleAnswers) })
    #expect(parrot.score == constant.reduce(0) { $0 + g.rubric.entry($1).points })
    #expect(parrot.items.filter { !constant.contains($0.id) }.allSatisfy { $0.message.contains("not at hidden input set 1 of 2") })
    #expect(constant.count < g.assignment.items.count)
  }

  @Test("the shipped rubrics ask for one hidden input set")
  func rubricKey() throws {
    let (_, rubric) = try shipped("rnn-bptt")
    #expect(rubric.hiddenInputSets == 1)
  }
}
