#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BPTTReference
import Jacobians

/// A recurrent model at one student's inputs, in the column form of notes 000/002 (min-char-rnn
/// as the one-hot input x^(t) with W_xh in the place of W_e e^(t)).
struct RecurrentProblem {
  var W_h: Matrix                    // H × H
  var U: Matrix                      // |V| × H
  var b_1: Matrix                    // H × 1
  var b_2: Matrix                    // |V| × 1
  var h0: Matrix                     // H × 1
  /// T × H, row t − 1 = (W_e e^(t))ᵀ or (W_xh x^(t))ᵀ: the input term of z^(t).
  var inputTerms: Matrix
  var tokens: [Int]
  var options: RNNOptions
  /// E (d × |V|) and W_e (H × d) of the language model; nil for the one-hot input.
  var embedding: (E: Matrix, W_e: Matrix)?
  var roles: [String: RecurrentRole]
  var shapes: [String: [Int]]
  var names: RecurrentNames
}

/// The derivation of a recurrent model with slips (`RecurrentSlips`) applied, item by item.
/// With no slip it is the reference (tests: `BPTT`, `ExplicitBPTT`, `CanonicalRNN` on 20 seeds).
///
/// ```
/// forward      z^(t) = W_h h^(t−1) + a^(t) + b_1,  h^(t) = f(z^(t)),  ŷ^(t) = softmax(U h^(t) + b_2)
/// output       δ1^(t) = ŷ^(t) − y^(t),  o^(t) = Uᵀ δ1^(t)                         (batched: T × |V|, T × H;
///              ŷ, the losses and P U in one pass over U, `OutputLayerForward`)
/// local        D^(t) = f′(z^(t))                                                  (T × H)
/// recursion    ∂J/∂z^(t) = (wₜ o^(t) + C ∂J/∂z^(t+1)) ⊙ D^(t),  C = W_hᵀ          (O(T H²))
///              the carry cut between chunks, or everywhere (only the i = t term);
///              a window or chunks of k steps sum per-source sweeps g_s^(i) = ∂J^(s)/∂z^(i)
///              over the sources that reach step i (computed once for every k, O(T² H²), and
///              kept as running sums over s: O(T H) per k; only when a truncation is asked)
/// items        dW_h = Σ_i ∂J/∂z^(i) h^(i−1)ᵀ, dW_e = Σ_i ∂J/∂z^(i) e^(i)ᵀ, db_1 = Σ_i ∂J/∂z^(i),
///              dE[:, x^(i)] += W_eᵀ ∂J/∂z^(i) (one-hot: W_xh's column x^(i) += ∂J/∂z^(i)),
///              dh0 = C ∂J/∂z^(1), dU = Σ_t wₜ δ1^(t) h^(t)ᵀ, db_2 = Σ_t wₜ δ1^(t),
///              delta1 rows δ1^(t), delta2 rows o^(t) ⊙ D^(t),
///              dW_h_terms slices ∂J^(T)/∂z^(i) h^(i−1)ᵀ (the sweep of J^(T) alone, unscaled)
/// ```
/// wₜ = 1/T (mean) or 1 (sum), times T − t + 1 when the output error is recounted. What a slip
/// does not touch is cached and shared by every later evaluation: the forward pass (per forward
/// slip), the output layer (per forward, target and δ1 slip), the local derivatives, the
/// recursion (per backward slip), the per-source sweeps.
final class RecurrentSlipEvaluation: SlipEvaluation {
  let problem: RecurrentProblem
  let T: Int, H: Int, V: Int
  /// T × d, row i − 1 = e^(i)ᵀ (language model only).
  let embeddingRows: Matrix?

  init(_ problem: RecurrentProblem) {
    self.problem = problem
    T = problem.tokens.count - 1
    H = problem.W_h.rows
    V = problem.U.rows
    if let (E, _) = problem.embedding {
      embeddingRows = Matrix(rows: T, cols: E.rows) { i, k in E[k, problem.tokens[i]] }
    } else {
      embeddingRows = nil
    }
  }

  var f: Activation { problem.options.activation }
  var weight: Double { problem.options.reduction.weight(steps: T) }
  var useBiases: Bool { problem.options.useBiases }

  // MARK: Forward

  struct ForwardKey: Hashable {
    var h0Zero = false, transposed = false
    var activation: Activation
    var b1Zero = false, b2Zero = false
  }

  /// Z (T × H), Hs ((T+1) × H, row 0 = h^(0)), and the output layer after them
  /// (`OutputLayerForward`, its states Z): P (T × |V|, ŷ^(t) in row t − 1), the step losses
  /// against the next token and against the current one, and P U.
  final class Forward {
    let layer: OutputLayerForward<Matrix>
    let activation: Activation
    var Z: Matrix { layer.states }
    var Hs: Matrix { layer.hRows }
    var P: Matrix { layer.P }
    var lossNext: [Double] { layer.lossNext }
    var lossCurrent: [Double] { layer.lossCurrent }
    /// P U (T × H): Σ_v ŷ^(t)_v U[v, :], the expensive half of every Uᵀ δ1^(t), from the pass
    /// over U that made P (or a second one, when the first was made without it).
    var PU: Matrix { layer.productWithU() }
    init(layer: OutputLayerForward<Matrix>, activation: Activation) { self.layer = layer; self.activation = activation }
  }

