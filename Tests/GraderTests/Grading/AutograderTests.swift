import Foundation
import Testing
@testable import Grader
import Jacobians

@Suite("Autograder")
struct AutograderTests {
  static let students = (1...20).map { "student-\($0)" }

  @Test("a correct submission passes every item, for 20 students and every assignment", arguments: shippedAssignments)
  func correctSubmissionsPass(assignment: String) throws {
    let g = try grader(assignment)
    for student in Self.students {
      let report = g.grade(student: student, answers: correctAnswers(g, student: student))
      for item in report.items {
        #expect(item.status == .pass, "\(assignment)/\(student)/\(item.id): \(item.message)")
        #expect(item.status != .review)
      }
      #expect(report.score == report.maxScore)
      #expect(report.allPassed)
    }
  }

  @Test("every checked item is also checked numerically, and the numeric gradient agrees with the reference", arguments: shippedAssignments)
  func numericChecksRun(assignment: String) throws {
    let g = try grader(assignment)
    let report = g.grade(student: "numeric", answers: correctAnswers(g, student: "numeric"))
    for item in report.items where g.assignment.item(item.id)!.checks.contains(.numeric) {
      let numeric = try #require(item.numeric, "\(item.id) has no numeric check")
      #expect(numeric.comparison.passed)
      #expect((numeric.forwardPasses ?? 0) > 0)
    }
  }

  @Test("two students never share inputs; the same id always gives the same ones", arguments: shippedAssignments)
  func perStudentInputs(assignment: String) throws {
    let g = try grader(assignment)
    let a1 = g.inputs(for: "alice"), a2 = g.inputs(for: "alice"), b = g.inputs(for: "bob")
    for (name, tensor) in a1 {
      #expect(tensor == a2[name])
    }
    let differing = a1.keys.filter { a1[$0] != b[$0] }
    #expect(differing.count >= a1.count - 2, "only \(differing) differ")   // small integer inputs may coincide
  }

  @Test("a copied answer fails for another student")
  func copiedAnswerFails() throws {
    let g = try grader("rnn-bptt")
    let report = g.grade(student: "bob", answers: correctAnswers(g, student: "alice"))
    #expect(report.items.allSatisfy { $0.status == .fail })
    #expect(report.score == 0)
  }

