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

/// What `LSTMCell`'s forward recurrence keeps, on raw rows: h^(0…T), c^(0…T) ((T + 1) × H,
/// row t), the gates [i; f; o; g] of step t in row t − 1 (T × 4H, in this order whatever the
/// blocks the student reads) and tanh(c^(t)) in row t − 1 (T × H).
final class LSTMStates: GatedStates {
  let h: GatedRows, c: GatedRows, gates: GatedRows, tanhC: GatedRows

  init(steps T: Int, hidden H: Int) {
    h = GatedRows(rows: T + 1, width: H)
    c = GatedRows(rows: T + 1, width: H)
    gates = GatedRows(rows: T, width: 4 * H)
    tanhC = GatedRows(rows: T, width: H)
  }
}

/// The LSTM cell of `GatedSlipEvaluation`: the forward pass of `MutantLSTM` in the blocks the
/// student reads, and one step back of its derivation with the two carries
/// (∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t), ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)); rows dh, dc, da. Both on raw
/// rows: per step one product W_h h^(t−1) forward (W_x e^(t) comes for all steps at once) and
/// one W_hᵀ ∂J/∂a^(t) back, the gates in one fused loop.
struct LSTMCell: GatedCell {
  typealias Slips = LSTMSlips
  typealias States = LSTMStates

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

  /// a^(t) = W_x e^(t) + W_h h^(t−1) + b, i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g),
  /// c^(t) = f ⊙ c^(t−1) + i ⊙ g, h^(t) = o ⊙ tanh(c^(t)).
  func states(_ s: Switches, h0: Matrix, inputs: Matrix) -> LSTMStates {
    let T = tokens.count - 1, H = self.H, G = 4 * H, k = blocks(s)
    let fw = LSTMStates(steps: T, hidden: H)
    for j in 0..<H { fw.h[0][j] = h0.scalars[j]; fw.c[0][j] = s.own.c0Zero ? 0 : p.c0.scalars[j] }
    let a = UnsafeMutablePointer<Double>.allocate(capacity: G)
    defer { a.deallocate() }
    let bias = s.own.bZero ? [Double](repeating: 0, count: G) : p.b.scalars
    p.W_h.scalars.withUnsafeBufferPointer { w in
      inputs.scalars.withUnsafeBufferPointer { x in
        for t in 1...T {
          VectorKernels.matrixVector(w.baseAddress!, fw.h[t - 1], a, G, H)
          for j in 0..<G { a[j] = (x[(t - 1) * G + j] + a[j]) + bias[j] }
          let gates = fw.gates[t - 1]
          VectorKernels.logistic(a + k.i, gates, H)
          VectorKernels.logistic(a + k.f, gates + H, H)
          VectorKernels.logistic(a + k.o, gates + 2 * H, H)
          let cPrevious = fw.c[t - 1], c = fw.c[t], tc = fw.tanhC[t - 1], h = fw.h[t]
          for j in 0..<H {
            let g = tanh(a[k.g + j])
            gates[3 * H + j] = g
            let cj = gates[H + j] * cPrevious[j] + gates[j] * g
            c[j] = cj
            tc[j] = tanh(cj)
            h[j] = gates[2 * H + j] * tc[j]
          }
        }
      }
    }
    return fw
  }

  func step(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: LSTMStates, _ s: Switches) {
    let da = stepBeforeCarry(t, carry, next, rows, fw, s), H = self.H
    p.W_h.scalars.withUnsafeBufferPointer { w in
      let w = w.baseAddress!
      switch s.own.hiddenCarry {
      case .none: VectorKernels.transposedMatrixVector(w, da, next, 4 * H, H)
      case .notPropagated: next.update(repeating: 0, count: H)
      case .wrong:
        // Σ_g W_h,g ∂J/∂a_g with each H × H block untransposed.
        next.update(repeating: 0, count: H)
        let k = blocks(s)
        let block = UnsafeMutablePointer<Double>.allocate(capacity: H)
        defer { block.deallocate() }
        for offset in [k.i, k.f, k.o, k.g] {
          VectorKernels.matrixVector(w + offset * H, da + offset, block, H, H)
          for j in 0..<H { next[j] += block[j] }
        }
      }
    }
  }

  /// W_hᵀ ∂J/∂a^(t) (4H rows of W_h) is the whole carry into h^(t−1) unless the hidden carry slips.
  func deferredCarryRows(_ s: Switches) -> Int? { s.own.hiddenCarry == .none ? 4 * H : nil }

  var carryWeight: Matrix { p.W_h }

  /// Nothing follows the product.
  func stepAfterCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: LSTMStates, _ s: Switches) {}

  /// The step's rows dh, dc, da and the cell carry ∂J/∂c^(t−1); returns ∂J/∂a^(t).
  func stepBeforeCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: LSTMStates, _ s: Switches) -> UnsafePointer<Double> {
    let own = s.own, k = blocks(s), H = self.H
    let gates = fw.gates[t - 1]
    let i = gates, f = gates + H, o = gates + 2 * H, g = gates + 3 * H
    let c = fw.c[t], cPrevious = fw.c[t - 1], tc = fw.tanhC[t - 1]
    let dh = carry, dcIn = carry + H
    let rowH = rows[0], rowC = rows[1], da = rows[2]
    let localI = s.gateLocal[0], localF = s.gateLocal[1], localO = s.gateLocal[2], localG = s.candidateLocal
    let sigmoid = Activation.sigmoid
    for j in 0..<H {
      var dc = dcIn[j]
      if !own.cellPathDropped {
        // tanh′(c^(t)) as the student computes it; σ′ from the cell itself.
        let local: Double
        if own.cellLocal == .other { let y = sigmoid(c[j]); local = y * (1 - y) } else { local = own.cellLocal.tanhPrime(tc[j]) }
        dc += dh[j] * o[j] * local
      }
      da[k.i + j] = dc * g[j] * localI.sigmoidPrime(i[j])
      da[k.f + j] = dc * (own.currentCellInForget ? c[j] : cPrevious[j]) * localF.sigmoidPrime(f[j])
      da[k.o + j] = dh[j] * (own.outputGateWithoutTanh ? c[j] : tc[j]) * localO.sigmoidPrime(o[j])
      da[k.g + j] = dc * i[j] * localG.tanhPrime(g[j])
      rowH[j] = dh[j]
      rowC[j] = dc
      switch own.cellCarry {
      case .none: next[H + j] = dc * f[j]
      case .notPropagated: next[H + j] = 0
      case .wrong: next[H + j] = dc
      }
    }
    return UnsafePointer(da)
  }

  func item(_ name: String, _ r: GatedRecursion, _ fw: OutputLayerForward<LSTMStates>, _ s: Switches) -> GatedValue? {
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
