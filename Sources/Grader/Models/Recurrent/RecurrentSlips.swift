import BPTTReference
import Jacobians

/// The slips of a recurrent model's derivation (`RecurrentDerivation`), gathered from the
/// applied slips into what `RecurrentSlipEvaluation` switches on. Two slips that set the same
/// switch cannot be made together (`init` returns nil).
///
/// ```
/// step               kind                       switch
/// h0                 zero                       h0Zero               h^(0) = 0
/// z                  transposed, zero           forwardTransposed    z = W_hᵀ h + …;  b1Zero
/// h                  activation(g)              activation           h = g(z) (its g′ follows)
///                    forwardOnly(g)             activation, local    h = g(z), f′ still written in h
/// theta              zero                       b2Zero
/// biases             zero                       b1Zero, b2Zero       both biases left out
/// target             step(−1)                   targetShift          y^(t) = onehot(x^(t))
/// loss               lastTerm, firstTerm        lossTerms            only J^(T), or only J^(1)
/// delta1             signFlipped, diagonalOnly  delta1
/// output-error       recounted                  recounted            δ1^(t) enters T − t + 1 times
/// local              (see LocalSlip); factorOnOwnTerm   local; ownTermOnly
/// carry              transposed, dropped        carry
/// bptt               notPropagated, truncated(window | chunks) k   extent
/// dh0                step(+1), dropped          dh0                  ∂J/∂h^(1);  ∂J/∂z^(1)
/// recurrent-weight   step(+1); assigned(order)  recurrentStateNext; assigned
/// output-weight      step(−1); assigned(order)  outputStatePrevious; assigned
/// input-weight, hidden-bias, output-bias, input-columns   assigned(order)
/// embedding, input-columns   scatterAssigned(order)   scatter
/// delta2             extraTerm                  delta2Carry          rows ∂J/∂z^(t)
/// terms              extraTerm, cumulative      termsAllLosses, termsCumulative
/// ```
struct RecurrentSlips: Hashable {
  typealias LossTerms = LossTermSlip
  enum Delta1: Hashable { case none, sign, diagonal }
  /// ∂h^(t)/∂z^(t) as the student computes it, with g the forward activation.
  enum LocalSlip: Hashable {
    case none, activation, next, previous, derivative(Activation), formula(Activation), atOutput, dropped
    /// The model's own f′ written in h, whatever the forward activation (h(1 − h) for σ).
    case modelFormula
  }
  enum CarrySlip: Hashable { case none, transposed, dropped }
  enum Extent: Hashable { case base, notPropagated, window(Int), chunks(Int) }
  enum Dh0Slip: Hashable { case none, state1, dropped }
  /// The sums over steps that a loop accumulates.
  enum Sum: Hashable { case recurrentWeight, inputWeight, hiddenBias, inputColumns, outputWeight, outputBias }

  var h0Zero = false
  var forwardTransposed = false
  var activation: Activation?
  var b1Zero = false
  var b2Zero = false
  var targetShift = false
  var lossTerms = LossTerms.all
  var delta1 = Delta1.none
  var recounted = false
  var local = LocalSlip.none
  var carry = CarrySlip.none
  /// diag(f′(z^(t))) applied to the step's own output term only, the carry added after it.
  var ownTermOnly = false
  var extent = Extent.base
  var dh0 = Dh0Slip.none
  var recurrentStateNext = false
  var outputStatePrevious = false
  var assigned: [Sum: LoopOrder] = [:]
  var scatter: LoopOrder?
  var delta2Carry = false
  var termsAllLosses = false
  var termsCumulative = false

  init() {}

  /// The switches of `slips`; nil when one is unknown or two set the same switch.
  init?(_ slips: [AppliedSlip]) {
    var set = Set<String>()
    for slip in slips {
      guard let keys = apply(slip) else { return nil }
      for key in keys { guard set.insert(key).inserted else { return nil } }
    }
  }

