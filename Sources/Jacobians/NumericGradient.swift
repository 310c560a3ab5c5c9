/// Central-difference derivatives, the independent check of every analytic gradient.
///
/// ```
/// ∂f/∂xᵢ ≈ (f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ            error O(hᵢ²) + O(ε|f|/hᵢ)
/// ```
/// The step: the slides use a fixed h ≈ 1e-4. For double precision the step that balances the
/// truncation error (∝ h²) against the rounding error (∝ ε/h) is h ≈ ε^(1/3) ≈ 6.06e-6, and it must
/// grow with the magnitude of xᵢ, so the default is
/// ```
/// hᵢ = ε^(1/3) · max(1, |xᵢ|)
/// ```
/// Each entry costs two evaluations of f: a full gradient of an n-entry input costs 2n.
/// Inputs are flattened row-major: the Jacobian of `f: ℝ^(p×q) → ℝ^(m×n)` is `(m·n) × (p·q)`.
public enum NumericGradient {
  /// How the step is chosen for entry xᵢ.
  public enum Step: Sendable, Equatable {
    /// `hᵢ = h` whatever xᵢ is (the slides' `h ≈ 1e-4`).
    case fixed(Double)
    /// `hᵢ = h · max(1, |xᵢ|)`.
    case scaled(Double)

    /// `ε^(1/3) · max(1, |xᵢ|)`, about 6.06e-6 for |xᵢ| ≤ 1.
    public static let `default` = Step.scaled(cubeRootEpsilon)
    /// The slides' step, `h = 1e-4`.
    public static let slides = Step.fixed(1e-4)

    public func size(at x: Double) -> Double {
      switch self {
      case .fixed(let h): return h
      case .scaled(let h): return h * Swift.max(1, Swift.abs(x))
      }
    }
  }

  /// ε^(1/3) for `Double`, ≈ 6.055e-6.
  public static let cubeRootEpsilon: Double = _pow(Double.ulpOfOne, 1.0 / 3.0)

  /// The central-difference gradient of a scalar function of a matrix; same shape as `x`.
  /// Cost: `2 · x.count` evaluations of `f`.
  public static func gradient(of f: (Matrix) -> Double, at x: Matrix, step: Step = .default) -> Matrix {
    var g = Matrix(shape: x.shape)
    var probe = x
    for k in 0..<x.count {
      let xk = x.scalars[k]
      let h = step.size(at: xk)
      probe.scalars[k] = xk + h
      let plus = f(probe)
      probe.scalars[k] = xk - h
      let minus = f(probe)
      probe.scalars[k] = xk
      g.scalars[k] = (plus - minus) / (2 * h)
    }
    return g
  }

  /// The central-difference derivative of a scalar function of a scalar.
  public static func derivative(of f: (Double) -> Double, at x: Double, step: Step = .default) -> Double {
    let h = step.size(at: x)
    return (f(x + h) - f(x - h)) / (2 * h)
  }

  /// The numeric Jacobian `J[i][j] = ∂yᵢ/∂xⱼ` of `y = f(x)`: `(y.count) × (x.count)`, entries of
  /// both flattened row-major. Cost: `2 · x.count` evaluations of `f`.
  public static func jacobian(of f: (Matrix) -> Matrix, at x: Matrix, step: Step = .default) -> Matrix {
    let m = f(x).count
    var J = Matrix(rows: m, cols: x.count)
    var probe = x
    for j in 0..<x.count {
      let xj = x.scalars[j]
      let h = step.size(at: xj)
      probe.scalars[j] = xj + h
      let plus = f(probe)
      probe.scalars[j] = xj - h
      let minus = f(probe)
      probe.scalars[j] = xj
      for i in 0..<m { J[i, j] = (plus.scalars[i] - minus.scalars[i]) / (2 * h) }
    }
    return J
  }

