/// Which corpus an input error is about.
public enum CorpusRole: String, Sendable, CaseIterable {
  /// The corpus the counts come from; it may be empty.
  case training
  /// The corpus the model is evaluated on; it needs at least one sentence.
  case test
  /// The one sentence of `sentence_probability`.
  case sentence

  /// "the training corpus", "the test corpus", "the sentence".
  public var phrase: String {
    switch self {
    case .training: return "the training corpus"
    case .test: return "the test corpus"
    case .sentence: return "the sentence"
    }
  }
}

/// Inputs with which no n-gram item can be computed: a corpus that does not follow the
/// convention `<s> w_1 … w_n </s>`, an id outside `0 … V+1`, an empty test set, a bad option.
///
/// Each description is a sentence naming what is wrong and what was expected.
public enum NGramInputError: Error, Equatable, Sendable, CustomStringConvertible {
  /// V must be at least 1.
  case invalidVocabularySize(Int)
  /// An id outside `0 … V+1`.
  case tokenOutOfRange(corpus: CorpusRole, position: Int, token: Int, vocabularySize: Int)
  /// A token other than `<s>` where a sentence must begin (at the start or right after `</s>`).
  case tokenOutsideSentence(corpus: CorpusRole, position: Int, token: Int)
  /// Sentence `sentence` (1-based), begun by the `<s>` at `start`, is not closed by `</s>`:
  /// another `<s>` comes at `position`, or the corpus ends there (`position` = its length).
  case sentenceWithoutEnd(corpus: CorpusRole, sentence: Int, start: Int, position: Int, corpusLength: Int)
  /// A corpus with no sentence where one is needed (the test corpus).
  case emptyCorpus(CorpusRole)
  /// `sentence_probability` takes exactly one sentence.
  case notOneSentence(count: Int)
  /// The add-k constant must be positive and finite.
  case invalidSmoothing(Double)
  /// Only bigram (2) and trigram (3) models are defined.
  case unsupportedOrder(Int)

  public var description: String {
    switch self {
    case let .invalidVocabularySize(V):
      return "The vocabulary size V is \(V); it must be at least 1 (ids 0 = <s>, 1 = </s>, 2…V+1 the words)."
    case let .tokenOutOfRange(corpus, position, token, V):
      let words = V == 1 ? "2 for the one word" : "2…\(V + 1) for the V = \(V) words"
      return "Token \(token) at position \(position) of \(corpus.phrase) is outside 0…\(V + 1): the ids are 0 = <s>, 1 = </s> and \(words)."
    case let .tokenOutsideSentence(corpus, position, token):
      let what = token == NGramToken.end ? "</s> (id 1)" : "token \(token)"
      let place = position == 0 ? "at the start" : "right after a </s>"
      return "\(capitalized(corpus.phrase)) has \(what) at position \(position), \(place), where a sentence must begin with <s> (id 0): every sentence is written <s> w_1 … w_n </s>."
    case let .sentenceWithoutEnd(corpus, sentence, start, position, length):
      let why = position >= length
        ? "\(corpus.phrase) ends (after \(length) token\(length == 1 ? "" : "s")) before it is closed"
        : "a new <s> comes at position \(position) before it is closed"
      let which = corpus == .sentence ? "The sentence" : "Sentence \(sentence) of \(corpus.phrase)"
      return "\(which) (its <s> at position \(start)) has no </s>: \(why); every sentence is written <s> w_1 … w_n </s>."
    case let .emptyCorpus(corpus):
      return "\(capitalized(corpus.phrase)) is empty: the log-probability and the perplexity need at least one sentence <s> w_1 … w_n </s>."
    case let .notOneSentence(count):
      return "The sentence holds \(count) sentences; give exactly one, as its words w_1 … w_n or written <s> w_1 … w_n </s>."
    case let .invalidSmoothing(k):
      return "The smoothing constant k is \(k); it must be positive and finite (k = 1 is Laplace smoothing)."
    case let .unsupportedOrder(n):
      return "The order is \(n); only 2 (a bigram model) and 3 (a trigram model) are defined."
    }
  }
}

private func capitalized(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
