import Jacobians

/// The slips both gated models' derivations declare the same way (`GatedDerivation`), gathered
/// from the applied slips into what `GatedSlipEvaluation` switches on, around the cell's own
/// (`own`, `GatedCellSlips`: the LSTM's `LSTMSlips`, the GRU's `GRUSlips`). Two slips that set
/// the same switch cannot be made together (`init` returns nil).
///
/// ```
/// step              kind                                   switch
/// h0                zero                                   h0Zero            h^(0) = 0
/// theta             zero                                   b2Zero            ŷ^(t) without b_2
/// target            step(−1)                               targetShift       y^(t) = onehot(x^(t))
/// loss              lastTerm, firstTerm                    lossTerms         only J^(T), or only J^(1)
/// delta1            signFlipped, diagonalOnly              delta1
/// output-error      recounted                              recounted         δ1^(t) enters T − t + 1 times
/// gates-local       derivative(tanh)                       gateLocal (every σ gate)   1 − y² for σ′
/// <σ gate>-local    activationForDerivative, dropped, derivative(tanh)   gateLocal[gate]
/// <tanh gate>-local derivative(σ), activationForDerivative, dropped      candidateLocal
/// bptt              notPropagated, truncated(window | chunks) k          extent
/// dh0               step(+1)                               dh0Next           ∂J/∂h^(1)
/// recurrent-weight  transposed                             blocksTransposed  each H × H block transposed
/// output-weight     step(−1)                               outputStatePrevious   h^(t−1) in ∂J/∂U
/// <a sum>           assigned(order)                        assigned[step]    only the t = 1 or t = T term
/// embedding         scatterAssigned(order)                 scatter
/// ```
struct GatedSlips<Own: GatedCellSlips>: Hashable {
  typealias LossTerms = LossTermSlip
  enum Delta1: Hashable { case none, sign, diagonal }
  typealias Local = GatedLocal
  enum Extent: Hashable { case base, window(Int), chunks(Int) }

  var h0Zero = false, b2Zero = false
  var targetShift = false
  var lossTerms = LossTerms.all
  var delta1 = Delta1.none
  var recounted = false
  /// By σ gate, in the order of `Own.sigmoidGates`.
  var gateLocal = [Local](repeating: .none, count: Own.sigmoidGates.count)
  var candidateLocal = Local.none
  var extent = Extent.base
  var dh0Next = false
  var blocksTransposed = false
  var outputStatePrevious = false
  /// The sums assigned (=) in a loop, by step id (one of `Own.sums` or the output layer's).
  var assigned: [String: LoopOrder] = [:]
  var scatter: LoopOrder?
  var own = Own()

  init() {}

  /// The switches of `slips`; nil when one is unknown or two set the same switch.
  init?(_ slips: [AppliedSlip]) {
    var set = Set<String>()
    for slip in slips {
      guard let keys = apply(slip) ?? own.apply(slip) else { return nil }
      for key in keys { guard set.insert(key).inserted else { return nil } }
    }
  }

  /// The steps whose sum over t a slip may assign: the cell's and the output layer's.
  static var sums: [String] { Own.sums + ["output-weight", "output-bias"] }

