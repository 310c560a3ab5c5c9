import Jacobians

/// Several items that are gradients of one objective J, estimated along one line: the
/// direction c = (c_1, …, c_n) has one independent random part per item, and
/// ```
/// φ_c(ε) = J(x_1 + ε c_1, …, x_n + ε c_n),   φ_c′(0) = Σ_j w_j ⟨g_j, c_j⟩
/// ```
/// (w_j = 1 for a gradient of J; the weight of J^(t) in J for an item of one loss term, such as
/// δ2^(t), whose part moves z^(t) on its way to step t's output only), so that one Richardson
/// estimate R ≈ φ_c′(0) (4 evaluations, `NumericEstimator`) serves every item, where each item
/// alone would cost its own 4. Item i's projection is what R leaves once the reference r_j of
/// every other item is taken out:
/// ```
/// R_i = (R − Σ_{j≠i} w_j ⟨r_j, c_j⟩) / w_i,   error E_i = (E + 10⁻¹²·Σ_{j≠i} w_j Σ_k |r_jk c_jk|) / w_i
/// ```
/// (E that of R, the second term the rounding of the other dot products).
///
/// What the checks still guarantee, item by item:
/// - **The self-check** of item i compares ⟨r_i, c_i⟩ with R_i, that is Σ_j w_j ⟨r_j, c_j⟩ with
///   R: a reference wrong by δ_i (whatever the other items' errors δ_j) is off by
///   ⟨δ_i, c_i⟩ + Σ_{j≠i} (w_j/w_i) ⟨δ_j, c_j⟩. The parts are independent, so conditioned on the
///   other parts this is ⟨δ_i, c_i⟩ plus a constant, and `ProbeDirection`'s bound holds as for one
///   item: missed with probability at most 2t/‖δ_i‖∞ + 2⁻³¹ (t = 3E_i + rounding), and a δ_i
///   confined to one entry with the other items right is caught with certainty when
///   |δ_ik| > 3E_i + rounding. A wrong item j makes every item of the line fail its self-check
///   (all need review) — never a wrong verdict on item i.
/// - **The student's** array s_i is compared with R_i as with an estimate of its own: when the
///   self-checks pass, R_i is within 2E_i of ⟨g_i, c_i⟩ up to the same probability, and the
///   bound of `NumericEstimator.compare` is unchanged.
///
/// The line is evaluated once, when the first of its items is estimated along directions; the
/// seeds come from that item's `rng` (each part's seed is a hash of one drawn seed and the part's
/// index), and the other items then read the same projections. Items estimated exactly (small
/// ones) use their own lines and are not parts. Not thread-safe, as `LazyValue`.
public final class SharedLine {
  public struct Part {
    /// The item's number of entries.
    public var count: Int
    /// max_k |x_k| of the coordinates the part moves.
    public var largestMagnitude: () -> Double
    /// The grader's reference of the item, row-major.
    public var reference: () -> [Double]
    /// w_i: the part adds w_i ⟨g_i, c_i⟩ to φ′(0) (an item of one loss term J^(t) in a line of
    /// J = w Σ_t J^(t)).
    public var weight: Double

    public init(count: Int, largestMagnitude: @escaping () -> Double, reference: @escaping () -> [Double], weight: Double = 1) {
      self.count = count
      self.largestMagnitude = largestMagnitude
      self.reference = reference
      self.weight = weight
    }
  }

  public let parts: [Part]
  /// φ at each ε along one direction per part (every part moved).
  let line: ([ProbeDirection]) -> ([Double]) -> [Double]
  /// The work of one evaluation, and per direction, in `NumericProbe`'s counts.
  public let work: Double
  public let setupWork: Double
  public let forwardWork: Double
  private var estimated: [[NumericEstimate.Projection]]?

  public init(parts: [Part], work: Double, setupWork: Double, forwardWork: Double,
              line: @escaping ([ProbeDirection]) -> ([Double]) -> [Double]) {
    self.parts = parts
    self.line = line
    self.work = work
    self.setupWork = setupWork
    self.forwardWork = forwardWork
  }

  /// Directions of the line: as many as fit in one forward pass of work, 1 to
  /// `NumericEstimator.maximumDirections`.
  public var directions: Int {
    let fit = forwardWork / Swift.max(setupWork + 4 * work, .leastNonzeroMagnitude)
    return fit >= Double(NumericEstimator.maximumDirections) ? NumericEstimator.maximumDirections : Swift.max(1, Int(fit))
  }

  /// The line's cost in forward passes, shared equally by its parts.
  public var costPerPart: Double {
    Double(directions) * (4 * work + setupWork) / Swift.max(forwardWork, .leastNonzeroMagnitude) / Double(Swift.max(parts.count, 1))
  }

  /// The direction of part `j` for the drawn seed `seed`.
  static func direction(seed: UInt64, part j: Int, count: Int) -> ProbeDirection {
    .random(seed: ProbeDirection.mix(seed ^ (0x5EED_0000 &+ UInt64(j) &* 0x9E37_79B9)), count: count)
  }

  /// The projections of part `part`; the first call evaluates the line with seeds from `rng`
  /// (one per direction); every call draws as many seeds, so that the items after it get the
  /// same seeds whatever the order.
  public func projections(of part: Int, rng: inout SplitMix64) -> [NumericEstimate.Projection] {
    let m = directions
    let seeds = (0..<m).map { _ in rng.next() }
    if let estimated { return estimated[part] }
    let h = NumericEstimator.directionalStep * Swift.max(1, parts.map { $0.largestMagnitude() }.max() ?? 0)
    let steps = [h, -h, h / 2, -h / 2]
    let references = parts.map { $0.reference() }
    var out = [[NumericEstimate.Projection]](repeating: [], count: parts.count)
    for seed in seeds {
      let directions = parts.enumerated().map { Self.direction(seed: seed, part: $0.offset, count: $0.element.count) }
      let values = line(directions)(steps)
      let (r, e) = NumericEstimator.richardson(values, h: h, scale: values.map(Swift.abs).max() ?? 0)
      let dots = zip(directions, references).map { $0.dot($1) }
      for i in parts.indices {
        var others = 0.0, rounding = 0.0
        for j in parts.indices where j != i {
          others += parts[j].weight * dots[j].value
          rounding += Swift.abs(parts[j].weight) * dots[j].absolute
        }
        let w = parts[i].weight
        out[i].append(.init(direction: directions[i], value: (r - others) / w, error: (e + 1e-12 * rounding) / Swift.abs(w), step: h))
      }
    }
    estimated = out
    return out[part]
  }
}
