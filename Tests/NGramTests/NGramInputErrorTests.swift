import Testing
import NGram

/// Malformed corpora and options give typed errors whose descriptions are sentences.
@Suite struct NGramInputErrorTests {
  struct Case: CustomStringConvertible, Sendable {
    let name: String
    let train: [Int]
    let test: [Int]
    let V: Int
    let sentence: [Int]
    let options: NGramOptions
    let error: NGramInputError
    let message: String
    var description: String { name }

    init(_ name: String, train: [Int] = [0, 2, 1], test: [Int] = [0, 3, 1], V: Int = 3, sentence: [Int] = [2],
         options: NGramOptions = NGramOptions(), _ error: NGramInputError, _ message: String) {
      self.name = name
      self.train = train
      self.test = test
      self.V = V
      self.sentence = sentence
      self.options = options
      self.error = error
      self.message = message
    }
  }

  static let cases: [Case] = [
    Case("train sentence without </s> at the end", train: [0, 2, 3, 1, 0, 2, 3],
         .sentenceWithoutEnd(corpus: .training, sentence: 2, start: 4, position: 7, corpusLength: 7),
         "Sentence 2 of the training corpus (its <s> at position 4) has no </s>: the training corpus ends (after 7 tokens) before it is closed; every sentence is written <s> w_1 … w_n </s>."),
    Case("test sentence without </s> before the next <s>", test: [0, 2, 0, 3, 1],
         .sentenceWithoutEnd(corpus: .test, sentence: 1, start: 0, position: 2, corpusLength: 5),
         "Sentence 1 of the test corpus (its <s> at position 0) has no </s>: a new <s> comes at position 2 before it is closed; every sentence is written <s> w_1 … w_n </s>."),
    Case("id above V + 1", test: [0, 2, 5, 1],
         .tokenOutOfRange(corpus: .test, position: 2, token: 5, vocabularySize: 3),
         "Token 5 at position 2 of the test corpus is outside 0…4: the ids are 0 = <s>, 1 = </s> and 2…4 for the V = 3 words."),
    Case("negative id", train: [0, -1, 1],
         .tokenOutOfRange(corpus: .training, position: 1, token: -1, vocabularySize: 3),
         "Token -1 at position 1 of the training corpus is outside 0…4: the ids are 0 = <s>, 1 = </s> and 2…4 for the V = 3 words."),
    Case("words without <s>", train: [2, 3, 1],
         .tokenOutsideSentence(corpus: .training, position: 0, token: 2),
         "The training corpus has token 2 at position 0, at the start, where a sentence must begin with <s> (id 0): every sentence is written <s> w_1 … w_n </s>."),
    Case("a second </s>", test: [0, 2, 1, 1],
         .tokenOutsideSentence(corpus: .test, position: 3, token: 1),
         "The test corpus has </s> (id 1) at position 3, right after a </s>, where a sentence must begin with <s> (id 0): every sentence is written <s> w_1 … w_n </s>."),
    Case("empty test set", test: [], .emptyCorpus(.test),
         "The test corpus is empty: the log-probability and the perplexity need at least one sentence <s> w_1 … w_n </s>."),
    Case("sentence with an id out of range", sentence: [2, 9],
         .tokenOutOfRange(corpus: .sentence, position: 2, token: 9, vocabularySize: 3),
         "Token 9 at position 2 of the sentence is outside 0…4: the ids are 0 = <s>, 1 = </s> and 2…4 for the V = 3 words."),
    Case("written sentence without </s>", sentence: [0, 2, 3],
         .sentenceWithoutEnd(corpus: .sentence, sentence: 1, start: 0, position: 3, corpusLength: 3),
         "The sentence (its <s> at position 0) has no </s>: the sentence ends (after 3 tokens) before it is closed; every sentence is written <s> w_1 … w_n </s>."),
    Case("two sentences for one", sentence: [0, 2, 1, 0, 1], .notOneSentence(count: 2),
         "The sentence holds 2 sentences; give exactly one, as its words w_1 … w_n or written <s> w_1 … w_n </s>."),
    Case("no words", V: 0, .invalidVocabularySize(0),
         "The vocabulary size V is 0; it must be at least 1 (ids 0 = <s>, 1 = </s>, 2…V+1 the words)."),
    Case("k = 0", options: NGramOptions(smoothingK: 0), .invalidSmoothing(0),
         "The smoothing constant k is 0.0; it must be positive and finite (k = 1 is Laplace smoothing)."),
    Case("k = NaN", options: NGramOptions(smoothingK: .nan), .invalidSmoothing(.nan),
         "The smoothing constant k is nan; it must be positive and finite (k = 1 is Laplace smoothing)."),
    Case("order 4", options: NGramOptions(order: 4), .unsupportedOrder(4),
         "The order is 4; only 2 (a bigram model) and 3 (a trigram model) are defined."),
  ]

  @Test(arguments: cases)
  func malformedInputsGiveTypedErrors(c: Case) {
    let inputs = NGramInputs(train: c.train, test: c.test, vocabularySize: c.V, sentence: c.sentence, options: c.options)
    do {
      _ = try NGramReference.evaluate(inputs)
      Issue.record("\(c.name): no error")
    } catch {
      if case .invalidSmoothing(let k) = error, k.isNaN {
        #expect(c.error.description == error.description)
      } else {
        #expect(error == c.error)
      }
      #expect(error.description == c.message)
      // A sentence: a capital letter first, a full stop last.
      #expect(error.description.first?.isUppercase == true && error.description.hasSuffix("."))
      #expect(throws: NGramInputError.self) { try MutantNGram.evaluate(inputs, mistakes: .logBase2) }
    }
  }

  @Test func anEmptyTrainingCorpusIsNoError() throws {
    let items = try NGramReference.evaluate(NGramInputs(train: [], test: [0, 2, 1], vocabularySize: 3))
    #expect(items[.unigram_counts]?.sum() == 0)
  }
}
