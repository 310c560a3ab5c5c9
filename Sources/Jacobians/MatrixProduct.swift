/// Matrix products, the one place where speed matters.
///
/// ```
/// multiply(A, B)                 A B     (m × n)(n × p) = (m × p)
/// multiply(A, B, transposeA)     Aᵀ B    (n × m)ᵀ(n × p) = (m × p)
/// multiply(A, B, transposeB)     A Bᵀ    (m × n)(p × n)ᵀ = (m × p)
/// ```
/// The loops run over contiguous rows (`i-k-j` order) so that the inner loop is a vectorizable
/// `axpy`; `A Bᵀ` uses four-way unrolled dot products.
public enum MatrixProduct {
  /// `op(A) op(B)` where `op` transposes when asked. Stops with both shapes when they do not fit.
  public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let n = transposeA ? a.rows : a.cols
    let nb = transposeB ? b.cols : b.rows
    let p = transposeB ? b.rows : b.cols
    if n != nb {
      let sa = transposeA ? "\(a.shape)ᵀ" : "\(a.shape)"
      let sb = transposeB ? "\(b.shape)ᵀ" : "\(b.shape)"
      fatalError("Shape mismatch: matrix product needs lhs columns == rhs rows, got \(sa) and \(sb)")
    }
    var out = [Double](repeating: 0, count: m * p)
    a.scalars.withUnsafeBufferPointer { A in
      b.scalars.withUnsafeBufferPointer { B in
        out.withUnsafeMutableBufferPointer { C in
          switch (transposeA, transposeB) {
          case (false, false):
            for i in 0..<m {
              let c = C.baseAddress! + i * p
              for k in 0..<n {
                let aik = A[i * n + k]
                if aik == 0 { continue }
                let bRow = B.baseAddress! + k * p
                for j in 0..<p { c[j] += aik * bRow[j] }
              }
            }
          case (true, false):
            // A is n × m; (Aᵀ B)[i, j] = Σ_k A[k, i] B[k, j]
            for k in 0..<n {
              let bRow = B.baseAddress! + k * p
              for i in 0..<m {
                let aki = A[k * m + i]
                if aki == 0 { continue }
                let c = C.baseAddress! + i * p
                for j in 0..<p { c[j] += aki * bRow[j] }
              }
            }
          case (false, true):
            // B is p × n; (A Bᵀ)[i, j] = Σ_k A[i, k] B[j, k]
            for i in 0..<m {
              let aRow = A.baseAddress! + i * n
              for j in 0..<p {
                C[i * p + j] = dot(aRow, B.baseAddress! + j * n, n)
              }
            }
          case (true, true):
            // (Aᵀ Bᵀ) = (B A)ᵀ
            for i in 0..<m {
              for j in 0..<p {
                var s = 0.0
                for k in 0..<n { s += A[k * m + i] * B[j * n + k] }
                C[i * p + j] = s
              }
            }
          }
        }
      }
    }
    return Matrix(rows: m, cols: p, scalars: out)
  }

  /// Σₖ x[k] y[k] with four independent accumulators.
  @inline(__always)
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var k = 0
    while k + 4 <= n {
      s0 += x[k] * y[k]
      s1 += x[k + 1] * y[k + 1]
      s2 += x[k + 2] * y[k + 2]
      s3 += x[k + 3] * y[k + 3]
      k += 4
    }
    while k < n { s0 += x[k] * y[k]; k += 1 }
    return (s0 + s1) + (s2 + s3)
  }
}
