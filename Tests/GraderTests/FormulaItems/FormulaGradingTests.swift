import Foundation
import Formulas
import Jacobians
import Testing
import TestSupport
@testable import Grader

/// A formula's grade cannot be forged: it is evaluated at random points the student never sees,
/// which differ per student and, without the course key, per run; and a report shows no
/// reference value unless the rubric's feedback is `full`.
@Suite("Formula items are checked at points the student never saw")
struct FormulaGradingTests {
  /// The reference at the student's own inputs, typed in as a number, passes there and fails at
  /// the random points; so does a formula fitted to the student's inputs (c·t with c·t₀ = dz/dt).
  @Test("a constant or a formula fitted to the student's inputs fails", arguments: ["alice", "bob", "carol"])
  func forgeriesFail(student: String) throws {
    var g = try grader("backprop-basics")
    g.formulaSeed = 3
    let reference = g.reference(for: student)
    let dz = reference["dz_dt"]!.scalar
    let t = g.inputs(for: student)["t"]!.scalar
    for forged in ["\(dz)", "\(dz / t) t", "\(dz) + 0 t"] {
      let r = g.grade(student: student, answers: ["dz_dt": .formula(FormulaAnswer(forged))]).item("dz_dt")!
      #expect(r.status == .fail && r.points == 0, "\(forged): \(r.status) \(r.message)")
      #expect(r.message.contains("matches the reference at your inputs but not at random point 1 of 3"), "\(r.message)")
      #expect(r.reference?.comparison.passed == true, "it does match at the student's inputs")
    }
    var rnn = try grader("rnn-bptt")
    rnn.formulaSeed = 3
    let loss = rnn.reference(for: student)["loss"]!.scalar
    let r = rnn.grade(student: student, answers: ["loss": .formula(FormulaAnswer("\(loss)"))]).item("loss")!
    #expect(r.status == .fail && r.message.contains("not at random point 1"), "\(r.message)")
  }

  @Test("the random points are new models of the same sizes, per student with the key, per run without")
  func pointsAreSecretAndFresh() throws {
    let keyed = try grader("rnn-bptt", key: testKey)
    #expect(keyed.formulaPointSeeds(for: "alice") == keyed.formulaPointSeeds(for: "alice"), "a graded run is reproducible")
    #expect(keyed.formulaPointSeeds(for: "alice") != keyed.formulaPointSeeds(for: "bob"))
    #expect(Set(keyed.formulaPointSeeds(for: "alice")).count == 3)
    let other = try grader("rnn-bptt", key: otherTestKey)
    #expect(other.formulaPointSeeds(for: "alice") != keyed.formulaPointSeeds(for: "alice"), "another key, other points")
    let selfCheck = try grader("rnn-bptt")
    #expect(selfCheck.formulaPointSeeds(for: "alice") != selfCheck.formulaPointSeeds(for: "alice"), "a self-check draws new points every time")

    let inputs = keyed.inputs(for: "alice")
    let points = FormulaPoints(grader: keyed, student: "alice", inputs: inputs, reference: keyed.model.reference(inputs: inputs))
    #expect(points.count == 4)
    for k in 1..<points.count {
      for (name, value) in points.inputs(k) {
        #expect(value.shape == inputs[name]!.shape, "\(name) keeps its shape at point \(k)")
      }
      #expect(points.inputs(k)["W_h"]!.scalars != inputs["W_h"]!.scalars, "point \(k) is another model")
    }
  }

  @Test("formulas are graded in a graded run and count under \"credit\": \"code-only\"")
  func formulasAreGraded() throws {
    var g = try grader("window-lm", key: testKey)
    g.rubric.credit = .codeOnly
    let answers: [String: SubmittedAnswer] = ["dU": .formula(FormulaAnswer("delta1 h^T")), "db_1": .formula(FormulaAnswer("delta2"))]
    let report = g.grade(student: "dana", answers: answers, kind: .formulas)
    #expect(report.mode == .graded)
    #expect(report.item("dU")?.status == .pass && report.item("dU")?.points == report.item("dU")?.maxPoints)
    #expect(report.score == g.rubric.entry("dU").points + g.rubric.entry("db_1").points)
  }

  /// Every entry of the item's reference, at the student's inputs and at every random point, is
  /// absent from every student-facing format, for failing formulas (RevealTests covers the other
  /// items of a report at the student's inputs).
  @Test("a failing formula's report reveals no reference value", arguments: [
    ("rnn-bptt", "dU", "sum_t delta1[t] h[t]^T"), ("rnn-bptt", "dW_h", "sum_t dz[t] h[t]^T"),
    ("rnn-bptt", "delta2", "(U^T delta1[t]) .* sigma(z[t])"), ("backprop-basics", "dz_dt", "3.5 t"),
    ("window-lm", "dE", "sum_k W_e[k]^T delta2 x[k+1]^T"), ("rnn-bptt", "loss", "2.25"),
  ])
  func noReferenceValueLeaks(_ assignment: String, _ item: String, _ formula: String) throws {
    var g = try grader(assignment, key: testKey)
    g.formulaSeed = 5
    let student = "erin"
    let report = g.grade(student: student, answers: [item: .formula(FormulaAnswer(formula))])
    let result = try #require(report.item(item))
    #expect(result.status == .fail, "\(result.message)")
    let inputs = g.inputs(for: student)
    let points = FormulaPoints(grader: g, student: student, inputs: inputs, reference: g.model.reference(inputs: inputs))
    var references: [[String: Tensor]] = []
    for k in 0..<points.count { references.append([item: points.reference(k)[item]!]) }
    let own = Set((result.submitted ?? []).flatMap { [Autograder.number($0), "\($0)"] })
    let outputs = try RevealTests.outputs(report, grader: g, item: item)
    for reference in references {
      for (name, text) in RevealTests.spellings(of: reference) where !own.contains(text) {
        for (format, output) in outputs where output.contains(text) {
          // A number the model's inputs also hold (a bias, a weight) is the student's to know.
          let inInputs = inputs.values.contains { $0.scalars.contains { Autograder.number($0) == text || "\($0)" == text } }
          #expect(inInputs, "\(format) shows \(text), an entry of the reference \(name) at some point")
        }
      }
    }
  }

