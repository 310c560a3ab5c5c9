import Jacobians

/// The parameters of the LSTM language model, column vectors (CS231n's `lstm_step_forward`
/// transposed; PyTorch's nn.LSTM with `weight_ih_l0` = W_x, `weight_hh_l0` = W_h and its two
/// biases summed into b).
///
/// ```
/// e^(t) = E x^(t)                               E    d × |V|   (column x(t) of E)
/// a^(t) = W_x e^(t) + W_h h^(t−1) + b           W_x  4H × d,  W_h  4H × H,  b  4H × 1
/// [a_i; a_f; a_o; a_g] = a^(t)                  four blocks of H rows, in the gate order
/// i = σ(a_i), f = σ(a_f), o = σ(a_o), g = tanh(a_g)
/// c^(t) = f ⊙ c^(t−1) + i ⊙ g                   c0 = c^(0)  H × 1
/// h^(t) = o ⊙ tanh(c^(t))                       h0 = h^(0)  H × 1
/// ŷ^(t) = softmax(U h^(t) + b_2)                U    |V| × H,  b_2  |V| × 1
/// ```
/// The blocks of W_x, W_h and b are laid out in `LSTMOptions.gateOrder`; the same numbers read
/// in another order are another model (`reorderingGates` converts).
public struct LSTMParameters: Equatable, Sendable {
  /// The embedding matrix, `d × |V|`.
  public var E: Matrix
  /// The input weights of the four gates, `4H × d`.
  public var W_x: Matrix
  /// The recurrent weights of the four gates, `4H × H`.
  public var W_h: Matrix
  /// The gate biases, `4H × 1`.
  public var b: Matrix
  /// The output weight, `|V| × H`.
  public var U: Matrix
  /// The output bias, `|V| × 1`.
  public var b_2: Matrix
  /// The initial hidden state h^(0), `H × 1`.
  public var h0: Matrix
  /// The initial cell state c^(0), `H × 1`.
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

  /// |V|, the columns of E.
  public var vocabularySize: Int { E.cols }
  /// d, the rows of E.
  public var embeddingSize: Int { E.rows }
  /// H, the smaller dimension of W_h (4H × H; read so that a transposed W_h is reported as such).
  public var hiddenSize: Int { Swift.min(W_h.rows, W_h.cols) }

  /// Seeded random parameters, entries uniform in `[−scale, scale)`, drawn in the order
  /// E, W_x, W_h, b, U, b_2, h0, c0 (row-major within each).
  public static func random(
    vocabularySize V: Int, embeddingSize d: Int, hiddenSize H: Int,
    scale: Double = 0.5, using rng: inout SplitMix64
  ) -> LSTMParameters {
    LSTMParameters(
      E: rng.matrix(d, V, -scale, scale), W_x: rng.matrix(4 * H, d, -scale, scale),
      W_h: rng.matrix(4 * H, H, -scale, scale), b: rng.matrix(4 * H, 1, -scale, scale),
      U: rng.matrix(V, H, -scale, scale), b_2: rng.matrix(V, 1, -scale, scale),
      h0: rng.matrix(H, 1, -scale, scale), c0: rng.matrix(H, 1, -scale, scale))
  }

  /// Throws when the shapes do not fit one another (|V| and d are read from E, H from W_h).
  public func validate() throws(RNNInputError) {
    let V = vocabularySize, d = embeddingSize, H = hiddenSize
    try expectShape("W_h", W_h, Shape(4 * H, H))
    try expectShape("W_x", W_x, Shape(4 * H, d))
    try expectShape("b", b, Shape(4 * H, 1))
    try expectShape("U", U, Shape(V, H))
    try expectShape("b_2", b_2, Shape(V, 1))
    try expectShape("h0", h0, Shape(H, 1))
    try expectShape("c0", c0, Shape(H, 1))
  }

  /// The parameters by name, in the order E, W_x, W_h, b, U, b_2, h0, c0.
  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W_x", W_x), ("W_h", W_h), ("b", b), ("U", U), ("b_2", b_2), ("h0", h0), ("c0", c0)]
  }

  /// The number of scalars in all parameters.
  public var scalarCount: Int { named.reduce(0) { $0 + $1.value.count } }

  /// The same model with its gate blocks laid out in `target` instead of `source`: the blocks
  /// of H rows of W_x, W_h and b moved, nothing else changed.
  /// ```
  /// ifog → ifgo:   [W_i; W_f; W_o; W_g]  ↦  [W_i; W_f; W_g; W_o]
  /// ```
  public func reorderingGates(from source: LSTMGateOrder, to target: LSTMGateOrder) -> LSTMParameters {
    var p = self
    let H = hiddenSize
    p.W_x = permuteRowBlocks(W_x, H, from: source, to: target)
    p.W_h = permuteRowBlocks(W_h, H, from: source, to: target)
    p.b = permuteRowBlocks(b, H, from: source, to: target)
    return p
  }
}

