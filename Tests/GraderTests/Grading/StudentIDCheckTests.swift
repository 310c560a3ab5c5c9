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
}
