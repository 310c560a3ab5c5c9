import Jacobians
import NGram

/// The catalogue of `ngram-lm`, in the order it is tried: every mistake of `NGramMistakes`
/// (computed by `MutantNGram` inside the reference's own code) and one on the counts.
///
/// ```
/// id                              items
/// end-not-counted                 unigram_counts, bigram_counts (C(</s>) and column </s> left at 0)
/// start-in-vocabulary             p_laplace, p_backoff_test, logprob_test, perplexity_test,
///                                 perplexity_uniform, sentence_probability
/// vocabulary-without-end          the same items
/// end-not-predicted               logprob_test, perplexity_test, sentence_probability
/// joint-instead-of-conditional    p_mle, p_laplace, p_backoff_test, logprob_test, perplexity_test,
///                                 sentence_probability
/// add-k-numerator-only            p_laplace (unseen rows 0: a guarded k/0), perplexity_test (0)
/// log-base-2, log-base-10         logprob_test, perplexity_test, perplexity_uniform
/// perplexity-without-mean         perplexity_test, perplexity_uniform
/// start-counted-in-n              p_backoff_test, perplexity_test, perplexity_uniform
/// backoff-skips-unigram           p_backoff_test
/// unseen-context-over-seen-words  p_laplace, logprob_test, perplexity_test, sentence_probability
/// ```
/// Where a mistake cannot be named, and why:
/// - `add-k-numerator-only` divides by C(w_{n−1}) = 0 for every unseen context (`</s>`, the
///   held-out word): as written, the row is k/0 = +∞, log-probabilities and the sentence
///   probability are +∞, and the grader fails a non-finite answer as such before any diagnosis.
///   What stays finite is named: p_laplace with those rows set to 0 (the division guarded, as
///   `np.where(C > 0, …, 0)` does) and perplexity_test = exp(−∞) = 0.
/// - `end-not-predicted` shortens p_backoff_test to N − S entries: a shape failure, reported
///   before any diagnosis. It leaves perplexity_uniform at V + 1.
/// - Every variant is checked against the reference at the student's inputs: one that equals it
///   (a mistake the inputs do not reveal) is not offered.
///
/// Coincidences: none between two single mistakes on one item at the shipped sizes (the test
/// set holds the held-out word, so each of the back-off's levels, an unseen context and an unseen
/// unigram occur for every student; `CatalogueTests` checks it). Two mistakes together can cancel:
/// `<s>` counted in V and `</s>` left out give |V| = V + 1 again, the reference (not reported).
/// A mistake's items follow `NGramMistakesTests.changes`.
extension NGramLanguageModel {
  static let laplaceItems: Set<String> = ["p_laplace", "logprob_test", "perplexity_test", "sentence_probability"]
  static let vocabularyItems = laplaceItems.union(["p_backoff_test", "perplexity_uniform"])
  static let logItems: Set<String> = ["logprob_test", "perplexity_test", "perplexity_uniform"]

  var ngramMistakes: MistakeCatalogue {
    MistakeCatalogue(mutants: [
      Mutant(Self.endNotCounted, items: ["unigram_counts", "bigram_counts"]) { self.endNotCountedVariants($0) },
      mutant(.startInVocabulary, Self.startInVocabulary(V), Self.vocabularyItems),
      mutant(.vocabularyWithoutEnd, Self.vocabularyWithoutEnd(V), Self.vocabularyItems),
      mutant(.endNotPredicted, Self.endNotPredicted, ["logprob_test", "perplexity_test", "sentence_probability"]),
      mutant(.jointInsteadOfConditional, Self.jointInsteadOfConditional, Self.laplaceItems.union(["p_mle", "p_backoff_test"])),
      mutant(.addKNumeratorOnly, Self.addKNumeratorOnly, ["p_laplace", "perplexity_test"]),
      mutant(.logBase2, Self.logBase(2), Self.logItems),
      mutant(.logBase10, Self.logBase(10), Self.logItems),
      mutant(.perplexityWithoutMean, Self.perplexityWithoutMean, ["perplexity_test", "perplexity_uniform"]),
      mutant(.startCountedInN, Self.startCountedInN, ["p_backoff_test", "perplexity_test", "perplexity_uniform"]),
      mutant(.backoffSkipsUnigram, Self.backoffSkipsUnigram, ["p_backoff_test"]),
      mutant(.unseenContextOverSeenWords, Self.unseenContextOverSeenWords(V), Self.laplaceItems),
    ])
  }

  /// A mutant computed by `MutantNGram` with `mistake` switched on.
  func mutant(_ mistake: NGramMistakes, _ kind: MistakeKind, _ items: Set<String>) -> Mutant {
    Mutant(kind, items: items) { self.variants($0, mistake) }
  }

