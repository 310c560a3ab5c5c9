/// The fixed-window neural language model of note 002: the next word from the n words before it.
///
/// Tokens are 0-based word indices; `tokens` holds n + 1 of them, the window x^(1) … x^(n) and
/// the target x^(n+1). Column vectors throughout:
/// ```
/// e = [E x^(1); …; E x^(n)]     (nd × 1)    E: d × |V|; E x^(k) is column x^(k) of E
/// z = W e + b_1                 (H × 1)     W: H × nd,  b_1: H × 1
/// h = f(z)                      (H × 1)     f elementwise, an `Activation`
/// θ = U h + b_2                 (|V| × 1)   U: |V| × H, b_2: |V| × 1
/// ŷ = softmax(θ)                (|V| × 1)
/// J = −log ŷ_{x(n+1)} = CE(y, ŷ)            y one-hot at x(n+1)
/// ```
/// Backward, gradients in the shape convention (each the shape of its variable), with the two
/// error signals computed once and re-used:
/// ```
/// δ1    = ∂J/∂θ = ŷ − y                    (|V| × 1)
/// ∂J/∂U = δ1 hᵀ                            (|V| × H) = (|V| × 1)(1 × H)
/// ∂J/∂b_2 = δ1                             (|V| × 1)
/// δ2    = ∂J/∂z = (Uᵀ δ1) ⊙ f′(z)          (H × 1)
/// ∂J/∂W = δ2 eᵀ                            (H × nd) = (H × 1)(1 × nd)
/// ∂J/∂b_1 = δ2                             (H × 1)
/// ∂J/∂e = Wᵀ δ2                            (nd × 1) = (nd × H)(H × 1)
/// ∂J/∂e^(k) = (∂J/∂e)[(k−1)d ..< kd] = W_kᵀ δ2     (d × 1), W_k the k-th H × d block of W's columns
/// ∂J/∂E[:, w] = Σ_{k : x^(k) = w} ∂J/∂e^(k)  (d × 1), zero for a word w not in the window
/// ```
/// The last line is "the gradient with respect to a repeated weight is the sum of the gradients
/// with respect to each time it appears": a word twice in the window gets both positions'
/// gradients. The same derivatives as explicit Jacobian products are `explicitChain(_:)`.
public struct WindowLanguageModel: Sendable {
  /// The number of words in the window, n ≥ 1.
  public let windowSize: Int
  /// `E`, `W`, `b_1`, `U`, `b_2`, with shapes checked against one another and n.
  public let parameters: WindowLanguageModelParameters
  /// The elementwise nonlinearity `f` of the hidden layer.
  public let f: Activation

  /// |V|, the columns of E.
  public var vocabularySize: Int { parameters.vocabularySize }
  /// d, the rows of E.
  public var embeddingSize: Int { parameters.embeddingSize }
  /// H, the rows of W.
  public var hiddenSize: Int { parameters.hiddenSize }

  /// Checks that the parameters fit a window of `windowSize` words (see
  /// `WindowLanguageModelParameters.validate(windowSize:)`).
  public init(windowSize n: Int, parameters: WindowLanguageModelParameters, f: Activation) throws(WindowLanguageModelError) {
    try parameters.validate(windowSize: n)
    self.windowSize = n
    self.parameters = parameters
    self.f = f
  }

  /// Checks that `tokens` holds n + 1 words of the vocabulary `0 ..< |V|`.
  public func validate(tokens: [Int]) throws(WindowLanguageModelError) {
    guard tokens.count == windowSize + 1 else {
      throw .tokenCount(expected: windowSize + 1, actual: tokens.count)
    }
    for (position, token) in tokens.enumerated() where token < 0 || token >= vocabularySize {
      throw .tokenOutOfRange(position: position, token: token, vocabularySize: vocabularySize)
    }
  }

  /// `e = [E x^(1); …; E x^(n)]` for the window `tokens[0 ..< n]`: `nd × 1`. `tokens` is the
  /// window alone (n tokens) or the window and the target (n + 1; the target is not used).
  public func embed(_ tokens: [Int]) throws(WindowLanguageModelError) -> Matrix {
    if tokens.count == windowSize {
      for (position, token) in tokens.enumerated() where token < 0 || token >= vocabularySize {
        throw .tokenOutOfRange(position: position, token: token, vocabularySize: vocabularySize)
      }
    } else {
      try validate(tokens: tokens)
    }
    return embedChecked(tokens)
  }

