import Testing
import Jacobians
import NGram
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct NGramItemsTests {
  static let cases: [(UInt64, NGramOptions)] = randomSeeds.flatMap { s in optionTable.map { (s, $0) } }

  /// Every item against the independent dictionary-based implementation of the tests.
  @Test(arguments: cases)
  func everyItemAgreesWithAnIndependentImplementation(seed: UInt64, options: NGramOptions) throws {
    let g = seededCorpus(seed)
    let items = try NGramReference.evaluate(g.inputs(options))
    let other = IndependentNGram(train: g.train, V: g.vocabularySize)
      .items(test: g.test, sentenceWords: g.sentence, k: options.smoothingK, order: options.order)
    #expect(items.count == NGramItem.allCases.count)
    for item in NGramItem.allCases {
      let a = try #require(items[item]), b = try #require(other[item.rawValue])
      expectClose(a, b, within: exactTolerance, "seed \(seed), \(options): \(item)")
    }
  }

  /// Each item has the shape its documentation gives.
  @Test(arguments: randomSeeds)
  func shapes(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let items = NGramReference.evaluate(p)
    for item in NGramItem.allCases {
      #expect(items[item]?.shape == item.shape(vocabularySize: p.vocabularySize, testTokens: p.test.predictedCount), "\(item)")
      #expect(items[item] == NGramReference.value(item, of: p))
    }
  }

  /// The exercise's items in a small table: the test set is the sentence itself.
  @Test func theExerciseItems() throws {
    let items = try NGramReference.evaluate(WeatherExercise.inputs())
    let P = 1.0 / 58800
    expectClose(items[.sentence_probability]![0, 0], P, within: 1e-15, "sentence_probability")
    expectClose(items[.logprob_test]![0, 0], log(P), within: 1e-14, "logprob_test = ln P(sentence)")
    // N = 4 words + </s> = 5; PP = P^(−1/5).
    expectClose(items[.perplexity_test]![0, 0], pow(P, -1.0 / 5), within: 1e-14, "perplexity_test")
    #expect(items[.perplexity_uniform]![0, 0] == 13)
    // Back-off: the | <s>: bigram 1/3; weather | <s> the: trigram 1/1; is: C(the weather is) =
    // C(weather is) = 0 → C(is)/N = 1/18; nice | is: bigram 1/1; </s>: C(is nice </s>) =
    // C(nice </s>) = 0 → C(</s>)/N = 3/18.
    expectClose(items[.p_backoff_test]!, Matrix(column: [1.0 / 3, 1, 1.0 / 18, 1, 3.0 / 18]), within: 1e-15, "p_backoff_test")
  }
}
