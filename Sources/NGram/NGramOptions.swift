/// The options of the n-gram items.
///
/// ```
/// smoothingK   k of add-k smoothing, (C(prev w) + k) / (C(prev) + k·(V+1)); k = 1 is Laplace
/// order        2: the bigram model; 3: the trigram model, for logprob_test, perplexity_test and
///              sentence_probability (p_mle and p_laplace are bigram tables whatever the order,
///              p_backoff_test is the lecture's trigram back-off whatever the order)
/// ```
public struct NGramOptions: Hashable, Sendable, CustomStringConvertible {
  public var smoothingK: Double
  public var order: Int

  public init(smoothingK: Double = 1, order: Int = 2) {
    self.smoothingK = smoothingK
    self.order = order
  }

  /// Throws when k is not positive and finite or the order is not 2 or 3.
  public func validate() throws(NGramInputError) {
    if !(smoothingK > 0 && smoothingK.isFinite) { throw .invalidSmoothing(smoothingK) }
    if order != 2 && order != 3 { throw .unsupportedOrder(order) }
  }

  public var description: String { "k = \(smoothingK), order \(order)" }
}
