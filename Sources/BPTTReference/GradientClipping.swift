import Jacobians

/// Gradient clipping (note 001, "clip the gradient"), applied after the gradient is computed.
///
/// ```
/// value(c)        gᵢ ← min(max(gᵢ, −c), c)                 every entry of every gradient
/// globalNorm(c)   ‖g‖ = √(Σ_params Σᵢ gᵢ²)
///                 g ← (c / ‖g‖) g   when ‖g‖ > c,  g unchanged otherwise
/// ```
/// The global norm runs over all the gradients of the model (for `RNNGradients`: dE, dW_h, dW_e,
/// db_1, dU, db_2, dh0), so clipping by norm keeps the direction of the whole gradient.
///
/// Edge Cases: a NaN entry stays NaN under clamping; a NaN or infinite global norm leaves the
/// gradients unchanged (scaling by c/∞ would hide the problem behind zeros).
public enum GradientClipping {
  /// What clipping does to a gradient whose global norm is `norm`.
  public enum Rule: Equatable, Sendable {
    case keep
    case scale(Double)
    case clamp(Double)
  }

  /// The rule for `clipping` given the global norm.
  public static func rule(_ clipping: Clipping, norm: Double) -> Rule {
    switch clipping {
    case .none: return .keep
    case .value(let c): return .clamp(c)
    case .globalNorm(let c):
      if norm.isFinite, norm > c { return .scale(c / norm) }
      return .keep
    }
  }

  /// Every entry clamped to [−c, c].
  public static func clamp(_ g: Matrix, _ c: Double) -> Matrix {
    g.map { x in x > c ? c : (x < -c ? -c : x) }
  }

  /// √(Σ over the matrices of Σᵢ gᵢ²), with scaling so that it neither overflows nor underflows.
  public static func globalNorm(_ gradients: [Matrix]) -> Double {
    var scale = 0.0
    for g in gradients {
      let m = g.maxAbs
      if m.isNaN { return .nan }
      scale = Swift.max(scale, m)
    }
    guard scale.isFinite, scale > 0 else { return scale }
    var s = 0.0
    for g in gradients {
      for x in g.scalars { let y = x / scale; s += y * y }
    }
    return scale * s.squareRoot()
  }
}

extension Clipping {
  /// True for `.globalNorm`, whose rule needs the norm.
  var needsNorm: Bool {
    if case .globalNorm = self { return true }
    return false
  }
}