  private var forwards: [ForwardKey: Forward] = [:]
  /// The recurrence (Z, Hs) per forward key without b_2: the forward variants that differ only
  /// in b_2 share it.
  private var trajectories: [ForwardKey: (Z: Matrix, Hs: Matrix)] = [:]

  func forwardKey(_ s: RecurrentSlips) -> ForwardKey {
    ForwardKey(h0Zero: s.h0Zero, transposed: s.forwardTransposed, activation: s.activation ?? f, b1Zero: s.b1Zero || !useBiases, b2Zero: s.b2Zero || !useBiases)
  }

  /// The forward pass of `key` (`backward`: with P U in the same pass over U, for the items
  /// behind the output layer; without, for the output layer's own).
  func forward(_ key: ForwardKey, backward: Bool = true) -> Forward {
    if let cached = forwards[key] { return cached }
    let p = problem
    var trajectoryKey = key
    trajectoryKey.b2Zero = false
    let trajectory = trajectories[trajectoryKey] ?? {
      let g = key.activation
      var Z = Matrix(rows: T, cols: H), Hs = Matrix(rows: T + 1, cols: H)
      if !key.h0Zero { for j in 0..<H { Hs.scalars[j] = p.h0.scalars[j] } }
      let W = key.transposed ? p.W_h.T : p.W_h
      Z.scalars.withUnsafeMutableBufferPointer { zb in
        Hs.scalars.withUnsafeMutableBufferPointer { hb in
          let z = zb.baseAddress!, hs = hb.baseAddress!
          for t in 0..<T {
            // z^(t) = W_h h^(t−1) + a^(t) + b_1
            Self.multiply(W, hs + t * H, into: z + t * H)
            for j in 0..<H {
              let zj = z[t * H + j] + p.inputTerms.scalars[t * H + j] + (key.b1Zero ? 0 : p.b_1.scalars[j])
              z[t * H + j] = zj
              hs[(t + 1) * H + j] = g(zj)
            }
          }
        }
      }
      let t = (Z: Z, Hs: Hs)
      trajectories[trajectoryKey] = t
      return t
    }()
    let layer = OutputLayerForward(hRows: trajectory.Hs, states: trajectory.Z, U: p.U, b_2: key.b2Zero ? nil : p.b_2, tokens: p.tokens, backward: backward)
    let result = Forward(layer: layer, activation: key.activation)
    forwards[key] = result
    return result
  }

  // MARK: Output layer

  struct OutputKey: Hashable {
    var forward: ForwardKey
    var targetShift: Bool
    var delta1: RecurrentSlips.Delta1
  }

  /// δ1 (T × |V|, rows δ1^(t)ᵀ, unscaled), own (T × H, rows (Uᵀ δ1^(t))ᵀ, computed when first
  /// needed), the step losses.
  final class Output {
    let delta1: Matrix, losses: [Double]
    var own: Matrix?
    init(delta1: Matrix, losses: [Double]) { self.delta1 = delta1; self.losses = losses }
  }

  private var outputs: [OutputKey: Output] = [:]

  func outputKey(_ s: RecurrentSlips) -> OutputKey {
    OutputKey(forward: forwardKey(s), targetShift: s.targetShift, delta1: s.delta1)
  }

  func target(_ key: OutputKey, _ t: Int) -> Int { key.targetShift ? problem.tokens[t] : problem.tokens[t + 1] }

  func output(_ key: OutputKey) -> Output {
    if let cached = outputs[key] { return cached }
    let fw = forward(key.forward)
    var delta1 = fw.P
    for t in 0..<T {
      let target = self.target(key, t)
      let base = t * V
      switch key.delta1 {
      case .none:
        delta1.scalars[base + target] -= 1
      case .sign:
        delta1.scalars[base + target] -= 1
        for v in 0..<V { delta1.scalars[base + v] = -delta1.scalars[base + v] }
      case .diagonal:
        // (∂CE/∂ŷ) diag(ŷ ⊙ (1 − ŷ)) keeps only the label entry: −(1/ŷ_l) ŷ_l (1 − ŷ_l) = ŷ_l − 1.
        let pl = fw.P.scalars[base + target]
        for v in 0..<V { delta1.scalars[base + v] = 0 }
        delta1.scalars[base + target] = pl - 1
      }
    }
    let result = Output(delta1: delta1, losses: key.targetShift ? fw.lossCurrent : fw.lossNext)
    outputs[key] = result
    return result
  }

