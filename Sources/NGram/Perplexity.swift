import Jacobians

/// The log-likelihood and the perplexity of a test set (note 004, "Evaluation of Language
/// Models"; note 000, "why exponential?").
///
/// ```
/// log P(W)   = Σ_{i=1…N} log P(x_i | history)       natural log, under the add-k model of `order`
/// PP(W)      = P(W)^(−1/N) = exp(−(1/N) Σ_i log P(x_i | history))
/// ```
/// N counts every predicted token of the test set: each word and each `</s>`, not `<s>` (a
/// sentence of n words adds n + 1). The model is `AddKSmoothing.probability(at:…)`: the bigram
/// model for order 2, the trigram model for order 3 (bigram for each first word).
///
/// Mathematical Properties: a model that gives every one of the V + 1 predicted tokens the same
/// probability 1/(V + 1) has PP = V + 1, on any test set (note 000: "the # of choices that the
/// model will be perplexed with"); a model that predicts perfectly has PP = 1.
public enum Perplexity {
  /// `logprob_test`: Σ ln P(x_i | history) over the N predicted tokens of `test`.
  public static func logProbability(_ test: NGramCorpus, _ counts: NGramCounts, options: NGramOptions = NGramOptions()) -> Double {
    logProbability(test, counts, options: options, mistakes: [])
  }

  /// `perplexity_test`: exp(−(1/N) Σ ln P(x_i | history)).
  public static func perplexity(_ test: NGramCorpus, _ counts: NGramCounts, options: NGramOptions = NGramOptions()) -> Double {
    perplexity(test, counts, options: options, mistakes: [])
  }

  /// `perplexity_uniform`: the perplexity on `test` of the model P(w | ·) = 1/(V + 1), computed
  /// by the same formula; it equals V + 1.
  public static func uniformPerplexity(_ test: NGramCorpus) -> Double {
    uniformPerplexity(test, mistakes: [])
  }

  /// exp(−(1/N) log P): the perplexity of a log-likelihood over N tokens.
  public static func perplexity(logProbability: Double, tokenCount N: Int) -> Double {
    Elementary.exp(-logProbability / Double(N))
  }

  // MARK: With mistakes (see `NGramMistakes`)

  /// The predicted positions an item scores: all of them, or only the words under
  /// `endNotPredicted`.
  static func scoredPositions(_ corpus: NGramCorpus, mistakes: NGramMistakes) -> [NGramPosition] {
    let all = corpus.positions
    return mistakes.contains(.endNotPredicted) ? all.filter { $0.token != NGramToken.end } : all
  }

  /// N of the perplexity: the scored positions, plus the `<s>` under `startCountedInN`.
  static func tokenCount(_ corpus: NGramCorpus, mistakes: NGramMistakes) -> Int {
    scoredPositions(corpus, mistakes: mistakes).count + (mistakes.contains(.startCountedInN) ? corpus.sentenceCount : 0)
  }

  /// log in the base the mistakes choose (e by default).
  static func log(_ x: Double, mistakes: NGramMistakes) -> Double {
    if mistakes.contains(.logBase2) { return Elementary.log2(x) }
    if mistakes.contains(.logBase10) { return Elementary.log10(x) }
    return Elementary.log(x)
  }

  static func logProbability(_ test: NGramCorpus, _ counts: NGramCounts, options: NGramOptions, mistakes: NGramMistakes) -> Double {
    scoredPositions(test, mistakes: mistakes).reduce(0) { sum, x in
      sum + log(AddKSmoothing.probability(at: x, counts, k: options.smoothingK, order: options.order, mistakes: mistakes), mistakes: mistakes)
    }
  }

  static func perplexity(_ test: NGramCorpus, _ counts: NGramCounts, options: NGramOptions, mistakes: NGramMistakes) -> Double {
    perplexity(logProbability: logProbability(test, counts, options: options, mistakes: mistakes), test, mistakes: mistakes)
  }

  static func uniformPerplexity(_ test: NGramCorpus, mistakes: NGramMistakes) -> Double {
    let p = 1 / Double(AddKSmoothing.smoothingVocabularySize(test.vocabularySize, mistakes: mistakes))
    let logP = Double(scoredPositions(test, mistakes: mistakes).count) * log(p, mistakes: mistakes)
    return perplexity(logProbability: logP, test, mistakes: mistakes)
  }

  /// exp(−(1/N) log P), or exp(−log P) under `perplexityWithoutMean`. The exponential stays e^x
  /// whatever the base of the log (a mixed base is the mistake `logBase2`/`logBase10`).
  private static func perplexity(logProbability logP: Double, _ test: NGramCorpus, mistakes: NGramMistakes) -> Double {
    if mistakes.contains(.perplexityWithoutMean) { return Elementary.exp(-logP) }
    return perplexity(logProbability: logP, tokenCount: tokenCount(test, mistakes: mistakes))
  }
}
