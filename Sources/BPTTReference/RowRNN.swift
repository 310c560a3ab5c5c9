import Jacobians

/// The RNN-LM's parameters in the row-vector convention of note 004.
///
/// ```
/// e^(t)  = x^(t) W_x                              W_x  |V| × d   (row x(t) of W_x)
/// z2^(t) = h^(t−1) W_h + e^(t) W_e + b_h           W_h  H × H,  W_e  d × H,  b_h  1 × H
/// h^(t)  = f(z2^(t))                               h0   1 × H
/// z1^(t) = h^(t) W_o + b_o,  ŷ^(t) = softmax(z1^(t))   W_o  H × |V|,  b_o  1 × |V|
/// ```
/// Each is the transpose of its column-form counterpart: W_x = Eᵀ, W_h(row) = W_hᵀ(column),
/// W_e(row) = W_eᵀ(column), b_h = b_1ᵀ, W_o = Uᵀ, b_o = b_2ᵀ, h0(row) = h0ᵀ(column).
public struct RowRNNParameters: Equatable, Sendable {
  public var W_x: Matrix
  public var W_h: Matrix
  public var W_e: Matrix
  public var b_h: Matrix
  public var W_o: Matrix
  public var b_o: Matrix
  public var h0: Matrix

  public init(W_x: Matrix, W_h: Matrix, W_e: Matrix, b_h: Matrix, W_o: Matrix, b_o: Matrix, h0: Matrix) {
    self.W_x = W_x
    self.W_h = W_h
    self.W_e = W_e
    self.b_h = b_h
    self.W_o = W_o
    self.b_o = b_o
    self.h0 = h0
  }

  /// The row form of column-form parameters: every matrix transposed.
  public init(column p: RNNParameters) {
    self.init(W_x: p.E.T, W_h: p.W_h.T, W_e: p.W_e.T, b_h: p.b_1.T, W_o: p.U.T, b_o: p.b_2.T, h0: p.h0.T)
  }

  /// The column form: every matrix transposed.
  public var columnForm: RNNParameters {
    RNNParameters(E: W_x.T, W_h: W_h.T, W_e: W_e.T, b_1: b_h.T, U: W_o.T, b_2: b_o.T, h0: h0.T)
  }

  public var vocabularySize: Int { W_x.rows }
  public var embeddingSize: Int { W_x.cols }
  public var hiddenSize: Int { W_h.rows }

  /// Throws when the shapes do not fit one another (|V|, d from W_x; H from W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(H, H))
    try expectShape("W_e", W_e, Shape(d, H))
    try expectShape("b_h", b_h, Shape(1, H))
    try expectShape("W_o", W_o, Shape(H, V))
    try expectShape("b_o", b_o, Shape(1, V))
    try expectShape("h0", h0, Shape(1, H))
  }
}

/// The gradients of J in the row convention; each has the shape of its parameter.
///
/// ```
/// dW_x  |V| × d   dW_h  H × H   dW_e  d × H   db_h  1 × H
/// dW_o  H × |V|   db_o  1 × |V|  dh0  1 × H
/// ```
public struct RowRNNGradients: Equatable, Sendable {
  public var dW_x: Matrix
  public var dW_h: Matrix
  public var dW_e: Matrix
  public var db_h: Matrix
  public var dW_o: Matrix
  public var db_o: Matrix
  public var dh0: Matrix

  public init(dW_x: Matrix, dW_h: Matrix, dW_e: Matrix, db_h: Matrix, dW_o: Matrix, db_o: Matrix, dh0: Matrix) {
    self.dW_x = dW_x
    self.dW_h = dW_h
    self.dW_e = dW_e
    self.db_h = db_h
    self.dW_o = dW_o
    self.db_o = db_o
    self.dh0 = dh0
  }

  /// The row form of column-form gradients: every matrix transposed.
  public init(column g: RNNGradients) {
    self.init(dW_x: g.dE.T, dW_h: g.dW_h.T, dW_e: g.dW_e.T, db_h: g.db_1.T, dW_o: g.dU.T, db_o: g.db_2.T, dh0: g.dh0.T)
  }

  public var named: [(name: String, value: Matrix)] {
    [("dW_x", dW_x), ("dW_h", dW_h), ("dW_e", dW_e), ("db_h", db_h), ("dW_o", dW_o), ("db_o", db_o), ("dh0", dh0)]
  }
}

