import Foundation
import Testing
@testable import Grader

@Suite("A grade record stores every field and value of a report")
struct GradeRecordTests {
  @Test("encode → decode → encode gives the same text, NaN and diagnoses included")
  func roundTrip() throws {
    var report = try mixedReport()
    report.mode = .graded
    let text = GradeRecord.encode(report)
    let decoded = try GradeRecord.decode(Data(text.utf8))
    #expect(GradeRecord.encode(decoded) == text)
    #expect(decoded.score == report.score && decoded.maxScore == report.maxScore)
    #expect(decoded.items.map(\.status) == report.items.map(\.status))
    let delta2 = try #require(decoded.item("delta2")?.submitted)
    #expect(delta2[3].isNaN)
    #expect(decoded.item("dW_h")?.expected == report.item("dW_h")?.expected)
    #expect(decoded.item("dW_h")?.diagnosis == report.item("dW_h")?.diagnosis)
    #expect(decoded.notes == report.notes)
  }

  @Test("a graded run's record keeps the reference values for the course staff; a self-check's leaves them out")
  func referenceValues() throws {
    let selfCheck = try mixedReport()
    #expect(selfCheck.mode == .selfCheck && !GradeRecord.keepsReference(selfCheck))
    let stripped = try GradeRecord.decode(Data(GradeRecord.encode(selfCheck).utf8))
    #expect(stripped.items.allSatisfy { $0.expected == nil })
    #expect(!GradeRecord.encode(selfCheck).contains("worst_expected"))
    var graded = selfCheck
    graded.mode = .graded
    let kept = try GradeRecord.decode(Data(GradeRecord.encode(graded).utf8))
    #expect(kept.mode == .graded)
    #expect(kept.item("dW_h")?.expected == graded.item("dW_h")?.expected && kept.item("dW_h")?.expected != nil)
    #expect(kept.item("dW_h")?.reference?.comparison.worstExpected == graded.item("dW_h")?.reference?.comparison.worstExpected)
  }

  @Test("a record cut short, or of another format, is refused")
  func incomplete() throws {
    let text = GradeRecord.encode(try mixedReport())
    #expect(throws: GradeRecordError.notJSON) { try GradeRecord.decode(Data(text.prefix(text.count / 2).utf8)) }
    let other = text.replacingOccurrences(of: GradeRecord.format, with: "something-else")
    #expect(throws: GradeRecordError.invalid(path: "format", expected: "\"\(GradeRecord.format)\"")) { try GradeRecord.decode(Data(other.utf8)) }
  }

  @Test("check --format record renders the record")
  func format() throws {
    let report = try mixedReport()
    #expect(report.rendered(.record) == GradeRecord.encode(report))
  }
}
