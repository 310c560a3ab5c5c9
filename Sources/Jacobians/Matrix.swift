/// A dense, row-major matrix of `Double`, shape-checked.
///
/// Vectors are matrices too: a column vector of length n is `n × 1` (the slides' convention,
/// `z = Wx + b`), a row vector `1 × n`. Entry `(i, j)` is stored at `scalars[i * cols + j]`.
///
/// Conventions used throughout the package:
/// ```
/// Jacobian:  J[i][j] = ∂yᵢ/∂xⱼ          (m × n) for y ∈ ℝᵐ, x ∈ ℝⁿ
/// Gradient:  ∂s/∂W has the shape of W   (the "shape convention")
/// ```
///
/// Operators (`*`, `+`, `-`, `⊙`) stop the program with a message naming both shapes when the
/// shapes do not fit; the `throws` spellings (`multiplied(by:)`, `adding(_:)`, …) report a
/// `ShapeError` instead, for code that must validate without stopping (the grader).
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
  public let rows: Int
  public let cols: Int
  /// Row-major entries, `rows · cols` of them.
  public var scalars: [Double]

  // MARK: Construction

  /// A matrix from its row-major entries; `scalars.count` must be `rows · cols`.
  public init(rows: Int, cols: Int, scalars: [Double]) {
    if rows < 0 || cols < 0 || scalars.count != rows * cols {
      fatalError("Matrix(rows: \(rows), cols: \(cols)) needs \(max(0, rows * cols)) scalars, got \(scalars.count)")
    }
    self.rows = rows
    self.cols = cols
    self.scalars = scalars
  }

  public init(rows: Int, cols: Int, repeating value: Double = 0) {
    self.init(rows: rows, cols: cols, scalars: Array(repeating: value, count: rows * cols))
  }

  public init(shape: Shape, repeating value: Double = 0) {
    self.init(rows: shape.rows, cols: shape.cols, repeating: value)
  }

  /// A matrix from nested rows: `Matrix([[1, 2], [3, 4]])` is 2×2. Rows must have equal length.
  public init(_ nestedRows: [[Double]]) {
    let cols = nestedRows.first?.count ?? 0
    for (i, row) in nestedRows.enumerated() where row.count != cols {
      fatalError("Matrix rows must have equal length: row 0 has \(cols) entries, row \(i) has \(row.count)")
    }
    self.init(rows: nestedRows.count, cols: cols, scalars: nestedRows.flatMap { $0 })
  }

  /// A column vector, `n × 1`.
  public init(column: [Double]) {
    self.init(rows: column.count, cols: 1, scalars: column)
  }

  /// A row vector, `1 × n`.
  public init(row: [Double]) {
    self.init(rows: 1, cols: row.count, scalars: row)
  }

  /// A `1 × 1` matrix.
  public init(scalar: Double) {
    self.init(rows: 1, cols: 1, scalars: [scalar])
  }

  /// The matrix whose entry `(i, j)` is `entry(i, j)`.
  public init(rows: Int, cols: Int, entry: (Int, Int) -> Double) {
    var scalars = [Double]()
    scalars.reserveCapacity(rows * cols)
    for i in 0..<rows {
      for j in 0..<cols { scalars.append(entry(i, j)) }
    }
    self.init(rows: rows, cols: cols, scalars: scalars)
  }

  /// The `n × n` zero matrix but for ones on the diagonal.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, cols: n)
    for i in 0..<n { m.scalars[i * n + i] = 1 }
    return m
  }

  /// `diag(v)`: the `n × n` matrix with `v` on its diagonal (`v` is any vector of length n).
  public static func diag(_ v: Matrix) -> Matrix {
    diag(v.vectorScalars(operation: "diag"))
  }

  /// `diag(v)` for a plain array of length n: `n × n`.
  public static func diag(_ v: [Double]) -> Matrix {
    var m = Matrix(rows: v.count, cols: v.count)
    for (i, x) in v.enumerated() { m.scalars[i * v.count + i] = x }
    return m
  }

  /// The outer product `u vᵀ` of two vectors (rows or columns): `(m × n) = (m × 1)(1 × n)`.
  public static func outer(_ u: Matrix, _ v: Matrix) -> Matrix {
    let a = u.vectorScalars(operation: "outer product")
    let b = v.vectorScalars(operation: "outer product")
    var out = [Double](repeating: 0, count: a.count * b.count)
    for i in a.indices {
      let ai = a[i]
      let base = i * b.count
      for j in b.indices { out[base + j] = ai * b[j] }
    }
    return Matrix(rows: a.count, cols: b.count, scalars: out)
  }

  // MARK: Shape and entries

  public var shape: Shape { Shape(rows, cols) }

  /// True for `n × 1` and `1 × n` (and so for `1 × 1`).
  public var isVector: Bool { rows == 1 || cols == 1 }

  public subscript(i: Int, j: Int) -> Double {
    get { scalars[i * cols + j] }
    set { scalars[i * cols + j] = newValue }
  }

  /// Row i as a `1 × cols` matrix.
  public func row(_ i: Int) -> Matrix {
    Matrix(rows: 1, cols: cols, scalars: Array(scalars[(i * cols)..<((i + 1) * cols)]))
  }

  /// Column j as a `rows × 1` matrix.
  public func column(_ j: Int) -> Matrix {
    Matrix(rows: rows, cols: 1, scalars: (0..<rows).map { scalars[$0 * cols + j] })
  }

  /// Rows `range` as a `range.count × cols` matrix.
  public func rows(_ range: Range<Int>) -> Matrix {
    Matrix(rows: range.count, cols: cols, scalars: Array(scalars[(range.lowerBound * cols)..<(range.upperBound * cols)]))
  }

  /// The entries of a vector (either orientation); stops with a message for any other shape.
  public func vectorScalars(operation: String) -> [Double] {
    if !isVector { fatalError("\(operation) needs a vector, got \(shape)") }
    return scalars
  }

  /// The same entries with another shape of the same count.
  public func reshaped(_ rows: Int, _ cols: Int) -> Matrix {
    if rows * cols != count {
      fatalError("reshape needs the same number of entries, got \(shape) and \(Shape(rows, cols))")
    }
    return Matrix(rows: rows, cols: cols, scalars: scalars)
  }

  public var count: Int { scalars.count }

  // MARK: Transpose

  /// `Aᵀ`: `(cols × rows)`.
  public var transposed: Matrix {
    if rows == 1 || cols == 1 { return Matrix(rows: cols, cols: rows, scalars: scalars) }
    var out = [Double](repeating: 0, count: count)
    scalars.withUnsafeBufferPointer { a in
      out.withUnsafeMutableBufferPointer { t in
        for i in 0..<rows {
          for j in 0..<cols { t[j * rows + i] = a[i * cols + j] }
        }
      }
    }
    return Matrix(rows: cols, cols: rows, scalars: out)
  }

  /// `Aᵀ`, the slides' spelling.
  public var T: Matrix { transposed }

  // MARK: Reductions and norms

  /// Σᵢⱼ Aᵢⱼ.
  public func sum() -> Double { scalars.reduce(0, +) }

  /// Sum over rows: the `1 × cols` row of column sums.
  public func columnSums() -> Matrix {
    var out = [Double](repeating: 0, count: cols)
    for i in 0..<rows {
      for j in 0..<cols { out[j] += scalars[i * cols + j] }
    }
    return Matrix(row: out)
  }

  /// Sum over columns: the `rows × 1` column of row sums.
  public func rowSums() -> Matrix {
    Matrix(column: (0..<rows).map { i in scalars[(i * cols)..<((i + 1) * cols)].reduce(0, +) })
  }

  /// ‖A‖_F = √(Σᵢⱼ Aᵢⱼ²), computed with scaling so that it neither overflows nor underflows early.
  public var frobeniusNorm: Double {
    let scale = maxAbs
    guard scale.isFinite, scale > 0 else { return scale.isNaN ? .nan : scale }
    var s = 0.0
    for x in scalars { let y = x / scale; s += y * y }
    return scale * s.squareRoot()
  }

  /// max |Aᵢⱼ|; NaN when any entry is NaN (so that a NaN never hides behind a maximum).
  public var maxAbs: Double {
    var m = 0.0
    for x in scalars {
      if x.isNaN { return .nan }
      m = Swift.max(m, Swift.abs(x))
    }
    return m
  }

  /// True when every entry is finite (no NaN, no ±Inf).
  public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }

  // MARK: Elementwise

  public func map(_ f: (Double) -> Double) -> Matrix {
    Matrix(rows: rows, cols: cols, scalars: scalars.map(f))
  }

  /// `f(aᵢⱼ, bᵢⱼ)` entry by entry; the shapes must be equal.
  public func zipWith(_ other: Matrix, operation: String, _ f: (Double, Double) -> Double) throws(ShapeError) -> Matrix {
    guard shape == other.shape else {
      throw ShapeError(operation: operation, lhs: shape, rhs: other.shape, requirement: "equal shapes")
    }
    var out = scalars
    other.scalars.withUnsafeBufferPointer { b in
      for k in out.indices { out[k] = f(out[k], b[k]) }
    }
    return Matrix(rows: rows, cols: cols, scalars: out)
  }

  // MARK: Shape-checked operations that throw

  /// `A + B`; throws when the shapes differ.
  public func adding(_ other: Matrix) throws(ShapeError) -> Matrix { try zipWith(other, operation: "sum", +) }

  /// `A − B`; throws when the shapes differ.
  public func subtracting(_ other: Matrix) throws(ShapeError) -> Matrix { try zipWith(other, operation: "difference", -) }

  /// `A ⊙ B` (Hadamard, entry by entry); throws when the shapes differ.
  public func hadamard(_ other: Matrix) throws(ShapeError) -> Matrix { try zipWith(other, operation: "Hadamard product", *) }

  /// `A B`: `(m × n)(n × p) = (m × p)`; throws when `A.cols ≠ B.rows`.
  public func multiplied(by other: Matrix) throws(ShapeError) -> Matrix {
    guard cols == other.rows else {
      throw ShapeError(operation: "matrix product", lhs: shape, rhs: other.shape, requirement: "lhs columns == rhs rows")
    }
    return MatrixProduct.multiply(self, other)
  }

  public var description: String {
    let body = (0..<rows).map { i in
      (0..<cols).map { j in String(self[i, j]) }.joined(separator: ", ")
    }.joined(separator: "; ")
    return "Matrix \(shape) [\(body)]"
  }
}