/// The gradients of the LSTM language model and the per-step carries of backpropagation.
///
/// Parameter gradients have the shapes of their parameters (the shape convention); the carries
/// are `T × ·` with row t − 1 for step t (as `RNNDeltas`):
/// ```
/// dE   d × |V|    dW_x  4H × d    dW_h  4H × H    db  4H × 1
/// dU   |V| × H    db_2  |V| × 1   dh0   H × 1     dc0  H × 1
/// dh   T × H      row t−1 = (∂J/∂h^(t))ᵀ      the adjoint of h^(t): through ŷ^(t) and a^(t+1)
/// dc   T × H      row t−1 = (∂J/∂c^(t))ᵀ      the adjoint of c^(t): through h^(t) and c^(t+1)
/// da   T × 4H     row t−1 = (∂J/∂a^(t))ᵀ      blocks in the gate order
/// ```
/// "Total" means every path of every loss term that the truncation keeps, weighted as in J:
/// row t − 1 sums wₛ ∂J^(s)/∂(·)^(t) over the s with firstKeptStep(s) ≤ t ≤ s. ∂J/∂c^(t) counts
/// the path through h^(t) = o ⊙ tanh(c^(t)) (CS231n's `dc` inside `lstm_step_backward`, not its
/// `dnext_c`); ∂J/∂h^(t) holds c^(t) fixed, since c^(t) does not depend on h^(t).
/// Clipping (`clipped`) scales or clamps the parameter gradients only; `loss` and the carries
/// are left as computed.
public struct LSTMGradients: Equatable, Sendable {
  /// J (mean or sum of the J^(t); not the truncated objective).
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

  public init(
    loss: Double, dE: Matrix, dW_x: Matrix, dW_h: Matrix, db: Matrix, dU: Matrix, db_2: Matrix,
    dh0: Matrix, dc0: Matrix, dh: Matrix, dc: Matrix, da: Matrix
  ) {
    self.loss = loss
    self.dE = dE
    self.dW_x = dW_x
    self.dW_h = dW_h
    self.db = db
    self.dU = dU
    self.db_2 = db_2
    self.dh0 = dh0
    self.dc0 = dc0
    self.dh = dh
    self.dc = dc
    self.da = da
  }

  /// All-zero gradients for `p` and T steps, loss 0.
  public init(zerosLike p: LSTMParameters, steps T: Int) {
    let H = p.hiddenSize
    self.init(
      loss: 0, dE: Matrix(shape: p.E.shape), dW_x: Matrix(shape: p.W_x.shape), dW_h: Matrix(shape: p.W_h.shape),
      db: Matrix(shape: p.b.shape), dU: Matrix(shape: p.U.shape), db_2: Matrix(shape: p.b_2.shape),
      dh0: Matrix(shape: p.h0.shape), dc0: Matrix(shape: p.c0.shape),
      dh: Matrix(rows: T, cols: H), dc: Matrix(rows: T, cols: H), da: Matrix(rows: T, cols: 4 * H))
  }

  /// The parameter gradients by name, in the order of `LSTMParameters.named`.
  public var named: [(name: String, value: Matrix)] {
    [("dE", dE), ("dW_x", dW_x), ("dW_h", dW_h), ("db", db), ("dU", dU), ("db_2", db_2), ("dh0", dh0), ("dc0", dc0)]
  }

  /// The per-step carries by name: dh, dc, da.
  public var carries: [(name: String, value: Matrix)] { [("dh", dh), ("dc", dc), ("da", da)] }

  /// √(Σ over the parameter gradients of Σ gᵢ²), the norm clipped by `.globalNorm`.
  public var globalNorm: Double { GradientClipping.globalNorm(named.map(\.value)) }

  /// The gradients with `clipping` applied to every parameter gradient.
  public func clipped(_ clipping: Clipping) -> LSTMGradients {
    switch GradientClipping.rule(clipping, norm: clipping.needsNorm ? globalNorm : 0) {
    case .keep: return self
    case .scale(let s): return mapParameterGradients { s * $0 }
    case .clamp(let c): return mapParameterGradients { GradientClipping.clamp($0, c) }
    }
  }

  func mapParameterGradients(_ f: (Matrix) -> Matrix) -> LSTMGradients {
    var g = self
    g.dE = f(dE); g.dW_x = f(dW_x); g.dW_h = f(dW_h); g.db = f(db)
    g.dU = f(dU); g.db_2 = f(db_2); g.dh0 = f(dh0); g.dc0 = f(dc0)
    return g
  }

  /// The gradients of the reordered model (`LSTMParameters.reorderingGates`): the blocks of
  /// dW_x, dW_h, db (rows) and of da (columns) moved from `source` to `target`.
  public func reorderingGates(from source: LSTMGateOrder, to target: LSTMGateOrder) -> LSTMGradients {
    var g = self
    let H = dh.cols
    g.dW_x = permuteRowBlocks(dW_x, H, from: source, to: target)
    g.dW_h = permuteRowBlocks(dW_h, H, from: source, to: target)
    g.db = permuteRowBlocks(db, H, from: source, to: target)
    g.da = permuteRowBlocks(da.T, H, from: source, to: target).T
    return g
  }
}

/// Moves the four blocks of H rows of `m` from the positions of `source` to those of `target`.
func permuteRowBlocks(_ m: Matrix, _ H: Int, from source: LSTMGateOrder, to target: LSTMGateOrder) -> Matrix {
  var out = m
  let n = m.cols
  for gate in LSTMGate.allCases {
    let from = source.block(gate) * H, to = target.block(gate) * H
    for r in 0..<H {
      for j in 0..<n { out.scalars[(to + r) * n + j] = m.scalars[(from + r) * n + j] }
    }
  }
  return out
}