/// Backpropagation through time in the row-vector convention of note 004.
///
/// The forward pass is computed with row vectors, step by step, as the note writes it. The
/// gradients are those of the column form, transposed (a row-form gradient is the transpose of
/// the column-form one because every product is transposed: (h W_h)ᵀ = W_hᵀ hᵀ):
/// ```
/// δ1^(t) = ŷ^(t) − y^(t)                                   1 × |V|
/// δ2^(t) = δ1^(t) W_oᵀ ⊙ f′(z2^(t))                        1 × H
/// ∂J^(t)/∂W_o = h^(t)ᵀ δ1^(t)          (H × |V|)          ∂J^(t)/∂b_o = δ1^(t)
/// ∂J^(t)/∂W_h|_(i) = h^(i−1)ᵀ (∂J^(t)/∂z2^(i))    (H × H)
/// ∂J^(t)/∂W_e|_(i) = e^(i)ᵀ (∂J^(t)/∂z2^(i))      (d × H)
/// ∂J^(t)/∂h^(i−1) = (∂J^(t)/∂z2^(i)) W_hᵀ
/// ```
/// Tokens, time indices, options: as `BPTT`.
public enum RowBPTT {
  /// The forward pass with row vectors: `z`, `h`, `yhat` hold `1 × H`, `1 × H`, `1 × |V|` rows.
  public static func forward(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNForwardPass {
    do {
      try p.validate()
      try validateSequence(tokens, vocabularySize: p.vocabularySize, options: options)
    } catch { stop(error) }
    let T = tokens.count - 1
    let f = options.activation
    var h = p.h0
    var zs: [Matrix] = [], hs: [Matrix] = [h], ys: [Matrix] = [], losses: [Double] = []
    for t in 1...T {
      let e = p.W_x.row(tokens[t - 1])                         // e^(t) = x^(t) W_x      1 × d
      var z2 = h * p.W_h + e * p.W_e                            // 1 × H
      if options.useBiases { z2 = z2 + p.b_h }
      h = f(z2)
      var z1 = h * p.W_o                                        // 1 × |V|
      if options.useBiases { z1 = z1 + p.b_o }
      let loss = CrossEntropy.loss(scores: z1.scalars, label: tokens[t])
      let m = z1.maxAbs.isFinite ? z1.scalars.max()! : 0
      let ex = z1.map { Elementary.exp($0 - m) }
      zs.append(z2)
      hs.append(h)
      ys.append(ex / ex.sum())
      losses.append(loss)
    }
    let mean = losses.reduce(0, +) / Double(T)
    return RNNForwardPass(
      z: zs, h: hs, yhat: ys, stepLosses: losses,
      loss: options.reduction == .mean ? mean : losses.reduce(0, +), perplexity: Elementary.exp(mean))
  }

  /// J, from the row-form forward pass.
  public static func loss(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> Double {
    forward(p, tokens: tokens, options: options).loss
  }

  /// ∂J/∂θ in the row convention: the transposes of `BPTT.gradients` of the column form.
  public static func gradients(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RowRNNGradients {
    do { try p.validate() } catch { stop(error) }
    return RowRNNGradients(column: BPTT.gradients(p.columnForm, tokens: tokens, options: options))
  }

  /// δ1 (T × |V|, row t−1 = δ1^(t)) and δ2 (T × H, row t−1 = δ2^(t)): in the row convention these
  /// are the rows themselves, the same matrices as the column form's.
  public static func deltas(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNDeltas {
    do { try p.validate() } catch { stop(error) }
    return BPTT.deltas(p.columnForm, tokens: tokens, options: options)
  }
}

extension BPTT {
  /// The row-convention forward pass (note 004); same as `RowBPTT.forward`.
  public static func forward(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNForwardPass {
    RowBPTT.forward(p, tokens: tokens, options: options)
  }

  /// J in the row convention; same as `RowBPTT.loss`.
  public static func loss(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> Double {
    RowBPTT.loss(p, tokens: tokens, options: options)
  }

  /// The row-convention gradients (transposes of the column form's); same as `RowBPTT.gradients`.
  public static func gradients(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RowRNNGradients {
    RowBPTT.gradients(p, tokens: tokens, options: options)
  }

  /// δ1, δ2 in the row convention; same as `RowBPTT.deltas`.
  public static func deltas(_ p: RowRNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNDeltas {
    RowBPTT.deltas(p, tokens: tokens, options: options)
  }
}
