import Foundation
import Testing
@testable import Grader

@Suite("Terminal wrapping of the text report")
struct TerminalWrappingTests {
  struct Case: CustomStringConvertible, Sendable {
    var text: String
    var width: Int
    var indent: Int
    var expected: String
    var description: String { "\(width) columns: \(text.prefix(30))" }
  }

  // Worked by hand: greedy filling, a hanging indent, long words alone on their line.
  static let cases = [
    Case(text: "aa bb cc dd", width: 5, indent: 0, expected: "aa bb\ncc dd"),
    Case(text: "aa bb cc dd", width: 8, indent: 2, expected: "aa bb cc\n  dd"),
    Case(text: "short", width: 80, indent: 4, expected: "short"),
    Case(text: "  lead word-that-is-long x", width: 10, indent: 4, expected: "  lead\n    word-that-is-long\n    x"),
    Case(text: "one\ntwo three four", width: 9, indent: 1, expected: "one\ntwo three\n four"),
    Case(text: "\u{1B}[31mred\u{1B}[0m word", width: 8, indent: 0, expected: "\u{1B}[31mred\u{1B}[0m word"),
  ]

  @Test("wraps words, keeps long tokens whole, ignores colour codes", arguments: cases)
  func wrap(_ c: Case) {
    #expect(TerminalWrapping.wrap(c.text, width: c.width, indent: c.indent) == c.expected)
  }

  @Test("COLUMNS when it is a usable number, else 80")
  func width() {
    #expect(TerminalWrapping.width(environment: ["COLUMNS": "132"]) == 132)
    #expect(TerminalWrapping.width(environment: [:]) == 80)
    #expect(TerminalWrapping.width(environment: ["COLUMNS": "wide"]) == 80)
    #expect(TerminalWrapping.width(environment: ["COLUMNS": "3"]) == 80)
  }

  /// A failing report with long findings and hints: every item of rnn-bptt wrong.
  static func failingReport() throws -> GradeReport {
    let (assignment, rubric) = try shipped("rnn-bptt")
    let grader = Autograder(assignment: assignment, rubric: rubric)
    let reference = grader.reference(for: "ada")
    var answers: [String: SubmittedAnswer] = [:]
    for (id, t) in reference { answers[id] = .value(Tensor(shape: t.shape, scalars: t.scalars.map { -$0 * 1.5 }, dtype: t.dtype)) }
    return grader.grade(student: "ada", answers: answers, notes: ["A note long enough to need wrapping on every terminal narrower than its whole sentence, which is quite long."])
  }

  @Test("no line of the text report is longer than the width, but for a token longer than a line", arguments: [40, 80, 200])
  func reportFits(width: Int) throws {
    let report = try Self.failingReport()
    let text = report.rendered(.text, color: true, width: width)
    for line in text.split(separator: "\n") where TerminalWrapping.visibleWidth(line) > width {
      let words = line.split(separator: " ")
      #expect(words.count == 1 || words.contains { TerminalWrapping.visibleWidth($0) > width - 6 }, "\(TerminalWrapping.visibleWidth(line)) > \(width): \(line)")
    }
    // The same words in the same order as the unwrapped report.
    let flat = report.rendered(.text, color: true)
    #expect(text.split(whereSeparator: \.isWhitespace) == flat.split(whereSeparator: \.isWhitespace))
    #expect(flat.split(separator: "\n").contains { TerminalWrapping.visibleWidth($0) > 200 }, "the unwrapped report has long lines")
  }

  @Test("other formats are never wrapped")
  func otherFormats() throws {
    let report = try Self.failingReport()
    for format in [ReportFormat.json, .markdown, .junit, .gradescope] {
      #expect(report.rendered(format, width: 40) == report.rendered(format), "\(format)")
    }
  }
}
