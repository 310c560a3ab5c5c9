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
///   pack op(B)[k-block, :] into panels of NR = 4 columns   (k-major: one panel fits in L1)
///   for each block of MC rows:
///     pack op(A)[rows, k-block] into panels of MR = 4 rows (k-major)
///     C[4 × 4 tile] += Σ_k a[k] ⊗ b[k]                     (16 accumulators in registers)
/// ```
/// and, above `parallelThreshold` multiply-adds, split C into `maximumConcurrency` bands of rows
/// or columns computed at the same time, on threads of their own. Every entry of C is a sum over k in increasing order
/// within each KC block, so results do not depend on the number of threads.
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
    var out = [Double](repeating: 0, count: m * p)
    if m == 0 || p == 0 || n == 0 { return Matrix(rows: m, cols: p, scalars: out) }
    a.scalars.withUnsafeBufferPointer { A in
      b.scalars.withUnsafeBufferPointer { B in
        out.withUnsafeMutableBufferPointer { C in
          if m * n * p < blockedThreshold {
            plain(A.baseAddress!, B.baseAddress!, C.baseAddress!, m, n, p, transposeA, transposeB)
          } else {
            let operands = Operands(
              a: A.baseAddress!, lda: a.cols, transposeA: transposeA,
              b: B.baseAddress!, ldb: b.cols, transposeB: transposeB,
              c: C.baseAddress!, ldc: p, n: n)
            blocked(operands, rows: 0..<m, cols: 0..<p, threads: Swift.max(1, Swift.min(concurrency, 8)))
          }
        }
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

  static let MR = 4, NR = 4
  static let KC = 256, MC = 64, NC = 256

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

  /// C[rows, cols] = op(A)[rows, :] op(B)[:, cols], split across threads when large.
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

  static func serialBlocked(_ o: Operands, rows: Range<Int>, cols: Range<Int>) {
    let rawB = UnsafeMutableRawPointer.allocate(byteCount: KC * (NC + NR) * 8, alignment: 64)
    let rawA = UnsafeMutableRawPointer.allocate(byteCount: KC * (MC + MR) * 2 * 8, alignment: 64)
    defer {
      rawB.deallocate()
      rawA.deallocate()
    }
    let packedB = rawB.bindMemory(to: Double.self, capacity: KC * (NC + NR))
    let packedA = rawA.bindMemory(to: Double.self, capacity: KC * (MC + MR) * 2)
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
          macroKernel(o, packedA: packedA, packedB: packedB, i0: ic, mc: mc, j0: jc, nc: nc, kc: kc)
          ic += mc
        }
        pc += kc
      }
      jc += nc
    }
  }

  /// op(B)[k0..<k0+kc, j0..<j0+nc] as panels of NR columns, each k-major, zero-padded.
  static func packB(_ o: Operands, k0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Double>) {
    var panel = 0
    var j = 0
    while j < nc {
      let w = Swift.min(NR, nc - j)
      let base = dst + panel * kc * NR
      if !o.transposeB && w == NR {
        for k in 0..<kc {
          let src = o.b + (k0 + k) * o.ldb + j0 + j
          let d = base + k * NR
          d[0] = src[0]; d[1] = src[1]; d[2] = src[2]; d[3] = src[3]
        }
      } else if o.transposeB && w == NR {
        // Column j of op(B) is row j of B: contiguous in k.
        let r0 = o.b + (j0 + j) * o.ldb + k0
        let r1 = r0 + o.ldb, r2 = r1 + o.ldb, r3 = r2 + o.ldb
        for k in 0..<kc {
          let d = base + k * NR
          d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]
        }
      } else {
        for k in 0..<kc {
          for c in 0..<NR { base[k * NR + c] = c < w ? o.bAt(k0 + k, j0 + j + c) : 0 }
        }
      }
      panel += 1
      j += NR
    }
  }

  /// op(A)[i0..<i0+mc, k0..<k0+kc] as panels of MR rows, each k-major, every value stored
  /// twice (a broadcast pair, so the kernel multiplies by an aligned 2-vector), zero-padded.
  static func packA(_ o: Operands, i0: Int, mc: Int, k0: Int, kc: Int, into dst: UnsafeMutablePointer<Double>) {
    var panel = 0
    var i = 0
    while i < mc {
      let h = Swift.min(MR, mc - i)
      let base = dst + panel * kc * MR * 2
      if o.transposeA && h == MR {
        for k in 0..<kc {
          let src = o.a + (k0 + k) * o.lda + i0 + i
          let d = base + k * MR * 2
          d[0] = src[0]; d[1] = src[0]; d[2] = src[1]; d[3] = src[1]
          d[4] = src[2]; d[5] = src[2]; d[6] = src[3]; d[7] = src[3]
        }
      } else if !o.transposeA && h == MR {
        let r0 = o.a + (i0 + i) * o.lda + k0
        let r1 = r0 + o.lda, r2 = r1 + o.lda, r3 = r2 + o.lda
        for k in 0..<kc {
          let d = base + k * MR * 2
          d[0] = r0[k]; d[1] = r0[k]; d[2] = r1[k]; d[3] = r1[k]
          d[4] = r2[k]; d[5] = r2[k]; d[6] = r3[k]; d[7] = r3[k]
        }
      } else {
        for k in 0..<kc {
          for r in 0..<MR {
            let v = r < h ? o.aAt(i0 + i + r, k0 + k) : 0
            base[(k * MR + r) * 2] = v
            base[(k * MR + r) * 2 + 1] = v
          }
        }
      }
      panel += 1
      i += MR
    }
  }

  static func macroKernel(
    _ o: Operands, packedA: UnsafeMutablePointer<Double>, packedB: UnsafeMutablePointer<Double>,
    i0: Int, mc: Int, j0: Int, nc: Int, kc: Int
  ) {
    var jp = 0
    while jp < nc {
      let w = Swift.min(NR, nc - jp)
      let bPanel = UnsafePointer(packedB + (jp / NR) * kc * NR)
      var ip = 0
      while ip < mc {
        let h = Swift.min(MR, mc - ip)
        let aPanel = UnsafePointer(packedA + (ip / MR) * kc * MR * 2)
        microKernel(aPanel, bPanel, kc, o.c + (i0 + ip) * o.ldc + j0 + jp, o.ldc, h, w)
        ip += MR
      }
      jp += NR
    }
  }

  /// C[h × w tile] += Σ_k a[k] ⊗ b[k], with a 4 × 4 block of accumulators (eight 2-vectors).
  /// `a` holds broadcast pairs (16-byte aligned), `b` plain rows of 4 (32-byte aligned).
  @inline(__always)
  static func microKernel(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ kc: Int,
    _ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ h: Int, _ w: Int
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
    if h == 4 && w == 4 {
      add(c00, c01, c); add(c10, c11, c + ldc); add(c20, c21, c + 2 * ldc); add(c30, c31, c + 3 * ldc)
    } else {
      let rows = [(c00, c01), (c10, c11), (c20, c21), (c30, c31)]
      for r in 0..<h {
        let (lo, hi) = rows[r]
        let row = c + r * ldc
        for j in 0..<w { row[j] += j < 2 ? lo[j] : hi[j - 2] }
      }
    }
  }

  @inline(__always)
  static func add(_ lo: SIMD2<Double>, _ hi: SIMD2<Double>, _ c: UnsafeMutablePointer<Double>) {
    c[0] += lo[0]; c[1] += lo[1]; c[2] += hi[0]; c[3] += hi[1]
  }

  static func defaultConcurrency() -> Int {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
    let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    let n = 1
    #endif
    return Swift.max(1, Swift.min(n, 8))
  }
}
