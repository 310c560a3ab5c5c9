import Foundation
import Testing
@testable import Grader

/// Every truncation the loader accepts is graded with a numeric check that verifies it: a correct
/// submission never lands in review, and no verification can be bypassed with zeros.
///
/// ```
/// truncation   window(1), window(3), chunks(2), chunks(3), window(T), chunks(T + 2)   (T = 6)
/// reduction    mean, sum
/// activation   every one the loader accepts
/// ```
/// for both recurrent models (rnn-bptt, rnn-canonical), 20 students each.
@Suite("Truncated BPTT is graded with a numeric check that verifies it")
struct TruncationGradingTests {
  struct Options: Sendable, CustomStringConvertible {
    var assignment: String
    var truncation: String
    var reduction: String
    var activation: String
    var description: String { "\(assignment) \(truncation) \(reduction) \(activation)" }
  }

  static let truncations = ["window(1)", "window(3)", "chunks(2)", "chunks(3)", "window(6)", "chunks(8)"]
  static let activations = ["sigmoid", "tanh", "relu", "hardtanh", "leakyrelu", "leakyrelu(0.2)", "swish"]
  static let cases: [Options] = ["rnn-bptt", "rnn-canonical"].flatMap { a in
    truncations.flatMap { t in ["mean", "sum"].flatMap { r in activations.map { Options(assignment: a, truncation: t, reduction: r, activation: $0) } } }
  }
  static let students = (1...20).map { "trunc-\($0)" }

  /// The shipped assignment with the model's options changed, loaded from a temporary folder.
  static func grader(_ o: Options) throws -> Autograder {
    let dir = temporaryDirectory().appendingPathComponent(o.assignment)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let source = assignmentsRoot.appendingPathComponent(o.assignment)
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("assignment.json"))) as! [String: Any]
    var model = object["model"] as! [String: Any]
    model["truncation"] = o.truncation
    model["reduction"] = o.reduction
    model["activation"] = o.activation
    object["model"] = model
    try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
    try FileManager.default.copyItem(at: AssignmentCatalog.packageRoot.appendingPathComponent("Rubrics/\(o.assignment).json"), to: dir.appendingPathComponent("rubric.json"))
    let (a, r) = try AssignmentCatalog().load(dir.path)
    var g = Autograder(assignment: a, rubric: r, courseKey: testKey)
    g.numericSeed = 7
    return g
  }

  @Test("20 correct submissions pass every item, none in review; zeros score 0 on the recurrent items", arguments: cases)
  func correctAndZeros(o: Options) throws {
    let g = try Self.grader(o)
    #expect(g.assignment.model.notation.steps == 6, "the table's k are chosen for T = 6")
    for student in Self.students {
      let report = g.grade(student: student, answers: correctAnswers(g, student: student))
      for item in report.items where item.status != .pass {
        Issue.record("\(o), \(student): \(item.id) is \(item.status.rawValue): \(item.message)")
      }
    }
    let recurrent = (g.model as! any RecurrentModel).truncatableItems
    #expect(!recurrent.isEmpty)
    let zeros = g.reference(for: "zero").mapValues { SubmittedAnswer.value(Tensor(shape: $0.shape, scalars: [Double](repeating: 0, count: $0.count))) }
    let report = g.grade(student: "zero", answers: zeros)
    for item in report.items where recurrent.contains(item.id) {
      #expect(item.points == 0 && item.status == .fail, "\(o): zeros for \(item.id) give \(item.status.rawValue), \(item.points) points")
    }
    #expect(report.itemsInReview.isEmpty)
  }
}
