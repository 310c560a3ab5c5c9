import Testing
@testable import Jacobians
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

  /// Sizes with remainders modulo the register tile (4 × 4, or 6 × 8 and 4 × 12 in the AVX2
  /// build) and more than one KC = 256 block.
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

  /// Every kind of block edge at once: more rows than one MC = 120 block, more columns than one
  /// NC block (1536), three KC = 256 blocks, and remainders modulo every register tile in every
  /// direction. Compared entry by entry (the kernel writes C without zeroing it first, so a
  /// missed entry would hold garbage), on one and on two threads.
  @Test func everyBlockEdgeMatchesNaiveLoops() {
    let (m, n, p) = (131, 530, 1550)
    #expect(m > MatrixProduct.MC && p > MatrixProduct.NC && n > 2 * MatrixProduct.KC)
    #expect(m % 4 != 0 && m % 6 != 0 && p % 8 != 0 && p % 12 != 0)
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
  /// identical for any thread count. The last two shapes are those of the output layer, where
  /// Cᵀ is computed and transposed on its way out (`H Uᵀ`, `G1 U`).
  @Test(arguments: [(800, 6, 420), (6, 420, 800), (35, 64, 1000), (35, 1000, 64)])
  func threadCountDoesNotChangeTheResult(m: Int, n: Int, p: Int) {
    #expect(m * n * p >= MatrixProduct.parallelThreshold)
    var rng = SplitMix64(seed: UInt64(m * 7 + n * 13 + p))
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    let one = MatrixProduct.multiply(A, B, concurrency: 1)
    #expect(MatrixProduct.multiply(A, B, concurrency: 2) == one)
    #expect(MatrixProduct.multiply(A.T, B.T, transposeA: true, transposeB: true, concurrency: 3) == one)
    let BT = B.T
    #expect(MatrixProduct.multiply(A, BT, transposeB: true, concurrency: 1) == MatrixProduct.multiply(A, BT, transposeB: true, concurrency: 2))
    for (i, j) in [(0, 0), (m - 1, p - 1), (m / 2, p / 3), (m - 3, 1)] {
      var s = 0.0
      for k in 0..<n { s += A[i, k] * B[k, j] }
      #expect(abs(one[i, j] - s) <= 1e-13 * Swift.max(1, abs(s)))
    }
  }

  /// The plan follows the operands: the output layer's `H Uᵀ` (35 × 256 times a transposed
  /// |V| × 256) computes its transpose `U Hᵀ`, so that U is read in place and only H is packed;
  /// `G1ᵀ H` keeps its orientation; 35 columns of C′ take the 4 × 12 tile in the AVX2 build.
  @Test func planReadsTheLargeOperandInPlace() {
    let (T, H, V) = (35, 256, 10_000)
    let dummy = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    defer { dummy.deallocate() }
    let p = UnsafePointer(dummy)
    let logits = MatrixProduct.Plan(m: T, n: V, k: H, a: .init(base: p, rowStride: H, colStride: 1), b: .init(base: p, rowStride: 1, colStride: H))
    #expect(logits.swapped)
    let dU = MatrixProduct.Plan(m: V, n: H, k: T, a: .init(base: p, rowStride: 1, colStride: V), b: .init(base: p, rowStride: H, colStride: 1))
    #expect(!dU.swapped)
    if MatrixProduct.Tile.all.count > 1 {
      #expect(logits.tile.cols == 12)
      #expect(dU.tile.cols == 8)
    }
  }

  // MARK: Raw storage

  /// One product on raw storage: op(A) m × k, op(B) k × n, each stored with spare columns
  /// (leading dimension larger than a row), C a block inside a larger array.
  struct RawCase: CustomTestStringConvertible, Sendable {
    let m: Int, n: Int, k: Int
    let why: String
    var testDescription: String { "\(m)×\(k) · \(k)×\(n): \(why)" }
  }

  static let rawCases: [RawCase] = [
    RawCase(m: 7, n: 9, k: 5, why: "plain loops"),
    RawCase(m: 1, n: 300, k: 200, why: "one row"),
    RawCase(m: 300, n: 1, k: 200, why: "one column"),
    RawCase(m: 200, n: 300, k: 1, why: "k = 1"),
    RawCase(m: 1, n: 1, k: 40_000, why: "a 1 × 1 result over a long k"),
    RawCase(m: 35, n: 700, k: 40, why: "logits-like: 35 rows"),
    RawCase(m: 700, n: 40, k: 35, why: "dU-like: k = 35"),
    RawCase(m: 35, n: 300, k: 700, why: "G1 U-like: long k"),
    RawCase(m: 97, n: 61, k: 263, why: "odd sides, two KC blocks"),
    RawCase(m: 6, n: 8, k: 700, why: "exactly one 6 × 8 tile"),
    RawCase(m: 4, n: 12, k: 700, why: "exactly one 4 × 12 tile"),
    RawCase(m: 125, n: 13, k: 23, why: "edges in both directions"),
  ]

  /// C[i·ldc + j] (+)= Σₖ op(A)[i, k] op(B)[k, j] for every transpose and both `accumulate`
  /// settings, against the textbook sum; entries of the larger array outside the block keep
  /// their sentinel value.
  @Test(arguments: rawCases)
  func rawProductsOnBlocksOfLargerArrays(_ c: RawCase) {
    var rng = SplitMix64(seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
    let sentinel = -7.25
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        for accumulate in [false, true] {
          let (aRows, aCols) = transposeA ? (c.k, c.m) : (c.m, c.k)
          let (bRows, bCols) = transposeB ? (c.n, c.k) : (c.k, c.n)
          let lda = aCols + rng.int(below: 3), ldb = bCols + rng.int(below: 3), ldc = c.n + 1 + rng.int(below: 3)
          let a = (0..<(aRows * lda)).map { _ in rng.uniform(-1, 1) }
          let b = (0..<(bRows * ldb)).map { _ in rng.uniform(-1, 1) }
          let offset = 2
          var cStore = [Double](repeating: sentinel, count: offset + c.m * ldc + 3)
          let initial = (0..<(c.m * c.n)).map { _ in rng.uniform(-1, 1) }
          if accumulate {
            for i in 0..<c.m { for j in 0..<c.n { cStore[offset + i * ldc + j] = initial[i * c.n + j] } }
          }
          a.withUnsafeBufferPointer { A in
            b.withUnsafeBufferPointer { B in
              cStore.withUnsafeMutableBufferPointer { C in
                MatrixProduct.multiply(c.m, c.n, c.k, A.baseAddress!, lda: lda, transposeA: transposeA,
                                       B.baseAddress!, ldb: ldb, transposeB: transposeB,
                                       into: C.baseAddress! + offset, ldc: ldc, accumulate: accumulate)
              }
            }
          }
          // Errors relative to Σ|terms|, the scale of the rounding of any summation order; a
          // missed or doubled term would be off by far more.
          var worst = 0.0, untouched = true
          for i in 0..<c.m {
            for j in 0..<c.n {
              var s = accumulate ? initial[i * c.n + j] : 0
              var scale = abs(s)
              for kk in 0..<c.k {
                let x = transposeA ? a[kk * lda + i] : a[i * lda + kk]
                let y = transposeB ? b[j * ldb + kk] : b[kk * ldb + j]
                s += x * y
                scale += abs(x * y)
              }
              let err = abs(cStore[offset + i * ldc + j] - s) / Swift.max(scale, .leastNormalMagnitude)
              if !(err <= worst) && !worst.isNaN { worst = err }   // NaN sticks
            }
          }
          for (index, value) in cStore.enumerated() {
            let inside = index >= offset && (index - offset) / ldc < c.m && (index - offset) % ldc < c.n
            if !inside && value != sentinel { untouched = false }
          }
          let what = "transposeA \(transposeA), transposeB \(transposeB), accumulate \(accumulate)"
          #expect(worst <= 1e-14, "\(c.testDescription), \(what): largest entry difference \(worst) of Σ|terms|")
          #expect(untouched, "\(c.testDescription), \(what): an entry outside the block of C was written")
        }
      }
    }
  }

  /// An empty inner dimension overwrites the block with zeros, or leaves it when accumulating.
  @Test func emptyInnerDimensionOnRawStorage() {
    var c = [Double](repeating: 3, count: 6)
    let one = [1.0]
    one.withUnsafeBufferPointer { x in
      c.withUnsafeMutableBufferPointer { C in
        MatrixProduct.multiply(2, 2, 0, x.baseAddress!, lda: 1, transposeA: false, x.baseAddress!, ldb: 2, transposeB: false,
                               into: C.baseAddress!, ldc: 3, accumulate: true)
        #expect(Array(C) == [3, 3, 3, 3, 3, 3])
        MatrixProduct.multiply(2, 2, 0, x.baseAddress!, lda: 1, transposeA: false, x.baseAddress!, ldb: 2, transposeB: false,
                               into: C.baseAddress!, ldc: 3, accumulate: false)
      }
    }
    #expect(c == [0, 0, 3, 0, 0, 3])
  }
}
