import Jacobians

/// Mistakes students make in n-gram models, switched on one (or several) at a time in
/// `MutantNGram`. They act inside the reference's own counting and scoring code
/// (`MaximumLikelihood`, `AddKSmoothing`, `KatzBackoff`, `Perplexity`, `SentenceProbability`),
/// so that with none switched on `MutantNGram` computes the reference.
///
/// ```
/// startInVocabulary          |V| = V + 2: <s> counted in the vocabulary of smoothing (and in
///                            #words of the back-off, and in the uniform model)
/// endNotPredicted            </s> is not a predicted token: the test items score the words only
///                            (N without the </s>, no P(</s> | w_n) in the sentence, p_backoff_test
///                            without the </s> positions)
/// vocabularyWithoutEnd       |V| = V: </s> left out of the vocabulary of smoothing
/// jointInsteadOfConditional  C(w_{n−1}) replaced by N: C(p w) / N, the joint P(p, w), and
///                            (C(p w) + k) / (N + k|V|); also C(a b w) / N in the back-off
/// addKNumeratorOnly          (C(p w) + k) / C(p): k added to the numerator only
/// logBase2, logBase10        log₂ or log₁₀ for the log-probability, with PP still exp(−(1/N) Σ log)
/// perplexityWithoutMean      PP = exp(−Σ log P): the 1/N left out
/// startCountedInN            N counts the <s> too: in PP's 1/N and in the unigram C(w) / N
/// backoffSkipsUnigram        the back-off goes from the bigram straight to 1/#words
/// unseenContextOverSeenWords an unseen context (C(p) = 0) gets 1 / (number of predicted tokens
///                            seen in training) instead of 1 / (V + 1)
/// ```
/// No mistake changes `unigram_counts` or `bigram_counts`: they are the data every mistake
/// starts from.
public struct NGramMistakes: OptionSet, Hashable, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  public static let startInVocabulary = NGramMistakes(rawValue: 1 << 0)
  public static let endNotPredicted = NGramMistakes(rawValue: 1 << 1)
  public static let vocabularyWithoutEnd = NGramMistakes(rawValue: 1 << 2)
  public static let jointInsteadOfConditional = NGramMistakes(rawValue: 1 << 3)
  public static let addKNumeratorOnly = NGramMistakes(rawValue: 1 << 4)
  public static let logBase2 = NGramMistakes(rawValue: 1 << 5)
  public static let logBase10 = NGramMistakes(rawValue: 1 << 6)
  public static let perplexityWithoutMean = NGramMistakes(rawValue: 1 << 7)
  public static let startCountedInN = NGramMistakes(rawValue: 1 << 8)
  public static let backoffSkipsUnigram = NGramMistakes(rawValue: 1 << 9)
  public static let unseenContextOverSeenWords = NGramMistakes(rawValue: 1 << 10)

  /// Every single mistake with a short name, in declaration order.
  public static let named: [(name: String, mistake: NGramMistakes)] = [
    ("start-in-vocabulary", .startInVocabulary),
    ("end-not-predicted", .endNotPredicted),
    ("vocabulary-without-end", .vocabularyWithoutEnd),
    ("joint-instead-of-conditional", .jointInsteadOfConditional),
    ("add-k-numerator-only", .addKNumeratorOnly),
    ("log-base-2", .logBase2),
    ("log-base-10", .logBase10),
    ("perplexity-without-mean", .perplexityWithoutMean),
    ("start-counted-in-n", .startCountedInN),
    ("backoff-skips-unigram", .backoffSkipsUnigram),
    ("unseen-context-over-seen-words", .unseenContextOverSeenWords),
  ]
}

/// The n-gram items computed with mistakes switched on. With `mistakes: []` every item is the
/// reference (`NGramReference`).
///
/// A mistake can make a value infinite (`addKNumeratorOnly` divides by C(p) = 0 for an unseen
/// context) or change a shape (`endNotPredicted` shortens `p_backoff_test`): that is what the
/// student's code would give.
public enum MutantNGram {
  /// Every item, after checking the inputs.
  public static func evaluate(_ inputs: NGramInputs, mistakes: NGramMistakes) throws(NGramInputError) -> [NGramItem: Matrix] {
    let problem = try NGramProblem(inputs)
    return evaluate(problem, mistakes: mistakes)
  }

  /// Every item of a checked problem.
  public static func evaluate(_ problem: NGramProblem, mistakes: NGramMistakes) -> [NGramItem: Matrix] {
    NGramReference.evaluate(problem, mistakes: mistakes)
  }

  /// One item of a checked problem.
  public static func value(_ item: NGramItem, of problem: NGramProblem, mistakes: NGramMistakes) -> Matrix {
    NGramReference.value(item, of: problem, mistakes: mistakes)
  }

  /// The back-off estimates (probability and level) with mistakes, for explanations.
  public static func backoffEstimates(_ problem: NGramProblem, mistakes: NGramMistakes) -> [BackoffEstimate] {
    KatzBackoff.estimates(problem.test, problem.counts, order: 3, mistakes: mistakes)
  }
}
