import Foundation
import BPTTReference
import Jacobians

/// The GRU's own slips of `gru-lm`'s derivation (`GRUDerivation`; the shared ones are
/// `GatedSlips`'), gathered into what `GRUCell` switches on. r̂, ẑ, n̂ are the pre-activations,
/// h′ = h^(t−1).
///
/// ```
/// step            kind                          switch
/// update-gate     custom(update-gate) 1 | 2     updateSwapped | backwardUpdateSwapped
/// reset           custom(reset-misplaced)       resetMisplaced          the other placement of r
/// gates           zero                          biasesZero              b_x and b_h left out
/// update-local    signFlipped                   updateSign              ∂h/∂z with the sign of the other convention
/// direct-carry    notPropagated, dropped        direct                  no ∂J/∂h ⊙ z; ∂J/∂h without ⊙ z
/// candidate-carry dropped                       resetLeftOutOfCarry     the carry through n without ⊙ r
/// gate-carry      notPropagated, transposed     gateCarry               only the direct path; blocks untransposed
/// hidden-bias     dropped                       resetBiasWithoutGate    (after) ∂J/∂b_hn = Σ_t ∂J/∂n̂
/// ```
struct GRUSlips: GatedCellSlips {
  enum Carry: Hashable { case none, notPropagated, wrong }

  var updateSwapped = false, backwardUpdateSwapped = false
  var resetMisplaced = false
  var biasesZero = false
  var updateSign = false
  /// `wrong`: ∂J/∂h^(t) carried without ⊙ z.
  var direct = Carry.none
  var resetLeftOutOfCarry = false
  /// `wrong`: each H × H block of W_h untransposed.
  var gateCarry = Carry.none
  var resetBiasWithoutGate = false

  static let sigmoidGates = ["r", "z"]
  static let candidate = "n"
  static let sums = ["recurrent-weight", "input-weight", "input-bias", "hidden-bias"]

  mutating func apply(_ s: AppliedSlip) -> [String]? {
    switch (s.step, s.kind) {
    case ("update-gate", .custom("update-gate")):
      switch s.parameter {
      case 1?: updateSwapped = true
      case 2?: backwardUpdateSwapped = true
      default: return nil
      }
      return ["update", "update-sign"]
    case ("reset", .custom("reset-misplaced")): resetMisplaced = true; return ["reset"]
    case ("gates", .zero): biasesZero = true; return ["biases"]
    case ("update-local", .signFlipped): updateSign = true; return ["update-sign"]
    case ("direct-carry", .notPropagated): direct = .notPropagated; return ["direct"]
    case ("direct-carry", .dropped): direct = .wrong; return ["direct"]
    case ("candidate-carry", .dropped): resetLeftOutOfCarry = true; return ["candidate-carry"]
    case ("gate-carry", .notPropagated): gateCarry = .notPropagated; return ["gate-carry"]
    case ("gate-carry", .transposed): gateCarry = .wrong; return ["gate-carry"]
    case ("hidden-bias", .dropped): resetBiasWithoutGate = true; return ["hidden-bias-gate"]
    default: return nil
    }
  }

  struct ForwardKey: Hashable { var updateSwapped: Bool, resetMisplaced: Bool, biasesZero: Bool }

  var forwardKey: ForwardKey { ForwardKey(updateSwapped: updateSwapped, resetMisplaced: resetMisplaced, biasesZero: biasesZero) }

  var recursion: GRUSlips {
    var s = self
    s.resetBiasWithoutGate = false
    return s
  }
}

/// `gru-lm`'s derivation at one student's inputs, with slips.
typealias GRUSlipEvaluation = GatedSlipEvaluation<GRUCell>

/// The GRU cell of `GatedSlipEvaluation`: the forward pass of `MutantGRU` in the student's
/// reset placement and update convention, and one step back of its derivation, the carry
/// ∂J/∂h^(t−1) through the direct path, the gates and the candidate; rows dh, dax, dah.
struct GRUCell: GatedCell {
  typealias Slips = GRUSlips
  typealias States = MutantGRU.Forward

  let p: GRUParameters
  let tokens: [Int]
  let options: GRUOptions

  var rowWidths: [Int] { [H, 3 * H, 3 * H] }
  var inputRow: Int { 1 }
  var carries: Int { 1 }

  func update(_ s: Switches) -> GRUUpdate {
    s.own.updateSwapped ? (options.update == .keep ? .new : .keep) : options.update
  }

  func reset(_ s: Switches) -> GRUReset {
    s.own.resetMisplaced ? (options.reset == .after ? .before : .after) : options.reset
  }

  func states(_ s: Switches, h0: Matrix) -> (h: [Matrix], states: MutantGRU.Forward) {
    var q = p
    q.h0 = h0
    if s.own.biasesZero { q.b_x = Matrix(shape: p.b_x.shape); q.b_h = Matrix(shape: p.b_h.shape) }
    let f = MutantGRU.forward(q, tokens: tokens, reset: reset(s), update: update(s), outputs: false)
    return (f.h, f)
  }

