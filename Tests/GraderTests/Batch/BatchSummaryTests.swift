import Foundation
import Testing
@testable import Grader

@Suite("The batch summary")
struct BatchSummaryTests {
  @Test("pass rates per item and the most common findings, counted over students")
  func counts() throws {
    let g = try grader("rnn-bptt")
    let students = ["s1", "s2", "s3"]
    var reports = try students.map { try mixedReport(student: $0) }
    reports.append(g.grade(student: "s4", answers: correctAnswers(g, student: "s4")))
    reports.append(BatchRunner.ungradedReport(grader: g, student: "s5", reason: "the grading process crashed (signal 11)"))
    reports.append(g.grade(student: "s6", answers: Dictionary(uniqueKeysWithValues: g.assignment.items.map { ($0.id, SubmittedAnswer.unreadable("s6.json is not valid JSON")) })))
    let summary = BatchSummary(reports: reports, assignment: g.assignment)

    #expect(summary.students == 6)
    #expect(summary.fullMarks == 1)
    #expect(summary.ungraded == ["s5"])
    // s5 was not graded: no score, so no item statistic counts it (s6's unreadable file does).
    let loss = try #require(summary.items.first { $0.id == "loss" })
    #expect(loss.passed == 4 && loss.errors == 1 && abs(loss.passRate - 4.0 / 5) < 1e-12)
    let dW_h = try #require(summary.items.first { $0.id == "dW_h" })
    #expect(dW_h.passed == 1 && dW_h.failed == 3)

    func finding(_ item: String, _ kind: String) -> BatchSummary.Finding? { summary.findings.first { $0.item == item && $0.kind == kind } }
    #expect(finding("db_1", "missing")?.students == students)
    #expect(finding("dE", "unreadable")?.students == students)
    #expect(finding("delta2", "non-finite")?.students == students)
    #expect(finding(BatchSummary.wholeSubmission, "ungraded")?.students == ["s5"])
    #expect(finding(BatchSummary.wholeSubmission, "unreadable")?.students == ["s6"])
    // The transposed dW_h is a known mistake, named by its diagnosis.
    #expect(summary.findings.contains { $0.item == "dW_h" && $0.kind.hasPrefix("mistake:") && $0.students == students })
    // Most common first.
    #expect(zip(summary.findings, summary.findings.dropFirst()).allSatisfy { $0.students.count >= $1.students.count })
    #expect(summary.markdown.contains("| `dW_h` | 20% | 1 | 3 | 1 | 0 |"))
    #expect(summary.markdown == BatchSummary(reports: reports.reversed(), assignment: g.assignment).markdown)
  }
}
