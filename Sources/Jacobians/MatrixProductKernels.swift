import CPrefetch

/// The register tiles of `MatrixProduct`'s blocked kernel, and the packing of its operands.
///
/// A micro-kernel computes one tile of `C′ = A′ B′` over a block of `kc` inner indices:
/// ```
/// acc[MR × NR] = Σ_{k < kc} a[:, k] ⊗ b[k, :]        a[r, k] = a[r·ar + k·ak]   (any strides)
///                                                      b[k, j] = b[k·NR + j]      (a packed panel)
/// ```
/// The rows of A′ are read where they lie (`ar`, `ak` are the row and inner strides: a
/// row-major matrix, a transposed one, or a packed panel with `ar = 1, ak = MR`); each value is
/// broadcast to a vector and multiplied by a row of the packed B′ panel. Every accumulator is a
/// chain of fused multiply-adds in increasing k, whatever the tile's position in C, so an entry
/// of C never depends on the blocking of the rows or columns around it.
///
/// Tiles (AVX2 + FMA build):
/// ```
/// 6 × 8    twelve 4-vectors: 2 loads of b, 6 broadcasts of a, 12 FMA per k
/// 4 × 12   twelve 4-vectors: 3 loads of b, 4 broadcasts of a, 12 FMA per k   (n = 35 → 36)
/// ```
/// Portable build: one 4 × 4 tile of eight 2-vectors (multiply, then add).
extension MatrixProduct {
  /// A strided view of a matrix: entry (i, j) at `base[i · rowStride + j · colStride]`.
  struct View: @unchecked Sendable {
    var base: UnsafePointer<Double>
    var rowStride: Int
    var colStride: Int

    @inline(__always) subscript(i: Int, j: Int) -> Double { base[i &* rowStride &+ j &* colStride] }
    /// The transpose, without moving anything.
    var transposed: View { View(base: base, rowStride: colStride, colStride: rowStride) }
  }

  /// A strided view of the result.
  struct MutableView: @unchecked Sendable {
    var base: UnsafeMutablePointer<Double>
    var rowStride: Int
    var colStride: Int

    var transposed: MutableView { MutableView(base: base, rowStride: colStride, colStride: rowStride) }
  }

  /// The shape of the register tile.
  enum Tile: Sendable {
    #if JACOBIANS_AVX2_FMA
    case sixByEight, fourByTwelve
    #else
    case fourByFour
    #endif

    var rows: Int {
      switch self {
      #if JACOBIANS_AVX2_FMA
      case .sixByEight: return 6
      case .fourByTwelve: return 4
      #else
      case .fourByFour: return 4
      #endif
      }
    }

    var cols: Int {
      switch self {
      #if JACOBIANS_AVX2_FMA
      case .sixByEight: return 8
      case .fourByTwelve: return 12
      #else
      case .fourByFour: return 4
      #endif
      }
    }

    /// The tiles this build has.
    static var all: [Tile] {
      #if JACOBIANS_AVX2_FMA
      return [.sixByEight, .fourByTwelve]
      #else
      return [.fourByFour]
      #endif
    }
  }

  // MARK: Packing

  /// op(B)[k0..<k0+kc, j0..<j0+nc] as panels of `nr` columns, each k-major (`panel[k·nr + j]`),
  /// the last one zero-padded.
  static func packB(_ b: View, k0: Int, kc: Int, j0: Int, nc: Int, nr: Int, into dst: UnsafeMutablePointer<Double>) {
    var packer = BlockPacker(b: b, k0: k0, kc: kc, j0: j0, nc: nc, nr: nr, dst: dst)
    packer.pack(upTo: packer.units)
  }

  /// The packing of one block op(B)[k0..<k0+kc, j0..<j0+nc] into panels of `nr` columns, a few
  /// units at a time: rows of op(B) when they are contiguous (read once, front to back, dealt
  /// to the panels), else columns (contiguous in k when op(B) = Bᵀ), the padding columns of the
  /// last panel included.
  struct BlockPacker {
    let b: View
    let k0: Int, kc: Int, j0: Int, nc: Int, nr: Int
    let dst: UnsafeMutablePointer<Double>
    /// Units packed so far.
    var done = 0