  /// Rows (Uᵀ δ1^(t))ᵀ (T × H) of `key`'s output: P U − U[target, :] from the forward pass's P U
  /// (one product per forward pass, shared by every δ1 slip), negated for the flipped sign, or
  /// (ŷ_l − 1) U[l, :] for the diagonal softmax.
  func own(_ key: OutputKey) -> Matrix {
    let out = output(key)
    if let cached = out.own { return cached }
    let fw = forward(key.forward)
    let U = problem.U
    var own = Matrix(rows: T, cols: H)
    if key.delta1 == .diagonal {
      for t in 0..<T {
        let l = target(key, t)
        let c = fw.P.scalars[t * V + l] - 1
        for j in 0..<H { own.scalars[t * H + j] = c * U.scalars[l * H + j] }
      }
    } else {
      own = fw.PU
      let sign: Double = key.delta1 == .sign ? -1 : 1
      for t in 0..<T {
        let l = target(key, t)
        for j in 0..<H { own.scalars[t * H + j] = sign * (own.scalars[t * H + j] - U.scalars[l * H + j]) }
      }
    }
    out.own = own
    return own
  }

  // MARK: Local derivatives

  struct LocalKey: Hashable { var forward: ForwardKey; var local: RecurrentSlips.LocalSlip }
  private var locals: [LocalKey: Matrix] = [:]

  /// D (T × H), row t − 1 = ∂h^(t)/∂z^(t) as the slip computes it (g: the forward activation).
  func local(_ key: LocalKey) -> Matrix {
    if let cached = locals[key] { return cached }
    let fw = forward(key.forward)
    let g = fw.activation
    let Z = fw.Z
    let Hout = fw.Hs.rows(1..<(T + 1))
    var D: Matrix
    switch key.local {
    case .none: D = Z.map { g.derivative($0) }
    case .activation: D = Hout
    case .next, .previous:
      D = Matrix(rows: T, cols: H)
      for t in 0..<T {
        let s = key.local == .next ? Swift.min(t + 1, T - 1) : Swift.max(t - 1, 0)
        for j in 0..<H { D.scalars[t * H + j] = g.derivative(Z.scalars[s * H + j]) }
      }
    case .derivative(let k): D = Z.map { k.derivative($0) }
    case .formula(let k):
      // k′ written in the stored output h: σ′ = h(1 − h), tanh′ = 1 − h².
      D = Hout.map { h in k == .tanh ? 1 - h * h : h * (1 - h) }
    case .modelFormula: D = Hout.map { h in self.f == .tanh ? 1 - h * h : h * (1 - h) }
    case .atOutput: D = Hout.map { g.derivative($0) }
    case .dropped: D = Matrix(rows: T, cols: H, repeating: 1)
    }
    locals[key] = D
    return D
  }

  // MARK: The recursion

  /// The weight of each loss term in the gradients (1/T or 1, zero for a term left out).
  func weights(_ s: RecurrentSlips) -> [Double] { s.lossTerms.weights(steps: T, weight: weight) }

  struct BackwardKey: Hashable {
    var output: OutputKey
    var local: RecurrentSlips.LocalSlip
    var lossTerms: RecurrentSlips.LossTerms
    var recounted: Bool
    var carry: RecurrentSlips.CarrySlip
    var ownTermOnly: Bool
    var extent: Truncation
  }

  /// G (T × H, row i − 1 = (∂J/∂z^(i))ᵀ), ∂J/∂h^(0), and ∂J/∂h^(1) as the backward loop holds it.
  struct Backward { var G: Matrix; var dh0: [Double]; var dh1: [Double] }
  private var backwards: [BackwardKey: Backward] = [:]

  /// The truncation the slips leave: the assignment's own unless a slip replaces it.
  func extent(_ s: RecurrentSlips) -> Truncation {
    switch s.extent {
    case .base: return problem.options.truncation
    case .notPropagated: return .window(1)
    case .window(let k): return .window(k)
    case .chunks(let k): return .chunks(k)
    }
  }

  func backwardKey(_ s: RecurrentSlips) -> BackwardKey {
    BackwardKey(output: outputKey(s), local: s.local, lossTerms: s.lossTerms, recounted: s.recounted, carry: s.carry, ownTermOnly: s.ownTermOnly, extent: extent(s))
  }

  /// C x: the carry operator W_hᵀ (W_h when transposed, I when dropped).
  func carry(_ c: RecurrentSlips.CarrySlip, _ x: [Double]) -> [Double] {
    switch c {
    case .none: return Self.multiplyTransposed(problem.W_h, x)
    case .transposed: return Self.multiply(problem.W_h, x)
    case .dropped: return x
    }
  }

  /// W_hᵀ, stored, for the carry's products as dot products over contiguous rows.
  private lazy var recurrentTransposed: Matrix = problem.W_h.T

  /// y = C x for one vector (H entries at `x`, written at `y`).
  func carry(_ c: RecurrentSlips.CarrySlip, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
    switch c {
    case .none: Self.multiply(recurrentTransposed, x, into: y)
    case .transposed: Self.multiply(problem.W_h, x, into: y)
    case .dropped: y.update(from: x, count: H)
    }
  }

