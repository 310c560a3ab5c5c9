import Jacobians

/// The numeric estimate of a family of items (`NumericProbeFamily`) along shared directions:
/// each projection moves every item of the family at once, item m along its own part c_m.
public struct JointEstimate: Sendable {
  public struct Projection: Sendable {
    /// c_m by item.
    public var directions: [String: ProbeDirection]
    /// R ≈ Σ_m ⟨item_m, c_m⟩ (Richardson, as `NumericEstimate.Projection`).
    public var value: Double
    /// A bound on |R − Σ_m ⟨item_m, c_m⟩|.
    public var error: Double
    public var step: Double
    /// ⟨r_m, c_m⟩ and Σ|r_{m,k} c_{m,k}| of the references, once `verify` has computed them.
    public var referenceDots: [String: ProbeDirection.Dot] = [:]
  }

  public var family: String
  /// The family's items checked together, in the order given.
  public var items: [String]
  public var projections: [Projection]
  /// Evaluations of the family's line, and their cost in forward passes.
  public var forwardPasses: Int
  public var forwardPassEquivalents: Double
}

extension NumericEstimator {
  /// The joint estimate of `items` (each with a probe of `family`): as many shared directions as
  /// fit in one forward pass of work (1 to 3), each from 4 evaluations of the family's line,
  /// h = 10⁻⁵·max(1, the largest |x_k| of any item).
  public static func jointEstimate(_ family: NumericProbeFamily, probes: [String: NumericProbe], items: [String], rng: inout SplitMix64) -> JointEstimate {
    let setup = items.reduce(0.0) { $0 + (probes[$1]?.setupWork ?? 0) }
    let fit = family.forwardWork / Swift.max(setup + 4 * family.work, .leastNonzeroMagnitude)
    let count = fit >= Double(maximumDirections) ? maximumDirections : Swift.max(1, Int(fit))
    let largest = items.map { probes[$0]!.largestMagnitude() }.max() ?? 0
    let h = directionalStep * Swift.max(1, largest)
    let steps = [h, -h, h / 2, -h / 2]
    var projections: [JointEstimate.Projection] = []
    for _ in 0..<count {
      var directions: [String: ProbeDirection] = [:]
      for item in items { directions[item] = .random(seed: rng.next(), count: probes[item]!.count) }
      let values = family.line(directions)(steps)
      let (value, error) = richardson(values, h: h, scale: values.map(Swift.abs).max() ?? 0)
      projections.append(.init(directions: directions, value: value, error: error, step: h))
    }
    let evaluations = 4 * count
    let equivalents = (Double(evaluations) * family.work + Double(count) * setup) / Swift.max(family.forwardWork, .leastNonzeroMagnitude)
    return JointEstimate(family: family.name, items: items, projections: projections, forwardPasses: evaluations, forwardPassEquivalents: equivalents)
  }

  /// The references of every item of the family against the estimate, along each shared
  /// direction: |Σ_m ⟨r_m, c_m⟩ − R| ≤ 2E + 10⁻¹²·Σ_m Σ_k |r_{m,k} c_{m,k}|. Keeps the references'
  /// projections in the estimate, for `compare(item:…)`.
  public static func verify(references: [String: [Double]], with estimate: inout JointEstimate) -> EntryComparison {
    for k in estimate.projections.indices {
      for item in estimate.items {
        estimate.projections[k].referenceDots[item] = estimate.projections[k].directions[item]!.dot(references[item]!)
      }
    }
    return project(estimate) { p in
      let dot = p.referenceDots.values.reduce(ProbeDirection.Dot(value: 0, absolute: 0)) { .init(value: $0.value + $1.value, absolute: $0.absolute + $1.absolute) }
      return (dot.value, selfCheckBound(.init(direction: .basis(0, count: 1), value: p.value, error: p.error, step: p.step), absoluteDot: dot.absolute))
    }
  }

  /// A submitted array for `item` against the estimate, the family's other items at their
  /// verified references: ⟨s, c_item⟩ + Σ_{m ≠ item} ⟨r_m, c_m⟩ against R, within the estimate's
  /// error and what `tolerance` allows entry by entry (as `compare(_:with:…)`).
  public static func compare(item: String, _ values: [Double], with estimate: JointEstimate, tolerance: Tolerance) -> EntryComparison {
    project(estimate) { p in
      let direction = p.directions[item]!
      let own = direction.dot(values)
      var value = own.value, absolute = own.absolute
      for (other, dot) in p.referenceDots where other != item {
        value += dot.value
        absolute += dot.absolute
      }
      let allowance = direction.toleranceAllowance(values, tolerance: tolerance)
      return (value, 2 * p.error + allowance + 1e-12 * absolute)
    }
  }

  static func project(_ estimate: JointEstimate, _ dotAndBound: (JointEstimate.Projection) -> (Double, Double)) -> EntryComparison {
    var result = EntryComparison(maxAbsError: 0, maxRelError: 0, worstIndex: [], worstSubmitted: 0, worstExpected: 0, passed: true, failingEntries: 0)
    var worstRatio = -1.0
    for p in estimate.projections {
      let (dot, bound) = dotAndBound(p)
      accumulate(&result, &worstRatio, dot: dot, estimate: p.value, bound: bound)
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

  /// One direction's verdict folded into `result`: passes when both projections are finite and
  /// |dot − estimate| ≤ bound (NaN lands on the failing side).
  static func accumulate(_ result: inout EntryComparison, _ worstRatio: inout Double, dot: Double, estimate: Double, bound: Double) {
    let difference = Swift.abs(dot - estimate)
    let ok = dot.isFinite && estimate.isFinite && difference <= bound
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
