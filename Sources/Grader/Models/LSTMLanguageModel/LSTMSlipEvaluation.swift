import Foundation
import BPTTReference
import Jacobians

/// The slips of `lstm-lm`'s derivation (`LSTMDerivation`), gathered from the applied slips into
/// what `LSTMSlipEvaluation` switches on. Two slips that set the same switch cannot be made
/// together (`init` returns nil).
///
/// ```
/// step            kind                          switch
/// h0, c0          zero                          h0Zero, c0Zero          h^(0) = 0, c^(0) = 0
/// gate-order      custom(gate-order) 1 | 2      readSwapped | writeSwapped   the blocks read | written ifog ↔ ifgo
/// gates           zero                          bZero                   a^(t) without b
/// theta           zero                          b2Zero                  ŷ^(t) without b_2
/// cell            custom(forget-input-swapped)  forgetInputSwapped      c^(t) = i ⊙ c^(t−1) + f ⊙ g
/// target          step(−1)                      targetShift             y^(t) = onehot(x^(t))
/// loss            lastTerm, firstTerm           lossTerms               only J^(T), or only J^(1)
/// delta1          signFlipped, diagonalOnly     delta1
/// output-error    recounted                     recounted               δ1^(t) enters T − t + 1 times
/// cell-path       termDropped                   cellPathDropped         ∂J/∂c^(t) without ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t))
/// cell-local      dropped, activationForDerivative, derivative(σ)   cellLocal   tanh′(c^(t)) as computed
/// output-gate     dropped                       outputGateWithoutTanh   c^(t) for tanh(c^(t)) in ∂J/∂o
/// forget-factor   step(+1)                      currentCellInForget     c^(t) for c^(t−1) in ∂J/∂f
/// gates-local     derivative(tanh)              gateLocal (i, f, o)     1 − y² for σ′ of every σ gate
/// i-, f-, o-local activationForDerivative, dropped, derivative(tanh)   gateLocal[gate]
/// g-local         derivative(σ), activationForDerivative, dropped     candidateLocal
/// hidden-carry    notPropagated, transposed     hiddenCarry             no W_hᵀ ∂J/∂a^(t); each block W_h,g untransposed
/// cell-carry      notPropagated, dropped        cellCarry               no carry; ∂J/∂c^(t) without ⊙ f^(t)
/// bptt            notPropagated, truncated(window | chunks) k   extent
/// dh0             step(+1)                      dh0Next                 ∂J/∂h^(1)
/// recurrent-weight  step(+1), transposed, assigned(order)   recurrentStateNext, blocksTransposed, assigned
/// input-weight, bias, output-weight, output-bias   assigned(order); output-weight step(−1)
/// embedding       scatterAssigned(order)        scatter
/// ```
struct LSTMSlips: Hashable {
  enum LossTerms: Hashable { case all, last, first }
  enum Delta1: Hashable { case none, sign, diagonal }
  /// A σ gate's σ′(a) = y(1 − y) as the student computes it.
  enum GateLocal: Hashable { case none, activation, dropped, tanh }
  /// tanh′ of the candidate or of the cell as the student computes it.
  enum TanhLocal: Hashable { case none, activation, dropped, sigmoid }
  enum Carry: Hashable { case none, notPropagated, wrong }
  enum Extent: Hashable { case base, window(Int), chunks(Int) }
  enum Sum: Hashable { case recurrentWeight, inputWeight, bias, outputWeight, outputBias }

  var h0Zero = false, c0Zero = false
  var readSwapped = false, writeSwapped = false
  var bZero = false, b2Zero = false
  var forgetInputSwapped = false
  var targetShift = false
  var lossTerms = LossTerms.all
  var delta1 = Delta1.none
  var recounted = false
  var cellPathDropped = false
  var cellLocal = TanhLocal.none
  var outputGateWithoutTanh = false
  var currentCellInForget = false
  /// i, f, o.
  var gateLocal: [GateLocal] = [.none, .none, .none]
  var candidateLocal = TanhLocal.none
  /// transposed (`wrong`): each H × H block of W_h multiplies its gate's ∂J/∂a untransposed.
  var hiddenCarry = Carry.none
  /// dropped (`wrong`): the carry ∂J/∂c^(t) without ⊙ f^(t).
  var cellCarry = Carry.none
  var extent = Extent.base
  var dh0Next = false
  var recurrentStateNext = false
  var blocksTransposed = false
  var outputStatePrevious = false
  var assigned: [Sum: LoopOrder] = [:]
  var scatter: LoopOrder?