  /// The item with `mistake`, as the student's code would give it; [] when it is not finite,
  /// has another shape, or equals the reference at these inputs.
  func variants(_ c: MutantContext, _ mistake: NGramMistakes) -> [MutantVariant] {
    guard let item = NGramItem(rawValue: c.item.id) else { return [] }
    let value = MutantNGram.value(item, of: problem(c.inputs), mistakes: mistake)
    guard var t = tensor(item, value) else { return [] }
    if mistake == .addKNumeratorOnly && item == .p_laplace {
      // (C + k)/C with the division guarded: an unseen context's row is 0, not k/0.
      t.scalars = t.scalars.map { $0.isFinite ? $0 : 0 }
    }
    return Self.offered(t, reference: c.reference)
  }

  /// C(</s>) = 0 and C(w_n </s>) = 0: the counts without the end of each sentence.
  func endNotCountedVariants(_ c: MutantContext) -> [MutantVariant] {
    var t = c.reference
    let ids = V + 2
    if c.item.shape.count == 1 {
      t.scalars[NGramToken.end] = 0
    } else {
      for p in 0..<ids { t.scalars[p * ids + NGramToken.end] = 0 }
    }
    return Self.offered(t, reference: c.reference)
  }

  /// `t` as the one variant, unless it is not finite or equals the reference (relative 1e-9).
  static func offered(_ t: Tensor, reference: Tensor) -> [MutantVariant] {
    guard t.scalars.allSatisfy(\.isFinite), t.count == reference.count else { return [] }
    let differs = zip(t.scalars, reference.scalars).contains { a, b in
      !(Swift.abs(a - b) <= 1e-9 * Swift.max(Swift.abs(a), Swift.abs(b)))
    }
    return differs ? [MutantVariant(value: t)] : []
  }

  // MARK: The mistakes, as students are told about them

  static let endNotCounted = MistakeKind(
    id: "end-not-counted", name: "</s> not counted",
    hint: "Every training sentence is written <s> w_1 … w_n </s>: count its </s> like a word, so C(</s>) = S and C(w_n </s>) counts the sentences that end with w_n.",
    describe: { c, _ in
      c.item.shape.count == 1
        ? "Your \(c.item.id) has C(</s>) = 0: each training sentence ends with one </s>, so C(</s>) is the number of sentences."
        : "Your \(c.item.id) has an empty column </s>: the bigram (w_n </s>) ends every training sentence, so C(w_n </s>) counts the sentences that end with w_n."
    })

  static func startInVocabulary(_ V: Int) -> MistakeKind {
    MistakeKind(
      id: "start-in-vocabulary", name: "<s> counted in the vocabulary",
      hint: "<s> is context only: the model never predicts it, so the vocabulary of smoothing is the V words and </s>, |V| = V + 1 (and the back-off's #words and the uniform model's choices are V + 1 too).",
      describe: { c, _ in
        let what = c.item.id == "perplexity_uniform"
          ? "gives each token 1/(V + 2) = 1/\(V + 2)"
          : c.item.id == "p_backoff_test" ? "ends its back-off at 1/#words = 1/(V + 2) = 1/\(V + 2)" : "uses |V| = V + 2 = \(V + 2) in k·|V|"
        return "Your \(c.item.id) \(what), counting <s> in the vocabulary: <s> is never predicted, so |V| = V + 1 = \(V + 1), the V words and </s>."
      })
  }

  static func vocabularyWithoutEnd(_ V: Int) -> MistakeKind {
    MistakeKind(
      id: "vocabulary-without-end", name: "</s> left out of the vocabulary",
      hint: "</s> is predicted after the last word of every sentence: it is one of the model's choices, so |V| = V + 1 — the V words and </s>.",
      describe: { c, _ in
        let what = c.item.id == "perplexity_uniform"
          ? "gives each token 1/V = 1/\(V)"
          : c.item.id == "p_backoff_test" ? "ends its back-off at 1/#words = 1/V = 1/\(V)" : "uses |V| = V = \(V) in k·|V|"
        return "Your \(c.item.id) \(what), leaving </s> out of the vocabulary: the model predicts the V words and </s>, |V| = V + 1 = \(V + 1)."
      })
  }

  static let endNotPredicted = MistakeKind(
    id: "end-not-predicted", name: "</s> not predicted",
    hint: "</s> is a predicted token: every sentence contributes P(</s> | w_n), and N counts the words and the </s> of the test set (a sentence of n words adds n + 1).",
    describe: { c, _ in
      c.item.id == "sentence_probability"
        ? "Your sentence_probability lacks the last factor P(</s> | w_n): P(<s> w_1 … w_n </s>) has n + 1 factors, </s> included."
        : "Your \(c.item.id) scores only the words of the test set: each sentence's </s> is predicted too, a term ln P(</s> | w_n) of the sum and one of its N tokens."
    })

