import Testing
import Jacobians
import NGram
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct PerplexityTests {
  /// Note 000: the model that gives every predicted token 1/(V + 1) has perplexity V + 1.
  @Test(arguments: randomSeeds)
  func theUniformModelHasPerplexityVPlusOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let V = Double(p.vocabularySize)
    expectClose(Perplexity.uniformPerplexity(p.test), V + 1, within: 1e-13, "perplexity_uniform")
    // The same through the whole model: add-k on an empty training corpus is the uniform model.
    let empty = try NGramProblem(NGramInputs(train: [], test: p.test.tokens, vocabularySize: p.vocabularySize))
    for options in optionTable {
      expectClose(Perplexity.perplexity(empty.test, empty.counts, options: options), V + 1, within: 1e-13, "untrained, \(options)")
    }
  }

  /// PP = (Π 1/P(x_i | history))^(1/N), the slide's form, equals exp(−(1/N) Σ ln P); the
  /// log-probability is the sum of the log sentence probabilities.
  @Test(arguments: randomSeeds)
  func perplexityIsTheGeometricMeanOfTheInverseProbabilities(seed: UInt64) throws {
    let p = try seededProblem(seed)
    for options in optionTable {
      var product = 1.0
      var logSentences = 0.0
      for range in p.test.sentences {
        let s = try NGramCorpus.sentence(Array(p.test.tokens[range]), vocabularySize: p.vocabularySize)
        for f in SentenceProbability.factors(s, p.counts, options: options) { product *= 1 / f }
        logSentences += log(SentenceProbability.probability(s, p.counts, options: options))
      }
      let N = Double(p.test.predictedCount)
      let logprob = Perplexity.logProbability(p.test, p.counts, options: options)
      expectClose(Perplexity.perplexity(p.test, p.counts, options: options), pow(product, 1 / N), within: 1e-12, "\(options): (Π 1/P)^(1/N)")
      expectClose(logprob, logSentences, within: 1e-12, "\(options): Σ log P(sentence)")
      expectClose(Perplexity.perplexity(logProbability: logprob, tokenCount: p.test.predictedCount), exp(-logprob / N), within: 1e-15, "\(options)")
    }
  }

  /// logprob_test and perplexity_test equal nltk's Laplace and Lidstone(0.5), orders 2 and 3
  /// (nltk's scores at our predicted positions; base-2 logscores converted to e).
  @Test(arguments: NLTKFixtures.cases)
  func equalsNLTK(c: NLTKCase) throws {
    for e in c.evaluations {
      let p = try c.problem(e.options)
      #expect(p.test.predictedCount == e.predicted_tokens)
      let probabilities = p.test.positions.map { AddKSmoothing.probability(at: $0, p.counts, k: e.smoothing_k, order: e.order) }
      expectClose(Matrix(column: probabilities), Matrix(column: e.scores), within: exactTolerance, "\(c.name) \(e.options): scores")
      expectClose(Perplexity.logProbability(p.test, p.counts, options: e.options), e.logprob, within: 1e-12, "\(c.name) \(e.options): logprob")
      expectClose(Perplexity.perplexity(p.test, p.counts, options: e.options), e.perplexity, within: 1e-12, "\(c.name) \(e.options): perplexity")
      if e.order == 2 {
        // Bigram padding coincides: nltk's own perplexity over its padded test bigrams.
        expectClose(Perplexity.perplexity(p.test, p.counts, options: e.options), e.nltk_perplexity_of_its_padding, within: 1e-12, "\(c.name) \(e.options)")
      } else {
        // nltk's trigram padding also scores a </s> after </s>: a different number.
        #expect(!(relativeError(e.perplexity, e.nltk_perplexity_of_its_padding) <= 1e-6))
      }
    }
  }
}
