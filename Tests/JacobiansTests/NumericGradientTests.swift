import Testing
import Jacobians
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct NumericGradientTests {
  /// The documented steps: ε^(1/3) ≈ 6.055e-6 scaled by max(1, |x|), and the slides' fixed 1e-4.
  @Test func stepDocumentation() {
    let e = NumericGradient.cubeRootEpsilon
    #expect(e == pow(Double.ulpOfOne, 1.0 / 3.0))
    #expect(e > 6.05e-6 && e < 6.06e-6)
    #expect(NumericGradient.Step.default == .scaled(e))
    #expect(NumericGradient.Step.default.size(at: 0) == e)
    #expect(NumericGradient.Step.default.size(at: -0.7) == e)
    #expect(NumericGradient.Step.default.size(at: -50) == 50 * e)
    #expect(NumericGradient.Step.slides == .fixed(1e-4))
    #expect(NumericGradient.Step.slides.size(at: 0) == 1e-4)
    #expect(NumericGradient.Step.slides.size(at: 1e6) == 1e-4)
  }

  /// For f(x) = x³ the central difference is exactly (x+h)³ − (x−h)³ over 2h = 3x² + h², so its
  /// error is the documented O(h²) term with constant 1 (up to rounding, ~ε|f|/h).
  @Test(arguments: [1e-2, 1e-3, 1e-4])
  func truncationErrorIsHSquared(h: Double) {
    for x in [0.5, 1, 2] {
      let d = NumericGradient.derivative(of: { $0 * $0 * $0 }, at: x, step: .fixed(h))
      let predicted = 3 * x * x + h * h
      #expect(Swift.abs(d - predicted) <= 1e-10, "x = \(x), h = \(h): \(d) vs \(predicted)")
    }
  }

  /// The default step balances truncation and rounding, so on smooth functions it is more
  /// accurate than the slides' 1e-4, and well within the 1e-7 tolerance of the tests.
  @Test func defaultStepBeatsTheSlidesStep() {
    var worstDefault = 0.0, worstSlides = 0.0
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let x = rng.uniform(-3, 3)
      for (f, df) in [({ (v: Double) in exp(v) }, { (v: Double) in exp(v) }),
                      ({ (v: Double) in sin(3 * v) }, { (v: Double) in 3 * cos(3 * v) })] {
        let exact = df(x)
        let scale = Swift.max(1, Swift.abs(exact))
        worstDefault = Swift.max(worstDefault, Swift.abs(NumericGradient.derivative(of: f, at: x) - exact) / scale)
        worstSlides = Swift.max(worstSlides, Swift.abs(NumericGradient.derivative(of: f, at: x, step: .slides) - exact) / scale)
      }
    }
    #expect(worstDefault < worstSlides, "default \(worstDefault), slides \(worstSlides)")
    #expect(worstDefault <= 1e-9)
  }

  /// Any scalar function of a matrix: f(A) = Σ C ⊙ sin(A) + ‖A‖²_F has ∇f = C ⊙ cos(A) + 2A.
  @Test(arguments: randomSeeds)
  func gradientOfAMatrixFunction(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let A = rng.matrix(3, 5, -2, 2), C = rng.matrix(3, 5)
    let f = { (X: Matrix) in (C ⊙ X.map { sin($0) }).sum() + X.scalars.reduce(0) { $0 + $1 * $1 } }
    let analytic = C ⊙ A.map { cos($0) } + 2 * A
    let numeric = NumericGradient.gradient(of: f, at: A)
    #expect(numeric.shape == A.shape)
    expectAgree(analytic, numeric, within: centralDifferenceTolerance, "∇f")
    #expect(NumericGradient.jacobianRow(of: f, at: A) == Matrix(row: numeric.scalars))
  }

  /// The Jacobian layout: for Y = A B (p × n from A: p × q), J[(i·n + j), (k·q + l)] = [i = k] B[l, j].
  @Test(arguments: randomSeeds)
  func jacobianLayoutIsRowMajor(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let p = 1 + rng.int(below: 4), q = 1 + rng.int(below: 4), n = 1 + rng.int(below: 4)
    let A = rng.matrix(p, q), B = rng.matrix(q, n)
    let J = NumericGradient.jacobian(of: { $0 * B }, at: A)
    #expect(J.shape == Shape(p * n, p * q))
    let expected = Matrix(rows: p * n, cols: p * q) { row, col in
      let (i, j) = (row / n, row % n), (k, l) = (col / q, col % q)
      return i == k ? B[l, j] : 0
    }
    expectAgree(J, expected, within: centralDifferenceTolerance, "∂vec(AB)/∂vec(A)")
  }

  /// Several matrix arguments at once agree with one argument at a time and with the analytic
  /// gradients of f(A, B) = Σ (A B)² : ∂f/∂A = 2(AB)Bᵀ, ∂f/∂B = 2Aᵀ(AB).
  @Test(arguments: randomSeeds)
  func gradientsOfSeveralArguments(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let A = rng.matrix(2, 3), B = rng.matrix(3, 4)
    let f = { (m: [Matrix]) in (m[0] * m[1]).scalars.reduce(0) { $0 + $1 * $1 } }
    let g = NumericGradient.gradients(of: f, at: [A, B])
    #expect(g.count == 2 && g[0].shape == A.shape && g[1].shape == B.shape)
    expectAgree(g[0], 2 * (A * B) * B.T, within: centralDifferenceTolerance, "∂f/∂A")
    expectAgree(g[1], 2 * A.T * (A * B), within: centralDifferenceTolerance, "∂f/∂B")
    #expect(g[0] == NumericGradient.gradient(of: { f([$0, B]) }, at: A))
    #expect(g[1] == NumericGradient.gradient(of: { f([A, $0]) }, at: B))
  }

  /// ∇f·d by two evaluations; Richardson's O(h⁴) beats the plain O(h²) at a coarse step.
  @Test(arguments: randomSeeds)
  func directionalDerivatives(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let A = rng.matrix(2, 3), d = rng.matrix(2, 3)
    let f = { (X: Matrix) in X.scalars.reduce(0) { $0 + exp($1) } }
    let exact = (A.map { exp($0) } ⊙ d).sum()
    let plain = NumericGradient.directional(of: f, at: A, along: d, h: 1e-2)
    let richardson = NumericGradient.richardsonDirectional(of: f, at: A, along: d, h: 1e-2)
    #expect(Swift.abs(richardson - exact) < Swift.abs(plain - exact))
    expectAgree(NumericGradient.directional(of: f, at: A, along: d, h: 1e-5), exact, within: centralDifferenceTolerance, "∇f·d")
  }

  /// relative(a, b) = ‖a − b‖_F / max(‖a‖_F, ‖b‖_F); NaN, ±Inf and shape mismatches are NaN, which no tolerance accepts.
  @Test func discrepancyFormulaAndFailures() {
    let a = Matrix(column: [3, 4])
    #expect(Discrepancy.relative(a, Matrix(column: [3, 4])) == 0)
    #expect(Discrepancy.relative(a, Matrix(column: [0, 0])) == 1)          // ‖a‖/‖a‖
    #expect(Discrepancy.relative(a, Matrix(column: [3, 9])) == 5 / Matrix(column: [3, 9]).frobeniusNorm)
    #expect(Discrepancy.relative(Matrix(column: [0, 0]), Matrix(column: [0, 0])) == 0)
    #expect(Discrepancy.relative(a, Matrix(column: [.nan, 4])).isNaN)
    #expect(Discrepancy.relative(a, Matrix(column: [.infinity, 4])).isNaN)
    #expect(Discrepancy.relative(a, a.T).isNaN)
    #expect(Discrepancy.relative(Double.nan, 1).isNaN)
    #expect(Discrepancy.maxAbsolute(a, Matrix(column: [3, 4.5])) == 0.5)
    #expect(Discrepancy.maxAbsolute(a, Matrix(column: [-.infinity, 4])).isNaN)
    #expect(!Discrepancy.agree(a, Matrix(column: [.nan, 4]), within: 1e300))
    #expect(!Discrepancy.agree(a, Matrix(column: [.nan, 4]), within: .infinity))
    #expect(!Discrepancy.agree(a, Matrix(column: [.infinity, 4]), within: .infinity))
    #expect(Discrepancy.agree(a, Matrix(column: [3, 4 + 1e-12]), within: 1e-12))
  }
}
