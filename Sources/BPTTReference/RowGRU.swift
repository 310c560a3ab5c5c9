import Jacobians

/// The GRU's parameters in the row-vector convention, each the transpose of its column-form
/// counterpart (d2l writes the GRU this way: `R = sigmoid(X W_xr + H W_hr + b_r)`).
///
/// ```
/// e^(t) = x^(t) E                                 E    |V| × d
/// ax = e^(t) W_x + b_x,  ah = h^(t−1) W_h + b_h    W_x  d × 3H,  W_h  H × 3H,  b_x, b_h  1 × 3H
/// r, z, n, h^(t) as in the column form (rows 1 × H)            h0  1 × H
/// ŷ^(t) = softmax(h^(t) U + b_2)                  U    H × |V|,  b_2  1 × |V|
/// ```
/// The blocks r, z, n are the three blocks of H columns of W_x, W_h, b_x, b_h.
public struct RowGRUParameters: Equatable, Sendable {
  public var E: Matrix
  public var W_x: Matrix
  public var W_h: Matrix
  public var b_x: Matrix
  public var b_h: Matrix
  public var U: Matrix
  public var b_2: Matrix
  public var h0: Matrix

  public init(E: Matrix, W_x: Matrix, W_h: Matrix, b_x: Matrix, b_h: Matrix, U: Matrix, b_2: Matrix, h0: Matrix) {
    self.E = E
    self.W_x = W_x
    self.W_h = W_h
    self.b_x = b_x
    self.b_h = b_h
    self.U = U
    self.b_2 = b_2
    self.h0 = h0
  }

  /// The row form of column-form parameters: every matrix transposed.
  public init(column p: GRUParameters) {
    self.init(E: p.E.T, W_x: p.W_x.T, W_h: p.W_h.T, b_x: p.b_x.T, b_h: p.b_h.T, U: p.U.T, b_2: p.b_2.T, h0: p.h0.T)
  }

  /// The column form: every matrix transposed.
  public var columnForm: GRUParameters {
    GRUParameters(E: E.T, W_x: W_x.T, W_h: W_h.T, b_x: b_x.T, b_h: b_h.T, U: U.T, b_2: b_2.T, h0: h0.T)
  }

  public var vocabularySize: Int { E.rows }
  public var embeddingSize: Int { E.cols }
  /// H, the smaller dimension of W_h.
  public var hiddenSize: Int { Swift.min(W_h.rows, W_h.cols) }

  /// Throws when the shapes do not fit one another (|V|, d from E; H from W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(H, 3 * H))
    try expectShape("W_x", W_x, Shape(d, 3 * H))
    try expectShape("b_x", b_x, Shape(1, 3 * H))
    try expectShape("b_h", b_h, Shape(1, 3 * H))
    try expectShape("U", U, Shape(H, V))
    try expectShape("b_2", b_2, Shape(1, V))
    try expectShape("h0", h0, Shape(1, H))
  }

  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W_x", W_x), ("W_h", W_h), ("b_x", b_x), ("b_h", b_h), ("U", U), ("b_2", b_2), ("h0", h0)]
  }
}

/// The GRU's gradients in the row convention: parameter gradients transposed, the carries
/// (rows for timesteps in both forms) unchanged.
public struct RowGRUGradients: Equatable, Sendable {
  public var loss: Double
  public var dE: Matrix
  public var dW_x: Matrix
  public var dW_h: Matrix
  public var db_x: Matrix
  public var db_h: Matrix
  public var dU: Matrix
  public var db_2: Matrix
  public var dh0: Matrix
  public var dh: Matrix
  public var dax: Matrix
  public var dah: Matrix

  public init(column g: GRUGradients) {
    loss = g.loss
    dE = g.dE.T
    dW_x = g.dW_x.T
    dW_h = g.dW_h.T
    db_x = g.db_x.T
    db_h = g.db_h.T
    dU = g.dU.T
    db_2 = g.db_2.T
    dh0 = g.dh0.T
    dh = g.dh
    dax = g.dax
    dah = g.dah
  }