  @Test("NaN, +Inf and −Inf in one item fail that item only", arguments: [Double.nan, .infinity, -.infinity])
  func nonFiniteFailsOneItem(value: Double) throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "carol")
    guard case .value(var t) = answers["dW_e"]! else { Issue.record("no value"); return }
    t.scalars[3] = value
    answers["dW_e"] = .value(t)
    let report = g.grade(student: "carol", answers: answers)
    let item = try #require(report.item("dW_e"))
    #expect(item.status == .fail)
    #expect(item.points == 0)
    #expect(item.message.contains(value.isNaN ? "NaN" : "Inf"))
    #expect(report.items.filter { $0.status != .pass }.map(\.id) == ["dW_e"])
  }

  @Test("NaN in the loss fails even though the loss has no numeric check")
  func nanLossFails() throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "dan")
    answers["loss"] = .value(Tensor(scalar: .nan))
    #expect(g.grade(student: "dan", answers: answers).item("loss")?.status == .fail)
  }

  @Test("a transposed dW_h fails with the transpose named")
  func transposedIsNamed() throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "erin")
    guard case .value(let t) = answers["dW_h"]! else { return }
    let H = t.shape[0]
    var transposed = t
    for i in 0..<H { for j in 0..<H { transposed.scalars[i * H + j] = t.scalars[j * H + i] } }
    answers["dW_h"] = .value(transposed)
    // A non-square item submitted transposed is named by its shape.
    guard case .value(let dU) = answers["dU"]! else { return }
    answers["dU"] = .value(Tensor(shape: [dU.shape[1], dU.shape[0]], scalars: dU.scalars))
    let report = g.grade(student: "erin", answers: answers)
    let dW_h = try #require(report.item("dW_h"))
    #expect(dW_h.status == .fail)
    #expect(dW_h.message.contains("transpose"))
    let dUResult = try #require(report.item("dU"))
    #expect(dUResult.status == .fail)
    #expect(dUResult.message.contains("the transpose of the expected"))
    // Without the mistake catalogue the transpose is still named, once.
    var bare = g
    bare.diagnose = nil
    let plain = try #require(bare.grade(student: "erin", answers: answers).item("dW_h"))
    #expect(plain.message.contains("Your matrix is the transpose of the expected one"))
    #expect(plain.diagnosis == nil)
    #expect(dW_h.message.components(separatedBy: "transpose of the expected").count == 2, "named once: \(dW_h.message)")
  }

  @Test("a float32 submission passes under a float32 tolerance and fails under the float64 one")
  func float32Tolerance() throws {
    var g = try grader("rnn-bptt")
    let answers = g.reference(for: "fay").mapValues { t in
      SubmittedAnswer.value(Tensor(shape: t.shape, scalars: t.scalars.map { Double(Float($0)) }, dtype: .float32))
    }
    let float32 = Tolerance(relative: 1e-5, absolute: 1e-7)
    let float64 = Tolerance(relative: 1e-10, absolute: 1e-13)
    g.rubric.entries = g.rubric.entries.mapValues { var e = $0; e.tolerance = float32; return e }
    let loose = g.grade(student: "fay", answers: answers)
    #expect(loose.allPassed, "\(loose.items.filter { $0.status != .pass }.map(\.message))")
    g.rubric.entries = g.rubric.entries.mapValues { var e = $0; e.tolerance = float64; return e }
    let strict = g.grade(student: "fay", answers: answers)
    #expect(strict.items.contains { $0.status == .fail })
  }

  @Test("missing, unreadable, unfilled, crashed and integer items are findings; the rest is graded")
  func findings() throws {
    let g = try grader("rnn-canonical")
    var answers = correctAnswers(g, student: "gus")
    answers["dW_xh"] = nil
    answers["dW_hh"] = .unreadable("dW_hh.npy: truncated data")
    answers["db_h"] = .unfilled
    answers["db_y"] = .failed("crashed with SIGILL (fatalError)")
    answers["dh0"] = .value(Tensor(shape: [5], scalars: [1, 2, 3, 4, 5], dtype: .int64))
    answers["extra"] = .value(Tensor(scalar: 1))
    let report = g.grade(student: "gus", answers: answers)
    #expect(report.item("dW_xh")?.status == .missing)
    #expect(report.item("dW_xh")?.message.contains("expected 5×8") == true)
    #expect(report.item("dW_hh")?.status == .error)
    #expect(report.item("dW_hh")?.message.contains("truncated") == true)
    #expect(report.item("db_h")?.status == .missing)
    #expect(report.item("db_y")?.status == .error)
    #expect(report.item("dh0")?.status == .error)
    #expect(report.item("dh0")?.message.contains("int64") == true)
    #expect(report.item("loss")?.status == .pass)
    #expect(report.item("dW_yh")?.status == .pass)
    #expect(report.notes.contains { $0.contains("'extra'") })
  }

  @Test("a wrong shape is named with both shapes; a column vector is accepted for a vector item")
  func shapes() throws {
    let g = try grader("rnn-bptt")
    var answers = correctAnswers(g, student: "hal")
    guard case .value(let db1) = answers["db_1"]!, case .value(let dE) = answers["dE"]! else { return }
    answers["db_1"] = .value(Tensor(shape: [db1.count, 1], scalars: db1.scalars))
    answers["dE"] = .value(Tensor(shape: [dE.shape[0], dE.shape[1] - 1], scalars: Array(dE.scalars.prefix(dE.count - dE.shape[0]))))
    let report = g.grade(student: "hal", answers: answers)
    #expect(report.item("db_1")?.status == .pass)
    #expect(report.item("dE")?.status == .fail)
    #expect(report.item("dE")?.message.contains("has shape 4×9, expected 4×10") == true)
  }

  @Test("where the grader's reference and numeric gradient disagree, the item needs review and earns 0 points, hidden or not")
  func disagreementNeedsReview() throws {
    for hidden in [false, true] {
      var g = try grader("rnn-canonical", key: testKey)
      g.assignment.model = CorruptedModel(base: g.model, corrupt: "dW_hh")
      g.rubric.entries["dW_hh"]!.hidden = hidden
      let answers = correctAnswers(Autograder(assignment: g.assignment, rubric: g.rubric), student: "ivy")
      let report = g.grade(student: "ivy", answers: answers)
      let item = try #require(report.item("dW_hh"))
      #expect(item.status == .review)
      #expect(item.internalError)
      #expect(item.points == 0, "hidden: \(hidden)")
      #expect(item.message.hasPrefix("Needs review: the grader could not verify its own reference for 'dW_hh'"))
      #expect(!report.allPassed)
      #expect(report.itemsInReview.map(\.id) == ["dW_hh"])
      #expect(report.score == report.maxScore - item.maxPoints)
      #expect(report.notes.contains { $0.contains("need review by the course staff") })
      // Every format says so and gives no point for it.
      #expect(report.rendered(.text).contains("? review "))
      #expect(report.rendered(.json).contains("\"status\" : \"needs-review\""))
      #expect(report.rendered(.junit).contains("type=\"needs-review\""))
      #expect(report.htmlReport().contains("badge needs-review"))
      let gradescope = try #require(try JSONSerialization.jsonObject(with: Data(report.rendered(.gradescope).utf8)) as? [String: Any])
      let test = try #require((gradescope["tests"] as? [[String: Any]])?.first { ($0["name"] as? String)?.hasPrefix("dW_hh") == true })
      #expect(test["status"] as? String == "failed" && test["score"] as? Double == 0)
      // The class summary lists it and the gradebook's status says it.
      let summary = BatchSummary(reports: [report], assignment: g.assignment)
      #expect(summary.needsReview.map(\.item) == ["dW_hh"] && summary.needsReview.map(\.student) == ["ivy"])
      #expect(summary.markdown.contains("## Needs review") && summary.markdown.contains("| ivy | `dW_hh` |"))
      #expect(summary.items.first { $0.id == "dW_hh" }?.review == 1)
      #expect(GradebookStatus(report) == .needsReview)
      #expect(Gradebook.csv([report], items: g.assignment.items.map(\.id)).contains("ivy,\(ItemResult.points(report.score)),\(ItemResult.points(report.maxScore)),needs-review,"))
    }
  }
}

/// A model whose reference is wrong for one item, to show the grader's self-check.
struct CorruptedModel: ModelReference {
  static let name = "corrupted"
  static let summary = "a model whose reference is wrong for one item"
  static let sizeNames: [String] = []
  static let optionKeys: [String] = []
  var base: any ModelReference
  var corrupt: String
  init(base: any ModelReference, corrupt: String) {
    self.base = base
    self.corrupt = corrupt
  }
  init(sizes: [String: Int], options: StrictObject) throws(DataFileError) { fatalError("built from a base model only") }
  var sizes: [String: Int] { base.sizes }
  var inputs: [ModelQuantity] { base.inputs }
  var items: [ModelQuantity] { base.items }
  var notation: ModelNotation { base.notation }
  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] { base.generateInputs(using: &rng) }
  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    var r = base.reference(inputs: inputs)
    r[corrupt]!.scalars[0] += 0.5
    return r
  }
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] { base.numericProbes(inputs: inputs) }
}
