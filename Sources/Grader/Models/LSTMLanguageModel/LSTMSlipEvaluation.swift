import Foundation
import BPTTReference
import Jacobians

/// The LSTM's own slips of `lstm-lm`'s derivation (`LSTMDerivation`; the shared ones are
/// `GatedSlips`'), gathered into what `LSTMCell` switches on:
///
/// ```
/// step            kind                          switch
/// c0              zero                          c0Zero                  c^(0) = 0
/// gate-order      custom(gate-order) 1 | 2      readSwapped | writeSwapped   the blocks read | written ifog ↔ ifgo
/// gates           zero                          bZero                   a^(t) without b
/// cell            custom(forget-input-swapped)  forgetInputSwapped      c^(t) = i ⊙ c^(t−1) + f ⊙ g
/// cell-path       termDropped                   cellPathDropped         ∂J/∂c^(t) without ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t))
/// cell-local      dropped, activationForDerivative, derivative(σ)   cellLocal   tanh′(c^(t)) as computed
/// output-gate     dropped                       outputGateWithoutTanh   c^(t) for tanh(c^(t)) in ∂J/∂o
/// forget-factor   step(+1)                      currentCellInForget     c^(t) for c^(t−1) in ∂J/∂f
/// hidden-carry    notPropagated, transposed     hiddenCarry             no W_hᵀ ∂J/∂a^(t); each block W_h,g untransposed
/// cell-carry      notPropagated, dropped        cellCarry               no carry; ∂J/∂c^(t) without ⊙ f^(t)
/// recurrent-weight  step(+1)                    recurrentStateNext      h^(t) for h^(t−1) in ∂J/∂W_h
/// ```
struct LSTMSlips: GatedCellSlips {
  enum Carry: Hashable { case none, notPropagated, wrong }

  var c0Zero = false
  var readSwapped = false, writeSwapped = false
  var bZero = false
  var forgetInputSwapped = false
  var cellPathDropped = false
  /// tanh′(c^(t)); `other`: σ′(c^(t)).
  var cellLocal = GatedLocal.none
  var outputGateWithoutTanh = false
  var currentCellInForget = false
  /// `wrong`: each H × H block of W_h multiplies its gate's ∂J/∂a untransposed.
  var hiddenCarry = Carry.none
  /// `wrong`: the carry ∂J/∂c^(t) without ⊙ f^(t).
  var cellCarry = Carry.none
  var recurrentStateNext = false

  static let sigmoidGates = ["i", "f", "o"]
  static let candidate = "g"
  static let sums = ["recurrent-weight", "input-weight", "bias"]

  mutating func apply(_ s: AppliedSlip) -> [String]? {
    switch (s.step, s.kind) {
    case ("c0", .zero): c0Zero = true; return ["c0"]
    case ("gate-order", .custom("gate-order")):
      switch s.parameter {
      case 1?: readSwapped = true
      case 2?: writeSwapped = true
      default: return nil
      }
      return ["gate-order"]
    case ("gates", .zero): bZero = true; return ["b"]
    case ("cell", .custom("forget-input-swapped")): forgetInputSwapped = true; return ["cell"]
    case ("cell-path", .termDropped): cellPathDropped = true; return ["cell-path"]
    case ("cell-local", .dropped): cellLocal = .dropped; return ["cell-local"]
    case ("cell-local", .activationForDerivative): cellLocal = .activation; return ["cell-local"]
    case ("cell-local", .derivative(.sigmoid)): cellLocal = .other; return ["cell-local"]
    case ("output-gate", .dropped): outputGateWithoutTanh = true; return ["output-gate"]
    case ("forget-factor", .step(1)): currentCellInForget = true; return ["forget-factor"]
    case ("hidden-carry", .notPropagated): hiddenCarry = .notPropagated; return ["hidden-carry"]
    case ("hidden-carry", .transposed): hiddenCarry = .wrong; return ["hidden-carry"]
    case ("cell-carry", .notPropagated): cellCarry = .notPropagated; return ["cell-carry"]
    case ("cell-carry", .dropped): cellCarry = .wrong; return ["cell-carry"]
    case ("recurrent-weight", .step(1)): recurrentStateNext = true; return ["recurrent-state"]
    default: return nil
    }
  }

  struct ForwardKey: Hashable { var c0Zero: Bool, readSwapped: Bool, bZero: Bool, forgetInputSwapped: Bool }

  var forwardKey: ForwardKey { ForwardKey(c0Zero: c0Zero, readSwapped: readSwapped, bZero: bZero, forgetInputSwapped: forgetInputSwapped) }

  var recursion: LSTMSlips {
    var s = self
    s.writeSwapped = false
    s.recurrentStateNext = false
    return s
  }
}

/// `lstm-lm`'s derivation at one student's inputs, with slips.
typealias LSTMSlipEvaluation = GatedSlipEvaluation<LSTMCell>

/// The LSTM cell of `GatedSlipEvaluation`: the forward pass of `MutantLSTM` in the blocks the
/// student reads, and one step back of its derivation with the two carries
/// (∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t), ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)); rows dh, dc, da.
struct LSTMCell: GatedCell {
  typealias Slips = LSTMSlips
  typealias States = MutantLSTM.Forward

  let p: LSTMParameters
  let tokens: [Int]
  let options: LSTMOptions

  var rowWidths: [Int] { [H, H, 4 * H] }
  var inputRow: Int { 2 }
  var carries: Int { 2 }

