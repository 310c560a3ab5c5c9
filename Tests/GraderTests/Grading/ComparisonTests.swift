import Testing
@testable import Grader
import Jacobians

@Suite("Comparisons fail on NaN and ±Inf")
struct ComparisonTests {
  static let tolerance = Tolerance(relative: 1e-5, absolute: 1e-7)
  static let nonFinite: [Double] = [.nan, .infinity, -.infinity]

  @Test("Tolerance.accepts is false whenever either value is not finite", arguments: nonFinite)
  func toleranceRejects(value: Double) {
    #expect(!Self.tolerance.accepts(value, expected: 1))
    #expect(!Self.tolerance.accepts(1, expected: value))
    #expect(!Self.tolerance.accepts(value, expected: value))
    #expect(!Tolerance(relative: .infinity, absolute: .infinity).accepts(value, expected: 0))
  }

  @Test("an entry comparison with a NaN or ±Inf entry fails and points at it", arguments: nonFinite)
  func entryComparisonFails(value: Double) {
    let expected = [1.0, 2, 3, 4, 5, 6]
    var submitted = expected
    submitted[4] = value
    let c = EntryComparison.compare(submitted: submitted, expected: expected, shape: [2, 3], tolerance: Self.tolerance)
    #expect(!c.passed)
    #expect(c.worstIndex == [1, 1])
    #expect(c.failingEntries == 1)
    #expect(!(c.maxAbsError <= 1e300))
  }

  @Test("the tolerance formula |s − r| ≤ absolute + relative·|r| is applied entry by entry")
  func toleranceFormula() {
    let t = Tolerance(relative: 1e-3, absolute: 1e-6)
    #expect(t.accepts(1000.9, expected: 1000))
    #expect(!t.accepts(1001.1, expected: 1000))
    #expect(t.accepts(9e-7, expected: 0))
    #expect(!t.accepts(2e-6, expected: 0))
  }

  @Test("the worst entry is the one furthest outside its bound, reported with both values")
  func worstEntry() {
    let c = EntryComparison.compare(submitted: [1, 2.5, 3, 4.01], expected: [1, 2, 3, 4], shape: [4], tolerance: Self.tolerance)
    #expect(c.worstIndex == [1])
    #expect(c.worstSubmitted == 2.5)
    #expect(c.worstExpected == 2)
    #expect(c.failingEntries == 2)
    #expect(abs(c.maxAbsError - 0.5) < 1e-15)
    #expect(abs(c.maxRelError - 0.2) < 1e-15)
  }

  @Test("the directional numeric comparison fails on NaN and ±Inf, in the values and in the estimate", arguments: nonFinite)
  func directionalComparisonFails(value: Double) {
    var rng = SplitMix64(seed: 3)
    let x = rng.matrix(30, 30)
    let f: (Matrix) -> Double = { m in m.scalars.reduce(0) { $0 + $1 * $1 } }
    let probe = NumericProbe.gradient(of: f, at: x)
    #expect(!NumericEstimator.isExact(probe), "900 entries are estimated along directions")
    let estimate = NumericEstimator.directional(probe, directions: 2, rng: &rng)
    let truth = (2 * x).scalars
    #expect(NumericEstimator.verify(reference: truth, with: estimate, shape: [30, 30], tolerance: Self.tolerance).passed)
    #expect(NumericEstimator.compare(truth, with: estimate, shape: [30, 30], tolerance: Self.tolerance).passed)
    var bad = truth
    bad[17] = value
    #expect(!NumericEstimator.verify(reference: bad, with: estimate, shape: [30, 30], tolerance: Self.tolerance).passed)
    #expect(!NumericEstimator.compare(bad, with: estimate, shape: [30, 30], tolerance: Self.tolerance).passed)
    var wrong = truth
    wrong[17] += 1e-3
    #expect(!NumericEstimator.verify(reference: wrong, with: estimate, shape: [30, 30], tolerance: Self.tolerance).passed,
            "every entry of a direction has |c_k| ≥ 1")
    // An estimate that is not finite verifies nothing.
    var broken = estimate
    broken.projections[0].value = value
    #expect(!NumericEstimator.verify(reference: truth, with: broken, shape: [30, 30], tolerance: Self.tolerance).passed)
    #expect(!NumericEstimator.compare(truth, with: broken, shape: [30, 30], tolerance: Self.tolerance).passed)
    broken = estimate
    broken.projections[1].error = .nan
    #expect(!NumericEstimator.verify(reference: truth, with: broken, shape: [30, 30], tolerance: Self.tolerance).passed)
  }

  @Test("an exact numeric estimate of a 20-seed family of quadratics matches the analytic gradient", arguments: 1...20)
  func exactEstimate(seed: Int) {
    var rng = SplitMix64(seed: UInt64(seed))
    let A = rng.matrix(4, 4), x = rng.matrix(4, 1)
    let f: (Matrix) -> Double = { v in (v.T * A * v)[0, 0] }
    let probe = NumericProbe.gradient(of: f, at: x)
    #expect(NumericEstimator.isExact(probe))
    let estimate = NumericEstimator.exact(probe)
    let analytic = ((A + A.T) * x).scalars
    #expect(NumericEstimator.compare(analytic, with: estimate, shape: [4], tolerance: Tolerance(relative: 1e-7, absolute: 1e-9)).passed)
    #expect(estimate.forwardPasses == 8)
  }

  @Test("shape findings name a transposed shape as such")
  func shapeFindings() {
    #expect(ShapeCheck.problem(submitted: [5, 4], expected: [5, 4]) == nil)
    #expect(ShapeCheck.problem(submitted: [5, 1], expected: [5]) == nil)
    #expect(ShapeCheck.problem(submitted: [1], expected: []) == nil)
    #expect(ShapeCheck.problem(submitted: [4, 5], expected: [5, 4]) == "has shape 4×5, the transpose of the expected 5×4 (did you transpose?)")
    #expect(ShapeCheck.problem(submitted: [3, 4], expected: [5, 4]) == "has shape 3×4, expected 5×4")
    #expect(ShapeCheck.problem(submitted: [2, 10], expected: [5, 4]) == "has shape 2×10, expected 5×4 (the same number of entries: check the layout)")
  }
}
