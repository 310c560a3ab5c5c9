import Testing
@testable import Jacobians
import TestSupport

/// One call of `MatrixProduct.tiles` and the packing of E_blockᵀ in `OutputLayerKernel`, against
/// plain loops on seeded inputs: every tile of the build at every height and width up to its
/// own, stored row by row and transposed, written and added to, with and without the prefetch
/// of a later operand.
@Suite struct MatrixProductTilesTests {
  /// C′ (h × w) (+)= A′ B′ over kc, A′ read at a[r·ar + k·ak], B′ a packed panel of `nr`
  /// columns (b[k·nr + j]), C′ entry (r, j) at c[r·rs + j·cs]: a plain triple loop.
  static func naive(
    _ a: [Double], ar: Int, ak: Int, _ b: [Double], nr: Int, kc: Int, h: Int, w: Int,
    into c: inout [Double], rs: Int, cs: Int, accumulate: Bool
  ) {
    for r in 0..<h {
      for j in 0..<w {
        var s = 0.0
        for k in 0..<kc { s += a[r * ar + k * ak] * b[k * nr + j] }
        c[r * rs + j * cs] = accumulate ? c[r * rs + j * cs] + s : s
      }
    }
  }

  /// A single tile through `tiles` (count 1), C′ in a larger array of NaN but where it is
  /// written, so that an entry written outside the h × w corner shows.
  static func run(
    _ tile: MatrixProduct.Tile, _ a: [Double], ar: Int, ak: Int, _ b: [Double], kc: Int, h: Int, w: Int,
    into c: inout [Double], rs: Int, cs: Int, accumulate: Bool, prefetch: [Double]?, lines: Int
  ) {
    var scratch = [Double](repeating: 0, count: tile.rows * tile.cols)
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          scratch.withUnsafeMutableBufferPointer { sp in
            (prefetch ?? [0]).withUnsafeBufferPointer { pp in
              MatrixProduct.tiles(tile, count: 1, a: ap.baseAddress!, aStep: 0, ar: ar, ak: ak,
                                  b: bp.baseAddress!, bStep: 0, kc: kc, c: cp.baseAddress!, cStep: 0, rs: rs, cs: cs,
                                  h: h, w: w, lastH: h, lastW: w, accumulate: accumulate, scratch: sp.baseAddress!,
                                  prefetch: prefetch == nil ? nil : pp.baseAddress!, prefetchLines: lines)
            }
          }
        }
      }
    }
  }

  @Test(arguments: [0, 1, 7, 35, 256])
  func everyCornerOfEveryTileMatchesPlainLoops(kc: Int) {
    var rng = SplitMix64(seed: 0x711e5 &+ UInt64(kc))
    let farAway = (0..<4096).map { _ in rng.uniform(-1, 1) }
    for tile in MatrixProduct.Tile.all {
      let (mr, nr) = (tile.rows, tile.cols)
      // A′ row-major (ar = kc, ak = 1) or a packed panel (ar = 1, ak = mr).
      let a = (0..<(mr * Swift.max(kc, 1))).map { _ in rng.uniform(-1, 1) }
      let b = (0..<(nr * Swift.max(kc, 1))).map { _ in rng.uniform(-1, 1) }
      for (ar, ak) in [(Swift.max(kc, 1), 1), (1, mr)] {
        for h in 1...mr {
          for w in 1...nr {
            // Row by row (rs = ld, cs = 1) and transposed (rs = 1, cs = ld), ld past the tile.
            for (rs, cs) in [(nr + 3, 1), (1, mr + 5)] {
              // The whole tile's footprint and more: a write outside the corner meets a NaN.
              let size = (mr - 1) * rs + (nr - 1) * cs + 9
              let start = (0..<size).map { _ in rng.uniform(-1, 1) }
              for accumulate in [false, true] {
                var expected = [Double](repeating: .nan, count: size)
                for r in 0..<h { for j in 0..<w { expected[r * rs + j * cs] = start[r * rs + j * cs] } }
                var plain = expected
                Self.naive(a, ar: ar, ak: ak, b, nr: nr, kc: kc, h: h, w: w, into: &expected, rs: rs, cs: cs, accumulate: accumulate)
                Self.run(tile, a, ar: ar, ak: ak, b, kc: kc, h: h, w: w, into: &plain, rs: rs, cs: cs,
                         accumulate: accumulate, prefetch: nil, lines: 0)
                let what = "\(mr) × \(nr) tile, \(h) × \(w) corner, kc \(kc), rs \(rs), cs \(cs), accumulate \(accumulate)"
                var worst = 0.0
                for i in 0..<size where !(expected[i].isNaN && plain[i].isNaN) {
                  worst = Swift.max(worst, Swift.abs(plain[i] - expected[i]))
                  if expected[i].isNaN != plain[i].isNaN { worst = .infinity }
                }
                #expect(worst <= 1e-12, "\(what): largest difference \(worst)")
                // The prefetch of a later operand (fewer lines than k, more, none) leaves every bit.
                for lines in [0, 3, 1000] {
                  var fetched = [Double](repeating: .nan, count: size)
                  for r in 0..<h { for j in 0..<w { fetched[r * rs + j * cs] = start[r * rs + j * cs] } }
                  Self.run(tile, a, ar: ar, ak: ak, b, kc: kc, h: h, w: w, into: &fetched, rs: rs, cs: cs,
                           accumulate: accumulate, prefetch: farAway, lines: Swift.min(lines, farAway.count / 8))
                  #expect(zip(fetched, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(what), \(lines) lines prefetched")
                }
              }
            }
          }
        }
      }
    }
  }

  /// E (T × n, row length ld) into panels of Eᵀ, nr columns each, rows past T zero, every value
  /// where the plain loop puts it and nothing written past the panels.
  @Test(arguments: [(35, 120), (35, 1), (1, 120), (0, 5), (13, 7), (12, 4), (4, 9), (3, 3)])
  func packingOfETransposedMatchesPlainLoops(T: Int, n: Int) {
    var rng = SplitMix64(seed: UInt64(T * 1000 + n))
    let nr = MatrixProduct.Tile.all.last!.cols
    let ld = n + 5, panels = (T + nr - 1) / nr
    let e = (0..<Swift.max(T * ld, 1)).map { _ in rng.uniform(-1, 1) }
    var expected = [Double](repeating: .nan, count: panels * n * nr + 7)
    for p in 0..<panels {
      for k in 0..<n {
        for col in 0..<nr {
          let t = p * nr + col
          expected[(p * n + k) * nr + col] = t < T ? e[t * ld + k] : 0
        }
      }
    }
    var got = [Double](repeating: .nan, count: expected.count)
    e.withUnsafeBufferPointer { ep in
      got.withUnsafeMutableBufferPointer { gp in
        OutputLayerKernel.packTransposed(ep.baseAddress!, ld: ld, rows: T, count: n, nr: nr, panels: panels, into: gp.baseAddress!)
      }
    }
    #expect(zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "T \(T), n \(n), nr \(nr)")
  }
}
