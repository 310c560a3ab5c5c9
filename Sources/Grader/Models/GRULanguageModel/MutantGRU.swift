import BPTTReference
import Jacobians

/// Mistakes a student's GRU backward pass can make, switched on in `MutantGRU`. With none, it
/// computes the reference (`GRU.gradients`). r̂, ẑ, n̂ are the pre-activations of r, z, n and
/// h′ = h^(t−1).
///
/// ```
/// signFlipped                    δ1^(t) = y^(t) − ŷ^(t)
/// meanMissing, meanTwice         wₜ = 1 or 1/T² for J = (1/T) Σₜ J^(t)
/// meanOnSum                      wₜ = 1/T for J = Σₜ J^(t)
/// updateSwapped                  z and 1 − z exchanged in h^(t), forward and backward (the other
///                                `update` convention)
/// updateSwappedInBackward        the forward right, the backward of the other convention:
///                                ∂h/∂n = z, ∂h/∂h′ = 1 − z, ∂h/∂z = n − h′ (for `keep`)
/// resetMisplaced                 the reset gate before W_hn instead of after it (or back),
///                                forward and backward (the other `reset` placement)
/// resetLeftOutOfCarry            ∂n̂/∂h′ = W_hn instead of diag(r) W_hn (`after`), or
///                                W_hn instead of W_hn diag(r) (`before`): the carry through n
///                                without ⊙ r
/// directPathOmitted              no direct carry ∂J/∂h^(t) ⊙ z to h′
/// resetBiasWithoutGate           (`after`) ∂J/∂b_hn = Σₜ ∂J/∂n̂ instead of Σₜ ∂J/∂n̂ ⊙ r
/// sigmoidDerivativeForCandidate  ∂n/∂n̂ = n ⊙ (1 − n)                    (σ′ for the tanh gate)
/// tanhDerivativeForGates         ∂r/∂r̂ = 1 − r², ∂z/∂ẑ = 1 − z²          (tanh′ for σ′)
/// embeddingAssigned              dE[:, x(t)] = W_xᵀ ∂J/∂ax^(t) in the loop t = T…1
/// ```
/// The carry cut after 1 or k steps is a truncation (`GRUOptions.truncation`).
struct GRUMistakes: OptionSet, Hashable, Sendable {
  let rawValue: Int

  static let signFlipped = GRUMistakes(rawValue: 1 << 0)
  static let meanMissing = GRUMistakes(rawValue: 1 << 1)
  static let meanTwice = GRUMistakes(rawValue: 1 << 2)
  static let meanOnSum = GRUMistakes(rawValue: 1 << 3)
  static let updateSwapped = GRUMistakes(rawValue: 1 << 4)
  static let updateSwappedInBackward = GRUMistakes(rawValue: 1 << 5)
  static let resetMisplaced = GRUMistakes(rawValue: 1 << 6)
  static let resetLeftOutOfCarry = GRUMistakes(rawValue: 1 << 7)
  static let directPathOmitted = GRUMistakes(rawValue: 1 << 8)
  static let resetBiasWithoutGate = GRUMistakes(rawValue: 1 << 9)
  static let sigmoidDerivativeForCandidate = GRUMistakes(rawValue: 1 << 10)
  static let tanhDerivativeForGates = GRUMistakes(rawValue: 1 << 11)
  static let embeddingAssigned = GRUMistakes(rawValue: 1 << 12)
}

/// A flexible, step-by-step GRU language model (column form) that can make the mistakes of
/// `GRUMistakes`: the forward pass of `GRUParameters`, then one backward sweep per loss term
/// J^(s), each step as the derivation names it (for update `keep`, reset `after`):
///
/// ```
/// output error     δ1^(s) = ŷ^(s) − y^(s);  ∂J/∂h^(s) gets wₛ Uᵀ δ1^(s)
/// update           ∂J/∂n = ∂J/∂h ⊙ (1 − z),  ∂J/∂z = ∂J/∂h ⊙ (h′ − n)
/// pre-activations  ∂J/∂n̂ = ∂J/∂n ⊙ (1 − n²),  ∂J/∂ẑ = ∂J/∂z ⊙ z ⊙ (1 − z)
/// reset            ∂J/∂ah_n = ∂J/∂n̂ ⊙ r,  ∂J/∂r̂ = ∂J/∂n̂ ⊙ ah_n ⊙ r ⊙ (1 − r)
///                  (before: q = W_hnᵀ ∂J/∂n̂,  ∂J/∂r̂ = q ⊙ h′ ⊙ r ⊙ (1 − r),  ∂J/∂ah_n = ∂J/∂n̂)
/// carry            ∂J/∂h′ = ∂J/∂h ⊙ z + W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + W_hnᵀ ∂J/∂ah_n   (before: + q ⊙ r)
/// parameters       dW_x = Σ ∂J/∂ax e ᵀ, db_x = Σ ∂J/∂ax, dW_h = Σ ∂J/∂ah h̃ᵀ, db_h = Σ ∂J/∂ah
/// embedding        dE[:, x(t)] += W_xᵀ ∂J/∂ax^(t)
/// ```
/// with ∂J/∂ax = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂], ∂J/∂ah = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n] and h̃ = h′ (r ⊙ h′ in
/// the n block `before`). Cost O(T² H²). Tests show that with no mistake it equals `GRU.gradients`.
enum MutantGRU {
  /// What the forward pass keeps, column vectors (index t − 1 for step t; h indexes t, h[0] = h0).
  struct Forward {
    var e: [Matrix] = [], ax: [Matrix] = [], ah: [Matrix] = []
    var r: [Matrix] = [], z: [Matrix] = [], n: [Matrix] = []
    var h: [Matrix] = [], yhat: [Matrix] = []
    var stepLosses: [Double] = []
  }

