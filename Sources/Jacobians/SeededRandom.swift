/// SplitMix64: a small, fast, seeded generator, so that every random case is reproducible.
///
/// The same seed gives the same sequence on every platform (unlike `SystemRandomNumberGenerator`).
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in `[lower, upper)`.
  public mutating func uniform(_ lower: Double = 0, _ upper: Double = 1) -> Double {
    let u = Double(next() >> 11) * 0x1.0p-53
    return lower + (upper - lower) * u
  }

  /// A standard normal draw (Box–Muller).
  public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
    var u1 = uniform()
    while u1 <= .leastNormalMagnitude { u1 = uniform() }
    let u2 = uniform()
    let r = (-2 * _log(u1)).squareRoot()
    return mean + standardDeviation * r * _cos(2 * Double.pi * u2)
  }

  /// A `rows × cols` matrix of uniform entries in `[lower, upper)`.
  public mutating func matrix(_ rows: Int, _ cols: Int, _ lower: Double = -1, _ upper: Double = 1) -> Matrix {
    var scalars = [Double]()
    scalars.reserveCapacity(rows * cols)
    for _ in 0..<(rows * cols) { scalars.append(uniform(lower, upper)) }
    return Matrix(rows: rows, cols: cols, scalars: scalars)
  }

  /// A `rows × cols` matrix of normal entries with the given standard deviation.
  public mutating func normalMatrix(_ rows: Int, _ cols: Int, standardDeviation: Double = 1) -> Matrix {
    var scalars = [Double]()
    scalars.reserveCapacity(rows * cols)
    for _ in 0..<(rows * cols) { scalars.append(normal(standardDeviation: standardDeviation)) }
    return Matrix(rows: rows, cols: cols, scalars: scalars)
  }

  /// A uniform integer in `0..<bound`.
  public mutating func int(below bound: Int) -> Int {
    Int(next() % UInt64(bound))
  }
}
