import Foundation
import Testing
@testable import Grader
import BPTTReference
import Jacobians

@Suite("Explanation")
struct ExplanationTests {
  @Test("every item of every shipped assignment is explained, ending in its reference value", arguments: shippedAssignments)
  func everyItem(assignment: String) throws {
    let g = try grader(assignment)
    let reference = g.reference(for: "demo")
    for spec in g.assignment.items {
      let e = try Explainer.explain(assignment: g.assignment, item: spec.id, student: "demo", values: true)
      #expect(e.steps.count >= 2, "\(spec.id)")
      let last = try #require(e.steps.last?.value)
      #expect(last.scalars == reference[spec.id]!.scalars, "\(spec.id)")
      #expect(e.rendered().contains(spec.statement))
    }
  }

  @Test("dW_h lists the terms ∂J^(t)/∂W_h|_(i) by Frobenius norm, and the last row is the norm of each dW_h_terms slice")
  func recurrentWeightTerms() throws {
    let g = try grader("rnn-bptt")
    let e = try Explainer.explain(assignment: g.assignment, item: "dW_h", student: "demo", values: true)
    let text = e.rendered()
    #expect(text.contains("∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i)"))
    #expect(text.contains("(Π_{k=i+1..t} diag(sigmoid′(z^(k))) W_h) diag(sigmoid′(z^(i)))"))
    #expect(text.contains("⊗ h^(i−1)"))
    let norms = try #require(e.steps.first { $0.formula.hasPrefix("∂J^(t)/∂W_h|_(i)") }?.value)
    let T = g.assignment.model.size("T")
    #expect(norms.shape == Shape(T, T))
    let terms = g.reference(for: "demo")["dW_h_terms"]!
    for i in 0..<T {
      let slice = Matrix(rows: 5, cols: 5, scalars: Array(terms.scalars[(i * 25)..<((i + 1) * 25)]))
      #expect(abs(norms[T - 1, i] - slice.frobeniusNorm) <= 1e-12)
    }
    // Above the diagonal (i > t) every term is zero.
    for t in 0..<T { for i in (t + 1)..<T where i < T { #expect(norms[t, i] == 0) } }
  }

  @Test("without values every step keeps its formula and shape, but no value and no number of the reference", arguments: shippedAssignments)
  func withheld(assignment: String) throws {
    let g = try grader(assignment)
    for spec in g.assignment.items {
      let full = try Explainer.explain(assignment: g.assignment, item: spec.id, student: "ada", values: true)
      let bare = try Explainer.explain(assignment: g.assignment, item: spec.id, student: "ada", values: false)
      #expect(bare.valuesWithheld && !full.valuesWithheld)
      #expect(bare.steps.map(\.formula) == full.steps.map(\.formula))
      #expect(bare.steps.map(\.shape) == full.steps.map(\.shape))
      #expect(bare.steps.allSatisfy { $0.value == nil })
      #expect(bare.rendered().contains("The values are withheld"))
      #expect(!full.rendered().contains("The values are withheld"))
    }
  }

  @Test("an unknown item is an error naming the items")
  func unknownItem() throws {
    let g = try grader("rnn-bptt")
    #expect(throws: ExplanationError.self) { try Explainer.explain(assignment: g.assignment, item: "dW_x", student: "demo", values: true) }
    do {
      _ = try Explainer.explain(assignment: g.assignment, item: "dW_x", student: "demo", values: true)
    } catch {
      #expect(error.description.contains("dW_h_terms"))
    }
  }
}
