import Jacobians
import NGram

/// `ngram-lm`: the n-gram language models of note 004 (`NGram`): counts, maximum likelihood,
/// add-k (Laplace) smoothing, the lecture's simplified back-off, perplexity, and the exercise's
/// sentence probability.
///
/// ```
/// ids      0 = <s>, 1 = </s>, 2 … V+1 the V words; one <s> and one </s> per sentence
/// inputs   train (N_train + S_train), test (N_test + S_test), sentence (n), V (scalar)   int64
/// items    unigram_counts          V+2            C(w), <s> and </s> included
///          bigram_counts           (V+2)×(V+2)    C(w_{n−1} w_n), row = previous token
///          p_mle                   (V+2)×(V+2)    C(w_{n−1} w_n) / C(w_{n−1}); unseen row 0
///          p_laplace               (V+2)×(V+2)    (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1))
///          p_backoff_test          N_test         the simplified trigram back-off per test token
///          logprob_test            scalar         Σ_i ln P(x_i | history), add-k model of `order`
///          perplexity_test         scalar         exp(−(1/N_test) logprob_test)
///          perplexity_uniform      scalar         the perplexity of P = 1/(V+1): V + 1
///          sentence_probability    scalar         P(<s> w_1 … w_n </s>), add-k model of `order`
/// options  smoothing_k (k > 0, default 1: Laplace), order (2 or 3, default 2)
/// ```
/// The predicted tokens are every word and every `</s>` (N of them; `<s>` is context only); the
/// vocabulary of smoothing is |V| = V + 1; C(w_{n−1}) is the count of w_{n−1} as a context.
/// `order` selects the model of `logprob_test`, `perplexity_test` and `sentence_probability`;
/// `p_mle` and `p_laplace` are the bigram tables and `p_backoff_test` the trigram back-off
/// whatever the order (`NGramOptions`).
///
/// The sizes fix every length: the corpora are generated with exactly those counts
/// (`SizedNGramCorpus`). No numeric probes: the items are counts and probabilities, not
/// derivatives, and are checked against the reference only.
struct NGramLanguageModel: ModelReference {
  static let name = "ngram-lm"
  static let summary = "the n-gram language models of note 004: counts, MLE, add-k smoothing, back-off, perplexity"
  static let sizeNames = ["V", "S_train", "N_train", "S_test", "N_test", "n"]
  static let optionKeys = ["smoothing_k", "order"]
  static let sizeMeanings = [
    "V": "the number of words (ids 2…V+1)", "S_train": "the number of training sentences",
    "N_train": "the predicted tokens of train (its words and </s>)", "S_test": "the number of test sentences",
    "N_test": "the predicted tokens of test (its words and </s>)", "n": "the number of words of the given sentence",
  ]

  let sizes: [String: Int]
  let options: NGramOptions

  init(sizes: [String: Int], options object: StrictObject) throws(DataFileError) {
    self.sizes = sizes
    func problem(_ key: String, _ text: String) -> DataFileError {
      DataFileError(file: object.file, path: key, problem: text)
    }
    let V = sizes["V"] ?? 0
    if V < 4 {
      throw problem("model.sizes.V", "expected at least 4 words, found \(V): the corpora are drawn from a chain over V − 1 words and one held-out word")
    }
    for (S, N) in [("S_train", "N_train"), ("S_test", "N_test")] {
      let s = sizes[S] ?? 0, t = sizes[N] ?? 0
      if t < 2 * s {
        throw problem("model.sizes.\(N)", "expected at least 2·\(S) = \(2 * s) predicted tokens, found \(t): each of the \(s) sentences has at least one word and its </s>")
      }
    }
    let k = try object.optionalNumber("smoothing_k") ?? 1
    guard k > 0, k.isFinite else {
      throw problem(object.child("smoothing_k"), "expected a positive number k of add-k smoothing (1 is Laplace smoothing), found \(k)")
    }
    let order = try object.optionalNumber("order") ?? 2
    guard order == 2 || order == 3 else {
      throw problem(object.child("order"), "expected 2 (a bigram model) or 3 (a trigram model), found \(order)")
    }
    self.options = NGramOptions(smoothingK: k, order: Int(order))
  }

  /// V, the number of words.
  var V: Int { size("V") }

  var inputs: [ModelQuantity] {
    [
      ModelQuantity("train", [size("N_train") + size("S_train")], .int64),
      ModelQuantity("test", [size("N_test") + size("S_test")], .int64),
      ModelQuantity("sentence", [size("n")], .int64),
      ModelQuantity("V", [], .int64),
    ]
  }