  /// Rows y_r = (C x_r)ᵀ of `rows` row vectors x_r (rows × H, contiguous): X W_h for C = W_hᵀ,
  /// X W_hᵀ for W_h, X itself when dropped — one matrix product for many carries.
  func carryRows(_ c: RecurrentSlips.CarrySlip, _ x: UnsafePointer<Double>, rows: Int, into y: UnsafeMutablePointer<Double>) {
    switch c {
    case .dropped:
      y.update(from: x, count: rows * H)
    case .none, .transposed:
      problem.W_h.scalars.withUnsafeBufferPointer { w in
        MatrixProduct.multiply(rows, H, H, x, lda: H, transposeA: false, w.baseAddress!, ldb: H, transposeB: c == .transposed, into: y, ldc: H)
      }
    }
  }

  /// The injections wₜ o^(t) (times T − t + 1 when recounted), T × H.
  func injections(_ key: BackwardKey, _ s: RecurrentSlips) -> Matrix {
    let own = self.own(key.output)
    let w = weights(s)
    var a = own
    for t in 0..<T {
      let scale = w[t] * (key.recounted ? Double(T - t) : 1)
      for j in 0..<H { a.scalars[t * H + j] *= scale }
    }
    return a
  }

  func backward(_ s: RecurrentSlips) -> Backward {
    let key = backwardKey(s)
    if let cached = backwards[key] { return cached }
    let a = injections(key, s)
    let D = local(LocalKey(forward: key.output.forward, local: key.local))
    let result: Backward
    switch key.extent {
    case .window(let k) where k > 1 && k < T:
      result = windowed(.window(k), key: key, a: a, D: D)
    case .chunks(let k) where k > 1 && k < T:
      result = windowed(.chunks(k), key: key, a: a, D: D)
    default:
      // The δ recursion, the carry cut where the truncation cuts it.
      let cut: (Int) -> Bool
      switch key.extent {
      case .full: cut = { _ in false }
      case .window(let k): cut = { _ in k <= 1 }
      case .chunks(let k): cut = { t in (t - 1) % k == 0 }
      }
      var G = [Double](repeating: 0, count: T * H)
      var into = [Double](repeating: 0, count: H), out = into, dh = into
      var dh0 = into, dh1 = into
      for t in stride(from: T, through: 1, by: -1) {
        let r = (t - 1) * H
        for j in 0..<H { dh[j] = a.scalars[r + j] + into[j] }
        if t == 1 { dh1 = dh }
        for j in 0..<H {
          G[r + j] = key.ownTermOnly ? a.scalars[r + j] * D.scalars[r + j] + into[j] : dh[j] * D.scalars[r + j]
        }
        G.withUnsafeBufferPointer { g in out.withUnsafeMutableBufferPointer { o in carry(key.carry, g.baseAddress! + r, into: o.baseAddress!) } }
        if t == 1 { dh0 = out } else if cut(t) { for j in 0..<H { into[j] = 0 } } else { swap(&into, &out) }
      }
      result = Backward(G: Matrix(rows: T, cols: H, scalars: G), dh0: dh0, dh1: dh1)
    }
    backwards[key] = result
    return result
  }

  // MARK: Windows: per-source sweeps

  struct SweepKey: Hashable {
    var output: OutputKey
    var local: RecurrentSlips.LocalSlip
    var lossTerms: RecurrentSlips.LossTerms
    var recounted: Bool
    var carry: RecurrentSlips.CarrySlip
    var ownTermOnly: Bool
  }

  /// The per-source sweeps g_s (T × H, row i − 1 = (∂J^(s)/∂z^(i))ᵀ weighted, i ≤ s) and their
  /// carries C g_s^(1) (into h^(0)) and C g_s^(2) (into step 1), summed over the sources:
  ///
  /// ```
  /// g[b − 1] row i − 1 = Σ_{s=i}^{b} g_s^(i)               (i ≤ b)
  /// intoH0[b − 1]      = Σ_{s=1}^{b} C g_s^(1)
  /// intoStep1[b − 1]   = a^(1) + Σ_{s=2}^{b} C g_s^(2)
  /// ```
  /// each in the order of s, as a truncation's sum over its sources runs.
  struct Sweeps {
    var g: [Matrix], intoH0: [[Double]], intoStep1: [[Double]]

    /// The running sums of each source's own sweep (`g[s − 1]`, `intoH0[s − 1]`,
    /// `intoStep1[s − 1]`), `a1` the injection a^(1) that step 1 starts from.
    init(sources g: [Matrix], intoH0: [[Double]], intoStep1: [[Double]], a1: [Double]) {
      var g = g, intoH0 = intoH0, intoStep1 = intoStep1
      let T = g.count, H = a1.count
      intoStep1[0] = a1
      if T >= 2 {
        for b in 2...T {
          for k in 0..<((b - 1) * H) { g[b - 1].scalars[k] = g[b - 2].scalars[k] + g[b - 1].scalars[k] }
          for j in 0..<H {
            intoH0[b - 1][j] = intoH0[b - 2][j] + intoH0[b - 1][j]
            intoStep1[b - 1][j] = intoStep1[b - 2][j] + intoStep1[b - 1][j]
          }
        }
      }
      self.g = g
      self.intoH0 = intoH0
      self.intoStep1 = intoStep1
    }
  }
  private var sweeps: [SweepKey: Sweeps] = [:]