  func embedChecked(_ tokens: [Int]) -> Matrix {
    let E = parameters.E, d = embeddingSize, V = vocabularySize
    var e = [Double](repeating: 0, count: windowSize * d)
    for k in 0..<windowSize {
      // E x^(k): the one-hot x^(k) picks column x^(k) of E.
      for i in 0..<d { e[k * d + i] = E.scalars[i * V + tokens[k]] }
    }
    return Matrix(column: e)
  }

  /// The forward pass on `tokens` (n + 1 words: the window, then the target), keeping e, z, h,
  /// θ, ŷ and J for the backward pass.
  public func forward(tokens: [Int]) throws(WindowLanguageModelError) -> WindowLanguageModelForward {
    try validate(tokens: tokens)
    return forward(e: embedChecked(tokens), tokens: tokens)
  }

  func forward(e: Matrix, tokens: [Int]) -> WindowLanguageModelForward {
    let p = parameters
    let z = p.W * e + p.b_1                            // H × 1
    let h = f(z)                                       // H × 1
    let theta = p.U * h + p.b_2                        // |V| × 1
    let yHat = Softmax.probabilities(theta)            // |V| × 1
    // J = −log ŷ_target, computed stably as log Σ exp(θ) − θ_target.
    let J = CrossEntropy.loss(scores: theta, label: tokens[windowSize])
    return WindowLanguageModelForward(tokens: tokens, e: e, z: z, h: h, theta: theta, yHat: yHat, J: J)
  }

  /// `J = −log ŷ_{x(n+1)}` on `tokens` (n + 1 words).
  public func loss(tokens: [Int]) throws(WindowLanguageModelError) -> Double {
    try forward(tokens: tokens).J
  }

  /// `J` as a function of the stacked embeddings `e` (`nd × 1`) alone, for the target word
  /// `target`: the function whose gradient is `∂J/∂e`.
  public func loss(e: Matrix, target: Int) throws(WindowLanguageModelError) -> Double {
    let expected = Shape(windowSize * embeddingSize, 1)
    guard e.shape == expected else {
      throw .shape(ShapeError(operation: "window language model", lhs: parameters.W.shape, rhs: e.shape,
                              requirement: "W of shape H×(n·d) and e of shape (n·d)×1"))
    }
    guard target >= 0, target < vocabularySize else {
      throw .tokenOutOfRange(position: windowSize, token: target, vocabularySize: vocabularySize)
    }
    return forward(e: e, tokens: [Int](repeating: 0, count: windowSize) + [target]).J
  }

  /// All gradients of J at once, through the shortcuts `δ1 = ŷ − y` and `δ2 = (Uᵀ δ1) ⊙ f′(z)`
  /// (each computed once).
  public func backward(_ pass: WindowLanguageModelForward) -> WindowLanguageModelGradients {
    let p = parameters
    let n = windowSize, d = embeddingSize, V = vocabularySize
    // δ1 = ŷ − y: |V| × 1, the softmax and cross entropy together.
    var delta1 = pass.yHat
    delta1.scalars[pass.target] -= 1
    // δ2 = (Uᵀ δ1) ⊙ f′(z): H × 1, the error signal at z.
    let delta2 = (p.U.T * delta1) ⊙ f.derivative(pass.z)
    // ∂J/∂e = Wᵀ δ2: nd × 1.
    let de = p.W.T * delta2
    // ∂J/∂E: column x^(k) receives slice k of ∂J/∂e, += so a repeated word gets every slice.
    var dE = Matrix(rows: d, cols: V)
    for k in 0..<n {
      let w = pass.tokens[k]
      for i in 0..<d { dE.scalars[i * V + w] += de.scalars[k * d + i] }
    }
    return WindowLanguageModelGradients(
      delta1: delta1,
      dU: Matrix.outer(delta1, pass.h),                  // δ1 hᵀ
      db_2: delta1,                                      // δ1 ∂θ/∂b_2 = δ1 I
      delta2: delta2,
      dW: Matrix.outer(delta2, pass.e),                  // δ2 eᵀ
      db_1: delta2,                                      // δ2 ∂z/∂b_1 = δ2 I
      de: de,
      dE: dE
    )
  }

