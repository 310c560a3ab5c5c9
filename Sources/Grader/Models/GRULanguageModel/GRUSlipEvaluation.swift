import Foundation
import BPTTReference
import Jacobians

/// The slips of `gru-lm`'s derivation (`GRUDerivation`), gathered from the applied slips into
/// what `GRUSlipEvaluation` switches on. Two slips that set the same switch cannot be made
/// together (`init` returns nil). r̂, ẑ, n̂ are the pre-activations, h′ = h^(t−1).
///
/// ```
/// step            kind                          switch
/// h0              zero                          h0Zero                  h^(0) = 0
/// update-gate     custom(update-gate) 1 | 2     updateSwapped | backwardUpdateSwapped
/// reset           custom(reset-misplaced)       resetMisplaced          the other placement of r
/// gates           zero                          biasesZero              b_x and b_h left out
/// theta           zero                          b2Zero
/// target          step(−1)                      targetShift
/// loss            lastTerm, firstTerm           lossTerms
/// delta1          signFlipped, diagonalOnly     delta1
/// output-error    recounted                     recounted
/// update-local    signFlipped                   updateSign              ∂h/∂z with the sign of the other convention
/// n-local         derivative(σ), activationForDerivative, dropped      candidateLocal
/// gates-local     derivative(tanh)              gateLocal (r, z)
/// r-, z-local     activationForDerivative, dropped, derivative(tanh)   gateLocal[gate]
/// direct-carry    notPropagated, dropped        direct                  no ∂J/∂h ⊙ z; ∂J/∂h without ⊙ z
/// candidate-carry dropped                       resetLeftOutOfCarry     the carry through n without ⊙ r
/// gate-carry      notPropagated, transposed     gateCarry               only the direct path; blocks untransposed
/// bptt            notPropagated, truncated(window | chunks) k   extent
/// dh0             step(+1)                      dh0Next                 ∂J/∂h^(1)
/// recurrent-weight  transposed, assigned(order)   blocksTransposed, assigned
/// hidden-bias     dropped, assigned(order)      resetBiasWithoutGate, assigned
/// input-weight, input-bias, output-weight, output-bias   assigned(order); output-weight step(−1)
/// embedding       scatterAssigned(order)        scatter
/// ```
struct GRUSlips: Hashable {
  enum LossTerms: Hashable { case all, last, first }
  enum Delta1: Hashable { case none, sign, diagonal }
  enum Local: Hashable { case none, activation, dropped, other }
  enum Carry: Hashable { case none, notPropagated, wrong }
  enum Extent: Hashable { case base, window(Int), chunks(Int) }
  enum Sum: Hashable { case recurrentWeight, inputWeight, inputBias, hiddenBias, outputWeight, outputBias }

  var h0Zero = false
  var updateSwapped = false, backwardUpdateSwapped = false
  var resetMisplaced = false
  var biasesZero = false, b2Zero = false
  var targetShift = false
  var lossTerms = LossTerms.all
  var delta1 = Delta1.none
  var recounted = false
  var updateSign = false
  /// `other`: σ′ written in n, n ⊙ (1 − n).
  var candidateLocal = Local.none
  /// r, z; `other`: tanh′ written in y, 1 − y².
  var gateLocal: [Local] = [.none, .none]
  /// `wrong`: ∂J/∂h^(t) carried without ⊙ z.
  var direct = Carry.none
  var resetLeftOutOfCarry = false
  /// `wrong`: each H × H block of W_h untransposed.
  var gateCarry = Carry.none
  var extent = Extent.base
  var dh0Next = false
  var blocksTransposed = false
  var resetBiasWithoutGate = false
  var outputStatePrevious = false
  var assigned: [Sum: LoopOrder] = [:]
  var scatter: LoopOrder?

  init() {}

  init?(_ slips: [AppliedSlip]) {
    var set = Set<String>()
    for slip in slips {
      guard let keys = apply(slip) else { return nil }
      for key in keys { guard set.insert(key).inserted else { return nil } }
    }
  }

  static let gates = ["r", "z"]

