import BPTTReference
import Jacobians

/// Mistakes a student's LSTM backward pass can make, switched on one (or several) at a time in
/// `MutantLSTM`. With none switched on, `MutantLSTM` computes the reference (`LSTM.gradients`).
///
/// ```
/// signFlipped                  δ1^(t) = y^(t) − ŷ^(t)
/// meanMissing, meanTwice       wₜ = 1 or 1/T² for J = (1/T) Σₜ J^(t)
/// meanOnSum                    wₜ = 1/T for J = Σₜ J^(t)
/// gateOrderSwapped             the blocks of W_x, W_h, b read in the other order (ifog ↔ ifgo),
///                              forward and backward
/// forgetInputSwapped           c^(t) = i ⊙ c^(t−1) + f ⊙ g, forward and backward
/// cellTanhPathOmitted          ∂J/∂c^(t) = ∂J/∂c^(t+1) ⊙ f^(t+1): the term ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) left out
/// cellTanhDerivativeOmitted    ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o + …: tanh′(c^(t)) left out of that term
/// cellCarryOmitted             no carry ∂J/∂c^(t) ⊙ f^(t) to c^(t−1)
/// cellCarryWithoutForget       the carry to c^(t−1) is ∂J/∂c^(t), without ⊙ f^(t)
/// hiddenCarryOmitted           no carry W_hᵀ ∂J/∂a^(t) to h^(t−1)
/// sigmoidDerivativeForCandidate  ∂J/∂a_g = ∂J/∂c ⊙ i ⊙ g(1 − g)          (σ′ for the tanh gate)
/// tanhDerivativeForGates       ∂J/∂a_{i,f,o} with 1 − y² for σ′ = y(1 − y)
/// currentCellInForget          ∂J/∂a_f = ∂J/∂c ⊙ c^(t) ⊙ σ′(a_f)       (c^(t) for c^(t−1))
/// outputGateWithoutTanh        ∂J/∂a_o = ∂J/∂h ⊙ c^(t) ⊙ σ′(a_o)       (c^(t) for tanh(c^(t)))
/// embeddingAssigned            dE[:, x(t)] = W_xᵀ ∂J/∂a^(t) in the loop t = T…1: a repeated
///                              word keeps only its earliest occurrence
/// ```
/// "Only the step t" and "truncated to k steps" are truncations: pass `LSTMOptions.truncation`
/// `.window(1)` or `.window(k)`.
struct LSTMMistakes: OptionSet, Hashable, Sendable {
  let rawValue: Int

  static let signFlipped = LSTMMistakes(rawValue: 1 << 0)
  static let meanMissing = LSTMMistakes(rawValue: 1 << 1)
  static let meanTwice = LSTMMistakes(rawValue: 1 << 2)
  static let meanOnSum = LSTMMistakes(rawValue: 1 << 3)
  static let gateOrderSwapped = LSTMMistakes(rawValue: 1 << 4)
  static let forgetInputSwapped = LSTMMistakes(rawValue: 1 << 5)
  static let cellTanhPathOmitted = LSTMMistakes(rawValue: 1 << 6)
  static let cellTanhDerivativeOmitted = LSTMMistakes(rawValue: 1 << 7)
  static let cellCarryOmitted = LSTMMistakes(rawValue: 1 << 8)
  static let cellCarryWithoutForget = LSTMMistakes(rawValue: 1 << 9)
  static let hiddenCarryOmitted = LSTMMistakes(rawValue: 1 << 10)
  static let sigmoidDerivativeForCandidate = LSTMMistakes(rawValue: 1 << 11)
  static let tanhDerivativeForGates = LSTMMistakes(rawValue: 1 << 12)
  static let currentCellInForget = LSTMMistakes(rawValue: 1 << 13)
  static let outputGateWithoutTanh = LSTMMistakes(rawValue: 1 << 14)
  static let embeddingAssigned = LSTMMistakes(rawValue: 1 << 15)
}

/// A flexible, step-by-step LSTM language model (column form) that can make the mistakes of
/// `LSTMMistakes`: the forward pass of `LSTMParameters`, then one backward sweep per loss term
/// J^(s), as CS231n's `lstm_step_backward` runs it, each step written as the derivation names it:
///
/// ```
/// output error     δ1^(s) = ŷ^(s) − y^(s);  ∂J/∂h^(s) gets wₛ Uᵀ δ1^(s)
/// cell adjoint     ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) + (carry from c^(t+1))
/// gate adjoints    ∂J/∂a_i = ∂J/∂c ⊙ g ⊙ σ′(a_i)       ∂J/∂a_f = ∂J/∂c ⊙ c^(t−1) ⊙ σ′(a_f)
///                  ∂J/∂a_o = ∂J/∂h ⊙ tanh(c^(t)) ⊙ σ′(a_o)   ∂J/∂a_g = ∂J/∂c ⊙ i ⊙ tanh′(a_g)
/// hidden carry     ∂J/∂h^(t−1) += W_hᵀ ∂J/∂a^(t)
/// cell carry       ∂J/∂c^(t−1) ← ∂J/∂c^(t) ⊙ f^(t)
/// parameters       dW_h = Σₜ ∂J/∂a^(t) h^(t−1)ᵀ, dW_x = Σₜ ∂J/∂a^(t) e^(t)ᵀ, db = Σₜ ∂J/∂a^(t)
/// embedding        dE[:, x(t)] += W_xᵀ ∂J/∂a^(t)
/// ```
/// The sweep of J^(s) runs t = s … firstKeptStep(s) (the options' truncation); the per-step
/// carries dh, dc, da are the sums over the sweeps. Cost O(T² H²): for homework sizes. Tests
/// show that with no mistake it equals `LSTM.gradients` in every option.
enum MutantLSTM {
  /// The offsets of the blocks i, f, o, g within a^(t) (4H × 1).
  struct Blocks {
    var i: Int, f: Int, o: Int, g: Int