  var items: [ModelQuantity] {
    let ids = V + 2
    return [
      ModelQuantity("unigram_counts", [ids]), ModelQuantity("bigram_counts", [ids, ids]),
      ModelQuantity("p_mle", [ids, ids]), ModelQuantity("p_laplace", [ids, ids]),
      ModelQuantity("p_backoff_test", [size("N_test")]), ModelQuantity("logprob_test", []),
      ModelQuantity("perplexity_test", []), ModelQuantity("perplexity_uniform", []),
      ModelQuantity("sentence_probability", []),
    ]
  }

  var notation: ModelNotation { ModelNotation(loss: "log P(W)") }

  /// The display name of every id: `<s>`, `</s>`, then the V words.
  var words: [String] { NGramCorpusGenerator.words(vocabularySize: V) }

  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor] {
    let corpus = SizedNGramCorpus.generate(
      vocabularySize: V, trainSentences: size("S_train"), trainTokens: size("N_train"),
      testSentences: size("S_test"), testTokens: size("N_test"), sentenceWords: size("n"), using: &rng)
    func ids(_ tokens: [Int]) -> Tensor { Tensor(shape: [tokens.count], scalars: tokens.map(Double.init), dtype: .int64) }
    return [
      "train": ids(corpus.train), "test": ids(corpus.test), "sentence": ids(corpus.sentence),
      "V": Tensor(scalar: Double(V), dtype: .int64),
    ]
  }

  // MARK: The reference at a student's inputs

  /// The inputs checked and the training corpus counted. The generated inputs always follow the
  /// convention (`SizedNGramCorpus`; tested); inputs that do not would be a bug of the generator.
  func problem(_ inputs: [String: Tensor]) -> NGramProblem {
    let raw = NGramInputs(
      train: inputs["train"]!.ints, test: inputs["test"]!.ints, vocabularySize: V,
      sentence: inputs["sentence"]!.ints, options: options)
    do {
      return try NGramProblem(raw)
    } catch {
      preconditionFailure("ngram-lm inputs do not follow the convention: \(error)")
    }
  }

  /// An item's value in the item's declared shape; nil when the value has another number of
  /// entries (a mistake that drops positions).
  func tensor(_ item: NGramItem, _ value: Matrix) -> Tensor? {
    guard let shape = self.item(item.rawValue)?.shape, shape.reduce(1, *) == value.count else { return nil }
    return Tensor(shape: shape, scalars: value.scalars)
  }

  func reference(inputs: [String: Tensor]) -> [String: Tensor] {
    let values = NGramReference.evaluate(problem(inputs))
    var result: [String: Tensor] = [:]
    for (item, value) in values { result[item.rawValue] = tensor(item, value)! }
    return result
  }

  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe] { [:] }

  // MARK: Diagnosis, teaching, pictures

  var mistakes: MistakeCatalogue { ngramMistakes }

  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    NGramLanguageModelExplanation(model: self, problem: problem(inputs)).steps(for: item)
  }

  /// The tables over the ids are drawn as heat maps, yours beside the reference, with the words
  /// as labels.
  func valueHeatMaps(of item: String, inputs: [String: Tensor]) -> ValueHeatMaps? {
    let names = words
    switch item {
    case "unigram_counts":
      return ValueHeatMaps(
        rowAxis: "", columnAxis: "token w", rowLabels: ["C(w)"], columnLabels: names, valueLabel: "C(w)",
        explanation: "every token of train counted, <s> and </s> included")
    case "bigram_counts", "p_mle", "p_laplace":
      let value = item == "bigram_counts" ? "C(w_(n−1) w_n)" : "P(w_n | w_(n−1))"
      let how = [
        "bigram_counts": "row w_(n−1) holds the counts of the tokens that follow it; row </s> and column <s> are 0",
        "p_mle": "row w_(n−1) is C(w_(n−1) w_n) / C(w_(n−1)); a context never seen in training has the row 0",
        "p_laplace": "row w_(n−1) is (C(w_(n−1) w_n) + k) / (C(w_(n−1)) + k(V+1)) and sums to 1; column <s> is 0",
      ][item]!
      return ValueHeatMaps(
        rowAxis: "previous token w_(n−1)", columnAxis: "next token w_n", rowLabels: names, columnLabels: names,
        valueLabel: value, explanation: how)
    default:
      return nil
    }
  }
}