    init(b: View, k0: Int, kc: Int, j0: Int, nc: Int, nr: Int, dst: UnsafeMutablePointer<Double>) {
      self.b = b
      self.k0 = k0
      self.kc = kc
      self.j0 = j0
      self.nc = nc
      self.nr = nr
      self.dst = dst
    }

    var byRows: Bool { b.colStride == 1 }
    /// Rows of the block, or its columns rounded up to whole panels.
    var units: Int { byRows ? kc : (nc + nr - 1) / nr * nr }

    mutating func pack(upTo target: Int) {
      let end = Swift.min(target, units)
      if done >= end { return }
      let full = nc / nr, w = nc - full * nr
      if byRows {
        for k in done..<end {
          let src = b.base + ((k0 &+ k) &* b.rowStride &+ j0)
          for panel in 0..<full {
            MatrixProduct.copy(nr, from: src + panel &* nr, to: dst + (panel &* kc &+ k) &* nr)
          }
          if w > 0 {
            let d = dst + (full &* kc &+ k) &* nr
            for j in 0..<nr { d[j] = j < w ? src[full &* nr &+ j] : 0 }
          }
        }
      } else {
        for j in done..<end {
          let panel = j / nr, column = j - panel * nr
          let base = dst + (panel &* kc &* nr &+ column)
          if j < nc {
            let src = b.base + ((j0 &+ j) &* b.colStride &+ k0 &* b.rowStride)
            for k in 0..<kc { base[k &* nr] = src[k &* b.rowStride] }
          } else {
            for k in 0..<kc { base[k &* nr] = 0 }
          }
        }
      }
      done = end
    }
  }

  /// op(A)[i0..<i0+mc, k0..<k0+kc] as panels of `mr` rows, each k-major (`panel[k·mr + r]`),
  /// the last one zero-padded.
  static func packA(_ a: View, i0: Int, mc: Int, k0: Int, kc: Int, mr: Int, into dst: UnsafeMutablePointer<Double>) {
    let panels = (mc + mr - 1) / mr
    for panel in 0..<panels {
      let h = Swift.min(mr, mc - panel * mr)
      let base = dst + panel &* kc &* mr
      if h == mr && a.rowStride == 1 {
        // Columns of op(A) are contiguous (op(A) = Aᵀ): mr consecutive values per k.
        let src = a.base + ((i0 &+ panel &* mr) &+ k0 &* a.colStride)
        for k in 0..<kc { copy(mr, from: src + k &* a.colStride, to: base + k &* mr) }
      } else if h == mr {
        for r in 0..<mr {
          let src = a.base + ((i0 &+ panel &* mr &+ r) &* a.rowStride &+ k0 &* a.colStride)
          for k in 0..<kc { base[k &* mr &+ r] = src[k &* a.colStride] }
        }
      } else {
        for k in 0..<kc {
          for r in 0..<mr { base[k &* mr &+ r] = r < h ? a[i0 &+ panel &* mr &+ r, k0 &+ k] : 0 }
        }
      }
    }
  }

  /// dst[0..<count] = src[0..<count] for a tile side (4, 6, 8 or 12), in vectors.
  @inline(__always)
  static func copy(_ count: Int, from src: UnsafePointer<Double>, to dst: UnsafeMutablePointer<Double>) {
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    switch count {
    case 4:
      d.storeBytes(of: s.loadUnaligned(as: SIMD4<Double>.self), as: SIMD4<Double>.self)
    case 6:
      d.storeBytes(of: s.loadUnaligned(as: SIMD4<Double>.self), as: SIMD4<Double>.self)
      d.storeBytes(of: s.loadUnaligned(fromByteOffset: 32, as: SIMD2<Double>.self), toByteOffset: 32, as: SIMD2<Double>.self)
    case 8:
      d.storeBytes(of: s.loadUnaligned(as: SIMD8<Double>.self), as: SIMD8<Double>.self)
    case 12:
      d.storeBytes(of: s.loadUnaligned(as: SIMD8<Double>.self), as: SIMD8<Double>.self)
      d.storeBytes(of: s.loadUnaligned(fromByteOffset: 64, as: SIMD4<Double>.self), toByteOffset: 64, as: SIMD4<Double>.self)
    default:
      for i in 0..<count { dst[i] = src[i] }
    }
  }

  /// Hints that `p[0..<count]` will be read soon: one prefetch per cache line (64 bytes).
  @inline(__always)
  static func prefetch(_ p: UnsafePointer<Double>, count: Int) {
    var i = 0
    while i < count {
      jacobians_prefetch_read(p + i)
      i &+= 8
    }
  }

