import Testing
import Jacobians
import NGram
import TestSupport

@Suite struct NGramCountsTests {
  /// The counts of note 004's corpus, by hand.
  @Test func theExerciseCorpusCountedByHand() throws {
    let c = NGramCounts(try NGramCorpus(WeatherExercise.train, vocabularySize: WeatherExercise.V))
    let w = WeatherExercise.id
    #expect(c.sentenceCount == 3)
    // N = 5 + 6 + 4 words and 3 </s>.
    #expect(c.predictedCount == 18)
    #expect(c.count(NGramToken.start) == 3 && c.count(NGramToken.end) == 3)
    #expect(c.count(w("the")) == 2 && c.count(w("weather")) == 2 && c.count(w("today")) == 2)
    #expect(c.count(w("is")) == 1 && c.count(w("nice")) == 1)
    #expect(c.count(NGramToken.start, w("the")) == 1 && c.count(NGramToken.start, w("today")) == 1)
    #expect(c.count(w("the"), w("weather")) == 2)
    #expect(c.count(w("weather"), w("is")) == 0)
    #expect(c.count(w("is"), w("nice")) == 1)
    #expect(c.count(w("nice"), NGramToken.end) == 0 && c.count(w("nice"), w("today")) == 1)
    #expect(c.count(w("today"), NGramToken.end) == 1 && c.count(w("today"), w("the")) == 1)
    #expect(c.contextCount(NGramToken.start) == 3 && c.contextCount(w("the")) == 2)
    #expect(c.contextCount(NGramToken.end) == 0)
    #expect(c.count(w("today"), w("the"), w("weather")) == 1)
    #expect(c.count(NGramToken.start, w("the"), w("weather")) == 1)
    #expect(c.contextCount(w("the"), w("weather")) == 2)
    #expect(c.contextCount(w("is"), w("nice")) == 1)
    #expect(c.seenPredictedTypes == 13)
    #expect(c.unigramCounts.shape == Shape(14, 1) && c.bigramCounts.shape == Shape(14, 14))
  }

  /// Under the convention: column <s> and row </s> of the bigram counts are 0; C(p) as a context
  /// is C(p) for <s> and every word, 0 for </s>; Σ C(p w) = N; Σ_w C(a b w) = C(a b).
  @Test(arguments: randomSeeds)
  func countsFollowTheConvention(seed: UInt64) throws {
    let g = seededCorpus(seed)
    let corpus = try NGramCorpus(g.train, vocabularySize: g.vocabularySize)
    let c = NGramCounts(corpus)
    let n = c.idCount
    #expect(c.unigram.reduce(0, +) == g.train.count)
    #expect(c.bigram.reduce(0, +) == c.predictedCount)
    #expect(c.predictedCount == g.train.count - c.sentenceCount)
    for p in 0..<n {
      #expect(c.count(p, NGramToken.start) == 0)
      #expect(c.count(NGramToken.end, p) == 0)
      let row = (0..<n).reduce(0) { $0 + c.count(p, $1) }
      #expect(row == c.contextCount(p))
      #expect(c.contextCount(p) == (p == NGramToken.end ? 0 : c.count(p)), "C(\(p)) as a context")
    }
    var trigramContexts: [Int: Int] = [:]
    for (key, value) in c.trigram { trigramContexts[key / n, default: 0] += value }
    #expect(trigramContexts == c.trigramContext)
    #expect(c.trigram.values.reduce(0, +) == c.predictedCount - c.sentenceCount)
    #expect(c.count(g.heldOutWord) == 0)
  }

  /// unigram_counts and bigram_counts equal nltk's NgramCounter (bigram padding is ours).
  @Test(arguments: NLTKFixtures.cases)
  func countsEqualNLTK(c: NLTKCase) throws {
    let p = try c.problem()
    #expect(p.counts.unigram == c.unigram_counts)
    #expect(p.counts.bigramCounts == Matrix(c.bigram_counts.map { $0.map(Double.init) }))
  }
}
