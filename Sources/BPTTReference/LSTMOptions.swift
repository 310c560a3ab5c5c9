import Jacobians

/// The four gates of the LSTM cell (note 001: "use gates to control when to forget / remember").
///
/// ```
/// input    i = σ(a_i)      how much of the candidate enters the cell
/// forget   f = σ(a_f)      how much of c^(t−1) is kept
/// output   o = σ(a_o)      how much of tanh(c^(t)) is shown as h^(t)
/// cell     g = tanh(a_g)   the candidate cell value
/// ```
public enum LSTMGate: String, Sendable, CaseIterable {
  case input, forget, output, cell

  /// The one-letter name of the gate in the slides and in CS231n: i, f, o, g.
  public var letter: Character {
    switch self {
    case .input: return "i"
    case .forget: return "f"
    case .output: return "o"
    case .cell: return "g"
    }
  }
}

/// The order of the four blocks of H rows of W_x, W_h, b (and of the columns of a and ∂J/∂a).
///
/// ```
/// ifog   [i; f; o; g]    CS231n's `lstm_step_forward` (default)
/// ifgo   [i; f; g; o]    PyTorch's nn.LSTM (weight_ih_l0 = [W_ii; W_if; W_ig; W_io])
/// ```
public enum LSTMGateOrder: String, Sendable, CaseIterable {
  case ifog, ifgo

  /// The gates in this order.
  public var gates: [LSTMGate] {
    switch self {
    case .ifog: return [.input, .forget, .output, .cell]
    case .ifgo: return [.input, .forget, .cell, .output]
    }
  }

  /// The position 0…3 of `gate`'s block: its rows are `block(gate)·H ..< (block(gate)+1)·H`.
  public func block(_ gate: LSTMGate) -> Int {
    switch (self, gate) {
    case (_, .input): return 0
    case (_, .forget): return 1
    case (.ifog, .output), (.ifgo, .cell): return 2
    case (.ifog, .cell), (.ifgo, .output): return 3
    }
  }
}

/// The options of the LSTM language model: gate order, reduction of the step losses, truncation
/// and clipping (the last three as for the RNN-LM, `RNNOptions`).
///
/// Defaults: CS231n's gate order `ifog`, mean over t, full BPTT, no clipping.
public struct LSTMOptions: Hashable, Sendable, CustomStringConvertible {
  public var gateOrder: LSTMGateOrder
  public var reduction: LossReduction
  public var truncation: Truncation
  public var clipping: Clipping

  public init(
    gateOrder: LSTMGateOrder = .ifog, reduction: LossReduction = .mean,
    truncation: Truncation = .full, clipping: Clipping = .none
  ) {
    self.gateOrder = gateOrder
    self.reduction = reduction
    self.truncation = truncation
    self.clipping = clipping
  }

  public var description: String {
    "gates \(gateOrder.rawValue), \(reduction.rawValue), \(truncation), clipping \(clipping.summary)"
  }
}

extension Clipping {
  /// `none`, `value(c)` or `globalNorm(c)`.
  var summary: String {
    switch self {
    case .none: return "none"
    case .value(let c): return "value(\(c))"
    case .globalNorm(let c): return "globalNorm(\(c))"
    }
  }
}

/// Checks tokens, truncation length and clipping threshold, with the RNN-LM's errors.
func validateGatedSequence(_ tokens: [Int], vocabularySize V: Int, truncation: Truncation, clipping: Clipping) throws(RNNInputError) {
  try validateSequence(tokens, vocabularySize: V, options: RNNOptions(truncation: truncation, clipping: clipping))
}
