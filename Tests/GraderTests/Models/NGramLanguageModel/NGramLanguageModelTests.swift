import Foundation
import Testing
import Jacobians
import NGram
@testable import Grader

/// The `ngram-lm` model under other options: the shipped assignment with its `model` object
/// replaced (same sizes, so the same students get the same corpora).
enum NGramConfigurations {
  /// The model decoded from a `model` object written in JSON, as `assignment.json` holds it.
  static func model(_ json: String) throws(DataFileError) -> any ModelReference {
    let root = try StrictObject.parse(Data("{\"model\": \(json)}".utf8), file: "assignment.json")
    return try ModelRegistry.decode(try root.object("model"))
  }

  static let sizes = #"{ "V": 10, "S_train": 40, "N_train": 200, "S_test": 6, "N_test": 30, "n": 4 }"#

  /// The shipped grader with `smoothing_k` = k and `order`.
  static func grader(k: Double, order: Int) throws -> Autograder {
    var (assignment, rubric) = try shipped("ngram-lm")
    assignment.model = try model(#"{ "reference": "ngram-lm", "sizes": \#(sizes), "smoothing_k": \#(k), "order": \#(order) }"#)
    var g = Autograder(assignment: assignment, rubric: rubric)
    g.numericSeed = 7
    return g
  }

  /// The shipped options (k = 1, order 2) and three others.
  static let options: [(k: Double, order: Int)] = [(1, 2), (0.5, 2), (1, 3), (0.1, 3)]

  static func graders() throws -> [Autograder] { try options.map { try grader(k: $0.k, order: $0.order) } }
}

@Suite("The ngram-lm model")
struct NGramLanguageModelTests {
  static func loadError(_ json: String) -> DataFileError? {
    do {
      _ = try NGramConfigurations.model(json)
      return nil
    } catch {
      return error
    }
  }

  static func withSizes(_ sizes: String, _ rest: String = "") -> String {
    #"{ "reference": "ngram-lm", "sizes": \#(sizes)\#(rest) }"#
  }

  @Test("options default to Laplace smoothing (k = 1) and the bigram model; both are read")
  func options() throws {
    let defaults = try #require(try NGramConfigurations.model(Self.withSizes(NGramConfigurations.sizes)) as? NGramLanguageModel)
    #expect(defaults.options == NGramOptions(smoothingK: 1, order: 2))
    let other = try #require(try NGramConfigurations.model(Self.withSizes(NGramConfigurations.sizes, #", "smoothing_k": 0.25, "order": 3"#)) as? NGramLanguageModel)
    #expect(other.options == NGramOptions(smoothingK: 0.25, order: 3))
  }

