import Jacobians

/// Rows of doubles on raw storage (rows × width, row-major, zero-filled), for the gated cells'
/// forward states and backward loops: a row is a pointer, so the loops over a step's entries run
/// without an array per step.
///
/// ```
/// r[t]           the pointer to row t (width entries)
/// r.matrix       a copy as a Matrix (rows × width)
/// ```
final class GatedRows {
  let rows: Int, width: Int
  let base: UnsafeMutablePointer<Double>

  init(rows: Int, width: Int) {
    self.rows = rows
    self.width = width
    base = .allocate(capacity: Swift.max(1, rows * width))
    base.initialize(repeating: 0, count: Swift.max(1, rows * width))
  }

  /// The rows of `m` (copied).
  convenience init(_ m: Matrix) {
    self.init(rows: m.rows, width: m.cols)
    m.scalars.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: m.rows * m.cols) }
  }

  deinit { base.deallocate() }

  subscript(row: Int) -> UnsafeMutablePointer<Double> { base + row * width }

  var matrix: Matrix { Matrix(rows: rows, cols: width, scalars: Array(UnsafeBufferPointer(start: base, count: rows * width))) }
}

/// A local derivative of `GatedLocal` for one entry (the loops of the cells' steps).
extension GatedLocal {
  /// σ′ from the gate's value y: y(1 − y), or the slip's.
  @inline(__always)
  func sigmoidPrime(_ y: Double) -> Double {
    switch self {
    case .none: return y * (1 - y)
    case .activation: return y
    case .dropped: return 1
    case .other: return 1 - y * y
    }
  }

  /// tanh′ from the gate's value y: 1 − y², or the slip's.
  @inline(__always)
  func tanhPrime(_ y: Double) -> Double {
    switch self {
    case .none: return 1 - y * y
    case .activation: return y
    case .dropped: return 1
    case .other: return y * (1 - y)
    }
  }
}