  init() {}

  /// The switches of `slips`; nil when one is unknown or two set the same switch.
  init?(_ slips: [AppliedSlip]) {
    var set = Set<String>()
    for slip in slips {
      guard let keys = apply(slip) else { return nil }
      for key in keys { guard set.insert(key).inserted else { return nil } }
    }
  }

  static let gates = ["i", "f", "o"]

  private mutating func apply(_ s: AppliedSlip) -> [String]? {
    switch (s.step, s.kind) {
    case ("h0", .zero): h0Zero = true; return ["h0"]
    case ("c0", .zero): c0Zero = true; return ["c0"]
    case ("gate-order", .custom("gate-order")):
      switch s.parameter {
      case 1?: readSwapped = true
      case 2?: writeSwapped = true
      default: return nil
      }
      return ["gate-order"]
    case ("gates", .zero): bZero = true; return ["b"]
    case ("theta", .zero): b2Zero = true; return ["b2"]
    case ("cell", .custom("forget-input-swapped")): forgetInputSwapped = true; return ["cell"]
    case ("target", .step(-1)): targetShift = true; return ["target"]
    case ("loss", .lastTerm): lossTerms = .last; return ["loss"]
    case ("loss", .firstTerm): lossTerms = .first; return ["loss"]
    case ("delta1", .signFlipped): delta1 = .sign; return ["delta1"]
    case ("delta1", .diagonalOnly): delta1 = .diagonal; return ["delta1"]
    case ("output-error", .recounted): recounted = true; return ["recounted"]
    case ("cell-path", .termDropped): cellPathDropped = true; return ["cell-path"]
    case ("cell-local", .dropped): cellLocal = .dropped; return ["cell-local"]
    case ("cell-local", .activationForDerivative): cellLocal = .activation; return ["cell-local"]
    case ("cell-local", .derivative(.sigmoid)): cellLocal = .sigmoid; return ["cell-local"]
    case ("output-gate", .dropped): outputGateWithoutTanh = true; return ["output-gate"]
    case ("forget-factor", .step(1)): currentCellInForget = true; return ["forget-factor"]
    case ("gates-local", .derivative(.tanh)): gateLocal = [.tanh, .tanh, .tanh]; return Self.gates.map { "\($0)-local" }
    case (let step, let kind) where step.hasSuffix("-local") && Self.gates.contains(String(step.dropLast(6))):
      let g = Self.gates.firstIndex(of: String(step.dropLast(6)))!
      switch kind {
      case .activationForDerivative: gateLocal[g] = .activation
      case .dropped: gateLocal[g] = .dropped
      case .derivative(.tanh): gateLocal[g] = .tanh
      default: return nil
      }
      return [step]
    case ("g-local", .derivative(.sigmoid)): candidateLocal = .sigmoid; return ["g-local"]
    case ("g-local", .activationForDerivative): candidateLocal = .activation; return ["g-local"]
    case ("g-local", .dropped): candidateLocal = .dropped; return ["g-local"]
    case ("hidden-carry", .notPropagated): hiddenCarry = .notPropagated; return ["hidden-carry"]
    case ("hidden-carry", .transposed): hiddenCarry = .wrong; return ["hidden-carry"]
    case ("cell-carry", .notPropagated): cellCarry = .notPropagated; return ["cell-carry"]
    case ("cell-carry", .dropped): cellCarry = .wrong; return ["cell-carry"]
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
    case ("recurrent-weight", .step(1)): recurrentStateNext = true; return ["recurrent-state"]
    case ("recurrent-weight", .transposed): blocksTransposed = true; return ["recurrent-transposed"]
    case ("output-weight", .step(-1)): outputStatePrevious = true; return ["output-state"]
    case ("recurrent-weight", .assigned(let o)): assigned[.recurrentWeight] = o; return ["sum-recurrentWeight"]
    case ("input-weight", .assigned(let o)): assigned[.inputWeight] = o; return ["sum-inputWeight"]
    case ("bias", .assigned(let o)): assigned[.bias] = o; return ["sum-bias"]
    case ("output-weight", .assigned(let o)): assigned[.outputWeight] = o; return ["sum-outputWeight"]
    case ("output-bias", .assigned(let o)): assigned[.outputBias] = o; return ["sum-outputBias"]
    case ("embedding", .scatterAssigned(let o)): scatter = o; return ["scatter"]
    default: return nil
    }
  }

