import Testing
import Jacobians
import NGram
import TestSupport

@Suite struct AddKSmoothingTests {
  static let ks: [Double] = [1, 0.5, 0.01, 3]

  /// Every row, seen or unseen context, sums to 1 over the V + 1 predicted tokens; column <s> is 0;
  /// an unseen context's row is uniform, 1/(V + 1).
  @Test(arguments: randomSeeds)
  func everyRowSumsToOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let n = p.counts.idCount, V = p.vocabularySize
    for k in Self.ks {
      let P = AddKSmoothing.bigramProbabilities(p.counts, k: k)
      for prev in 0..<n {
        #expect(Swift.abs(P.row(prev).sum() - 1) <= 1e-12, "k = \(k), row \(prev)")
        #expect(P[prev, NGramToken.start] == 0)
        if p.counts.contextCount(prev) == 0 {
          for w in 1..<n { expectClose(P[prev, w], 1 / Double(V + 1), within: 1e-15, "unseen row \(prev)") }
        }
      }
    }
  }

  /// Σ_w P(w | a, b) = 1 for seen trigram contexts and for an unseen one.
  @Test(arguments: randomSeeds)
  func trigramRowsSumToOne(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let n = p.counts.idCount
    let contexts = p.counts.trigramContext.keys.map { ($0 / n, $0 % n) } + [(p.heldOut, p.heldOut)]
    for (a, b) in contexts {
      let total = (0..<n).reduce(0.0) { $0 + AddKSmoothing.probability($1, given: a, b, p.counts, k: 0.5) }
      #expect(Swift.abs(total - 1) <= 1e-12, "context (\(a), \(b))")
    }
  }

  /// p_laplace (k = 1) and add-0.5 equal nltk's Laplace and Lidstone(0.5) in every column but
  /// <s>; nltk's column <s>, (0 + k)/(C(p) + k|V|), is our phantom word's column (see the script).
  @Test(arguments: NLTKFixtures.cases)
  func equalsNLTK(c: NLTKCase) throws {
    let p = try c.problem()
    #expect(c.nltk_vocabulary_size == c.vocabulary_size + 1)
    let n = p.counts.idCount
    for (k, nltk) in [(1.0, c.p_laplace), (0.5, c.p_lidstone)] {
      let P = AddKSmoothing.bigramProbabilities(p.counts, k: k)
      let phantom = n - 1
      for prev in 0..<n {
        #expect(P[prev, NGramToken.start] == 0)
        expectClose(P[prev, phantom], nltk[prev][NGramToken.start], within: exactTolerance, "\(c.name) k = \(k): nltk's <s> share, row \(prev)")
        for w in 1..<n {
          expectClose(P[prev, w], nltk[prev][w], within: exactTolerance, "\(c.name) k = \(k): P(\(w) | \(prev))")
        }
      }
    }
  }

  /// The model of order 3 uses the bigram for the first token of a sentence, the trigram after.
  @Test func orderThreeBacksOntoTheBigramForTheFirstWord() throws {
    let c = NGramCounts(try NGramCorpus(WeatherExercise.train, vocabularySize: WeatherExercise.V))
    let w = WeatherExercise.id
    let sentence = try NGramCorpus.sentence(WeatherExercise.sentence, vocabularySize: WeatherExercise.V)
    let first = sentence.positions[0], second = sentence.positions[1]
    // (C(<s> the) + 1) / (C(<s>) + 13) = 2/16.
    #expect(AddKSmoothing.probability(at: first, c, k: 1, order: 3) == 2.0 / 16)
    #expect(AddKSmoothing.probability(at: first, c, k: 1, order: 3) == AddKSmoothing.probability(at: first, c, k: 1, order: 2))
    // (C(<s> the weather) + 1) / (C(<s> the) + 13) = 2/14.
    #expect(AddKSmoothing.probability(at: second, c, k: 1, order: 3) == 2.0 / 14)
    #expect(AddKSmoothing.probability(w("weather"), given: NGramToken.start, w("the"), c) == 2.0 / 14)
  }
}

extension NGramProblem {
  /// The generator's held-out word (the last id), never seen in training.
  var heldOut: Int { vocabularySize + 1 }
}
