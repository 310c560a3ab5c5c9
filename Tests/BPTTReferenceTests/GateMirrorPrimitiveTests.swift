import Testing
import _Differentiation
import Jacobians
import TestSupport

/// vᵀ x, differentiable in x.
@differentiable(reverse, wrt: x)
private func dot(_ x: [Double], _ v: [Double]) -> Double {
  var s = 0.0
  for i in withoutDerivative(at: 0..<x.count) { s = s + x[i] * v[i] }
  return s
}

/// The pullbacks registered for the mirror's primitives against central differences of a
/// random linear functional vᵀ f(x) of each.
@Suite struct GateMirrorPrimitiveTests {
  @Test(arguments: randomSeeds)
  func pullbacksMatchCentralDifferences(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let a = rng.matrix(6, 1).scalars, b = rng.matrix(6, 1).scalars, W = rng.matrix(4, 6).scalars
    let v6 = rng.matrix(6, 1).scalars, v4 = rng.matrix(4, 1).scalars, v2 = rng.matrix(2, 1).scalars, v3 = rng.matrix(3, 1).scalars
    func numeric(_ x: [Double], _ f: ([Double]) -> Double) -> Matrix {
      NumericGradient.gradient(of: { f($0.scalars) }, at: Matrix(column: x))
    }
    func check(_ name: String, _ auto: [Double], _ num: Matrix) {
      expectAgree(Matrix(column: auto), num, within: 1e-9, "\(name), seed \(seed)")
    }
    check("slice", gradient(at: a) { dot(mirrorSlice($0, 2, 3), v3) }.base, numeric(a) { dot(mirrorSlice($0, 2, 3), v3) })
    check("add a", gradient(at: a) { dot(mirrorAdd($0, b), v6) }.base, numeric(a) { dot(mirrorAdd($0, b), v6) })
    check("add b", gradient(at: b) { dot(mirrorAdd(a, $0), v6) }.base, numeric(b) { dot(mirrorAdd(a, $0), v6) })
    check("mul a", gradient(at: a) { dot(mirrorMul($0, b), v6) }.base, numeric(a) { dot(mirrorMul($0, b), v6) })
    check("mul b", gradient(at: b) { dot(mirrorMul(a, $0), v6) }.base, numeric(b) { dot(mirrorMul(a, $0), v6) })
    check("matvec W", gradient(at: W) { dot(mirrorMatVec($0, a), v4) }.base, numeric(W) { dot(mirrorMatVec($0, a), v4) })
    check("matvec x", gradient(at: a) { dot(mirrorMatVec(W, $0), v4) }.base, numeric(a) { dot(mirrorMatVec(W, $0), v4) })
    // E is 2 × 3 (d = 2, |V| = 3): column 1.
    check("embedding", gradient(at: a) { dot(mirrorEmbedding($0, 1, 2, 3), v2) }.base, numeric(a) { dot(mirrorEmbedding($0, 1, 2, 3), v2) })
    check("σ", gradient(at: a) { dot(mirrorSigmoid($0), v6) }.base, numeric(a) { dot(mirrorSigmoid($0), v6) })
    check("tanh", gradient(at: a) { dot(mirrorTanh($0), v6) }.base, numeric(a) { dot(mirrorTanh($0), v6) })
    check("cross entropy", gradient(at: a) { mirrorCrossEntropy($0, 4) }.base, numeric(a) { mirrorCrossEntropy($0, 4) })
  }
}
