import Jacobians

/// Every count of a training corpus (note 004: "by counting n-grams!"), sentence by sentence.
///
/// ```
/// unigram[w]          C(w): occurrences of id w, <s> and </s> included       V+2
/// bigram[p, w]        C(p w): p directly followed by w in a sentence           (V+2) × (V+2)
///                     row = the previous token p, column = the next token w
/// trigram(a, b, w)    C(a b w)                                                 sparse
/// context(p)          C(p) as a context = Σ_w C(p w): the bigrams that begin with p
/// context(a, b)       C(a b) as a context = Σ_w C(a b w)
/// predictedCount      N: the tokens a model predicts, every word and every </s>
/// ```
/// Under the convention (one `<s>`, one `</s>` per sentence, no n-gram across sentences):
/// context(p) = C(p) for `<s>` and every word, since each is followed by a token in its sentence;
/// context(`</s>`) = 0 though C(`</s>`) = S. Column `<s>` of `bigram` is 0 (nothing precedes
/// `<s>` in a sentence), and so is row `</s>`.
public struct NGramCounts: Equatable, Sendable {
  /// V, the number of words.
  public let vocabularySize: Int
  /// C(w) for every id, `<s>` and `</s>` included: V + 2 entries.
  public let unigram: [Int]
  /// C(p w), row-major (V+2) × (V+2): entry `p·(V+2) + w`.
  public let bigram: [Int]
  /// C(p) as a context, Σ_w C(p w): V + 2 entries.
  public let bigramContext: [Int]
  /// C(a b w) for the trigrams that occur, keyed by `(a·(V+2) + b)·(V+2) + w`.
  public let trigram: [Int: Int]
  /// C(a b) as a context, Σ_w C(a b w), keyed by `a·(V+2) + b`.
  public let trigramContext: [Int: Int]
  /// S, the number of training sentences.
  public let sentenceCount: Int
  /// N, the predicted tokens of the training corpus: its words and its `</s>`.
  public let predictedCount: Int

  /// Counts `corpus`.
  public init(_ corpus: NGramCorpus) {
    let V = corpus.vocabularySize
    let n = NGramToken.idCount(vocabularySize: V)
    var unigram = [Int](repeating: 0, count: n)
    var bigram = [Int](repeating: 0, count: n * n)
    var context = [Int](repeating: 0, count: n)
    var trigram: [Int: Int] = [:]
    var trigramContext: [Int: Int] = [:]
    for t in corpus.tokens { unigram[t] += 1 }
    for p in corpus.positions {
      bigram[p.previous * n + p.token] += 1
      context[p.previous] += 1
      if let a = p.beforePrevious {
        let ab = a * n + p.previous
        trigram[ab * n + p.token, default: 0] += 1
        trigramContext[ab, default: 0] += 1
      }
    }
    self.vocabularySize = V
    self.unigram = unigram
    self.bigram = bigram
    self.bigramContext = context
    self.trigram = trigram
    self.trigramContext = trigramContext
    self.sentenceCount = corpus.sentenceCount
    self.predictedCount = corpus.predictedCount
  }

  /// V + 2, the number of ids.
  public var idCount: Int { vocabularySize + 2 }

  /// C(w).
  public func count(_ w: Int) -> Int { unigram[w] }

  /// C(p w).
  public func count(_ p: Int, _ w: Int) -> Int { bigram[p * idCount + w] }

  /// C(a b w).
  public func count(_ a: Int, _ b: Int, _ w: Int) -> Int { trigram[(a * idCount + b) * idCount + w] ?? 0 }

  /// C(p) as a context: Σ_w C(p w).
  public func contextCount(_ p: Int) -> Int { bigramContext[p] }

  /// C(a b) as a context: Σ_w C(a b w).
  public func contextCount(_ a: Int, _ b: Int) -> Int { trigramContext[a * idCount + b] ?? 0 }

  /// The number of distinct predicted tokens (words and `</s>`) that occur in training.
  public var seenPredictedTypes: Int {
    (1..<idCount).reduce(0) { $0 + (unigram[$1] > 0 ? 1 : 0) }
  }

  /// `unigram_counts`: C(w) for every id, as a (V+2) × 1 column.
  public var unigramCounts: Matrix { Matrix(column: unigram.map(Double.init)) }

  /// `bigram_counts`: C(p w), (V+2) × (V+2), row = previous token p, column = next token w.
  public var bigramCounts: Matrix { Matrix(rows: idCount, cols: idCount, scalars: bigram.map(Double.init)) }
}
