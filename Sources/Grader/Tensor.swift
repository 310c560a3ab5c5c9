/// The element type an array was stored with.
public enum DType: String, Sendable, Equatable, CaseIterable, Codable, CustomStringConvertible {
  case float32, float64, int32, int64

  /// True for the floating-point types a gradient can be submitted in.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// NumPy's short name: `f4`, `f8`, `i4`, `i8`.
  public var numpyCode: String {
    switch self {
    case .float32: return "f4"
    case .float64: return "f8"
    case .int32: return "i4"
    case .int64: return "i8"
    }
  }

  public var description: String { rawValue }
}

/// An n-dimensional array as read from a submission or written for a student: a shape, its
/// entries in row-major (C) order widened to `Double`, and the dtype they were stored with.
///
/// A scalar has shape `[]` and one entry.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
  public var shape: [Int]
  public var scalars: [Double]
  public var dtype: DType

  public init(shape: [Int], scalars: [Double], dtype: DType = .float64) {
    precondition(shape.reduce(1, *) == scalars.count, "Tensor of shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
    self.dtype = dtype
  }

  public init(scalar: Double, dtype: DType = .float64) {
    self.init(shape: [], scalars: [scalar], dtype: dtype)
  }

  public var count: Int { scalars.count }

  /// The shape written as the notes write it: `5×4`, `12`, `scalar`.
  public var shapeDescription: String { Tensor.describe(shape) }

  public static func describe(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
  }

  public var description: String { "Tensor(\(shapeDescription), \(dtype))" }
}

extension Tensor {
  /// The number of entries of `shape`, nil when a dimension is negative or the product overflows.
  public static func entryCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      n = p
    }
    return n
  }
}
