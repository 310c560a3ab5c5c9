import Testing
import Jacobians
import TestSupport

/// Naive loops, the independent reference for `Matrix`.
enum Naive {
  static func product(_ a: Matrix, _ b: Matrix) -> Matrix {
    Matrix(rows: a.rows, cols: b.cols) { i, j in
      var s = 0.0
      for k in 0..<a.cols { s += a[i, k] * b[k, j] }
      return s
    }
  }

  static func transpose(_ a: Matrix) -> Matrix { Matrix(rows: a.cols, cols: a.rows) { i, j in a[j, i] } }
}

@Suite struct MatrixTests {
  static func randomSizes(_ rng: inout SplitMix64) -> (Int, Int, Int) {
    (1 + rng.int(below: 9), 1 + rng.int(below: 9), 1 + rng.int(below: 9))
  }

  @Test(arguments: randomSeeds)
  func productsAndTransposes(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let (m, n, p) = Self.randomSizes(&rng)
    let A = rng.matrix(m, n), B = rng.matrix(n, p)
    let naive = Naive.product(A, B)
    #expect((A * B).shape == Shape(m, p))
    expectAgree(A * B, naive, within: 1e-14, "A B")
    expectAgree(try A.multiplied(by: B), naive, within: 1e-14, "multiplied(by:)")
    #expect(A.T == Naive.transpose(A))
    #expect(A.transposed.shape == Shape(n, m))
    #expect(A.T.T == A)
    // A vector's transpose flips the orientation without moving entries.
    let v = rng.matrix(m, 1)
    #expect(v.T.shape == Shape(1, m) && v.T.scalars == v.scalars)
    // (AB)ᵀ = BᵀAᵀ
    expectAgree((A * B).T, B.T * A.T, within: 1e-14, "(AB)ᵀ = BᵀAᵀ")
  }

  @Test(arguments: randomSeeds)
  func elementwiseOperations(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let (m, n, _) = Self.randomSizes(&rng)
    let A = rng.matrix(m, n), B = rng.matrix(m, n), c = rng.uniform(-3, 3)
    let sum = A + B, difference = A - B, hadamard = A ⊙ B
    for i in 0..<m {
      for j in 0..<n {
        #expect(sum[i, j] == A[i, j] + B[i, j])
        #expect(difference[i, j] == A[i, j] - B[i, j])
        #expect(hadamard[i, j] == A[i, j] * B[i, j])
        #expect((c * A)[i, j] == c * A[i, j])
        #expect((A / c)[i, j] == A[i, j] / c)
        #expect((-A)[i, j] == -A[i, j])
      }
    }
    #expect(try A.adding(B) == sum)
    #expect(try A.subtracting(B) == difference)
    #expect(try A.hadamard(B) == hadamard)
    var acc = A
    acc += B
    #expect(acc == sum)
    acc -= B
    expectAgree(acc, A, within: 1e-15, "(A + B) − B")
  }