  /// The same derivatives as products of explicit Jacobian matrices, for teaching.
  public func explicitChain(_ pass: WindowLanguageModelForward) -> WindowLanguageModelChain {
    let p = parameters
    let H = hiddenSize, V = vocabularySize
    let dJ_dyHat = CrossEntropy.jacobianWithRespectToProbabilities(pass.yHat, label: pass.target)  // −(y ⊘ ŷ)ᵀ  1 × |V|
    let dyHat_dtheta = ElementaryJacobians.softmax(probabilities: pass.yHat)                     // diag(ŷ) − ŷŷᵀ
    let dtheta_dh = ElementaryJacobians.affineWithRespectToInput(W: p.U)                         // U        |V| × H
    let dh_dz = ElementaryJacobians.elementwise(f, at: pass.z)                                   // diag(f′(z))  H × H
    let dz_de = ElementaryJacobians.affineWithRespectToInput(W: p.W)                             // W        H × nd
    let dtheta_db_2 = ElementaryJacobians.affineWithRespectToBias(n: V)                          // I        |V| × |V|
    let dz_db_1 = ElementaryJacobians.affineWithRespectToBias(n: H)                              // I        H × H
    let dtheta_dvecU = ElementaryJacobians.affineWithRespectToFlattenedWeights(x: pass.h, n: V)  // I ⊗ hᵀ  |V| × |V|H
    let dz_dvecW = ElementaryJacobians.affineWithRespectToFlattenedWeights(x: pass.e, n: H)      // I ⊗ eᵀ  H × H·nd
    let de_dvecE = WindowLanguageModel.embeddingJacobian(window: pass.window, d: embeddingSize, V: V)  // nd × d|V|

    let dJ_dtheta = dJ_dyHat * dyHat_dtheta                  // 1 × |V|
    let dJ_dz = dJ_dtheta * dtheta_dh * dh_dz                // 1 × H
    let dJ_de = dJ_dz * dz_de                                // 1 × nd
    return WindowLanguageModelChain(
      dJ_dyHat: dJ_dyHat, dyHat_dtheta: dyHat_dtheta, dtheta_dh: dtheta_dh, dh_dz: dh_dz, dz_de: dz_de,
      dtheta_db_2: dtheta_db_2, dz_db_1: dz_db_1, dtheta_dvecU: dtheta_dvecU, dz_dvecW: dz_dvecW,
      de_dvecE: de_dvecE,
      dJ_dtheta: dJ_dtheta,
      dJ_dz: dJ_dz,
      dJ_de: dJ_de,
      dJ_db_2: dJ_dtheta * dtheta_db_2,
      dJ_db_1: dJ_dz * dz_db_1,
      dJ_dvecU: dJ_dtheta * dtheta_dvecU,
      dJ_dvecW: dJ_dz * dz_dvecW,
      dJ_dvecE: dJ_de * de_dvecE,
      shapeOfU: p.U.shape, shapeOfW: p.W.shape, shapeOfE: p.E.shape
    )
  }

  /// The Jacobian `∂e/∂vec(E)` of `e = [E x^(1); …; E x^(n)]` (row-major vec: `E[i, w]` is
  /// entry `i·|V| + w`): `nd × d|V|`.
  ///
  /// ```
  /// ∂e_{(k−1)d + i} / ∂E[j, w] = [i = j] · [x^(k) = w]
  /// ```
  /// Row `(k−1)d + i` has a single 1, in column `i·|V| + x^(k)`; a word at two positions has two
  /// rows pointing at each of its entries, so `(∂J/∂e) · ∂e/∂vec(E)` sums both positions.
  public static func embeddingJacobian(window: [Int], d: Int, V: Int) -> Matrix {
    var J = Matrix(rows: window.count * d, cols: d * V)
    for (k, w) in window.enumerated() {
      for i in 0..<d { J[k * d + i, i * V + w] = 1 }
    }
    return J
  }
}

// MARK: - Parameters

/// The parameters of the fixed-window language model, column convention.
///
/// ```
/// E     d × |V|     column w is the embedding of word w
/// W     H × nd      n blocks of d columns, block k acting on e^(k) = E x^(k)
/// b_1   H × 1
/// U     |V| × H
/// b_2   |V| × 1
/// ```
public struct WindowLanguageModelParameters: Equatable, Sendable {
  /// The embedding matrix, `d × |V|`.
  public var E: Matrix
  /// The hidden-layer weight, `H × nd`.
  public var W: Matrix
  /// The hidden bias, `H × 1`.
  public var b_1: Matrix
  /// The output weight, `|V| × H`.
  public var U: Matrix
  /// The output bias, `|V| × 1`.
  public var b_2: Matrix