  /// The switches the forward pass depends on.
  struct ForwardKey: Hashable {
    var h0Zero: Bool, c0Zero: Bool, readSwapped: Bool, bZero: Bool, b2Zero: Bool, forgetInputSwapped: Bool
  }

  var forwardKey: ForwardKey {
    ForwardKey(h0Zero: h0Zero, c0Zero: c0Zero, readSwapped: readSwapped, bZero: bZero, b2Zero: b2Zero, forgetInputSwapped: forgetInputSwapped)
  }
}

/// `lstm-lm`'s derivation at one student's inputs, with slips: the forward pass (cached per
/// forward slip), then the backward recursion of `MutantLSTM`'s steps with the two carries
/// (∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t), ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)) in one sweep t = T … 1, the
/// carries cut where full BPTT, chunks or a window of one step cut them; a window of
/// 1 < k < T steps sweeps once per loss term (O(T k H²)). With no slip it is `LSTM.gradients`.
final class LSTMSlipEvaluation: SlipEvaluation {
  let p: LSTMParameters
  let tokens: [Int]
  let options: LSTMOptions
  let T: Int, H: Int
  private var forwards: [LSTMSlips.ForwardKey: MutantLSTM.Forward] = [:]
  private var results: [ResultKey: [String: Tensor]] = [:]
  /// Uᵀ δ1^(t) by step, per forward pass and output error.
  private var outputTerms: [OutputKey: [Matrix]] = [:]

  /// The output layer's items (loss, dU, db_2) are computed apart from the backward recursion's.
  struct ResultKey: Hashable { var slips: LSTMSlips; var head: Bool }
  struct OutputKey: Hashable { var forward: LSTMSlips.ForwardKey; var delta1: LSTMSlips.Delta1; var targetShift: Bool }
  static let headItems: Set<String> = ["loss", "dU", "db_2"]

