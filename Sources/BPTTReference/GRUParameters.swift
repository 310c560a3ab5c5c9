import Jacobians

/// The parameters of the GRU language model, column vectors (PyTorch's nn.GRU: `weight_ih_l0`
/// = W_x, `weight_hh_l0` = W_h, `bias_ih_l0` = b_x, `bias_hh_l0` = b_h; blocks r, z, n).
///
/// ```
/// e^(t) = E x^(t)                                  E    d × |V|
/// [x_r; x_z; x_n] = W_x e^(t) + b_x                W_x  3H × d,   b_x  3H × 1
/// r = σ(x_r + W_hr h^(t−1) + b_hr)                 W_h  3H × H,   b_h  3H × 1
/// z = σ(x_z + W_hz h^(t−1) + b_hz)
/// n = tanh(x_n + r ⊙ (W_hn h^(t−1) + b_hn))        reset `after` (PyTorch)
///   = tanh(x_n + W_hn (r ⊙ h^(t−1)) + b_hn)        reset `before` (Cho et al., d2l)
/// h^(t) = (1 − z) ⊙ n + z ⊙ h^(t−1)                update `keep` (PyTorch, d2l)
///       = z ⊙ n + (1 − z) ⊙ h^(t−1)                update `new` (Cho et al.)
/// ŷ^(t) = softmax(U h^(t) + b_2)                   U    |V| × H,  b_2  |V| × 1,  h0  H × 1
/// ```
/// W_hr, W_hz, W_hn are the three blocks of H rows of W_h (likewise W_x, b_x, b_h).
public struct GRUParameters: Equatable, Sendable {
  /// The embedding matrix, `d × |V|`.
  public var E: Matrix
  /// The input weights of r, z, n, `3H × d`.
  public var W_x: Matrix
  /// The recurrent weights of r, z, n, `3H × H`.
  public var W_h: Matrix
  /// The input biases, `3H × 1`.
  public var b_x: Matrix
  /// The recurrent biases, `3H × 1` (b_hn sits inside the reset gate's product when reset is `after`).
  public var b_h: Matrix
  /// The output weight, `|V| × H`.
  public var U: Matrix
  /// The output bias, `|V| × 1`.
  public var b_2: Matrix
  /// The initial state h^(0), `H × 1`.
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

  public var vocabularySize: Int { E.cols }
  public var embeddingSize: Int { E.rows }
  /// H, the smaller dimension of W_h (3H × H; read so that a transposed W_h is reported as such).
  public var hiddenSize: Int { Swift.min(W_h.rows, W_h.cols) }

  /// Seeded random parameters, uniform in `[−scale, scale)`, drawn in the order
  /// E, W_x, W_h, b_x, b_h, U, b_2, h0 (row-major within each).
  public static func random(
    vocabularySize V: Int, embeddingSize d: Int, hiddenSize H: Int,
    scale: Double = 0.5, using rng: inout SplitMix64
  ) -> GRUParameters {
    GRUParameters(
      E: rng.matrix(d, V, -scale, scale), W_x: rng.matrix(3 * H, d, -scale, scale),
      W_h: rng.matrix(3 * H, H, -scale, scale), b_x: rng.matrix(3 * H, 1, -scale, scale),
      b_h: rng.matrix(3 * H, 1, -scale, scale), U: rng.matrix(V, H, -scale, scale),
      b_2: rng.matrix(V, 1, -scale, scale), h0: rng.matrix(H, 1, -scale, scale))
  }

  /// Throws when the shapes do not fit one another (|V| and d from E, H from W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(3 * H, H))
    try expectShape("W_x", W_x, Shape(3 * H, d))
    try expectShape("b_x", b_x, Shape(3 * H, 1))
    try expectShape("b_h", b_h, Shape(3 * H, 1))
    try expectShape("U", U, Shape(V, H))
    try expectShape("b_2", b_2, Shape(V, 1))
    try expectShape("h0", h0, Shape(H, 1))
  }

  /// The parameters by name, in the order E, W_x, W_h, b_x, b_h, U, b_2, h0.
  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W_x", W_x), ("W_h", W_h), ("b_x", b_x), ("b_h", b_h), ("U", U), ("b_2", b_2), ("h0", h0)]
  }

  public var scalarCount: Int { named.reduce(0) { $0 + $1.value.count } }
}

