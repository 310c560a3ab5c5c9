import Foundation
import Testing
@testable import Grader

@Suite("A submission that did not compile, and a trap in the standard library")
struct CompileFailureReportTests {
  static let errors = [
    "Solution.swift:12:5: error: cannot find 'undefinedName' in scope",
    "Solution.swift:30:9: error: missing return in global function expected to return 'Tensor?'",
  ]

  /// The report SubmissionGrading makes when the compiler fails: the note once, every item failed.
  static func report() throws -> GradeReport {
    let (assignment, rubric) = try shipped("rnn-bptt")
    let grader = Autograder(assignment: assignment, rubric: rubric)
    let location = errors.lazy.compactMap(SubmissionGrading.errorLocation).first!
    let answers = Dictionary(uniqueKeysWithValues: assignment.items.map { ($0.id, SubmittedAnswer.failed("not run: the submission did not compile (first error at \(location); the compiler's errors are in the report's notes)")) })
    return grader.grade(student: "ada", answers: answers, notes: ["\(SubmissionGrading.compileFailureHeading)\n" + errors.joined(separator: "\n"), "Another note."])
  }

  @Test("the compiler's errors are shown once, above the items; each item names the first error's place", arguments: [nil, 40, 80] as [Int?])
  func once(width: Int?) throws {
    let text = try Self.report().rendered(.text, width: width)
    let flat = text.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
    #expect(flat.components(separatedBy: "cannot find 'undefinedName' in scope").count == 2, "\(text)")
    #expect(flat.components(separatedBy: "missing return").count == 2)
    let heading = try #require(text.range(of: SubmissionGrading.compileFailureHeading))
    let firstItem = try #require(text.range(of: "! error"))
    #expect(heading.lowerBound < firstItem.lowerBound, "the errors come first")
    #expect(flat.components(separatedBy: "first error at Solution.swift:12:5").count == 12, "11 items")
    #expect(text.contains("note: Another note."))
  }

  @Test("the place of a compiler line", arguments: [
    ("Solution.swift:12:5: error: cannot find 'x' in scope", "Solution.swift:12:5"),
    ("Helpers.swift:3:1: error: expected declaration", "Helpers.swift:3:1"),
    ("error: link command failed with exit code 1", nil),
    ("Solution.swift:12:5: warning: unused", nil),
  ] as [(String, String?)])
  func location(line: String, expected: String?) {
    #expect(SubmissionGrading.errorLocation(line) == expected)
  }

  @Test("a trap raised in the standard library is located at the student's frame, or said to come from a call in the code")
  func trapLocation() {
    let fatal = "Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range"
    let backtrace = """
      \(fatal)
      💣 Program crashed: System trap at 0x00007f0e2c1a4f3c
      Thread 0 crashed:
      0      0x00007f0e2c1a4f3c _assertionFailure(_:_:file:line:flags:) + 264 in libswiftCore.so at /home/build-user/swift/stdlib/public/core/AssertCommon.swift:144:15
      1 [ra] 0x000055d0c2a1b2c4 dU(_:) + 412 in item at /sbx/src/Solution.swift:27:18
      2 [ra] 0x000055d0c2a1c010 main + 96 in item at /sbx/src/main.swift:40:3
      """
    #expect(ItemEnding.located(fatal, stderr: backtrace) == "Fatal error: Index out of range, at Solution.swift:27")
    #expect(ItemEnding.located(fatal, stderr: fatal) == "Fatal error: Index out of range (raised inside the Swift standard library, by a call in your code)")
    #expect(ItemEnding.located("Solution.swift:4: Fatal error: boom", stderr: "Solution.swift:4: Fatal error: boom") == "Solution.swift:4: Fatal error: boom")
    let sentence = ItemEnding.sentence(termination: .signaled(SIGILL), timedOut: false, stderr: backtrace, limits: .default, signalsAsExitStatus: false)
    #expect(sentence.hasSuffix("Fatal error: Index out of range, at Solution.swift:27") && !sentence.contains("ContiguousArrayBuffer"), "\(sentence)")
  }
}