  func blocks(_ s: Switches) -> MutantLSTM.Blocks {
    var k = MutantLSTM.Blocks(s.own.readSwapped ? MutantLSTM.otherOrder(options.gateOrder) : options.gateOrder, hidden: H)
    // c = i ⊙ c^(t−1) + f ⊙ g is the correct cell with the roles of the blocks i and f exchanged.
    if s.own.forgetInputSwapped { swap(&k.i, &k.f) }
    return k
  }

  func states(_ s: Switches, h0: Matrix) -> (h: [Matrix], states: MutantLSTM.Forward) {
    var q = p
    q.h0 = h0
    if s.own.c0Zero { q.c0 = Matrix(shape: p.c0.shape) }
    if s.own.bZero { q.b = Matrix(shape: p.b.shape) }
    let f = MutantLSTM.forward(q, tokens: tokens, blocks: blocks(s), outputs: false)
    return (f.h, f)
  }

  func step(_ t: Int, _ carry: [Matrix], _ fw: MutantLSTM.Forward, _ h: [Matrix], _ s: Switches) -> (rows: [Matrix], carry: [Matrix]) {
    let own = s.own, k = blocks(s), H = self.H
    let i = fw.i[t - 1], f = fw.f[t - 1], o = fw.o[t - 1], g = fw.g[t - 1]
    let c = fw.c[t], cPrevious = fw.c[t - 1], tc = Activation.tanh(c)
    let dh = carry[0]
    var dc = carry[1]
    if !own.cellPathDropped {
      // tanh′(c^(t)) as the student computes it; σ′ from the cell itself.
      let local = own.cellLocal == .other ? Activation.sigmoid(c).map { $0 * (1 - $0) } : own.cellLocal.tanhPrime(tc)
      dc += dh ⊙ o ⊙ local
    }
    let di = dc ⊙ g ⊙ s.gateLocal[0].sigmoidPrime(i)
    let df = dc ⊙ (own.currentCellInForget ? c : cPrevious) ⊙ s.gateLocal[1].sigmoidPrime(f)
    let dO = dh ⊙ (own.outputGateWithoutTanh ? c : tc) ⊙ s.gateLocal[2].sigmoidPrime(o)
    let dg = dc ⊙ i ⊙ s.candidateLocal.tanhPrime(g)
    var da = Matrix(rows: 4 * H, cols: 1)
    for j in 0..<H {
      da.scalars[k.i + j] = di.scalars[j]; da.scalars[k.f + j] = df.scalars[j]
      da.scalars[k.o + j] = dO.scalars[j]; da.scalars[k.g + j] = dg.scalars[j]
    }
    var dhPrevious = Matrix(rows: H, cols: 1)
    switch own.hiddenCarry {
    case .none: dhPrevious = GatedProducts.transposedTimes(p.W_h, da)
    case .notPropagated: break
    case .wrong:
      // Σ_g W_h,g ∂J/∂a_g with each H × H block untransposed.
      for offset in [k.i, k.f, k.o, k.g] {
        dhPrevious += GatedProducts.times(p.W_h, MutantLSTM.block(da, offset, H), rows: offset..<(offset + H))
      }
    }
    let dcPrevious: Matrix
    switch own.cellCarry {
    case .none: dcPrevious = dc ⊙ f
    case .notPropagated: dcPrevious = Matrix(rows: H, cols: 1)
    case .wrong: dcPrevious = dc
    }
    return ([dh, dc, da], [dhPrevious, dcPrevious])
  }

  func item(_ name: String, _ r: GatedRecursion, _ fw: GatedForward<MutantLSTM.Forward>, _ s: Switches) -> GatedValue? {
    let T = tokens.count - 1, H = self.H
    switch name {
    case "dW_h": return .outerSum(4 * H, H, a: r.rows[2], b: fw.hRows, shift: s.own.recurrentStateNext ? 1 : 0, steps: s.steps("recurrent-weight", T))
    case "db": return .rowSum(r.rows[2], steps: s.steps("bias", T))
    case "dc0": return GatedValue(r.initial[1], shape: [H])
    case "dc": return GatedValue(r.rows[1], shape: [T, H])
    case "da": return GatedValue(r.rows[2], shape: [T, 4 * H])
    default: return nil
    }
  }

  /// The blocks written in the other order change only the items with gate blocks.
  func answers(_ item: String, _ s: Switches) -> Bool { !s.own.writeSwapped || LSTMLanguageModel.blockItems.contains(item) }

  /// With the blocks written in the other order, block `other.block(gate)` of a gate item holds
  /// the gate's block of the assignment's order (rows of dW_x, dW_h, db; columns of da).
  func written(_ item: String, _ value: GatedValue, _ s: Switches) -> GatedValue {
    guard s.own.writeSwapped, LSTMLanguageModel.blockItems.contains(item) else { return value }
    let order = options.gateOrder, other = MutantLSTM.otherOrder(order), H = self.H
    let source = (0..<4).map { b in order.block(LSTMGate.allCases.first { other.block($0) == b }!) }
    if item == "da" {
      let width = 4 * H
      return value.moving { k in
        let column = k % width
        return k - column + source[column / H] * H + column % H
      }
    }
    let cols = value.shape.count == 2 ? value.shape[1] : 1
    return value.moving { k in
      let row = k / cols
      return (source[row / H] * H + row % H) * cols + k % cols
    }
  }
}
