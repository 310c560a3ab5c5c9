#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Jacobians

/// The objectives of the RNN language model along a line through its point, for directional
/// numeric checks: one scalar function φ(ε) per direction c, whose derivative at 0 is the
/// projection ⟨item, c⟩ of one item, computed without any derivative.
///
/// ```
/// z^(i)(ε)  = (W_h + ε c_{W_h} + ε c_{W_h|(i)}) h^(i−1)(ε) + (W_e + ε c_{W_e})(e^(i) + ε c_E[:, x(i)]) + b_1 + ε c_{b_1}
/// h^(i)(ε)  = f̄_i(z^(i)(ε)),       h^(0)(ε) = h0 + ε c_{h0}
/// θ^(t)(ε)  = (U + ε c_U) f̄_t(z^(t)(ε) + ε c_z^(t)) + b_2 + ε c_{b_2} + ε c_θ^(t)
/// J^(t)(ε)  = −log softmax(θ^(t)(ε))_{x(t+1)}
/// φ(ε)      = Σ_t w_t J^(t)(ε)      loss: w_t = 1/T (mean) or 1 (sum);  stepLosses: w_t = 1;
///                                   lastStep: J^(T) alone
/// ```
/// so that, each direction absent being zero,
/// ```
/// φ′(0) = ⟨∂J/∂θ, c_θ⟩                          for a parameter θ (loss)
///       = Σ_t ⟨δ1^(t), c_θ^(t)⟩                  logits of step t (stepLosses): delta1
///       = Σ_t ⟨δ2^(t), c_z^(t)⟩                  the output branch of z^(t) (stepLosses): delta2
///       = Σ_i ⟨∂J^(T)/∂W_h|_(i), c_{W_h|(i)}⟩    each step's copy of W_h (lastStep): dW_h_terms
/// ```
/// c_z^(t) moves z^(t) only on its way to step t's output: the recurrence goes on from
/// f̄_t(z^(t)), so none of the cross terms ∂J^(t)/∂z^(s), s < t, leak into δ2^(t).
///
/// Kinks: f̄_i is f on the piece that holds z̄^(i), the pre-activation at ε = 0
/// (`Activation.onPiece`): f itself for σ, tanh and swish. φ then agrees with the objective for
/// |ε| below the distance to the nearest kink and has the same derivative at 0, but no step,
/// however many pre-activations it moves, crosses a kink.
///
/// Truncation: under a truncation that cuts, each J^(t) is the truncated surrogate's
/// (`BPTT.truncatedSurrogateLoss`): its chain starts at s_t = firstKeptStep(t) − 1 from the
/// frozen state h̄^(s_t) of the point (from h^(0)(ε) when s_t = 0), so φ′(0) is the truncated
/// gradient the reference computes.
///
/// The one-hot input of the canonical RNN (note 001) has no E: its input term is column x(i) of
/// W_xh, and c_{W_e} is then `H × |V|`.
///
/// Cost of one evaluation: the recurrence (T·H² per chain step) and the output layer (T·|V|·H);
/// for directions that leave the hidden states unmoved (U, b_2, the logits) only the softmaxes
/// (T·|V|), after one product `c_U h` per direction.
///
/// One entry: a direction that moves a single entry of one quantity (`Direction.entry`, the basis
/// directions of an exact estimate) is evaluated without forming c or any array of the line's
/// size (`entryValues`), to the same bits as its dense form.
public struct RNNLine {
  /// The quantities a direction moves, each with its part of `Direction`.
  public enum Quantity: Sendable, Equatable, CaseIterable {
    case E, W_h, W_e, b_1, U, b_2, h0, W_hAtStep, logits, outputPreactivations
  }

  /// Which loss terms φ sums.
  public enum Objective: Sendable, Equatable {
    /// J = w Σ_t J^(t), as the options reduce it.
    case loss
    /// Σ_t J^(t), each step's own loss term unscaled.
    case stepLosses
    /// J^(T) alone.
    case lastStep
  }