  // MARK: One tile

  /// A run of `count` tiles: tile i is C′[h_i × w_i at c + i·cStep] (+)= A′[rows at a + i·aStep]
  /// B′[panel at b + i·bStep] over kc inner indices, with h_i = h and w_i = w but for the last
  /// tile (lastH, lastW); the sides are at most the tile's. One call for a whole row (or column)
  /// of tiles, so that short inner dimensions (k = 35) do not pay a call per tile. Full tiles are
  /// written from the registers (row by row, or transposed when C′ is stored column-major), and
  /// so are 4 × 12 tiles of full height cut short in width when stored transposed; other edge
  /// tiles go through `scratch` (MR · NR values). `prefetchLines` cache lines from `prefetch` on
  /// (the operand of a later call) are asked for along the way of the first 4 × 12 tile, or
  /// before the first tile of the other shapes.
  @inline(never) @_optimize(size)
  static func tiles(
    _ tile: Tile, count: Int, a: UnsafePointer<Double>, aStep: Int, ar: Int, ak: Int,
    b: UnsafePointer<Double>, bStep: Int, kc: Int, c: UnsafeMutablePointer<Double>, cStep: Int, rs: Int, cs: Int,
    h: Int, w: Int, lastH: Int, lastW: Int, accumulate: Bool, scratch: UnsafeMutablePointer<Double>,
    prefetch: UnsafePointer<Double>? = nil, prefetchLines: Int = 0
  ) {
    var a = a, b = b, c = c
    switch tile {
    #if JACOBIANS_AVX2_FMA
    case .sixByEight:
      if let prefetch { MatrixProduct.prefetch(prefetch, count: prefetchLines &* 8) }
      for i in 0..<count {
        let (hi, wi) = i == count - 1 ? (lastH, lastW) : (h, w)
        let acc = kernel6x8(a, ar, ak, b, kc)
        if hi == 6 && wi == 8 && cs == 1 {
          acc.store6x8(c, rs, accumulate)
        } else if hi == 6 && wi == 8 && rs == 1 {
          acc.store6x8Transposed(c, cs, accumulate)
        } else {
          acc.store6x8(scratch, 8, false)
          copyCorner(scratch, 8, c, rs, cs, hi, wi, accumulate)
        }
        a += aStep; b += bStep; c += cStep
      }
    case .fourByTwelve:
      for i in 0..<count {
        let (hi, wi) = i == count - 1 ? (lastH, lastW) : (h, w)
        let acc = kernel4x12(a, ar, ak, b, kc, prefetch: i == 0 ? prefetch : nil, lines: prefetchLines)
        if hi == 4 && wi == 12 && cs == 1 {
          acc.store4x12(c, rs, accumulate)
        } else if hi == 4 && rs == 1 {
          acc.store4x12Transposed(c, cs, accumulate, columns: wi)
        } else {
          acc.store4x12(scratch, 12, false)
          copyCorner(scratch, 12, c, rs, cs, hi, wi, accumulate)
        }
        a += aStep; b += bStep; c += cStep
      }
    #else
    case .fourByFour:
      if let prefetch { MatrixProduct.prefetch(prefetch, count: prefetchLines &* 8) }
      for i in 0..<count {
        let (hi, wi) = i == count - 1 ? (lastH, lastW) : (h, w)
        let acc = kernel4x4(a, ar, ak, b, kc)
        if hi == 4 && wi == 4 && cs == 1 {
          acc.store(c, rs, accumulate)
        } else {
          acc.store(scratch, 4, false)
          copyCorner(scratch, 4, c, rs, cs, hi, wi, accumulate)
        }
        a += aStep; b += bStep; c += cStep
      }
    #endif
    }
  }

  /// The h × w corner of a row-major scratch tile into C′ (any strides).
  @inline(__always)
  static func copyCorner(
    _ t: UnsafeMutablePointer<Double>, _ ldt: Int, _ c: UnsafeMutablePointer<Double>, _ rs: Int, _ cs: Int,
    _ h: Int, _ w: Int, _ accumulate: Bool
  ) {
    for r in 0..<h {
      for j in 0..<w {
        let dst = c + (r &* rs &+ j &* cs)
        if accumulate { dst.pointee += t[r &* ldt &+ j] } else { dst.pointee = t[r &* ldt &+ j] }
      }
    }
  }

