/// The token ids of the n-gram language models of note 004.
///
/// ```
/// id         token   role
/// 0          <s>     the start of a sentence: context only, never predicted
/// 1          </s>    the end of a sentence: predicted after the last word
/// 2 … V+1    w       the V words
/// ```
/// A model predicts the words and `</s>`: V + 1 tokens. That is the vocabulary size of
/// smoothing (`k·(V + 1)` in the add-k denominator), the number of words `#words` of the
/// back-off's last level, and the perplexity of the uniform model (note 000).
public enum NGramToken {
  /// `<s>`, id 0.
  public static let start = 0
  /// `</s>`, id 1.
  public static let end = 1

  /// The id of word `i`, i = 0 ..< V: `i + 2`.
  public static func word(_ i: Int) -> Int { i + 2 }

  /// Every id, `<s>` and `</s>` included: V + 2.
  public static func idCount(vocabularySize V: Int) -> Int { V + 2 }

  /// The tokens a model predicts, the words and `</s>`: V + 1.
  public static func predictedCount(vocabularySize V: Int) -> Int { V + 1 }

  /// True for the words and `</s>`, the tokens a model predicts (every id but `<s>`).
  public static func isPredicted(_ id: Int) -> Bool { id != start }

  /// `<s>`, `</s>` or `w<id>`, for messages.
  public static func name(_ id: Int) -> String {
    switch id {
    case start: return "<s>"
    case end: return "</s>"
    default: return "w\(id)"
    }
  }
}
