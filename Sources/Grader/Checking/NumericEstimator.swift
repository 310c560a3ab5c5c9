import Jacobians

/// The numeric estimate of an item, and how it was obtained.
public struct NumericEstimate: Sendable {
  public enum Method: String, Sendable {
    case exact = "central differences on every entry"
    case directional = "random directions, Richardson-extrapolated central differences"
  }

  /// One directional estimate: R ≈ ⟨item, c⟩, within `error` of it.
  public struct Projection: Sendable {
    public var direction: ProbeDirection
    /// R = (4·D(h/2) − D(h)) / 3.
    public var value: Double
    /// |D(h) − D(h/2)| + 3·δφ/h: a bound on |R − ⟨item, c⟩| (see `NumericEstimator`).
    public var error: Double
    /// The step h.
    public var step: Double
  }

  public var method: Method
  /// The item's number of entries.
  public var count: Int
  /// The estimated entries (exact method), row-major in the item's shape.
  public var entries: [Double]?
  /// The estimated projections (directional method).
  public var projections: [Projection]
  /// Evaluations of the probe's line (each at one ε).
  public var forwardPasses: Int
  /// Those evaluations weighted by the probe's work per forward pass: the cost in forward passes.
  public var forwardPassEquivalents: Double
}

/// Estimates items by central differences of their probes' lines, and compares arrays with the
/// estimates.
///
/// **Exact** — items of at most `exactLimit` entries whose estimate costs at most
/// `exactWorkLimit` (so: homework sizes): one basis direction per entry (per input of a
/// Jacobian), the central difference of the slides with hₖ = ε^(1/3)·max(1, |x_k|), 2 evaluations
/// each. The estimate is the item entry by entry, for `explain` and the reports; it is compared
/// entry by entry within the grader's `numericTolerance` (the student's: the rubric's, widened
/// to it).
///
/// **Directional** — every other item: `directions(for:)` random directions c (1 to 3, as many
/// as fit in about one forward pass of work), each giving ⟨item, c⟩ from 4 evaluations,
/// ```
/// D(h) = (φ(h) − φ(−h)) / 2h,  h = 10⁻⁵·max(1, max_k |x_k|)     error c₂h² + c₄h⁴ + rounding
/// R    = (4·D(h/2) − D(h)) / 3                                    error −c₄h⁴/4 + rounding
/// E    = |D(h) − D(h/2)| + 3·δφ/h,  δφ = 64·ε_mach·max|φ|        (3δφ/h bounds R's rounding)
/// ```
/// E bounds |R − ⟨item, c⟩|: |D(h) − D(h/2)| = ¾|c₂|h² + (15/16)|c₄|h⁴ ≥ |c₄|h⁴/4 unless the
/// two terms cancel. Memory: a direction is two words (`ProbeDirection`); what a line keeps
/// for it (a moved parameter, the product c_U h) is of the size of the item.
///
/// The **self-check** of the reference r along c passes when
/// ```
/// |⟨r, c⟩ − R| ≤ 2E + 10⁻¹²·Σ|r_k c_k|
/// ```
/// — the estimate's own error, not a bound that grows with Σ|r_k| (the second term is the
/// rounding of the dot product, twelve orders below a relative error).
///
/// Detection: take a reference wrong by δ. With |c_k| ≥ 1 for every k, a δ confined to one
/// entry moves ⟨r, c⟩ by at least |δ_k| for every direction, so the reference is caught with
/// certainty — probability 1 ≥ 1 − 10⁻⁹ with a single direction — whenever |δ_k| > 3E +
/// 10⁻¹²·Σ|r_k c_k| (the tests check that this holds with a wide margin for a corruption of 1 % of
/// the item's largest entry, for every item at small and large sizes). For an arbitrary δ,
/// one direction misses it with probability at most 2(3E)/‖δ‖∞ + 2⁻³¹ (`ProbeDirection`), m
/// independent directions with the m-th power of that.
///
/// The **student's** array s along c passes when
/// ```
/// |⟨s, c⟩ − R| ≤ 2E + 7·√(Σ c_k² τ_k²) + 10⁻¹²·Σ|s_k c_k|,   τ_k = tolerance.bound(s_k)
/// ```
/// An answer within the tolerance entry by entry (|s_k − item_k| ≤ τ_k), whose error the student
/// chose without knowing the secret signs, fails with probability below 5·10⁻¹¹ (Hoeffding); for
/// rank-one directions, whose signs are products, the worst case Σ|c_k|τ_k replaces the square
/// root.
///
/// **Shared lines** — items that are gradients of one objective share one line and its
/// directions (`SharedLine`): each item's projection is the line's estimate less the reference's
/// projections of the other items, with the same guarantees item by item.
///
/// NaN and ±Inf never pass: every comparison is written `!(difference <= bound)` → fail, and
/// an estimate that is not finite fails both checks (the item then needs review).
public enum NumericEstimator {
  /// Items of more entries are estimated along directions.
  public static let exactLimit = 400
  /// Exact estimates costing more work than this (about 0.1 s) are estimated along directions.
  public static let exactWorkLimit = 1e8
  /// The directional step, relative to max(1, max_k |x_k|).
  public static let directionalStep = 1e-5
  /// At most this many directions per item.
  public static let maximumDirections = 3

