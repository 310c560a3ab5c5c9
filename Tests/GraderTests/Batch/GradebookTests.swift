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

  @Test("a student not graded (infrastructure) has no score: empty cells, and none of the summary's figures counts them")
  func notGradedHasNoScore() throws {
    let g = try grader("rnn-bptt", key: testKey)
    let full = g.grade(student: "zoe", answers: correctAnswers(g, student: "zoe"))
    let failed = BatchRunner.ungradedReport(grader: g, student: "cal", reason: "Could not write results/cal.json: No space left on device.")
    #expect(failed.items.allSatisfy { $0.message.hasPrefix("'\($0.id)': not graded (infrastructure): Could not write") })
    let lines = Gradebook.csv([full, failed], items: g.assignment.items.map(\.id)).split(separator: "\n").map(String.init)
    #expect(lines[1] == "cal,,19,not-graded" + String(repeating: ",", count: g.assignment.items.count))
    let summary = BatchSummary(reports: [full, failed], assignment: g.assignment)
    #expect(summary.students == 2 && summary.meanScore == 19 && summary.medianScore == 19 && summary.fullMarks == 1)
    #expect(summary.ungraded == ["cal"])
    #expect(summary.items.allSatisfy { $0.students == 1 && $0.passed == 1 })
  }

  @Test("fields with commas or quotes are quoted")
  func quoting() {
    #expect(Gradebook.field("plain") == "plain")
    #expect(Gradebook.field("a,b") == "\"a,b\"")
    #expect(Gradebook.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
  }
}
