import Foundation
import Testing
@testable import Grader

/// Self-check, graded and practice runs, and what every format says about them.
@Suite("Self-check, graded and practice runs")
struct GradingModeTests {
  /// Every student-facing format of `report`, by name.
  static func formats(_ report: GradeReport) -> [(String, String)] {
    [.text, .json, .markdown, .junit, .gradescope, .prairielearn].map { ($0.rawValue, report.rendered($0)) }
      + [("html", report.htmlReport())]
  }

  @Test("without the key a grading is a self-check, and every format says it is not a grade", arguments: shippedAssignments)
  func selfCheck(assignment: String) throws {
    let g = try grader(assignment)
    let report = g.grade(student: "sam", answers: correctAnswers(g, student: "sam"))
    #expect(report.mode == .selfCheck)
    #expect(report.notes.contains { $0.contains("self-check, not a grade") })
    for (name, text) in Self.formats(report) {
      #expect(text.contains("Self-check, not a grade") || text.contains("self-check, not a grade"), "\(name)")
    }
    #expect(report.rendered(.json).contains("\"mode\" : \"self-check\""))
    #expect(report.rendered(.junit).contains("name=\"mode\" value=\"self-check\""))
  }

  @Test("with the key it is graded, and no format calls it a self-check", arguments: shippedAssignments)
  func graded(assignment: String) throws {
    let g = try grader(assignment, key: testKey)
    let report = g.grade(student: "sam", answers: correctAnswers(g, student: "sam"))
    #expect(report.mode == .graded)
    #expect(report.score == report.maxScore)
    for (name, text) in Self.formats(report) {
      #expect(!text.lowercased().contains("self-check"), "\(name)")
    }
    #expect(report.rendered(.json).contains("\"mode\" : \"graded\""))
  }

  @Test("\"credit\": \"code-only\": arrays are practice with 0 points and a note; code is graded")
  func codeOnly() throws {
    var g = try grader("rnn-bptt", key: testKey)
    g.rubric.credit = .codeOnly
    let arrays = g.grade(student: "sam", answers: correctAnswers(g, student: "sam"))
    #expect(arrays.mode == .practice)
    #expect(arrays.score == 0 && arrays.maxScore > 0)
    #expect(arrays.items.allSatisfy { $0.status == .pass && $0.points == 0 }, "still checked, for practice")
    #expect(arrays.notes.contains { $0.contains("gives credit only for code, Swift or Python") })
    for (name, text) in Self.formats(arrays) {
      #expect(text.contains("Practice, not graded") || text.contains("credit only for code, Swift or Python"), "\(name)")
    }
    let code = g.grade(student: "sam", answers: correctAnswers(g, student: "sam"), kind: .code)
    #expect(code.mode == .graded && code.score == code.maxScore)
    // Without the key nothing is a grade, whatever the credit.
    g.courseKey = nil
    #expect(g.grade(student: "sam", answers: correctAnswers(g, student: "sam")).mode == .selfCheck)
  }
}
