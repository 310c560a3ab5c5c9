import Foundation
import Testing
import TestSupport
import Jacobians
@testable import Grader

/// The properties of `ProbeDirection` that detection rests on, on the 20 seeds.
///
/// ```
/// every entry        1 ≤ |c_k| < 2, the same whether read one by one, by blocks or whole
/// signs              about half positive (20 000 entries: 10 000 ± 5σ, σ = 71)
/// anti-concentration P(|⟨δ, c⟩| < t) ≤ 2t/‖δ‖∞ + 2⁻³¹ for a fixed δ: over 2000 seeds with
///                    t = ‖δ‖∞/20, at most 0.1 + 4σ of them (σ = √(0.1·0.9/2000) = 0.0067)
/// outer(a bᵀ)        entry (i, j) = a_i b_j, its factors random directions themselves
/// ```
@Suite("Random directions")
struct ProbeDirectionTests {
  @Test("every entry has 1 ≤ |c_k| < 2, entry, block and whole agree, signs are balanced", arguments: randomSeeds)
  func entries(seed: UInt64) {
    let c = ProbeDirection.random(seed: seed, count: 20_001)
    let all = c.scalars
    #expect(all.allSatisfy { abs($0) >= 1 && abs($0) < 2 })
    for k in [0, 1, 2, 4095, 4096, 4097, 20_000] { #expect(all[k] == c.entry(k)) }
    #expect(c.entries(4095..<4100) == Array(all[4095..<4100]))
    #expect(c.entries(3..<4) == [all[3]], "an odd start reads the second half of a word")
    var blocks: [Double] = []
    c.forEachBlock { start, block in
      #expect(start == blocks.count)
      blocks.append(contentsOf: block)
    }
    #expect(blocks == all)
    let positive = all.prefix(20_000).filter { $0 > 0 }.count
    #expect(abs(positive - 10_000) <= 355, "\(positive) positive signs of 20 000")
    #expect(ProbeDirection.random(seed: seed &+ 1, count: 8).scalars != ProbeDirection.random(seed: seed, count: 8).scalars)
  }

  @Test("a fixed error is rarely nearly orthogonal to a random direction: P(|⟨δ, c⟩| < ‖δ‖∞/20) ≤ 0.1", arguments: [1, 2, 10, 1000])
  func antiConcentration(entries n: Int) {
    var rng = SplitMix64(seed: UInt64(n))
    let delta = (0..<n).map { _ in rng.uniform(-1, 1) }
    let largest = delta.map(abs).max()!
    let draws = 2000
    var small = 0
    for s in 0..<draws {
      let dot = ProbeDirection.random(seed: UInt64(s) &* 0x9E37_79B9_7F4A_7C15, count: n).dot(delta).value
      if abs(dot) < largest / 20 { small += 1 }
    }
    #expect(Double(small) / Double(draws) <= 0.1 + 4 * 0.0067, "\(small) of \(draws) projections within ‖δ‖∞/20 of 0")
  }

  @Test("an outer direction is a bᵀ with random factors; a basis vector is e_k", arguments: randomSeeds.prefix(5))
  func outerAndBasis(seed: UInt64) {
    let c = ProbeDirection.outer(rows: 7, cols: 5, seed: seed)
    let (a, b) = c.factors!
    #expect(a.count == 7 && b.count == 5)
    #expect(a.allSatisfy { abs($0) >= 1 } && b.allSatisfy { abs($0) >= 1 })
    let all = c.scalars
    for i in 0..<7 { for j in 0..<5 { #expect(all[i * 5 + j] == a[i] * b[j]) } }
    let e = ProbeDirection.basis(3, count: 6)
    #expect(e.scalars == [0, 0, 0, 1, 0, 0])
    #expect(e.dot([1, 2, 3, -4, 5, 6]) == .init(value: -4, absolute: 4))
  }

  @Test("the dot product and its absolute scale; the tolerance allowance is 7·√Σ c²τ² for independent signs, Σ|c|τ for outer ones")
  func dotAndAllowance() {
    let values = (0..<50).map { Double($0) - 20 }
    let c = ProbeDirection.random(seed: 11, count: 50)
    let cs = c.scalars
    let dot = c.dot(values)
    #expect(abs(dot.value - zip(values, cs).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-12)
    #expect(abs(dot.absolute - zip(values, cs).reduce(0) { $0 + abs($1.0 * $1.1) }) < 1e-12)
    let tol = Tolerance(relative: 1e-3, absolute: 1e-6)
    let independent = 7 * zip(values, cs).reduce(0) { $0 + $1.1 * $1.1 * pow(tol.bound(for: $1.0), 2) }.squareRoot()
    #expect(abs(c.toleranceAllowance(values, tolerance: tol) - independent) < 1e-12)
    let o = ProbeDirection.outer(rows: 5, cols: 10, seed: 11)
    let worst = zip(values, o.scalars).reduce(0) { $0 + abs($1.1) * tol.bound(for: $1.0) }
    #expect(abs(o.toleranceAllowance(values, tolerance: tol) - worst) < 1e-12)
  }
}
