import Testing
import Jacobians
@testable import BPTTReference
import TestSupport

@Suite struct GateKernelsTests {
  /// The matrix–vector products against `Matrix` products, for every row count 1…9 (the four-
  /// row blocks and the tail) and column count 1…5 (the two-wide vectors and the tail).
  @Test func matrixVectorProductsAreMatrixProducts() {
    var rng = SplitMix64(seed: 11)
    for m in 1...9 {
      for n in 1...5 {
        let W = rng.matrix(m, n), x = rng.matrix(n, 1), v = rng.matrix(m, 1), y0 = rng.matrix(m, 1), z0 = rng.matrix(n, 1)
        var y = y0.scalars, z = z0.scalars, yAcc = y0.scalars, zAcc = z0.scalars
        W.scalars.withUnsafeBufferPointer { w in
          x.scalars.withUnsafeBufferPointer { xb in
            v.scalars.withUnsafeBufferPointer { vb in
              GateKernels.matrixVector(w.baseAddress!, xb.baseAddress!, &y, rows: m, cols: n)
              GateKernels.matrixVector(w.baseAddress!, xb.baseAddress!, &yAcc, rows: m, cols: n, accumulate: true)
              GateKernels.transposedMatrixVector(w.baseAddress!, vb.baseAddress!, &z, rows: m, cols: n)
              GateKernels.transposedMatrixVector(w.baseAddress!, vb.baseAddress!, &zAcc, rows: m, cols: n, accumulate: true)
            }
          }
        }
        expectAgree(Matrix(column: y), W * x, within: 1e-15, "W x, \(m)×\(n)")
        expectAgree(Matrix(column: yAcc), y0 + W * x, within: 1e-14, "y + W x, \(m)×\(n)")
        expectAgree(Matrix(column: z), W.T * v, within: 1e-15, "Wᵀ v, \(m)×\(n)")
        expectAgree(Matrix(column: zAcc), z0 + W.T * v, within: 1e-14, "z + Wᵀ v, \(m)×\(n)")
      }
    }
  }

  /// The sweeps of each truncation: which steps each backward pass covers and which outputs it
  /// takes, against `firstKeptStep`: every (loss term t, step i) pair with first(t) ≤ i ≤ t is
  /// covered exactly once.
  @Test func sweepsCoverEveryKeptTermOnce() {
    #expect(GateKernels.sweeps(steps: 5, truncation: .full) == [.init(top: 5, bottom: 1, everyOutput: true)])
    #expect(GateKernels.sweeps(steps: 5, truncation: .chunks(2))
            == [.init(top: 5, bottom: 5, everyOutput: true), .init(top: 4, bottom: 3, everyOutput: true), .init(top: 2, bottom: 1, everyOutput: true)])
    #expect(GateKernels.sweeps(steps: 3, truncation: .window(2))
            == [.init(top: 3, bottom: 2, everyOutput: false), .init(top: 2, bottom: 1, everyOutput: false), .init(top: 1, bottom: 1, everyOutput: false)])
    #expect(GateKernels.sweeps(steps: 4, truncation: .window(4)) == GateKernels.sweeps(steps: 4, truncation: .full))
    #expect(GateKernels.sweeps(steps: 4, truncation: .chunks(9)) == GateKernels.sweeps(steps: 4, truncation: .full))
    for T in 1...7 {
      for tr in [Truncation.full, .window(1), .window(2), .window(3), .chunks(1), .chunks(2), .chunks(3)] {
        var covered: [[Int]] = Array(repeating: Array(repeating: 0, count: T + 1), count: T + 1)
        for sweep in GateKernels.sweeps(steps: T, truncation: tr) {
          for i in sweep.bottom...sweep.top {
            for t in i...sweep.top where sweep.everyOutput || t == sweep.top { covered[t][i] += 1 }
          }
        }
        for t in 1...T {
          for i in 1...t {
            let kept = i >= tr.firstKeptStep(for: t)
            #expect(covered[t][i] == (kept ? 1 : 0), "T = \(T), \(tr): term (t = \(t), i = \(i))")
          }
        }
      }
    }
  }

  @Test func columnsAndEmbeddings() {
    let m = Matrix([[1, 2, 3], [4, 5, 6]])
    #expect(m.columns(1..<3) == Matrix([[2, 3], [5, 6]]))
    let E = Matrix([[1, 2, 3], [4, 5, 6]])                       // d = 2, |V| = 3
    let Es = GateKernels.embeddings(E, tokens: [2, 0, 2, 1], steps: 3)
    #expect(Es == Matrix([[3, 6], [1, 4], [3, 6]]))
    // The scatter adds the rows of a repeated word and leaves absent words at zero.
    let dE = GateKernels.scatterEmbeddingGradient(Matrix([[1, 10], [2, 20], [3, 30]]), tokens: [2, 0, 2, 1], vocabularySize: 3)
    #expect(dE == Matrix([[2, 0, 4], [20, 0, 40]]))
  }
}
