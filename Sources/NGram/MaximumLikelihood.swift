import Jacobians

/// Maximum likelihood estimates by counting (note 004, "Estimate the probabilities").
///
/// ```
/// P(w | p)      = C(p w) / C(p)         C(p) as a context, Σ_w C(p w); 0 when C(p) = 0
/// P(w | a, b)   = C(a b w) / C(a b)     C(a b) as a context;           0 when C(a b) = 0
/// P(w)          = C(w) / N              w a word or </s>, N = Σ of those counts; P(<s>) = 0
/// ```
/// Mathematical Properties: every row of `bigramProbabilities` whose context was seen sums to 1
/// over the words and `</s>`; the column `<s>` is 0 (nothing follows into `<s>`); the row of an
/// unseen context is 0, and so is the row `</s>` (never a context).
public enum MaximumLikelihood {
  /// `p_mle`: P(w | p) for every previous token p (row) and next token w (column),
  /// (V+2) × (V+2).
  public static func bigramProbabilities(_ counts: NGramCounts) -> Matrix {
    bigramProbabilities(counts, mistakes: [])
  }

  /// P(w | p) = C(p w) / C(p), 0 for an unseen context.
  public static func probability(_ w: Int, given p: Int, _ counts: NGramCounts) -> Double {
    probability(w, given: p, counts, mistakes: [])
  }

  /// P(w | a, b) = C(a b w) / C(a b), 0 for an unseen context.
  public static func probability(_ w: Int, given a: Int, _ b: Int, _ counts: NGramCounts) -> Double {
    probability(w, given: a, b, counts, mistakes: [])
  }

  /// P(w) = C(w) / N over the predicted tokens (words and `</s>`); 0 for `<s>` and for an empty
  /// training corpus.
  public static func unigramProbability(_ w: Int, _ counts: NGramCounts) -> Double {
    unigramProbability(w, counts, mistakes: [])
  }

  // MARK: With mistakes (see `NGramMistakes`)

  static func bigramProbabilities(_ counts: NGramCounts, mistakes: NGramMistakes) -> Matrix {
    let n = counts.idCount
    return Matrix(rows: n, cols: n) { p, w in probability(w, given: p, counts, mistakes: mistakes) }
  }

  static func probability(_ w: Int, given p: Int, _ counts: NGramCounts, mistakes: NGramMistakes) -> Double {
    // jointInsteadOfConditional: C(p w) / N, the joint P(p, w) instead of P(w | p).
    let denominator = mistakes.contains(.jointInsteadOfConditional)
      ? trainingTokenCount(counts, mistakes: mistakes) : counts.contextCount(p)
    return ratio(counts.count(p, w), denominator)
  }

  static func probability(_ w: Int, given a: Int, _ b: Int, _ counts: NGramCounts, mistakes: NGramMistakes) -> Double {
    let denominator = mistakes.contains(.jointInsteadOfConditional)
      ? trainingTokenCount(counts, mistakes: mistakes) : counts.contextCount(a, b)
    return ratio(counts.count(a, b, w), denominator)
  }

  static func unigramProbability(_ w: Int, _ counts: NGramCounts, mistakes: NGramMistakes) -> Double {
    if w == NGramToken.start { return 0 }
    return ratio(counts.count(w), trainingTokenCount(counts, mistakes: mistakes))
  }

  /// N of the training corpus: its predicted tokens (words and `</s>`), plus its `<s>` under
  /// `startCountedInN`.
  static func trainingTokenCount(_ counts: NGramCounts, mistakes: NGramMistakes) -> Int {
    counts.predictedCount + (mistakes.contains(.startCountedInN) ? counts.sentenceCount : 0)
  }

  /// c / d, and 0 when d = 0 (then c = 0 too): the row of an unseen context.
  private static func ratio(_ c: Int, _ d: Int) -> Double { d == 0 ? 0 : Double(c) / Double(d) }
}