  init(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) {
    self.p = p
    self.tokens = tokens
    self.options = options
    T = tokens.count - 1
    H = p.hiddenSize
  }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let s = LSTMSlips(slips) else { return nil }
    // The blocks written in the other order change only the items with gate blocks.
    if s.writeSwapped && !LSTMLanguageModel.blockItems.contains(item) { return nil }
    let key = ResultKey(slips: s, head: Self.headItems.contains(item))
    if let r = results[key] { return r[item] }
    let r = compute(s, head: key.head)
    if results.count > 256 { results.removeAll() }
    results[key] = r
    return r[item]
  }

  func isExpensive(_ slips: [AppliedSlip]) -> Bool {
    guard let s = LSTMSlips(slips), results[ResultKey(slips: s, head: false)] == nil else { return false }
    if forwards[s.forwardKey] == nil && s.forwardKey != LSTMSlips().forwardKey { return true }
    if case .window(let k) = truncation(s), k > 1, k < T { return true }
    return false
  }

  /// The truncation the student's backward pass makes.
  func truncation(_ s: LSTMSlips) -> Truncation {
    switch s.extent {
    case .base: return options.truncation
    case .window(let k): return .window(k)
    case .chunks(let k): return .chunks(k)
    }
  }

  func blocks(_ s: LSTMSlips) -> MutantLSTM.Blocks {
    var k = MutantLSTM.Blocks(s.readSwapped ? MutantLSTM.otherOrder(options.gateOrder) : options.gateOrder, hidden: H)
    // c = i ⊙ c^(t−1) + f ⊙ g is the correct cell with the roles of the blocks i and f exchanged.
    if s.forgetInputSwapped { swap(&k.i, &k.f) }
    return k
  }

  func forward(_ s: LSTMSlips) -> MutantLSTM.Forward {
    let key = s.forwardKey
    if let f = forwards[key] { return f }
    var q = p
    if s.h0Zero { q.h0 = Matrix(shape: p.h0.shape) }
    if s.c0Zero { q.c0 = Matrix(shape: p.c0.shape) }
    if s.bZero { q.b = Matrix(shape: p.b.shape) }
    if s.b2Zero { q.b_2 = Matrix(shape: p.b_2.shape) }
    let f = MutantLSTM.forward(q, tokens: tokens, blocks: blocks(s))
    forwards[key] = f
    return f
  }

  /// The output layer's items (`head`) or the others, with the slips `s`.
  func compute(_ s: LSTMSlips, head: Bool) -> [String: Tensor] {
    let T = self.T, H = self.H, d = p.embeddingSize
    let fw = forward(s)
    let k = blocks(s)
    let w = options.reduction.weight(steps: T)
    let tanh = Activation.tanh, sigmoid = Activation.sigmoid
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    var out = LSTMGradients(zerosLike: p, steps: T)

    let keep: [Double] = (1...T).map { t in
      switch s.lossTerms {
      case .all: return 1
      case .last: return t == T ? 1 : 0
      case .first: return t == 1 ? 1 : 0
      }
    }
    let target = (1...T).map { t in s.targetShift ? tokens[t - 1] : tokens[t] }
    out.loss = w * (1...T).reduce(0.0) { acc, t in
      let l = s.targetShift ? -log(fw.yhat[t - 1].scalars[target[t - 1]]) : fw.stepLosses[t - 1]
      return acc + keep[t - 1] * l
    }

    // δ1^(t) = ŷ^(t) − y^(t), and each step's output term wₜ Uᵀ δ1^(t).
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
    let weightOf = (1...T).map { t in w * keep[t - 1] * (s.recounted ? Double(T - t + 1) : 1) }

    func sum(_ which: LSTMSlips.Sum, _ term: (Int) -> Matrix) -> Matrix {
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
      out.dU = sum(.outputWeight) { t in (w * keep[t - 1]) * Matrix.outer(delta1[t - 1], s.outputStatePrevious ? fw.h[t - 1] : fw.h[t]) }
      out.db_2 = sum(.outputBias) { t in (w * keep[t - 1]) * delta1[t - 1] }
      return LSTMLanguageModel.tensors(out).filter { Self.headItems.contains($0.key) }
    }
    let outputKey = OutputKey(forward: s.forwardKey, delta1: s.delta1, targetShift: s.targetShift)
    let terms = outputTerms[outputKey] ?? (1...T).map { t in p.U.T * delta1[t - 1] }
    outputTerms[outputKey] = terms
    let own: [Matrix] = (1...T).map { t in weightOf[t - 1] * terms[t - 1] }

    /// σ′ of σ gate `gate` (0 i, 1 f, 2 o) from its value y.
    func gatePrime(_ y: Matrix, _ gate: Int) -> Matrix {
      switch s.gateLocal[gate] {
      case .none: return y ⊙ (ones - y)
      case .activation: return y
      case .dropped: return ones
      case .tanh: return ones - y ⊙ y
      }
    }
    /// tanh′ as the student computes it at the tanh's value y (and its argument x, for σ′(x)).
    func tanhPrime(_ local: LSTMSlips.TanhLocal, value y: Matrix, argument x: Matrix) -> Matrix {
      switch local {
      case .none: return ones - y ⊙ y
      case .activation: return y
      case .dropped: return ones
      case .sigmoid:
        let sx = sigmoid(x)
        return sx ⊙ (ones - sx)
      }
    }
    /// The candidate's σ′ mistake is written in g: g ⊙ (1 − g).
    func candidatePrime(_ g: Matrix) -> Matrix {
      switch s.candidateLocal {
      case .none: return ones - g ⊙ g
      case .activation: return g
      case .dropped: return ones
      case .sigmoid: return g ⊙ (ones - g)
      }
    }

    var DA = [Matrix](repeating: Matrix(rows: 4 * H, cols: 1), count: T)
    /// One step back at t from ∂J/∂h^(t) and the carry into c^(t): adds the rows, returns the carries.
    func step(_ t: Int, dh: Matrix, carryC: Matrix) -> (dh: Matrix, dc: Matrix) {
      let i = fw.i[t - 1], f = fw.f[t - 1], o = fw.o[t - 1], g = fw.g[t - 1]
      let c = fw.c[t], cPrevious = fw.c[t - 1], tc = tanh(c)
      var dc = carryC
      if !s.cellPathDropped { dc += dh ⊙ o ⊙ tanhPrime(s.cellLocal, value: tc, argument: c) }
      let di = dc ⊙ g ⊙ gatePrime(i, 0)
      let df = dc ⊙ (s.currentCellInForget ? c : cPrevious) ⊙ gatePrime(f, 1)
      let dO = dh ⊙ (s.outputGateWithoutTanh ? c : tc) ⊙ gatePrime(o, 2)
      let dg = dc ⊙ i ⊙ candidatePrime(g)
      var da = Matrix(rows: 4 * H, cols: 1)
      for j in 0..<H {
        da.scalars[k.i + j] = di.scalars[j]; da.scalars[k.f + j] = df.scalars[j]
        da.scalars[k.o + j] = dO.scalars[j]; da.scalars[k.g + j] = dg.scalars[j]
      }
      MutantLSTM.addRow(&out.dh, t - 1, dh)
      MutantLSTM.addRow(&out.dc, t - 1, dc)
      MutantLSTM.addRow(&out.da, t - 1, da)
      DA[t - 1] += da
      var dhPrevious = Matrix(rows: H, cols: 1)
      switch s.hiddenCarry {
      case .none: dhPrevious = p.W_h.T * da
      case .notPropagated: break
      case .wrong:
        // Σ_g W_h,g ∂J/∂a_g with each H × H block untransposed.
        for offset in [k.i, k.f, k.o, k.g] {
          for r in 0..<H {
            var x = 0.0
            for j in 0..<H { x += p.W_h.scalars[(offset + r) * H + j] * da.scalars[offset + j] }
            dhPrevious.scalars[r] += x
          }
        }
      }
      let dcPrevious: Matrix
      switch s.cellCarry {
      case .none: dcPrevious = dc ⊙ f
      case .notPropagated: dcPrevious = Matrix(rows: H, cols: 1)
      case .wrong: dcPrevious = dc
      }
      return (dhPrevious, dcPrevious)
    }

    let truncation = truncation(s)
    if case .window(let width) = truncation, width > 1, width < T {
      // One sweep per loss term J^(s), through its window of steps.
      for source in 1...T {
        var dh = own[source - 1], carryC = Matrix(rows: H, cols: 1)
        let first = truncation.firstKeptStep(for: source)
        for t in stride(from: source, through: first, by: -1) {
          let back = step(t, dh: dh, carryC: carryC)
          if t == first && first > 1 { break }
          if t == 1 { out.dh0 += back.dh; out.dc0 += back.dc }
          dh = back.dh
          carryC = back.dc
        }
      }
    } else {
      // One sweep: the carries cut at the first step of each chunk (every step for a window of one).
      var carryH = Matrix(rows: H, cols: 1), carryC = Matrix(rows: H, cols: 1)
      for t in stride(from: T, through: 1, by: -1) {
        let back = step(t, dh: own[t - 1] + carryH, carryC: carryC)
        if t == 1 {
          out.dh0 = back.dh
          out.dc0 = back.dc
        } else if truncation.firstKeptStep(for: t) == t {
          carryH = Matrix(rows: H, cols: 1)
          carryC = Matrix(rows: H, cols: 1)
        } else {
          carryH = back.dh
          carryC = back.dc
        }
      }
    }

    out.dW_h = sum(.recurrentWeight) { t in Matrix.outer(DA[t - 1], s.recurrentStateNext ? fw.h[t] : fw.h[t - 1]) }
    if s.blocksTransposed {
      let m = out.dW_h
      for base in stride(from: 0, to: m.scalars.count, by: H * H) {
        for r in 0..<H { for j in 0..<H { out.dW_h.scalars[base + r * H + j] = m.scalars[base + j * H + r] } }
      }
    }
    out.dW_x = sum(.inputWeight) { t in Matrix.outer(DA[t - 1], fw.e[t - 1]) }
    out.db = sum(.bias) { t in DA[t - 1] }
    let order: [Int] = s.scatter == .forward ? Array(1...T) : Array(stride(from: T, through: 1, by: -1))
    for t in order {
      let word = tokens[t - 1]
      let de = p.W_x.T * DA[t - 1]                                  // ∂J/∂e^(t) = W_xᵀ ∂J/∂a^(t)    d × 1
      for r in 0..<d { out.dE[r, word] = (s.scatter != nil ? 0 : out.dE[r, word]) + de[r, 0] }
    }
    if s.dh0Next { out.dh0 = out.dh.row(0).T }
    if s.writeSwapped { out = out.reorderingGates(from: options.gateOrder, to: MutantLSTM.otherOrder(options.gateOrder)) }
    return LSTMLanguageModel.tensors(out).filter { !Self.headItems.contains($0.key) }
  }
}
