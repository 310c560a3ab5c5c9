import Jacobians

/// Conversions between the grader's tensors and the references' matrices.
extension Tensor {
  /// A matrix of a 2-D tensor; a 1-D tensor of length n becomes an `n × 1` column.
  public var matrix: Matrix {
    switch shape.count {
    case 0: return Matrix(scalar: scalars[0])
    case 1: return Matrix(column: scalars)
    default: return Matrix(rows: shape[0], cols: scalars.count / Swift.max(shape[0], 1), scalars: scalars)
    }
  }

  public var ints: [Int] { scalars.map { Int($0) } }

  public var scalar: Double { scalars.first ?? .nan }

  /// A tensor of the given shape from a matrix's entries (row-major).
  public init(_ m: Matrix, shape: [Int]) {
    self.init(shape: shape, scalars: m.scalars)
  }

  /// A tensor of a matrix in its own shape; `vector: true` gives a 1-D tensor.
  public init(_ m: Matrix, vector: Bool = false) {
    self.init(shape: vector ? [m.count] : [m.rows, m.cols], scalars: m.scalars)
  }

  /// Matrices stacked along a new first axis: `[count] + shape`.
  public init(stacking ms: [Matrix], shape: [Int]) {
    self.init(shape: [ms.count] + shape, scalars: ms.flatMap(\.scalars))
  }
}