  public init(E: Matrix, W: Matrix, b_1: Matrix, U: Matrix, b_2: Matrix) {
    self.E = E
    self.W = W
    self.b_1 = b_1
    self.U = U
    self.b_2 = b_2
  }

  /// |V|, the columns of E.
  public var vocabularySize: Int { E.cols }
  /// d, the rows of E.
  public var embeddingSize: Int { E.rows }
  /// H, the rows of W.
  public var hiddenSize: Int { W.rows }

  /// Throws unless n ≥ 1, E is `d × |V|` with d, |V| ≥ 1, W is `H × nd` with H ≥ 1, b_1 is
  /// `H × 1`, U is `|V| × H` and b_2 is `|V| × 1`.
  public func validate(windowSize n: Int) throws(WindowLanguageModelError) {
    guard n >= 1 else { throw .invalidWindowSize(n) }
    guard E.rows >= 1, E.cols >= 1 else { throw .emptyParameter(name: "E", shape: E.shape) }
    guard W.rows >= 1 else { throw .emptyParameter(name: "W", shape: W.shape) }
    let d = embeddingSize, V = vocabularySize, H = hiddenSize
    func mismatch(_ lhs: Matrix, _ rhs: Matrix, _ requirement: String) -> WindowLanguageModelError {
      .shape(ShapeError(operation: "window language model", lhs: lhs.shape, rhs: rhs.shape, requirement: requirement))
    }
    guard W.cols == n * d else {
      throw mismatch(E, W, "E of shape d×|V| and W of shape H×(n·d) with n = \(n)")
    }
    guard b_1.shape == Shape(H, 1) else { throw mismatch(W, b_1, "W of shape H×(n·d) and b_1 of shape H×1") }
    guard U.shape == Shape(V, H) else {
      throw mismatch(E, U, "E of shape d×|V| and U of shape |V|×H with H = \(H) (the rows of W)")
    }
    guard b_2.shape == Shape(V, 1) else { throw mismatch(E, b_2, "E of shape d×|V| and b_2 of shape |V|×1") }
  }

  /// The parameters by name, in the order E, W, b_1, U, b_2.
  public var named: [(name: String, value: Matrix)] {
    [("E", E), ("W", W), ("b_1", b_1), ("U", U), ("b_2", b_2)]
  }

  /// Seeded random parameters, entries uniform in `[−scale, scale)`, drawn in the order
  /// E, W, b_1, U, b_2 (row-major within each).
  public static func random(
    windowSize n: Int, vocabularySize V: Int, embeddingSize d: Int, hiddenSize H: Int,
    scale: Double = 0.5, using rng: inout SplitMix64
  ) -> WindowLanguageModelParameters {
    WindowLanguageModelParameters(
      E: rng.matrix(d, V, -scale, scale),
      W: rng.matrix(H, n * d, -scale, scale),
      b_1: rng.matrix(H, 1, -scale, scale),
      U: rng.matrix(V, H, -scale, scale),
      b_2: rng.matrix(V, 1, -scale, scale))
  }
}

// MARK: - Forward pass

/// What the forward pass of `WindowLanguageModel` keeps.
public struct WindowLanguageModelForward: Sendable {
  /// The n + 1 tokens: the window x^(1) … x^(n), then the target x^(n+1).
  public var tokens: [Int]
  /// `e = [E x^(1); …; E x^(n)]`: `nd × 1`.
  public var e: Matrix
  /// `z = W e + b_1`: `H × 1`.
  public var z: Matrix
  /// `h = f(z)`: `H × 1`.
  public var h: Matrix
  /// `θ = U h + b_2`: `|V| × 1`.
  public var theta: Matrix
  /// `ŷ = softmax(θ)`: `|V| × 1`.
  public var yHat: Matrix
  /// `J = −log ŷ_{x(n+1)}`.
  public var J: Double

  /// The window x^(1) … x^(n) (n tokens).
  public var window: [Int] { Array(tokens.dropLast()) }
  /// The target x^(n+1).
  public var target: Int { tokens[tokens.count - 1] }
}

// MARK: - Gradients