  /// True when the probe is estimated entry by entry.
  public static func isExact(_ probe: NumericProbe) -> Bool {
    let lines: Int
    switch probe.line {
    case .gradient: lines = probe.count
    case .jacobian(_, let cols, _): lines = cols
    }
    return probe.count <= exactLimit && Double(lines) * (probe.setupWork + 2 * probe.work) <= exactWorkLimit
  }

  /// The number of random directions: as many as fit in one forward pass of work, 1 to 3.
  public static func directions(for probe: NumericProbe) -> Int {
    let perDirection = Swift.max(probe.setupWork + 4 * probe.work, .leastNonzeroMagnitude)
    let fit = probe.forwardWork / perDirection
    return fit >= Double(maximumDirections) ? maximumDirections : Swift.max(1, Int(fit))
  }

  /// The estimate of the probe's item; random directions draw their seeds from `rng`.
  public static func estimate(_ probe: NumericProbe, rng: inout SplitMix64) -> NumericEstimate {
    if isExact(probe) { return exact(probe) }
    if let (line, part) = probe.shared {
      let projections = line.projections(of: part, rng: &rng)
      return NumericEstimate(method: .directional, count: probe.count, entries: nil, projections: projections,
                             forwardPasses: 4 * projections.count, forwardPassEquivalents: line.costPerPart)
    }
    return directional(probe, directions: directions(for: probe), rng: &rng)
  }

  /// Central differences on every entry.
  public static func exact(_ probe: NumericProbe) -> NumericEstimate {
    var out = [Double](repeating: .nan, count: probe.count)
    var evaluations = 0
    switch probe.line {
    case .gradient(let line):
      var steps = [0.0, 0.0]                   // ±h, one array for every entry
      for k in 0..<probe.count {
        let h = NumericGradient.Step.default.size(at: probe.magnitude(k))
        steps[0] = h
        steps[1] = -h
        let v = line(.basis(k, count: probe.count))(steps)
        out[k] = (v[0] - v[1]) / (2 * h)
        evaluations += 2
      }
    case .jacobian(let rows, let cols, let line):
      for j in 0..<cols {
        let h = NumericGradient.Step.default.size(at: probe.magnitude(j))
        var b = [Double](repeating: 0, count: cols)
        b[j] = 1
        let v = line(b)([h, -h])
        for i in 0..<rows { out[i * cols + j] = (v[0][i] - v[1][i]) / (2 * h) }
        evaluations += 2
      }
    }
    return NumericEstimate(method: .exact, count: probe.count, entries: out, projections: [], forwardPasses: evaluations,
                           forwardPassEquivalents: cost(probe, evaluations: evaluations, directions: evaluations / 2))
  }

  /// `directions` random directions, each Richardson-extrapolated from the steps h and h/2.
  public static func directional(_ probe: NumericProbe, directions: Int, rng: inout SplitMix64) -> NumericEstimate {
    let h = directionalStep * Swift.max(1, probe.largestMagnitude())
    let steps = [h, -h, h / 2, -h / 2]
    var projections: [NumericEstimate.Projection] = []
    for _ in 0..<directions {
      let seed = rng.next()
      let direction: ProbeDirection
      let values: [Double], scale: Double
      switch probe.line {
      case .gradient(let line):
        direction = .random(seed: seed, count: probe.count)
        values = line(direction)(steps)
        scale = values.map(Swift.abs).max() ?? 0
      case .jacobian(let rows, let cols, let line):
        direction = .outer(rows: rows, cols: cols, seed: seed)
        let (a, b) = direction.factors!
        let psi = line(b)(steps)
        values = psi.map { y in zip(a, y).reduce(0) { $0 + $1.0 * $1.1 } }
        scale = psi.map { y in zip(a, y).reduce(0) { $0 + Swift.abs($1.0 * $1.1) } }.max() ?? 0
      }
      let (richardsonValue, error) = richardson(values, h: h, scale: scale)
      projections.append(.init(direction: direction, value: richardsonValue, error: error, step: h))
    }
    let evaluations = 4 * directions
    return NumericEstimate(method: .directional, count: probe.count, entries: nil, projections: projections,
                           forwardPasses: evaluations, forwardPassEquivalents: cost(probe, evaluations: evaluations, directions: directions))
  }