  private mutating func apply(_ s: AppliedSlip) -> [String]? {
    switch (s.step, s.kind) {
    case ("h0", .zero): h0Zero = true; return ["h0"]
    case ("update-gate", .custom("update-gate")):
      switch s.parameter {
      case 1?: updateSwapped = true
      case 2?: backwardUpdateSwapped = true
      default: return nil
      }
      return ["update", "update-sign"]
    case ("reset", .custom("reset-misplaced")): resetMisplaced = true; return ["reset"]
    case ("gates", .zero): biasesZero = true; return ["biases"]
    case ("theta", .zero): b2Zero = true; return ["b2"]
    case ("target", .step(-1)): targetShift = true; return ["target"]
    case ("loss", .lastTerm): lossTerms = .last; return ["loss"]
    case ("loss", .firstTerm): lossTerms = .first; return ["loss"]
    case ("delta1", .signFlipped): delta1 = .sign; return ["delta1"]
    case ("delta1", .diagonalOnly): delta1 = .diagonal; return ["delta1"]
    case ("output-error", .recounted): recounted = true; return ["recounted"]
    case ("update-local", .signFlipped): updateSign = true; return ["update-sign"]
    case ("n-local", .derivative(.sigmoid)): candidateLocal = .other; return ["n-local"]
    case ("n-local", .activationForDerivative): candidateLocal = .activation; return ["n-local"]
    case ("n-local", .dropped): candidateLocal = .dropped; return ["n-local"]
    case ("gates-local", .derivative(.tanh)): gateLocal = [.other, .other]; return ["r-local", "z-local"]
    case (let step, let kind) where step.hasSuffix("-local") && Self.gates.contains(String(step.dropLast(6))):
      let g = Self.gates.firstIndex(of: String(step.dropLast(6)))!
      switch kind {
      case .activationForDerivative: gateLocal[g] = .activation
      case .dropped: gateLocal[g] = .dropped
      case .derivative(.tanh): gateLocal[g] = .other
      default: return nil
      }
      return [step]
    case ("direct-carry", .notPropagated): direct = .notPropagated; return ["direct"]
    case ("direct-carry", .dropped): direct = .wrong; return ["direct"]
    case ("candidate-carry", .dropped): resetLeftOutOfCarry = true; return ["candidate-carry"]
    case ("gate-carry", .notPropagated): gateCarry = .notPropagated; return ["gate-carry"]
    case ("gate-carry", .transposed): gateCarry = .wrong; return ["gate-carry"]
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
    case ("hidden-bias", .dropped): resetBiasWithoutGate = true; return ["hidden-bias-gate"]
    case ("output-weight", .step(-1)): outputStatePrevious = true; return ["output-state"]
    case ("recurrent-weight", .assigned(let o)): assigned[.recurrentWeight] = o; return ["sum-recurrentWeight"]
    case ("input-weight", .assigned(let o)): assigned[.inputWeight] = o; return ["sum-inputWeight"]
    case ("input-bias", .assigned(let o)): assigned[.inputBias] = o; return ["sum-inputBias"]
    case ("hidden-bias", .assigned(let o)): assigned[.hiddenBias] = o; return ["sum-hiddenBias"]
    case ("output-weight", .assigned(let o)): assigned[.outputWeight] = o; return ["sum-outputWeight"]
    case ("output-bias", .assigned(let o)): assigned[.outputBias] = o; return ["sum-outputBias"]
    case ("embedding", .scatterAssigned(let o)): scatter = o; return ["scatter"]
    default: return nil
    }
  }

  struct ForwardKey: Hashable {
    var h0Zero: Bool, updateSwapped: Bool, resetMisplaced: Bool, biasesZero: Bool, b2Zero: Bool
  }

  var forwardKey: ForwardKey {
    ForwardKey(h0Zero: h0Zero, updateSwapped: updateSwapped, resetMisplaced: resetMisplaced, biasesZero: biasesZero, b2Zero: b2Zero)
  }
}

