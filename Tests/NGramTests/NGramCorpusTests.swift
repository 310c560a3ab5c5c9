import Testing
import NGram

@Suite struct NGramCorpusTests {
  static let words = ["a", "b", "c"]

  @Test func sentencesAndPredictedPositions() throws {
    let t = tokens("<s> a b </s> <s> </s> <s> c </s>", words: Self.words)
    let corpus = try NGramCorpus(t, vocabularySize: 3, role: .test)
    #expect(corpus.sentences == [0..<4, 4..<6, 6..<9])
    #expect(corpus.sentenceCount == 3)
    // N = every word and every </s>: 2 + 1, 0 + 1, 1 + 1 = 6 = L − S = 9 − 3.
    #expect(corpus.predictedCount == 6)
    let positions = corpus.positions
    #expect(positions.map(\.index) == [1, 2, 3, 5, 7, 8])
    #expect(positions.map(\.token) == [2, 3, 1, 1, 4, 1])
    #expect(positions.map(\.previous) == [0, 2, 3, 0, 0, 4])
    // One <s> per sentence: the first token after <s> has no w'.
    #expect(positions.map(\.beforePrevious) == [nil, 0, 2, nil, nil, 0])
    #expect(positions.map(\.sentence) == [0, 0, 0, 1, 2, 2])
  }

  @Test func theTrainingCorpusMayBeEmptyTheTestCorpusMayNot() throws {
    let train = try NGramCorpus([], vocabularySize: 3, role: .training)
    #expect(train.sentenceCount == 0 && train.positions.isEmpty)
    #expect(throws: NGramInputError.emptyCorpus(.test)) { try NGramCorpus([], vocabularySize: 3, role: .test) }
  }

  @Test func aSentenceIsGivenAsItsWordsOrWrittenOut() throws {
    let words = try NGramCorpus.sentence([2, 3], vocabularySize: 3)
    let written = try NGramCorpus.sentence([0, 2, 3, 1], vocabularySize: 3)
    #expect(words == written)
    #expect(words.tokens == [0, 2, 3, 1])
    #expect(try NGramCorpus.sentence([], vocabularySize: 3).tokens == [0, 1])
    #expect(throws: NGramInputError.notOneSentence(count: 2)) {
      try NGramCorpus.sentence([0, 2, 1, 0, 3, 1], vocabularySize: 3)
    }
  }
}
