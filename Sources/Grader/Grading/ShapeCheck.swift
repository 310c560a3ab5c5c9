/// Shape findings, named the way a student would fix them.
enum ShapeCheck {
  /// The shape without its axes of length 1 (so `5`, `5×1` and `1×5` are the same vector).
  static func squeezed(_ shape: [Int]) -> [Int] { shape.filter { $0 != 1 } }

  /// nil when `submitted` fits `expected` (equal, or equal but for axes of length 1); otherwise
  /// the finding, e.g. "has shape 5×4, the transpose of the expected 4×5 (did you transpose?)".
  static func problem(submitted: [Int], expected: [Int]) -> String? {
    if submitted == expected || squeezed(submitted) == squeezed(expected) { return nil }
    let s = Tensor.describe(submitted), e = Tensor.describe(expected)
    if submitted.count >= 2, expected.count == submitted.count,
       Array(submitted.suffix(2).reversed()) == Array(expected.suffix(2)), Array(submitted.dropLast(2)) == Array(expected.dropLast(2)) {
      return "has shape \(s), the transpose of the expected \(e) (did you transpose?)"
    }
    if submitted.reduce(1, *) == expected.reduce(1, *) {
      return "has shape \(s), expected \(e) (the same number of entries: check the layout)"
    }
    return "has shape \(s), expected \(e)"
  }

  /// For a failing square matrix (or a stack of them): a sentence when the submission equals the
  /// transpose of the expected value.
  static func transposeHint(submitted: [Double], expected: [Double], shape: [Int], tolerance: Tolerance) -> String? {
    guard shape.count >= 2, shape[shape.count - 1] == shape[shape.count - 2], shape[shape.count - 1] > 1 else { return nil }
    let n = shape[shape.count - 1]
    var transposed = submitted
    for base in stride(from: 0, to: submitted.count, by: n * n) {
      for i in 0..<n {
        for j in 0..<n { transposed[base + i * n + j] = submitted[base + j * n + i] }
      }
    }
    let c = EntryComparison.compare(submitted: transposed, expected: expected, shape: shape, tolerance: tolerance)
    return c.passed ? "Your matrix is the transpose of the expected one (did you transpose? the gradient has the shape of the parameter, ∂J/∂W_ij = Σ δ_i x_j)." : nil
  }
}

/// NaN and ±Inf findings.
enum NonFinite {
  /// nil when every entry is finite; otherwise "contains NaN at [0, 2] (3 NaN and 1 ±Inf entries)".
  static func describe(_ values: [Double], shape: [Int]) -> String? {
    var nan = 0, inf = 0, first: Int?
    for (k, v) in values.enumerated() where !v.isFinite {
      if v.isNaN { nan += 1 } else { inf += 1 }
      if first == nil { first = k }
    }
    guard let first else { return nil }
    let what = values[first].isNaN ? "NaN" : (values[first] > 0 ? "+Inf" : "-Inf")
    return "contains \(what) at \(Autograder.index(EntryComparison.multiIndex(first, shape: shape))) (\(nan) NaN and \(inf) ±Inf entries)"
  }
}
