/// A step number written in the step count T: `0`, `1`, `T`, `T+1`, `T−1` — the form `a + b·T`.
///
/// The ranges of step-indexed quantities and the bounds of sums are step bounds, so that a range
/// can be checked once for every T ("h[t+1] at t = T leaves 0…T") before any number is computed.
public struct StepBound: Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
  /// a in `a + b·T`.
  public var offset: Int
  /// b in `a + b·T` (0 for a constant step, 1 for `T + a`).
  public var stepCountMultiple: Int

  public init(offset: Int, stepCountMultiple: Int = 0) {
    self.offset = offset
    self.stepCountMultiple = stepCountMultiple
  }

  public init(integerLiteral value: Int) { self.init(offset: value) }

  /// T, the step count.
  public static let T = StepBound(offset: 0, stepCountMultiple: 1)

  public static func + (b: StepBound, k: Int) -> StepBound {
    StepBound(offset: b.offset + k, stepCountMultiple: b.stepCountMultiple)
  }

  public static func - (b: StepBound, k: Int) -> StepBound { b + (-k) }

  /// The step at a given T.
  public func value(stepCount T: Int) -> Int { offset + stepCountMultiple * T }

  public var description: String { description(stepCount: "T") }

  /// `T+1`, `T`, `0`, `2T−1`, with the step count's own symbol.
  public func description(stepCount symbol: String) -> String {
    Affine(constant: offset, stepCount: stepCountMultiple).description(stepCount: symbol)
  }

  var affine: Affine { Affine(constant: offset, stepCount: stepCountMultiple) }
}

/// The steps a quantity is defined at, `first … last` inclusive: `h^(t)` for t = 0…T, `z^(t)` for
/// t = 1…T, the tokens x(1…T+1).
public struct StepRange: Hashable, Sendable, CustomStringConvertible {
  public var first: StepBound
  public var last: StepBound

  public init(_ first: StepBound, _ last: StepBound) {
    self.first = first
    self.last = last
  }

  /// t = 1…T, the steps of the loss terms and the default range of `sum_t`.
  public static let oneThroughT = StepRange(1, .T)
  /// t = 0…T, the hidden states with h^(0) = h0.
  public static let zeroThroughT = StepRange(0, .T)

  /// The number of steps at a given T (0 when last < first).
  public func count(stepCount T: Int) -> Int { max(0, last.value(stepCount: T) - first.value(stepCount: T) + 1) }

  /// The range at a given T, as `Int`s.
  public func steps(stepCount T: Int) -> ClosedRange<Int>? {
    let a = first.value(stepCount: T), b = last.value(stepCount: T)
    return a <= b ? a...b : nil
  }

  public var description: String { description(stepCount: "T") }

  /// `0…T`.
  public func description(stepCount symbol: String) -> String {
    "\(first.description(stepCount: symbol))…\(last.description(stepCount: symbol))"
  }
}

/// `c + k·T`: the bounds the static range check works with (interval arithmetic, affine in T).
struct Affine: Hashable, Sendable {
  var constant: Int
  var stepCount: Int

  static func + (a: Affine, b: Affine) -> Affine {
    Affine(constant: a.constant + b.constant, stepCount: a.stepCount + b.stepCount)
  }

  static func * (k: Int, a: Affine) -> Affine { Affine(constant: k * a.constant, stepCount: k * a.stepCount) }

  /// True when `self > other` for every step count T ≥ 1.
  func exceedsForEveryStepCount(_ other: Affine) -> Bool {
    let d = Affine(constant: constant - other.constant, stepCount: stepCount - other.stepCount)
    return d.stepCount >= 0 && d.constant + d.stepCount > 0
  }

  func description(stepCount symbol: String) -> String {
    if stepCount == 0 { return String(constant) }
    let t = stepCount == 1 ? symbol : (stepCount == -1 ? "−\(symbol)" : "\(stepCount)\(symbol)")
    if constant == 0 { return t }
    return constant > 0 ? "\(t)+\(constant)" : "\(t)−\(-constant)"
  }
}
