import Jacobians

/// Inputs with which no RNN loss can be computed: a wrong shape, a token outside the vocabulary,
/// a sequence too short, a truncation length below 1.
///
/// The non-throwing entry points (`BPTT.forward`, `BPTT.gradients`, …) stop with the same
/// sentence; call `validate` first where a bad input must be reported instead.
public enum RNNInputError: Error, Equatable, CustomStringConvertible {
  /// A parameter has the wrong shape.
  case shapeMismatch(parameter: String, expected: Shape, actual: Shape)
  /// The token sequence needs T + 1 ≥ 2 tokens (inputs x(1…T), targets x(2…T+1)).
  case sequenceTooShort(count: Int)
  /// A token is not in 0..<|V|.
  case tokenOutOfRange(position: Int, token: Int, vocabularySize: Int)
  /// The window or chunk length of truncated BPTT must be at least 1.
  case invalidTruncationLength(Int)
  /// A time index outside 1…T.
  case stepOutOfRange(step: Int, steps: Int)
  /// A clipping threshold must be positive and finite.
  case invalidClippingThreshold(Double)
  /// The truncated surrogate needs the T + 1 states h^(0) … h^(T), each H × 1.
  case frozenStates(count: Int, expected: Int, hiddenSize: Int)

  public var description: String {
    switch self {
    case let .shapeMismatch(parameter, expected, actual):
      let hint = actual == expected.transposed ? " (did you transpose?)" : ""
      return "\(parameter) has shape \(actual), expected \(expected)\(hint)."
    case let .sequenceTooShort(count):
      return "The token sequence has \(count) token\(count == 1 ? "" : "s"); at least 2 are needed (inputs x(1…T) and targets x(2…T+1))."
    case let .tokenOutOfRange(position, token, vocabularySize):
      return "Token \(token) at position \(position) is outside the vocabulary 0..<\(vocabularySize)."
    case let .invalidTruncationLength(k):
      return "The truncation length is \(k); it must be at least 1."
    case let .stepOutOfRange(step, steps):
      return "Step \(step) is outside 1…\(steps)."
    case let .invalidClippingThreshold(c):
      return "The clipping threshold is \(c); it must be positive and finite."
    case let .frozenStates(count, expected, hiddenSize):
      return "The truncated surrogate needs \(expected) frozen states h^(0) … h^(T), each \(hiddenSize) × 1 (BPTT.frozenStates); \(count) were given, or one has another shape."
    }
  }
}

/// Stops with the error's sentence: the non-throwing entry points' response to bad input.
@inline(never)
func stop(_ error: RNNInputError) -> Never {
  fatalError("RNN input error: \(error)")
}

/// Checks that tokens and options fit a vocabulary of `V` words.
func validateSequence(_ tokens: [Int], vocabularySize V: Int, options: RNNOptions) throws(RNNInputError) {
  if tokens.count < 2 { throw .sequenceTooShort(count: tokens.count) }
  for (position, token) in tokens.enumerated() where token < 0 || token >= V {
    throw .tokenOutOfRange(position: position, token: token, vocabularySize: V)
  }
  if let k = options.truncation.length, k < 1 { throw .invalidTruncationLength(k) }
  switch options.clipping {
  case .none: break
  case .value(let c), .globalNorm(let c):
    if !(c > 0 && c.isFinite) { throw .invalidClippingThreshold(c) }
  }
}

/// Checks one parameter's shape.
func expectShape(_ name: String, _ m: Matrix, _ expected: Shape) throws(RNNInputError) {
  if m.shape != expected { throw .shapeMismatch(parameter: name, expected: expected, actual: m.shape) }
}