/// The gradients of `J` for the window language model, shape convention (each the shape of its
/// variable).
///
/// ```
/// delta1  |V| × 1    dU  |V| × H    db_2  |V| × 1
/// delta2  H × 1      dW  H × nd     db_1  H × 1
/// de      nd × 1     dE  d × |V|
/// ```
public struct WindowLanguageModelGradients: Equatable, Sendable {
  /// `δ1 = ∂J/∂θ = ŷ − y`: `|V| × 1`. Its entries sum to 0.
  /// ```
  /// δ1 = ŷ − y
  /// ```
  public var delta1: Matrix
  /// `∂J/∂U`: `|V| × H`.
  /// ```
  /// ∂J/∂U = δ1 hᵀ          (|V| × H) = (|V| × 1)(1 × H)
  /// ```
  public var dU: Matrix
  /// `∂J/∂b_2`: `|V| × 1`.
  /// ```
  /// ∂J/∂b_2 = δ1
  /// ```
  public var db_2: Matrix
  /// `δ2 = ∂J/∂z`: `H × 1`.
  /// ```
  /// δ2 = (Uᵀ δ1) ⊙ f′(z)    (H × 1) = ((H × |V|)(|V| × 1)) ⊙ (H × 1)
  /// ```
  public var delta2: Matrix
  /// `∂J/∂W`: `H × nd`.
  /// ```
  /// ∂J/∂W = δ2 eᵀ          (H × nd) = (H × 1)(1 × nd)
  /// ```
  public var dW: Matrix
  /// `∂J/∂b_1`: `H × 1`.
  /// ```
  /// ∂J/∂b_1 = δ2
  /// ```
  public var db_1: Matrix
  /// `∂J/∂e`: `nd × 1`; entries `(k−1)d ..< kd` are `∂J/∂e^(k)`.
  /// ```
  /// ∂J/∂e = Wᵀ δ2          (nd × 1) = (nd × H)(H × 1)
  /// ```
  public var de: Matrix
  /// `∂J/∂E`: `d × |V|`; nonzero only in the columns of the window's words.
  /// ```
  /// ∂J/∂E[:, w] = Σ_{k : x^(k) = w} ∂J/∂e^(k)      (d × 1)
  /// ```
  public var dE: Matrix

  /// `∂J/∂e^(k)` for k = 1 … n (index k − 1), each `d × 1`: the n slices of `de` (d = rows of dE).
  public var embeddingGradients: [Matrix] {
    let d = dE.rows
    return (0..<(de.count / d)).map { k in Matrix(column: Array(de.scalars[(k * d)..<((k + 1) * d)])) }
  }

  /// The gradients by item name, in the order delta1, dU, db_2, delta2, dW, db_1, de, dE.
  public var named: [(name: String, value: Matrix)] {
    [("delta1", delta1), ("dU", dU), ("db_2", db_2), ("delta2", delta2), ("dW", dW), ("db_1", db_1),
     ("de", de), ("dE", dE)]
  }
}

// MARK: - Explicit Jacobians

/// The explicit Jacobians of the window language model and their products, all in the Jacobian
/// convention (`J[i][j] = ∂yᵢ/∂xⱼ`; the Jacobian of the scalar J is a row).
///
/// ```
/// ∂J/∂θ  = (∂J/∂ŷ)(∂ŷ/∂θ)                    = −(y ⊘ ŷ)ᵀ (diag(ŷ) − ŷŷᵀ) = δ1ᵀ       (1 × |V|)
/// ∂J/∂z  = (∂J/∂θ)(∂θ/∂h)(∂h/∂z)             = δ1ᵀ U diag(f′(z))        = δ2ᵀ       (1 × H)
/// ∂J/∂e  = (∂J/∂z)(∂z/∂e)                    = δ2ᵀ W                                (1 × nd)
/// ∂J/∂b_2 = (∂J/∂θ) I,   ∂J/∂b_1 = (∂J/∂z) I
/// ∂J/∂vec(U) = (∂J/∂θ)(I ⊗ hᵀ)                                                      (1 × |V|H)
/// ∂J/∂vec(W) = (∂J/∂z)(I ⊗ eᵀ)                                                      (1 × H·nd)
/// ∂J/∂vec(E) = (∂J/∂e)(∂e/∂vec(E))                                                  (1 × d|V|)
/// ```
public struct WindowLanguageModelChain: Sendable {
  /// `∂J/∂ŷ = −(y ⊘ ŷ)ᵀ`: `1 × |V|`.
  public var dJ_dyHat: Matrix
  /// `∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ`: `|V| × |V|`.
  public var dyHat_dtheta: Matrix
  /// `∂θ/∂h = U`: `|V| × H`.
  public var dtheta_dh: Matrix
  /// `∂h/∂z = diag(f′(z))`: `H × H`.
  public var dh_dz: Matrix
  /// `∂z/∂e = W`: `H × nd`.
  public var dz_de: Matrix
  /// `∂θ/∂b_2 = I`: `|V| × |V|`.
  public var dtheta_db_2: Matrix
  /// `∂z/∂b_1 = I`: `H × H`.
  public var dz_db_1: Matrix
  /// `∂θ/∂vec(U) = I ⊗ hᵀ` (row-major vec): `|V| × |V|H`.
  public var dtheta_dvecU: Matrix
  /// `∂z/∂vec(W) = I ⊗ eᵀ` (row-major vec): `H × H·nd`.
  public var dz_dvecW: Matrix
  /// `∂e/∂vec(E)` (row-major vec; see `WindowLanguageModel.embeddingJacobian`): `nd × d|V|`.
  public var de_dvecE: Matrix