  private mutating func apply(_ s: AppliedSlip) -> [String]? {
    let gates = Own.sigmoidGates
    switch (s.step, s.kind) {
    case ("h0", .zero): h0Zero = true; return ["h0"]
    case ("theta", .zero): b2Zero = true; return ["b2"]
    case ("target", .step(-1)): targetShift = true; return ["target"]
    case ("loss", .lastTerm): lossTerms = .last; return ["loss"]
    case ("loss", .firstTerm): lossTerms = .first; return ["loss"]
    case ("delta1", .signFlipped): delta1 = .sign; return ["delta1"]
    case ("delta1", .diagonalOnly): delta1 = .diagonal; return ["delta1"]
    case ("output-error", .recounted): recounted = true; return ["recounted"]
    case ("gates-local", .derivative(.tanh)): gateLocal = gateLocal.map { _ in .other }; return gates.map { "\($0)-local" }
    case (let step, let kind) where step.hasSuffix("-local") && gates.contains(String(step.dropLast(6))):
      let g = gates.firstIndex(of: String(step.dropLast(6)))!
      switch kind {
      case .activationForDerivative: gateLocal[g] = .activation
      case .dropped: gateLocal[g] = .dropped
      case .derivative(.tanh): gateLocal[g] = .other
      default: return nil
      }
      return [step]
    case ("\(Own.candidate)-local", .derivative(.sigmoid)): candidateLocal = .other; return [s.step]
    case ("\(Own.candidate)-local", .activationForDerivative): candidateLocal = .activation; return [s.step]
    case ("\(Own.candidate)-local", .dropped): candidateLocal = .dropped; return [s.step]
    case ("bptt", .notPropagated): extent = .window(1); return ["extent"]
    case ("bptt", .truncated(.window)):
      guard let k = s.parameter, k >= 1 else { return nil }
      extent = .window(k)
      return ["extent"]
    case ("bptt", .truncated(.chunks)):
      guard let k = s.parameter, k >= 1 else { return nil }
      extent = k == 1 ? .window(1) : .chunks(k)
      return ["extent"]
    case ("dh0", .step(1)): dh0Next = true; return ["dh0"]
    case ("recurrent-weight", .transposed): blocksTransposed = true; return ["recurrent-transposed"]
    case ("output-weight", .step(-1)): outputStatePrevious = true; return ["output-state"]
    case (let step, .assigned(let o)) where Self.sums.contains(step): assigned[step] = o; return ["sum-\(step)"]
    case ("embedding", .scatterAssigned(let o)): scatter = o; return ["scatter"]
    default: return nil
    }
  }

  /// The steps t whose terms the sum of step `sum` keeps: every one, or only t = 1 (`=` in the
  /// backward loop) or t = T (in a forward loop).
  func steps(_ sum: String, _ T: Int) -> [Int] {
    switch assigned[sum] {
    case .backward?: return [1]
    case .forward?: return [T]
    case nil: return Array(1...T)
    }
  }

  /// The switches the cell's forward recurrence depends on (b_2 only reaches the logits).
  struct StatesKey: Hashable { var h0Zero: Bool; var own: Own.ForwardKey }
  /// The switches the forward pass depends on.
  struct ForwardKey: Hashable { var states: StatesKey; var b2Zero: Bool }

  var forwardKey: ForwardKey { ForwardKey(states: StatesKey(h0Zero: h0Zero, own: own.forwardKey), b2Zero: b2Zero) }
}

/// A gated cell's own slips, made by `apply` where `GatedSlips` does not know the step.
protocol GatedCellSlips: Hashable {
  associatedtype ForwardKey: Hashable
  init()
  /// The σ gates' letters (i, f, o | r, z), as their `<gate>-local` steps name them.
  static var sigmoidGates: [String] { get }
  /// The tanh gate's letter (g | n).
  static var candidate: String { get }
  /// The steps of the cell's sums over t (recurrent-weight, input-weight, the biases).
  static var sums: [String] { get }
  /// Sets the switch of one of the cell's own slips and returns its keys; nil when unknown.
  mutating func apply(_ slip: AppliedSlip) -> [String]?
  /// The cell's switches the forward pass depends on.
  var forwardKey: ForwardKey { get }
  /// The switches the backward recursion reads: these slips without those of the sums after it.
  var recursion: Self { get }
}

/// A local derivative as the student computes it from the gate's value y: right, y itself, left
/// out, or the other nonlinearity's (1 − y² for a σ gate, y(1 − y) for the tanh gate).
enum GatedLocal: Hashable {
  case none, activation, dropped, other

  /// σ′ of a σ gate from its value y: y ⊙ (1 − y), or the slip's.
  func sigmoidPrime(_ y: Matrix) -> Matrix {
    switch self {
    case .none: return y.map { $0 * (1 - $0) }
    case .activation: return y
    case .dropped: return Matrix(rows: y.rows, cols: y.cols, repeating: 1)
    case .other: return y.map { 1 - $0 * $0 }
    }
  }

  /// tanh′ of the tanh gate from its value y: 1 − y², or the slip's.
  func tanhPrime(_ y: Matrix) -> Matrix {
    switch self {
    case .none: return y.map { 1 - $0 * $0 }
    case .activation: return y
    case .dropped: return Matrix(rows: y.rows, cols: y.cols, repeating: 1)
    case .other: return y.map { $0 * (1 - $0) }
    }
  }
}
