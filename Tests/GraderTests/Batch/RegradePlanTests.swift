import Foundation
import Testing
@testable import Grader

/// Which results a rubric change can affect (`Regrade.RubricChange`): re-run, re-scored, or left.
@Suite("What a rubric change regrades")
struct RegradePlanTests {
  struct Case: CustomStringConvertible, Sendable {
    var name: String
    var change: @Sendable (inout Rubric) -> Void
    /// For an all-passing report and for one with failing items.
    var rerunPassing: Bool
    var rerunFailing: Bool
    var description: String { name }
  }

  static let item = "dU"
  static let cases: [Case] = [
    Case(name: "an item's points", change: { $0.entries[item]!.points += 1 }, rerunPassing: false, rerunFailing: false),
    Case(name: "an item's hidden flag", change: { $0.entries[item]!.hidden.toggle() }, rerunPassing: false, rerunFailing: false),
    Case(name: "a tolerance widened", change: { $0.entries[item]!.tolerance.relative *= 100 }, rerunPassing: false, rerunFailing: true),
    Case(name: "a tolerance narrowed", change: { $0.entries[item]!.tolerance.relative /= 100 }, rerunPassing: true, rerunFailing: true),
    Case(name: "a tolerance widened in one part, narrowed in the other", change: { $0.entries[item]!.tolerance.relative *= 10; $0.entries[item]!.tolerance.absolute /= 10 }, rerunPassing: true, rerunFailing: true),
    Case(name: "hidden input sets", change: { $0.hiddenInputSets += 1 }, rerunPassing: true, rerunFailing: true),
    Case(name: "the feedback policy", change: { $0.feedback = $0.feedback == .full ? .errors : .full }, rerunPassing: true, rerunFailing: true),
    Case(name: "the credit policy", change: { $0.credit = $0.credit == .any ? .codeOnly : .any }, rerunPassing: true, rerunFailing: true),
  ]

  @Test("re-run only what the change can affect", arguments: cases)
  func plan(_ c: Case) throws {
    let g = try grader("rnn-bptt")
    var new = g.rubric
    c.change(&new)
    let change = Regrade.RubricChange(old: g.rubric, new: new, items: g.assignment.items.map(\.id))
    let passing = g.grade(student: "pat", answers: correctAnswers(g, student: "pat"))
    #expect(passing.allPassed)
    let failing = try mixedReport()
    #expect(failing.items.contains { $0.status == .fail })
    #expect(change.needsRerun(passing) == c.rerunPassing, "\(change.description)")
    #expect(change.needsRerun(failing) == c.rerunFailing, "\(change.description)")
    #expect(change.description.hasPrefix("rubric: ") && !change.description.contains("no change"))
  }

  @Test("a re-scored report is the report graded with the new points and hidden flags")
  func rescore() throws {
    let g = try grader("rnn-bptt")
    var new = g.rubric
    new.entries["dU"]!.points = 5
    new.entries["loss"]!.hidden = true
    var g2 = g
    g2.rubric = new
    let answers = { () -> [String: SubmittedAnswer] in
      var a = correctAnswers(g, student: "quin")
      a["db_2"] = nil
      return a
    }()
    var old = g.grade(student: "quin", answers: answers)
    var regraded = g2.grade(student: "quin", answers: answers)
    old.seconds = 0
    regraded.seconds = 0
    let runner = BatchRunner(grader: g2, output: temporaryDirectory(), jobs: 1, timeout: 10, grading: NoGrading())
    let rescored = Regrade(runner: runner).rescored(old)
    #expect(GradeRecord.encode(rescored) == GradeRecord.encode(regraded))
    #expect(rescored.score == old.score + 3)
  }

  struct NoGrading: StudentGrading {
    func grade(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome {
      .ungraded("not expected to grade", log: "")
    }
  }
}