  /// The direction c, one optional part per quantity it moves (nil: unmoved). Shapes as the
  /// quantities; vectors may be columns or rows.
  public struct Direction {
    /// `d × |V|` (the column form only).
    public var E: Matrix?
    /// `H × H`.
    public var W_h: Matrix?
    /// `H × d`, or `H × |V|` for the one-hot input (W_xh).
    public var W_e: Matrix?
    /// H entries.
    public var b_1: Matrix?
    /// `|V| × H`.
    public var U: Matrix?
    /// |V| entries.
    public var b_2: Matrix?
    /// H entries.
    public var h0: Matrix?
    /// `T × H·H`: row i − 1 moves the copy of W_h used at step i (row-major H × H).
    public var W_hAtStep: Matrix?
    /// The same, one step at a time: `(i, out)` writes row i − 1 of W_hAtStep (H·H entries)
    /// into `out`, so that the T·H² entries are never held at once. Used when W_hAtStep is nil.
    public var W_hAtStepSlices: ((_ step: Int, _ out: UnsafeMutableBufferPointer<Double>) -> Void)?
    /// `T × |V|`: row t − 1 moves the logits θ^(t).
    public var logits: Matrix?
    /// `T × H`: row t − 1 moves z^(t) on its way to step t's output only.
    public var outputPreactivations: Matrix?
    /// Entry `index` (row-major in the quantity's shape) of one quantity, by 1, and nothing else:
    /// the basis direction of that entry, which the line evaluates without forming it. Set alone.
    public var entry: (quantity: Quantity, index: Int)?

    /// The basis direction of entry `index` of `quantity` (row-major in its shape).
    public static func entry(_ quantity: Quantity, _ index: Int) -> Direction {
      var c = Direction()
      c.entry = (quantity, index)
      return c
    }

    /// The part that moves `quantity` (`W_hAtStepSlices` aside).
    public subscript(part quantity: Quantity) -> Matrix? {
      get {
        switch quantity {
        case .E: return E
        case .W_h: return W_h
        case .W_e: return W_e
        case .b_1: return b_1
        case .U: return U
        case .b_2: return b_2
        case .h0: return h0
        case .W_hAtStep: return W_hAtStep
        case .logits: return logits
        case .outputPreactivations: return outputPreactivations
        }
      }
      set {
        switch quantity {
        case .E: E = newValue
        case .W_h: W_h = newValue
        case .W_e: W_e = newValue
        case .b_1: b_1 = newValue
        case .U: U = newValue
        case .b_2: b_2 = newValue
        case .h0: h0 = newValue
        case .W_hAtStep: W_hAtStep = newValue
        case .logits: logits = newValue
        case .outputPreactivations: outputPreactivations = newValue
        }
      }
    }

    /// The direction that moves `quantity` along `part` alone.
    public init(_ quantity: Quantity, _ part: Matrix) {
      self.init()
      self[part: quantity] = part
    }

    /// True when a part other than `entry` is set.
    var movesParts: Bool {
      !(W_hAtStepSlices == nil && E == nil && W_h == nil && W_e == nil && b_1 == nil && U == nil && b_2 == nil
        && h0 == nil && W_hAtStep == nil && logits == nil && outputPreactivations == nil)
    }

    public init(E: Matrix? = nil, W_h: Matrix? = nil, W_e: Matrix? = nil, b_1: Matrix? = nil, U: Matrix? = nil,
                b_2: Matrix? = nil, h0: Matrix? = nil, W_hAtStep: Matrix? = nil, logits: Matrix? = nil,
                outputPreactivations: Matrix? = nil,
                W_hAtStepSlices: ((_ step: Int, _ out: UnsafeMutableBufferPointer<Double>) -> Void)? = nil) {
      self.W_hAtStepSlices = W_hAtStepSlices
      self.E = E
      self.W_h = W_h
      self.W_e = W_e
      self.b_1 = b_1
      self.U = U
      self.b_2 = b_2
      self.h0 = h0
      self.W_hAtStep = W_hAtStep
      self.logits = logits
      self.outputPreactivations = outputPreactivations
    }
  }

