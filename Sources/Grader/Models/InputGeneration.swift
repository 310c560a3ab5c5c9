import Jacobians

/// The random inputs models generate for a student (seeded: the same seed, the same inputs).
extension SplitMix64 {
  /// A tensor of normal entries with the given standard deviation.
  mutating func normalTensor(_ shape: [Int], standardDeviation: Double) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in normal(standardDeviation: standardDeviation) })
  }

  /// A tensor of uniform entries in [lower, upper).
  mutating func uniformTensor(_ shape: [Int], _ lower: Double, _ upper: Double) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in uniform(lower, upper) })
  }

  /// A token sequence of `count` indices in `0..<vocabulary` in which at least one input token
  /// (among the first `count − 1`) repeats, so that accumulation into a repeated embedding shows.
  mutating func tokens(count: Int, vocabulary: Int) -> Tensor {
    var tokens = (0..<count).map { _ in int(below: vocabulary) }
    let inputs = tokens.dropLast()
    if Set(inputs).count == inputs.count, count >= 4 {
      tokens[count - 2] = tokens[int(below: count - 3)]
    }
    return Tensor(shape: [count], scalars: tokens.map(Double.init), dtype: .int64)
  }
}
