import Testing
@testable import Grader
import Jacobians
import TestSupport

@Suite("EntryComparison")
struct EntryComparisonTests {
  static let tolerance = Tolerance(relative: 1e-5, absolute: 1e-7)

  /// An expected array and a submission whose entries are the expected ones, moved by up to ten
  /// times the tolerance at a few places, with NaN and ±Inf among them on some seeds.
  static func pair(seed: UInt64, count: Int) -> (submitted: [Double], expected: [Double]) {
    var rng = SplitMix64(seed: seed)
    let expected = (0..<count).map { _ in rng.uniform(-3, 3) }
    var submitted = expected
    for _ in 0..<Int(rng.uniform(0, 4)) {
      let k = Int(rng.uniform(0, Double(count)))
      submitted[k] += rng.uniform(-10, 10) * tolerance.bound(for: expected[k])
    }
    if seed % 3 == 0 { submitted[Int(rng.uniform(0, Double(count)))] = [.nan, .infinity, -.infinity][Int(seed % 9) / 3] }
    return (submitted, expected)
  }

  @Test("passes is compare's verdict, over the whole array and over every slice, on 20 seeds", arguments: randomSeeds)
  func passesIsTheComparisonsVerdict(seed: UInt64) {
    let (s, r) = Self.pair(seed: seed, count: 60)
    #expect(EntryComparison.passes(submitted: s, expected: r, tolerance: Self.tolerance)
            == EntryComparison.compare(submitted: s, expected: r, shape: [60], tolerance: Self.tolerance).passed)
    for start in stride(from: 0, to: 60, by: 10) {
      let range = start..<(start + 10)
      #expect(EntryComparison.passes(submitted: s, expected: r, tolerance: Self.tolerance, in: range)
              == EntryComparison.compare(submitted: Array(s[range]), expected: Array(r[range]), shape: [10], tolerance: Self.tolerance).passed,
              "slice \(range), seed \(seed)")
    }
  }

  @Test("NaN and ±Inf never pass, submitted or expected, even against themselves")
  func nonFiniteNeverPasses() {
    for x in [Double.nan, .infinity, -.infinity] {
      #expect(!EntryComparison.passes(submitted: [1, x], expected: [1, 1], tolerance: Self.tolerance))
      #expect(!EntryComparison.passes(submitted: [1, 1], expected: [1, x], tolerance: Self.tolerance))
      #expect(!EntryComparison.passes(submitted: [x], expected: [x], tolerance: Self.tolerance))
    }
    #expect(EntryComparison.passes(submitted: [1, .nan], expected: [1, 1], tolerance: Self.tolerance, in: 0..<1))
    #expect(EntryComparison.passes(submitted: [], expected: [], tolerance: Self.tolerance))
  }
}
