import Jacobians

/// The LSTM's parameters in the row-vector convention (CS231n's `lstm_step_forward`:
/// `a = x Wx + prev_h Wh + b`), each the transpose of its column-form counterpart.
///
/// ```
/// e^(t) = x^(t) E                                E    |V| × d   (row x(t) of E)
/// a^(t) = e^(t) W_x + h^(t−1) W_h + b            W_x  d × 4H,  W_h  H × 4H,  b  1 × 4H
/// i, f, o, g, c^(t), h^(t) as in the column form (rows 1 × H),   h0, c0   1 × H
/// ŷ^(t) = softmax(h^(t) U + b_2)                 U    H × |V|,  b_2  1 × |V|
/// ```
/// The gate blocks are the four blocks of H columns of W_x, W_h and b, in the gate order.
public struct RowLSTMParameters: Equatable, Sendable {
  public var E: Matrix
  public var W_x: Matrix
  public var W_h: Matrix
  public var b: Matrix
  public var U: Matrix
  public var b_2: Matrix
  public var h0: Matrix
  public var c0: Matrix

  public init(E: Matrix, W_x: Matrix, W_h: Matrix, b: Matrix, U: Matrix, b_2: Matrix, h0: Matrix, c0: Matrix) {
    self.E = E
    self.W_x = W_x
    self.W_h = W_h
    self.b = b
    self.U = U
    self.b_2 = b_2
    self.h0 = h0
    self.c0 = c0
  }

  /// The row form of column-form parameters: every matrix transposed.
  public init(column p: LSTMParameters) {
    self.init(E: p.E.T, W_x: p.W_x.T, W_h: p.W_h.T, b: p.b.T, U: p.U.T, b_2: p.b_2.T, h0: p.h0.T, c0: p.c0.T)
  }

  /// The column form: every matrix transposed.
  public var columnForm: LSTMParameters {
    LSTMParameters(E: E.T, W_x: W_x.T, W_h: W_h.T, b: b.T, U: U.T, b_2: b_2.T, h0: h0.T, c0: c0.T)
  }

  public var vocabularySize: Int { E.rows }
  public var embeddingSize: Int { E.cols }
  /// H, the smaller dimension of W_h.
  public var hiddenSize: Int { Swift.min(W_h.rows, W_h.cols) }

  /// Throws when the shapes do not fit one another (|V|, d from E; H from W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(H, 4 * H))
    try expectShape("W_x", W_x, Shape(d, 4 * H))
    try expectShape("b", b, Shape(1, 4 * H))
    try expectShape("U", U, Shape(H, V))
    try expectShape("b_2", b_2, Shape(1, V))
    try expectShape("h0", h0, Shape(1, H))
    try expectShape("c0", c0, Shape(1, H))
  }

  /// The parameters by name, in the order E, W_x, W_h, b, U, b_2, h0, c0.
  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W_x", W_x), ("W_h", W_h), ("b", b), ("U", U), ("b_2", b_2), ("h0", h0), ("c0", c0)]
  }
}

/// The LSTM's gradients in the row convention: each parameter gradient the transpose of the
/// column form's; the carries dh, dc (T × H) and da (T × 4H) have rows for timesteps in both
/// forms and are the same matrices.
public struct RowLSTMGradients: Equatable, Sendable {
  public var loss: Double
  public var dE: Matrix
  public var dW_x: Matrix
  public var dW_h: Matrix
  public var db: Matrix
  public var dU: Matrix
  public var db_2: Matrix
  public var dh0: Matrix
  public var dc0: Matrix
  public var dh: Matrix
  public var dc: Matrix
  public var da: Matrix

  /// The row form of column-form gradients.
  public init(column g: LSTMGradients) {
    loss = g.loss
    dE = g.dE.T
    dW_x = g.dW_x.T
    dW_h = g.dW_h.T
    db = g.db.T
    dU = g.dU.T
    db_2 = g.db_2.T
    dh0 = g.dh0.T
    dc0 = g.dc0.T
    dh = g.dh
    dc = g.dc
    da = g.da
  }

  /// The parameter gradients by name, in the order of `RowLSTMParameters.named`.
  public var named: [(name: String, value: Matrix)] {
    [("dE", dE), ("dW_x", dW_x), ("dW_h", dW_h), ("db", db), ("dU", dU), ("db_2", db_2), ("dh0", dh0), ("dc0", dc0)]
  }
}