  @Test("the report carries the formula: text, JSON, Markdown, and MathML in HTML with nothing loaded")
  func reportsShowTheFormula() throws {
    var g = try grader("rnn-bptt")
    g.formulaSeed = 1
    let source = #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#
    let report = g.grade(student: "finn", answers: ["dU": .formula(FormulaAnswer(source, origin: "answers.tex, line 3"))], kind: .formulas)
    let r = try #require(report.item("dU"))
    #expect(r.status == .pass)
    #expect(r.message.contains("(1/T) Σ_t δ1^(t) h^(t)ᵀ") && r.message.contains("answers.tex, line 3"), "\(r.message)")
    let text = report.rendered(.text)
    #expect(text.contains("(1/T) Σ_t δ1^(t) h^(t)ᵀ"))
    let json = report.rendered(.json)
    #expect(json.contains(#""formula""#) && json.contains(#""points_checked" : 4"#), "\(json)")
    let html = report.htmlReport()
    #expect(html.contains(#"<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">"#))
    #expect(html.contains("<munderover><mo>∑</mo>") || html.contains("<munder><mo>∑</mo>"))
    for external in ["<script", "<link", "src=", "@import", "https://"] {
      #expect(!html.contains(external), "the page loads nothing (\(external))")
    }
    #expect(report.rendered(.markdown).contains("(1/T) Σ_t δ1^(t) h^(t)ᵀ"))
  }

  @Test("an item without a closed form, or a formula for another assignment's names, is an error with its reason")
  func itemsWithoutFormula() throws {
    var g = try grader("rnn-bptt")
    g.formulaSeed = 1
    let terms = g.grade(student: "gil", answers: ["dW_h_terms": .formula(FormulaAnswer("dz[t] h[t-1]^T"))]).item("dW_h_terms")!
    #expect(terms.status == .error && terms.message.contains("cannot be answered by a formula") && terms.message.contains("Jacobians"), "\(terms.message)")
    var basics = try grader("backprop-basics")
    basics.formulaSeed = 1
    let graph = basics.grade(student: "gil", answers: ["graph_grad": .formula(FormulaAnswer("x"))]).item("graph_grad")!
    #expect(graph.status == .error && graph.message.contains("max"), "\(graph.message)")
    let foreign = g.grade(student: "gil", answers: ["dU": .formula(FormulaAnswer("W_hh h[0]"))]).item("dU")!
    #expect(foreign.status == .error && foreign.message.contains("did you mean `W_h`?"), "\(foreign.message)")
  }
}

/// The malformed formulas of the formula library's tests, through the grader: each is an error
/// or a failure of its item with a message naming the place, never a crash or a hang.
@Suite("Malformed formulas through the grader")
struct MalformedFormulaGradingTests {
  /// The rnn-bptt item whose context is the case's: per-step δ2^(t) (t a step variable; δ2 and
  /// dz excluded), or dW_h (every step bound by a sum).
  static func item(for c: MalformedCase) -> String? {
    switch c.context {
    case .rnn: return "delta2"
    case .rnnWithoutSteps: return "dW_h"
    case .withoutActivation: return nil
    }
  }

  static let cases = malformedCases.filter { item(for: $0) != nil }

  @Test(arguments: cases)
  func malformedFormulaIsReported(_ c: MalformedCase) throws {
    let item = try #require(Self.item(for: c))
    let start = Date()
    let r = gradeFormula("rnn-bptt", item, c.source)
    #expect(Date().timeIntervalSince(start) < 30, "graded in reasonable time")
    #expect(r.status == .error || r.status == .fail, "\(c): \(r.status)")
    #expect(r.points == 0)
    let excluded = ["dz", "delta2"].contains { c.source.contains($0) }
    if excluded {
      #expect(r.message.contains("is what this item asks for"), "\(c): \(r.message)")
    } else {
      for k in c.keywords { #expect(r.message.contains(k), "\(c): «\(r.message)» lacks «\(k)»") }
    }
    if let column = c.column {
      let place = c.line.map { "at line \($0), column \(column)" } ?? "at column \(column)"
      #expect(r.message.contains(place), "\(c): «\(r.message)» does not say «\(place)»")
    }
    #expect(r.message.count < 2_000, "the message quotes a long formula shortened")
  }

  @Test func atLeastThirtyCasesRunThroughTheGrader() {
    #expect(Self.cases.count >= 30)
  }
}
