import Jacobians

/// The probability of one sentence (note 004's exercise: "What is the probability of the
/// sentence „the weather is nice“ under a bigram language model …? Use Laplace smoothing!").
///
/// ```
/// P(<s> w_1 … w_n </s>) = P(w_1 | <s>) · P(w_2 | w_1) · … · P(w_n | w_{n−1}) · P(</s> | w_n)
/// ```
/// n + 1 factors, `</s>` included, each from the add-k model of `order` (`AddKSmoothing`):
/// bigrams for order 2 (the exercise's model); for order 3, P(w_j | w_{j−2}, w_{j−1}) from the
/// second token on. The product is formed directly (not through exp Σ log), so that exact
/// fractions stay within a few ulps.
public enum SentenceProbability {
  /// `sentence_probability`: the product of the n + 1 conditional probabilities.
  public static func probability(_ sentence: NGramCorpus, _ counts: NGramCounts, options: NGramOptions = NGramOptions()) -> Double {
    probability(sentence, counts, options: options, mistakes: [])
  }

  /// The n + 1 factors P(x_i | history), in order, for reports.
  public static func factors(_ sentence: NGramCorpus, _ counts: NGramCounts, options: NGramOptions = NGramOptions()) -> [Double] {
    factors(sentence, counts, options: options, mistakes: [])
  }

  // MARK: With mistakes (see `NGramMistakes`)

  static func factors(_ sentence: NGramCorpus, _ counts: NGramCounts, options: NGramOptions, mistakes: NGramMistakes) -> [Double] {
    Perplexity.scoredPositions(sentence, mistakes: mistakes).map {
      AddKSmoothing.probability(at: $0, counts, k: options.smoothingK, order: options.order, mistakes: mistakes)
    }
  }

  static func probability(_ sentence: NGramCorpus, _ counts: NGramCounts, options: NGramOptions, mistakes: NGramMistakes) -> Double {
    factors(sentence, counts, options: options, mistakes: mistakes).reduce(1, *)
  }
}
