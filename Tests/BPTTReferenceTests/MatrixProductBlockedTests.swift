import Testing
import Jacobians
import TestSupport

/// The cache-blocked, multi-threaded kernel of `MatrixProduct` (products of at least
/// `blockedThreshold` multiply-adds), which the RNN's output layer runs on.
@Suite struct MatrixProductBlockedTests {
  /// (Aᵀ)[i, j] summed the textbook way.
  static func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
    Matrix(rows: a.rows, cols: b.cols) { i, j in
      var s = 0.0
      for k in 0..<a.cols { s += a[i, k] * b[k, j] }
      return s
    }
  }

  /// Sizes with remainders modulo the register tile (4 × 4, or 6 × 8 in the AVX2 build) and
  /// more than one KC = 256 block.
  @Test(arguments: randomSeeds)
  func blockedProductsMatchNaiveLoops(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let m = 33 + rng.int(below: 40), n = 20 + rng.int(below: 300), p = 33 + rng.int(below: 40)
    #expect(m * n * p >= MatrixProduct.blockedThreshold)
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    let expected = Self.naive(A, B)
    expectAgree(MatrixProduct.multiply(A, B), expected, within: 1e-14, "A B \(m)×\(n)×\(p)")
    expectAgree(MatrixProduct.multiply(A.T, B, transposeA: true), expected, within: 1e-14, "(Aᵀ)ᵀ B")
    expectAgree(MatrixProduct.multiply(A, B.T, transposeB: true), expected, within: 1e-14, "A (Bᵀ)ᵀ")
    expectAgree(MatrixProduct.multiply(A.T, B.T, transposeA: true, transposeB: true), expected, within: 1e-14, "(Aᵀ)ᵀ (Bᵀ)ᵀ")
  }

  /// Every kind of block edge at once: more rows than one MC block (64, or 96 in the AVX2 build),
  /// more columns than one NC = 256 block, three KC = 256 blocks, and remainders modulo both
  /// register tiles in every direction. Compared entry by entry (the kernel writes C without
  /// zeroing it first, so a missed entry would hold garbage), on one and on two threads.
  @Test func everyBlockEdgeMatchesNaiveLoops() {
    let (m, n, p) = (101, 530, 262)
    #expect(m > 96 && p > 256 && n > 2 * 256)
    #expect(m % 4 != 0 && m % 6 != 0 && p % 8 != 0 && p % 4 != 0)
    var rng = SplitMix64(seed: 101)
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    var expected = Matrix(rows: m, cols: p)
    for i in 0..<m {
      for k in 0..<n {
        let aik = A.scalars[i * n + k]
        for j in 0..<p { expected.scalars[i * p + j] += aik * B.scalars[k * p + j] }
      }
    }
    let AT = A.T, BT = B.T
    for threads in [1, 2] {
      let results = [
        ("A B", MatrixProduct.multiply(A, B, concurrency: threads)),
        ("(Aᵀ)ᵀ B", MatrixProduct.multiply(AT, B, transposeA: true, concurrency: threads)),
        ("A (Bᵀ)ᵀ", MatrixProduct.multiply(A, BT, transposeB: true, concurrency: threads)),
        ("(Aᵀ)ᵀ (Bᵀ)ᵀ", MatrixProduct.multiply(AT, BT, transposeA: true, transposeB: true, concurrency: threads)),
      ]
      for (name, C) in results {
        let err = Discrepancy.maxAbsolute(C, expected)
        #expect(err <= 1e-12, "\(name) on \(threads) thread(s): largest entry difference \(err)")
      }
    }
  }

  /// Above `parallelThreshold` the product is split across threads (bands of rows when C is
  /// tall, of columns when it is wide); every entry is summed in the same order, so the result is
  /// identical for any thread count.
  @Test(arguments: [(800, 6, 420), (6, 420, 800)])
  func threadCountDoesNotChangeTheResult(m: Int, n: Int, p: Int) {
    #expect(m * n * p >= MatrixProduct.parallelThreshold)
    var rng = SplitMix64(seed: UInt64(m * 7 + n * 13 + p))
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    let one = MatrixProduct.multiply(A, B, concurrency: 1)
    #expect(MatrixProduct.multiply(A, B, concurrency: 2) == one)
    #expect(MatrixProduct.multiply(A.T, B.T, transposeA: true, transposeB: true, concurrency: 3) == one)
    for (i, j) in [(0, 0), (m - 1, p - 1), (m / 2, p / 3), (m - 3, 1)] {
      var s = 0.0
      for k in 0..<n { s += A[i, k] * B[k, j] }
      #expect(abs(one[i, j] - s) <= 1e-13 * Swift.max(1, abs(s)))
    }
  }
}