  @Test(arguments: randomSeeds)
  func outerDiagIdentity(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let (m, n, _) = Self.randomSizes(&rng)
    let u = rng.matrix(m, 1), v = rng.matrix(1, n)
    let outer = Matrix.outer(u, v)
    #expect(outer.shape == Shape(m, n))
    #expect(outer == Naive.product(u, v))
    #expect(Matrix.outer(u.T, v.T) == outer)   // either orientation
    let D = Matrix.diag(u)
    #expect(D.shape == Shape(m, m))
    for i in 0..<m {
      for j in 0..<m { #expect(D[i, j] == (i == j ? u.scalars[i] : 0)) }
    }
    #expect(Matrix.diag(u.scalars) == D)
    let I = Matrix.identity(m)
    #expect(I == Matrix.diag([Double](repeating: 1, count: m)))
    let A = rng.matrix(m, n)
    #expect(I * A == A)
    #expect(A * Matrix.identity(n) == A)
    // diag(u) A scales row i by uᵢ.
    #expect(D * A == Matrix(rows: m, cols: n) { i, j in u.scalars[i] * A[i, j] })
  }

  @Test(arguments: randomSeeds)
  func sumsAndNorms(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let (m, n, _) = Self.randomSizes(&rng)
    let A = rng.matrix(m, n, -5, 5)
    var total = 0.0, squares = 0.0, largest = 0.0
    var colSums = [Double](repeating: 0, count: n), rowSums = [Double](repeating: 0, count: m)
    for i in 0..<m {
      for j in 0..<n {
        total += A[i, j]
        squares += A[i, j] * A[i, j]
        largest = Swift.max(largest, Swift.abs(A[i, j]))
        colSums[j] += A[i, j]
        rowSums[i] += A[i, j]
      }
    }
    expectAgree(A.sum(), total, within: 1e-13, "sum")
    expectAgree(A.columnSums(), Matrix(row: colSums), within: 1e-14, "column sums")
    #expect(A.columnSums().shape == Shape(1, n))
    expectAgree(A.rowSums(), Matrix(column: rowSums), within: 1e-14, "row sums")
    #expect(A.rowSums().shape == Shape(m, 1))
    expectAgree(A.frobeniusNorm, squares.squareRoot(), within: 1e-14, "Frobenius norm")
    #expect(A.maxAbs == largest)
  }

  @Test func normsEdgeCases() {
    // Scaled: no overflow where Σ x² would overflow, and NaN is never hidden.
    #expect(Matrix(column: [1e200, 1e200]).frobeniusNorm == 1e200 * 2.0.squareRoot())
    #expect(Matrix(column: [1, .nan]).frobeniusNorm.isNaN)
    #expect(Matrix(column: [.nan, 1]).maxAbs.isNaN)
    #expect(Matrix(column: [1, .infinity]).frobeniusNorm == .infinity)
    #expect(Matrix(rows: 2, cols: 2).frobeniusNorm == 0)
    #expect(!Matrix(column: [1, .infinity]).isFinite)
  }

  @Test(arguments: randomSeeds)
  func entriesRowsColumnsReshape(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let (m, n, _) = Self.randomSizes(&rng)
    let A = rng.matrix(m, n)
    for i in 0..<m {
      #expect(A.row(i).scalars == (0..<n).map { A[i, $0] })
    }
    for j in 0..<n {
      #expect(A.column(j).scalars == (0..<m).map { A[$0, j] })
    }
    #expect(A.rows(0..<m) == A)
    #expect(A.reshaped(1, m * n).scalars == A.scalars)
    #expect(Matrix(A.scalars.chunked(n)) == A)
    #expect(A.isVector == (m == 1 || n == 1))
  }

  /// The throwing entry points report a `ShapeError` whose sentence names both shapes.
  @Test func throwingEntryPointsNameBothShapes() {
    let a = Matrix(rows: 3, cols: 4), b = Matrix(rows: 5, cols: 2)
    let cases: [(String, (Matrix, Matrix) throws(ShapeError) -> Matrix)] = [
      ("matrix product needs lhs columns == rhs rows, got 3×4 and 5×2", { x, y throws(ShapeError) in try x.multiplied(by: y) }),
      ("sum needs equal shapes, got 3×4 and 5×2", { x, y throws(ShapeError) in try x.adding(y) }),
      ("difference needs equal shapes, got 3×4 and 5×2", { x, y throws(ShapeError) in try x.subtracting(y) }),
      ("Hadamard product needs equal shapes, got 3×4 and 5×2", { x, y throws(ShapeError) in try x.hadamard(y) }),
    ]
    for (message, operation) in cases {
      do {
        _ = try operation(a, b)
        Issue.record("no error for \(message)")
      } catch {
        #expect(error.description == message)
        #expect(error.lhs == Shape(3, 4) && error.rhs == Shape(5, 2))
        #expect(error.description.contains("3×4 and 5×2"))
      }
    }
  }

  /// The operators stop the process with a message naming both shapes.
  @Test func operatorsStopWithBothShapes() async {
    let product = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix(rows: 2, cols: 3) * Matrix(rows: 2, cols: 3)
    }
    if let product {
      let message = String(decoding: product.standardErrorContent, as: UTF8.self)
      #expect(message.contains("matrix product needs lhs columns == rhs rows, got 2×3 and 2×3"), "stderr: \(message)")
    }
    let sum = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix(rows: 3, cols: 4) + Matrix(rows: 4, cols: 3)
    }
    if let sum {
      #expect(String(decoding: sum.standardErrorContent, as: UTF8.self).contains("got 3×4 and 4×3"))
    }
    let difference = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix(rows: 1, cols: 4) - Matrix(rows: 4, cols: 1)
    }
    if let difference {
      #expect(String(decoding: difference.standardErrorContent, as: UTF8.self).contains("got 1×4 and 4×1"))
    }
    let hadamard = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Matrix(rows: 2, cols: 2) ⊙ Matrix(rows: 2, cols: 1)
    }
    if let hadamard {
      #expect(String(decoding: hadamard.standardErrorContent, as: UTF8.self).contains("Hadamard product needs equal shapes, got 2×2 and 2×1"))
    }
    let accumulate = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      var a = Matrix(rows: 2, cols: 2)
      a += Matrix(rows: 3, cols: 2)
    }
    if let accumulate {
      #expect(String(decoding: accumulate.standardErrorContent, as: UTF8.self).contains("got 2×2 and 3×2"))
    }
  }
}

extension Array {
  /// Consecutive pieces of `size` elements.
  fileprivate func chunked(_ size: Int) -> [[Element]] {
    stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
  }
}
