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

/// What `GRUCell`'s forward recurrence keeps, on raw rows: h^(0…T) ((T + 1) × H, row t) and,
/// in row t − 1 for step t (T × H each), r, z, n and ah_n (W_hn h′ + b_hn, or W_hn (r ⊙ h′) + b_hn
/// when r multiplies h′ before W_hn).
final class GRUStates: GatedStates {
  let h: GatedRows, r: GatedRows, z: GatedRows, n: GatedRows, ahN: GatedRows

  init(steps T: Int, hidden H: Int) {
    h = GatedRows(rows: T + 1, width: H)
    r = GatedRows(rows: T, width: H)
    z = GatedRows(rows: T, width: H)
    n = GatedRows(rows: T, width: H)
    ahN = GatedRows(rows: T, width: H)
  }
}

/// The GRU cell of `GatedSlipEvaluation`: the forward pass of `MutantGRU` in the student's
/// reset placement and update convention, and one step back of its derivation, the carry
/// ∂J/∂h^(t−1) through the direct path, the gates and the candidate; rows dh, dax, dah. Both on
/// raw rows: per step the products W_h h′ forward (W_x e^(t) comes for all steps at once) and
/// W_hᵀ ∂J/∂ah back, the gates in fused loops.
struct GRUCell: GatedCell {
  typealias Slips = GRUSlips
  typealias States = GRUStates

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

  /// r = σ(x_r + W_hr h′ + b_hr), z = σ(x_z + W_hz h′ + b_hz), n = tanh(x_n + r ⊙ (W_hn h′ + b_hn))
  /// (or tanh(x_n + W_hn (r ⊙ h′) + b_hn)), h = (1 − z) ⊙ n + z ⊙ h′ (or z ⊙ n + (1 − z) ⊙ h′),
  /// x = W_x e^(t) + b_x.
  func states(_ s: Switches, h0: Matrix, inputs: Matrix) -> GRUStates {
    let T = tokens.count - 1, H = self.H, G = 3 * H
    let after = reset(s) == .after, keep = update(s) == .keep
    let fw = GRUStates(steps: T, hidden: H)
    for j in 0..<H { fw.h[0][j] = h0.scalars[j] }
    let zeros = [Double](repeating: 0, count: G)
    let b_x = s.own.biasesZero ? zeros : p.b_x.scalars, b_h = s.own.biasesZero ? zeros : p.b_h.scalars
    let ah = UnsafeMutablePointer<Double>.allocate(capacity: G), pre = UnsafeMutablePointer<Double>.allocate(capacity: 2 * H)
    defer { ah.deallocate(); pre.deallocate() }
    p.W_h.scalars.withUnsafeBufferPointer { w in
      inputs.scalars.withUnsafeBufferPointer { x in
        let w = w.baseAddress!
        for t in 1...T {
          let hPrevious = fw.h[t - 1], xt = x.baseAddress! + (t - 1) * G
          VectorKernels.matrixVector(w, hPrevious, ah, after ? G : 2 * H, H)
          for j in 0..<(2 * H) { pre[j] = (xt[j] + b_x[j]) + (ah[j] + b_h[j]) }
          let r = fw.r[t - 1], z = fw.z[t - 1], n = fw.n[t - 1], ahN = fw.ahN[t - 1], h = fw.h[t]
          VectorKernels.logistic(pre, r, H)
          VectorKernels.logistic(pre + H, z, H)
          if after {
            for j in 0..<H {
              ahN[j] = ah[2 * H + j] + b_h[2 * H + j]
              n[j] = tanh((xt[2 * H + j] + b_x[2 * H + j]) + r[j] * ahN[j])
            }
          } else {
            for j in 0..<H { pre[j] = r[j] * hPrevious[j] }
            VectorKernels.matrixVector(w + 2 * H * H, pre, ahN, H, H)
            for j in 0..<H {
              ahN[j] += b_h[2 * H + j]
              n[j] = tanh((xt[2 * H + j] + b_x[2 * H + j]) + ahN[j])
            }
          }
          for j in 0..<H { h[j] = keep ? (1 - z[j]) * n[j] + z[j] * hPrevious[j] : z[j] * n[j] + (1 - z[j]) * hPrevious[j] }
        }
      }
    }
    return fw
  }