  /// The directional derivative `∇f(x) · d ≈ (f(x + hd) − f(x − hd)) / 2h`. Cost: 2 evaluations.
  public static func directional(of f: (Matrix) -> Double, at x: Matrix, along d: Matrix, h: Double) -> Double {
    let plus = f(x + h * d)
    let minus = f(x - h * d)
    return (plus - minus) / (2 * h)
  }

  /// Richardson extrapolation of the central difference from the step pair (h, h/2):
  /// ```
  /// D(h) = (f(x + hd) − f(x − hd)) / 2h
  /// R    = (4·D(h/2) − D(h)) / 3          error O(h⁴) instead of O(h²)
  /// ```
  /// Cost: 4 evaluations.
  public static func richardsonDirectional(of f: (Matrix) -> Double, at x: Matrix, along d: Matrix, h: Double) -> Double {
    let dh = directional(of: f, at: x, along: d, h: h)
    let dh2 = directional(of: f, at: x, along: d, h: h / 2)
    return (4 * dh2 - dh) / 3
  }
}

/// How far apart two results are, written so that NaN and ±Inf always land on the failing side.
///
/// ```
/// relative(a, b) = ‖a − b‖_F / max(‖a‖_F, ‖b‖_F)      (0 when both are zero)
/// ```
/// Any NaN or ±Inf entry in either operand makes the distance NaN, and so does a shape mismatch:
/// NaN is not `≤` anything, so no tolerance — not even `+∞` — accepts it.
public enum Discrepancy {
  public static func relative(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.shape == b.shape, a.isFinite, b.isFinite else { return .nan }
    let scale = Swift.max(a.frobeniusNorm, b.frobeniusNorm)
    if scale == 0 { return 0 }
    let d = (try? a.subtracting(b))?.frobeniusNorm ?? .nan
    return d.isFinite ? d / scale : .nan
  }

  /// max |aᵢ − bᵢ|; NaN for NaN, ±Inf or a shape mismatch.
  public static func maxAbsolute(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.shape == b.shape, a.isFinite, b.isFinite else { return .nan }
    var m = 0.0
    for k in 0..<a.count { m = Swift.max(m, Swift.abs(a.scalars[k] - b.scalars[k])) }
    return m
  }

  /// True only when `relative(a, b) ≤ tolerance` (a NaN distance is never ≤ anything).
  public static func agree(_ a: Matrix, _ b: Matrix, within tolerance: Double) -> Bool {
    relative(a, b) <= tolerance
  }

  /// Relative distance of two scalars: `|a − b| / max(|a|, |b|)`, NaN for NaN or ±Inf.
  public static func relative(_ a: Double, _ b: Double) -> Double {
    relative(Matrix(scalar: a), Matrix(scalar: b))
  }
}

// MARK: - Several matrix arguments

extension NumericGradient {
  /// The central-difference gradients of a scalar function of several matrices (a network's
  /// parameters, say): one matrix per argument, each the shape of its argument.
  ///
  /// ```
  /// ∂f/∂(Aₚ)ᵢⱼ ≈ (f(…, Aₚ + h Eᵢⱼ, …) − f(…, Aₚ − h Eᵢⱼ, …)) / 2h
  /// ```
  /// Cost: `2 · Σₚ Aₚ.count` evaluations of `f`.
  public static func gradients(of f: ([Matrix]) -> Double, at arguments: [Matrix], step: Step = .default) -> [Matrix] {
    var probe = arguments
    return arguments.indices.map { p in
      gradient(of: { a in
        probe[p] = a
        defer { probe[p] = arguments[p] }
        return f(probe)
      }, at: arguments[p], step: step)
    }
  }

  /// The numeric Jacobian of a scalar-valued function of a matrix written as a `1 × x.count` row,
  /// `∂f/∂vec(x)` (row-major vec): the transpose-free layout of the Jacobian convention.
  public static func jacobianRow(of f: (Matrix) -> Double, at x: Matrix, step: Step = .default) -> Matrix {
    let g = gradient(of: f, at: x, step: step)
    return Matrix(row: g.scalars)
  }
}