  #if JACOBIANS_AVX2_FMA
  typealias V4 = SIMD4<Double>

  /// Twelve 4-vectors of accumulators: rows of a 6 × 8 tile (two vectors a row) or of a
  /// 4 × 12 tile (three vectors a row).
  struct Accumulators {
    var v0 = V4(), v1 = V4(), v2 = V4(), v3 = V4(), v4 = V4(), v5 = V4()
    var v6 = V4(), v7 = V4(), v8 = V4(), v9 = V4(), v10 = V4(), v11 = V4()

    @inline(__always)
    func store6x8(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
      write(v0, c, accumulate); write(v1, c + 4, accumulate)
      write(v2, c + ldc, accumulate); write(v3, c + ldc + 4, accumulate)
      write(v4, c + 2 &* ldc, accumulate); write(v5, c + 2 &* ldc + 4, accumulate)
      write(v6, c + 3 &* ldc, accumulate); write(v7, c + 3 &* ldc + 4, accumulate)
      write(v8, c + 4 &* ldc, accumulate); write(v9, c + 4 &* ldc + 4, accumulate)
      write(v10, c + 5 &* ldc, accumulate); write(v11, c + 5 &* ldc + 4, accumulate)
    }

    /// Entry (r, j) of the tile to c[j · ldc + r]: column j of the tile is contiguous.
    @inline(__always)
    func store6x8Transposed(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
      let (a0, a1, a2, a3) = transpose(v0, v2, v4, v6)
      let (b0, b1, b2, b3) = transpose(v1, v3, v5, v7)
      write(a0, c, accumulate); write(a1, c + ldc, accumulate)
      write(a2, c + 2 &* ldc, accumulate); write(a3, c + 3 &* ldc, accumulate)
      write(b0, c + 4 &* ldc, accumulate); write(b1, c + 5 &* ldc, accumulate)
      write(b2, c + 6 &* ldc, accumulate); write(b3, c + 7 &* ldc, accumulate)
      // Rows 4 and 5: pairs.
      let lo = v8, hi = v9, lo5 = v10, hi5 = v11
      for j in 0..<4 {
        write2(SIMD2(lo[j], lo5[j]), c + (j &* ldc &+ 4), accumulate)
        write2(SIMD2(hi[j], hi5[j]), c + ((j &+ 4) &* ldc &+ 4), accumulate)
      }
    }

    @inline(__always)
    func store4x12(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
      write(v0, c, accumulate); write(v1, c + 4, accumulate); write(v2, c + 8, accumulate)
      write(v3, c + ldc, accumulate); write(v4, c + ldc + 4, accumulate); write(v5, c + ldc + 8, accumulate)
      let c2 = c + 2 &* ldc, c3 = c + 3 &* ldc
      write(v6, c2, accumulate); write(v7, c2 + 4, accumulate); write(v8, c2 + 8, accumulate)
      write(v9, c3, accumulate); write(v10, c3 + 4, accumulate); write(v11, c3 + 8, accumulate)
    }

    /// Entry (r, j) of the tile to c[j · ldc + r] for the first `columns` columns j (1…12) of
    /// the tile: a column of the tile is a contiguous 4-vector of C, so a tile cut short by the
    /// edge of C′ (35 = 2 · 12 + 11) is written from the registers too.
    @inline(__always)
    func store4x12Transposed(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool, columns: Int = 12) {
      let (a0, a1, a2, a3) = transpose(v0, v3, v6, v9)
      write(a0, c, accumulate)
      if columns > 1 { write(a1, c + ldc, accumulate) }
      if columns > 2 { write(a2, c + 2 &* ldc, accumulate) }
      if columns > 3 { write(a3, c + 3 &* ldc, accumulate) }
      if columns <= 4 { return }
      let (b0, b1, b2, b3) = transpose(v1, v4, v7, v10)
      let c4 = c + 4 &* ldc
      write(b0, c4, accumulate)
      if columns > 5 { write(b1, c4 + ldc, accumulate) }
      if columns > 6 { write(b2, c4 + 2 &* ldc, accumulate) }
      if columns > 7 { write(b3, c4 + 3 &* ldc, accumulate) }
      if columns <= 8 { return }
      let (d0, d1, d2, d3) = transpose(v2, v5, v8, v11)
      let c8 = c + 8 &* ldc
      write(d0, c8, accumulate)
      if columns > 9 { write(d1, c8 + ldc, accumulate) }
      if columns > 10 { write(d2, c8 + 2 &* ldc, accumulate) }
      if columns > 11 { write(d3, c8 + 3 &* ldc, accumulate) }
    }
  }

