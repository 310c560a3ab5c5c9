import NGram

/// Note 004's exercise: "What is the probability of the following sentence „the weather is
/// nice“ under a bigram language model learnt from the corpus below? … Use Laplace smoothing!"
///
/// ```
/// the weather was bad yesterday
/// today the weather will be better
/// it is nice today
/// ```
/// The 12 words, in order of appearance, are ids 2…13; V = 12.
enum WeatherExercise {
  static let words = ["the", "weather", "was", "bad", "yesterday", "today", "will", "be", "better", "it", "is", "nice"]
  static let V = 12
  static let train = tokens(
    "<s> the weather was bad yesterday </s> <s> today the weather will be better </s> <s> it is nice today </s>",
    words: words)
  static let sentence = tokens("the weather is nice", words: words)
  static func id(_ word: String) -> Int { NGramToken.word(words.firstIndex(of: word)!) }

  static func inputs(_ options: NGramOptions = NGramOptions()) -> NGramInputs {
    NGramInputs(train: train, test: [0] + sentence + [1], vocabularySize: V, sentence: sentence, options: options)
  }
}
