import Foundation
import Testing
@testable import Grader
import Jacobians

/// No reference value reaches a student's report unless the rubric says `"feedback": "full"`.
///
/// For every item of every shipped assignment: a submission right everywhere but that item,
/// which is the reference plus large noise; its report rendered in every student-facing format
/// (text, JSON, Markdown, HTML with its derivations and pictures, Gradescope, PrairieLearn,
/// JUnit) and the item's derivation; then every entry of every item's reference that is not one
/// of the student's own submitted values is searched for, printed the way reports print numbers
/// (`Autograder.number`) and the way JSON does (Swift's shortest spelling). Entries with fewer than 4 significant digits are skipped: 0.5 or −1 may
/// appear for other reasons.
@Suite("What a student's report reveals")
struct RevealTests {
  struct Case: Sendable, CustomStringConvertible {
    var assignment: String
    var item: String
    var description: String { "\(assignment)/\(item)" }
  }

  static let cases: [Case] = shippedAssignments.flatMap { a in
    (try? shipped(a).0.items.map { Case(assignment: a, item: $0.id) }) ?? []
  }

  /// The significant digits of a printed number: its mantissa without sign, point, leading and
  /// trailing zeros ("-0.0012340" → "1234", "1.000e-05" → "1").
  static func significantDigits(_ text: String) -> Int {
    let mantissa = text.split(whereSeparator: { $0 == "e" || $0 == "E" }).first.map(String.init) ?? text
    var digits = mantissa.filter(\.isNumber)
    while digits.hasPrefix("0") { digits.removeFirst() }
    while digits.hasSuffix("0") { digits.removeLast() }
    return digits.count
  }

  /// How each reference entry could be printed, when it has enough digits to be told apart.
  static func spellings(of reference: [String: Tensor]) -> [(item: String, text: String)] {
    var out: [(String, String)] = []
    for (item, tensor) in reference where tensor.dtype.isFloatingPoint {
      for x in tensor.scalars where x.isFinite {
        for text in [Autograder.number(x), "\(x)"] where significantDigits(text) >= 4 {
          out.append((item, text))
        }
      }
    }
    return out
  }

  /// The student-facing outputs of a report of `g`.
  static func outputs(_ report: GradeReport, grader g: Autograder, item: String) throws -> [(String, String)] {
    var out: [(String, String)] = [ReportFormat.text, .json, .markdown, .junit, .gradescope, .prairielearn].map { ($0.rawValue, report.rendered($0)) }
    out.append(("html", report.htmlReport(context: HTMLReportContext.make(for: g, student: report.student))))
    out.append(("explain", try Explainer.explain(assignment: g.assignment, item: item, student: report.student, values: g.revealsReference).rendered()))
    return out
  }

  /// The reference with `item` replaced by itself plus noise of its own size, as answers.
  static func failingSubmission(_ g: Autograder, student: String, item: String) -> [String: SubmittedAnswer] {
    var rng = SplitMix64(seed: 99)
    var answers = correctAnswers(g, student: student)
    var t = g.reference(for: student)[item]!
    let scale = Swift.max(t.scalars.map { Swift.abs($0) }.max() ?? 1, 1e-3)
    t.scalars = t.scalars.map { $0 + scale * rng.uniform(0.5, 1.5) * (rng.next() & 1 == 0 ? 1 : -1) }
    answers[item] = .value(t)
    return answers
  }

  @Test("a graded report shows no reference entry in any format, for every item", arguments: cases)
  func gradedReportsRevealNothing(c: Case) throws {
    let g = try grader(c.assignment, key: testKey)
    let student = "riley"
    let report = g.grade(student: student, answers: Self.failingSubmission(g, student: student, item: c.item))
    let result = try #require(report.item(c.item))
    #expect(result.status == .fail, "the submission fails \(c.item)")
    #expect(!report.revealsReference)
    // The student's own values may be shown back (a table of yours); the others are the reference's.
    let answers = Self.failingSubmission(g, student: student, item: c.item)
    let own = Set(Self.spellings(of: answers.compactMapValues { if case .value(let t) = $0 { return t } else { return nil } }).map(\.text))
    // (Empty when the item's every entry is short, like a count, or also another item's value.)
    let spellings = Self.spellings(of: g.reference(for: student)).filter { !own.contains($0.text) }
    for (format, text) in try Self.outputs(report, grader: g, item: c.item) {
      for s in spellings where text.contains(s.text) {
        Issue.record("\(c): the \(format) report shows \(s.text), an entry of the reference \(s.item)")
      }
    }
    // What stays: where, how large, the diagnosis and the hint.
    #expect(result.message.contains("worst at") || result.message.contains("differs from the numeric gradient at"))
    #expect(result.message.contains("max abs error") || result.message.contains("abs error"))
  }

  @Test("a self-check's report withholds them as well")
  func selfCheckRevealsNothing() throws {
    let g = try grader("rnn-bptt")
    let report = g.grade(student: "riley", answers: Self.failingSubmission(g, student: "riley", item: "dW_h"))
    let spellings = Self.spellings(of: g.reference(for: "riley"))
    for (format, text) in try Self.outputs(report, grader: g, item: "dW_h") {
      #expect(!spellings.contains { text.contains($0.text) }, "\(format)")
    }
  }

  @Test("\"feedback\": \"full\" shows the expected values: the search above finds what it looks for")
  func fullFeedbackReveals() throws {
    var g = try grader("rnn-bptt", key: testKey)
    g.rubric.feedback = .full
    let report = g.grade(student: "riley", answers: Self.failingSubmission(g, student: "riley", item: "dW_h"))
    #expect(report.revealsReference)
    let message = try #require(report.item("dW_h")?.message)
    #expect(message.contains("expected "))
    let reference = Self.spellings(of: ["dW_h": g.reference(for: "riley")["dW_h"]!])
    for (format, text) in try Self.outputs(report, grader: g, item: "dW_h") where ["text", "json", "html", "explain"].contains(format) {
      #expect(reference.contains { text.contains($0.text) }, "\(format) shows the reference")
    }
  }

  @Test("a failure at a hidden input set names the entry and the relative error, not the hidden set's reference")
  func hiddenSetFailures() throws {
    let g = try grader("rnn-bptt", key: testKey)
    let student = "riley"
    let answers = correctAnswers(g, student: student)
    let hidden = try #require(g.hiddenInputs(for: student, set: 0))
    var report = g.grade(student: student, answers: answers, kind: .code)
    g.applyHiddenChecks(to: &report, runs: [(hidden, answers)])
    let spellings = Self.spellings(of: g.model.reference(inputs: hidden))
    for (format, text) in try Self.outputs(report, grader: g, item: "dW_h") {
      for s in spellings where text.contains(s.text) {
        Issue.record("the \(format) report shows \(s.text) of the hidden set's \(s.item)")
      }
    }
    #expect(report.items.allSatisfy { $0.message.contains("not at the hidden input set") && $0.message.contains("worst at") })
  }
}