  /// A window or chunks of k steps from the per-source sweeps (computed once for every k):
  /// G_i sums g_s^(i) over the sources s = i … end(i) whose kept terms reach step i (a run: the
  /// first kept step of s grows with s), one row of the running sums.
  func windowed(_ truncation: Truncation, key: BackwardKey, a: Matrix, D: Matrix) -> Backward {
    let sk = SweepKey(output: key.output, local: key.local, lossTerms: key.lossTerms, recounted: key.recounted, carry: key.carry, ownTermOnly: key.ownTermOnly)
    let sw: Sweeps
    if let cached = sweeps[sk] {
      sw = cached
    } else {
      // Every source at once, going back step by step: row s − 1 of X holds g_s^(i) for the
      // sources s ≥ i, and the carries of all of them are one product (T − i) × H × H.
      var g = [Matrix](repeating: Matrix(rows: T, cols: H), count: T)
      var intoStep1 = [[Double]](repeating: [Double](repeating: 0, count: H), count: T)
      var X = [Double](repeating: 0, count: T * H), Y = X
      for i in stride(from: T, through: 1, by: -1) {
        if i < T {
          // Sources s = i+1 … T (rows i ..< T) carried from step i + 1 into step i.
          X.withUnsafeBufferPointer { x in Y.withUnsafeMutableBufferPointer { y in carryRows(key.carry, x.baseAddress! + i * H, rows: T - i, into: y.baseAddress!) } }
          for s in (i + 1)...T {
            let from = (s - 1 - i) * H, to = (s - 1) * H, d = (i - 1) * H
            if i == 1 { intoStep1[s - 1] = Array(Y[from..<(from + H)]) }
            for j in 0..<H { X[to + j] = key.ownTermOnly ? Y[from + j] : Y[from + j] * D.scalars[d + j] }
          }
        }
        // The source s = i starts at its own step: a^(i) ⊙ D^(i).
        let r = (i - 1) * H
        for j in 0..<H { X[r + j] = a.scalars[r + j] * D.scalars[r + j] }
        for s in i...T { for j in 0..<H { g[s - 1].scalars[r + j] = X[(s - 1) * H + j] } }
      }
      // C g_s^(1) for every source: into h^(0).
      X.withUnsafeBufferPointer { x in Y.withUnsafeMutableBufferPointer { y in carryRows(key.carry, x.baseAddress!, rows: T, into: y.baseAddress!) } }
      let intoH0 = (0..<T).map { s in Array(Y[(s * H)..<((s + 1) * H)]) }
      sw = Sweeps(sources: g, intoH0: intoH0, intoStep1: intoStep1, a1: Array(a.scalars[0..<H]))
      sweeps[sk] = sw
    }
    var G = Matrix(rows: T, cols: H)
    for (i, end) in truncation.lastLossTerms(steps: T).enumerated() {
      for j in 0..<H { G.scalars[i * H + j] = sw.g[end - 1].scalars[i * H + j] }
    }
    // h^(0) and step 1 are reached by the sources whose first kept step is 1: s ≤ k, both ways.
    let k = Swift.min(truncation.length ?? T, T)
    return Backward(G: G, dh0: sw.intoH0[k - 1], dh1: sw.intoStep1[k - 1])
  }

  /// The sweep of J^(T) alone (unscaled): rows i − 1 = (∂J^(T)/∂z^(i))ᵀ for the kept i.
  func lastSweep(_ s: RecurrentSlips) -> Matrix {
    let key = backwardKey(s)
    let own = self.own(key.output)
    let D = local(LocalKey(forward: key.output.forward, local: key.local))
    let first = key.extent.firstKeptStep(for: T)
    var m = Matrix(rows: T, cols: H)
    let r = (T - 1) * H
    for j in 0..<H { m.scalars[r + j] = own.scalars[r + j] * D.scalars[r + j] }
    if first < T {
      for i in stride(from: T - 1, through: first, by: -1) {
        let c = carry(key.carry, Array(m.scalars[(i * H)..<((i + 1) * H)]))
        for j in 0..<H { m.scalars[(i - 1) * H + j] = key.ownTermOnly ? c[j] : c[j] * D.scalars[(i - 1) * H + j] }
      }
    }
    return m
  }

  // MARK: Items

  /// True when `slips` need a forward pass not computed yet (two matrix products of T·H·|V|)
  /// other than the reference's, which every candidate without a forward slip needs anyway.
  func isExpensive(_ slips: [AppliedSlip]) -> Bool {
    guard let s = RecurrentSlips(slips) else { return false }
    let key = forwardKey(s)
    if forwards[key] == nil && key != forwardKey(RecurrentSlips()) { return true }
    // A window or chunks of k steps needs the per-source sweeps (T² products with W_h).
    let backward = backwardKey(s)
    switch backward.extent {
    case .window(let k), .chunks(let k):
      guard k > 1 && k < T, backwards[backward] == nil else { return false }
      let sk = SweepKey(output: backward.output, local: backward.local, lossTerms: backward.lossTerms, recounted: backward.recounted, carry: backward.carry, ownTermOnly: backward.ownTermOnly)
      return sweeps[sk] == nil
    case .full:
      return false
    }
  }