  let W_h: Matrix, W_e: Matrix, E: Matrix?, b_1: [Double], U: Matrix, b_2: [Double], h0: [Double]
  let tokens: [Int]
  let options: RNNOptions
  /// At ε = 0: Z (T × H), Hs ((T+1) × H, row 0 = h0), the input terms A (T × H) and the logits
  /// (T × |V|).
  let Z: Matrix, Hs: Matrix, A: Matrix, logits: Matrix
  /// Every parameter and every state of the point is finite (`entryValues` then applies);
  /// false without looking past `entryPathLimit` numbers (the dense path then serves entries).
  let pointIsFinite: Bool
  /// The entry path is kept for lines of at most this many parameters and logits (the sizes at
  /// which items are estimated entry by entry), so that a large line's construction does not
  /// read its parameters once more.
  static let entryPathLimit = 1 << 16
  /// The point's output rows, for `entryValues` (nil where it does not use them).
  let pointRows: PointRows?

  /// The column form (notes 002/003).
  public init(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) {
    do { try BPTT.validate(p, tokens: tokens, options: options) } catch { stop(error) }
    self.init(W_h: p.W_h, W_e: p.W_e, E: p.E, b_1: p.b_1, U: p.U, b_2: p.b_2, h0: p.h0, tokens: tokens, options: options)
  }

  /// The canonical RNN (note 001): W_xh in the place of W_e, a one-hot input.
  public init(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) {
    do {
      try p.validate()
      try validateSequence(tokens, vocabularySize: p.vocabularySize, options: options)
    } catch { stop(error) }
    self.init(W_h: p.W_hh, W_e: p.W_xh, E: nil, b_1: p.b_h, U: p.W_yh, b_2: p.b_y, h0: p.h0, tokens: tokens, options: options)
  }

  init(W_h: Matrix, W_e: Matrix, E: Matrix?, b_1: Matrix, U: Matrix, b_2: Matrix, h0: Matrix, tokens: [Int], options: RNNOptions) {
    self.W_h = W_h
    self.W_e = W_e
    self.E = E
    self.b_1 = b_1.scalars
    self.U = U
    self.b_2 = b_2.scalars
    self.h0 = h0.scalars
    self.tokens = tokens
    self.options = options
    let T = tokens.count - 1, H = W_h.rows
    var A = Matrix(rows: T, cols: H)
    for t in 0..<T {
      let a = RNNLine.inputTerm(W_e, nil, E, nil, token: tokens[t], ε: 0)
      for j in 0..<H { A.scalars[t * H + j] = a[j] }
    }
    self.A = A
    // The forward pass at ε = 0 with f itself (f̄ = f there).
    var Z = Matrix(rows: T, cols: H), Hs = Matrix(rows: T + 1, cols: H)
    for j in 0..<H { Hs.scalars[j] = h0.scalars[j] }
    var z = [Double](repeating: 0, count: H)
    let f = options.activation
    for t in 0..<T {
      W_h.scalars.withUnsafeBufferPointer { W in
        Hs.scalars.withUnsafeBufferPointer { hs in
          z.withUnsafeMutableBufferPointer { zp in
            RecurrentCore.matrixVector(W.baseAddress!, hs.baseAddress! + t * H, zp.baseAddress!, H)
          }
        }
      }
      for j in 0..<H {
        var zj = z[j] + A.scalars[t * H + j]
        if options.useBiases { zj += b_1.scalars[j] }
        Z.scalars[t * H + j] = zj
        Hs.scalars[(t + 1) * H + j] = f(zj)
      }
    }
    self.Z = Z
    self.Hs = Hs
    var L = MatrixProduct.multiply(Hs.rows(1..<(T + 1)), U, transposeB: true)
    if options.useBiases {
      let V = U.rows
      for t in 0..<T { for v in 0..<V { L.scalars[t * V + v] += b_2.scalars[v] } }
    }
    self.logits = L
    let numbers = [W_h.scalars, W_e.scalars, E?.scalars ?? [], b_1.scalars, U.scalars, b_2.scalars, h0.scalars, Hs.scalars]
    pointIsFinite = numbers.reduce(L.count) { $0 + $1.count } <= RNNLine.entryPathLimit && numbers.allSatisfy { $0.allSatisfy(\.isFinite) }
    pointRows = pointIsFinite ? PointRows(logits: L, tokens: tokens, hiddenSize: H) : nil
  }