  /// The forward passes the estimate of `probe` is counted to cost, without evaluating it (an
  /// item of a shared line: its share of the line).
  public static func countedCost(_ probe: NumericProbe) -> Double {
    if isExact(probe) {
      let lines: Int
      switch probe.line {
      case .gradient: lines = probe.count
      case .jacobian(_, let cols, _): lines = cols
      }
      return cost(probe, evaluations: 2 * lines, directions: lines)
    }
    if let (line, _) = probe.shared { return line.costPerPart }
    let m = directions(for: probe)
    return cost(probe, evaluations: 4 * m, directions: m)
  }

  static func cost(_ probe: NumericProbe, evaluations: Int, directions: Int) -> Double {
    (Double(evaluations) * probe.work + Double(directions) * probe.setupWork) / Swift.max(probe.forwardWork, .leastNonzeroMagnitude)
  }

  // MARK: Comparisons

  /// The bound of the self-check along one projection, for a reference whose Σ|r_k c_k| is
  /// `absoluteDot`.
  public static func selfCheckBound(_ p: NumericEstimate.Projection, absoluteDot: Double) -> Double {
    2 * p.error + 1e-12 * absoluteDot
  }

  /// The grader's own reference against the estimate: entry by entry within `tolerance`
  /// (exact), or along each direction within the estimate's own error (directional).
  public static func verify(reference values: [Double], with estimate: NumericEstimate, shape: [Int], tolerance: Tolerance) -> EntryComparison {
    if let entries = estimate.entries {
      return EntryComparison.compare(submitted: values, expected: entries, shape: shape, tolerance: tolerance)
    }
    return project(values, estimate) { p, dot in selfCheckBound(p, absoluteDot: dot.absolute) }
  }

  /// A submitted array against the estimate: entry by entry within `tolerance` (exact), or along
  /// each direction within the estimate's error and what `tolerance` allows entry by entry
  /// (directional).
  public static func compare(_ values: [Double], with estimate: NumericEstimate, shape: [Int], tolerance: Tolerance) -> EntryComparison {
    if let entries = estimate.entries {
      return EntryComparison.compare(submitted: values, expected: entries, shape: shape, tolerance: tolerance)
    }
    return project(values, estimate) { p, dot in
      2 * p.error + p.direction.toleranceAllowance(values, tolerance: tolerance) + 1e-12 * dot.absolute
    }
  }

  /// The comparison along every direction: `bound(projection, ⟨values, c⟩)`.
  static func project(_ values: [Double], _ estimate: NumericEstimate,
                      bound: (NumericEstimate.Projection, ProbeDirection.Dot) -> Double) -> EntryComparison {
    precondition(values.count == estimate.count, "compare needs the item's \(estimate.count) entries, got \(values.count)")
    var result = EntryComparison(maxAbsError: 0, maxRelError: 0, worstIndex: [], worstSubmitted: 0, worstExpected: 0, passed: true, failingEntries: 0)
    var worstRatio = -1.0
    for p in estimate.projections {
      let dot = p.direction.dot(values)
      accumulate(&result, &worstRatio, dot: dot.value, estimate: p.value, bound: bound(p, dot))
    }
    return result
  }

  /// D(h), D(h/2) from φ at (h, −h, h/2, −h/2): R = (4D(h/2) − D(h))/3 and its error bound
  /// |D(h) − D(h/2)| + 3·δφ/h, δφ = 64·ε_mach·`scale`.
  static func richardson(_ values: [Double], h: Double, scale: Double) -> (value: Double, error: Double) {
    let d1 = (values[0] - values[1]) / (2 * h)
    let d2 = (values[2] - values[3]) / h
    let rounding = 64 * Double.ulpOfOne * scale
    return ((4 * d2 - d1) / 3, Swift.abs(d1 - d2) + 3 * rounding / h)
  }

  /// One direction's verdict folded into `result`: passes when both projections and the bound are
  /// finite and |dot − estimate| ≤ bound (NaN lands on the failing side, and so does an infinite
  /// error bound, which would accept anything).
  static func accumulate(_ result: inout EntryComparison, _ worstRatio: inout Double, dot: Double, estimate: Double, bound: Double) {
    let difference = Swift.abs(dot - estimate)
    let ok = dot.isFinite && estimate.isFinite && bound.isFinite && difference <= bound
    let ratio = ok ? difference / Swift.max(bound, .leastNormalMagnitude) : .infinity
    if !ok {
      result.passed = false
      result.failingEntries += 1
    }
    result.maxAbsError = difference.isFinite ? Swift.max(result.maxAbsError, difference) : .infinity
    let scale = Swift.max(Swift.abs(dot), Swift.abs(estimate))
    let relative = scale == 0 ? 0 : difference / scale
    result.maxRelError = relative.isFinite ? Swift.max(result.maxRelError, relative) : .infinity
    if ratio > worstRatio {
      worstRatio = ratio
      result.worstSubmitted = dot
      result.worstExpected = estimate
    }
  }
}
