import Jacobians
import BPTTReference
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Index maps of the gated models' column-form parameters flattened in `named` order
/// (row-major within each matrix), shared by the extended-precision reference below and the
/// differentiable mirror.
///
/// ```
/// LSTM   E (d×V), W_x (4H×d), W_h (4H×H), b (4H), U (V×H), b_2 (V), h0 (H), c0 (H)
/// GRU    E (d×V), W_x (3H×d), W_h (3H×H), b_x (3H), b_h (3H), U (V×H), b_2 (V), h0 (H)
/// ```
struct GateLayout {
  let V: Int, d: Int, H: Int
  /// The number of gate blocks: 4 (LSTM) or 3 (GRU).
  let blocks: Int
  /// Start of each parameter in the flat array.
  let offsets: [Int]

  init(V: Int, d: Int, H: Int, blocks: Int) {
    self.V = V
    self.d = d
    self.H = H
    self.blocks = blocks
    let G = blocks * H
    let sizes = blocks == 4 ? [d * V, G * d, G * H, G, V * H, V, H, H] : [d * V, G * d, G * H, G, G, V * H, V, H]
    var offsets = [0]
    for s in sizes { offsets.append(offsets.last! + s) }
    self.offsets = offsets
  }

  static func lstm(V: Int = gateVocabularySize, d: Int = gateEmbeddingSize, H: Int = gateHiddenSize) -> GateLayout {
    GateLayout(V: V, d: d, H: H, blocks: 4)
  }
  static func gru(V: Int = gateVocabularySize, d: Int = gateEmbeddingSize, H: Int = gateHiddenSize) -> GateLayout {
    GateLayout(V: V, d: d, H: H, blocks: 3)
  }

  var count: Int { offsets.last! }
  func E(_ k: Int, _ w: Int) -> Int { k * V + w }
  func W_x(_ r: Int, _ k: Int) -> Int { offsets[1] + r * d + k }
  func W_h(_ r: Int, _ j: Int) -> Int { offsets[2] + r * H + j }
  /// b (LSTM) or b_x (GRU).
  func b(_ r: Int) -> Int { offsets[3] + r }
  /// b_h (GRU only).
  func b_h(_ r: Int) -> Int { offsets[4] + r }
  func U(_ v: Int, _ j: Int) -> Int { offsets[blocks == 4 ? 4 : 5] + v * H + j }
  func b_2(_ v: Int) -> Int { offsets[blocks == 4 ? 5 : 6] + v }
  func h0(_ j: Int) -> Int { offsets[blocks == 4 ? 6 : 7] + j }
  func c0(_ j: Int) -> Int { offsets[7] + j }
}

/// The block position of each LSTM gate, written from the conventions (CS231n: i f o g;
/// PyTorch: i f g o), as (i, f, o, g).
func referenceGateBlocks(_ order: LSTMGateOrder) -> (i: Int, f: Int, o: Int, g: Int) {
  switch order {
  case .ifog: return (0, 1, 2, 3)
  case .ifgo: return (0, 1, 3, 2)
  }
}

/// An independent forward pass of the LSTM and the GRU over a flat parameter array, in
/// extended precision, written from the model equations; and the truncated objectives
/// (`TruncatedObjective` for the RNN): Σₜ wₜ J^(t) with J^(t) recomputed from the state after
/// step s(t) = `referenceCutStep`, that state frozen at the unperturbed parameters unless s = 0.
///
/// The loops read θ and write their scratch through buffer pointers, allocation-free, because
/// central differences evaluate the objective twice per parameter in every test case.
enum GateReference {
  typealias In = UnsafeBufferPointer<Wide>
  typealias Out = UnsafeMutableBufferPointer<Wide>

  static func sigmoid(_ z: Wide) -> Wide { 1 / (1 + exp(-z)) }

  /// −log softmax(U h + b_2)_target; `logits` is scratch of |V|.
  static func outputLoss(_ θ: In, _ L: GateLayout, _ h: Out, target: Int, logits: Out) -> Wide {
    let H = L.H, oU = L.U(0, 0), ob2 = L.b_2(0)
    var m = -Wide.infinity
    for v in 0..<L.V {
      var s = θ[ob2 + v]
      for j in 0..<H { s += θ[oU + v * H + j] * h[j] }
      logits[v] = s
      if s > m { m = s }
    }
    var sum: Wide = 0
    for v in 0..<L.V { sum += exp(logits[v] - m) }
    return log(sum) + m - logits[target]
  }

  /// −log softmax(U h + b_2)_target on arrays.
  static func outputLoss(_ θ: [Wide], _ L: GateLayout, _ h: [Wide], target: Int) -> Wide {
    θ.withUnsafeBufferPointer { tb in
      withScratch(L.H + L.V) { s in
        for j in 0..<L.H { s[j] = h[j] }
        return outputLoss(tb, L, Out(rebasing: s[0..<L.H]), target: target, logits: Out(rebasing: s[L.H...]))
      }
    }
  }

