import Testing
import Jacobians
import NGram
import TestSupport

@Suite struct MaximumLikelihoodTests {
  /// Every row of a seen context sums to 1; unseen rows and the column <s> are 0.
  @Test(arguments: randomSeeds)
  func seenRowsSumToOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let P = MaximumLikelihood.bigramProbabilities(p.counts)
    let n = p.counts.idCount
    #expect(P.shape == Shape(n, n))
    var unseen = 0
    for prev in 0..<n {
      let row = P.row(prev).sum()
      if p.counts.contextCount(prev) > 0 {
        #expect(Swift.abs(row - 1) <= 1e-12, "row \(prev) sums to \(row)")
      } else {
        unseen += 1
        #expect(row == 0, "unseen context \(prev)")
      }
      #expect(P[prev, NGramToken.start] == 0)
    }
    // </s> and the held-out word are never contexts in training.
    #expect(unseen >= 2)
  }

  /// Σ_w P(w) = 1 over the predicted tokens; P(<s>) = 0.
  @Test(arguments: randomSeeds)
  func unigramSumsToOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let total = (0..<p.counts.idCount).reduce(0.0) { $0 + MaximumLikelihood.unigramProbability($1, p.counts) }
    #expect(Swift.abs(total - 1) <= 1e-12)
    #expect(MaximumLikelihood.unigramProbability(NGramToken.start, p.counts) == 0)
  }

  /// Σ_w P(w | a, b) = 1 for every trigram context seen in training.
  @Test(arguments: randomSeeds)
  func trigramRowsSumToOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let n = p.counts.idCount
    for key in p.counts.trigramContext.keys {
      let (a, b) = (key / n, key % n)
      let total = (0..<n).reduce(0.0) { $0 + MaximumLikelihood.probability($1, given: a, b, p.counts) }
      #expect(Swift.abs(total - 1) <= 1e-12, "context (\(a), \(b))")
    }
  }

  /// p_mle equals nltk's MLE(2).score(w, [prev]) for every entry.
  @Test(arguments: NLTKFixtures.cases)
  func equalsNLTK(c: NLTKCase) throws {
    let p = try c.problem()
    expectClose(MaximumLikelihood.bigramProbabilities(p.counts), Matrix(c.p_mle), within: exactTolerance, "\(c.name): p_mle")
  }

  @Test func theExerciseByHand() throws {
    let c = NGramCounts(try NGramCorpus(WeatherExercise.train, vocabularySize: WeatherExercise.V))
    let w = WeatherExercise.id
    // C(the weather) / C(the) = 2/2; C(<s> the) / C(<s>) = 1/3; C(weather is) = 0.
    #expect(MaximumLikelihood.probability(w("weather"), given: w("the"), c) == 1)
    #expect(MaximumLikelihood.probability(w("the"), given: NGramToken.start, c) == 1.0 / 3)
    #expect(MaximumLikelihood.probability(w("is"), given: w("weather"), c) == 0)
    // P(today) = C(today) / N = 2/18.
    #expect(MaximumLikelihood.unigramProbability(w("today"), c) == 2.0 / 18)
  }
}
