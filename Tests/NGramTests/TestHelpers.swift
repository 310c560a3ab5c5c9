import Testing
import Jacobians
import NGram
import TestSupport

// Shared helpers of the NGram tests: comparisons that reject NaN and Inf, seeded corpora.

/// |a − b| / max(|a|, |b|), relative however small the numbers (a sentence probability of 1e-9
/// is compared to its own size); 0 when a == b (so equal zeros and equal infinities, a mutant's
/// k/0, compare equal), +∞ when either is NaN or only one is infinite.
func relativeError(_ a: Double, _ b: Double) -> Double {
  if a == b { return 0 }
  if !a.isFinite || !b.isFinite { return .infinity }
  return Swift.abs(a - b) / Swift.max(Swift.abs(a), Swift.abs(b))
}

/// The largest entrywise `relativeError`, +∞ for a shape mismatch.
func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
  if a.shape != b.shape { return .infinity }
  var worst = 0.0
  for (x, y) in zip(a.scalars, b.scalars) {
    let e = relativeError(x, y)
    if !(e <= worst) { worst = e }
  }
  return worst
}

/// Expects `relativeError(a, b) ≤ tolerance`; NaN and Inf fail (`!(err <= tol)`).
func expectClose(_ a: Double, _ b: Double, within tolerance: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
  let err = relativeError(a, b)
  if !(err <= tolerance) {
    Issue.record("\(what): \(a) vs \(b), relative error \(err) exceeds \(tolerance)", sourceLocation: sourceLocation)
  }
}

/// Expects `relativeError(a, b) ≤ tolerance` entrywise, with equal shapes.
func expectClose(_ a: Matrix, _ b: Matrix, within tolerance: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
  let err = relativeError(a, b)
  if !(err <= tolerance) {
    Issue.record("\(what): relative error \(err) exceeds \(tolerance) (shapes \(a.shape), \(b.shape))", sourceLocation: sourceLocation)
  }
}

/// Agreement of two computations of the same quantity in floating point.
let exactTolerance = 1e-12

/// The generated corpus of every seeded test.
func seededCorpus(_ seed: UInt64) -> GeneratedNGramCorpus {
  NGramCorpusGenerator.generate(seed: seed)
}

/// A checked problem from a generated corpus.
func seededProblem(_ seed: UInt64, _ options: NGramOptions = NGramOptions()) throws -> NGramProblem {
  try NGramProblem(seededCorpus(seed).inputs(options))
}

/// Token ids from words written with spaces, for hand-made corpora: "<s>" is 0, "</s>" is 1,
/// and every other word its index in `words` plus 2.
func tokens(_ text: String, words: [String]) -> [Int] {
  text.split(separator: " ").map { w in
    if w == "<s>" { return NGramToken.start }
    if w == "</s>" { return NGramToken.end }
    guard let i = words.firstIndex(of: String(w)) else { fatalError("unknown word \(w)") }
    return NGramToken.word(i)
  }
}

/// The option settings the randomized tests run under.
let optionTable: [NGramOptions] = [
  NGramOptions(), NGramOptions(smoothingK: 0.5), NGramOptions(smoothingK: 1, order: 3), NGramOptions(smoothingK: 0.1, order: 3),
]

@Suite struct ComparisonHelperTests {
  /// NaN and Inf never pass a comparison; equal infinities (a mutant's 1/0) compare equal.
  @Test func nanAndInfinityNeverPass() {
    #expect(!(relativeError(.nan, 1) <= 1))
    #expect(!(relativeError(1, .nan) <= 1))
    #expect(!(relativeError(.nan, .nan) <= 1))
    #expect(!(relativeError(.infinity, 1) <= 1))
    #expect(!(relativeError(.infinity, -.infinity) <= 1))
    #expect(relativeError(.infinity, .infinity) == 0)
    #expect(!(relativeError(Matrix(column: [1, .nan]), Matrix(column: [1, 2])) <= 1))
    #expect(!(relativeError(Matrix(column: [1, 2]), Matrix(row: [1, 2])) <= 1))
    #expect(relativeError(1, 1 + 1e-15) <= exactTolerance)
    #expect(!(relativeError(1, 1 + 1e-9) <= exactTolerance))
    // Small numbers are compared relatively, not absolutely.
    #expect(!(relativeError(1e-20, 2e-20) <= exactTolerance))
    #expect(!(relativeError(0, 1e-300) <= exactTolerance))
    #expect(relativeError(0, 0) == 0)
  }
}