  public var named: [(name: String, value: Matrix)] {
    [("dE", dE), ("dW_x", dW_x), ("dW_h", dW_h), ("db_x", db_x), ("db_h", db_h), ("dU", dU), ("db_2", db_2), ("dh0", dh0)]
  }
}

/// The GRU language model in the row convention: the forward pass with row vectors, step by
/// step; the gradients are the column form's transposed. Options as in `GRU`.
public enum RowGRU {
  public static func forward(_ p: RowGRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> GRUForwardPass {
    do {
      try p.validate()
      try validateGatedSequence(tokens, vocabularySize: p.vocabularySize, truncation: options.truncation, clipping: options.clipping)
    } catch { stop(error) }
    let T = tokens.count - 1, H = p.hiddenSize
    func block(_ m: Matrix, _ k: Int) -> Matrix { m.columns((k * H)..<((k + 1) * H)) }
    let W_hn = block(p.W_h, 2)
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    let ones = Matrix(rows: 1, cols: H, repeating: 1)
    var h = p.h0
    var es: [Matrix] = [], axs: [Matrix] = [], ahs: [Matrix] = [], rs: [Matrix] = [], zs: [Matrix] = [], ns: [Matrix] = []
    var hs = [h], ys: [Matrix] = [], losses: [Double] = []
    for t in 1...T {
      let e = p.E.row(tokens[t - 1])                            // 1 × d
      let ax = e * p.W_x + p.b_x                                // 1 × 3H
      let ah_r = h * block(p.W_h, 0) + block(p.b_h, 0), ah_z = h * block(p.W_h, 1) + block(p.b_h, 1)
      let r = sigmoid(block(ax, 0) + ah_r), z = sigmoid(block(ax, 1) + ah_z)
      let ah_n: Matrix, n: Matrix
      switch options.reset {
      case .after:
        ah_n = h * W_hn + block(p.b_h, 2)
        n = tanh(block(ax, 2) + r ⊙ ah_n)
      case .before:
        ah_n = (r ⊙ h) * W_hn + block(p.b_h, 2)
        n = tanh(block(ax, 2) + ah_n)
      }
      h = options.update == .keep ? (ones - z) ⊙ n + z ⊙ h : z ⊙ n + (ones - z) ⊙ h
      let logits = h * p.U + p.b_2
      losses.append(CrossEntropy.loss(scores: logits.scalars, label: tokens[t]))
      let m = logits.scalars.max()!
      let ex = logits.map { Elementary.exp($0 - m) }
      es.append(e); axs.append(ax); ahs.append(Matrix(row: ah_r.scalars + ah_z.scalars + ah_n.scalars))
      rs.append(r); zs.append(z); ns.append(n); hs.append(h); ys.append(ex / ex.sum())
    }
    func stack(_ rows: [Matrix]) -> Matrix { Matrix(rows: rows.count, cols: rows[0].cols, scalars: rows.flatMap(\.scalars)) }
    let mean = losses.reduce(0, +) / Double(T)
    return GRUForwardPass(
      e: stack(es), ax: stack(axs), ah: stack(ahs), r: stack(rs), z: stack(zs), n: stack(ns), h: stack(hs), yhat: stack(ys),
      stepLosses: losses, loss: options.reduction == .mean ? mean : losses.reduce(0, +), perplexity: Elementary.exp(mean))
  }

  public static func loss(_ p: RowGRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> Double {
    forward(p, tokens: tokens, options: options).loss
  }

  /// J, the row-convention gradients and the carries: `GRU.gradients` of the column form, transposed.
  public static func gradients(_ p: RowGRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> RowGRUGradients {
    do { try p.validate() } catch { stop(error) }
    return RowGRUGradients(column: GRU.gradients(p.columnForm, tokens: tokens, options: options))
  }

  /// The truncated objective (`GRU.surrogateLoss`) of row-form parameters.
  public static func surrogateLoss(
    _ p: RowGRUParameters, cutStatesFrom p0: RowGRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()
  ) -> Double {
    do {
      try p.validate()
      try p0.validate()
    } catch { stop(error) }
    return GRU.surrogateLoss(p.columnForm, cutStatesFrom: p0.columnForm, tokens: tokens, options: options)
  }
}