  /// The 4 × 4 transpose of the rows (x0, x1, x2, x3).
  @inline(__always)
  static func transpose(_ x0: V4, _ x1: V4, _ x2: V4, _ x3: V4) -> (V4, V4, V4, V4) {
    (V4(x0[0], x1[0], x2[0], x3[0]), V4(x0[1], x1[1], x2[1], x3[1]),
     V4(x0[2], x1[2], x2[2], x3[2]), V4(x0[3], x1[3], x2[3], x3[3]))
  }

  @inline(__always)
  static func write(_ v: V4, _ c: UnsafeMutablePointer<Double>, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(c)
    if accumulate {
      raw.storeBytes(of: raw.loadUnaligned(as: V4.self) + v, as: V4.self)
    } else {
      raw.storeBytes(of: v, as: V4.self)
    }
  }

  @inline(__always)
  static func write2(_ v: SIMD2<Double>, _ c: UnsafeMutablePointer<Double>, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(c)
    if accumulate {
      raw.storeBytes(of: raw.loadUnaligned(as: SIMD2<Double>.self) + v, as: SIMD2<Double>.self)
    } else {
      raw.storeBytes(of: v, as: SIMD2<Double>.self)
    }
  }

  /// The 6 × 8 tile: rows r of A′ at a + r·ar, advancing by ak per k; b a packed panel of 8.
  @inline(__always)
  static func kernel6x8(_ a: UnsafePointer<Double>, _ ar: Int, _ ak: Int, _ b: UnsafePointer<Double>, _ kc: Int) -> Accumulators {
    var c00 = V4(), c01 = V4(), c10 = V4(), c11 = V4(), c20 = V4(), c21 = V4()
    var c30 = V4(), c31 = V4(), c40 = V4(), c41 = V4(), c50 = V4(), c51 = V4()
    // Rows 0–2 from one pointer, rows 3–5 from another, each at offsets 0, ar, 2·ar.
    var p0 = a, p3 = a + 3 &* ar
    var pb = UnsafeRawPointer(b)
    let r2 = 2 &* ar
    var k = kc
    while k > 0 {
      let b0 = pb.loadUnaligned(as: V4.self)
      let b1 = pb.loadUnaligned(fromByteOffset: 32, as: V4.self)
      let a0 = V4(repeating: p0[0]), a1 = V4(repeating: p0[ar])
      c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
      c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
      let a2 = V4(repeating: p0[r2]), a3 = V4(repeating: p3[0])
      c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
      c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
      let a4 = V4(repeating: p3[ar]), a5 = V4(repeating: p3[r2])
      c40 = c40.addingProduct(a4, b0); c41 = c41.addingProduct(a4, b1)
      c50 = c50.addingProduct(a5, b0); c51 = c51.addingProduct(a5, b1)
      p0 += ak
      p3 += ak
      pb += 64
      k &-= 1
    }
    return Accumulators(v0: c00, v1: c01, v2: c10, v3: c11, v4: c20, v5: c21,
                        v6: c30, v7: c31, v8: c40, v9: c41, v10: c50, v11: c51)
  }

