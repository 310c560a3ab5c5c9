import Testing
import Jacobians
import TestSupport

@Suite struct MatrixProductTests {
  /// Sizes with remainders modulo 4 (the unrolled dot product) and sparse rows (the zero skip).
  @Test(arguments: randomSeeds)
  func allTransposeCombinationsMatchNaiveLoops(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let m = 1 + rng.int(below: 11), n = 1 + rng.int(below: 11), p = 1 + rng.int(below: 11)
    var A = rng.matrix(m, n), B = rng.matrix(n, p)
    // Some exact zeros, so that skipping zero entries is exercised.
    for k in 0..<A.count where rng.uniform() < 0.2 { A.scalars[k] = 0 }
    for k in 0..<B.count where rng.uniform() < 0.2 { B.scalars[k] = 0 }
    let expected = Naive.product(A, B)
    expectAgree(MatrixProduct.multiply(A, B), expected, within: 1e-14, "A B")
    expectAgree(MatrixProduct.multiply(A.T, B, transposeA: true), expected, within: 1e-14, "(Aᵀ)ᵀ B")
    expectAgree(MatrixProduct.multiply(A, B.T, transposeB: true), expected, within: 1e-14, "A (Bᵀ)ᵀ")
    expectAgree(MatrixProduct.multiply(A.T, B.T, transposeA: true, transposeB: true), expected, within: 1e-14, "(Aᵀ)ᵀ (Bᵀ)ᵀ")
    #expect(MatrixProduct.multiply(A, B).shape == Shape(m, p))
  }

  /// Rows, columns and k = 1, on both sides of `blockedThreshold` (plain loops and the blocked
  /// kernel), with every transpose.
  @Test(arguments: [(1, 7, 5), (6, 7, 1), (5, 1, 9), (1, 300, 200), (300, 200, 1), (200, 1, 300), (1, 40_000, 1), (35, 3, 900)])
  func degenerateShapesMatchNaiveLoops(m: Int, n: Int, p: Int) {
    var rng = SplitMix64(seed: UInt64(m * 31 + n * 7 + p))
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    let expected = Naive.product(A, B)
    let shapes = "\(m)×\(n) · \(n)×\(p)"
    expectAgree(MatrixProduct.multiply(A, B), expected, within: 1e-14, "A B, \(shapes)")
    expectAgree(MatrixProduct.multiply(A.T, B, transposeA: true), expected, within: 1e-14, "(Aᵀ)ᵀ B, \(shapes)")
    expectAgree(MatrixProduct.multiply(A, B.T, transposeB: true), expected, within: 1e-14, "A (Bᵀ)ᵀ, \(shapes)")
    expectAgree(MatrixProduct.multiply(A.T, B.T, transposeA: true, transposeB: true), expected, within: 1e-14, "(Aᵀ)ᵀ (Bᵀ)ᵀ, \(shapes)")
  }

  @Test func emptyInnerDimensionGivesZeros() {
    let C = MatrixProduct.multiply(Matrix(rows: 2, cols: 0), Matrix(rows: 0, cols: 3))
    #expect(C == Matrix(rows: 2, cols: 3))
  }

  @Test func mismatchStopsWithTransposedShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MatrixProduct.multiply(Matrix(rows: 3, cols: 4), Matrix(rows: 4, cols: 3), transposeB: true)
    }
    if let result {
      let message = String(decoding: result.standardErrorContent, as: UTF8.self)
      #expect(message.contains("got 3×4 and 4×3ᵀ"), "stderr: \(message)")
    }
  }
}
