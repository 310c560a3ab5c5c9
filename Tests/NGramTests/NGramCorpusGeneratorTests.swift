import Testing
import NGram
import TestSupport

@Suite struct NGramCorpusGeneratorTests {
  /// Valid corpora; the held-out word never in train, in test and in the sentence; the test set
  /// holds bigrams and trigrams unseen in train, and seen ones.
  @Test(arguments: randomSeeds)
  func testSetHoldsUnseenNGrams(seed: UInt64) throws {
    let g = seededCorpus(seed)
    let p = try NGramProblem(g.inputs())
    #expect(!g.train.contains(g.heldOutWord) && g.test.contains(g.heldOutWord) && g.sentence.contains(g.heldOutWord))
    #expect(g.heldOutWord == g.vocabularySize + 1)
    let positions = p.test.positions
    let unseenBigrams = positions.filter { p.counts.count($0.previous, $0.token) == 0 }
    let trigrams = positions.compactMap { x in x.beforePrevious.map { (x, p.counts.count($0, x.previous, x.token)) } }
    #expect(!unseenBigrams.isEmpty)
    #expect(unseenBigrams.count < positions.count)
    #expect(trigrams.contains { $0.1 == 0 })
    #expect(trigrams.contains { $0.1 > 0 })
    // An unseen bigram of two words seen in training (not only those around the held-out word).
    #expect(unseenBigrams.contains { p.counts.count($0.previous) > 0 && p.counts.count($0.token) > 0 })
    #expect(p.train.sentenceCount == 30 && p.test.sentenceCount == 8)
    #expect(p.test.sentences.allSatisfy { $0.count <= 8 + 2 })
  }

  @Test func theSameSeedGivesTheSameCorpus() {
    #expect(NGramCorpusGenerator.generate(seed: 7) == NGramCorpusGenerator.generate(seed: 7))
    #expect(NGramCorpusGenerator.generate(seed: 7) != NGramCorpusGenerator.generate(seed: 8))
  }

  @Test func wordsNameEveryId() {
    let g = NGramCorpusGenerator.generate(seed: 3, vocabularySize: 30)
    #expect(g.words.count == 32)
    #expect(g.words[0] == "<s>" && g.words[1] == "</s>" && g.words[2] == "the" && g.words[31] == "w29")
    #expect(Set(g.words).count == g.words.count)
    #expect(g.text([0, 2, 3, 1]) == "<s> the a </s>")
  }

  @Test(arguments: [4, 6, 24])
  func otherSizesAreValidToo(V: Int) throws {
    for seed in randomSeeds.prefix(5) {
      let g = NGramCorpusGenerator.generate(seed: seed, vocabularySize: V, trainSentences: 5, testSentences: 2, maxWords: 3)
      _ = try NGramProblem(g.inputs())
      #expect(g.test.contains(g.heldOutWord) && !g.train.contains(g.heldOutWord))
    }
  }
}
