import Jacobians
import NGram

/// The corpora of one `ngram-lm` student, with exactly the lengths the assignment's sizes give,
/// so that every input and item has a shape known when the assignment is loaded.
///
/// ```
/// train      S_train sentences, N_train predicted tokens (words and </s>)   N_train + S_train ids
/// test       S_test sentences,  N_test predicted tokens                      N_test + S_test ids
/// sentence   the n words w_1 … w_n of one sentence (no <s>, no </s>)         n ids
/// ```
/// The chain is `NGramCorpusGenerator`'s: `<s>` and each word but the held-out one get 3
/// successors among those words with random weights, and each word also ends the sentence (`</s>`)
/// with a random weight. The test set and the sentence replace each next word, with probability
/// `noise`, by a uniform draw over all V words (unseen bigrams and trigrams, and the held-out
/// word, after which the chain goes on as after `<s>`).
///
/// Lengths: a corpus of S sentences and N predicted tokens has W = N − S words. Sentence j, with R
/// words and m sentences (itself included) still to write, gets between
/// ```
/// lo = max(1, R − (m − 1)·cap)   and   hi = min(cap, R − (m − 1))     cap = max(8, 2⌈W/S⌉)
/// ```
/// words: below `lo` the chain's `</s>` is left out of the draw, at `hi` the sentence ends with
/// `</s>`. So every sentence has at least one word and the total is exactly W (the last sentence
/// has lo = hi = R). Needs W ≥ S, i.e. N ≥ 2S (checked by the model's options).
///
/// The held-out word, id V + 1, never occurs in train; it occurs in the test set (a random word of
/// a random test sentence is replaced by it if no draw gave it) and in the sentence (likewise).
/// So the test set and the sentence always hold an unseen unigram, an unseen context (its row of
/// `p_laplace` is uniform) and, right after it, a back-off to the unigram level.
struct SizedNGramCorpus: Equatable {
  var train: [Int]
  var test: [Int]
  var sentence: [Int]
  var heldOutWord: Int

  /// The probability that a next word of the test set or the sentence is a uniform draw.
  static let noise = 0.25
  /// The smallest cap on a sentence's words.
  static let wordsPerSentence = 8

  static func generate(
    vocabularySize V: Int, trainSentences: Int, trainTokens: Int, testSentences: Int, testTokens: Int,
    sentenceWords n: Int, using rng: inout SplitMix64
  ) -> SizedNGramCorpus {
    precondition(V >= 4 && trainSentences >= 1 && testSentences >= 1 && n >= 1, "sizes checked by the model")
    precondition(trainTokens >= 2 * trainSentences && testTokens >= 2 * testSentences, "sizes checked by the model")
    let heldOut = NGramToken.word(V - 1)
    let chainWords = (0..<(V - 1)).map(NGramToken.word)

    // The chain: successors and weights of <s> and of every word but the held-out one.
    var successors: [Int: [(token: Int, weight: Double)]] = [:]
    for context in [NGramToken.start] + chainWords {
      var choices = chainWords
      var next: [(token: Int, weight: Double)] = []
      for _ in 0..<Swift.min(3, choices.count) {
        next.append((choices.remove(at: rng.int(below: choices.count)), rng.uniform(0.2, 1)))
      }
      if context != NGramToken.start { next.append((NGramToken.end, rng.uniform(0.3, 0.8))) }
      successors[context] = next
    }

    func draw(_ options: [(token: Int, weight: Double)]) -> Int {
      let total = options.reduce(0) { $0 + $1.weight }
      var u = rng.uniform(0, total)
      for o in options {
        if u < o.weight { return o.token }
        u -= o.weight
      }
      return options[options.count - 1].token
    }

    /// `<s> w_1 … w_ℓ </s>` with lo ≤ ℓ ≤ hi.
    func sentence(noisy: Bool, lo: Int, hi: Int) -> [Int] {
      var tokens = [NGramToken.start]
      var current = NGramToken.start
      while tokens.count - 1 < hi {
        if noisy && rng.uniform() < noise {
          current = NGramToken.word(rng.int(below: V))
        } else {
          var options = successors[current] ?? successors[NGramToken.start]!
          if tokens.count - 1 < lo { options.removeAll { $0.token == NGramToken.end } }
          current = draw(options)
        }
        if current == NGramToken.end { break }
        tokens.append(current)
      }
      tokens.append(NGramToken.end)
      return tokens
    }

    /// S sentences holding N − S words in all.
    func corpus(sentences S: Int, predicted N: Int, noisy: Bool) -> [[Int]] {
      let W = N - S
      let cap = Swift.max(wordsPerSentence, 2 * ((W + S - 1) / S))
      var remaining = W
      var result: [[Int]] = []
      for j in 0..<S {
        let m = S - j
        let lo = Swift.max(1, remaining - (m - 1) * cap), hi = Swift.min(cap, remaining - (m - 1))
        let s = sentence(noisy: noisy, lo: lo, hi: hi)
        remaining -= s.count - 2
        result.append(s)
      }
      return result
    }

    /// Replaces a random word of `sentences` by the held-out word unless one holds it already.
    func holdingHeldOut(_ sentences: [[Int]]) -> [[Int]] {
      if sentences.contains(where: { $0.contains(heldOut) }) { return sentences }
      var result = sentences
      let i = rng.int(below: result.count)
      result[i][1 + rng.int(below: result[i].count - 2)] = heldOut
      return result
    }

    let train = corpus(sentences: trainSentences, predicted: trainTokens, noisy: false)
    let test = holdingHeldOut(corpus(sentences: testSentences, predicted: testTokens, noisy: true))
    let given = holdingHeldOut([sentence(noisy: true, lo: n, hi: n)])[0]
    return SizedNGramCorpus(
      train: train.flatMap { $0 }, test: test.flatMap { $0 }, sentence: Array(given[1..<(given.count - 1)]), heldOutWord: heldOut)
  }
}
