/// The multivariable chain rule on the lecture's example.
///
/// ```
/// z = x²y − y²,   x = t²,   y = 2t
///
/// dz/dt = ∂z/∂x · dx/dt + ∂z/∂y · dy/dt
///       = (2xy)(2t) + (x² − 2y)(2)
///       = 8t⁴ + 2t⁴ − 8t = 10t⁴ − 8t
/// ```
/// `evaluate(t:)` computes dz/dt from the four local derivatives, not from the closed form, and
/// returns every piece.
public enum ChainRuleExample {
  public static func evaluate(t: Double) -> ChainRulePieces {
    let x = t * t                 // x = t²
    let y = 2 * t                 // y = 2t
    let z = x * x * y - y * y     // z = x²y − y²
    let dz_dx = 2 * x * y         // ∂z/∂x = 2xy
    let dz_dy = x * x - 2 * y     // ∂z/∂y = x² − 2y
    let dx_dt = 2 * t             // dx/dt = 2t
    let dy_dt = 2.0               // dy/dt = 2
    return ChainRulePieces(
      t: t, x: x, y: y, z: z,
      dz_dx: dz_dx, dx_dt: dx_dt, dz_dy: dz_dy, dy_dt: dy_dt,
      dz_dt: dz_dx * dx_dt + dz_dy * dy_dt
    )
  }
}

/// The values and local derivatives of the chain-rule example at one t.
public struct ChainRulePieces: Equatable, Sendable {
  public var t: Double
  /// `x = t²`.
  public var x: Double
  /// `y = 2t`.
  public var y: Double
  /// `z = x²y − y²`.
  public var z: Double
  /// `∂z/∂x = 2xy`.
  public var dz_dx: Double
  /// `dx/dt = 2t`.
  public var dx_dt: Double
  /// `∂z/∂y = x² − 2y`.
  public var dz_dy: Double
  /// `dy/dt = 2`.
  public var dy_dt: Double
  /// `dz/dt = ∂z/∂x · dx/dt + ∂z/∂y · dy/dt`.
  public var dz_dt: Double
}
