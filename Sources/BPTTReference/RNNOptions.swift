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

// MARK: - Which terms a truncation keeps

extension Truncation {
  /// The first step i whose term ∂J^(t)/∂W_h|_(i) the loss J^(t) keeps; the kept terms are
  /// i = firstKeptStep(t) … t. Steps are 1-based (t = 1…T).
  ///
  /// ```
  /// full        1
  /// window(k)   max(1, t − k + 1)            J^(t) back-propagates through k steps
  /// chunks(k)   ⌊(t − 1)/k⌋·k + 1             the first step of t's chunk
  /// ```
  /// The state h^(first − 1) is treated as a constant, except h^(0): it is a parameter, and the
  /// term through the step-1 application, ∂J^(t)/∂h^(0) = W_hᵀ ∂J^(t)/∂z^(1), is kept whenever
  /// step 1 is. So `window(k)` and `chunks(k)` with k ≥ T are full BPTT.
  public func firstKeptStep(for t: Int) -> Int {
    switch self {
    case .full: return 1
    case .window(let k): return Swift.max(1, t - k + 1)
    case .chunks(let k): return ((t - 1) / k) * k + 1
    }
  }

  /// For each step i = 1 … T (entry i − 1), the last loss term whose kept terms reach step i:
  /// the loss terms that reach i are t = i … lastLossTerms[i − 1], a run, as `firstKeptStep`
  /// grows with t.
  public func lastLossTerms(steps T: Int) -> [Int] {
    var last = [Int](repeating: 0, count: Swift.max(T, 0))
    var end = T
    for i in stride(from: T, through: 1, by: -1) {
      while end > i && firstKeptStep(for: end) > i { end -= 1 }
      last[i - 1] = end
    }
    return last
  }

  /// True when, for a sequence of T steps, every term is kept (the truncation is full BPTT).
  public func isFull(forSteps T: Int) -> Bool {
    switch self {
    case .full: return true
    case .window(let k), .chunks(let k): return k >= T
    }
  }

  /// The window or chunk length k, nil for full BPTT.
  public var length: Int? {
    switch self {
    case .full: return nil
    case .window(let k), .chunks(let k): return k
    }
  }
}

extension LossReduction {
  /// The weight of each J^(t) in J: `1/T` for the mean, `1` for the sum.
  public func weight(steps T: Int) -> Double {
    switch self {
    case .mean: return 1 / Double(T)
    case .sum: return 1
    }
  }
}

extension RNNOptions: CustomStringConvertible {
  public var description: String {
    let clip: String
    switch clipping {
    case .none: clip = "none"
    case .value(let c): clip = "value(\(c))"
    case .globalNorm(let c): clip = "globalNorm(\(c))"
    }
    return "\(activation), biases \(useBiases ? "on" : "off"), \(reduction.rawValue), \(truncation), clipping \(clip)"
  }
}