  /// Sets the switch of `s`; returns the names of the switches set, nil for an unknown slip.
  private mutating func apply(_ s: AppliedSlip) -> [String]? {
    switch (s.step, s.kind) {
    case ("h0", .zero): h0Zero = true; return ["h0"]
    case ("z", .transposed): forwardTransposed = true; return ["forward"]
    case ("z", .zero): b1Zero = true; return ["b1"]
    case ("theta", .zero): b2Zero = true; return ["b2"]
    case ("biases", .zero): b1Zero = true; b2Zero = true; return ["b1", "b2"]
    case ("h", .activation(let g)): activation = g; return ["activation"]
    case ("h", .forwardOnly(let g)): activation = g; local = .modelFormula; return ["activation", "local"]
    case ("target", .step(-1)): targetShift = true; return ["target"]
    case ("loss", .lastTerm): lossTerms = .last; return ["loss"]
    case ("loss", .firstTerm): lossTerms = .first; return ["loss"]
    case ("delta1", .signFlipped): delta1 = .sign; return ["delta1"]
    case ("delta1", .diagonalOnly): delta1 = .diagonal; return ["delta1"]
    case ("output-error", .recounted): recounted = true; return ["recounted"]
    case ("local", .activationForDerivative): local = .activation; return ["local"]
    case ("local", .step(1)): local = .next; return ["local"]
    case ("local", .step(-1)): local = .previous; return ["local"]
    case ("local", .derivative(let g)): local = .derivative(g); return ["local"]
    case ("local", .derivativeFormula(let g)): local = .formula(g); return ["local"]
    case ("local", .derivativeAtOutput): local = .atOutput; return ["local"]
    case ("local", .dropped): local = .dropped; return ["local"]
    case ("carry", .transposed): carry = .transposed; return ["carry"]
    case ("carry", .dropped): carry = .dropped; return ["carry"]
    case ("local", .factorOnOwnTerm): ownTermOnly = true; return ["own-term"]
    case ("bptt", .notPropagated): extent = .notPropagated; return ["extent"]
    case ("bptt", .truncated(.window)):
      guard let k = s.parameter, k >= 1 else { return nil }
      extent = k == 1 ? .notPropagated : .window(k)
      return ["extent"]
    case ("bptt", .truncated(.chunks)):
      guard let k = s.parameter, k >= 1 else { return nil }
      extent = k == 1 ? .notPropagated : .chunks(k)
      return ["extent"]
    case ("dh0", .step(1)): dh0 = .state1; return ["dh0"]
    case ("dh0", .dropped): dh0 = .dropped; return ["dh0"]
    case ("recurrent-weight", .step(1)): recurrentStateNext = true; return ["recurrent-state"]
    case ("output-weight", .step(-1)): outputStatePrevious = true; return ["output-state"]
    case ("recurrent-weight", .assigned(let o)): assigned[.recurrentWeight] = o; return ["sum-recurrentWeight"]
    case ("input-weight", .assigned(let o)): assigned[.inputWeight] = o; return ["sum-inputWeight"]
    case ("hidden-bias", .assigned(let o)): assigned[.hiddenBias] = o; return ["sum-hiddenBias"]
    case ("input-columns", .assigned(let o)): assigned[.inputColumns] = o; return ["scatter"]
    case ("output-weight", .assigned(let o)): assigned[.outputWeight] = o; return ["sum-outputWeight"]
    case ("output-bias", .assigned(let o)): assigned[.outputBias] = o; return ["sum-outputBias"]
    case ("embedding", .scatterAssigned(let o)), ("input-columns", .scatterAssigned(let o)): scatter = o; return ["scatter"]
    case ("delta2", .extraTerm): delta2Carry = true; return ["delta2"]
    case ("terms", .extraTerm): termsAllLosses = true; return ["terms"]
    case ("terms", .cumulative): termsCumulative = true; return ["terms"]
    default: return nil
    }
  }
}
