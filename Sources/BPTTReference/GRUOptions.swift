import Jacobians

/// Where the reset gate r acts in the candidate n of the GRU.
///
/// ```
/// after    n = tanh(W_xn e + b_xn + r ⊙ (W_hn h^(t−1) + b_hn))     PyTorch's nn.GRU (default)
/// before   n = tanh(W_xn e + b_xn + W_hn (r ⊙ h^(t−1)) + b_hn)      Cho et al. 2014, d2l
/// ```
public enum GRUReset: String, Sendable, CaseIterable {
  case after, before
}

/// Which of the two terms of the GRU's new state the update gate z weights.
///
/// ```
/// keep   h^(t) = (1 − z) ⊙ n + z ⊙ h^(t−1)     z keeps the old state: PyTorch, d2l (default)
/// new    h^(t) = z ⊙ n + (1 − z) ⊙ h^(t−1)     z admits the candidate: Cho et al. 2014
/// ```
public enum GRUUpdate: String, Sendable, CaseIterable {
  case keep, new
}

/// The options of the GRU language model: where the reset gate acts, what the update gate
/// weights, and as for the RNN-LM the reduction, truncation and clipping.
///
/// Defaults: PyTorch's `after` and `keep`, mean over t, full BPTT, no clipping.
public struct GRUOptions: Hashable, Sendable, CustomStringConvertible {
  public var reset: GRUReset
  public var update: GRUUpdate
  public var reduction: LossReduction
  public var truncation: Truncation
  public var clipping: Clipping

  public init(
    reset: GRUReset = .after, update: GRUUpdate = .keep, reduction: LossReduction = .mean,
    truncation: Truncation = .full, clipping: Clipping = .none
  ) {
    self.reset = reset
    self.update = update
    self.reduction = reduction
    self.truncation = truncation
    self.clipping = clipping
  }

  public var description: String {
    "reset \(reset.rawValue), update \(update.rawValue), \(reduction.rawValue), \(truncation), clipping \(clipping.summary)"
  }
}