  /// The 4 × 12 tile: rows r of A′ at a + r·ar, advancing by ak per k; b a packed panel of 12.
  /// The `lines` cache lines from `prefetch` on are asked for along the way, one every
  /// ⌊kc / lines⌋ values of k, so that the misses are spread over the tile instead of queued
  /// at once (none by default).
  @inline(__always)
  static func kernel4x12(
    _ a: UnsafePointer<Double>, _ ar: Int, _ ak: Int, _ b: UnsafePointer<Double>, _ kc: Int,
    prefetch: UnsafePointer<Double>? = nil, lines: Int = 0
  ) -> Accumulators {
    var c00 = V4(), c01 = V4(), c02 = V4(), c10 = V4(), c11 = V4(), c12 = V4()
    var c20 = V4(), c21 = V4(), c22 = V4(), c30 = V4(), c31 = V4(), c32 = V4()
    var pa = a
    var pb = UnsafeRawPointer(b)
    let r2 = 2 &* ar, r3 = 3 &* ar
    var left = prefetch == nil ? 0 : lines, pf = prefetch
    let every = left > 0 ? Swift.max(1, kc / left) : kc
    var k = kc
    while k > 0 {
      var run = Swift.min(k, every)
      k &-= run
      while run > 0 {
        let b0 = pb.loadUnaligned(as: V4.self)
        let b1 = pb.loadUnaligned(fromByteOffset: 32, as: V4.self)
        let b2 = pb.loadUnaligned(fromByteOffset: 64, as: V4.self)
        let a0 = V4(repeating: pa[0])
        c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1); c02 = c02.addingProduct(a0, b2)
        let a1 = V4(repeating: pa[ar])
        c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1); c12 = c12.addingProduct(a1, b2)
        let a2 = V4(repeating: pa[r2])
        c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1); c22 = c22.addingProduct(a2, b2)
        let a3 = V4(repeating: pa[r3])
        c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1); c32 = c32.addingProduct(a3, b2)
        pa += ak
        pb += 96
        run &-= 1
      }
      if left > 0, let p = pf {
        jacobians_prefetch_read(p)
        pf = p + 8
        left &-= 1
      }
    }
    // More lines than values of k: the rest at the end.
    if let p = pf, left > 0 { MatrixProduct.prefetch(p, count: left &* 8) }
    return Accumulators(v0: c00, v1: c01, v2: c02, v3: c10, v4: c11, v5: c12,
                        v6: c20, v7: c21, v8: c22, v9: c30, v10: c31, v11: c32)
  }
  #else
  typealias V2 = SIMD2<Double>

  /// Eight 2-vectors: a 4 × 4 tile, two vectors a row.
  struct Accumulators {
    var v0 = V2(), v1 = V2(), v2 = V2(), v3 = V2(), v4 = V2(), v5 = V2(), v6 = V2(), v7 = V2()

    @inline(__always)
    func store(_ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
      MatrixProduct.write(v0, v1, c, accumulate)
      MatrixProduct.write(v2, v3, c + ldc, accumulate)
      MatrixProduct.write(v4, v5, c + 2 &* ldc, accumulate)
      MatrixProduct.write(v6, v7, c + 3 &* ldc, accumulate)
    }
  }

  /// One row of a tile: c[0..<4] (+)= (lo, hi).
  @inline(__always)
  static func write(_ lo: V2, _ hi: V2, _ c: UnsafeMutablePointer<Double>, _ accumulate: Bool) {
    if accumulate {
      c[0] += lo[0]; c[1] += lo[1]; c[2] += hi[0]; c[3] += hi[1]
    } else {
      c[0] = lo[0]; c[1] = lo[1]; c[2] = hi[0]; c[3] = hi[1]
    }
  }

  /// The 4 × 4 tile: rows r of A′ at a + r·ar, advancing by ak per k; b a packed panel of 4.
  @inline(__always)
  static func kernel4x4(_ a: UnsafePointer<Double>, _ ar: Int, _ ak: Int, _ b: UnsafePointer<Double>, _ kc: Int) -> Accumulators {
    var c00 = V2(), c01 = V2(), c10 = V2(), c11 = V2(), c20 = V2(), c21 = V2(), c30 = V2(), c31 = V2()
    var pa = a
    var pb = UnsafeRawPointer(b)
    let r2 = 2 &* ar, r3 = 3 &* ar
    var k = kc
    while k > 0 {
      let b0 = pb.loadUnaligned(as: V2.self)
      let b1 = pb.loadUnaligned(fromByteOffset: 16, as: V2.self)
      let a0 = V2(repeating: pa[0]), a1 = V2(repeating: pa[ar])
      let a2 = V2(repeating: pa[r2]), a3 = V2(repeating: pa[r3])
      c00 += a0 * b0; c01 += a0 * b1
      c10 += a1 * b0; c11 += a1 * b1
      c20 += a2 * b0; c21 += a2 * b1
      c30 += a3 * b0; c31 += a3 * b1
      pa += ak
      pb += 32
      k &-= 1
    }
    return Accumulators(v0: c00, v1: c01, v2: c10, v3: c11, v4: c20, v5: c21, v6: c30, v7: c31)
  }
  #endif
}
