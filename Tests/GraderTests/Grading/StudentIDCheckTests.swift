import Foundation
import Testing
@testable import Grader

@Suite("Answers made for another student id")
struct StudentIDCheckTests {
  static func grader() throws -> Autograder {
    let (assignment, rubric) = try shipped("rnn-bptt")
    return Autograder(assignment: assignment, rubric: rubric)
  }

  /// `made`'s reference answers graded as `as`.
  static func report(made: String, as student: String, grader: Autograder) -> GradeReport {
    grader.grade(student: student, answers: grader.reference(for: made).mapValues { .value($0) })
  }

  @Test("the id the answers were made for is named among the candidates, with no reference value", arguments: ["bob", "s7"])
  func namesTheID(madeFor: String) throws {
    let grader = try Self.grader()
    let report = Self.report(made: madeFor, as: "ann@example.edu", grader: grader)
    #expect(!report.items.contains { $0.status == .pass || ($0.diagnosis.map { $0.id != Diagnoser.unknownID } ?? false) }, "a precondition: nothing passes, nothing recognised")
    let note = try #require(StudentIDCheck.note(for: report, grader: grader, candidates: ["carl", "bob", "s7"]))
    #expect(note.contains("match the inputs of '\(madeFor)', not of 'ann@example.edu'"), "\(note)")
    // Ids only: no number of either student's reference.
    let numbers = grader.reference(for: "ann@example.edu").values.flatMap(\.scalars) + grader.reference(for: madeFor).values.flatMap(\.scalars)
    for x in numbers where x != 0 && x != x.rounded() { #expect(!note.contains(String(format: "%.4f", x))) }
  }

  @Test("with no candidate that matches, the report asks to check --student")
  func asks() throws {
    let grader = try Self.grader()
    let report = Self.report(made: "bob", as: "ann", grader: grader)
    for candidates in [[], ["carl"], ["ann"], [""]] {
      let note = try #require(StudentIDCheck.note(for: report, grader: grader, candidates: candidates))
      #expect(note.contains("check that --student 'ann' is the id your inputs were made for"), "\(candidates): \(note)")
    }
  }

  @Test("no note when an item passes or a known mistake matches; NaN answers match nobody")
  func quiet() throws {
    let grader = try Self.grader()
    #expect(StudentIDCheck.note(for: Self.report(made: "ann", as: "ann", grader: grader), grader: grader, candidates: ["bob"]) == nil)
    var answers = grader.reference(for: "ann").mapValues { SubmittedAnswer.value($0) }
    let dU = grader.reference(for: "ann")["dU"]!
    answers["dU"] = .value(Tensor(shape: dU.shape, scalars: dU.scalars.map { -$0 }, dtype: dU.dtype))   // sign flipped: recognised
    let partly = grader.grade(student: "ann", answers: answers)
    #expect(StudentIDCheck.note(for: partly, grader: grader, candidates: ["bob"]) == nil)
    let nan = grader.grade(student: "ann", answers: grader.reference(for: "bob").mapValues { .value(Tensor(shape: $0.shape, scalars: $0.scalars.map { _ in .nan }, dtype: $0.dtype)) })
    let note = try #require(StudentIDCheck.note(for: nan, grader: grader, candidates: ["bob"]))
    #expect(!note.contains("match the inputs of 'bob'"))
  }

  @Test("no note for code, which computes at the inputs it is given, nor for a submission with no answer")
  func notForCodeOrEmpty() throws {
    let grader = try Self.grader()
    var code = Self.report(made: "bob", as: "ann", grader: grader)
    #expect(StudentIDCheck.note(for: code, grader: grader, candidates: ["bob"]) != nil, "a precondition: as arrays it gets a note")
    code.isolation = "bubblewrap (unprivileged uid)"
    #expect(StudentIDCheck.note(for: code, grader: grader, candidates: ["bob"]) == nil)
    let empty = grader.grade(student: "ann", answers: [:])
    #expect(StudentIDCheck.note(for: empty, grader: grader, candidates: ["bob"]) == nil)
  }

  @Test("of a roster past the bound, the ids closest in spelling are compared: a typo is still found")
  func largeRoster() throws {
    let grader = try Self.grader()
    let report = Self.report(made: "student0042", as: "studnet0042", grader: grader)
    let roster = (0..<(StudentIDCheck.maximumCandidates * 4)).map { "s\($0 * 7919 % 100_003)-x" } + ["student0042"]
    let note = try #require(StudentIDCheck.note(for: report, grader: grader, candidates: roster))
    #expect(note.contains("match the inputs of 'student0042'"), "\(note)")
    let chosen = StudentIDCheck.closest(to: "studnet0042", among: roster + roster)
    #expect(chosen.count == StudentIDCheck.maximumCandidates && chosen.first == "student0042" && Set(chosen).count == chosen.count)
    #expect(StudentIDCheck.closest(to: "ann", among: ["bob", "ann", "", "bob", "carl"]) == ["bob", "carl"])
  }

  @Test("edit distance", arguments: [("", "abc", 3), ("kitten", "sitting", 3), ("studnet", "student", 2), ("same", "same", 0)])
  func editDistance(a: String, b: String, expected: Int) {
    #expect(StudentIDCheck.editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars)) == expected)
  }
}
