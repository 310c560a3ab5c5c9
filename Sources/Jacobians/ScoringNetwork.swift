/// The lecture's one-hidden-layer scoring network, forward and backward side by side.
///
/// ```
/// z = Wx + b          x: m × 1,  W: n × m,  b: n × 1,  z: n × 1
/// h = f(z)            h: n × 1   (f elementwise, an `Activation`)
/// s = uᵀh             u: n × 1,  s: scalar
/// ```
/// Backward, with the local error signal δ computed once and re-used:
/// ```
/// ∂s/∂b = (∂s/∂h)(∂h/∂z)(∂z/∂b) = uᵀ diag(f′(z)) I        (1 × n)(n × n)(n × n) = 1 × n
///       = uᵀ ⊙ f′(z) =: δ                                  (1 × n)
/// ∂s/∂W = δᵀ xᵀ                                            (n × m) = (n × 1)(1 × m), outer product
/// ∂s/∂x = Wᵀ δᵀ                                            (m × 1) = (m × n)(n × 1)
/// ∂s/∂u = h                                                (n × 1), the Jacobian hᵀ transposed
/// ```
/// Gradients follow the shape convention (the gradient has the shape of the parameter): `ds_db`
/// is `n × 1` like `b`, while `delta` keeps the slides' row shape `1 × n`. One slide prints
/// `δ = hᵀ ∘ f′(z)`; the product `uᵀ diag(f′(z))` of the slides before it shows the factor is `uᵀ`.
public struct ScoringNetwork: Sendable {
  /// `n × m`.
  public var W: Matrix
  /// `n × 1`.
  public var b: Matrix
  /// `n × 1`.
  public var u: Matrix
  /// The elementwise nonlinearity `f`.
  public var f: Activation

  /// Hidden size n (rows of W).
  public var n: Int { W.rows }
  /// Input size m (columns of W).
  public var m: Int { W.cols }

  /// Checks that `b` and `u` are `n × 1` for `W: n × m`.
  public init(W: Matrix, b: Matrix, u: Matrix, f: Activation) throws(ShapeError) {
    guard b.shape == Shape(W.rows, 1) else {
      throw ShapeError(operation: "scoring network", lhs: W.shape, rhs: b.shape,
                       requirement: "W of shape n×m and b of shape n×1")
    }
    guard u.shape == Shape(W.rows, 1) else {
      throw ShapeError(operation: "scoring network", lhs: W.shape, rhs: u.shape,
                       requirement: "W of shape n×m and u of shape n×1")
    }
    self.W = W
    self.b = b
    self.u = u
    self.f = f
  }

  /// The forward pass for `x: m × 1`, keeping what the backward pass needs.
  public func forward(_ x: Matrix) -> ScoringForward {
    let z = W * x + b
    let h = f(z)
    let s = (u.T * h).scalars[0]
    return ScoringForward(x: x, z: z, h: h, s: s)
  }

  /// The score `s = uᵀ f(Wx + b)`.
  public func score(_ x: Matrix) -> Double { forward(x).s }

  /// All gradients of `s` at once, through the shortcut `δ = uᵀ ⊙ f′(z)` (computed once).
  public func backward(_ pass: ScoringForward) -> ScoringGradients {
    // δ = uᵀ ⊙ f′(z): 1 × n, the local error signal at z.
    let delta = u.T ⊙ f.derivative(pass.z).T
    return ScoringGradients(
      delta: delta,
      ds_db: delta.T,                                             // δ ∂z/∂b = δ I, as n × 1
      ds_dW: ElementaryJacobians.affineWeightGradient(upstream: delta, x: pass.x),  // δᵀ xᵀ
      ds_dx: W.T * delta.T,                                       // Wᵀ δᵀ
      ds_du: pass.h                                               // (∂s/∂u = hᵀ)ᵀ
    )
  }

