import Jacobians

/// The parameters of the RNN language model in the column-vector convention of notes 002/003.
///
/// ```
/// e^(t) = E x^(t)                          E    d × |V|   (x^(t) one-hot: e^(t) is column x(t) of E)
/// z^(t) = W_h h^(t−1) + W_e e^(t) + b_1     W_h  H × H,  W_e  H × d,  b_1  H × 1
/// h^(t) = f(z^(t))                          h0 = h^(0)   H × 1
/// ŷ^(t) = softmax(U h^(t) + b_2)            U    |V| × H, b_2  |V| × 1
/// ```
public struct RNNParameters: Equatable, Sendable {
  /// The embedding matrix, `d × |V|`; column w is the embedding of word w.
  public var E: Matrix
  /// The recurrent weight, `H × H`.
  public var W_h: Matrix
  /// The input weight, `H × d`.
  public var W_e: Matrix
  /// The hidden bias, `H × 1`.
  public var b_1: Matrix
  /// The output weight, `|V| × H`.
  public var U: Matrix
  /// The output bias, `|V| × 1`.
  public var b_2: Matrix
  /// The initial state h^(0), `H × 1`.
  public var h0: Matrix

  public init(E: Matrix, W_h: Matrix, W_e: Matrix, b_1: Matrix, U: Matrix, b_2: Matrix, h0: Matrix) {
    self.E = E
    self.W_h = W_h
    self.W_e = W_e
    self.b_1 = b_1
    self.U = U
    self.b_2 = b_2
    self.h0 = h0
  }

  /// |V|, the number of columns of E.
  public var vocabularySize: Int { E.cols }
  /// d, the embedding size (rows of E).
  public var embeddingSize: Int { E.rows }
  /// H, the hidden size (rows of W_h).
  public var hiddenSize: Int { W_h.rows }

  /// Seeded random parameters, entries uniform in `[−scale, scale)`, drawn in the order
  /// E, W_h, W_e, b_1, U, b_2, h0 (row-major within each).
  public static func random(
    vocabularySize V: Int, embeddingSize d: Int, hiddenSize H: Int,
    scale: Double = 0.5, using rng: inout SplitMix64
  ) -> RNNParameters {
    RNNParameters(
      E: rng.matrix(d, V, -scale, scale),
      W_h: rng.matrix(H, H, -scale, scale),
      W_e: rng.matrix(H, d, -scale, scale),
      b_1: rng.matrix(H, 1, -scale, scale),
      U: rng.matrix(V, H, -scale, scale),
      b_2: rng.matrix(V, 1, -scale, scale),
      h0: rng.matrix(H, 1, -scale, scale))
  }

  /// Throws when the shapes do not fit one another (|V|, d, H are read from E and W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(H, H))
    try expectShape("W_e", W_e, Shape(H, d))
    try expectShape("b_1", b_1, Shape(H, 1))
    try expectShape("U", U, Shape(V, H))
    try expectShape("b_2", b_2, Shape(V, 1))
    try expectShape("h0", h0, Shape(H, 1))
  }

  /// The parameters by name, in the order E, W_h, W_e, b_1, U, b_2, h0.
  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W_h", W_h), ("W_e", W_e), ("b_1", b_1), ("U", U), ("b_2", b_2), ("h0", h0)]
  }

  /// The number of scalars in all parameters.
  public var scalarCount: Int { named.reduce(0) { $0 + $1.value.count } }
}

/// The gradient of J with respect to every parameter of `RNNParameters`; each has the shape of
/// its parameter (the shape convention).
///
/// ```
/// dE   d × |V|    dW_h  H × H    dW_e  H × d    db_1  H × 1
/// dU   |V| × H    db_2  |V| × 1  dh0   H × 1
/// ```
public struct RNNGradients: Equatable, Sendable {
  public var dE: Matrix
  public var dW_h: Matrix
  public var dW_e: Matrix
  public var db_1: Matrix
  public var dU: Matrix
  public var db_2: Matrix
  public var dh0: Matrix

  public init(dE: Matrix, dW_h: Matrix, dW_e: Matrix, db_1: Matrix, dU: Matrix, db_2: Matrix, dh0: Matrix) {
    self.dE = dE
    self.dW_h = dW_h
    self.dW_e = dW_e
    self.db_1 = db_1
    self.dU = dU
    self.db_2 = db_2
    self.dh0 = dh0
  }

  /// All-zero gradients shaped like `p`.
  public init(zerosLike p: RNNParameters) {
    self.init(
      dE: Matrix(shape: p.E.shape), dW_h: Matrix(shape: p.W_h.shape), dW_e: Matrix(shape: p.W_e.shape),
      db_1: Matrix(shape: p.b_1.shape), dU: Matrix(shape: p.U.shape), db_2: Matrix(shape: p.b_2.shape),
      dh0: Matrix(shape: p.h0.shape))
  }

  /// The gradients by name, in the order dE, dW_h, dW_e, db_1, dU, db_2, dh0.
  public var named: [(name: String, value: Matrix)] {
    [("dE", dE), ("dW_h", dW_h), ("dW_e", dW_e), ("db_1", db_1), ("dU", dU), ("db_2", db_2), ("dh0", dh0)]
  }

  /// The global norm √(Σ over all gradients of Σ gᵢ²), the quantity clipped by `.globalNorm`.
  public var globalNorm: Double { GradientClipping.globalNorm(named.map(\.value)) }

  /// Every gradient with `transform` applied (used by clipping).
  public func mapGradients(_ transform: (Matrix) -> Matrix) -> RNNGradients {
    RNNGradients(
      dE: transform(dE), dW_h: transform(dW_h), dW_e: transform(dW_e), db_1: transform(db_1),
      dU: transform(dU), db_2: transform(db_2), dh0: transform(dh0))
  }

  /// The gradients with `clipping` applied.
  public func clipped(_ clipping: Clipping) -> RNNGradients {
    switch GradientClipping.rule(clipping, norm: clipping.needsNorm ? globalNorm : 0) {
    case .keep: return self
    case .scale(let s): return mapGradients { s * $0 }
    case .clamp(let c): return mapGradients { GradientClipping.clamp($0, c) }
    }
  }
}
