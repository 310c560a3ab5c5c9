import Testing
import Jacobians
import NGram
import TestSupport

@Suite struct KatzBackoffTests {
  static let words = ["a", "b", "c", "d"]
  /// Counts, by hand: C(<s>) = 2, C(a) = 2, C(b) = 1, C(c) = 2, C(</s>) = 2, C(d) = 0; N = 7;
  /// bigrams <s>a 2, ab 1, bc 1, c</s> 2, ac 1; trigrams <s>ab, abc, bc</s>, <s>ac, ac</s> 1 each.
  static let train = "<s> a b c </s> <s> a c </s>"

  struct Case: CustomStringConvertible, Sendable {
    let test: String
    let order: Int
    let expected: [(Double, BackoffLevel)]
    var description: String { "\(test) (order \(order))" }
  }

  /// Constructed test sentences reaching every level; each estimate worked out by hand.
  static let cases: [Case] = [
    // a: first word, no trigram; C(<s> a) / C(<s>) = 2/2.  b: C(<s> a b) / C(<s> a) = 1/2.
    // c: C(a b c) / C(a b) = 1/1.  </s>: C(b c </s>) / C(b c) = 1/1.
    Case(test: "<s> a b c </s>", order: 3, expected: [(1, .bigram), (0.5, .trigram), (1, .trigram), (1, .trigram)]),
    // b: C(<s> b) = 0 → C(b) / N = 1/7.  a: C(<s> b a) = C(b a) = 0 → C(a) / N = 2/7.
    // c: C(b a c) = 0, C(a c) = 1 → C(a c) / C(a) = 1/2.  </s>: C(a c </s>) / C(a c) = 1/1.
    Case(test: "<s> b a c </s>", order: 3, expected: [(1.0 / 7, .unigram), (2.0 / 7, .unigram), (0.5, .bigram), (1, .trigram)]),
    // c: C(<s> c) = 0 → 2/7.  a: C(<s> c a) = C(c a) = 0 → 2/7.  d: C(c a d) = C(a d) = C(d) = 0
    // → 1/#words = 1/(V + 1) = 1/5.  </s>: C(a d </s>) = C(d </s>) = 0 → C(</s>) / N = 2/7.
    Case(test: "<s> c a d </s>", order: 3, expected: [(2.0 / 7, .unigram), (2.0 / 7, .unigram), (0.2, .uniform), (2.0 / 7, .unigram)]),
    // An empty sentence: </s> after <s>: C(<s> </s>) = 0 → C(</s>) / N = 2/7.
    Case(test: "<s> </s>", order: 3, expected: [(2.0 / 7, .unigram)]),
    // Order 2, no trigram level: C(<s> a)/C(<s>) = 1, C(a b)/C(a) = 1/2, C(b c)/C(b) = 1, C(c </s>)/C(c) = 2/2.
    Case(test: "<s> a b c </s>", order: 2, expected: [(1, .bigram), (0.5, .bigram), (1, .bigram), (1, .bigram)]),
  ]

  @Test(arguments: cases)
  func fallsThroughEveryLevel(c: Case) throws {
    let counts = NGramCounts(try NGramCorpus(tokens(Self.train, words: Self.words), vocabularySize: 4))
    let test = try NGramCorpus(tokens(c.test, words: Self.words), vocabularySize: 4, role: .test)
    let estimates = KatzBackoff.estimates(test, counts, order: c.order)
    #expect(estimates.count == c.expected.count)
    for (i, (e, (p, level))) in zip(estimates, c.expected).enumerated() {
      #expect(e.level == level, "position \(i)")
      expectClose(e.probability, p, within: 1e-15, "position \(i)")
    }
    #expect(KatzBackoff.probabilities(test, counts, order: c.order) == Matrix(column: estimates.map(\.probability)))
  }

  /// On every generated corpus the back-off reaches all four levels, and each estimate is the
  /// MLE of its level, taken exactly when every longer count is 0.
  @Test(arguments: randomSeeds)
  func generatedCorporaReachEveryLevel(seed: UInt64) throws {
    let p = try seededProblem(seed)
    let c = p.counts
    let estimates = KatzBackoff.estimates(p.test, c)
    #expect(estimates.count == p.test.predictedCount)
    #expect(Set(estimates.map(\.level)) == Set(BackoffLevel.allCases), "levels reached: \(Set(estimates.map(\.level)))")
    for (x, e) in zip(p.test.positions, estimates) {
      let w = x.token, b = x.previous
      let trigram = x.beforePrevious.map { c.count($0, b, w) } ?? 0
      switch e.level {
      case .trigram:
        #expect(trigram > 0)
        #expect(e.probability == Double(trigram) / Double(c.contextCount(x.beforePrevious!, b)))
      case .bigram:
        #expect(trigram == 0 && c.count(b, w) > 0)
        #expect(e.probability == Double(c.count(b, w)) / Double(c.contextCount(b)))
      case .unigram:
        #expect(trigram == 0 && c.count(b, w) == 0 && c.count(w) > 0)
        #expect(e.probability == Double(c.count(w)) / Double(c.predictedCount))
      case .uniform:
        #expect(c.count(w) == 0)
        #expect(e.probability == 1 / Double(p.vocabularySize + 1))
      }
    }
  }

  /// Against nltk's StupidBackoff(alpha = 1, order = 3): equal at the trigram and bigram levels
  /// (nltk's (<s>, <s>, w_1) is our (<s>, w_1)); at the unigram level nltk divides by its
  /// N_nltk padded unigrams and counts </s> twice per sentence, so C(w) = score · N_nltk (halved
  /// for </s>) must be our C(w) = P(w) · N.
  @Test(arguments: NLTKFixtures.cases)
  func agreesWithNLTKStupidBackoff(c: NLTKCase) throws {
    let p = try c.problem()
    let estimates = KatzBackoff.estimates(p.test, p.counts)
    let positions = p.test.positions
    #expect(estimates.count == c.stupid_backoff.scores.count)
    var compared = Set<BackoffLevel>()
    for (i, e) in estimates.enumerated() {
      let nltk = c.stupid_backoff.scores[i]
      switch e.level {
      case .trigram, .bigram:
        #expect(c.stupid_backoff.levels[i] >= 2, "\(c.name) position \(i)")
        expectClose(e.probability, nltk, within: exactTolerance, "\(c.name) position \(i), \(e.level)")
      case .unigram:
        #expect(c.stupid_backoff.levels[i] == 1)
        let padding = positions[i].token == NGramToken.end ? 2.0 : 1.0
        expectClose(e.probability * Double(p.counts.predictedCount), nltk * Double(c.stupid_backoff.unigram_total) / padding,
                    within: exactTolerance, "\(c.name) position \(i): C(w)")
      case .uniform:
        #expect(nltk == 0)
      }
      compared.insert(e.level)
    }
    #expect(compared.isSuperset(of: [.trigram, .bigram, .unigram]))
  }
}
