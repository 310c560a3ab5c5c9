import Foundation
import Testing
import Jacobians
import NGram
import TestSupport
@testable import Grader

@Suite("Corpora of exact sizes")
struct SizedNGramCorpusTests {
  struct Sizes: CustomStringConvertible, Sendable {
    var V, trainSentences, trainTokens, testSentences, testTokens, n: Int
    var description: String { "V \(V), train \(trainSentences)/\(trainTokens), test \(testSentences)/\(testTokens), n \(n)" }
  }

  /// The shipped sizes, the smallest possible, one-word sentences only, sentences beyond the
  /// chain's usual length (cap > 8), and a larger vocabulary than the word list.
  static let sizes = [
    Sizes(V: 10, trainSentences: 40, trainTokens: 200, testSentences: 6, testTokens: 30, n: 4),
    Sizes(V: 4, trainSentences: 1, trainTokens: 2, testSentences: 1, testTokens: 2, n: 1),
    Sizes(V: 6, trainSentences: 10, trainTokens: 20, testSentences: 3, testTokens: 6, n: 3),
    Sizes(V: 8, trainSentences: 3, trainTokens: 100, testSentences: 2, testTokens: 51, n: 12),
    Sizes(V: 30, trainSentences: 25, trainTokens: 140, testSentences: 4, testTokens: 23, n: 6),
  ]

  static func generate(_ s: Sizes, seed: UInt64) -> SizedNGramCorpus {
    var rng = SplitMix64(seed: seed)
    return SizedNGramCorpus.generate(
      vocabularySize: s.V, trainSentences: s.trainSentences, trainTokens: s.trainTokens,
      testSentences: s.testSentences, testTokens: s.testTokens, sentenceWords: s.n, using: &rng)
  }

  @Test("exactly the sizes' sentences and predicted tokens, following the convention, on 20 seeds", arguments: sizes)
  func honoursTheSizes(s: Sizes) throws {
    for seed in randomSeeds {
      let c = Self.generate(s, seed: seed)
      #expect(c.train.count == s.trainTokens + s.trainSentences, "\(s), seed \(seed)")
      #expect(c.test.count == s.testTokens + s.testSentences, "\(s), seed \(seed)")
      #expect(c.sentence.count == s.n)
      let p = try NGramProblem(NGramInputs(train: c.train, test: c.test, vocabularySize: s.V, sentence: c.sentence))
      #expect(p.train.sentenceCount == s.trainSentences && p.train.predictedCount == s.trainTokens)
      #expect(p.test.sentenceCount == s.testSentences && p.test.predictedCount == s.testTokens)
      #expect(p.train.sentences.allSatisfy { $0.count >= 3 } && p.test.sentences.allSatisfy { $0.count >= 3 }, "every sentence has a word")
      #expect(c.sentence.allSatisfy { $0 >= 2 && $0 <= s.V + 1 }, "the sentence holds words only")
      #expect(c.heldOutWord == s.V + 1)
      #expect(!c.train.contains(c.heldOutWord) && c.test.contains(c.heldOutWord) && c.sentence.contains(c.heldOutWord))
    }
  }

  /// The held-out word makes the back-off fall to 1/#words, and the token after it to the
  /// unigram: both levels occur for every student, so each back-off mistake shows.
  @Test("every student's test set reaches the unigram and the 1/#words levels of the back-off")
  func backoffLevels() throws {
    let g = try grader("ngram-lm")
    let model = g.model as! NGramLanguageModel
    for k in 1...40 {
      let p = model.problem(g.inputs(for: "levels-\(k)"))
      let levels = Set(KatzBackoff.estimates(p.test, p.counts).map(\.level))
      #expect(levels.contains(.unigram) && levels.contains(.uniform), "levels-\(k): \(levels)")
      #expect(levels.contains(.bigram) || levels.contains(.trigram), "levels-\(k): \(levels)")
    }
  }

  @Test("the same seed gives the same corpora, another seed others")
  func seeded() {
    let s = Self.sizes[0]
    #expect(Self.generate(s, seed: 5) == Self.generate(s, seed: 5))
    #expect(Self.generate(s, seed: 5) != Self.generate(s, seed: 6))
  }
}