  /// The same derivatives as products of explicit Jacobian matrices, for teaching.
  public func explicitChain(_ pass: ScoringForward) -> ScoringChain {
    let ds_dh = ElementaryJacobians.innerProductWithRespectToInput(u: u)     // uᵀ           1 × n
    let dh_dz = ElementaryJacobians.elementwise(f, at: pass.z)              // diag(f′(z))  n × n
    let dz_db = ElementaryJacobians.affineWithRespectToBias(n: n)           // I            n × n
    let dz_dx = ElementaryJacobians.affineWithRespectToInput(W: W)          // W            n × m
    let dz_dvecW = ElementaryJacobians.affineWithRespectToFlattenedWeights(x: pass.x, n: n)  // n × nm
    let ds_du = ElementaryJacobians.innerProductWithRespectToWeights(h: pass.h)              // hᵀ 1 × n
    return ScoringChain(
      ds_dh: ds_dh, dh_dz: dh_dz, dz_db: dz_db, dz_dx: dz_dx, dz_dvecW: dz_dvecW,
      ds_du: ds_du,
      ds_db: ds_dh * dh_dz * dz_db,
      ds_dx: ds_dh * dh_dz * dz_dx,
      ds_dvecW: ds_dh * dh_dz * dz_dvecW
    )
  }
}

/// What the forward pass of `ScoringNetwork` keeps.
public struct ScoringForward: Sendable {
  /// The input, `m × 1`.
  public var x: Matrix
  /// `z = Wx + b`, `n × 1`.
  public var z: Matrix
  /// `h = f(z)`, `n × 1`.
  public var h: Matrix
  /// `s = uᵀh`.
  public var s: Double
}

/// The gradients of the score `s`, shape convention (each the shape of its variable).
public struct ScoringGradients: Sendable {
  /// `δ = uᵀ ⊙ f′(z) = ∂s/∂z`: `1 × n`, as on the slides.
  public var delta: Matrix
  /// `∂s/∂b = δ`, as a column: `n × 1`.
  public var ds_db: Matrix
  /// `∂s/∂W = δᵀ xᵀ`: `n × m`.
  public var ds_dW: Matrix
  /// `∂s/∂x = Wᵀ δᵀ`: `m × 1`.
  public var ds_dx: Matrix
  /// `∂s/∂u = h`: `n × 1`.
  public var ds_du: Matrix

  /// `δ` as a column, `δᵀ`: `n × 1`.
  public var deltaColumn: Matrix { delta.T }
}

/// The explicit Jacobians of `s = uᵀ f(Wx + b)` and their products (all in the Jacobian
/// convention, `J[i][j] = ∂yᵢ/∂xⱼ`).
public struct ScoringChain: Sendable {
  /// `∂s/∂h = uᵀ`: `1 × n`.
  public var ds_dh: Matrix
  /// `∂h/∂z = diag(f′(z))`: `n × n`.
  public var dh_dz: Matrix
  /// `∂z/∂b = I`: `n × n`.
  public var dz_db: Matrix
  /// `∂z/∂x = W`: `n × m`.
  public var dz_dx: Matrix
  /// `∂z/∂vec(W)` (row-major vec): `n × nm`.
  public var dz_dvecW: Matrix
  /// `∂s/∂u = hᵀ`: `1 × n`.
  public var ds_du: Matrix
  /// `(∂s/∂h)(∂h/∂z)(∂z/∂b) = uᵀ diag(f′(z)) I`: `1 × n`.
  public var ds_db: Matrix
  /// `(∂s/∂h)(∂h/∂z)(∂z/∂x) = uᵀ diag(f′(z)) W`: `1 × m`.
  public var ds_dx: Matrix
  /// `(∂s/∂h)(∂h/∂z)(∂z/∂vec(W))`: `1 × nm`.
  public var ds_dvecW: Matrix

  /// `ds_dvecW` reshaped to the shape of W, `n × m` (equal to `δᵀ xᵀ`).
  public var ds_dW: Matrix { ds_dvecW.reshaped(dz_dx.rows, dz_dx.cols) }
}