  func step(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: GRUStates, _ s: Switches) {
    if let m = deferredCarryRows(s) {
      let v = stepBeforeCarry(t, carry, next, rows, fw, s)
      let H = self.H
      p.W_h.scalars.withUnsafeBufferPointer { VectorKernels.transposedMatrixVector($0.baseAddress!, v, next, m, H) }
      stepAfterCarry(t, carry, next, rows, fw, s)
      return
    }
    let own = s.own, H = self.H
    let after = reset(s) == .after
    let r = fw.r[t - 1], hPrevious = fw.h[t - 1]
    let dax = rows[1], dah = rows[2]
    let localR = s.gateLocal[0]
    // dax = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂], dah = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n].
    candidateAndUpdateRows(t, carry, rows, fw, s)
    let dnHat = dax + 2 * H
    p.W_h.scalars.withUnsafeBufferPointer { w in
      let w = w.baseAddress!, wN = w + 2 * H * H
      let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * H)
      defer { scratch.deallocate() }
      /// y += each H × H block of W_h (untransposed) times its part of `v` (blocks `count`).
      func untransposed(_ v: UnsafePointer<Double>, blocks: Range<Int>, into y: UnsafeMutablePointer<Double>) {
        for b in blocks {
          VectorKernels.matrixVector(w + b * H * H, v + b * H, scratch, H, H)
          for j in 0..<H { y[j] += scratch[j] }
        }
      }
      if after {
        resetRowsAfter(t, rows, fw, s)
        // The carry through the gates and the candidate: W_hᵀ [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n] (∂J/∂n̂ in
        // the n block when ⊙ r is left out of it).
        let v = own.resetLeftOutOfCarry ? dax : dah
        switch own.gateCarry {
        case .none: VectorKernels.transposedMatrixVector(w, v, next, 3 * H, H)
        case .notPropagated: next.update(repeating: 0, count: H)
        case .wrong:
          next.update(repeating: 0, count: H)
          untransposed(v, blocks: 0..<3, into: next)
        }
      } else {
        // q = W_hnᵀ ∂J/∂n̂ = ∂J/∂(r ⊙ h′) (W_hn ∂J/∂n̂ in the carry when the blocks are untransposed).
        let q = scratch + H
        VectorKernels.transposedMatrixVector(wN, dnHat, q, H, H)
        for j in 0..<H {
          dah[2 * H + j] = dnHat[j]
          dax[j] = q[j] * hPrevious[j] * localR.sigmoidPrime(r[j])
          dah[j] = dax[j]
        }
        switch own.gateCarry {
        case .none:
          VectorKernels.transposedMatrixVector(w, dah, next, 2 * H, H)
          for j in 0..<H { next[j] += own.resetLeftOutOfCarry ? q[j] : q[j] * r[j] }
        case .notPropagated: next.update(repeating: 0, count: H)
        case .wrong:
          next.update(repeating: 0, count: H)
          untransposed(dah, blocks: 0..<2, into: next)
          VectorKernels.matrixVector(wN, dnHat, q, H, H)
          for j in 0..<H { next[j] += own.resetLeftOutOfCarry ? q[j] : q[j] * r[j] }
        }
      }
    }
    stepAfterCarry(t, carry, next, rows, fw, s)
  }

  /// With the reset gate after W_hn and the gate carry as derived, the carry through W_h is
  /// one product W_hᵀ [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n] (3H rows of W_h), the direct path added after it.
  func deferredCarryRows(_ s: Switches) -> Int? { reset(s) == .after && s.own.gateCarry == .none ? 3 * H : nil }

  var carryWeight: Matrix { p.W_h }

  /// The step's rows dh, dax, dah (the reset gate after W_hn); returns the vector W_hᵀ multiplies.
  func stepBeforeCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: GRUStates, _ s: Switches) -> UnsafePointer<Double> {
    candidateAndUpdateRows(t, carry, rows, fw, s)
    resetRowsAfter(t, rows, fw, s)
    return UnsafePointer(s.own.resetLeftOutOfCarry ? rows[1] : rows[2])
  }

  /// The rows of every reset placement: dh, ∂J/∂n̂ (dax's n block), ∂J/∂ẑ (dax's and dah's z block).
  func candidateAndUpdateRows(_ t: Int, _ carry: UnsafePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: GRUStates, _ s: Switches) {
    let own = s.own, H = self.H
    var keep = update(s) == .keep
    if own.backwardUpdateSwapped { keep.toggle() }
    let z = fw.z[t - 1], n = fw.n[t - 1], hPrevious = fw.h[t - 1]
    let dh = carry, rowH = rows[0], dax = rows[1], dah = rows[2]
    let localZ = s.gateLocal[1], localN = s.candidateLocal
    for j in 0..<H {
      rowH[j] = dh[j]
      let dn = keep ? dh[j] * (1 - z[j]) : dh[j] * z[j]
      var dz = keep ? dh[j] * (hPrevious[j] - n[j]) : dh[j] * (n[j] - hPrevious[j])
      if own.updateSign { dz = -dz }
      dax[2 * H + j] = dn * localN.tanhPrime(n[j])
      dax[H + j] = dz * localZ.sigmoidPrime(z[j])
      dah[H + j] = dax[H + j]
    }
  }

  /// With the reset gate after W_hn: ∂J/∂ah_n = ∂J/∂n̂ ⊙ r (dah's n block) and ∂J/∂r̂ (dax's and
  /// dah's r block).
  func resetRowsAfter(_ t: Int, _ rows: [UnsafeMutablePointer<Double>], _ fw: GRUStates, _ s: Switches) {
    let H = self.H
    let r = fw.r[t - 1], ahN = fw.ahN[t - 1]
    let dax = rows[1], dah = rows[2], dnHat = dax + 2 * H
    let localR = s.gateLocal[0]
    for j in 0..<H {
      dah[2 * H + j] = dnHat[j] * r[j]
      dax[j] = dnHat[j] * ahN[j] * localR.sigmoidPrime(r[j])
      dah[j] = dax[j]
    }
  }

  /// The direct path z ⊙ ∂J/∂h^(t) (or (1 − z) ⊙), added to the product.
  func stepAfterCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ fw: GRUStates, _ s: Switches) {
    var keep = update(s) == .keep
    if s.own.backwardUpdateSwapped { keep.toggle() }
    let z = fw.z[t - 1], dh = carry
    switch s.own.direct {
    case .none: for j in 0..<H { next[j] += dh[j] * (keep ? z[j] : 1 - z[j]) }
    case .notPropagated: break
    case .wrong: for j in 0..<H { next[j] += dh[j] }
    }
  }

  func item(_ name: String, _ r: GatedRecursion, _ fw: OutputLayerForward<GRUStates>, _ s: Switches) -> GatedValue? {
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
      let resetStates = Matrix(rows: T, cols: H) { t, j in fw.states.r[t][j] * fw.states.h[t][j] }
      return .outerSum(3 * H, H, a: gates, b: fw.hRows, steps: steps) + .outerSum(3 * H, H, a: candidate, b: resetStates, steps: steps)
    default: return nil
    }
  }

  /// The backward pass of the other convention changes only the items behind the gates.
  func answers(_ item: String, _ s: Switches) -> Bool { !s.own.backwardUpdateSwapped || GRULanguageModel.behindCell.contains(item) }

  func written(_ item: String, _ value: GatedValue, _ s: Switches) -> GatedValue { value }
}