  /// Scratch buffers for `body`, freed after.
  static func withScratch<R>(_ n: Int, _ body: (Out) -> R) -> R {
    let buffer = Out.allocate(capacity: n)
    buffer.initialize(repeating: 0)
    defer { buffer.deallocate() }
    return body(buffer)
  }

  // MARK: LSTM

  /// (h, c) ← (h^(t), c^(t)) from (h^(t−1), c^(t−1)) in place and the input word w; `a` is
  /// scratch of 4H.
  static func lstmStep(_ θ: In, _ L: GateLayout, _ order: LSTMGateOrder, word w: Int, h: Out, c: Out, a: Out, shift: Shift? = nil) {
    let H = L.H, d = L.d, V = L.V, k = referenceGateBlocks(order)
    let oWx = L.W_x(0, 0), oWh = L.W_h(0, 0), ob = L.b(0)
    for r in 0..<(4 * H) {
      var s = θ[ob + r]
      for q in 0..<d { s += θ[oWx + r * d + q] * θ[q * V + w] }   // W_x E x^(t)
      for j in 0..<H { s += θ[oWh + r * H + j] * h[j] }           // W_h h^(t−1)
      a[r] = s + (shift?.a?[r] ?? 0)
    }
    for j in 0..<H {
      let i = sigmoid(a[k.i * H + j]), f = sigmoid(a[k.f * H + j]), o = sigmoid(a[k.o * H + j]), g = tanh(a[k.g * H + j])
      c[j] = f * c[j] + i * g + (shift?.c?[j] ?? 0)
      h[j] = o * tanh(c[j]) + (shift?.h?[j] ?? 0)
    }
  }

  /// Amounts added to the quantities of one step as it is computed (inside every chain that
  /// computes it; a cut state is not computed, so it is never shifted): the derivative of the
  /// objective with respect to a shift is the total adjoint the truncated gradient carries.
  /// ```
  /// LSTM   a   4H   a^(t) + u before the gates        c   H   c^(t) + u before h^(t)
  ///        h   H    h^(t) + u
  /// GRU    a   3H   (W_x e + b_x) + u                  c   3H  the recurrent terms ah + u
  ///        h   H    h^(t) + u
  /// ```
  struct Shift {
    var step: Int
    var a: [Wide]? = nil
    var c: [Wide]? = nil
    var h: [Wide]? = nil
  }

  /// One step on arrays: (h^(t), c^(t)).
  static func lstmStep(_ θ: [Wide], _ L: GateLayout, _ order: LSTMGateOrder, word w: Int, _ h: [Wide], _ c: [Wide]) -> ([Wide], [Wide]) {
    θ.withUnsafeBufferPointer { tb in
      withScratch(6 * L.H) { s in
        let hb = Out(rebasing: s[0..<L.H]), cb = Out(rebasing: s[L.H..<(2 * L.H)]), a = Out(rebasing: s[(2 * L.H)...])
        for j in 0..<L.H { hb[j] = h[j]; cb[j] = c[j] }
        lstmStep(tb, L, order, word: w, h: hb, c: cb, a: a)
        return (Array(hb), Array(cb))
      }
    }
  }

  /// The states (h^(s), c^(s)), s = 0…T.
  static func lstmStates(_ θ: [Wide], _ L: GateLayout, _ order: LSTMGateOrder, tokens: [Int]) -> [([Wide], [Wide])] {
    var states = [((0..<L.H).map { θ[L.h0($0)] }, (0..<L.H).map { θ[L.c0($0)] })]
    for t in 1..<tokens.count {
      states.append(lstmStep(θ, L, order, word: tokens[t - 1], states[t - 1].0, states[t - 1].1))
    }
    return states
  }

  /// Σₜ wₜ J^(t), J^(t) from the state after step s(t): `frozen[s]` when s ≥ 1, θ's own h0, c0
  /// when s = 0. Consecutive t with the same s share one chain.
  static func lstmObjective(_ θ: [Wide], _ L: GateLayout, _ options: LSTMOptions, tokens: [Int], frozen: [([Wide], [Wide])],
                            shift: Shift? = nil) -> Wide {
    let T = tokens.count - 1, H = L.H
    let total: Wide = θ.withUnsafeBufferPointer { tb in
      withScratch(6 * H + L.V) { s in
        let h = Out(rebasing: s[0..<H]), c = Out(rebasing: s[H..<(2 * H)])
        let a = Out(rebasing: s[(2 * H)..<(6 * H)]), logits = Out(rebasing: s[(6 * H)...])
        var total: Wide = 0
        var chainStart = -1, chainAt = -1
        for t in 1...T {
          let cut = referenceCutStep(options.truncation, t: t)
          if cut != chainStart || chainAt != t - 1 {
            for j in 0..<H {
              h[j] = cut == 0 ? tb[L.h0(j)] : frozen[cut].0[j]
              c[j] = cut == 0 ? tb[L.c0(j)] : frozen[cut].1[j]
            }
            chainStart = cut
            chainAt = cut
          }
          while chainAt < t {
            lstmStep(tb, L, options.gateOrder, word: tokens[chainAt], h: h, c: c, a: a,
                     shift: shift?.step == chainAt + 1 ? shift : nil)
            chainAt += 1
          }
          total += outputLoss(tb, L, h, target: tokens[t], logits: logits)
        }
        return total
      }
    }
    return options.reduction == .mean ? total / Wide(T) : total
  }

