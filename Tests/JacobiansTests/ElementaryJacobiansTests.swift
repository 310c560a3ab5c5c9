import Testing
import _Differentiation
import Jacobians
import TestSupport

/// `h = f(z)` entry by entry, for `_Differentiation`.
@differentiable(reverse, wrt: z)
func elementwiseMirror(_ z: [Double], _ f: Activation) -> [Double] {
  var out: [Double] = []
  for i in withoutDerivative(at: 0..<z.count) { out = out + [activationMirror(z[i], f)] }
  return out
}

/// `z = Wx + b` with W row-major (n × m) for `_Differentiation`; `p = vec(W) ++ b ++ x`.
@differentiable(reverse, wrt: p)
func affineMirror(_ p: [Double], n: Int, m: Int) -> [Double] {
  var out: [Double] = []
  for i in withoutDerivative(at: 0..<n) {
    var zi = p[n * m + i]
    for k in withoutDerivative(at: 0..<m) { zi = zi + p[i * m + k] * p[n * m + n + k] }
    out = out + [zi]
  }
  return out
}

@Suite struct ElementaryJacobiansTests {
  static let activationCases: [(Activation, UInt64)] = allActivations.flatMap { f in randomSeeds.map { (f, $0) } }

  /// ∂h/∂z = diag(f′(z)): n × n, zero off the diagonal.
  @Test(arguments: activationCases)
  func elementwiseIsDiagonal(f: Activation, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 2 + rng.int(below: 6)
    let z = Matrix(column: (0..<n).map { _ in drawAwayFromKinks(&rng, f, -4, 4) })
    let J = ElementaryJacobians.elementwise(f, at: z)
    #expect(J.shape == Shape(n, n))
    for i in 0..<n {
      for j in 0..<n where i != j { #expect(J[i, j] == 0) }
      #expect(J[i, i] == f.derivative(z.scalars[i]))
    }
    let numeric = NumericGradient.jacobian(of: { f($0) }, at: z)
    expectAgree(J, numeric, within: centralDifferenceTolerance, "diag(f′(z)) vs central differences")
    let auto = autodiffJacobian(of: { elementwiseMirror($0, f) }, at: z.scalars)
    expectAgree(J, auto, within: exactTolerance, "diag(f′(z)) vs autodiff")
  }

  /// ∂(Wx + b)/∂x = W, ∂(Wx + b)/∂b = I, ∂z/∂vec(W) = I ⊗ xᵀ.
  @Test(arguments: randomSeeds)
  func affineJacobians(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 1 + rng.int(below: 5), m = 1 + rng.int(below: 6)
    let W = rng.matrix(n, m), b = rng.matrix(n, 1), x = rng.matrix(m, 1)

    let dz_dx = ElementaryJacobians.affineWithRespectToInput(W: W)
    #expect(dz_dx.shape == Shape(n, m))
    expectAgree(dz_dx, NumericGradient.jacobian(of: { W * $0 + b }, at: x), within: centralDifferenceTolerance, "∂z/∂x = W")

    let dz_db = ElementaryJacobians.affineWithRespectToBias(n: n)
    #expect(dz_db == Matrix.identity(n))
    expectAgree(dz_db, NumericGradient.jacobian(of: { W * x + $0 }, at: b), within: centralDifferenceTolerance, "∂z/∂b = I")

    let dz_dvecW = ElementaryJacobians.affineWithRespectToFlattenedWeights(x: x, n: n)
    #expect(dz_dvecW.shape == Shape(n, n * m))
    expectAgree(dz_dvecW, NumericGradient.jacobian(of: { $0 * x + b }, at: W), within: centralDifferenceTolerance,
                "∂z/∂vec(W) vs central differences")

    // All three from autodiff of one mirror: columns are [vec(W) | b | x].
    let auto = autodiffJacobian(of: { affineMirror($0, n: n, m: m) }, at: W.scalars + b.scalars + x.scalars)
    let autoW = Matrix(rows: n, cols: n * m) { i, j in auto[i, j] }
    let autoB = Matrix(rows: n, cols: n) { i, j in auto[i, n * m + j] }
    let autoX = Matrix(rows: n, cols: m) { i, j in auto[i, n * m + n + j] }
    expectAgree(dz_dvecW, autoW, within: exactTolerance, "∂z/∂vec(W) vs autodiff")
    expectAgree(dz_db, autoB, within: exactTolerance, "∂z/∂b vs autodiff")
    expectAgree(dz_dx, autoX, within: exactTolerance, "∂z/∂x vs autodiff")
  }

  /// The shape convention: with upstream δ (1 × n), ∂s/∂W = δᵀxᵀ (n × m) is δ·∂z/∂vec(W) reshaped.
  @Test(arguments: randomSeeds)
  func weightGradientIsOuterProduct(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 1 + rng.int(below: 5), m = 1 + rng.int(below: 6)
    let W = rng.matrix(n, m), b = rng.matrix(n, 1), x = rng.matrix(m, 1)
    let delta = rng.matrix(1, n)
    let ds_dW = ElementaryJacobians.affineWeightGradient(upstream: delta, x: x)
    #expect(ds_dW.shape == W.shape)
    let viaJacobian = (delta * ElementaryJacobians.affineWithRespectToFlattenedWeights(x: x, n: n)).reshaped(n, m)
    expectAgree(ds_dW, viaJacobian, within: exactTolerance, "δᵀxᵀ vs δ ∂z/∂vec(W)")
    // The column form of δ gives the same matrix.
    #expect(ElementaryJacobians.affineWeightGradient(upstream: delta.T, x: x) == ds_dW)
    // s = δ (Wx + b) has ∂s/∂W = δᵀxᵀ.
    let numeric = NumericGradient.gradient(of: { (delta * ($0 * x + b)).scalars[0] }, at: W)
    expectAgree(ds_dW, numeric, within: centralDifferenceTolerance, "δᵀxᵀ vs central differences")
    for i in 0..<n {
      for j in 0..<m { #expect(ds_dW[i, j] == delta.scalars[i] * x.scalars[j]) }
    }
  }

  /// ∂(uᵀh)/∂u = hᵀ and ∂(uᵀh)/∂h = uᵀ, both 1 × n.
  @Test(arguments: randomSeeds)
  func innerProductJacobians(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 1 + rng.int(below: 7)
    let u = rng.matrix(n, 1), h = rng.matrix(n, 1)
    let ds_du = ElementaryJacobians.innerProductWithRespectToWeights(h: h)
    let ds_dh = ElementaryJacobians.innerProductWithRespectToInput(u: u)
    #expect(ds_du == h.T)
    #expect(ds_dh == u.T)
    expectAgree(ds_du, NumericGradient.jacobian(of: { $0.T * h }, at: u), within: centralDifferenceTolerance, "∂(uᵀh)/∂u")
    expectAgree(ds_dh, NumericGradient.jacobian(of: { u.T * $0 }, at: h), within: centralDifferenceTolerance, "∂(uᵀh)/∂h")
  }

  /// ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ: symmetric, rows summing to 0 (Σŷ = 1 whatever θ).
  @Test(arguments: randomSeeds)
  func softmaxJacobian(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let C = 2 + rng.int(below: 8)
    let theta = rng.normalMatrix(C, 1, standardDeviation: 2)
    let J = ElementaryJacobians.softmax(at: theta)
    #expect(J.shape == Shape(C, C))
    #expect(J == J.T)
    #expect(J.rowSums().maxAbs <= 1e-15)
    let numeric = NumericGradient.jacobian(of: softmax, at: theta)
    expectAgree(J, numeric, within: centralDifferenceTolerance, "diag(ŷ) − ŷŷᵀ vs central differences")
    let auto = autodiffJacobian(of: softmaxMirror, at: theta.scalars)
    expectAgree(J, auto, within: exactTolerance, "diag(ŷ) − ŷŷᵀ vs autodiff")
    let yHat = softmax(theta)
    for i in 0..<C {
      for j in 0..<C {
        #expect(J[i, j] == (i == j ? yHat.scalars[i] : 0) - yHat.scalars[i] * yHat.scalars[j])
      }
    }
  }
}