  func step(_ t: Int, _ carry: [Matrix], _ fw: MutantGRU.Forward, _ h: [Matrix], _ s: Switches) -> (rows: [Matrix], carry: [Matrix]) {
    let own = s.own, H = self.H, W_h = p.W_h
    let after = reset(s) == .after
    var keep = update(s) == .keep
    if own.backwardUpdateSwapped { keep.toggle() }
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    let r = fw.r[t - 1], z = fw.z[t - 1], n = fw.n[t - 1], hPrev = fw.h[t - 1]
    let ahN = MutantGRU.block(fw.ah[t - 1], 2, H)
    let dh = carry[0]
    let dn = keep ? dh ⊙ (ones - z) : dh ⊙ z
    var dz = keep ? dh ⊙ (hPrev - n) : dh ⊙ (n - hPrev)
    if own.updateSign { dz = -dz }
    let dnHat = dn ⊙ s.candidateLocal.tanhPrime(n)
    let dzHat = dz ⊙ s.gateLocal[1].sigmoidPrime(z)
    let n3 = (2 * H)..<(3 * H)
    /// W_hn x, or W_hnᵀ x (untransposed when the gate carry is).
    func throughN(_ x: Matrix) -> Matrix {
      own.gateCarry == .wrong ? GatedProducts.times(W_h, x, rows: n3) : GatedProducts.transposedTimes(W_h, x, rows: n3)
    }
    let drHat: Matrix, dahN: Matrix, throughCandidate: Matrix
    if after {
      dahN = dnHat ⊙ r
      drHat = dnHat ⊙ ahN ⊙ s.gateLocal[0].sigmoidPrime(r)
      throughCandidate = throughN(own.resetLeftOutOfCarry ? dnHat : dahN)
    } else {
      let q = throughN(dnHat)                                              // ∂J/∂(r ⊙ h′)
      dahN = dnHat
      drHat = GatedProducts.transposedTimes(W_h, dnHat, rows: n3) ⊙ hPrev ⊙ s.gateLocal[0].sigmoidPrime(r)
      throughCandidate = own.resetLeftOutOfCarry ? q : q ⊙ r
    }
    let dax = MutantGRU.stack([drHat, dzHat, dnHat]), dah = MutantGRU.stack([drHat, dzHat, dahN])
    var back = Matrix(rows: H, cols: 1)
    let r3 = 0..<H, z3 = H..<(2 * H)
    switch own.gateCarry {
    case .none: back = GatedProducts.transposedTimes(W_h, drHat, rows: r3) + GatedProducts.transposedTimes(W_h, dzHat, rows: z3) + throughCandidate
    case .notPropagated: break
    case .wrong: back = GatedProducts.times(W_h, drHat, rows: r3) + GatedProducts.times(W_h, dzHat, rows: z3) + throughCandidate
    }
    switch own.direct {
    case .none: back += dh ⊙ (keep ? z : ones - z)
    case .notPropagated: break
    case .wrong: back += dh
    }
    return ([dh, dax, dah], [back])
  }

  func item(_ name: String, _ r: GatedRecursion, _ fw: GatedForward<MutantGRU.Forward>, _ s: Switches) -> GatedValue? {
    let T = tokens.count - 1, H = self.H
    let after = reset(s) == .after
    switch name {
    case "db_x": return .rowSum(r.rows[1], steps: s.steps("input-bias", T))
    case "db_h": return .rowSum(after && s.own.resetBiasWithoutGate ? r.rows[1] : r.rows[2], steps: s.steps("hidden-bias", T))
    case "dax": return GatedValue(r.rows[1], shape: [T, 3 * H])
    case "dah": return GatedValue(r.rows[2], shape: [T, 3 * H])
    case "dW_h":
      // Σ_t ∂J/∂ah^(t) h′ᵀ, the n block ⊗ (r ⊙ h′) where r multiplies h′ before W_hn.
      let steps = s.steps("recurrent-weight", T)
      if after { return .outerSum(3 * H, H, a: r.rows[2], b: fw.hRows, steps: steps) }
      let dah = r.rows[2]
      let gates = Matrix(rows: T, cols: 3 * H) { t, j in j < 2 * H ? dah[t, j] : 0 }
      let candidate = Matrix(rows: T, cols: 3 * H) { t, j in j < 2 * H ? 0 : dah[t, j] }
      let resetStates = Matrix(rows: T, cols: H) { t, j in fw.states.r[t].scalars[j] * fw.h[t].scalars[j] }
      return .outerSum(3 * H, H, a: gates, b: fw.hRows, steps: steps) + .outerSum(3 * H, H, a: candidate, b: resetStates, steps: steps)
    default: return nil
    }
  }

  /// The backward pass of the other convention changes only the items behind the gates.
  func answers(_ item: String, _ s: Switches) -> Bool { !s.own.backwardUpdateSwapped || GRULanguageModel.behindCell.contains(item) }

  func written(_ item: String, _ value: GatedValue, _ s: Switches) -> GatedValue { value }
}
