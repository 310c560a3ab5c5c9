import Testing
import NGram

@Suite struct SentenceProbabilityTests {
  /// Note 004's exercise, by hand. The corpus
  /// ```
  /// <s> the weather was bad yesterday </s>
  /// <s> today the weather will be better </s>
  /// <s> it is nice today </s>
  /// ```
  /// has V = 12 words; Laplace smoothing adds 1 to every count and V + 1 = 13 (the 12 words and
  /// </s>; <s> is never predicted) to every context count. The counts the sentence needs:
  /// ```
  /// C(<s>) = 3        C(<s> the) = 1          P(the | <s>)         = (1 + 1) / (3 + 13) = 2/16
  /// C(the) = 2        C(the weather) = 2      P(weather | the)     = (2 + 1) / (2 + 13) = 3/15
  /// C(weather) = 2    C(weather is) = 0       P(is | weather)      = (0 + 1) / (2 + 13) = 1/15
  /// C(is) = 1         C(is nice) = 1          P(nice | is)         = (1 + 1) / (1 + 13) = 2/14
  /// C(nice) = 1       C(nice </s>) = 0        P(</s> | nice)       = (0 + 1) / (1 + 13) = 1/14
  /// ```
  /// (C(weather) counts "the weather was" and "the weather will"; "nice" is followed by "today".)
  /// ```
  /// P(<s> the weather is nice </s>) = (2 · 3 · 1 · 2 · 1) / (16 · 15 · 15 · 14 · 14)
  ///                                 = 12 / 705600 = 1 / 58800 ≈ 1.7007e-5
  /// ```
  @Test func theWeatherIsNice() throws {
    let p = try NGramProblem(WeatherExercise.inputs())
    let factors = SentenceProbability.factors(p.sentence, p.counts)
    let expectedFactors: [(Double, Double)] = [(2, 16), (3, 15), (1, 15), (2, 14), (1, 14)]
    #expect(factors.count == 5)
    for (f, (num, den)) in zip(factors, expectedFactors) { #expect(f == num / den) }
    expectClose(SentenceProbability.probability(p.sentence, p.counts), 1.0 / 58800, within: 1e-15, "P(the weather is nice)")
    expectClose(SentenceProbability.probability(p.sentence, p.counts), 12.0 / 705600, within: 1e-15, "12/705600")
    // The item, and the same sentence given written out.
    expectClose(NGramReference.value(.sentence_probability, of: p)[0, 0], 1.0 / 58800, within: 1e-15, "sentence_probability")
    var written = WeatherExercise.inputs()
    written.sentence = [0] + WeatherExercise.sentence + [1]
    #expect(try NGramReference.evaluate(written)[.sentence_probability] == NGramReference.value(.sentence_probability, of: p))
  }

  /// The same exercise under the trigram model: from the second token on, the trigram context.
  /// ```
  /// P(the | <s>)             = (1 + 1) / (3 + 13) = 2/16    (one <s>: the bigram)
  /// P(weather | <s> the)     = (1 + 1) / (1 + 13) = 2/14    C(<s> the weather) = 1, C(<s> the) = 1
  /// P(is | the weather)      = (0 + 1) / (2 + 13) = 1/15
  /// P(nice | weather is)     = (0 + 1) / (0 + 13) = 1/13    an unseen context
  /// P(</s> | is nice)        = (0 + 1) / (1 + 13) = 1/14
  /// product = 4 / (16 · 14 · 15 · 13 · 14) = 4 / 611520 = 1 / 152880
  /// ```
  @Test func theWeatherIsNiceUnderTheTrigramModel() throws {
    let p = try NGramProblem(WeatherExercise.inputs(NGramOptions(order: 3)))
    expectClose(SentenceProbability.probability(p.sentence, p.counts, options: p.options), 1.0 / 152880, within: 1e-15, "trigram")
  }

  /// nltk's product of scores over the sentence (orders 2 and 3, k = 1 and 0.5).
  @Test(arguments: NLTKFixtures.cases)
  func equalsNLTK(c: NLTKCase) throws {
    for e in c.evaluations {
      let p = try c.problem(e.options)
      expectClose(SentenceProbability.probability(p.sentence, p.counts, options: e.options), e.sentence_probability,
                  within: 1e-12, "\(c.name) \(e.options)")
    }
  }
}
