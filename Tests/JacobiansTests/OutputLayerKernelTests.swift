import Foundation
import Testing
import Jacobians
import TestSupport

/// The fused softmax output layer against its textbook route (logits, then each softmax, then
/// the products), on seeded inputs whose shapes cut every block and tile.
@Suite struct OutputLayerKernelTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let T: Int, H: Int, V: Int
    let bias: Bool
    /// Multiplies the logits: large values make the running maximum grow from block to block.
    let scale: Double
    var testDescription: String { "T \(T), H \(H), |V| \(V), bias \(bias), logits ×\(scale)" }
  }

  static let cases: [Case] = [
    Case(T: 1, H: 1, V: 1, bias: false, scale: 1),
    Case(T: 3, H: 5, V: 7, bias: true, scale: 1),
    Case(T: 13, H: 9, V: 250, bias: true, scale: 1),
    Case(T: 35, H: 20, V: 1001, bias: true, scale: 1),      // two halves, a short last block
    Case(T: 35, H: 20, V: 1001, bias: false, scale: 30),    // e^(l − m) far below 1 in early blocks
    Case(T: 12, H: 17, V: 960, bias: true, scale: 20),
  ]

  /// The textbook route, with `Foundation.exp`: L = X Wᵀ + b, P = softmax rows,
  /// G = diag(w)(P − Y), dX = G W, db = Gᵀ 1, J_t = −log P[t, y_t].
  static func reference(_ X: Matrix, _ W: Matrix, _ b: [Double]?, _ y: [Int], _ w: [Double]) -> (G: Matrix, dX: Matrix, db: Matrix, J: [Double]) {
    let (T, V) = (X.rows, W.rows)
    var G = Matrix(rows: T, cols: V), J = [Double](repeating: 0, count: T)
    for t in 0..<T {
      var l = (0..<V).map { v in (0..<X.cols).reduce(0.0) { $0 + X[t, $1] * W[v, $1] } + (b?[v] ?? 0) }
      let m = l.max()!
      l = l.map { Foundation.exp($0 - m) }
      let s = l.reduce(0, +)
      J[t] = Foundation.log(s) - Foundation.log(l[y[t]])
      for v in 0..<V { G[t, v] = w[t] * (l[v] / s - (v == y[t] ? 1 : 0)) }
    }
    return (G, Naive.product(G, W), G.columnSums().T, J)
  }

  static func run(_ X: Matrix, _ W: Matrix, _ b: [Double]?, _ y: [Int], _ w: [Double], concurrency: Int) -> (G: Matrix, dX: Matrix, db: Matrix, J: [Double]) {
    let (T, H, V) = (X.rows, X.cols, W.rows)
    var G = Matrix(rows: T, cols: V, repeating: .nan), dX = Matrix(rows: T, cols: H, repeating: .nan), db = Matrix(rows: V, cols: 1)
    let bias = b ?? []
    let J = X.scalars.withUnsafeBufferPointer { x in
      W.scalars.withUnsafeBufferPointer { wp in
        bias.withUnsafeBufferPointer { bp in
          G.scalars.withUnsafeMutableBufferPointer { g in
            dX.scalars.withUnsafeMutableBufferPointer { d in
              db.scalars.withUnsafeMutableBufferPointer { dbp in
                OutputLayerKernel.forwardBackward(
                  x: x.baseAddress!, ldx: H, rows: T, width: H, w: wp.baseAddress!, classes: V,
                  bias: b == nil ? nil : bp.baseAddress!, targets: y, stepWeights: w,
                  g: g.baseAddress!, dx: d.baseAddress!, db: b == nil ? nil : dbp.baseAddress!, concurrency: concurrency)
              }
            }
          }
        }
      }
    }
    return (G, dX, db, J)
  }

  @Test(arguments: cases)
  func matchesTheTextbookRoute(_ c: Case) {
    var rng = SplitMix64(seed: UInt64(c.T * 10_007 + c.H * 101 + c.V))
    let X = rng.matrix(c.T, c.H, -c.scale, c.scale), W = rng.matrix(c.V, c.H)
    // The logits also grow along v, so that later blocks hold the larger ones.
    var Wg = W
    for v in 0..<c.V { for k in 0..<c.H { Wg[v, k] *= 1 + Double(v) / Double(c.V) } }
    let b = c.bias ? (0..<c.V).map { _ in rng.uniform(-1, 1) } : nil
    let y = (0..<c.T).map { _ in rng.int(below: c.V) }
    var w = (0..<c.T).map { _ in rng.uniform(0.1, 1) }
    if c.T > 2 { w[1] = 0 }   // a dropped step
    let expected = Self.reference(X, Wg, b, y, w)
    let got = Self.run(X, Wg, b, y, w, concurrency: 1)
    expectAgree(got.G, expected.G, within: 1e-12, "G, \(c.testDescription)")
    expectAgree(got.dX, expected.dX, within: 1e-12, "dX, \(c.testDescription)")
    if c.bias { expectAgree(got.db, expected.db, within: 1e-12, "db, \(c.testDescription)") }
    for t in 0..<c.T {
      let err = abs(got.J[t] - expected.J[t]) / Swift.max(1, abs(expected.J[t]))
      #expect(err <= 1e-12, "J_\(t): \(got.J[t]) vs \(expected.J[t]), \(c.testDescription)")
    }
    if c.T > 2 {
      #expect(got.G.row(1).maxAbs == 0 && got.dX.row(1).maxAbs == 0, "a zero weight drops the row")
    }
  }

  /// A NaN in X or W: every output it reaches is NaN, never a finite number; an infinite entry
  /// of X leaves its step's loss non-finite. The other rows are exactly those of the clean run.
  /// |V| = 1001 cuts W into blocks and two halves, so the poisoned value meets the running
  /// maximum, the rescaling and the merge of the halves; v = 530 lies in the second half.
  @Test(arguments: [Double.nan, .infinity, -.infinity], [1, 2])
  func nonFiniteInputsReachTheOutputsTheyFeed(poison: Double, concurrency: Int) {
    var rng = SplitMix64(seed: 11)
    let (T, H, V) = (13, 9, 1001)
    let X = rng.matrix(T, H), W = rng.matrix(V, H)
    let b = (0..<V).map { _ in rng.uniform(-1, 1) }
    let y = (0..<T).map { _ in rng.int(below: V) }
    let w = [Double](repeating: 1.0 / Double(T), count: T)
    let clean = Self.run(X, W, b, y, w, concurrency: concurrency)
    let (t, k, v) = (5, 4, 530)

    var Xp = X
    Xp[t, k] = poison
    let fromX = Self.run(Xp, W, b, y, w, concurrency: concurrency)
    #expect(!fromX.J[t].isFinite, "J_\(t) = \(fromX.J[t]) with X[\(t), \(k)] = \(poison)")
    for r in 0..<T where r != t {
      #expect(fromX.G.row(r) == clean.G.row(r) && fromX.dX.row(r) == clean.dX.row(r) && fromX.J[r] == clean.J[r],
              "row \(r) changed by X[\(t), \(k)] = \(poison)")
    }
    guard poison.isNaN else { return }
    #expect(fromX.G.row(t).scalars.allSatisfy { $0.isNaN }, "G row \(t) with X[\(t), \(k)] = NaN")
    #expect(fromX.dX.row(t).scalars.allSatisfy { $0.isNaN }, "dX row \(t) with X[\(t), \(k)] = NaN")
    #expect(fromX.db.scalars.allSatisfy { $0.isNaN }, "db with X[\(t), \(k)] = NaN")

    var Wp = W
    Wp[v, k] = poison
    let fromW = Self.run(X, Wp, b, y, w, concurrency: concurrency)
    #expect(fromW.G.scalars.allSatisfy { $0.isNaN }, "G with W[\(v), \(k)] = NaN")
    #expect(fromW.dX.scalars.allSatisfy { $0.isNaN }, "dX with W[\(v), \(k)] = NaN")
    #expect(fromW.J.allSatisfy { $0.isNaN }, "J with W[\(v), \(k)] = NaN")
  }

  /// The halves of W are swept at the same time or one after the other: the same numbers.
  @Test func concurrencyDoesNotChangeTheResult() {
    var rng = SplitMix64(seed: 7)
    let (T, H, V) = (35, 24, 2000)
    let X = rng.matrix(T, H, -3, 3), W = rng.matrix(V, H)
    let b = (0..<V).map { _ in rng.uniform(-1, 1) }
    let y = (0..<T).map { _ in rng.int(below: V) }
    let w = [Double](repeating: 1.0 / Double(T), count: T)
    let one = Self.run(X, W, b, y, w, concurrency: 1), two = Self.run(X, W, b, y, w, concurrency: 2)
    #expect(one.G == two.G && one.dX == two.dX && one.db == two.db && one.J == two.J)
    let again = Self.run(X, W, b, y, w, concurrency: 1)
    #expect(again.G == one.G && again.dX == one.dX && again.J == one.J, "run to run")
  }

  /// G and J alone (`forward`, no dX): the textbook route's, and bit for bit those of
  /// `forwardBackward`, in both concurrencies.
  @Test(arguments: cases, [1, 2])
  func forwardAloneIsTheFusedPassWithoutDX(_ c: Case, concurrency: Int) {
    var rng = SplitMix64(seed: UInt64(c.T * 10_007 + c.H * 101 + c.V) ^ 0x5eed)
    let X = rng.matrix(c.T, c.H, -c.scale, c.scale), W = rng.matrix(c.V, c.H)
    let b = c.bias ? (0..<c.V).map { _ in rng.uniform(-1, 1) } : nil
    let y = (0..<c.T).map { _ in rng.int(below: c.V) }
    var w = (0..<c.T).map { _ in rng.uniform(0.1, 1) }
    if c.T > 2 { w[1] = 0 }
    let expected = Self.reference(X, W, b, y, w)
    let fused = Self.run(X, W, b, y, w, concurrency: concurrency)
    var G = Matrix(rows: c.T, cols: c.V, repeating: .nan)
    let bias = b ?? []
    let J = X.scalars.withUnsafeBufferPointer { x in
      W.scalars.withUnsafeBufferPointer { wp in
        bias.withUnsafeBufferPointer { bp in
          G.scalars.withUnsafeMutableBufferPointer { g in
            OutputLayerKernel.forward(
              x: x.baseAddress!, ldx: c.H, rows: c.T, width: c.H, w: wp.baseAddress!, classes: c.V,
              bias: b == nil ? nil : bp.baseAddress!, targets: y, stepWeights: w, g: g.baseAddress!, concurrency: concurrency)
          }
        }
      }
    }
    expectAgree(G, expected.G, within: 1e-12, "G, \(c.testDescription)")
    for t in 0..<c.T {
      let err = abs(J[t] - expected.J[t]) / Swift.max(1, abs(expected.J[t]))
      #expect(err <= 1e-12, "J_\(t): \(J[t]) vs \(expected.J[t]), \(c.testDescription)")
    }
    #expect(G == fused.G && J == fused.J, "G and J as forwardBackward's, \(c.testDescription)")
  }
}
