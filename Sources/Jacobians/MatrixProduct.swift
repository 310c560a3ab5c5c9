import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Matrix products, the one place where speed matters.
///
/// ```
/// multiply(A, B)                 A B     (m × n)(n × p) = (m × p)
/// multiply(A, B, transposeA)     Aᵀ B    (n × m)ᵀ(n × p) = (m × p)
/// multiply(A, B, transposeB)     A Bᵀ    (m × n)(p × n)ᵀ = (m × p)
/// ```
/// Small products (fewer than `blockedThreshold` multiply-adds) run plain loops over contiguous
/// rows (`i-k-j` order, the inner loop a vectorizable `axpy`; `A Bᵀ` as four-way unrolled dot
/// products). Larger ones run a cache-blocked kernel in the GotoBLAS layout:
/// ```
/// for each block of KC inner indices:
///   pack op(B)[k-block, :] into panels of NR columns   (k-major: one panel fits in L1)
///   for each block of MC rows:
///     pack op(A)[rows, k-block] into panels of MR rows (k-major)
///     C[MR × NR tile] (+)= Σ_k a[k] ⊗ b[k]             (MR·NR accumulators in registers)
/// ```
/// The register tile is 6 × 8 with 4-vectors and fused multiply-add when the package is built
/// for AVX2 (`JACOBIANS_AVX2_FMA`, set by Package.swift when the build machine has it), 4 × 4
/// with 2-vectors otherwise. Above `parallelThreshold` multiply-adds, C is split into
/// `maximumConcurrency` bands of rows or columns computed at the same time, on threads of their
/// own. Every entry of C is a sum over k in increasing order within each KC block, computed
/// by the same sequence of operations wherever its tile lies, so results do not depend on the
/// number of threads (they may differ in the last bits between the AVX2 and SSE2 builds).
public enum MatrixProduct {
  /// The number of threads a large product may use (default: the online processors, at most 8).
  /// Set to 1 for single-threaded timings.
  nonisolated(unsafe) public static var maximumConcurrency: Int = defaultConcurrency()

  /// Products with fewer multiply-adds than this use the plain loops.
  public static let blockedThreshold = 32_768
  /// Products with fewer multiply-adds than this stay on one thread.
  public static let parallelThreshold = 2_000_000