  /// T.
  public var steps: Int { tokens.count - 1 }
  /// z̄^(t) at the point: `T × H`, row t − 1.
  public var preactivations: Matrix { Z }
  /// θ̄^(t) = U h̄^(t) + b_2 at the point: `T × |V|`, row t − 1.
  public var pointLogits: Matrix { logits }
  var hiddenSize: Int { W_h.rows }
  var vocabularySize: Int { U.rows }

  /// φ(0): the objective at the point.
  public func value(_ objective: Objective) -> Double {
    values(at: [0], along: Direction(), objective: objective)[0]
  }

  /// φ(ε) for every ε of `es`, along `c`. Work that does not depend on ε (the product c_U h for
  /// unmoved states) is done once for all of them.
  public func values(at es: [Double], along c: Direction, objective: Objective) -> [Double] {
    if let (quantity, index) = c.entry {
      precondition(!c.movesParts, "a direction of one entry moves nothing else")
      if let values = entryValues(at: es, quantity: quantity, index: index, objective: objective) { return values }
      return values(at: es, along: Direction(quantity, basisPart(quantity, index)), objective: objective)
    }
    let T = steps, H = hiddenSize, V = vocabularySize
    let outputSteps: [Int] = objective == .lastStep ? [T] : Array(1...T)
    let weight: Double
    switch objective {
    case .loss: weight = options.reduction.weight(steps: T)
    case .stepLosses, .lastStep: weight = 1
    }
    let biases = options.useBiases
    let movesStates = c.E != nil || c.W_h != nil || c.W_e != nil || (biases && c.b_1 != nil) || c.h0 != nil
      || c.W_hAtStep != nil || c.W_hAtStepSlices != nil || c.outputPreactivations != nil
    // ε times these rows is added to the logits of output step r (row r of the output steps).
    var logitShift: Matrix? = nil
    if c.logits != nil || (biases && c.b_2 != nil) {
      var shift = Matrix(rows: outputSteps.count, cols: V)
      for (r, t) in outputSteps.enumerated() {
        if let cl = c.logits { for v in 0..<V { shift.scalars[r * V + v] += cl.scalars[(t - 1) * V + v] } }
        if biases, let cb = c.b_2 { for v in 0..<V { shift.scalars[r * V + v] += cb.scalars[v] } }
      }
      logitShift = shift
    }

    if !movesStates {
      // θ^(t)(ε) = θ̄^(t) + ε (c_U h̄^(t) + c_{b_2} + c_θ^(t)): the states stay those of the point.
      var shift = logitShift ?? Matrix(rows: outputSteps.count, cols: V)
      if let cU = c.U {
        var hOut = Matrix(rows: outputSteps.count, cols: H)
        for (r, t) in outputSteps.enumerated() { for j in 0..<H { hOut.scalars[r * H + j] = Hs.scalars[t * H + j] } }
        let product = MatrixProduct.multiply(hOut, cU, transposeB: true)
        for k in 0..<shift.count { shift.scalars[k] += product.scalars[k] }
      }
      return es.map { ε in
        var total = 0.0
        var row = [Double](repeating: 0, count: V)
        for (r, t) in outputSteps.enumerated() {
          for v in 0..<V { row[v] = logits.scalars[(t - 1) * V + v] + ε * shift.scalars[r * V + v] }
          total += RNNLine.crossEntropy(row, target: tokens[t])
        }
        return weight * total
      }
    }

    // The states move: run the chains for each ε, then the output layer for them all.
    var results: [Double] = []
    results.reserveCapacity(es.count)
    // The chains of every ε together (T·H each), then the output layer.
    let allStates = outputStates(es: es, along: c, steps: outputSteps)
    // Output rows per product: at most 256 (two to seven ε at a time), for memory.
    let perProduct = Swift.max(1, 256 / outputSteps.count)
    var start = 0
    while start < es.count {
      let first = start
      let group = Array(es[start..<Swift.min(es.count, start + perProduct)])
      start += group.count
      let rows = outputSteps.count
      var hOut = Matrix(rows: group.count * rows, cols: H)
      for g in group.indices {
        let states = allStates[first + g]
        for k in 0..<(rows * H) { hOut.scalars[g * rows * H + k] = states.scalars[k] }
      }
      var L = MatrixProduct.multiply(hOut, U, transposeB: true)
      let cUProduct = c.U.map { MatrixProduct.multiply(hOut, $0, transposeB: true) }
      for (g, ε) in group.enumerated() {
        var total = 0.0
        L.scalars.withUnsafeMutableBufferPointer { l in
          for (r, t) in outputSteps.enumerated() {
            let row = l.baseAddress! + (g * rows + r) * V
            if biases { for v in 0..<V { row[v] += b_2[v] } }
            if let shift = logitShift { for v in 0..<V { row[v] += ε * shift.scalars[r * V + v] } }
            if let P = cUProduct { for v in 0..<V { row[v] += ε * P.scalars[(g * rows + r) * V + v] } }
            total += RNNLine.crossEntropy(UnsafeBufferPointer(start: row, count: V), target: tokens[t])
          }
        }
        results.append(weight * total)
      }
    }
    return results
  }