/// `gru-lm`'s derivation at one student's inputs, with slips: the forward pass of `MutantGRU`
/// (cached per forward slip), then the backward recursion in one sweep t = T … 1 (the carry cut
/// where chunks or a window of one step cut it); a window of 1 < k < T steps sweeps once per
/// loss term. With no slip it is `GRU.gradients`.
final class GRUSlipEvaluation: SlipEvaluation {
  let p: GRUParameters
  let tokens: [Int]
  let options: GRUOptions
  let T: Int, H: Int
  private var forwards: [GRUSlips.ForwardKey: MutantGRU.Forward] = [:]
  private var results: [ResultKey: [String: Tensor]] = [:]
  /// Uᵀ δ1^(t) by step, per forward pass and output error.
  private var outputTerms: [OutputKey: [Matrix]] = [:]

  /// The output layer's items (loss, dU, db_2) are computed apart from the backward recursion's.
  struct ResultKey: Hashable { var slips: GRUSlips; var head: Bool }
  struct OutputKey: Hashable { var forward: GRUSlips.ForwardKey; var delta1: GRUSlips.Delta1; var targetShift: Bool }
  static let headItems: Set<String> = ["loss", "dU", "db_2"]

  init(_ p: GRUParameters, tokens: [Int], options: GRUOptions) {
    self.p = p
    self.tokens = tokens
    self.options = options
    T = tokens.count - 1
    H = p.hiddenSize
  }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let s = GRUSlips(slips) else { return nil }
    // The backward pass of the other convention changes only the items behind the gates.
    if s.backwardUpdateSwapped && !GRULanguageModel.behindCell.contains(item) { return nil }
    let key = ResultKey(slips: s, head: Self.headItems.contains(item))
    if let r = results[key] { return r[item] }
    let r = compute(s, head: key.head)
    if results.count > 256 { results.removeAll() }
    results[key] = r
    return r[item]
  }

  func isExpensive(_ slips: [AppliedSlip]) -> Bool {
    guard let s = GRUSlips(slips), results[ResultKey(slips: s, head: false)] == nil else { return false }
    if forwards[s.forwardKey] == nil && s.forwardKey != GRUSlips().forwardKey { return true }
    if case .window(let k) = truncation(s), k > 1, k < T { return true }
    return false
  }

  func truncation(_ s: GRUSlips) -> Truncation {
    switch s.extent {
    case .base: return options.truncation
    case .window(let k): return .window(k)
    case .chunks(let k): return .chunks(k)
    }
  }

  func update(_ s: GRUSlips) -> GRUUpdate {
    s.updateSwapped ? (options.update == .keep ? .new : .keep) : options.update
  }

  func reset(_ s: GRUSlips) -> GRUReset {
    s.resetMisplaced ? (options.reset == .after ? .before : .after) : options.reset
  }

  func forward(_ s: GRUSlips) -> MutantGRU.Forward {
    let key = s.forwardKey
    if let f = forwards[key] { return f }
    var q = p
    if s.h0Zero { q.h0 = Matrix(shape: p.h0.shape) }
    if s.biasesZero { q.b_x = Matrix(shape: p.b_x.shape); q.b_h = Matrix(shape: p.b_h.shape) }
    if s.b2Zero { q.b_2 = Matrix(shape: p.b_2.shape) }
    let f = MutantGRU.forward(q, tokens: tokens, reset: reset(s), update: update(s))
    forwards[key] = f
    return f
  }

  /// The output layer's items (`head`) or the others, with the slips `s`.
  func compute(_ s: GRUSlips, head: Bool) -> [String: Tensor] {
    let T = self.T, H = self.H, d = p.embeddingSize
    let fw = forward(s)
    let after = reset(s) == .after
    var keep = update(s) == .keep
    if s.backwardUpdateSwapped { keep.toggle() }
    let w = options.reduction.weight(steps: T)
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    let W_hr = p.W_h.rows(0..<H), W_hz = p.W_h.rows(H..<(2 * H)), W_hn = p.W_h.rows((2 * H)..<(3 * H))
    var out = GRUGradients(zerosLike: p, steps: T)

    let keepTerm: [Double] = (1...T).map { t in
      switch s.lossTerms {
      case .all: return 1
      case .last: return t == T ? 1 : 0
      case .first: return t == 1 ? 1 : 0
      }
    }
    let target = (1...T).map { t in s.targetShift ? tokens[t - 1] : tokens[t] }
    out.loss = w * (1...T).reduce(0.0) { acc, t in
      let l = s.targetShift ? -log(fw.yhat[t - 1].scalars[target[t - 1]]) : fw.stepLosses[t - 1]
      return acc + keepTerm[t - 1] * l
    }
    let delta1: [Matrix] = (1...T).map { t in
      var g = fw.yhat[t - 1]
      let label = target[t - 1]
      switch s.delta1 {
      case .none: g[label, 0] -= 1
      case .sign: g[label, 0] -= 1; g = -g
      case .diagonal:
        let v = g[label, 0] - 1
        g = Matrix(shape: g.shape)
        g[label, 0] = v
      }
      return g
    }
    let weightOf: [Double] = (1...T).map { t in w * keepTerm[t - 1] * (s.recounted ? Double(T - t + 1) : 1) }

    func sum(_ which: GRUSlips.Sum, _ term: (Int) -> Matrix) -> Matrix {
      switch s.assigned[which] {
      case .backward?: return term(1)
      case .forward?: return term(T)
      case nil:
        var total = term(1)
        for t in stride(from: 2, through: T, by: 1) { total += term(t) }
        return total
      }
    }
    if head {
      out.dU = sum(.outputWeight) { t in (w * keepTerm[t - 1]) * Matrix.outer(delta1[t - 1], s.outputStatePrevious ? fw.h[t - 1] : fw.h[t]) }
      out.db_2 = sum(.outputBias) { t in (w * keepTerm[t - 1]) * delta1[t - 1] }
      return GRULanguageModel.tensors(out).filter { Self.headItems.contains($0.key) }
    }
    let outputKey = OutputKey(forward: s.forwardKey, delta1: s.delta1, targetShift: s.targetShift)
    let terms = outputTerms[outputKey] ?? (1...T).map { t in p.U.T * delta1[t - 1] }
    outputTerms[outputKey] = terms
    let own: [Matrix] = (1...T).map { t in weightOf[t - 1] * terms[t - 1] }

    func gatePrime(_ y: Matrix, _ gate: Int) -> Matrix {
      switch s.gateLocal[gate] {
      case .none: return y ⊙ (ones - y)
      case .activation: return y
      case .dropped: return ones
      case .other: return ones - y ⊙ y
      }
    }
    func candidatePrime(_ n: Matrix) -> Matrix {
      switch s.candidateLocal {
      case .none: return ones - n ⊙ n
      case .activation: return n
      case .dropped: return ones
      case .other: return n ⊙ (ones - n)
      }
    }

    var DAX = [Matrix](repeating: Matrix(rows: 3 * H, cols: 1), count: T)
    var DAH = DAX, DBH = DAX
    /// One step back at t from ∂J/∂h^(t): adds the rows, returns ∂J/∂h^(t−1).
    func step(_ t: Int, dh: Matrix) -> Matrix {
      let r = fw.r[t - 1], z = fw.z[t - 1], n = fw.n[t - 1], hPrev = fw.h[t - 1]
      let ahN = MutantGRU.block(fw.ah[t - 1], 2, H)
      let dn = keep ? dh ⊙ (ones - z) : dh ⊙ z
      var dz = keep ? dh ⊙ (hPrev - n) : dh ⊙ (n - hPrev)
      if s.updateSign { dz = -dz }
      let dnHat = dn ⊙ candidatePrime(n)
      let dzHat = dz ⊙ gatePrime(z, 1)
      let drHat: Matrix, dahN: Matrix, throughCandidate: Matrix
      if after {
        dahN = dnHat ⊙ r
        drHat = dnHat ⊙ ahN ⊙ gatePrime(r, 0)
        throughCandidate = (s.gateCarry == .wrong ? W_hn : W_hn.T) * (s.resetLeftOutOfCarry ? dnHat : dahN)
      } else {
        let q = (s.gateCarry == .wrong ? W_hn : W_hn.T) * dnHat          // ∂J/∂(r ⊙ h′)
        dahN = dnHat
        drHat = (W_hn.T * dnHat) ⊙ hPrev ⊙ gatePrime(r, 0)
        throughCandidate = s.resetLeftOutOfCarry ? q : q ⊙ r
      }
      let dax = MutantGRU.stack([drHat, dzHat, dnHat]), dah = MutantGRU.stack([drHat, dzHat, dahN])
      MutantLSTM.addRow(&out.dh, t - 1, dh)
      MutantLSTM.addRow(&out.dax, t - 1, dax)
      MutantLSTM.addRow(&out.dah, t - 1, dah)
      DAX[t - 1] += dax
      DAH[t - 1] += dah
      DBH[t - 1] += after && s.resetBiasWithoutGate ? dax : dah
      var carry = Matrix(rows: H, cols: 1)
      switch s.gateCarry {
      case .none: carry = W_hr.T * drHat + W_hz.T * dzHat + throughCandidate
      case .notPropagated: break
      case .wrong: carry = W_hr * drHat + W_hz * dzHat + throughCandidate
      }
      switch s.direct {
      case .none: carry += dh ⊙ (keep ? z : ones - z)
      case .notPropagated: break
      case .wrong: carry += dh
      }
      return carry
    }

    let truncation = truncation(s)
    if case .window(let width) = truncation, width > 1, width < T {
      for source in 1...T {
        var dh = own[source - 1]
        let first = truncation.firstKeptStep(for: source)
        for t in stride(from: source, through: first, by: -1) {
          let carry = step(t, dh: dh)
          if t == first && first > 1 { break }
          if t == 1 { out.dh0 += carry }
          dh = carry
        }
      }
    } else {
      var carry = Matrix(rows: H, cols: 1)
      for t in stride(from: T, through: 1, by: -1) {
        let back = step(t, dh: own[t - 1] + carry)
        if t == 1 {
          out.dh0 = back
        } else if truncation.firstKeptStep(for: t) == t {
          carry = Matrix(rows: H, cols: 1)
        } else {
          carry = back
        }
      }
    }

    out.dW_x = sum(.inputWeight) { t in Matrix.outer(DAX[t - 1], fw.e[t - 1]) }
    out.db_x = sum(.inputBias) { t in DAX[t - 1] }
    out.db_h = sum(.hiddenBias) { t in DBH[t - 1] }
    out.dW_h = sum(.recurrentWeight) { t in
      let hPrev = fw.h[t - 1]
      let nInput = after ? hPrev : fw.r[t - 1] ⊙ hPrev                   // what W_hn multiplies
      let term = MutantGRU.stack([Matrix.outer(MutantGRU.block(DAH[t - 1], 0, H), hPrev), Matrix.outer(MutantGRU.block(DAH[t - 1], 1, H), hPrev),
                                  Matrix.outer(MutantGRU.block(DAH[t - 1], 2, H), nInput)])
      return Matrix(rows: 3 * H, cols: H, scalars: term.scalars)
    }
    if s.blocksTransposed {
      let m = out.dW_h
      for base in stride(from: 0, to: m.scalars.count, by: H * H) {
        for r in 0..<H { for j in 0..<H { out.dW_h.scalars[base + r * H + j] = m.scalars[base + j * H + r] } }
      }
    }
    let order: [Int] = s.scatter == .forward ? Array(1...T) : Array(stride(from: T, through: 1, by: -1))
    for t in order {
      let word = tokens[t - 1]
      let de = p.W_x.T * DAX[t - 1]
      for k in 0..<d { out.dE[k, word] = (s.scatter != nil ? 0 : out.dE[k, word]) + de[k, 0] }
    }
    if s.dh0Next { out.dh0 = out.dh.row(0).T }
    return GRULanguageModel.tensors(out).filter { !Self.headItems.contains($0.key) }
  }
}
