import Foundation
import Testing
import TestSupport
import Jacobians
@testable import Grader

/// `SharedLine`: three items of one objective along one line, on a function whose gradients are
/// known in closed form,
/// ```
/// J(x, y, z) = Σ_k sin(a_k x_k + y_(k mod 450)) + Σ_j y_j⁴/4 + w Σ_i z_i³,   w = 1/4
/// ∂J/∂x_k = a_k cos(a_k x_k + y_(k mod 450))
/// ∂J/∂y_j = Σ_(k mod 450 = j) cos(a_k x_k + y_j) + y_j³
/// item z  = ∇(Σ z_i³) = 3 z_i²  (its part has weight w)
/// ```
/// (500, 450 and 420 entries: along directions). Each item's projection is within its error of
/// ⟨g_i, c_i⟩; the correct references verify; one entry of one item off by 1 % of its largest
/// entry fails that item's self-check; a student's wrong item fails its comparison while the
/// others pass; NaN never passes; the items after the first read the same directions.
@Suite("Items of one objective along one shared line")
struct SharedLineTests {
  struct Case {
    var x: [Double], y: [Double], z: [Double], a: [Double]
    let w = 0.25

    init(seed: UInt64) {
      var rng = SplitMix64(seed: seed)
      x = rng.matrix(500, 1, -2, 2).scalars
      y = rng.matrix(450, 1, -1, 1).scalars
      z = rng.matrix(420, 1, -1.5, 1.5).scalars
      a = rng.matrix(500, 1, -1, 1).scalars
    }

    func J(_ x: [Double], _ y: [Double], _ z: [Double]) -> Double {
      var s = 0.0
      for k in x.indices { s += sin(a[k] * x[k] + y[k % 450]) }
      for v in y { s += pow(v, 4) / 4 }
      for v in z { s += w * v * v * v }
      return s
    }

    var gradients: [[Double]] {
      var gy = y.map { $0 * $0 * $0 }
      var gx = x
      for k in x.indices {
        let c = cos(a[k] * x[k] + y[k % 450])
        gx[k] = a[k] * c
        gy[k % 450] += c
      }
      return [gx, gy, z.map { 3 * $0 * $0 }]
    }

    /// The three probes, sharing one line; `references` are what the line takes out.
    func probes(references: [[Double]]) -> [NumericProbe] {
      let points = [x, y, z]
      let line = SharedLine(
        parts: points.indices.map { i in
          SharedLine.Part(count: points[i].count, largestMagnitude: { points[i].map(Swift.abs).max() ?? 0 },
                          reference: { references[i] }, weight: i == 2 ? w : 1)
        },
        work: 1, setupWork: 0, forwardWork: 4
      ) { cs in
        let moved = zip(points, cs).map { p, c in (p, c.scalars) }
        return { es in es.map { ε in
          let m = moved.map { p, c in zip(p, c).map { $0 + ε * $1 } }
          return self.J(m[0], m[1], m[2])
        } }
      }
      return points.indices.map { i in
        var probe = NumericProbe.gradient(of: { v in
          var m = points
          m[i] = v.scalars
          return i == 2 ? self.J(x, y, m[2]) / self.w : self.J(m[0], m[1], m[2])
        }, at: Matrix(rows: points[i].count, cols: 1, scalars: points[i]))
        probe.shared = (line, i)
        return probe
      }
    }
  }

  static let tolerance = Tolerance(relative: 1e-5, absolute: 1e-7)

  @Test("each item's projection is within its error of ⟨g_i, c_i⟩, and the correct references verify", arguments: randomSeeds)
  func projections(seed: UInt64) {
    let c = Case(seed: seed)
    let g = c.gradients
    let probes = c.probes(references: g)
    var rng = SplitMix64(seed: seed ^ 0xFF)
    for (i, probe) in probes.enumerated() {
      #expect(!NumericEstimator.isExact(probe))
      let estimate = NumericEstimator.estimate(probe, rng: &rng)
      #expect(estimate.method == .directional)
      #expect(!estimate.projections.isEmpty)
      for p in estimate.projections {
        let truth = p.direction.dot(g[i]).value
        #expect(abs(p.value - truth) <= 2 * p.error, "item \(i): R_i = \(p.value), ⟨g_i, c_i⟩ = \(truth), E_i = \(p.error)")
        #expect(p.error < 1e-6 * max(1, abs(truth)), "item \(i): the bound is tight enough to see a 1 % error")
      }
      #expect(NumericEstimator.verify(reference: g[i], with: estimate, shape: [g[i].count], tolerance: Self.tolerance).passed, "item \(i)")
      #expect(NumericEstimator.compare(g[i], with: estimate, shape: [g[i].count], tolerance: Self.tolerance).passed, "item \(i)")
    }
  }

