import Jacobians

/// The items of the n-gram assignment, each a function of the training and test corpora, V, the
/// options (k, order) and one given sentence.
///
/// ```
/// item                   shape            value
/// unigram_counts         (V+2) × 1        C(w) for every id in train, <s> and </s> included
/// bigram_counts          (V+2) × (V+2)    C(p w), row = previous token p, column = next token w
/// p_mle                  (V+2) × (V+2)    C(p w) / C(p), C(p) as a context; unseen row 0; col <s> 0
/// p_laplace              (V+2) × (V+2)    (C(p w) + k) / (C(p) + k·(V+1)); col <s> 0
/// p_backoff_test         N × 1            the simplified trigram back-off at each predicted test token
/// logprob_test           1 × 1            Σ ln P(x_i | history), add-k model of `order`
/// perplexity_test        1 × 1            exp(−logprob_test / N)
/// perplexity_uniform     1 × 1            the perplexity of P = 1/(V+1) on the test set: V + 1
/// sentence_probability   1 × 1            P(<s> w_1 … w_n </s>), add-k model of `order`
/// ```
/// N is the number of predicted tokens of the test set: its words and its `</s>`.
public enum NGramItem: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
  case unigram_counts, bigram_counts, p_mle, p_laplace, p_backoff_test
  case logprob_test, perplexity_test, perplexity_uniform, sentence_probability

  public var description: String { rawValue }

  /// The shape of the item for V words and N predicted test tokens.
  public func shape(vocabularySize V: Int, testTokens N: Int) -> Shape {
    let n = NGramToken.idCount(vocabularySize: V)
    switch self {
    case .unigram_counts: return Shape(n, 1)
    case .bigram_counts, .p_mle, .p_laplace: return Shape(n, n)
    case .p_backoff_test: return Shape(N, 1)
    case .logprob_test, .perplexity_test, .perplexity_uniform, .sentence_probability: return Shape(1, 1)
    }
  }
}

/// The raw inputs of the items: token-id vectors (see `NGramToken`, `NGramCorpus`).
public struct NGramInputs: Hashable, Sendable {
  public var train: [Int]
  public var test: [Int]
  /// V, the number of words.
  public var vocabularySize: Int
  /// The sentence of `sentence_probability`: its words w_1 … w_n, or `<s> w_1 … w_n </s>`.
  public var sentence: [Int]
  public var options: NGramOptions

  public init(train: [Int], test: [Int], vocabularySize: Int, sentence: [Int] = [], options: NGramOptions = NGramOptions()) {
    self.train = train
    self.test = test
    self.vocabularySize = vocabularySize
    self.sentence = sentence
    self.options = options
  }
}

/// The inputs checked and the training corpus counted, once for every item.
public struct NGramProblem: Sendable {
  public let train: NGramCorpus
  public let test: NGramCorpus
  public let sentence: NGramCorpus
  public let counts: NGramCounts
  public let options: NGramOptions

  /// Checks V, the options, the training corpus (which may be empty), the test corpus (at least
  /// one sentence) and the sentence (exactly one), in that order.
  public init(_ inputs: NGramInputs) throws(NGramInputError) {
    let V = inputs.vocabularySize
    if V < 1 { throw .invalidVocabularySize(V) }
    try inputs.options.validate()
    train = try NGramCorpus(inputs.train, vocabularySize: V, role: .training)
    test = try NGramCorpus(inputs.test, vocabularySize: V, role: .test)
    sentence = try NGramCorpus.sentence(inputs.sentence, vocabularySize: V)
    counts = NGramCounts(train)
    options = inputs.options
  }

  public var vocabularySize: Int { counts.vocabularySize }
}

/// The reference value of every item.
public enum NGramReference {
  /// Every item, after checking the inputs.
  public static func evaluate(_ inputs: NGramInputs) throws(NGramInputError) -> [NGramItem: Matrix] {
    let problem = try NGramProblem(inputs)
    return evaluate(problem)
  }

  /// Every item of a checked problem.
  public static func evaluate(_ problem: NGramProblem) -> [NGramItem: Matrix] {
    evaluate(problem, mistakes: [])
  }

  /// One item of a checked problem.
  public static func value(_ item: NGramItem, of problem: NGramProblem) -> Matrix {
    value(item, of: problem, mistakes: [])
  }

  // MARK: With mistakes (see `NGramMistakes`)

  static func evaluate(_ problem: NGramProblem, mistakes: NGramMistakes) -> [NGramItem: Matrix] {
    var values: [NGramItem: Matrix] = [:]
    for item in NGramItem.allCases { values[item] = value(item, of: problem, mistakes: mistakes) }
    return values
  }

  static func value(_ item: NGramItem, of p: NGramProblem, mistakes m: NGramMistakes) -> Matrix {
    let k = p.options.smoothingK
    switch item {
    case .unigram_counts:
      return p.counts.unigramCounts
    case .bigram_counts:
      return p.counts.bigramCounts
    case .p_mle:
      return MaximumLikelihood.bigramProbabilities(p.counts, mistakes: m)
    case .p_laplace:
      return AddKSmoothing.bigramProbabilities(p.counts, k: k, mistakes: m)
    case .p_backoff_test:
      return Matrix(column: KatzBackoff.estimates(p.test, p.counts, order: 3, mistakes: m).map(\.probability))
    case .logprob_test:
      return Matrix(scalar: Perplexity.logProbability(p.test, p.counts, options: p.options, mistakes: m))
    case .perplexity_test:
      return Matrix(scalar: Perplexity.perplexity(p.test, p.counts, options: p.options, mistakes: m))
    case .perplexity_uniform:
      return Matrix(scalar: Perplexity.uniformPerplexity(p.test, mistakes: m))
    case .sentence_probability:
      return Matrix(scalar: SentenceProbability.probability(p.sentence, p.counts, options: p.options, mistakes: m))
    }
  }
}