  /// `op(A) op(B)` where `op` transposes when asked. Stops with both shapes when they do not fit.
  public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
    multiply(a, b, transposeA: transposeA, transposeB: transposeB, concurrency: maximumConcurrency)
  }

  /// `op(A) op(B)` on at most `concurrency` threads (the result does not depend on it).
  public static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, concurrency: Int) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let n = transposeA ? a.rows : a.cols
    let nb = transposeB ? b.cols : b.rows
    let p = transposeB ? b.rows : b.cols
    if n != nb {
      let sa = transposeA ? "\(a.shape)ᵀ" : "\(a.shape)"
      let sb = transposeB ? "\(b.shape)ᵀ" : "\(b.shape)"
      fatalError("Shape mismatch: matrix product needs lhs columns == rhs rows, got \(sa) and \(sb)")
    }
    if m == 0 || p == 0 || n == 0 { return Matrix(rows: m, cols: p) }
    let out: [Double]
    if m * n * p < blockedThreshold {
      var zeros = [Double](repeating: 0, count: m * p)
      a.scalars.withUnsafeBufferPointer { A in
        b.scalars.withUnsafeBufferPointer { B in
          zeros.withUnsafeMutableBufferPointer { C in
            plain(A.baseAddress!, B.baseAddress!, C.baseAddress!, m, n, p, transposeA, transposeB)
          }
        }
      }
      out = zeros
    } else {
      // The blocked kernel writes every entry (stores in the first KC block), so C starts
      // uninitialized: no pass over memory to zero it first.
      out = [Double](unsafeUninitializedCapacity: m * p) { C, count in
        a.scalars.withUnsafeBufferPointer { A in
          b.scalars.withUnsafeBufferPointer { B in
            let operands = Operands(
              a: A.baseAddress!, lda: a.cols, transposeA: transposeA,
              b: B.baseAddress!, ldb: b.cols, transposeB: transposeB,
              c: C.baseAddress!, ldc: p, n: n)
            blocked(operands, rows: 0..<m, cols: 0..<p, threads: Swift.max(1, Swift.min(concurrency, 8)))
          }
        }
        count = m * p
      }
    }
    return Matrix(rows: m, cols: p, scalars: out)
  }

  // MARK: Plain loops (small products)

  static func plain(
    _ A: UnsafePointer<Double>, _ B: UnsafePointer<Double>, _ C: UnsafeMutablePointer<Double>,
    _ m: Int, _ n: Int, _ p: Int, _ transposeA: Bool, _ transposeB: Bool
  ) {
    switch (transposeA, transposeB) {
    case (false, false):
      for i in 0..<m {
        let c = C + i * p
        for k in 0..<n {
          let aik = A[i * n + k]
          if aik == 0 { continue }
          let bRow = B + k * p
          for j in 0..<p { c[j] += aik * bRow[j] }
        }
      }
    case (true, false):
      // A is n × m; (Aᵀ B)[i, j] = Σ_k A[k, i] B[k, j]
      for k in 0..<n {
        let bRow = B + k * p
        for i in 0..<m {
          let aki = A[k * m + i]
          if aki == 0 { continue }
          let c = C + i * p
          for j in 0..<p { c[j] += aki * bRow[j] }
        }
      }
    case (false, true):
      // B is p × n; (A Bᵀ)[i, j] = Σ_k A[i, k] B[j, k]
      for i in 0..<m {
        let aRow = A + i * n
        for j in 0..<p { C[i * p + j] = dot(aRow, B + j * n, n) }
      }
    case (true, true):
      // (Aᵀ Bᵀ)[i, j] = Σ_k A[k, i] B[j, k]
      for i in 0..<m {
        for j in 0..<p {
          var s = 0.0
          for k in 0..<n { s += A[k * m + i] * B[j * n + k] }
          C[i * p + j] = s
        }
      }
    }
  }

  /// Σₖ x[k] y[k] with four independent accumulators.
  @inline(__always)
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var k = 0
    while k + 4 <= n {
      s0 += x[k] * y[k]
      s1 += x[k + 1] * y[k + 1]
      s2 += x[k + 2] * y[k + 2]
      s3 += x[k + 3] * y[k + 3]
      k += 4
    }
    while k < n { s0 += x[k] * y[k]; k += 1 }
    return (s0 + s1) + (s2 + s3)
  }

  // MARK: Blocked kernel (large products)

  #if JACOBIANS_AVX2_FMA
  /// Rows of the register tile (AVX2 build: 6 × 8, twelve 4-vectors of accumulators, fused
  /// multiply-add).
  @inline(__always) static var MR: Int { 6 }
  /// Columns of the register tile.
  @inline(__always) static var NR: Int { 8 }
  /// Copies of each value of A in its packed panel (broadcast by the kernel from memory).
  @inline(__always) static var aCopies: Int { 1 }
  #else
  /// Rows of the register tile (portable build, SSE2 on x86-64: 4 × 4, eight 2-vectors of
  /// accumulators).
  @inline(__always) static var MR: Int { 4 }
  /// Columns of the register tile.
  @inline(__always) static var NR: Int { 4 }
  /// Copies of each value of A in its packed panel (a broadcast pair for the 2-vector kernel).
  @inline(__always) static var aCopies: Int { 2 }
  #endif
  /// Inner indices per block (a packed B panel of KC × NR stays in L1).
  static let KC = 256
  /// Rows per block (the packed A block of MC × KC stays in L2).
  @inline(__always) static var MC: Int { 16 * MR }
  /// Columns per block.
  static let NC = 256

  /// The operands of one product, with their leading dimensions (row lengths as stored).
  struct Operands: @unchecked Sendable {
    var a: UnsafePointer<Double>
    var lda: Int
    var transposeA: Bool
    var b: UnsafePointer<Double>
    var ldb: Int
    var transposeB: Bool
    var c: UnsafeMutablePointer<Double>
    var ldc: Int
    /// The inner dimension.
    var n: Int

    /// op(A)[i, k]
    @inline(__always) func aAt(_ i: Int, _ k: Int) -> Double { transposeA ? a[k * lda + i] : a[i * lda + k] }
    /// op(B)[k, j]
    @inline(__always) func bAt(_ k: Int, _ j: Int) -> Double { transposeB ? b[j * ldb + k] : b[k * ldb + j] }
  }

  /// C[rows, cols] = op(A)[rows, :] op(B)[:, cols], split across threads when large. C need not
  /// be initialized: the first KC block stores, later ones add.
  static func blocked(_ o: Operands, rows: Range<Int>, cols: Range<Int>, threads: Int) {
    let work = rows.count * cols.count * o.n
    if threads > 1 && work >= parallelThreshold {
      // Bands along the longer side of C, aligned to the register tile.
      let alongRows = rows.count >= cols.count
      let length = alongRows ? rows.count : cols.count
      let tile = alongRows ? MR : NR
      let bandCount = Swift.min(threads, Swift.max(1, length / tile))
      if bandCount > 1 {
        let per = ((length + bandCount - 1) / bandCount + tile - 1) / tile * tile
        runConcurrently(bandCount) { band in
          let lo = band * per, hi = Swift.min(length, lo + per)
          if lo >= hi { return }
          if alongRows {
            serialBlocked(o, rows: (rows.lowerBound + lo)..<(rows.lowerBound + hi), cols: cols)
          } else {
            serialBlocked(o, rows: rows, cols: (cols.lowerBound + lo)..<(cols.lowerBound + hi))
          }
        }
        return
      }
    }
    serialBlocked(o, rows: rows, cols: cols)
  }

  /// Runs `body(0)` … `body(count − 1)` at the same time: band 0 on the calling thread, the
  /// others on threads of their own, joined before returning. Dedicated threads rather than a
  /// shared pool, so that a busy machine cannot quietly serialize the bands.
  static func runConcurrently(_ count: Int, _ body: (Int) -> Void) {
    #if canImport(Glibc) || canImport(Musl)
    withoutActuallyEscaping(body) { body in
      var threads: [pthread_t] = []
      for band in 1..<count {
        let box = Unmanaged.passRetained(BandWork { body(band) }).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
          Unmanaged<BandWork>.fromOpaque(raw!).takeRetainedValue().run()
          return nil
        }, box)
        if started == 0 {
          threads.append(thread)
        } else {
          Unmanaged<BandWork>.fromOpaque(box).takeRetainedValue().run()
        }
      }
      body(0)
      for thread in threads { pthread_join(thread, nil) }
    }
    #else
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
    #endif
  }

  /// One band's work, boxed for a thread's start routine.
  final class BandWork {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }

  @inline(never)
  static func serialBlocked(_ o: Operands, rows: Range<Int>, cols: Range<Int>) {
    let bCount = KC * (NC + NR), aCount = KC * (MC + MR) * aCopies, tileCount = MR * NR
    let raw = UnsafeMutableRawPointer.allocate(byteCount: (bCount + aCount + tileCount) * 8, alignment: 64)
    defer { raw.deallocate() }
    let packedB = raw.bindMemory(to: Double.self, capacity: bCount + aCount + tileCount)
    let packedA = packedB + bCount, tile = packedA + aCount
    var jc = cols.lowerBound
    while jc < cols.upperBound {
      let nc = Swift.min(NC, cols.upperBound - jc)
      var pc = 0
      while pc < o.n {
        let kc = Swift.min(KC, o.n - pc)
        packB(o, k0: pc, kc: kc, j0: jc, nc: nc, into: packedB)
        var ic = rows.lowerBound
        while ic < rows.upperBound {
          let mc = Swift.min(MC, rows.upperBound - ic)
          packA(o, i0: ic, mc: mc, k0: pc, kc: kc, into: packedA)
          macroKernel(o, packedA: packedA, packedB: packedB, tile: tile, i0: ic, mc: mc, j0: jc, nc: nc, kc: kc, accumulate: pc > 0)
          ic += mc
        }
        pc += kc
      }
      jc += nc
    }
  }

  /// op(B)[k0..<k0+kc, j0..<j0+nc] as panels of NR columns, each k-major, zero-padded.
  static func packB(_ o: Operands, k0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Double>) {
    let full = nc / NR
    if !o.transposeB {
      // Row k of op(B) is row k of B: read each row once, front to back, dealing NR-wide
      // pieces to the panels (a panel-by-panel walk would stride through B a row at a time).
      for k in 0..<kc {
        let src = o.b + ((k0 &+ k) &* o.ldb &+ j0)
        for panel in 0..<full { copy(NR, from: src + panel &* NR, to: dst + (panel &* kc &+ k) &* NR) }
      }
    } else {
      // Column j of op(B) is row j of B: contiguous in k.
      for panel in 0..<full {
        let r0 = o.b + ((j0 &+ panel &* NR) &* o.ldb &+ k0)
        let base = dst + panel &* kc &* NR
        for k in 0..<kc {
          let d = base + k &* NR
          for c in 0..<NR { d[c] = r0[c &* o.ldb &+ k] }
        }
      }
    }
    let w = nc - full * NR
    if w > 0 {
      let base = dst + full * kc * NR
      for k in 0..<kc {
        for c in 0..<NR { base[k * NR + c] = c < w ? o.bAt(k0 + k, j0 + full * NR + c) : 0 }
      }
    }
  }

  /// op(A)[i0..<i0+mc, k0..<k0+kc] as panels of MR rows, each k-major, every value stored
  /// `aCopies` times (the SSE2 kernel multiplies by an aligned broadcast pair), zero-padded.
  static func packA(_ o: Operands, i0: Int, mc: Int, k0: Int, kc: Int, into dst: UnsafeMutablePointer<Double>) {
    let full = mc / MR, panelSize = kc * MR * aCopies
    if o.transposeA {
      // Row i of op(A) is column i of A: read each row of A once, dealing MR-long pieces.
      for k in 0..<kc {
        let src = o.a + ((k0 &+ k) &* o.lda &+ i0)
        for panel in 0..<full {
          let d = dst + (panel &* panelSize &+ k &* MR &* aCopies)
          if aCopies == 1 {
            copy(MR, from: src + panel &* MR, to: d)
          } else {
            for r in 0..<MR {
              for copy in 0..<aCopies { d[r &* aCopies &+ copy] = src[panel &* MR &+ r] }
            }
          }
        }
      }
    } else {
      // Row i of op(A) is row i of A: contiguous in k.
      for panel in 0..<full {
        let r0 = o.a + ((i0 &+ panel &* MR) &* o.lda &+ k0)
        let base = dst + panel &* panelSize
        for k in 0..<kc {
          let d = base + k &* MR &* aCopies
          for r in 0..<MR {
            let v = r0[r &* o.lda &+ k]
            for copy in 0..<aCopies { d[r &* aCopies &+ copy] = v }
          }
        }
      }
    }
    let h = mc - full * MR
    if h > 0 {
      let base = dst + full * panelSize
      for k in 0..<kc {
        for r in 0..<MR {
          let v = r < h ? o.aAt(i0 + full * MR + r, k0 + k) : 0
          for copy in 0..<aCopies { base[(k * MR + r) * aCopies + copy] = v }
        }
      }
    }
  }

  /// dst[0..<count] = src[0..<count] for a count of 4, 6 or 8 (a tile side), in vectors.
  @inline(__always)
  static func copy(_ count: Int, from src: UnsafePointer<Double>, to dst: UnsafeMutablePointer<Double>) {
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    d.storeBytes(of: s.loadUnaligned(as: SIMD4<Double>.self), as: SIMD4<Double>.self)
    if count == 6 {
      d.storeBytes(of: s.loadUnaligned(fromByteOffset: 32, as: SIMD2<Double>.self), toByteOffset: 32, as: SIMD2<Double>.self)
    } else if count == 8 {
      d.storeBytes(of: s.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self), toByteOffset: 32, as: SIMD4<Double>.self)
    }
  }

  /// Every MR × NR tile of C[i0..<i0+mc, j0..<j0+nc] from the packed panels; edge tiles go
  /// through `tile` (MR × NR scratch) and only their h × w corner reaches C.
  static func macroKernel(
    _ o: Operands, packedA: UnsafeMutablePointer<Double>, packedB: UnsafeMutablePointer<Double>,
    tile: UnsafeMutablePointer<Double>, i0: Int, mc: Int, j0: Int, nc: Int, kc: Int, accumulate: Bool
  ) {
    var jp = 0
    while jp < nc {
      let w = Swift.min(NR, nc - jp)
      let bPanel = UnsafePointer(packedB + (jp / NR) * kc * NR)
      var ip = 0
      while ip < mc {
        let h = Swift.min(MR, mc - ip)
        let aPanel = UnsafePointer(packedA + (ip / MR) * kc * MR * aCopies)
        let c = o.c + (i0 + ip) * o.ldc + j0 + jp
        if h == MR && w == NR {
          microKernel(aPanel, bPanel, kc, c, o.ldc, accumulate: accumulate)
        } else {
          microKernel(aPanel, bPanel, kc, tile, NR, accumulate: false)
          for r in 0..<h {
            for j in 0..<w {
              if accumulate { c[r * o.ldc + j] += tile[r * NR + j] } else { c[r * o.ldc + j] = tile[r * NR + j] }
            }
          }
        }
        ip += MR
      }
      jp += NR
    }
  }

  #if JACOBIANS_AVX2_FMA
  /// C[6 × 8 tile] (+)= Σ_k a[k] ⊗ b[k], twelve 4-vector accumulators, fused multiply-add.
  /// `a` holds 6 values per k (broadcast from memory), `b` rows of 8. Stores when not
  /// `accumulate`.
  @inline(__always)
  static func microKernel(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ kc: Int,
    _ c: UnsafeMutablePointer<Double>, _ ldc: Int, accumulate: Bool
  ) {
    typealias V4 = SIMD4<Double>
    var c00 = V4(), c01 = V4(), c10 = V4(), c11 = V4(), c20 = V4(), c21 = V4()
    var c30 = V4(), c31 = V4(), c40 = V4(), c41 = V4(), c50 = V4(), c51 = V4()
    let rawB = UnsafeRawPointer(b)
    for k in 0..<kc {
      let b0 = rawB.loadUnaligned(fromByteOffset: k * 64, as: V4.self)
      let b1 = rawB.loadUnaligned(fromByteOffset: k * 64 + 32, as: V4.self)
      let ak = a + k * 6
      let a0 = V4(repeating: ak[0]), a1 = V4(repeating: ak[1]), a2 = V4(repeating: ak[2])
      c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
      c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
      c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
      let a3 = V4(repeating: ak[3]), a4 = V4(repeating: ak[4]), a5 = V4(repeating: ak[5])
      c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
      c40 = c40.addingProduct(a4, b0); c41 = c41.addingProduct(a4, b1)
      c50 = c50.addingProduct(a5, b0); c51 = c51.addingProduct(a5, b1)
    }
    write(c00, c01, c, accumulate)
    write(c10, c11, c + ldc, accumulate)
    write(c20, c21, c + 2 * ldc, accumulate)
    write(c30, c31, c + 3 * ldc, accumulate)
    write(c40, c41, c + 4 * ldc, accumulate)
    write(c50, c51, c + 5 * ldc, accumulate)
  }

  /// One row of a tile: c[0..<8] (+)= (lo, hi).
  @inline(__always)
  static func write(_ lo: SIMD4<Double>, _ hi: SIMD4<Double>, _ c: UnsafeMutablePointer<Double>, _ accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(c)
    if accumulate {
      raw.storeBytes(of: raw.loadUnaligned(as: SIMD4<Double>.self) + lo, as: SIMD4<Double>.self)
      raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self) + hi, toByteOffset: 32, as: SIMD4<Double>.self)
    } else {
      raw.storeBytes(of: lo, as: SIMD4<Double>.self)
      raw.storeBytes(of: hi, toByteOffset: 32, as: SIMD4<Double>.self)
    }
  }
  #else
  /// C[4 × 4 tile] (+)= Σ_k a[k] ⊗ b[k], with a 4 × 4 block of accumulators (eight 2-vectors).
  /// `a` holds broadcast pairs (16-byte aligned), `b` plain rows of 4 (32-byte aligned). Stores
  /// when not `accumulate`.
  @inline(__always)
  static func microKernel(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ kc: Int,
    _ c: UnsafeMutablePointer<Double>, _ ldc: Int, accumulate: Bool
  ) {
    typealias V2 = SIMD2<Double>
    var c00 = V2(), c01 = V2(), c10 = V2(), c11 = V2(), c20 = V2(), c21 = V2(), c30 = V2(), c31 = V2()
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    for k in 0..<kc {
      let b0 = rawB.load(fromByteOffset: k * 32, as: V2.self)
      let b1 = rawB.load(fromByteOffset: k * 32 + 16, as: V2.self)
      let a0 = rawA.load(fromByteOffset: k * 64, as: V2.self)
      let a1 = rawA.load(fromByteOffset: k * 64 + 16, as: V2.self)
      let a2 = rawA.load(fromByteOffset: k * 64 + 32, as: V2.self)
      let a3 = rawA.load(fromByteOffset: k * 64 + 48, as: V2.self)
      c00 += a0 * b0; c01 += a0 * b1
      c10 += a1 * b0; c11 += a1 * b1
      c20 += a2 * b0; c21 += a2 * b1
      c30 += a3 * b0; c31 += a3 * b1
    }
    write(c00, c01, c, accumulate)
    write(c10, c11, c + ldc, accumulate)
    write(c20, c21, c + 2 * ldc, accumulate)
    write(c30, c31, c + 3 * ldc, accumulate)
  }

  /// One row of a tile: c[0..<4] (+)= (lo, hi).
  @inline(__always)
  static func write(_ lo: SIMD2<Double>, _ hi: SIMD2<Double>, _ c: UnsafeMutablePointer<Double>, _ accumulate: Bool) {
    if accumulate {
      c[0] += lo[0]; c[1] += lo[1]; c[2] += hi[0]; c[3] += hi[1]
    } else {
      c[0] = lo[0]; c[1] = lo[1]; c[2] = hi[0]; c[3] = hi[1]
    }
  }
  #endif

  static func defaultConcurrency() -> Int {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
    let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    let n = 1
    #endif
    return Swift.max(1, Swift.min(n, 8))
  }
}
