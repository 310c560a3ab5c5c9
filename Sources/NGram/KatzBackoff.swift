import Jacobians

/// The level of the simplified back-off that gave an estimate.
public enum BackoffLevel: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// 1 / #words: even the unigram is unseen.
  case uniform = 0
  /// P(w) = C(w) / N.
  case unigram = 1
  /// P(w | w'') = C(w'' w) / C(w'').
  case bigram = 2
  /// P(w | w', w'') = C(w' w'' w) / C(w' w'').
  case trigram = 3

  public var description: String {
    switch self {
    case .uniform: return "1/#words"
    case .unigram: return "unigram"
    case .bigram: return "bigram"
    case .trigram: return "trigram"
    }
  }
}

/// One back-off estimate and the level it came from.
public struct BackoffEstimate: Hashable, Sendable {
  public let probability: Double
  public let level: BackoffLevel

  public init(probability: Double, level: BackoffLevel) {
    self.probability = probability
    self.level = level
  }
}

/// Katz's back-off model in the lecture's simplified trigram form (note 004): "if the count for
/// the n-gram is zero, take the shorter n-gram instead".
///
/// ```
/// if      C(w', w'', w) > 0   P*(w | w', w'') = P(w | w', w'') = C(w' w'' w) / C(w' w'')
/// else if C(w'', w) > 0       P*(w | w', w'') = P(w | w'')     = C(w'' w) / C(w'')
/// else if C(w) > 0            P*(w | w', w'') = P(w)           = C(w) / N
/// else                        P*(w | w', w'') = 1 / #words     #words = V + 1
/// ```
/// Reading of the slide, precisely:
/// - every P is the maximum likelihood estimate (`MaximumLikelihood`); C(w' w'') and C(w'') are
///   counts as a context, so the test C(·) > 0 of each level also makes its denominator positive;
/// - w is each predicted token of the test set (every word and every `</s>`); w'' = x_{i−1},
///   w' = x_{i−2}, both inside the sentence;
/// - the first token of a sentence has the history (<s>) alone (one `<s>` per sentence): it has
///   no trigram, and its estimate starts at the bigram level, P(w_1 | <s>);
/// - the unigram P(w) is over the predicted tokens: N counts the words and `</s>` of training,
///   not `<s>` (which is never predicted);
/// - #words is V + 1, the tokens a model predicts (the words and `</s>`), as in smoothing;
/// - no discounting and no back-off weight α: the estimates need not sum to 1 over w.
///
/// With `order: 2` the trigram level is dropped (bigram → unigram → 1/#words).
public enum KatzBackoff {
  /// P*(x_i | history) at one predicted position, with its level.
  public static func estimate(at x: NGramPosition, _ counts: NGramCounts, order: Int = 3) -> BackoffEstimate {
    estimate(at: x, counts, order: order, mistakes: [])
  }

  /// `p_backoff_test`: the estimate at each predicted position of `test`, in order (N of them).
  public static func estimates(_ test: NGramCorpus, _ counts: NGramCounts, order: Int = 3) -> [BackoffEstimate] {
    estimates(test, counts, order: order, mistakes: [])
  }

  /// `p_backoff_test` as an N × 1 column.
  public static func probabilities(_ test: NGramCorpus, _ counts: NGramCounts, order: Int = 3) -> Matrix {
    Matrix(column: estimates(test, counts, order: order).map(\.probability))
  }

  // MARK: With mistakes (see `NGramMistakes`)

  static func estimates(_ test: NGramCorpus, _ counts: NGramCounts, order: Int, mistakes: NGramMistakes) -> [BackoffEstimate] {
    Perplexity.scoredPositions(test, mistakes: mistakes).map { estimate(at: $0, counts, order: order, mistakes: mistakes) }
  }

  static func estimate(at x: NGramPosition, _ counts: NGramCounts, order: Int, mistakes: NGramMistakes) -> BackoffEstimate {
    let w = x.token, b = x.previous
    if order >= 3, let a = x.beforePrevious, counts.count(a, b, w) > 0 {
      return BackoffEstimate(probability: MaximumLikelihood.probability(w, given: a, b, counts, mistakes: mistakes), level: .trigram)
    }
    if counts.count(b, w) > 0 {
      return BackoffEstimate(probability: MaximumLikelihood.probability(w, given: b, counts, mistakes: mistakes), level: .bigram)
    }
    if counts.count(w) > 0 && !mistakes.contains(.backoffSkipsUnigram) {
      return BackoffEstimate(probability: MaximumLikelihood.unigramProbability(w, counts, mistakes: mistakes), level: .unigram)
    }
    let words = AddKSmoothing.smoothingVocabularySize(counts.vocabularySize, mistakes: mistakes)
    return BackoffEstimate(probability: 1 / Double(words), level: .uniform)
  }
}