  static let jointInsteadOfConditional = MistakeKind(
    id: "joint-instead-of-conditional", name: "N where C(w_{n−1}) belongs (the joint probability)",
    hint: "P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}): divide by the count of the context, not by the number N of training tokens (that gives the joint P(w_{n−1}, w_n)).",
    describe: { c, _ in
      let what: String
      switch c.item.id {
      case "p_mle": what = "is C(w_{n−1} w_n) / N"
      case "p_backoff_test": what = "divides the trigram and bigram counts of its back-off by N"
      default: what = "divides by N + k·|V|"
      }
      return "Your \(c.item.id) \(what), with N the training tokens, where C(w_{n−1}) belongs: that is the joint P(w_{n−1}, w_n), not the conditional P(w_n | w_{n−1})."
    })

  static let addKNumeratorOnly = MistakeKind(
    id: "add-k-numerator-only", name: "k added to the numerator only",
    hint: "Add-k smoothing adds k to each of the |V| = V + 1 counts of a row, so the denominator grows by k·|V|: (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V + 1)).",
    describe: { c, _ in
      c.item.id == "perplexity_test"
        ? "Your perplexity_test is 0: with (C(w_{n−1} w_n) + k) / C(w_{n−1}) an unseen context gives k/0 = ∞, ln ∞ = ∞ and exp(−∞) = 0; the denominator is C(w_{n−1}) + k(V + 1)."
        : "Your \(c.item.id) is (C(w_{n−1} w_n) + k) / C(w_{n−1}): k is added to the numerator only, so a row sums to more than 1; the denominator is C(w_{n−1}) + k(V + 1)."
    })

  static func logBase(_ base: Int) -> MistakeKind {
    let log = base == 2 ? "log₂" : "log₁₀"
    return MistakeKind(
      id: "log-base-\(base)", name: "\(log) instead of the natural log",
      hint: "The assignment's log-probability is the natural log, ln (np.log), and PP = exp(−(1/N) Σ ln P). With \(log) the matching power is \(base)^(…): never mix the bases.",
      describe: { c, _ in
        c.item.id == "logprob_test"
          ? "Your logprob_test is Σ \(log) P(x_i | history), the natural-log sum divided by ln \(base): use ln."
          : "Your \(c.item.id) takes exp of a \(log) sum: PP = exp(−(1/N) Σ ln P) needs the natural log (or \(base)^(−(1/N) Σ \(log) P), the same number)."
      })
  }

  static let perplexityWithoutMean = MistakeKind(
    id: "perplexity-without-mean", name: "the 1/N of the perplexity missing",
    hint: "PP(W) = P(W)^(−1/N) = exp(−(1/N) Σ_i ln P(x_i | history)): the mean over the N predicted tokens, not the sum.",
    describe: { c, _ in
      c.item.id == "perplexity_uniform"
        ? "Your perplexity_uniform is (V + 1)^N: exp(−Σ ln P) without the 1/N; the uniform model's perplexity is V + 1, the number of its choices."
        : "Your \(c.item.id) is exp(−Σ ln P), the 1/N missing: PP = exp(−(1/N) Σ ln P) is the geometric mean of 1/P over the N predicted tokens."
    })

  static let startCountedInN = MistakeKind(
    id: "start-counted-in-n", name: "<s> counted in N",
    hint: "N counts the predicted tokens: every word and every </s>, not the <s> that begins each sentence (it is never predicted).",
    describe: { c, _ in
      c.item.id == "p_backoff_test"
        ? "Your p_backoff_test divides the unigram C(w) by an N that counts the <s> of training: P(w) = C(w)/N over the predicted tokens, the words and </s>."
        : "Your \(c.item.id) counts the <s> of each test sentence in N: N is the number of predicted tokens, the words and </s>."
    })

  static let backoffSkipsUnigram = MistakeKind(
    id: "backoff-skips-unigram", name: "the back-off skips the unigram",
    hint: "The lecture's back-off falls through trigram → bigram → unigram → 1/#words: when C(w_{n−1} w_n) = 0 but C(w_n) > 0, P*(w_n) = C(w_n)/N.",
    describe: { _, _ in "Your p_backoff_test goes from the bigram straight to 1/#words: where C(w_{n−1} w_n) = 0 but C(w_n) > 0 the back-off takes the unigram P(w_n) = C(w_n)/N." })

  static func unseenContextOverSeenWords(_ V: Int) -> MistakeKind {
    MistakeKind(
      id: "unseen-context-over-seen-words", name: "an unseen context normalised over the seen tokens",
      hint: "A context never seen in training (C(w_{n−1}) = 0, e.g. </s> or a word that is only in the test set) gets k/(0 + k(V + 1)) = 1/(V + 1) for each of the V + 1 predicted tokens, seen in training or not.",
      describe: { c, _ in
        "Your \(c.item.id) gives an unseen context 1/(the number of tokens seen in training) per token: with add-k smoothing its row is k/(k(V + 1)) = 1/\(V + 1) over every predicted token, seen or not."
      })
  }
}
