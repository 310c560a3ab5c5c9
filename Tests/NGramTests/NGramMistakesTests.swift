import Testing
import Jacobians
import NGram
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct NGramMistakesTests {
  /// With no mistake switched on, every item is the reference, bit for bit.
  @Test(arguments: NGramItemsTests.cases)
  func noMistakeIsTheReference(seed: UInt64, options: NGramOptions) throws {
    let p = try seededProblem(seed, options)
    let reference = NGramReference.evaluate(p)
    #expect(MutantNGram.evaluate(p, mistakes: []) == reference)
    #expect(try MutantNGram.evaluate(seededCorpus(seed).inputs(options), mistakes: []) == reference)
    #expect(MutantNGram.backoffEstimates(p, mistakes: []) == KatzBackoff.estimates(p.test, p.counts))
  }

  static let laplaceItems: Set<NGramItem> = [.p_laplace, .logprob_test, .perplexity_test, .sentence_probability]

  /// Which items each mistake changes on a generated corpus (the held-out word makes an unseen
  /// unigram, an unseen context and a back-off to 1/#words).
  static let changes: [(String, NGramMistakes, Set<NGramItem>)] = [
    ("start-in-vocabulary", .startInVocabulary, laplaceItems.union([.p_backoff_test, .perplexity_uniform])),
    ("end-not-predicted", .endNotPredicted, [.p_backoff_test, .logprob_test, .perplexity_test, .sentence_probability]),
    ("vocabulary-without-end", .vocabularyWithoutEnd, laplaceItems.union([.p_backoff_test, .perplexity_uniform])),
    ("joint-instead-of-conditional", .jointInsteadOfConditional, laplaceItems.union([.p_mle, .p_backoff_test])),
    ("add-k-numerator-only", .addKNumeratorOnly, laplaceItems),
    ("log-base-2", .logBase2, [.logprob_test, .perplexity_test, .perplexity_uniform]),
    ("log-base-10", .logBase10, [.logprob_test, .perplexity_test, .perplexity_uniform]),
    ("perplexity-without-mean", .perplexityWithoutMean, [.perplexity_test, .perplexity_uniform]),
    ("start-counted-in-n", .startCountedInN, [.p_backoff_test, .perplexity_test, .perplexity_uniform]),
    ("backoff-skips-unigram", .backoffSkipsUnigram, [.p_backoff_test]),
    ("unseen-context-over-seen-words", .unseenContextOverSeenWords, laplaceItems),
  ]

  @Test func theTableNamesEveryMistake() {
    #expect(Self.changes.map(\.0) == NGramMistakes.named.map(\.name))
    #expect(Self.changes.map(\.1) == NGramMistakes.named.map(\.mistake))
    #expect(Set(Self.changes.map(\.1.rawValue)).count == Self.changes.count)
  }

  static let cases: [(String, UInt64)] = changes.flatMap { c in randomSeeds.map { (c.0, $0) } }

  /// Each mistake changes exactly its items, and never the counts.
  @Test(arguments: cases)
  func eachMistakeChangesItsItems(name: String, seed: UInt64) throws {
    let (_, mistake, expected) = try #require(Self.changes.first { $0.0 == name })
    for options in optionTable {
      let p = try seededProblem(seed, options)
      let reference = NGramReference.evaluate(p)
      let mutant = MutantNGram.evaluate(p, mistakes: mistake)
      let changed = Set(NGramItem.allCases.filter { !(relativeError(reference[$0]!, mutant[$0]!) <= 1e-12) })
      #expect(changed == expected, "\(name), \(options): changed \(changed.map(\.rawValue).sorted())")
      #expect(!changed.isEmpty)
    }
  }

  /// Several mistakes at once act together: N with <s> and without the 1/N.
  @Test func mistakesCombine() throws {
    let p = try seededProblem(1)
    let both = MutantNGram.evaluate(p, mistakes: [.perplexityWithoutMean, .logBase2])
    let logprob2 = MutantNGram.value(.logprob_test, of: p, mistakes: .logBase2)[0, 0]
    expectClose(both[.perplexity_test]![0, 0], exp(-logprob2), within: 1e-12, "exp(−Σ log₂ P)")
    // <s> counted in V and </s> left out: |V| = V + 1 again.
    #expect(MutantNGram.evaluate(p, mistakes: [.startInVocabulary, .vocabularyWithoutEnd]) == NGramReference.evaluate(p))
  }

  /// The exercise under each mistake that touches it, by hand (V = 12, V + 1 = 13).
  /// ```
  /// reference              2/16 · 3/15 · 1/15 · 2/14 · 1/14 = 12/705600
  /// start-in-vocabulary    |V| = 14:  2/17 · 3/16 · 1/16 · 2/15 · 1/15 = 12/979200
  /// vocabulary-without-end |V| = 12:  2/15 · 3/14 · 1/14 · 2/13 · 1/13 = 12/496860
  /// end-not-predicted      no P(</s> | nice): 2/16 · 3/15 · 1/15 · 2/14 = 12/50400
  /// joint                  N = 18 training tokens: (1+1)/31 · (2+1)/31 · (0+1)/31 · (1+1)/31 · (0+1)/31 = 12/31⁵
  /// add-k-numerator-only   (1+1)/3 · (2+1)/2 · (0+1)/2 · (1+1)/1 · (0+1)/1 = 12/12 = 1
  /// ```
  @Test func theExerciseUnderMistakes() throws {
    let p = try NGramProblem(WeatherExercise.inputs())
    let table: [(NGramMistakes, Double)] = [
      ([], 12.0 / 705600), (.startInVocabulary, 12.0 / 979200), (.vocabularyWithoutEnd, 12.0 / 496860),
      (.endNotPredicted, 12.0 / 50400), (.jointInsteadOfConditional, 12.0 / (31.0 * 31 * 31 * 31 * 31)),
      (.addKNumeratorOnly, 1), (.unseenContextOverSeenWords, 12.0 / 705600), (.logBase10, 12.0 / 705600),
    ]
    for (mistake, expected) in table {
      expectClose(MutantNGram.value(.sentence_probability, of: p, mistakes: mistake)[0, 0], expected, within: 1e-14, "\(mistake)")
    }
  }

  /// Unseen contexts under two mistakes: 1/(seen types) and k/0 = +∞.
  @Test func unseenContexts() throws {
    let p = try seededProblem(4)
    let seen = Double(p.counts.seenPredictedTypes)
    let over = MutantNGram.value(.p_laplace, of: p, mistakes: .unseenContextOverSeenWords)
    let numerator = MutantNGram.value(.p_laplace, of: p, mistakes: .addKNumeratorOnly)
    for w in 1..<p.counts.idCount {
      #expect(over[NGramToken.end, w] == 1 / seen)
      #expect(numerator[NGramToken.end, w] == .infinity)
    }
    #expect(seen == Double(p.vocabularySize))   // every word but the held-out one, and </s>
  }
}
