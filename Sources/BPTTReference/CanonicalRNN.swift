import Jacobians

/// The canonical RNN of note 001 (min-char-rnn's shape): no separate embedding, the one-hot input
/// multiplies W_xh directly.
///
/// ```
/// h_t = tanh(W_xh x_t + W_hh h_{t−1} + b_h)      W_xh  H × |V|,  W_hh  H × H,  b_h  H × 1
/// y_t = softmax(W_yh h_t + b_y)                  W_yh  |V| × H,  b_y  |V| × 1,  h0  H × 1
/// E   = Σₜ E_t,   E_t = −log y_t[x(t+1)]        (loss summed over t by default)
/// ```
/// It is the column form with E = I fixed and W_xh in the place of W_e: W_xh x_t is column x(t)
/// of W_xh, and only the columns of words that occur receive a gradient.
public struct CanonicalRNNParameters: Equatable, Sendable {
  public var W_xh: Matrix
  public var W_hh: Matrix
  public var W_yh: Matrix
  public var b_h: Matrix
  public var b_y: Matrix
  public var h0: Matrix

  public init(W_xh: Matrix, W_hh: Matrix, W_yh: Matrix, b_h: Matrix, b_y: Matrix, h0: Matrix) {
    self.W_xh = W_xh
    self.W_hh = W_hh
    self.W_yh = W_yh
    self.b_h = b_h
    self.b_y = b_y
    self.h0 = h0
  }

  public var vocabularySize: Int { W_xh.cols }
  public var hiddenSize: Int { W_hh.rows }

  /// Seeded random parameters, uniform in `[−scale, scale)`, drawn in the order W_xh, W_hh,
  /// W_yh, b_h, b_y, h0.
  public static func random(vocabularySize V: Int, hiddenSize H: Int, scale: Double = 0.5, using rng: inout SplitMix64) -> CanonicalRNNParameters {
    CanonicalRNNParameters(
      W_xh: rng.matrix(H, V, -scale, scale), W_hh: rng.matrix(H, H, -scale, scale),
      W_yh: rng.matrix(V, H, -scale, scale), b_h: rng.matrix(H, 1, -scale, scale),
      b_y: rng.matrix(V, 1, -scale, scale), h0: rng.matrix(H, 1, -scale, scale))
  }

  /// The column form with E = I (|V| × |V|) and W_e = W_xh. Meant for small vocabularies.
  public var columnForm: RNNParameters {
    RNNParameters(E: .identity(vocabularySize), W_h: W_hh, W_e: W_xh, b_1: b_h, U: W_yh, b_2: b_y, h0: h0)
  }

  public func validate() throws(RNNInputError) {
    let V = vocabularySize, H = hiddenSize
    try expectShape("W_hh", W_hh, Shape(H, H))
    try expectShape("W_yh", W_yh, Shape(V, H))
    try expectShape("b_h", b_h, Shape(H, 1))
    try expectShape("b_y", b_y, Shape(V, 1))
    try expectShape("h0", h0, Shape(H, 1))
  }
}

/// The gradients of the canonical RNN; each has the shape of its parameter.
public struct CanonicalRNNGradients: Equatable, Sendable {
  public var dW_xh: Matrix
  public var dW_hh: Matrix
  public var dW_yh: Matrix
  public var db_h: Matrix
  public var db_y: Matrix
  public var dh0: Matrix

  public init(dW_xh: Matrix, dW_hh: Matrix, dW_yh: Matrix, db_h: Matrix, db_y: Matrix, dh0: Matrix) {
    self.dW_xh = dW_xh
    self.dW_hh = dW_hh
    self.dW_yh = dW_yh
    self.db_h = db_h
    self.db_y = db_y
    self.dh0 = dh0
  }

  public var named: [(name: String, value: Matrix)] {
    [("dW_xh", dW_xh), ("dW_hh", dW_hh), ("dW_yh", dW_yh), ("db_h", db_h), ("db_y", db_y), ("dh0", dh0)]
  }