    init(_ order: LSTMGateOrder, hidden H: Int) {
      i = order.block(.input) * H
      f = order.block(.forget) * H
      o = order.block(.output) * H
      g = order.block(.cell) * H
    }
  }

  /// What the forward pass keeps, column vectors by step (index t − 1 for step t; c and h
  /// index t, with c[0] = c0 and h[0] = h0).
  struct Forward {
    var e: [Matrix] = [], a: [Matrix] = []
    var i: [Matrix] = [], f: [Matrix] = [], o: [Matrix] = [], g: [Matrix] = []
    var c: [Matrix] = [], h: [Matrix] = [], yhat: [Matrix] = []
    var stepLosses: [Double] = []
  }

  /// The other gate order (ifog ↔ ifgo).
  static func otherOrder(_ order: LSTMGateOrder) -> LSTMGateOrder { order == .ifog ? .ifgo : .ifog }

  /// The gate blocks as the student reads them.
  static func blocks(_ options: LSTMOptions, hidden H: Int, mistakes: LSTMMistakes) -> Blocks {
    var k = Blocks(mistakes.contains(.gateOrderSwapped) ? otherOrder(options.gateOrder) : options.gateOrder, hidden: H)
    // c = i ⊙ c^(t−1) + f ⊙ g is the correct cell with the roles of the blocks i and f exchanged.
    if mistakes.contains(.forgetInputSwapped) { swap(&k.i, &k.f) }
    return k
  }

  static func block(_ a: Matrix, _ offset: Int, _ H: Int) -> Matrix {
    Matrix(column: Array(a.scalars[offset..<(offset + H)]))
  }

  /// The forward pass with the gate blocks `k`; without `outputs`, the recurrence alone (no ŷ^(t),
  /// no step losses: `GatedSlipEvaluation` computes the logits of every step at once).
  static func forward(_ p: LSTMParameters, tokens: [Int], blocks k: Blocks, outputs: Bool = true) -> Forward {
    let T = tokens.count - 1, H = p.hiddenSize
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    var fw = Forward()
    fw.c = [p.c0]
    fw.h = [p.h0]
    for t in 1...T {
      let e = p.E.column(tokens[t - 1])                             // e^(t) = E x^(t)               d × 1
      let a = p.W_x * e + p.W_h * fw.h[t - 1] + p.b                 // a^(t)                         4H × 1
      let i = sigmoid(block(a, k.i, H)), f = sigmoid(block(a, k.f, H))
      let o = sigmoid(block(a, k.o, H)), g = tanh(block(a, k.g, H))
      let c = f ⊙ fw.c[t - 1] + i ⊙ g                               // c^(t) = f ⊙ c^(t−1) + i ⊙ g   H × 1
      let h = o ⊙ tanh(c)                                          // h^(t) = o ⊙ tanh(c^(t))
      fw.e.append(e); fw.a.append(a)
      fw.i.append(i); fw.f.append(f); fw.o.append(o); fw.g.append(g)
      fw.c.append(c); fw.h.append(h)
      guard outputs else { continue }
      let logits = p.U * h + p.b_2                                  // U h^(t) + b_2                 |V| × 1
      fw.yhat.append(Softmax.probabilities(logits))
      fw.stepLosses.append(Softmax.logSumExp(logits.scalars) - logits.scalars[tokens[t]])
    }
    return fw
  }