  var stopsExpensiveWorkAtMatch: Bool { Self.outputLayerIsCostly(steps: T, hidden: H, vocabulary: V) }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let s = RecurrentSlips(slips), let role = problem.roles[item], let shape = problem.shapes[item] else { return nil }
    func tensor(_ m: Matrix) -> Tensor { Tensor(shape: shape, scalars: m.scalars) }
    func tensor(_ v: [Double]) -> Tensor { Tensor(shape: shape, scalars: v) }
    let fw = forward(forwardKey(s), backward: role.isBehindOutputLayer)
    switch role {
    case .loss:
      let out = output(outputKey(s))
      let w = weights(s)
      return Tensor(scalar: zip(w, out.losses).reduce(0) { $0 + $1.0 * $1.1 })
    case .delta1:
      return tensor(output(outputKey(s)).delta1)
    case .delta2:
      if s.delta2Carry { return tensor(backward(s).G) }
      let D = local(LocalKey(forward: forwardKey(s), local: s.local))
      return tensor(own(outputKey(s)) ⊙ D)
    case .outputWeight:
      let out = output(outputKey(s))
      let w = weights(s)
      var scaled = out.delta1
      for t in 0..<T { for v in 0..<V { scaled.scalars[t * V + v] *= w[t] } }
      // h^(t) (row t of Hs), or h^(t−1) for the neighbouring-step slip.
      let states = s.outputStatePrevious ? fw.Hs.rows(0..<T) : fw.Hs.rows(1..<(T + 1))
      if let order = s.assigned[.outputWeight] {
        let t = order == .backward ? 0 : T - 1
        return tensor(Matrix.outer(scaled.row(t).T, states.row(t).T))
      }
      return tensor(MatrixProduct.multiply(scaled, states, transposeA: true))
    case .outputBias:
      guard useBiases else { return tensor(Matrix(rows: V, cols: 1)) }
      let out = output(outputKey(s))
      let w = weights(s)
      var db = [Double](repeating: 0, count: V)
      let range: [Int] = s.assigned[.outputBias].map { $0 == .backward ? [0] : [T - 1] } ?? Array(0..<T)
      for t in range { for v in 0..<V { db[v] += w[t] * out.delta1.scalars[t * V + v] } }
      return tensor(db)
    case .recurrentWeight:
      let G = backward(s).G
      let states = s.recurrentStateNext ? fw.Hs.rows(1..<(T + 1)) : fw.Hs.rows(0..<T)
      return tensor(sum(G, states, assigned: s.assigned[.recurrentWeight]))
    case .inputWeight:
      guard let rows = embeddingRows else { return nil }
      return tensor(sum(backward(s).G, rows, assigned: s.assigned[.inputWeight]))
    case .hiddenBias:
      guard useBiases else { return tensor(Matrix(rows: H, cols: 1)) }
      let G = backward(s).G
      var db = [Double](repeating: 0, count: H)
      let range: [Int] = s.assigned[.hiddenBias].map { $0 == .backward ? [0] : [T - 1] } ?? Array(0..<T)
      for i in range { for j in 0..<H { db[j] += G.scalars[i * H + j] } }
      return tensor(db)
    case .embedding:
      guard let (E, W_e) = problem.embedding else { return nil }
      let pieces = MatrixProduct.multiply(backward(s).G, W_e)      // rows (W_eᵀ ∂J/∂z^(i))ᵀ   T × d
      return tensor(scatter(pieces, rows: E.rows, s.scatter))
    case .inputColumns:
      let G = backward(s).G
      if let order = s.assigned[.inputColumns] {
        // dW_xh = ∂E/∂z^(i) x^(i)ᵀ for the one step the assignment leaves.
        let i = order == .backward ? 0 : T - 1
        var m = Matrix(rows: H, cols: V)
        for j in 0..<H { m[j, problem.tokens[i]] = G.scalars[i * H + j] }
        return tensor(m)
      }
      return tensor(scatter(G, rows: H, s.scatter))
    case .initialState:
      let b = backward(s)
      switch s.dh0 {
      case .none: return tensor(b.dh0)
      case .state1: return tensor(b.dh1)
      case .dropped: return tensor(Array(b.G.scalars[0..<H]))
      }
    case .recurrentWeightTerms:
      let states = s.recurrentStateNext ? fw.Hs.rows(1..<(T + 1)) : fw.Hs.rows(0..<T)
      let m = s.termsAllLosses ? backward(s).G : lastSweep(s)
      // Slice i − 1 = g^(i) h^(i−1)ᵀ, written in place; running sums from i = T down.
      var out = [Double](repeating: 0, count: T * H * H)
      out.withUnsafeMutableBufferPointer { o in
        m.scalars.withUnsafeBufferPointer { g in
          states.scalars.withUnsafeBufferPointer { h in
            for i in stride(from: T, through: 1, by: -1) {
              let slice = o.baseAddress! + (i - 1) * H * H
              for a in 0..<H {
                let ga = g[(i - 1) * H + a]
                if ga == 0 { continue }
                for b in 0..<H { slice[a * H + b] = ga * h[(i - 1) * H + b] }
              }
              if s.termsCumulative && i < T {
                let after = slice + H * H
                for e in 0..<(H * H) { slice[e] += after[e] }
              }
            }
          }
        }
      }
      return tensor(out)
    }
  }

  /// The entries at `indices` only, for the items whose whole value is large (|V| × H, d × |V|,
  /// T × H × H): the shared quantities (forward pass, δ1, the recursion) as for `value`, then
  /// each entry as its sum over steps, O(T) per entry.
  func entries(of item: String, with slips: [AppliedSlip], at indices: [Int]) -> [Double]? {
    guard let s = RecurrentSlips(slips), let role = problem.roles[item], let shape = problem.shapes[item] else { return nil }
    let fw = forward(forwardKey(s), backward: role.isBehindOutputLayer)
    let cols = shape.count >= 2 ? shape[shape.count - 1] : 1
    /// Σ_{t in steps} a[t, r] b[t, c] for row-major T × · matrices a, b.
    func sum(_ a: Matrix, _ r: Int, _ b: Matrix, _ c: Int, _ steps: [Int]) -> Double {
      var x = 0.0
      for t in steps { x += a.scalars[t * a.cols + r] * b.scalars[t * b.cols + c] }
      return x
    }
    let everyStep = Array(0..<T)
    func steps(_ order: LoopOrder?) -> [Int] { order.map { $0 == .backward ? [0] : [T - 1] } ?? everyStep }
    switch role {
    case .outputWeight:
      let d1 = output(outputKey(s)).delta1
      let w = weights(s)
      let states = s.outputStatePrevious ? fw.Hs.rows(0..<T) : fw.Hs.rows(1..<(T + 1))
      let ts = steps(s.assigned[.outputWeight])
      return indices.map { k in
        let (v, j) = (k / cols, k % cols)
        var x = 0.0
        for t in ts { x += w[t] * d1.scalars[t * V + v] * states.scalars[t * H + j] }
        return x
      }
    case .outputBias:
      guard useBiases else { return indices.map { _ in 0 } }
      let d1 = output(outputKey(s)).delta1
      let w = weights(s)
      let ts = steps(s.assigned[.outputBias])
      return indices.map { v in ts.reduce(0) { $0 + w[$1] * d1.scalars[$1 * V + v] } }
    case .recurrentWeight:
      let G = backward(s).G
      let states = s.recurrentStateNext ? fw.Hs.rows(1..<(T + 1)) : fw.Hs.rows(0..<T)
      let ts = steps(s.assigned[.recurrentWeight])
      return indices.map { k in sum(G, k / cols, states, k % cols, ts) }
    case .inputWeight:
      guard let rows = embeddingRows else { return nil }
      let G = backward(s).G
      let ts = steps(s.assigned[.inputWeight])
      return indices.map { k in sum(G, k / cols, rows, k % cols, ts) }
    case .embedding, .inputColumns:
      let G = backward(s).G
      let pieces = role == .embedding ? MatrixProduct.multiply(G, problem.embedding!.W_e) : G      // T × rows
      if role == .inputColumns, let order = s.assigned[.inputColumns] {
        let i = order == .backward ? 0 : T - 1
        return indices.map { k in k % V == problem.tokens[i] ? G.scalars[i * H + k / V] : 0 }
      }
      // The steps where each word is an input, in order.
      var occurrences: [Int: [Int]] = [:]
      for i in 0..<T { occurrences[problem.tokens[i], default: []].append(i) }
      return indices.map { k in
        let (row, word) = (k / V, k % V)
        guard let at = occurrences[word] else { return 0 }
        let kept: [Int]
        switch s.scatter {
        case nil: kept = at
        case .backward?: kept = [at.first!]
        case .forward?: kept = [at.last!]
        }
        return kept.reduce(0) { $0 + pieces.scalars[$1 * pieces.cols + row] }
      }
    case .recurrentWeightTerms:
      let states = s.recurrentStateNext ? fw.Hs.rows(1..<(T + 1)) : fw.Hs.rows(0..<T)
      let m = s.termsAllLosses ? backward(s).G : lastSweep(s)
      return indices.map { k in
        let i = k / (H * H), a = (k / H) % H, b = k % H
        if !s.termsCumulative { return m.scalars[i * H + a] * states.scalars[i * H + b] }
        return (i..<T).reduce(0) { $0 + m.scalars[$1 * H + a] * states.scalars[$1 * H + b] }
      }
    default:
      guard let v = value(of: item, with: slips) else { return nil }
      return indices.map { v.scalars[$0] }
    }
  }

  /// Σ_i G_i ⊗ R_i (H × cols): the rows i − 1 of G and R; only one i when assigned.
  func sum(_ G: Matrix, _ R: Matrix, assigned: LoopOrder?) -> Matrix {
    if let order = assigned {
      let i = order == .backward ? 0 : T - 1
      return Matrix.outer(G.row(i).T, R.row(i).T)
    }
    return MatrixProduct.multiply(G, R, transposeA: true)
  }

  /// The rows of `pieces` (T × rows) added (or assigned, in a loop of `order`) into column
  /// x^(i) of a rows × |V| matrix.
  func scatter(_ pieces: Matrix, rows: Int, _ order: LoopOrder?) -> Matrix {
    var out = Matrix(rows: rows, cols: V)
    let steps: [Int] = order == .forward ? Array(0..<T) : Array((0..<T).reversed())
    for i in steps {
      let word = problem.tokens[i]
      for k in 0..<rows {
        let piece = pieces.scalars[i * rows + k]
        out.scalars[k * V + word] = (order == nil ? out.scalars[k * V + word] : 0) + piece
      }
    }
    return out
  }

  // MARK: Terms, for localization

  func terms(of item: String) -> StepTerms? {
    // T terms of the item's size: only while they stay small (32 MB).
    guard let role = problem.roles[item], let shape = problem.shapes[item], shape.reduce(1, *) * T <= 1 << 22 else { return nil }
    let none = RecurrentSlips()
    let fw = forward(forwardKey(none))
    let n = problem.names
    let L = n.loss
    switch role {
    case .recurrentWeight, .inputWeight, .hiddenBias, .embedding, .inputColumns:
      let G = backward(none).G
      let ts: [Tensor] = (0..<T).map { i in
        let g = G.row(i).T
        switch role {
        case .recurrentWeight: return Tensor(shape: shape, scalars: Matrix.outer(g, fw.Hs.row(i).T).scalars)
        case .inputWeight: return Tensor(shape: shape, scalars: Matrix.outer(g, embeddingRows!.row(i).T).scalars)
        case .hiddenBias: return Tensor(shape: shape, scalars: g.scalars)
        case .embedding:
          let piece = problem.embedding!.W_e.T * g
          var m = Matrix(rows: piece.rows, cols: V)
          for k in 0..<piece.rows { m[k, problem.tokens[i]] = piece.scalars[k] }
          return Tensor(shape: shape, scalars: m.scalars)
        default:
          var m = Matrix(rows: H, cols: V)
          for k in 0..<H { m[k, problem.tokens[i]] = g.scalars[k] }
          return Tensor(shape: shape, scalars: m.scalars)
        }
      }
      let name: String
      switch role {
      case .recurrentWeight: name = "∂\(L)/∂\(n.recurrentWeight)|_(i) = ∂\(L)/∂z^(i) h^(i−1)ᵀ"
      case .inputWeight: name = "∂\(L)/∂z^(i) e^(i)ᵀ"
      case .hiddenBias: name = "∂\(L)/∂z^(i)"
      case .embedding: name = "\(n.inputWeight)ᵀ ∂\(L)/∂z^(i) in column x^(i)"
      default: name = "∂\(L)/∂z^(i) x^(i)ᵀ"
      }
      return StepTerms(name: name, symbol: "i", terms: ts)
    case .outputWeight, .outputBias, .loss:
      let out = output(outputKey(none))
      let ts: [Tensor] = (0..<T).map { t in
        let d = out.delta1.row(t).T
        switch role {
        case .outputWeight: return Tensor(shape: shape, scalars: Matrix.outer(weight * d, fw.Hs.row(t + 1).T).scalars)
        case .outputBias: return Tensor(shape: shape, scalars: (weight * d).scalars)
        default: return Tensor(scalar: weight * out.losses[t])
        }
      }
      let w = problem.options.reduction == .mean ? "(1/T) " : ""
      let name = role == .outputWeight ? "\(w)δ1^(t) h^(t)ᵀ" : (role == .outputBias ? "\(w)δ1^(t)" : "\(w)\(L)^(t)")
      return StepTerms(name: name, symbol: "t", terms: ts)
    default:
      return nil
    }
  }

  // MARK: Products with one vector

  /// W x for a row-major square W.
  static func multiply(_ W: Matrix, _ x: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: W.rows)
    x.withUnsafeBufferPointer { xv in
      y.withUnsafeMutableBufferPointer { yv in
        guard let xp = xv.baseAddress, let yp = yv.baseAddress else { return }  // an empty W x is all zeros
        multiply(W, xp, into: yp)
      }
    }
    return y
  }

  /// W x for a row-major square W, on raw storage (`x` and `y` of W.rows entries, apart).
  static func multiply(_ W: Matrix, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
    W.scalars.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }   // an empty W x writes nothing
      VectorKernels.matrixVector(w, x, y, W.rows, W.cols)
    }
  }

  /// Wᵀ x for a row-major W, as Σ_r x_r W[r, :] over contiguous rows.
  static func multiplyTransposed(_ W: Matrix, _ x: [Double]) -> [Double] {
    let n = W.cols
    var y = [Double](repeating: 0, count: n)
    W.scalars.withUnsafeBufferPointer { w in
      y.withUnsafeMutableBufferPointer { yv in
        for r in 0..<W.rows {
          let c = x[r]
          if c == 0 { continue }
          let row = w.baseAddress! + r * n
          for j in 0..<n { yv[j] += c * row[j] }
        }
      }
    }
    return y
  }
}
