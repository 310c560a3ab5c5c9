/// The shape of a matrix: `rows × cols`.
///
/// A column vector of length n has shape `n × 1`, a row vector `1 × n`, a scalar `1 × 1`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
  public var rows: Int
  public var cols: Int

  public init(_ rows: Int, _ cols: Int) {
    self.rows = rows
    self.cols = cols
  }

  /// The number of entries, `rows · cols`.
  public var count: Int { rows * cols }

  /// The shape with rows and columns exchanged.
  public var transposed: Shape { Shape(cols, rows) }

  /// Written as on the slides: `6×5`.
  public var description: String { "\(rows)×\(cols)" }
}

/// Two operands whose shapes do not fit the operation.
///
/// Reads as a sentence: "matrix product needs a.cols == b.rows, got 3×4 and 5×2".
public struct ShapeError: Error, Equatable, CustomStringConvertible {
  /// The operation, as a reader would name it ("matrix product", "Hadamard product").
  public var operation: String
  public var lhs: Shape
  public var rhs: Shape
  /// What the operation requires of the two shapes.
  public var requirement: String

  public init(operation: String, lhs: Shape, rhs: Shape, requirement: String) {
    self.operation = operation
    self.lhs = lhs
    self.rhs = rhs
    self.requirement = requirement
  }

  public var description: String {
    "\(operation) needs \(requirement), got \(lhs) and \(rhs)"
  }
}