  @Test("a bad option or size is refused with a sentence naming its key", arguments: [
    (#", "smoothing_k": 0"#, "model.smoothing_k", "expected a positive number k of add-k smoothing"),
    (#", "smoothing_k": -1"#, "model.smoothing_k", "found -1"),
    (#", "smoothing_k": "one""#, "model.smoothing_k", "number"),
    (#", "order": 4"#, "model.order", "expected 2 (a bigram model) or 3 (a trigram model), found 4"),
    (#", "order": 2.5"#, "model.order", "found 2.5"),
    (#", "smoothing": 1"#, "smoothing", "unknown key"),
  ])
  func badOptions(rest: String, path: String, message: String) throws {
    let error = try #require(Self.loadError(Self.withSizes(NGramConfigurations.sizes, rest)))
    #expect(error.description.contains(path), "\(error)")
    #expect(error.description.contains(message), "\(error)")
  }

  @Test("sizes that no corpus can honour are refused, naming the size", arguments: [
    (#"{ "V": 3, "S_train": 4, "N_train": 20, "S_test": 2, "N_test": 6, "n": 2 }"#, "model.sizes.V", "at least 4 words"),
    (#"{ "V": 10, "S_train": 40, "N_train": 79, "S_test": 2, "N_test": 6, "n": 2 }"#, "model.sizes.N_train", "at least 2·S_train = 80"),
    (#"{ "V": 10, "S_train": 4, "N_train": 20, "S_test": 5, "N_test": 9, "n": 2 }"#, "model.sizes.N_test", "at least 2·S_test = 10"),
    (#"{ "V": 10, "S_train": 4, "N_train": 20, "S_test": 5, "N_test": 10 }"#, "model.sizes", "missing size 'n'"),
  ])
  func badSizes(sizes: String, path: String, message: String) throws {
    let error = try #require(Self.loadError(Self.withSizes(sizes)))
    #expect(error.description.contains(path), "\(error)")
    #expect(error.description.contains(message), "\(error)")
  }

  /// Properties of the items that follow from their definitions, on 20 students under every
  /// option setting: they share no code with the reference.
  @Test("the reference obeys the definitions: counts add up, rows are distributions, PP_uniform = V + 1")
  func definitions() throws {
    for g in try NGramConfigurations.graders() {
      let V = g.model.size("V"), S = g.model.size("S_train"), N = g.model.size("N_train"), Ntest = g.model.size("N_test")
      for k in 1...20 {
        let r = g.reference(for: "ngram-def-\(k)")
        let unigram = r["unigram_counts"]!.scalars
        #expect(unigram.reduce(0, +) == Double(N + S))
        #expect(unigram[0] == Double(S) && unigram[1] == Double(S))
        #expect(unigram[V + 1] == 0, "the held-out word is never in train")
        let bigram = r["bigram_counts"]!.matrix, mle = r["p_mle"]!.matrix, laplace = r["p_laplace"]!.matrix
        for p in 0..<(V + 2) {
          let rowSum = (0..<(V + 2)).reduce(0.0) { $0 + bigram[p, $1] }
          #expect(rowSum == (p == 1 ? 0 : unigram[p]), "C(p) as a context is C(p) but for </s>")
          let mleSum = (0..<(V + 2)).reduce(0.0) { $0 + mle[p, $1] }
          #expect(abs(mleSum - (rowSum > 0 ? 1 : 0)) <= 1e-12)
          let laplaceSum = (0..<(V + 2)).reduce(0.0) { $0 + laplace[p, $1] }
          #expect(abs(laplaceSum - 1) <= 1e-12, "every add-k row sums to 1")
          #expect(laplace[p, 0] == 0 && mle[p, 0] == 0 && bigram[p, 0] == 0, "nothing predicts <s>")
        }
        #expect(abs(r["perplexity_uniform"]!.scalar - Double(V + 1)) <= 1e-12 * Double(V + 1))
        #expect(abs(r["perplexity_test"]!.scalar - exp(-r["logprob_test"]!.scalar / Double(Ntest))) <= 1e-12 * r["perplexity_test"]!.scalar)
        #expect(r["p_backoff_test"]!.scalars.allSatisfy { $0 > 0 && $0 <= 1 })
        let p = r["sentence_probability"]!.scalar
        #expect(p > 0 && p < 1)
      }
    }
  }

  @Test("the reference equals a second implementation written from the formulas, on 20 students under every option setting")
  func secondImplementation() throws {
    for (g, o) in zip(try NGramConfigurations.graders(), NGramConfigurations.options) {
      for k in 1...20 {
        let inputs = g.inputs(for: "ngram-second-\(k)")
        let reference = g.model.reference(inputs: inputs)
        let second = NGramSecondImplementation(inputs: inputs, k: o.k, order: o.order).items(inputs)
        for spec in g.assignment.items {
          let a = reference[spec.id]!, b = second[spec.id]!
          #expect(a.shape == b.shape, "\(spec.id)")
          let err = zip(a.scalars, b.scalars).map { abs($0 - $1) / max(abs($0), abs($1), 1e-300) }.max() ?? 0
          #expect(err <= 1e-12, "k = \(o.k), order \(o.order), \(spec.id): relative error \(err)")
        }
      }
    }
  }

  @Test("the bigram tables and the unigram counts are drawn with the words as labels; the other items are not")
  func heatMaps() throws {
    let g = try grader("ngram-lm")
    let inputs = g.inputs(for: "maps")
    let words = NGramCorpusGenerator.words(vocabularySize: 10)
    for id in ["bigram_counts", "p_mle", "p_laplace"] {
      let maps = try #require(g.model.valueHeatMaps(of: id, inputs: inputs))
      #expect(maps.rowLabels == words && maps.columnLabels == words)
      #expect(maps.rowAxis.contains("previous") && maps.columnAxis.contains("next"))
    }
    #expect(g.model.valueHeatMaps(of: "unigram_counts", inputs: inputs)?.columnLabels == words)
    for id in ["p_backoff_test", "logprob_test", "perplexity_test", "perplexity_uniform", "sentence_probability"] {
      #expect(g.model.valueHeatMaps(of: id, inputs: inputs) == nil, "\(id)")
    }
  }
}