  /// The gradients with `clipping` applied (min-char-rnn clips by value, c = 5).
  public func clipped(_ clipping: Clipping) -> CanonicalRNNGradients {
    let all = named.map(\.value)
    switch GradientClipping.rule(clipping, norm: clipping.needsNorm ? GradientClipping.globalNorm(all) : 0) {
    case .keep: return self
    case .scale(let s): return map { s * $0 }
    case .clamp(let c): return map { GradientClipping.clamp($0, c) }
    }
  }

  func map(_ f: (Matrix) -> Matrix) -> CanonicalRNNGradients {
    CanonicalRNNGradients(dW_xh: f(dW_xh), dW_hh: f(dW_hh), dW_yh: f(dW_yh), db_h: f(db_h), db_y: f(db_y), dh0: f(dh0))
  }
}

/// Forward pass and BPTT of the canonical RNN (note 001). Default options: tanh, biases, loss
/// summed over t, full BPTT, no clipping. Tokens and time indices as in `BPTT`.
///
/// ```
/// dW_yh = Σₜ wₜ (y_t − onehot(x(t+1))) h_tᵀ        dW_xh[:, x(t)] += ∂E/∂z_t
/// dW_hh = Σₜ ∂E/∂z_t h_{t−1}ᵀ                      db_h = Σₜ ∂E/∂z_t,  dh0 = W_hhᵀ ∂E/∂z_1
/// ```
public enum CanonicalRNN {
  /// tanh, biases, sum over t: min-char-rnn's model.
  public static let defaultOptions = RNNOptions(activation: .tanh, useBiases: true, reduction: .sum)

  public static func forward(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) -> RNNForwardPass {
    let (core, A) = prepare(p, tokens: tokens, options: options)
    return RNNForwardPass(core.forward(inputTerms: A, targets: Array(tokens.dropFirst())), reduction: options.reduction, columns: true)
  }

  public static func loss(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) -> Double {
    let (core, A) = prepare(p, tokens: tokens, options: options)
    let losses = core.forward(inputTerms: A, targets: Array(tokens.dropFirst())).stepLosses
    let s = losses.reduce(0, +)
    return options.reduction == .mean ? s / Double(losses.count) : s
  }

  public static func gradients(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions = CanonicalRNN.defaultOptions) -> CanonicalRNNGradients {
    let (core, A) = prepare(p, tokens: tokens, options: options)
    let targets = Array(tokens.dropFirst())
    let T = targets.count, H = p.hiddenSize, V = p.vocabularySize
    var fwd = core.forward(inputTerms: A, targets: targets)
    let back = core.backward(&fwd, targets: targets, weights: RecurrentCore.weights(steps: T, reduction: options.reduction),
                             truncation: options.truncation)
    var dW_xh = Matrix(rows: H, cols: V)
    for t in 0..<T {
      for i in 0..<H { dW_xh.scalars[i * V + tokens[t]] += back.Gz.scalars[t * H + i] }
    }
    return CanonicalRNNGradients(dW_xh: dW_xh, dW_hh: back.dW_h, dW_yh: back.dU, db_h: back.db_1, db_y: back.db_2, dh0: back.dh0)
      .clipped(options.clipping)
  }

  /// The core and the input terms A (T × H, row t−1 = column x(t) of W_xh, transposed).
  static func prepare(_ p: CanonicalRNNParameters, tokens: [Int], options: RNNOptions) -> (RecurrentCore, Matrix) {
    do {
      try p.validate()
      try validateSequence(tokens, vocabularySize: p.vocabularySize, options: options)
    } catch { stop(error) }
    let T = tokens.count - 1, H = p.hiddenSize, V = p.vocabularySize
    var A = Matrix(rows: T, cols: H)
    for t in 0..<T {
      for i in 0..<H { A.scalars[t * H + i] = p.W_xh.scalars[i * V + tokens[t]] }
    }
    let core = RecurrentCore(
      W_h: p.W_hh, b_1: options.useBiases ? p.b_h : nil, U: p.W_yh, b_2: options.useBiases ? p.b_y : nil,
      h0: p.h0, activation: options.activation)
    return (core, A)
  }
}
