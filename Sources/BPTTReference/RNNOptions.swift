import Jacobians

/// Whether vectors are columns (`z = W_h h + W_e e + b_1`, notes 002/003) or rows
/// (`z = h W_h + e W_e + b_h`, note 004). The row form's parameters and gradients are the
/// transposes of the column form's.
public enum VectorConvention: String, Sendable, CaseIterable {
  case column, row
}

/// How the per-step losses J^(t) are combined into J.
public enum LossReduction: String, Sendable, CaseIterable {
  /// `J = (1/T) Σₜ J^(t)` (notes 002, 003, 004).
  case mean
  /// `J = Σₜ J^(t)` (note 001, min-char-rnn).
  case sum
}

/// How far back each gradient flows.
public enum Truncation: Hashable, Sendable, CustomStringConvertible {
  /// Full backpropagation through time.
  case full
  /// Each J^(t) back-propagates through at most k applications of the recurrence: the terms
  /// ∂J^(t)/∂W_h|_(i) for i = t−k+1 … t are kept.
  case window(Int)
  /// The sequence is cut into chunks of k steps; no gradient crosses a chunk boundary (the state
  /// is carried forward, its gradient is not).
  case chunks(Int)

  public var description: String {
    switch self {
    case .full: return "full"
    case .window(let k): return "window(\(k))"
    case .chunks(let k): return "chunks(\(k))"
    }
  }
}

/// Gradient clipping, applied after the gradient is computed.
public enum Clipping: Hashable, Sendable {
  case none
  /// Every entry clamped to [−c, c].
  case value(Double)
  /// When the global norm ‖g‖ = √(Σ over all parameters of Σ gᵢ²) exceeds c, every gradient is
  /// scaled by c / ‖g‖.
  case globalNorm(Double)
}

/// The options of the RNN language model, defaults as in notes 002/003: σ, biases, mean over T,
/// full BPTT, no clipping.
public struct RNNOptions: Hashable, Sendable {
  public var activation: Activation
  public var useBiases: Bool
  public var reduction: LossReduction
  public var truncation: Truncation
  public var clipping: Clipping

  public init(
    activation: Activation = .sigmoid,
    useBiases: Bool = true,
    reduction: LossReduction = .mean,
    truncation: Truncation = .full,
    clipping: Clipping = .none
  ) {
    self.activation = activation
    self.useBiases = useBiases
    self.reduction = reduction
    self.truncation = truncation
    self.clipping = clipping
  }
}