  /// The loss, every gradient and the per-step carries with `mistakes`, under the options'
  /// reduction and truncation (no clipping: the graded models do not clip).
  static func evaluate(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions, mistakes m: LSTMMistakes = []) -> LSTMGradients {
    let T = tokens.count - 1, H = p.hiddenSize, d = p.embeddingSize
    let k = blocks(options, hidden: H, mistakes: m)
    let fw = forward(p, tokens: tokens, blocks: k)
    let w = weight(steps: T, reduction: options.reduction, mistakes: m)
    var out = LSTMGradients(zerosLike: p, steps: T)
    out.loss = w * fw.stepLosses.reduce(0, +)
    let tanh = Activation.tanh
    let ones = Matrix(rows: H, cols: 1, repeating: 1)

    /// σ′ of a σ gate from its value y.
    func sigmoidPrime(_ y: Matrix) -> Matrix { m.contains(.tanhDerivativeForGates) ? ones - y ⊙ y : y ⊙ (ones - y) }

    // Output error: δ1^(s) = ŷ^(s) − y^(s).
    let delta1: [Matrix] = (1...T).map { s in
      var g = fw.yhat[s - 1]
      g[tokens[s], 0] -= 1
      return m.contains(.signFlipped) ? -g : g
    }

    var DA = [Matrix](repeating: Matrix(rows: 4 * H, cols: 1), count: T)
    for s in 1...T {
      out.dU += w * Matrix.outer(delta1[s - 1], fw.h[s])           // wₛ δ1^(s) h^(s)ᵀ
      out.db_2 += w * delta1[s - 1]
      var dh = w * (p.U.T * delta1[s - 1])                          // ∂J^(s)/∂h^(s)                 H × 1
      var carryC = Matrix(rows: H, cols: 1)                         // from c^(t+1): none at t = s
      let first = options.truncation.firstKeptStep(for: s)
      for t in stride(from: s, through: first, by: -1) {
        let i = fw.i[t - 1], f = fw.f[t - 1], o = fw.o[t - 1], g = fw.g[t - 1]
        let c = fw.c[t], cPrev = fw.c[t - 1], tc = tanh(c)
        // Cell adjoint: through h^(t) = o ⊙ tanh(c^(t)) and through c^(t+1).
        var dc = carryC
        if !m.contains(.cellTanhPathOmitted) {
          dc += m.contains(.cellTanhDerivativeOmitted) ? dh ⊙ o : dh ⊙ o ⊙ (ones - tc ⊙ tc)
        }
        // Gate adjoints, placed in the student's blocks.
        let di = dc ⊙ g ⊙ sigmoidPrime(i)
        let df = dc ⊙ (m.contains(.currentCellInForget) ? c : cPrev) ⊙ sigmoidPrime(f)
        let dO = dh ⊙ (m.contains(.outputGateWithoutTanh) ? c : tc) ⊙ sigmoidPrime(o)
        let dg = dc ⊙ i ⊙ (m.contains(.sigmoidDerivativeForCandidate) ? g ⊙ (ones - g) : ones - g ⊙ g)
        var da = Matrix(rows: 4 * H, cols: 1)
        for j in 0..<H {
          da.scalars[k.i + j] = di.scalars[j]; da.scalars[k.f + j] = df.scalars[j]
          da.scalars[k.o + j] = dO.scalars[j]; da.scalars[k.g + j] = dg.scalars[j]
        }
        addRow(&out.dh, t - 1, dh)
        addRow(&out.dc, t - 1, dc)
        addRow(&out.da, t - 1, da)
        DA[t - 1] += da
        if t == first && first > 1 { break }                        // (h, c)^(first−1) is a constant
        // Carries to step t − 1.
        let dhPrevious = m.contains(.hiddenCarryOmitted) ? Matrix(rows: H, cols: 1) : p.W_h.T * da
        let dcPrevious = m.contains(.cellCarryOmitted) ? Matrix(rows: H, cols: 1) : (m.contains(.cellCarryWithoutForget) ? dc : dc ⊙ f)
        if t == 1 {
          out.dh0 += dhPrevious
          out.dc0 += dcPrevious
        }
        dh = dhPrevious
        carryC = dcPrevious
      }
    }

    for t in 1...T {
      out.dW_h += Matrix.outer(DA[t - 1], fw.h[t - 1])              // ∂J/∂a^(t) h^(t−1)ᵀ           4H × H
      out.dW_x += Matrix.outer(DA[t - 1], fw.e[t - 1])              // ∂J/∂a^(t) e^(t)ᵀ             4H × d
      out.db += DA[t - 1]
    }
    for t in stride(from: T, through: 1, by: -1) {                  // the backward loop's order
      let word = tokens[t - 1]
      let de = p.W_x.T * DA[t - 1]                                  // ∂J/∂e^(t) = W_xᵀ ∂J/∂a^(t)    d × 1
      for r in 0..<d { out.dE[r, word] = (m.contains(.embeddingAssigned) ? 0 : out.dE[r, word]) + de[r, 0] }
    }
    return out
  }

  /// The weight wₜ of each J^(t) in J, as the student applies it.
  static func weight(steps T: Int, reduction: LossReduction, mistakes: LSTMMistakes) -> Double {
    let n = Double(T)
    switch reduction {
    case .mean:
      if mistakes.contains(.meanMissing) { return 1 }
      if mistakes.contains(.meanTwice) { return 1 / (n * n) }
      return 1 / n
    case .sum:
      return mistakes.contains(.meanOnSum) ? 1 / n : 1
    }
  }

  /// m[row, :] += vᵀ for an `n × 1` column v.
  static func addRow(_ m: inout Matrix, _ row: Int, _ v: Matrix) {
    for j in 0..<m.cols { m.scalars[row * m.cols + j] += v.scalars[j] }
  }
}
