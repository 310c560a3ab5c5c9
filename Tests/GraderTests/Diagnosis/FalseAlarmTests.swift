import Foundation
import Testing
@testable import Grader

@Suite("Diagnosis false alarms")
struct FalseAlarmTests {
  /// 1000 correct submissions, the shipped assignments in turn (`shippedAssignments`), each
  /// graded in full (every item, reference and numeric checks).
  @Test("1000 correct variants: no failure and no diagnosis")
  func thousandCorrectVariants() throws {
    let graders = try shippedAssignments.map { try grader($0) }
    var graded = 0, failures = 0, diagnoses = 0
    let start = Date()
    for k in 0..<1000 {
      let g = graders[k % graders.count]
      let student = "variant-\(k)"
      let report = g.grade(student: student, answers: correctAnswers(g, student: student))
      graded += 1
      failures += report.items.filter { $0.status != .pass }.count
      diagnoses += report.items.filter { $0.diagnosis != nil }.count
    }
    print(String(format: "false alarms: %d correct submissions graded in %.1f s; %d failing items, %d diagnoses", graded, Date().timeIntervalSince(start), failures, diagnoses))
    #expect(graded == 1000)
    #expect(failures == 0)
    #expect(diagnoses == 0)
  }
}