  /// The states that feed the output of each step of `steps` (ascending, 1-based) at each ε of
  /// `es`: per ε, `steps.count × H`, row r = f̄_t(z^(t)(ε) + ε c_z^(t)) for t = steps[r], each
  /// from its (truncated) chain. The chains of every ε run in step: each step's slice of
  /// c_{W_h|(i)} is read (or drawn) once for all of them.
  func outputStates(es: [Double], along c: Direction, steps outputSteps: [Int]) -> [Matrix] {
    let H = hiddenSize, n = es.count
    let f = options.activation
    let biases = options.useBiases
    let Wε = es.map { ε in c.W_h.map { W_h + ε * $0 } ?? W_h }
    let inputMoves = c.E != nil || c.W_e != nil
    let bε: [[Double]] = es.map { ε in
      var b = b_1
      if biases, let cb = c.b_1 { for j in 0..<H { b[j] += ε * cb.scalars[j] } }
      return b
    }
    let h0ε: [[Double]] = es.map { ε in
      var h = h0
      if let ch = c.h0 { for j in 0..<H { h[j] += ε * ch.scalars[j] } }
      return h
    }
    let slices = c.W_hAtStep == nil ? c.W_hAtStepSlices : nil
    var slice = [Double](repeating: 0, count: slices == nil ? 0 : H * H)

    var out = [Matrix](repeating: Matrix(rows: outputSteps.count, cols: H), count: n)
    var h = [[Double]](repeating: [Double](repeating: 0, count: H), count: n)
    var z = h
    var extra = [Double](repeating: 0, count: H)
    var chainStart = -1, reached = -1
    var zStep = -1                               // the step whose pre-activation z holds
    for (r, t) in outputSteps.enumerated() {
      let s = options.truncation.firstKeptStep(for: t) - 1
      if s != chainStart || reached > t {
        chainStart = s
        reached = s
        for g in 0..<n {
          if s == 0 { h[g] = h0ε[g] } else { for j in 0..<H { h[g][j] = Hs.scalars[s * H + j] } }
        }
      }
      while reached < t {
        let i = reached + 1                      // step i, row i − 1
        if let slices { slice.withUnsafeMutableBufferPointer { slices(i, $0) } }
        for (g, ε) in es.enumerated() {
          Wε[g].scalars.withUnsafeBufferPointer { W in
            h[g].withUnsafeBufferPointer { hp in
              z[g].withUnsafeMutableBufferPointer { zp in
                RecurrentCore.matrixVector(W.baseAddress!, hp.baseAddress!, zp.baseAddress!, H)
              }
            }
          }
          if c.W_hAtStep != nil || slices != nil {
            func moved(_ C: UnsafePointer<Double>) {
              h[g].withUnsafeBufferPointer { hp in
                extra.withUnsafeMutableBufferPointer { ep in
                  RecurrentCore.matrixVector(C, hp.baseAddress!, ep.baseAddress!, H)
                }
              }
            }
            if let cs = c.W_hAtStep {
              cs.scalars.withUnsafeBufferPointer { moved($0.baseAddress! + (i - 1) * H * H) }
            } else {
              slice.withUnsafeBufferPointer { moved($0.baseAddress!) }
            }
            for j in 0..<H { z[g][j] += ε * extra[j] }
          }
          if inputMoves {
            let a = RNNLine.inputTerm(W_e, c.W_e, E, c.E, token: tokens[i - 1], ε: ε)
            for j in 0..<H { z[g][j] += a[j] }
          } else {
            for j in 0..<H { z[g][j] += A.scalars[(i - 1) * H + j] }
          }
          if biases { for j in 0..<H { z[g][j] += bε[g][j] } }
          for j in 0..<H { h[g][j] = f.onPiece(of: Z.scalars[(i - 1) * H + j], z[g][j]) }
        }
        reached = i
        zStep = i
      }
      for (g, ε) in es.enumerated() {
        if let cz = c.outputPreactivations {
          precondition(zStep == t, "the chain of step \(t) ends at step \(t)")
          for j in 0..<H {
            out[g].scalars[r * H + j] = f.onPiece(of: Z.scalars[(t - 1) * H + j], z[g][j] + ε * cz.scalars[(t - 1) * H + j])
          }
        } else {
          for j in 0..<H { out[g].scalars[r * H + j] = h[g][j] }
        }
      }
    }
    return out
  }