  /// `(∂J/∂ŷ)(∂ŷ/∂θ)`: `1 × |V|`, equal to `δ1ᵀ`.
  public var dJ_dtheta: Matrix
  /// `(∂J/∂θ) U diag(f′(z))`: `1 × H`, equal to `δ2ᵀ`.
  public var dJ_dz: Matrix
  /// `(∂J/∂z) W`: `1 × nd`, equal to `(∂J/∂e)ᵀ`.
  public var dJ_de: Matrix
  /// `(∂J/∂θ) I`: `1 × |V|`.
  public var dJ_db_2: Matrix
  /// `(∂J/∂z) I`: `1 × H`.
  public var dJ_db_1: Matrix
  /// `(∂J/∂θ)(I ⊗ hᵀ)`: `1 × |V|H`.
  public var dJ_dvecU: Matrix
  /// `(∂J/∂z)(I ⊗ eᵀ)`: `1 × H·nd`.
  public var dJ_dvecW: Matrix
  /// `(∂J/∂e)(∂e/∂vec(E))`: `1 × d|V|`.
  public var dJ_dvecE: Matrix

  let shapeOfU: Shape, shapeOfW: Shape, shapeOfE: Shape

  /// `dJ_dvecU` reshaped to the shape of U, `|V| × H` (equal to `δ1 hᵀ`).
  public var dU: Matrix { dJ_dvecU.reshaped(shapeOfU.rows, shapeOfU.cols) }
  /// `dJ_dvecW` reshaped to the shape of W, `H × nd` (equal to `δ2 eᵀ`).
  public var dW: Matrix { dJ_dvecW.reshaped(shapeOfW.rows, shapeOfW.cols) }
  /// `dJ_dvecE` reshaped to the shape of E, `d × |V|` (equal to the accumulated `∂J/∂E`).
  public var dE: Matrix { dJ_dvecE.reshaped(shapeOfE.rows, shapeOfE.cols) }
}

// MARK: - Errors

/// Why the window language model cannot be evaluated on its parameters or tokens.
public enum WindowLanguageModelError: Error, Equatable, CustomStringConvertible {
  /// Two parameters whose shapes do not fit one another (or n).
  case shape(ShapeError)
  /// A parameter with no entries along a dimension that must be at least 1.
  case emptyParameter(name: String, shape: Shape)
  /// The window size n must be at least 1.
  case invalidWindowSize(Int)
  /// The tokens must be n + 1: the window and the target.
  case tokenCount(expected: Int, actual: Int)
  /// A token is not in `0 ..< |V|`.
  case tokenOutOfRange(position: Int, token: Int, vocabularySize: Int)

  public var description: String {
    switch self {
    case .shape(let e):
      return e.description
    case let .emptyParameter(name, shape):
      return "\(name) has shape \(shape); the window language model needs d, |V| and H of at least 1"
    case .invalidWindowSize(let n):
      return "the window size is \(n); it must be at least 1"
    case let .tokenCount(expected, actual):
      return "the window language model needs \(expected) tokens (the window x^(1) … x^(\(expected - 1)) and the target x^(\(expected))), got \(actual)"
    case let .tokenOutOfRange(position, token, vocabularySize):
      return "token \(token) at position \(position) is outside the vocabulary 0..<\(vocabularySize)"
    }
  }
}