/// The gradients of the GRU language model and the per-step carries.
///
/// ```
/// dE   d × |V|    dW_x  3H × d    dW_h  3H × H    db_x  3H × 1    db_h  3H × 1
/// dU   |V| × H    db_2  |V| × 1   dh0   H × 1
/// dh   T × H      row t−1 = (∂J/∂h^(t))ᵀ, the adjoint of h^(t): through ŷ^(t) and step t + 1
/// dax  T × 3H     row t−1 = (∂J/∂(W_x e^(t) + b_x))ᵀ                  the input terms
/// dah  T × 3H     row t−1 = (∂J/∂[W_hr h + b_hr; W_hz h + b_hz; W_hn h̃ + b_hn])ᵀ, the
///                 recurrent terms, h = h^(t−1), h̃ = h^(t−1) (`after`) or r ⊙ h^(t−1) (`before`)
/// ```
/// Totals over the kept terms of every J^(s), weighted as in J (as `LSTMGradients`). Clipping
/// acts on the parameter gradients only.
public struct GRUGradients: Equatable, Sendable {
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

  public init(
    loss: Double, dE: Matrix, dW_x: Matrix, dW_h: Matrix, db_x: Matrix, db_h: Matrix, dU: Matrix, db_2: Matrix,
    dh0: Matrix, dh: Matrix, dax: Matrix, dah: Matrix
  ) {
    self.loss = loss
    self.dE = dE
    self.dW_x = dW_x
    self.dW_h = dW_h
    self.db_x = db_x
    self.db_h = db_h
    self.dU = dU
    self.db_2 = db_2
    self.dh0 = dh0
    self.dh = dh
    self.dax = dax
    self.dah = dah
  }

  /// All-zero gradients for `p` and T steps, loss 0.
  public init(zerosLike p: GRUParameters, steps T: Int) {
    let H = p.hiddenSize
    self.init(
      loss: 0, dE: Matrix(shape: p.E.shape), dW_x: Matrix(shape: p.W_x.shape), dW_h: Matrix(shape: p.W_h.shape),
      db_x: Matrix(shape: p.b_x.shape), db_h: Matrix(shape: p.b_h.shape), dU: Matrix(shape: p.U.shape),
      db_2: Matrix(shape: p.b_2.shape), dh0: Matrix(shape: p.h0.shape),
      dh: Matrix(rows: T, cols: H), dax: Matrix(rows: T, cols: 3 * H), dah: Matrix(rows: T, cols: 3 * H))
  }

  /// The parameter gradients by name, in the order of `GRUParameters.named`.
  public var named: [(name: String, value: Matrix)] {
    [("dE", dE), ("dW_x", dW_x), ("dW_h", dW_h), ("db_x", db_x), ("db_h", db_h), ("dU", dU), ("db_2", db_2), ("dh0", dh0)]
  }

  /// The per-step carries by name: dh, dax, dah.
  public var carries: [(name: String, value: Matrix)] { [("dh", dh), ("dax", dax), ("dah", dah)] }

  /// √(Σ over the parameter gradients of Σ gᵢ²), the norm clipped by `.globalNorm`.
  public var globalNorm: Double { GradientClipping.globalNorm(named.map(\.value)) }

  /// The gradients with `clipping` applied to every parameter gradient.
  public func clipped(_ clipping: Clipping) -> GRUGradients {
    switch GradientClipping.rule(clipping, norm: clipping.needsNorm ? globalNorm : 0) {
    case .keep: return self
    case .scale(let s): return mapParameterGradients { s * $0 }
    case .clamp(let c): return mapParameterGradients { GradientClipping.clamp($0, c) }
    }
  }

  func mapParameterGradients(_ f: (Matrix) -> Matrix) -> GRUGradients {
    var g = self
    g.dE = f(dE); g.dW_x = f(dW_x); g.dW_h = f(dW_h); g.db_x = f(db_x); g.db_h = f(db_h)
    g.dU = f(dU); g.db_2 = f(db_2); g.dh0 = f(dh0)
    return g
  }
}