// MARK: - Operators (stop with a message naming both shapes)

infix operator ⊙: MultiplicationPrecedence

extension Matrix {
  /// Runs a shape-checked operation, stopping the program with the shape error's sentence.
  @inline(__always)
  static func checked(_ body: () throws(ShapeError) -> Matrix) -> Matrix {
    do { return try body() } catch { fatalError("Shape mismatch: \(error)") }
  }

  /// `A B`: `(m × n)(n × p) = (m × p)`.
  public static func * (a: Matrix, b: Matrix) -> Matrix { checked { () throws(ShapeError) in try a.multiplied(by: b) } }
  public static func + (a: Matrix, b: Matrix) -> Matrix { checked { () throws(ShapeError) in try a.adding(b) } }
  public static func - (a: Matrix, b: Matrix) -> Matrix { checked { () throws(ShapeError) in try a.subtracting(b) } }
  /// `A ⊙ B`, the Hadamard product.
  public static func ⊙ (a: Matrix, b: Matrix) -> Matrix { checked { () throws(ShapeError) in try a.hadamard(b) } }

  public static func * (c: Double, a: Matrix) -> Matrix { a.map { c * $0 } }
  public static func * (a: Matrix, c: Double) -> Matrix { a.map { $0 * c } }
  public static func / (a: Matrix, c: Double) -> Matrix { a.map { $0 / c } }
  public static prefix func - (a: Matrix) -> Matrix { a.map { -$0 } }

  /// `A += B` in place (a value used twice receives every contribution).
  public static func += (a: inout Matrix, b: Matrix) {
    if a.shape != b.shape { fatalError("Shape mismatch: sum needs equal shapes, got \(a.shape) and \(b.shape)") }
    b.scalars.withUnsafeBufferPointer { bp in
      a.scalars.withUnsafeMutableBufferPointer { ap in
        for k in ap.indices { ap[k] += bp[k] }
      }
    }
  }

  public static func -= (a: inout Matrix, b: Matrix) {
    if a.shape != b.shape { fatalError("Shape mismatch: difference needs equal shapes, got \(a.shape) and \(b.shape)") }
    b.scalars.withUnsafeBufferPointer { bp in
      a.scalars.withUnsafeMutableBufferPointer { ap in
        for k in ap.indices { ap[k] -= bp[k] }
      }
    }
  }
}
