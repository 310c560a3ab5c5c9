import Foundation
import Testing
@testable import Grader

@Suite("The gradebook CSV")
struct GradebookTests {
  @Test("rows sorted by student, the documented columns, points per item")
  func columns() throws {
    let g = try grader("rnn-bptt")
    let full = g.grade(student: "zoe", answers: correctAnswers(g, student: "zoe"))
    let mixed = try mixedReport(student: "adam")
    let csv = Gradebook.csv([full, mixed], items: g.assignment.items.map(\.id))
    let lines = csv.split(separator: "\n").map(String.init)
    #expect(lines[0] == "student,score,max_score,status," + g.assignment.items.map(\.id).joined(separator: ","))
    #expect(lines[1].hasPrefix("adam,\(ItemResult.points(mixed.score)),19,self-check,"))
    #expect(lines[2] == "zoe,19,19,self-check," + g.assignment.items.map { ItemResult.points(g.rubric.entry($0.id).points) }.joined(separator: ","))
    #expect(lines.count == 3 && csv.hasSuffix("\n"))
    // The same reports in another order give the same bytes.
    #expect(Gradebook.csv([mixed, full], items: g.assignment.items.map(\.id)) == csv)
  }

  @Test("the status column: graded, practice, unreadable, not-graded, self-check")
  func status() throws {
    let g = try grader("rnn-bptt", key: testKey)
    #expect(GradebookStatus(g.grade(student: "zoe", answers: correctAnswers(g, student: "zoe"))) == .graded)
    #expect(GradebookStatus(try grader("rnn-bptt").grade(student: "zoe", answers: correctAnswers(g, student: "zoe"))) == .selfCheck)
    var codeOnly = g
    codeOnly.rubric.credit = .codeOnly
    #expect(GradebookStatus(codeOnly.grade(student: "zoe", answers: correctAnswers(g, student: "zoe"))) == .practice)
    let unreadable = g.grade(student: "u", answers: Dictionary(uniqueKeysWithValues: g.assignment.items.map { ($0.id, SubmittedAnswer.unreadable("not an array file")) }))
    #expect(GradebookStatus(unreadable) == .unreadable)
    #expect(GradebookStatus(BatchRunner.ungradedReport(grader: g, student: "c", reason: "the grading process crashed (signal 11)")) == .notGraded)
  }

  @Test("fields with commas or quotes are quoted")
  func quoting() {
    #expect(Gradebook.field("plain") == "plain")
    #expect(Gradebook.field("a,b") == "\"a,b\"")
    #expect(Gradebook.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
  }
}
