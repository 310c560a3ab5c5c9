import Jacobians

/// Add-k smoothing (note 004, "Laplace (add-1) smoothing"; k = 1 is Laplace).
///
/// ```
/// P(w | p)      = (C(p w) + k)   / (C(p) + k·|V|)        |V| = V + 1: the words and </s>
/// P(w | a, b)   = (C(a b w) + k) / (C(a b) + k·|V|)
/// P(<s> | ·)    = 0                                      <s> is context only, never predicted
/// ```
/// C(p) and C(a b) are the counts as a context (`NGramCounts.contextCount`). An unseen context
/// gets the uniform row k / (k·|V|) = 1 / (V + 1).
///
/// The model of order n at a predicted position: the trigram estimate with the history
/// (x_{i−2}, x_{i−1}) for n = 3, except for the first token of a sentence, whose history is
/// (<s>) alone (one `<s>` per sentence): there, as for n = 2, the bigram estimate.
///
/// Mathematical Properties: every row sums to 1 over the V + 1 predicted tokens, seen or unseen
/// context.
public enum AddKSmoothing {
  /// `p_laplace`: P(w | p) for every previous token p (row) and next token w (column),
  /// (V+2) × (V+2).
  public static func bigramProbabilities(_ counts: NGramCounts, k: Double = 1) -> Matrix {
    bigramProbabilities(counts, k: k, mistakes: [])
  }

  /// (C(p w) + k) / (C(p) + k·(V+1)); 0 for w = `<s>`.
  public static func probability(_ w: Int, given p: Int, _ counts: NGramCounts, k: Double = 1) -> Double {
    probability(w, given: p, counts, k: k, mistakes: [])
  }

  /// (C(a b w) + k) / (C(a b) + k·(V+1)); 0 for w = `<s>`.
  public static func probability(_ w: Int, given a: Int, _ b: Int, _ counts: NGramCounts, k: Double = 1) -> Double {
    probability(w, given: a, b, counts, k: k, mistakes: [])
  }

  /// P(x_i | history) under the add-k model of `order` (2 or 3) at one predicted position.
  public static func probability(at position: NGramPosition, _ counts: NGramCounts, k: Double = 1, order: Int = 2) -> Double {
    probability(at: position, counts, k: k, order: order, mistakes: [])
  }

  // MARK: With mistakes (see `NGramMistakes`)

  static func bigramProbabilities(_ counts: NGramCounts, k: Double, mistakes: NGramMistakes) -> Matrix {
    let n = counts.idCount
    return Matrix(rows: n, cols: n) { p, w in probability(w, given: p, counts, k: k, mistakes: mistakes) }
  }

  static func probability(_ w: Int, given p: Int, _ counts: NGramCounts, k: Double, mistakes: NGramMistakes) -> Double {
    smoothed(count: counts.count(p, w), context: counts.contextCount(p), w: w, counts, k: k, mistakes: mistakes)
  }

  static func probability(_ w: Int, given a: Int, _ b: Int, _ counts: NGramCounts, k: Double, mistakes: NGramMistakes) -> Double {
    smoothed(count: counts.count(a, b, w), context: counts.contextCount(a, b), w: w, counts, k: k, mistakes: mistakes)
  }

  static func probability(at x: NGramPosition, _ counts: NGramCounts, k: Double, order: Int, mistakes: NGramMistakes) -> Double {
    if order >= 3, let a = x.beforePrevious {
      return probability(x.token, given: a, x.previous, counts, k: k, mistakes: mistakes)
    }
    return probability(x.token, given: x.previous, counts, k: k, mistakes: mistakes)
  }

  /// |V|, the vocabulary size of smoothing: V + 1 (the words and `</s>`).
  static func smoothingVocabularySize(_ V: Int, mistakes: NGramMistakes) -> Int {
    var size = NGramToken.predictedCount(vocabularySize: V)
    if mistakes.contains(.startInVocabulary) { size += 1 }     // <s> counted: V + 2
    if mistakes.contains(.vocabularyWithoutEnd) { size -= 1 }  // </s> left out: V
    return size
  }

  /// (c + k) / (C + k·|V|) for a count c in a context counted C.
  private static func smoothed(count c: Int, context C: Int, w: Int, _ counts: NGramCounts, k: Double, mistakes: NGramMistakes) -> Double {
    if w == NGramToken.start { return 0 }
    if C == 0 && mistakes.contains(.unseenContextOverSeenWords) {
      // 1 / (number of predicted tokens seen in training), instead of 1 / (V + 1).
      return 1 / Double(counts.seenPredictedTypes)
    }
    let context = mistakes.contains(.jointInsteadOfConditional)
      ? MaximumLikelihood.trainingTokenCount(counts, mistakes: mistakes) : C
    let V = Double(smoothingVocabularySize(counts.vocabularySize, mistakes: mistakes))
    let denominator = mistakes.contains(.addKNumeratorOnly) ? Double(context) : Double(context) + k * V
    return (Double(c) + k) / denominator
  }
}
