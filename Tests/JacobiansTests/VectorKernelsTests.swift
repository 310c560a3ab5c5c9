import Foundation
import Testing
import Jacobians
import TestSupport

/// The softmax, logistic, exponential and matrix–vector loops of the RNN fast path, against the
/// C library and the textbook formulas on seeded inputs.
@Suite struct VectorKernelsTests {
  /// |a − b| in units of the spacing of doubles at b (NaN when either is NaN).
  static func ulps(_ a: Double, _ b: Double) -> Double {
    if a == b { return 0 }
    return abs(a - b) / b.ulp
  }

  @Test(arguments: randomSeeds)
  func expIsWithinTwoUlpOfTheCLibrary(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var worst = 0.0, worstX = 0.0
    for i in 0..<2000 {
      // Half the draws over the whole normal range, half near 0 (where e^x ≈ 1 + x).
      let x = i % 2 == 0 ? rng.uniform(-708, 709) : rng.uniform(-1, 1) * pow(10, -rng.uniform(0, 12))
      let err = Self.ulps(VectorKernels.scalarExp(x), Foundation.exp(x))
      if !(err <= worst) && !worst.isNaN { worst = err; worstX = x }   // NaN sticks
    }
    #expect(worst <= 2, "largest error \(worst) ulp at x = \(worstX)")
  }

  /// Hand-checked values: e^0 = 1; underflow to 0 below log(2⁻¹⁰⁷⁵) ≈ −745.13; overflow to +∞
  /// above log(max) ≈ 709.78; subnormal results stay close; NaN stays NaN.
  @Test func expEdgeCases() {
    #expect(VectorKernels.scalarExp(0) == 1)
    #expect(VectorKernels.scalarExp(-.infinity) == 0)
    #expect(VectorKernels.scalarExp(-746) == 0)
    #expect(VectorKernels.scalarExp(.infinity) == .infinity)
    #expect(VectorKernels.scalarExp(710) == .infinity)
    #expect(VectorKernels.scalarExp(.nan).isNaN)
    #expect(VectorKernels.scalarExp(709.78).isFinite)
    for x in [-744.0, -740, -730, -709, -708.4] {
      let e = VectorKernels.scalarExp(x), reference = Foundation.exp(x)
      #expect(abs(e - reference) <= 2 * Double.leastNonzeroMagnitude + 4e-16 * reference, "e^\(x): \(e) vs \(reference)")
    }
  }

  @Test(arguments: randomSeeds)
  func softmaxMatchesTheTextbookFormula(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for n in [1, 3, 7, 8, 9, 17, 64, 1001] {
      let logits = (0..<n).map { _ in rng.uniform(-30, 30) }
      let bias = (0..<n).map { _ in rng.uniform(-1, 1) }
      let target = rng.int(below: n)
      for useBias in [false, true] {
        let l = useBias ? zip(logits, bias).map { $0 + $1 } : logits
        let m = l.max()!
        let s = l.reduce(0) { $0 + Foundation.exp($1 - m) }
        let expected = l.map { Foundation.exp($0 - m) / s }
        let expectedLoss = (Foundation.log(s) + m) - l[target]
        var row = logits
        let loss = row.withUnsafeMutableBufferPointer { r in
          bias.withUnsafeBufferPointer { b in
            VectorKernels.softmaxInPlace(r.baseAddress!, n, adding: useBias ? b.baseAddress! : nil, target: target)
          }
        }
        // Both sides round each e^(l − m) and sum in a different order: a few ulp apart.
        expectAgree(Matrix(row: row), Matrix(row: expected), within: 4e-15, "softmax of \(n), bias \(useBias)")
        expectAgree(loss, expectedLoss, within: 1e-14, "−log ŷ_target of \(n), bias \(useBias)")
      }
    }
  }

  /// Logits of ±1000 would overflow e^l: the shift by the maximum keeps every term finite.
  /// −log ŷ₂ = log(1 + e⁻¹ + e⁻²⁰⁰⁰) + 1000 − 999 = log(1 + e⁻¹) + 1, computed through 1000
  /// and so within an ulp of 1000 (1.1e-13) only.
  @Test func softmaxOfHugeLogitsStaysFinite() {
    var row = [1000.0, -1000, 999]
    let loss = row.withUnsafeMutableBufferPointer { VectorKernels.softmaxInPlace($0.baseAddress!, 3, target: 2) }
    let e = Foundation.exp(-1.0)
    expectAgree(Matrix(row: row), Matrix(row: [1 / (1 + e), 0, e / (1 + e)]), within: 1e-15, "softmax")
    #expect(abs(loss - (Foundation.log(1 + e) + 1)) <= 2.3e-13, "loss \(loss)")
  }

