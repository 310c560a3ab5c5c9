import Foundation
import Testing
import Jacobians
import NGram
@testable import Grader

@Suite("The ngram-lm derivations")
struct NGramLanguageModelExplanationTests {
  @Test("p_laplace: the formula, and the worked row of a context of the student's test set equals that row of the reference", arguments: ["alice", "bob", "cy"])
  func laplace(student: String) throws {
    let g = try grader("ngram-lm")
    let e = try Explainer.explain(assignment: g.assignment, item: "p_laplace", student: student, values: true)
    let text = e.rendered()
    #expect(text.contains("P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)),  k = 1, V + 1 = 11"))
    let model = g.model as! NGramLanguageModel
    let p = model.problem(g.inputs(for: student))
    let x = NGramLanguageModelExplanation(model: model, problem: p).workedPosition()
    #expect(p.test.positions.contains(x), "the worked context is one the test set uses")
    let context = model.words[x.previous]
    let step = try #require(e.steps.first { $0.formula.hasPrefix("P(w_n | \(context)) = ") })
    let reference = g.reference(for: student)["p_laplace"]!.matrix
    #expect(step.value == Matrix(row: (0..<12).map { reference[x.previous, $0] }))
    #expect(text.contains("C(\(context)) = \(p.counts.contextCount(x.previous)): the denominator is \(p.counts.contextCount(x.previous)) + 1·11"))
    #expect(text.contains("= 1/11 = 0.0909091"), "the unseen context's uniform row")
  }

  @Test("perplexity_test: exp(−(1/N) Σ ln P) with N and Σ, and the per-token logs summing to Σ")
  func perplexity() throws {
    let g = try grader("ngram-lm")
    let e = try Explainer.explain(assignment: g.assignment, item: "perplexity_test", student: "dee", values: true)
    let logprob = g.reference(for: "dee")["logprob_test"]!.scalar
    let text = e.rendered()
    #expect(text.contains("exp(−(1/30)·(\(Autograder.number(logprob))))"), "\(text)")
    #expect(text.contains("N = 30 predicted test tokens, Σ = \(Autograder.number(logprob))"))
    let logs = try #require(e.steps.first { $0.formula.hasPrefix("ln P(x_i | history)") }?.value)
    #expect(logs.count == 30)
    #expect(abs(logs.scalars.reduce(0, +) - logprob) <= 1e-12 * abs(logprob))
  }

  @Test("p_backoff_test: the level of each position, and a worked estimate at every level that occurs")
  func backoff() throws {
    let g = try grader("ngram-lm")
    let e = try Explainer.explain(assignment: g.assignment, item: "p_backoff_test", student: "eli", values: true)
    let levels = try #require(e.steps.first { $0.formula.hasPrefix("the level at each") }?.value)
    for level in Set(levels.scalars.map { Int($0) }) {
      let name = BackoffLevel(rawValue: level)!.description
      #expect(e.steps.contains { $0.formula.hasPrefix("\(name): position ") }, "\(name)")
    }
    #expect(e.rendered().contains("so 1/#words = 1/11"))
  }

  @Test("the trigram model is named under order 3, with trigram counts in the factors")
  func trigram() throws {
    let g = try NGramConfigurations.grader(k: 1, order: 3)
    let e = try Explainer.explain(assignment: g.assignment, item: "sentence_probability", student: "flo", values: true)
    let text = e.rendered()
    #expect(text.contains("the add-k trigram model"))
    let factors = try #require(e.steps.first { $0.formula.hasPrefix("the factors") }?.value)
    #expect(factors.count == 5)
    #expect(abs(factors.scalars.reduce(1, *) - g.reference(for: "flo")["sentence_probability"]!.scalar) <= 1e-15)
  }
}
