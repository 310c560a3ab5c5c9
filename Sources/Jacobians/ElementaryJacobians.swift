/// The Jacobians of the lecture's building blocks, written out as explicit matrices.
///
/// Convention (as everywhere in the package): for `y ∈ ℝᵖ`, `x ∈ ℝ^q`,
/// ```
/// J = ∂y/∂x ∈ ℝ^(p × q),   J[i][j] = ∂yᵢ/∂xⱼ
/// ```
/// With `z = Wx + b`, `W: n × m`, `x: m × 1`, `b: n × 1`, `h = f(z)`, `s = uᵀh`:
/// ```
/// ∂h/∂z       = diag(f′(z))          (n × n)
/// ∂z/∂x       = W                    (n × m)
/// ∂z/∂b       = I                    (n × n)
/// ∂s/∂u       = hᵀ                   (1 × n)
/// ∂s/∂h       = uᵀ                   (1 × n)
/// ∂z/∂vec(W)  = I ⊗ xᵀ               (n × nm)   vec(W) row-major: W_jk is entry j·m + k
/// ŷ = softmax(θ):  ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ   (C × C)
/// ```
/// A matrix parameter has no Jacobian that fits the update `θ ← θ − α∇J`, so gradients follow the
/// shape convention: the gradient of a scalar through `z = Wx + b` with upstream `δ = ∂s/∂z`
/// (`1 × n`) is
/// ```
/// ∂s/∂W = δᵀ xᵀ          (n × m) = (n × 1)(1 × m)
/// ```
/// which is `δ · ∂z/∂vec(W)` (`1 × nm`) reshaped to `n × m`.
public enum ElementaryJacobians {
  /// `∂h/∂z = diag(f′(z))` for the elementwise `h = f(z)`, `z ∈ ℝⁿ`: `n × n`.
  public static func elementwise(_ f: Activation, at z: Matrix) -> Matrix {
    Matrix.diag(f.derivative(z).vectorScalars(operation: "elementwise Jacobian"))
  }

  /// `∂(Wx + b)/∂x = W`: `n × m`.
  public static func affineWithRespectToInput(W: Matrix) -> Matrix { W }

  /// `∂(Wx + b)/∂b = I`: `n × n`.
  public static func affineWithRespectToBias(n: Int) -> Matrix { Matrix.identity(n) }

  /// `∂(uᵀh)/∂u = hᵀ` for `h ∈ ℝⁿ` (either orientation): `1 × n`.
  public static func innerProductWithRespectToWeights(h: Matrix) -> Matrix {
    Matrix(row: h.vectorScalars(operation: "inner product Jacobian"))
  }

  /// `∂(uᵀh)/∂h = uᵀ` for `u ∈ ℝⁿ` (either orientation): `1 × n`.
  public static func innerProductWithRespectToInput(u: Matrix) -> Matrix {
    Matrix(row: u.vectorScalars(operation: "inner product Jacobian"))
  }

  /// The flattened Jacobian `∂z/∂vec(W)` of `z = Wx + b`, `W: n × m`: `n × nm`.
  ///
  /// ```
  /// ∂zᵢ/∂W_jk = [i = j] · x_k       column j·m + k (row-major vec, as `Matrix.scalars`)
  /// ```
  /// Row i holds `xᵀ` in columns `i·m ..< (i+1)·m` and zeros elsewhere: `W_jk` feeds only `z_j`.
  public static func affineWithRespectToFlattenedWeights(x: Matrix, n: Int) -> Matrix {
    let xs = x.vectorScalars(operation: "affine weight Jacobian")
    let m = xs.count
    var J = Matrix(rows: n, cols: n * m)
    for i in 0..<n {
      for k in 0..<m { J[i, i * m + k] = xs[k] }
    }
    return J
  }

  /// The shape-convention gradient through `z = Wx + b`: `∂s/∂W = δᵀ xᵀ`, `n × m`, for the
  /// upstream `δ = ∂s/∂z` (`1 × n` as on the slides, or `n × 1`) and the input `x` (`m × 1`).
  public static func affineWeightGradient(upstream delta: Matrix, x: Matrix) -> Matrix {
    Matrix.outer(delta, x)
  }

  /// `∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ` for `ŷ = softmax(θ)`, from the probabilities ŷ (either
  /// orientation, length C): `C × C`, symmetric.
  ///
  /// ```
  /// ∂ŷᵢ/∂θⱼ = ŷᵢ([i = j] − ŷⱼ)
  /// ```
  public static func softmax(probabilities yHat: Matrix) -> Matrix {
    let p = yHat.vectorScalars(operation: "softmax Jacobian")
    let c = Matrix(column: p)
    return Matrix.diag(p) - Matrix.outer(c, c)
  }

  /// `∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ` at the scores θ: `C × C`.
  public static func softmax(at theta: Matrix) -> Matrix {
    softmax(probabilities: Softmax.probabilities(theta))
  }
}