/// The LSTM language model in the row convention. The forward pass is computed with row
/// vectors, step by step, as CS231n writes it; the gradients are the column form's transposed
/// ((e W_x)ᵀ = W_xᵀ eᵀ: every product transposes):
/// ```
/// ∂J/∂W_x = Σᵢ e^(i)ᵀ (∂J/∂a^(i))     (d × 4H)      ∂J/∂W_h = Σᵢ h^(i−1)ᵀ (∂J/∂a^(i))   (H × 4H)
/// ∂J/∂h^(i−1) ∋ (∂J/∂a^(i)) W_hᵀ       (1 × H)       ∂J/∂U = Σₜ h^(t)ᵀ δ1^(t)             (H × |V|)
/// ```
/// Tokens, options and truncation as in `LSTM`.
public enum RowLSTM {
  /// The forward pass with row vectors; its matrices have rows for timesteps, as the column
  /// form's (`LSTMForwardPass`).
  public static func forward(_ p: RowLSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> LSTMForwardPass {
    do {
      try p.validate()
      try validateGatedSequence(tokens, vocabularySize: p.vocabularySize, truncation: options.truncation, clipping: options.clipping)
    } catch { stop(error) }
    let T = tokens.count - 1, H = p.hiddenSize
    let order = options.gateOrder
    func block(_ m: Matrix, _ gate: LSTMGate) -> Matrix { m.columns((order.block(gate) * H)..<((order.block(gate) + 1) * H)) }
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    var h = p.h0, c = p.c0
    var es: [Matrix] = [], as_: [Matrix] = [], gs: [[Matrix]] = [[], [], [], []]
    var cs = [c], hs = [h], ys: [Matrix] = [], losses: [Double] = []
    for t in 1...T {
      let e = p.E.row(tokens[t - 1])                         // e^(t) = x^(t) E       1 × d
      let a = e * p.W_x + h * p.W_h + p.b                    // 1 × 4H
      let i = sigmoid(block(a, .input)), f = sigmoid(block(a, .forget))
      let o = sigmoid(block(a, .output)), g = tanh(block(a, .cell))
      c = f ⊙ c + i ⊙ g
      h = o ⊙ tanh(c)
      let logits = h * p.U + p.b_2                           // 1 × |V|
      losses.append(CrossEntropy.loss(scores: logits.scalars, label: tokens[t]))
      let m = logits.scalars.max()!
      let ex = logits.map { Elementary.exp($0 - m) }
      es.append(e); as_.append(a)
      for (k, gate) in [i, f, o, g].enumerated() { gs[k].append(gate) }
      cs.append(c); hs.append(h); ys.append(ex / ex.sum())
    }
    func stack(_ rows: [Matrix]) -> Matrix {
      Matrix(rows: rows.count, cols: rows[0].cols, scalars: rows.flatMap(\.scalars))
    }
    let mean = losses.reduce(0, +) / Double(T)
    return LSTMForwardPass(
      gateOrder: order, e: stack(es), a: stack(as_), i: stack(gs[0]), f: stack(gs[1]), o: stack(gs[2]), g: stack(gs[3]),
      c: stack(cs), h: stack(hs), yhat: stack(ys), stepLosses: losses,
      loss: options.reduction == .mean ? mean : losses.reduce(0, +), perplexity: Elementary.exp(mean))
  }

  /// J, from the row-form forward pass.
  public static func loss(_ p: RowLSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> Double {
    forward(p, tokens: tokens, options: options).loss
  }

  /// J, the gradients in the row convention and the carries: `LSTM.gradients` of the column
  /// form, transposed.
  public static func gradients(_ p: RowLSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> RowLSTMGradients {
    do { try p.validate() } catch { stop(error) }
    return RowLSTMGradients(column: LSTM.gradients(p.columnForm, tokens: tokens, options: options))
  }

  /// The truncated objective (`LSTM.surrogateLoss`) of row-form parameters.
  public static func surrogateLoss(
    _ p: RowLSTMParameters, cutStatesFrom p0: RowLSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()
  ) -> Double {
    do {
      try p.validate()
      try p0.validate()
    } catch { stop(error) }
    return LSTM.surrogateLoss(p.columnForm, cutStatesFrom: p0.columnForm, tokens: tokens, options: options)
  }
}
