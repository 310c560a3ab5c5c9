import Jacobians

/// A seeded training and test corpus for the n-gram items, with the names of its words.
///
/// ```
/// train, test     token ids, sentences <s> w_1 … w_n </s> (see NGramToken)
/// sentence        the words of one test sentence: the one holding `heldOutWord`
/// heldOutWord     the id of a word that never occurs in train and occurs in test
/// words           words[id]: "<s>", "</s>", then the V words
/// ```
public struct GeneratedNGramCorpus: Hashable, Sendable {
  public let vocabularySize: Int
  public let train: [Int]
  public let test: [Int]
  public let sentence: [Int]
  public let heldOutWord: Int
  public let words: [String]

  /// The inputs of the items for this corpus.
  public func inputs(_ options: NGramOptions = NGramOptions()) -> NGramInputs {
    NGramInputs(train: train, test: test, vocabularySize: vocabularySize, sentence: sentence, options: options)
  }

  /// The tokens as text, e.g. "<s> the cat sat </s>".
  public func text(_ tokens: [Int]) -> String {
    tokens.map { $0 >= 0 && $0 < words.count ? words[$0] : "?\($0)" }.joined(separator: " ")
  }
}

/// Generates corpora from a seeded Markov chain over a small vocabulary (SplitMix64), so that
/// the test set holds n-grams the training set lacks.
///
/// ```
/// chain        <s> and each word but the held-out one get 3 successors among the words
///              (never the held-out word), with random weights; each word also ends the
///              sentence (</s>) with a random weight. A sentence stops at `maxWords` words.
/// train        sentences of the chain
/// test         sentences of the chain in which each next word is, with probability `noise`,
///              a uniform draw over all V words instead (unseen bigrams and trigrams, and
///              the held-out word, after which the chain goes on as after <s>)
/// held-out     the last word, id V + 1: never in train; if no test sentence drew it, one word
///              of the first test sentence with a word is replaced by it (or it is inserted)
/// ```
/// So the test set always contains an unseen unigram (the held-out word) and the unseen bigrams
/// and trigrams around it; the tests check, for every seed, that the back-off reaches each of
/// its four levels.
public enum NGramCorpusGenerator {
  /// Short English words, the names of the word ids 2, 3, … in reports.
  public static let wordList: [String] = [
    "the", "a", "cat", "dog", "sat", "on", "mat", "ran", "to", "park", "is", "nice",
    "big", "red", "and", "it", "was", "cold", "today", "we", "go", "home", "now", "very",
  ]

  /// words[id] for V words: "<s>", "</s>", then `wordList` (and "w24", "w25", … beyond it).
  public static func words(vocabularySize V: Int) -> [String] {
    ["<s>", "</s>"] + (0..<V).map { $0 < wordList.count ? wordList[$0] : "w\($0)" }
  }

  /// A corpus of `trainSentences` and `testSentences` sentences over V ≥ 4 words.
  public static func generate(
    seed: UInt64, vocabularySize V: Int = 10, trainSentences: Int = 30, testSentences: Int = 8,
    maxWords: Int = 8, noise: Double = 0.25
  ) -> GeneratedNGramCorpus {
    precondition(V >= 4, "NGramCorpusGenerator needs at least 4 words, got V = \(V)")
    precondition(trainSentences >= 1 && testSentences >= 1 && maxWords >= 1,
                 "NGramCorpusGenerator needs at least one training and one test sentence of at least one word")
    var rng = SplitMix64(seed: seed)
    let heldOut = NGramToken.word(V - 1)
    let chainWords = (0..<(V - 1)).map(NGramToken.word)

    // The chain: successors and weights of <s> and of every word but the held-out one.
    var successors: [Int: [(token: Int, weight: Double)]] = [:]
    for context in [NGramToken.start] + chainWords {
      var choices = chainWords
      var next: [(token: Int, weight: Double)] = []
      for _ in 0..<min(3, choices.count) {
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

    func sentence(noisy: Bool) -> [Int] {
      var tokens = [NGramToken.start]
      var current = NGramToken.start
      while true {
        if tokens.count - 1 == maxWords { break }
        if noisy && rng.uniform() < noise {
          current = NGramToken.word(rng.int(below: V))
        } else {
          current = draw(successors[current] ?? successors[NGramToken.start]!)
        }
        if current == NGramToken.end { break }
        tokens.append(current)
      }
      tokens.append(NGramToken.end)
      return tokens
    }

    let train = (0..<trainSentences).flatMap { _ in sentence(noisy: false) }
    var testSentences = (0..<testSentences).map { _ in sentence(noisy: true) }
    var holder = testSentences.firstIndex { $0.contains(heldOut) }
    if holder == nil {
      let i = testSentences.firstIndex { $0.count > 2 } ?? 0
      if testSentences[i].count > 2 {
        testSentences[i][1 + rng.int(below: testSentences[i].count - 2)] = heldOut
      } else {
        testSentences[i].insert(heldOut, at: 1)
      }
      holder = i
    }
    let chosen = testSentences[holder!]
    return GeneratedNGramCorpus(
      vocabularySize: V, train: train, test: testSentences.flatMap { $0 },
      sentence: Array(chosen[1..<(chosen.count - 1)]), heldOutWord: heldOut, words: words(vocabularySize: V))
  }
}