  /// The truncated objective at θ′ with the cut states of θ0.
  static func lstmObjective(at θ: [Double], cutStatesFrom θ0: [Double], _ options: LSTMOptions, tokens: [Int], layout L: GateLayout = .lstm()) -> Double {
    let frozen = lstmStates(θ0.map { Wide($0) }, L, options.gateOrder, tokens: tokens)
    return Double(lstmObjective(θ.map { Wide($0) }, L, options, tokens: tokens, frozen: frozen))
  }

  /// Central differences (extended precision) of the truncated objective: one matrix per
  /// parameter, in `LSTMParameters.named` order.
  static func lstmNumericGradient(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) -> [Matrix] {
    let L = GateLayout.lstm(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
    let frozen = lstmStates(p.flattened.map { Wide($0) }, L, options.gateOrder, tokens: tokens)
    return split(TruncatedObjective.gradient(at: p.flattened) { lstmObjective($0, L, options, tokens: tokens, frozen: frozen) }, p.shapes)
  }

  // MARK: GRU

  /// h ← h^(t) from h^(t−1) in place and the input word w; `scratch` of 7H.
  static func gruStep(_ θ: In, _ L: GateLayout, _ options: GRUOptions, word w: Int, h: Out, scratch: Out, shift: Shift? = nil) {
    let H = L.H, d = L.d, V = L.V
    let oWx = L.W_x(0, 0), oWh = L.W_h(0, 0), obx = L.b(0), obh = L.b_h(0)
    // x = W_x E x^(t) + b_x (3H), then r, z, and the candidate's recurrent input.
    let x = Out(rebasing: scratch[0..<(3 * H)]), r = Out(rebasing: scratch[(3 * H)..<(4 * H)])
    let z = Out(rebasing: scratch[(4 * H)..<(5 * H)]), n = Out(rebasing: scratch[(5 * H)..<(6 * H)])
    let rh = Out(rebasing: scratch[(6 * H)..<(7 * H)])
    for q in 0..<(3 * H) {
      var s = θ[obx + q]
      for k in 0..<d { s += θ[oWx + q * d + k] * θ[k * V + w] }
      x[q] = s + (shift?.a?[q] ?? 0)
    }
    for j in 0..<H {
      var sr = θ[obh + j], sz = θ[obh + H + j]
      for m in 0..<H {
        sr += θ[oWh + j * H + m] * h[m]
        sz += θ[oWh + (H + j) * H + m] * h[m]
      }
      r[j] = sigmoid(x[j] + sr + (shift?.c?[j] ?? 0))
      z[j] = sigmoid(x[H + j] + sz + (shift?.c?[H + j] ?? 0))
      rh[j] = r[j] * h[j]
    }
    for j in 0..<H {
      var sn = θ[obh + 2 * H + j]
      switch options.reset {
      case .after:
        // n = tanh(x_n + r ⊙ (W_hn h + b_hn))
        for m in 0..<H { sn += θ[oWh + (2 * H + j) * H + m] * h[m] }
        n[j] = tanh(x[2 * H + j] + r[j] * (sn + (shift?.c?[2 * H + j] ?? 0)))
      case .before:
        // n = tanh(x_n + W_hn (r ⊙ h) + b_hn)
        for m in 0..<H { sn += θ[oWh + (2 * H + j) * H + m] * rh[m] }
        n[j] = tanh(x[2 * H + j] + sn + (shift?.c?[2 * H + j] ?? 0))
      }
    }
    for j in 0..<H {
      h[j] = options.update == .keep ? (1 - z[j]) * n[j] + z[j] * h[j] : z[j] * n[j] + (1 - z[j]) * h[j]
      h[j] += shift?.h?[j] ?? 0
    }
  }

  /// One step on arrays: h^(t).
  static func gruStep(_ θ: [Wide], _ L: GateLayout, _ options: GRUOptions, word w: Int, _ h: [Wide]) -> [Wide] {
    θ.withUnsafeBufferPointer { tb in
      withScratch(8 * L.H) { s in
        let hb = Out(rebasing: s[0..<L.H]), scratch = Out(rebasing: s[L.H...])
        for j in 0..<L.H { hb[j] = h[j] }
        gruStep(tb, L, options, word: w, h: hb, scratch: scratch)
        return Array(hb)
      }
    }
  }

  static func gruStates(_ θ: [Wide], _ L: GateLayout, _ options: GRUOptions, tokens: [Int]) -> [[Wide]] {
    var states = [(0..<L.H).map { θ[L.h0($0)] }]
    for t in 1..<tokens.count { states.append(gruStep(θ, L, options, word: tokens[t - 1], states[t - 1])) }
    return states
  }

  static func gruObjective(_ θ: [Wide], _ L: GateLayout, _ options: GRUOptions, tokens: [Int], frozen: [[Wide]],
                           shift: Shift? = nil) -> Wide {
    let T = tokens.count - 1, H = L.H
    let total: Wide = θ.withUnsafeBufferPointer { tb in
      withScratch(8 * H + L.V) { s in
        let h = Out(rebasing: s[0..<H]), scratch = Out(rebasing: s[H..<(8 * H)]), logits = Out(rebasing: s[(8 * H)...])
        var total: Wide = 0
        var chainStart = -1, chainAt = -1
        for t in 1...T {
          let cut = referenceCutStep(options.truncation, t: t)
          if cut != chainStart || chainAt != t - 1 {
            for j in 0..<H { h[j] = cut == 0 ? tb[L.h0(j)] : frozen[cut][j] }
            chainStart = cut
            chainAt = cut
          }
          while chainAt < t {
            gruStep(tb, L, options, word: tokens[chainAt], h: h, scratch: scratch, shift: shift?.step == chainAt + 1 ? shift : nil)
            chainAt += 1
          }
          total += outputLoss(tb, L, h, target: tokens[t], logits: logits)
        }
        return total
      }
    }
    return options.reduction == .mean ? total / Wide(T) : total
  }

  static func gruObjective(at θ: [Double], cutStatesFrom θ0: [Double], _ options: GRUOptions, tokens: [Int], layout L: GateLayout = .gru()) -> Double {
    let frozen = gruStates(θ0.map { Wide($0) }, L, options, tokens: tokens)
    return Double(gruObjective(θ.map { Wide($0) }, L, options, tokens: tokens, frozen: frozen))
  }

  static func gruNumericGradient(_ p: GRUParameters, tokens: [Int], options: GRUOptions) -> [Matrix] {
    let L = GateLayout.gru(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
    let frozen = gruStates(p.flattened.map { Wide($0) }, L, options, tokens: tokens)
    return split(TruncatedObjective.gradient(at: p.flattened) { gruObjective($0, L, options, tokens: tokens, frozen: frozen) }, p.shapes)
  }

  // MARK: The carries as derivatives with respect to shifts

  /// Central differences of the truncated objective with respect to a shift of each step's
  /// quantity (`Shift`), assembled into `T × n` matrices: the reference for the carries.
  static func numericCarries(T: Int, sizes: [Int], _ objective: (Shift) -> Wide) -> [Matrix] {
    sizes.indices.map { kind in
      let n = sizes[kind]
      var m = Matrix(rows: T, cols: n)
      for t in 1...T {
        let g = TruncatedObjective.gradient(at: [Double](repeating: 0, count: n)) { u in
          switch kind {
          case 0: return objective(Shift(step: t, h: u))
          case 1: return objective(Shift(step: t, c: u))
          default: return objective(Shift(step: t, a: u))
          }
        }
        for j in 0..<n { m[t - 1, j] = g[j] }
      }
      return m
    }
  }

  /// The LSTM's dh, dc, da by central differences.
  static func lstmNumericCarries(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) -> [Matrix] {
    let L = GateLayout.lstm(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
    let θ = p.flattened.map { Wide($0) }
    let frozen = lstmStates(θ, L, options.gateOrder, tokens: tokens)
    return numericCarries(T: tokens.count - 1, sizes: [L.H, L.H, 4 * L.H]) {
      lstmObjective(θ, L, options, tokens: tokens, frozen: frozen, shift: $0)
    }
  }

  /// The GRU's dh, dah, dax by central differences (in that order: h, the recurrent terms, the input terms).
  static func gruNumericCarries(_ p: GRUParameters, tokens: [Int], options: GRUOptions) -> [Matrix] {
    let L = GateLayout.gru(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
    let θ = p.flattened.map { Wide($0) }
    let frozen = gruStates(θ, L, options, tokens: tokens)
    return numericCarries(T: tokens.count - 1, sizes: [L.H, 3 * L.H, 3 * L.H]) {
      gruObjective(θ, L, options, tokens: tokens, frozen: frozen, shift: $0)
    }
  }
}
