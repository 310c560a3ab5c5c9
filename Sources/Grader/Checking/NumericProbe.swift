import Jacobians

/// A function whose derivative at a point is (a slice of) an item, so that the grader can
/// estimate the item by central differences at the student's own inputs.
///
/// The slice is `offset ..< offset + count` of the item's row-major entries:
/// - `.gradient(f)`: the slice is ∇f at `point` (count = point.count);
/// - `.jacobian(f)`: the slice is the Jacobian `J[i][j] = ∂fᵢ/∂pointⱼ`, row-major
///   (count = f(point).count · point.count).
public struct NumericProbe {
  public enum Function {
    case gradient((Matrix) -> Double)
    case jacobian((Matrix) -> Matrix)
  }

  public var offset: Int
  public var point: Matrix
  public var function: Function

  public init(offset: Int = 0, point: Matrix, gradientOf f: @escaping (Matrix) -> Double) {
    self.offset = offset
    self.point = point
    self.function = .gradient(f)
  }

  public init(offset: Int = 0, point: Matrix, jacobianOf f: @escaping (Matrix) -> Matrix) {
    self.offset = offset
    self.point = point
    self.function = .jacobian(f)
  }
}

/// The numeric estimate of an item, and how it was obtained.
///
/// Two methods, chosen by the item's size:
/// - **full** (items of at most `fullLimit` entries): central differences on every entry,
///   `hᵢ = ε^(1/3)·max(1, |xᵢ|)`. Cost: 2 forward passes per entry.
/// - **sampled** (larger gradient items): `directions` random ±1 directions d and `entries` randomly
///   chosen entries eₖ, each estimated by Richardson extrapolation of the step pair (h, h/2),
///   `R = (4·D(h/2) − D(h)) / 3` with `D(h) = (f(x + hd) − f(x − hd)) / 2h`, h = 1e-3·max(1, ‖x‖∞).
///   The directions and entries come from a secret per-run seed, so that a submission cannot be
///   tuned to the probes. Cost: 4 forward passes per direction and per entry.
/// A submission is compared with these estimates: entry by entry (full), or as the projections
/// `g·d` against `R_d` with the bound `absolute·√n + relative·Σ|gᵢ|` (sampled).
public struct NumericEstimate: Sendable {
  public enum Method: String, Sendable { case full = "central differences on every entry", sampled = "random ±1 directions and sampled entries (Richardson)" }

  public struct Projection: Sendable {
    /// Which entries are combined: ±1 weights (a direction) or a single 1 (a sampled entry).
    public var weights: [Double]
    public var label: String
    public var value: Double
  }

  public var method: Method
  /// The estimated entries (full method), row-major in the item's shape.
  public var entries: [Double]?
  /// The estimated projections (sampled method).
  public var projections: [Projection]
  /// Forward passes spent.
  public var forwardPasses: Int
}

public enum NumericEstimator {
  /// Items larger than this many entries use the sampled method.
  public static let fullLimit = 400

  public static func estimate(probes: [NumericProbe], itemCount: Int, directions: Int = 6, entries: Int = 6, rng: inout SplitMix64) -> NumericEstimate {
    let onlyGradients = probes.allSatisfy { if case .gradient = $0.function { return true } else { return false } }
    if itemCount <= fullLimit || !onlyGradients {
      return full(probes: probes, itemCount: itemCount)
    }
    return sampled(probes: probes, itemCount: itemCount, directions: directions, entries: entries, rng: &rng)
  }

  static func full(probes: [NumericProbe], itemCount: Int) -> NumericEstimate {
    var out = [Double](repeating: .nan, count: itemCount)
    var passes = 0
    for probe in probes {
      let values: Matrix
      switch probe.function {
      case .gradient(let f): values = NumericGradient.gradient(of: f, at: probe.point)
      case .jacobian(let f): values = NumericGradient.jacobian(of: f, at: probe.point)
      }
      passes += 2 * probe.point.count
      for (k, v) in values.scalars.enumerated() where probe.offset + k < itemCount {
        out[probe.offset + k] = v
      }
    }
    return NumericEstimate(method: .full, entries: out, projections: [], forwardPasses: passes)
  }

  static func sampled(probes: [NumericProbe], itemCount: Int, directions: Int, entries: Int, rng: inout SplitMix64) -> NumericEstimate {
    var projections: [NumericEstimate.Projection] = []
    var passes = 0
    for probe in probes {
      guard case .gradient(let f) = probe.function else { continue }
      let n = probe.point.count
      let h = 1e-3 * Swift.max(1, probe.point.maxAbs)
      var probeRNG = rng
      for k in 0..<directions {
        var d = Matrix(shape: probe.point.shape)
        for i in 0..<n { d.scalars[i] = probeRNG.next() & 1 == 0 ? 1 : -1 }
        let value = NumericGradient.richardsonDirectional(of: f, at: probe.point, along: d, h: h)
        var weights = [Double](repeating: 0, count: itemCount)
        for i in 0..<n { weights[probe.offset + i] = d.scalars[i] }
        projections.append(.init(weights: weights, label: "direction \(k + 1) at offset \(probe.offset)", value: value))
        passes += 4
      }
      for _ in 0..<Swift.min(entries, n) {
        let i = probeRNG.int(below: n)
        var d = Matrix(shape: probe.point.shape)
        d.scalars[i] = 1
        let value = NumericGradient.richardsonDirectional(of: f, at: probe.point, along: d, h: h)
        var weights = [Double](repeating: 0, count: itemCount)
        weights[probe.offset + i] = 1
        projections.append(.init(weights: weights, label: "entry \(probe.offset + i)", value: value))
        passes += 4
      }
      rng = probeRNG
    }
    return NumericEstimate(method: .sampled, entries: nil, projections: projections, forwardPasses: passes)
  }

  /// Compares `values` (row-major, the item's shape) with the estimate.
  public static func compare(_ values: [Double], with estimate: NumericEstimate, shape: [Int], tolerance: Tolerance) -> EntryComparison {
    if let entries = estimate.entries {
      return EntryComparison.compare(submitted: values, expected: entries, shape: shape, tolerance: tolerance)
    }
    var result = EntryComparison(maxAbsError: 0, maxRelError: 0, worstIndex: [], worstSubmitted: 0, worstExpected: 0, passed: true, failingEntries: 0)
    var worstRatio = -1.0
    for (k, p) in estimate.projections.enumerated() {
      var dot = 0.0, scale = 0.0, used = 0
      for i in values.indices where p.weights[i] != 0 {
        dot += p.weights[i] * values[i]
        scale += Swift.abs(values[i])
        used += 1
      }
      let diff = Swift.abs(dot - p.value)
      let bound = tolerance.absolute * Double(used).squareRoot() + tolerance.relative * Swift.max(scale, Swift.abs(p.value))
      let ok = dot.isFinite && p.value.isFinite && diff <= bound
      let ratio = ok ? diff / Swift.max(bound, .leastNormalMagnitude) : .infinity
      if !ok { result.passed = false; result.failingEntries += 1 }
      result.maxAbsError = diff.isFinite ? Swift.max(result.maxAbsError, diff) : .infinity
      let rel = Swift.max(Swift.abs(dot), Swift.abs(p.value))
      result.maxRelError = diff.isFinite ? Swift.max(result.maxRelError, rel == 0 ? 0 : diff / rel) : .infinity
      if ratio > worstRatio {
        worstRatio = ratio
        result.worstIndex = [k]
        result.worstSubmitted = dot
        result.worstExpected = p.value
      }
    }
    return result
  }
}
