/// A corpus checked against the convention of the n-gram items: a sequence of sentences, each
/// written `<s> w_1 … w_n </s>` (n ≥ 0), every id in `0 … V+1` (see `NGramToken`).
///
/// One `<s>` begins each sentence, also for the trigram model: the history of `w_1` is `(<s>)`
/// alone, so a trigram model has no trigram for the first word and uses the bigram there
/// (`NGramPosition.beforePrevious` is nil). Sentences are independent: no n-gram crosses a
/// sentence boundary (there is no bigram `</s> <s>`).
///
/// ```
/// tokens      the ids, in order                          length L
/// sentences   the range of each sentence, <s> … </s>     S of them
/// positions   every predicted position: each word and each </s>, with its history
///             N = L − S of them (every token but the S <s>)
/// ```
public struct NGramCorpus: Equatable, Sendable {
  public let tokens: [Int]
  public let vocabularySize: Int
  /// Each sentence's range in `tokens`, from its `<s>` to its `</s>` inclusive.
  public let sentences: [Range<Int>]

  /// Checks `tokens` against the convention. The training corpus may be empty; the test corpus
  /// needs at least one sentence.
  public init(_ tokens: [Int], vocabularySize V: Int, role: CorpusRole = .training) throws(NGramInputError) {
    if V < 1 { throw .invalidVocabularySize(V) }
    var sentences: [Range<Int>] = []
    var open: Int? = nil
    for (position, token) in tokens.enumerated() {
      if token < 0 || token > V + 1 {
        throw .tokenOutOfRange(corpus: role, position: position, token: token, vocabularySize: V)
      }
      switch (open, token) {
      case (nil, NGramToken.start):
        open = position
      case (nil, _):
        throw .tokenOutsideSentence(corpus: role, position: position, token: token)
      case let (start?, NGramToken.start):
        throw .sentenceWithoutEnd(corpus: role, sentence: sentences.count + 1, start: start,
                                  position: position, corpusLength: tokens.count)
      case let (start?, NGramToken.end):
        sentences.append(start..<(position + 1))
        open = nil
      default:
        break
      }
    }
    if let start = open {
      throw .sentenceWithoutEnd(corpus: role, sentence: sentences.count + 1, start: start,
                                position: tokens.count, corpusLength: tokens.count)
    }
    if role == .test && sentences.isEmpty { throw .emptyCorpus(role) }
    self.tokens = tokens
    self.vocabularySize = V
    self.sentences = sentences
  }

  /// The one sentence of `sentence_probability`, given as its words `w_1 … w_n` (written
  /// `<s> w_1 … w_n </s>` here) or already written `<s> w_1 … w_n </s>`.
  public static func sentence(_ tokens: [Int], vocabularySize V: Int) throws(NGramInputError) -> NGramCorpus {
    let written = tokens.first == NGramToken.start ? tokens : [NGramToken.start] + tokens + [NGramToken.end]
    let corpus = try NGramCorpus(written, vocabularySize: V, role: .sentence)
    if corpus.sentences.count != 1 { throw .notOneSentence(count: corpus.sentences.count) }
    return corpus
  }

  /// S, the number of sentences (and of `<s>`, and of `</s>`).
  public var sentenceCount: Int { sentences.count }

  /// N, the number of predicted tokens: every word and every `</s>` (every token but `<s>`).
  public var predictedCount: Int { tokens.count - sentences.count }

  /// Every predicted position, sentence by sentence, in order.
  public var positions: [NGramPosition] {
    var result: [NGramPosition] = []
    result.reserveCapacity(predictedCount)
    for (s, range) in sentences.enumerated() {
      for i in (range.lowerBound + 1)..<range.upperBound {
        result.append(NGramPosition(
          index: i, sentence: s, token: tokens[i], previous: tokens[i - 1],
          beforePrevious: i - 2 >= range.lowerBound ? tokens[i - 2] : nil))
      }
    }
    return result
  }
}

/// One predicted token `x_i` of a corpus (a word or `</s>`) with its history inside its sentence.
///
/// ```
/// previous         w'' = x_{i−1}   always there: <s> at least
/// beforePrevious   w'  = x_{i−2}   nil for the first token after <s> (one <s> per sentence)
/// ```
public struct NGramPosition: Hashable, Sendable {
  /// i, the index of the token in the corpus.
  public let index: Int
  /// The 0-based sentence the token belongs to.
  public let sentence: Int
  public let token: Int
  public let previous: Int
  public let beforePrevious: Int?

  public init(index: Int, sentence: Int, token: Int, previous: Int, beforePrevious: Int?) {
    self.index = index
    self.sentence = sentence
    self.token = token
    self.previous = previous
    self.beforePrevious = beforePrevious
  }
}