  static func block(_ v: Matrix, _ k: Int, _ H: Int) -> Matrix {
    Matrix(column: Array(v.scalars[(k * H)..<((k + 1) * H)]))
  }

  static func stack(_ blocks: [Matrix]) -> Matrix { Matrix(column: blocks.flatMap(\.scalars)) }

  /// The forward pass with the given reset placement and update convention; without `outputs`,
  /// the recurrence alone (no ŷ^(t), no step losses: `GatedSlipEvaluation` computes the logits of
  /// every step at once).
  static func forward(_ p: GRUParameters, tokens: [Int], reset: GRUReset, update: GRUUpdate, outputs: Bool = true) -> Forward {
    let T = tokens.count - 1, H = p.hiddenSize
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    let W_hr = p.W_h.rows(0..<H), W_hz = p.W_h.rows(H..<(2 * H)), W_hn = p.W_h.rows((2 * H)..<(3 * H))
    var fw = Forward()
    fw.h = [p.h0]
    for t in 1...T {
      let hPrev = fw.h[t - 1]
      let e = p.E.column(tokens[t - 1])                                  // e^(t) = E x^(t)       d × 1
      let ax = p.W_x * e + p.b_x                                         // [x_r; x_z; x_n]       3H × 1
      let ahR = W_hr * hPrev + block(p.b_h, 0, H), ahZ = W_hz * hPrev + block(p.b_h, 1, H)
      let r = sigmoid(block(ax, 0, H) + ahR), z = sigmoid(block(ax, 1, H) + ahZ)
      let ahN: Matrix, n: Matrix
      switch reset {
      case .after:                                                       // n = tanh(x_n + r ⊙ (W_hn h′ + b_hn))
        ahN = W_hn * hPrev + block(p.b_h, 2, H)
        n = tanh(block(ax, 2, H) + r ⊙ ahN)
      case .before:                                                      // n = tanh(x_n + W_hn (r ⊙ h′) + b_hn)
        ahN = W_hn * (r ⊙ hPrev) + block(p.b_h, 2, H)
        n = tanh(block(ax, 2, H) + ahN)
      }
      let h = update == .keep ? (ones - z) ⊙ n + z ⊙ hPrev : z ⊙ n + (ones - z) ⊙ hPrev
      fw.e.append(e); fw.ax.append(ax); fw.ah.append(stack([ahR, ahZ, ahN]))
      fw.r.append(r); fw.z.append(z); fw.n.append(n); fw.h.append(h)
      guard outputs else { continue }
      let logits = p.U * h + p.b_2
      fw.yhat.append(Softmax.probabilities(logits))
      fw.stepLosses.append(Softmax.logSumExp(logits.scalars) - logits.scalars[tokens[t]])
    }
    return fw
  }

