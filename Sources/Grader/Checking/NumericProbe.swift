import Jacobians

/// How the grader estimates one item numerically at a student's inputs: a line φ_c through the
/// model's point for every item-shaped direction c, such that
/// ```
/// φ_c′(0) = ⟨item, c⟩ = Σ_k item_k c_k
/// ```
/// The model describes the line; the estimator (`NumericEstimator`) picks the directions —
/// basis vectors for an exact entry-by-entry estimate of a small item, a few random directions
/// for a large one — and the steps. A probe never loops over the item's entries itself.
///
/// ```
/// gradient   item = ∇f at x                       φ_c(ε) = f(x + ε c)
///            a per-step item, one objective        φ_c(ε) = Σ_t f_t(x_t + ε c_t)
/// jacobian   item = J (m × n) of y = f(x)          ψ_b(ε) = f(x + ε b) ∈ ℝ^m,
///                                                  aᵀψ_b′(0) = aᵀ J b = ⟨J, a bᵀ⟩
/// ```
/// Lines take several ε at once (the estimator asks for ±h and ±h/2 together), so that a model
/// can batch their work (one matrix product for the output layers of all four).
///
/// `work` is the model's count of the floating-point work of one evaluation at one ε (a
/// multiply-add counts 1, an exp 50), `setupWork` that done once per direction, and
/// `forwardWork` that of the model's forward pass: the estimator spends about one forward pass
/// of work per item (`NumericEstimator`).
public struct NumericProbe {
  public enum Line {
    /// φ_c at each ε, for an item-shaped direction c.
    case gradient((ProbeDirection) -> ([Double]) -> [Double])
    /// ψ_b at each ε (each an m-vector), for an input direction b of n entries; the item is the
    /// `rows × cols` (m × n) Jacobian, row-major.
    case jacobian(rows: Int, cols: Int, (_ b: [Double]) -> ([Double]) -> [[Double]])
  }

  /// The item's number of entries.
  public var count: Int
  public var line: Line
  /// |x_k|, the size of the coordinate of the point that entry k moves (input k of a Jacobian),
  /// for the exact steps hₖ = ε^(1/3)·max(1, |x_k|).
  public var magnitude: (Int) -> Double
  /// max_k |x_k|, for the directional steps h = 10⁻⁵·max(1, max_k |x_k|); read only when the
  /// probe is evaluated.
  public var largestMagnitude: () -> Double
  public var work: Double
  public var setupWork: Double
  public var forwardWork: Double
  /// The line this item shares with other gradients of the same objective, and its part in it
  /// (`SharedLine`): along directions the estimator reads the shared estimate; the item's own
  /// `line` serves the exact estimate.
  public var shared: (line: SharedLine, part: Int)?

  public init(count: Int, line: Line, magnitude: @escaping (Int) -> Double, largestMagnitude: @escaping () -> Double,
              work: Double = 1, setupWork: Double = 0, forwardWork: Double = 1) {
    self.count = count
    self.line = line
    self.magnitude = magnitude
    self.largestMagnitude = largestMagnitude
    self.work = work
    self.setupWork = setupWork
    self.forwardWork = forwardWork
  }

  /// The item is ∇f at `x` (same shape): φ_c(ε) = f(x + ε c). Without counts, one evaluation
  /// is taken to be a forward pass.
  public static func gradient(of f: @escaping (Matrix) -> Double, at x: Matrix, work: Double = 1, forwardWork: Double = 1) -> NumericProbe {
    NumericProbe(
      count: x.count,
      line: .gradient { c in
        if case .basis(let k) = c.kind {
          return { es in es.map { ε in
            var y = x
            y.scalars[k] += ε
            return f(y)
          } }
        }
        let moved = c.matrix(rows: x.rows, cols: x.cols)
        return { es in es.map { ε in f(x + ε * moved) } }
      },
      magnitude: { Swift.abs(x.scalars[$0]) }, largestMagnitude: { x.maxAbs }, work: work, forwardWork: forwardWork)
  }

  /// The item is the Jacobian of `f` at `x`, `f(x).count × x.count` row-major:
  /// ψ_b(ε) = f(x + ε b).
  public static func jacobian(of f: @escaping (Matrix) -> Matrix, at x: Matrix, work: Double = 1, forwardWork: Double = 1) -> NumericProbe {
    let m = f(x).count, n = x.count
    return NumericProbe(
      count: m * n,
      line: .jacobian(rows: m, cols: n) { b in
        let moved = Matrix(rows: x.rows, cols: x.cols, scalars: b)
        return { es in es.map { ε in f(x + ε * moved).scalars } }
      },
      magnitude: { Swift.abs(x.scalars[$0]) }, largestMagnitude: { x.maxAbs }, work: work, forwardWork: forwardWork)
  }

  /// A per-step item: slice `offset ..< offset + point.count` of the item is ∇f_t at `point`,
  /// each f_t a function of its own slice only, so that one line covers them all:
  /// φ_c(ε) = Σ_t f_t(x_t + ε c_t), φ_c′(0) = Σ_t ⟨∇f_t, c_t⟩ = ⟨item, c⟩. A basis direction
  /// moves one slice: only its f_t is evaluated (the others add a constant). The slices are
  /// computed when the probe is first evaluated (they are states of the point's forward pass).
  /// Without counts, one evaluation of every f_t is taken to be a forward pass.
  public static func slices(count: Int, _ lazy: LazyValue<[(offset: Int, point: Matrix, f: (Matrix) -> Double)]>,
                            work: Double = 1, forwardWork: Double = 1) -> NumericProbe {
    func owner(_ k: Int) -> (offset: Int, point: Matrix, f: (Matrix) -> Double)? {
      lazy.value.first { k >= $0.offset && k < $0.offset + $0.point.count }
    }
    return NumericProbe(
      count: count,
      line: .gradient { c in
        let slices = lazy.value
        precondition(slices.allSatisfy { $0.offset >= 0 && $0.offset + $0.point.count <= count }, "slices within the item's \(count) entries")
        if case .basis(let k) = c.kind {
          guard let s = owner(k) else { return { es in es.map { _ in 0 } } }
          return { es in es.map { ε in
            var y = s.point
            y.scalars[k - s.offset] += ε
            return s.f(y)
          } }
        }
        let moved = slices.map { s in Matrix(rows: s.point.rows, cols: s.point.cols, scalars: c.entries(s.offset..<(s.offset + s.point.count))) }
        return { es in es.map { ε in
          zip(slices, moved).reduce(0.0) { $0 + $1.0.f($1.0.point + ε * $1.1) }
        } }
      },
      magnitude: { k in owner(k).map { Swift.abs($0.point.scalars[k - $0.offset]) } ?? 0 },
      largestMagnitude: { lazy.value.map(\.point.maxAbs).max() ?? 0 }, work: work, forwardWork: forwardWork)
  }
}