  @Test(arguments: randomSeeds)
  func logisticMatchesActivation(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 37
    var z = (0..<n).map { _ in rng.uniform(-40, 40) }
    z[0] = 800; z[1] = -800; z[2] = 0
    var h = [Double](repeating: .nan, count: n)
    z.withUnsafeBufferPointer { zp in h.withUnsafeMutableBufferPointer { VectorKernels.logistic(zp.baseAddress!, $0.baseAddress!, n) } }
    for i in 0..<n {
      let expected = Activation.logistic(z[i])
      #expect(abs(h[i] - expected) <= 4e-16 * expected, "σ(\(z[i])) = \(h[i]), expected \(expected)")
    }
  }

  @Test(arguments: randomSeeds)
  func matrixVectorProductsMatchNaiveLoops(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for (m, n) in [(1, 1), (3, 5), (4, 8), (9, 33), (37, 70), (64, 256), (5, 100)] {
      let W = rng.matrix(m, n), x = rng.matrix(n, 1), u = rng.matrix(m, 1)
      var y = [Double](repeating: .nan, count: m), yt = [Double](repeating: .nan, count: n)
      W.scalars.withUnsafeBufferPointer { w in
        x.scalars.withUnsafeBufferPointer { xp in
          y.withUnsafeMutableBufferPointer { VectorKernels.matrixVector(w.baseAddress!, xp.baseAddress!, $0.baseAddress!, m, n) }
        }
        u.scalars.withUnsafeBufferPointer { up in
          yt.withUnsafeMutableBufferPointer { VectorKernels.transposedMatrixVector(w.baseAddress!, up.baseAddress!, $0.baseAddress!, m, n) }
        }
      }
      expectAgree(Matrix(column: y), Naive.product(W, x), within: 1e-14, "W x, \(m)×\(n)")
      expectAgree(Matrix(column: yt), Naive.product(Naive.transpose(W), u), within: 1e-14, "Wᵀ u, \(m)×\(n)")
    }
  }

  /// Wᵀ x_l for several vectors at once: each the naive loop's, and bit for bit the one-vector
  /// kernel's (the gated models' sweeps in lockstep depend on it).
  @Test(arguments: randomSeeds)
  func transposedProductsOfManyVectorsAreTheOneVectorProducts(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for (m, n, count) in [(1, 1, 1), (3, 5, 2), (9, 33, 3), (37, 70, 4), (64, 256, 5), (100, 45, 1), (8, 96, 7), (40, 64, 8), (20, 128, 6)] {
      let W = rng.matrix(m, n)
      let xs = (0..<count).map { _ in rng.matrix(m, 1) }
      var ys = [[Double]](repeating: [Double](repeating: .nan, count: n), count: count)
      var single = ys
      W.scalars.withUnsafeBufferPointer { w in
        let xp = xs.map { x in UnsafeMutablePointer<Double>.allocate(capacity: m) }
        let yp = (0..<count).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: n) }
        defer { xp.forEach { $0.deallocate() }; yp.forEach { $0.deallocate() } }
        for l in 0..<count {
          xs[l].scalars.withUnsafeBufferPointer { xp[l].initialize(from: $0.baseAddress!, count: m) }
          yp[l].initialize(repeating: .nan, count: n)
        }
        VectorKernels.transposedMatrixVectors(w.baseAddress!, xp.map { UnsafePointer($0) }, yp, m, n)
        for l in 0..<count {
          ys[l] = Array(UnsafeBufferPointer(start: yp[l], count: n))
          single[l].withUnsafeMutableBufferPointer { VectorKernels.transposedMatrixVector(w.baseAddress!, xp[l], $0.baseAddress!, m, n) }
        }
      }
      for l in 0..<count {
        expectAgree(Matrix(column: ys[l]), Naive.product(Naive.transpose(W), xs[l]), within: 1e-14, "Wᵀ x_\(l), \(m)×\(n)")
        #expect(ys[l] == single[l], "Wᵀ x_\(l), \(m)×\(n): the same bits as one vector at a time")
      }
    }
  }
}