  /// The loss, every gradient and the carries dh, dax, dah with `mistakes`, under the options'
  /// reset, update, reduction and truncation.
  static func evaluate(_ p: GRUParameters, tokens: [Int], options: GRUOptions, mistakes m: GRUMistakes = []) -> GRUGradients {
    let T = tokens.count - 1, H = p.hiddenSize, d = p.embeddingSize
    func other(_ u: GRUUpdate) -> GRUUpdate { u == .keep ? .new : .keep }
    let update = m.contains(.updateSwapped) ? other(options.update) : options.update
    let reset = m.contains(.resetMisplaced) ? (options.reset == .after ? GRUReset.before : .after) : options.reset
    let backwardUpdate = m.contains(.updateSwappedInBackward) ? other(update) : update
    let keep = backwardUpdate == .keep, after = reset == .after
    let fw = forward(p, tokens: tokens, reset: reset, update: update)
    let w = weight(steps: T, reduction: options.reduction, mistakes: m)
    var out = GRUGradients(zerosLike: p, steps: T)
    out.loss = w * fw.stepLosses.reduce(0, +)
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    let W_hr = p.W_h.rows(0..<H), W_hz = p.W_h.rows(H..<(2 * H)), W_hn = p.W_h.rows((2 * H)..<(3 * H))

    /// σ′ of a σ gate from its value y.
    func sigmoidPrime(_ y: Matrix) -> Matrix { m.contains(.tanhDerivativeForGates) ? ones - y ⊙ y : y ⊙ (ones - y) }

    let delta1: [Matrix] = (1...T).map { s in
      var g = fw.yhat[s - 1]
      g[tokens[s], 0] -= 1
      return m.contains(.signFlipped) ? -g : g
    }

    var DAX = [Matrix](repeating: Matrix(rows: 3 * H, cols: 1), count: T)
    var DAH = DAX, DBH = DAX
    for s in 1...T {
      out.dU += w * Matrix.outer(delta1[s - 1], fw.h[s])
      out.db_2 += w * delta1[s - 1]
      var dh = w * (p.U.T * delta1[s - 1])                               // ∂J^(s)/∂h^(s)   H × 1
      let first = options.truncation.firstKeptStep(for: s)
      for t in stride(from: s, through: first, by: -1) {
        let r = fw.r[t - 1], z = fw.z[t - 1], n = fw.n[t - 1], hPrev = fw.h[t - 1]
        let ahN = block(fw.ah[t - 1], 2, H)
        // Update: h = (1 − z) ⊙ n + z ⊙ h′ (keep) or z ⊙ n + (1 − z) ⊙ h′ (new).
        let dn = keep ? dh ⊙ (ones - z) : dh ⊙ z
        let dz = keep ? dh ⊙ (hPrev - n) : dh ⊙ (n - hPrev)
        let dnHat = dn ⊙ (m.contains(.sigmoidDerivativeForCandidate) ? n ⊙ (ones - n) : ones - n ⊙ n)
        let dzHat = dz ⊙ sigmoidPrime(z)
        // Reset: where r multiplies, and the carry through n.
        let drHat: Matrix, dahN: Matrix, throughCandidate: Matrix
        if after {
          dahN = dnHat ⊙ r
          drHat = dnHat ⊙ ahN ⊙ sigmoidPrime(r)
          throughCandidate = W_hn.T * (m.contains(.resetLeftOutOfCarry) ? dnHat : dahN)
        } else {
          let q = W_hn.T * dnHat                                         // ∂J/∂(r ⊙ h′)
          dahN = dnHat
          drHat = q ⊙ hPrev ⊙ sigmoidPrime(r)
          throughCandidate = m.contains(.resetLeftOutOfCarry) ? q : q ⊙ r
        }
        let dax = stack([drHat, dzHat, dnHat]), dah = stack([drHat, dzHat, dahN])
        MutantLSTM.addRow(&out.dh, t - 1, dh)
        MutantLSTM.addRow(&out.dax, t - 1, dax)
        MutantLSTM.addRow(&out.dah, t - 1, dah)
        DAX[t - 1] += dax
        DAH[t - 1] += dah
        DBH[t - 1] += after && m.contains(.resetBiasWithoutGate) ? dax : dah
        if t == first && first > 1 { break }                             // h^(first−1) is a constant
        var carry = W_hr.T * drHat + W_hz.T * dzHat + throughCandidate
        if !m.contains(.directPathOmitted) { carry += dh ⊙ (keep ? z : ones - z) }
        if t == 1 { out.dh0 += carry }
        dh = carry
      }
    }

    for t in 1...T {
      let hPrev = fw.h[t - 1]
      out.dW_x += Matrix.outer(DAX[t - 1], fw.e[t - 1])                 // 3H × d
      out.db_x += DAX[t - 1]
      out.db_h += DBH[t - 1]
      let nInput = after ? hPrev : fw.r[t - 1] ⊙ hPrev                   // what W_hn multiplies
      let term = stack([Matrix.outer(block(DAH[t - 1], 0, H), hPrev), Matrix.outer(block(DAH[t - 1], 1, H), hPrev),
                        Matrix.outer(block(DAH[t - 1], 2, H), nInput)])
      out.dW_h += Matrix(rows: 3 * H, cols: H, scalars: term.scalars)    // 3H × H
    }
    for t in stride(from: T, through: 1, by: -1) {
      let word = tokens[t - 1]
      let de = p.W_x.T * DAX[t - 1]                                      // ∂J/∂e^(t)   d × 1
      for k in 0..<d { out.dE[k, word] = (m.contains(.embeddingAssigned) ? 0 : out.dE[k, word]) + de[k, 0] }
    }
    return out
  }

  /// The weight wₜ of each J^(t) in J, as the student applies it.
  static func weight(steps T: Int, reduction: LossReduction, mistakes: GRUMistakes) -> Double {
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
}