  /// The input term of z^(i) at ε: (W_e + ε c_{W_e})(E[:, x] + ε c_E[:, x]), or for the one-hot
  /// input (E nil) column x of W_xh + ε c_{W_xh}; nothing of the size of W is formed.
  static func inputTerm(_ W: Matrix, _ cW: Matrix?, _ E: Matrix?, _ cE: Matrix?, token x: Int, ε: Double) -> [Double] {
    let H = W.rows
    guard let E else {
      let V = W.cols
      var a = (0..<H).map { W.scalars[$0 * V + x] }
      if let cW { for j in 0..<H { a[j] += ε * cW.scalars[j * V + x] } }
      return a
    }
    let d = E.rows, V = E.cols
    var e = (0..<d).map { E.scalars[$0 * V + x] }
    if let cE { for k in 0..<d { e[k] += ε * cE.scalars[k * V + x] } }
    var a = [Double](repeating: 0, count: H)
    for j in 0..<H {
      var s = 0.0
      for k in 0..<d { s += W.scalars[j * d + k] * e[k] }
      if let cW {
        var m = 0.0
        for k in 0..<d { m += cW.scalars[j * d + k] * e[k] }
        s += ε * m
      }
      a[j] = s
    }
    return a
  }

  /// −log softmax(l)_target = log Σ exp(l − m) + m − l_target, m = max l.
  static func crossEntropy(_ l: UnsafeBufferPointer<Double>, target: Int) -> Double {
    var m = -Double.infinity
    for x in l where x > m { m = x }
    if !m.isFinite { m = 0 }
    var s = 0.0
    for x in l { s += exp(x - m) }
    return (log(s) + m) - l[target]
  }

  static func crossEntropy(_ l: [Double], target: Int) -> Double {
    l.withUnsafeBufferPointer { crossEntropy($0, target: target) }
  }
}