  @Test("a reference off by 1 % in one entry fails its item; a student's wrong item fails only its own comparison", arguments: randomSeeds.prefix(5))
  func detection(seed: UInt64) {
    let c = Case(seed: seed)
    let g = c.gradients
    for i in g.indices {
      for k in [0, 77, g[i].count - 1] {
        for sign in [1.0, -1.0] {
          let delta = sign * 0.01 * (g[i].map(abs).max() ?? 0)
          var bad = g
          bad[i][k] += delta
          // The line takes out the wrong reference: every item's self-check fails.
          let probes = c.probes(references: bad)
          var rng = SplitMix64(seed: seed)
          for j in g.indices {
            let estimate = NumericEstimator.estimate(probes[j], rng: &rng)
            #expect(!NumericEstimator.verify(reference: bad[j], with: estimate, shape: [g[j].count], tolerance: Self.tolerance).passed,
                    "reference of item \(i) off at \(k): item \(j) verifies")
          }
          // A correct reference, a student wrong in item i alone.
          let good = c.probes(references: g)
          var rng2 = SplitMix64(seed: seed)
          for j in g.indices {
            let estimate = NumericEstimator.estimate(good[j], rng: &rng2)
            let passed = NumericEstimator.compare(bad[j], with: estimate, shape: [g[j].count], tolerance: Self.tolerance).passed
            #expect(passed == (j != i), "student off in item \(i) at \(k): item \(j) \(passed ? "passes" : "fails")")
          }
        }
      }
    }
  }

  @Test("NaN in another item's reference or in the line never passes; later items read the first one's directions")
  func nonFiniteAndOrder() {
    let c = Case(seed: 3)
    let g = c.gradients
    var withNaN = g
    withNaN[1][5] = .nan
    var rng = SplitMix64(seed: 1)
    let estimate = NumericEstimator.estimate(c.probes(references: withNaN)[0], rng: &rng)
    #expect(!NumericEstimator.verify(reference: g[0], with: estimate, shape: [500], tolerance: Self.tolerance).passed)
    #expect(!NumericEstimator.compare(g[0], with: estimate, shape: [500], tolerance: Self.tolerance).passed)

    // The same seeds whatever item comes first; each estimate draws as many seeds.
    var r1 = SplitMix64(seed: 9), r2 = SplitMix64(seed: 9)
    let p1 = c.probes(references: g), p2 = c.probes(references: g)
    let first = NumericEstimator.estimate(p1[2], rng: &r1)
    let again = NumericEstimator.estimate(p1[2], rng: &r1)
    let other = NumericEstimator.estimate(p2[2], rng: &r2)
    #expect(first.projections.map(\.direction) == other.projections.map(\.direction))
    #expect(first.projections.map(\.direction) == again.projections.map(\.direction))
    _ = NumericEstimator.estimate(p2[0], rng: &r2)
    #expect(r1.next() == r2.next(), "each estimate draws as many seeds")
    // Independent parts: no two items' directions agree.
    let all = (0..<3).map { NumericEstimator.estimate(p1[$0], rng: &r1).projections[0].direction }
    #expect(Set(all.map { "\($0.kind)" }).count == 3)
  }

  @Test("rnn-bptt: the gradients through the recurrence and delta2 along directions share one line; those checked exactly do not")
  func recurrentModel() throws {
    let g = try NumericEstimatorTests.grader("rnn-bptt", sizes: ["T": 12, "H": 40, "d": 24, "V": 50])
    let probes = g.model.numericProbes(inputs: g.inputs(for: "ada"))
    let shared = ["dW_h", "dW_e", "dE", "delta2"]
    let lines = shared.compactMap { probes[$0]?.shared?.line }
    #expect(lines.count == shared.count)
    #expect(lines.allSatisfy { $0 === lines[0] })
    #expect(lines.first?.parts.count == shared.count)
    for item in ["db_1", "dh0", "dU", "db_2", "delta1", "dW_h_terms"] {
      #expect(probes[item]?.shared == nil, "\(item) has a line of its own")
    }
  }
}
