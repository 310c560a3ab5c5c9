import Testing
import Jacobians
import TestSupport

// Shared helpers of the Jacobians tests: tolerances, comparisons that reject NaN, kink handling.

/// Central differences against an analytic gradient (see `Discrepancy.relative`:
/// `‖a − b‖_F / max(‖a‖_F, ‖b‖_F)`, +∞ for NaN/Inf or a shape mismatch).
let centralDifferenceTolerance = 1e-7
/// `_Differentiation` against an analytic gradient, and two analytic routes against each other.
let exactTolerance = 1e-12

/// Expects `Discrepancy.relative(a, b) ≤ tolerance`; NaN distances fail (`!(err <= tol)`).
func expectAgree(
  _ a: Matrix, _ b: Matrix, within tolerance: Double, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let err = Discrepancy.relative(a, b)
  #expect(err <= tolerance, "\(what): relative error \(err) exceeds \(tolerance) (shapes \(a.shape), \(b.shape))",
          sourceLocation: sourceLocation)
}

/// Expects `Discrepancy.relative(a, b) ≤ tolerance` for two scalars.
func expectAgree(
  _ a: Double, _ b: Double, within tolerance: Double, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let err = Discrepancy.relative(a, b)
  #expect(err <= tolerance, "\(what): \(a) vs \(b), relative error \(err) exceeds \(tolerance)",
          sourceLocation: sourceLocation)
}

/// Every activation of the package, leaky ReLU with two slopes.
let allActivations: [Activation] = [.sigmoid, .tanh, .hardTanh, .relu, .leakyReLU(slope: 0.01), .leakyReLU(slope: 0.2), .swish]

/// Where `f` is not differentiable.
func kinks(of f: Activation) -> [Double] {
  switch f {
  case .hardTanh: return [-1, 1]
  case .relu, .leakyReLU: return [0]
  case .sigmoid, .tanh, .swish: return []
  }
}

/// True when no entry of `z` is within `margin` of a kink of `f`, so that central differences
/// never straddle one.
func isAwayFromKinks(_ z: Matrix, _ f: Activation, margin: Double = 1e-3) -> Bool {
  let k = kinks(of: f)
  return z.scalars.allSatisfy { zi in k.allSatisfy { Swift.abs(zi - $0) > margin } }
}

/// A uniform draw in [lower, upper) at least `margin` away from every kink of `f`.
func drawAwayFromKinks(_ rng: inout SplitMix64, _ f: Activation, _ lower: Double, _ upper: Double, margin: Double = 1e-3) -> Double {
  while true {
    let z = rng.uniform(lower, upper)
    if kinks(of: f).allSatisfy({ Swift.abs(z - $0) > margin }) { return z }
  }
}

/// The entries of `v` as a matrix with the given shape (a slice of a flat gradient).
func slice(_ v: [Double], _ range: Range<Int>, _ rows: Int, _ cols: Int) -> Matrix {
  Matrix(rows: rows, cols: cols, scalars: Array(v[range]))
}

// MARK: - Autodiff helpers

import _Differentiation

/// The Jacobian `J[i][j] = ∂yᵢ/∂xⱼ` of `y = f(x)` from `_Differentiation`, one pullback per row.
func autodiffJacobian(of f: @differentiable(reverse) ([Double]) -> [Double], at x: [Double]) -> Matrix {
  let (y, pullback) = valueWithPullback(at: x, of: f)
  var rows = [Double]()
  for i in 0..<y.count {
    var e = [Double](repeating: 0, count: y.count)
    e[i] = 1
    rows += pullback(Array<Double>.TangentVector(e)).base
  }
  return Matrix(rows: y.count, cols: x.count, scalars: rows)
}

/// The gradient of a scalar function of `[Double]` from `_Differentiation`.
func autodiffGradient(of f: @differentiable(reverse) ([Double]) -> Double, at x: [Double]) -> [Double] {
  gradient(at: x, of: f).base
}
