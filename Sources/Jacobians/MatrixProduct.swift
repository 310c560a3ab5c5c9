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
/// multiply(m, n, k, a, …, into: c, ldc, accumulate)    C (+)= op(A) op(B) on raw storage
/// ```
/// Small products (fewer than `blockedThreshold` multiply-adds) run plain loops over contiguous
/// rows (`i-k-j` order, the inner loop a vectorizable `axpy`; `A Bᵀ` as four-way unrolled dot
/// products). Larger ones run a cache-blocked kernel in the GotoBLAS/BLIS layout:
/// ```
/// for each block of NC columns of C′:
///   for each block of KC inner indices:
///     pack B′[k-block, j-block] into panels of NR columns  (k-major; one panel stays in L1)
///     for each block of MC rows:
///       for each panel of B′, for each MR rows of A′ (read in place, or packed):
///         C′[MR × NR tile] (+)= Σ_k a[k] ⊗ b[k]             (MR·NR accumulators in registers)
/// ```
/// where C′ = A′ B′ is either C = op(A) op(B) itself or its transpose Cᵀ = op(B)ᵀ op(A)ᵀ,
/// whichever packs less: the operand that is packed (B′) is the one with fewer entries to move
/// (a transposed operand costs more to pack), the other (A′) is read where it lies, so a large
/// operand such as the output weights `U` of `H Uᵀ` is never copied. Tiles of Cᵀ are
/// transposed in registers on their way to C. The register tile is 6 × 8 or 4 × 12 (whichever
/// pads less: 35 columns are three tiles of 12) with 4-vectors and fused multiply-add when the
/// package is built for AVX2 (`JACOBIANS_AVX2_FMA`, set by Package.swift when the build
/// machine has it), 4 × 4 with 2-vectors otherwise. Above `parallelThreshold` multiply-adds,
/// C′ is split into `maximumConcurrency` bands of rows or columns computed at the same time, on
/// threads of their own. Every entry of C is a sum over k in increasing order within each KC
/// block, computed by the same sequence of operations wherever its tile lies, and the plan
/// (orientation, tile, blocks) depends only on the shapes, so results do not depend on the
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
    // Every entry is written (stored, not added), so C starts uninitialized: no pass over
    // memory to zero it first.
    let out = [Double](unsafeUninitializedCapacity: m * p) { C, count in
      a.scalars.withUnsafeBufferPointer { A in
        b.scalars.withUnsafeBufferPointer { B in
          multiply(m, p, n, A.baseAddress!, lda: a.cols, transposeA: transposeA,
                   B.baseAddress!, ldb: b.cols, transposeB: transposeB,
                   into: C.baseAddress!, ldc: p, accumulate: false, concurrency: concurrency)
        }
      }
      count = m * p
    }
    return Matrix(rows: m, cols: p, scalars: out)
  }

  /// C (+)= op(A) op(B) on row-major storage, for callers that multiply blocks of larger arrays
  /// without copying them out:
  /// ```
  /// op(A)  m × k   A stored m × k (row length lda ≥ k), or k × m when transposeA (lda ≥ m)
  /// op(B)  k × n   B stored k × n (ldb ≥ n), or n × k when transposeB (ldb ≥ k)
  /// C      m × n   row length ldc ≥ n; overwritten, or added to when `accumulate`
  /// ```
  /// The memory of C must not overlap A or B. Same arithmetic as `multiply(_:_:)`.
  public static func multiply(
    _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool,
    _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool,
    into c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool = false,
    concurrency: Int = maximumConcurrency
  ) {
    if m <= 0 || n <= 0 { return }
    let opA = transposeA ? View(base: a, rowStride: 1, colStride: lda) : View(base: a, rowStride: lda, colStride: 1)
    let opB = transposeB ? View(base: b, rowStride: 1, colStride: ldb) : View(base: b, rowStride: ldb, colStride: 1)
    let C = MutableView(base: c, rowStride: ldc, colStride: 1)
    if k <= 0 {
      if !accumulate { for i in 0..<m { (c + i * ldc).initialize(repeating: 0, count: n) } }
      return
    }
    if m * n * k < blockedThreshold {
      plain(opA, opB, C, m, n, k, accumulate: accumulate)
      return
    }
    let plan = Plan(m: m, n: n, k: k, a: opA, b: opB)
    let threads = Swift.max(1, Swift.min(concurrency, 8))
    if plan.swapped {
      // Cᵀ = op(B)ᵀ op(A)ᵀ, stored through the transposed view of C.
      blocked(plan, a: opB.transposed, b: opA.transposed, c: C.transposed, m: n, n: m, k: k, accumulate: accumulate, threads: threads)
    } else {
      blocked(plan, a: opA, b: opB, c: C, m: m, n: n, k: k, accumulate: accumulate, threads: threads)
    }
  }

  // MARK: Plain loops (small products)

  /// C (+)= A B for small shapes (A m × k, B k × n as views, C with unit column stride).
  static func plain(_ A: View, _ B: View, _ C: MutableView, _ m: Int, _ n: Int, _ k: Int, accumulate: Bool) {
    if !accumulate { for i in 0..<m { (C.base + i * C.rowStride).initialize(repeating: 0, count: n) } }
    if B.colStride == 1 {
      // i-k-j: rows of B are contiguous, the inner loop an axpy.
      for i in 0..<m {
        let c = C.base + i * C.rowStride
        for kk in 0..<k {
          let aik = A[i, kk]
          if aik == 0 { continue }
          let bRow = B.base + kk * B.rowStride
          for j in 0..<n { c[j] += aik * bRow[j] }
        }
      }
    } else if A.colStride == 1 {
      // Both operands contiguous along k: dot products.
      for i in 0..<m {
        let aRow = A.base + i * A.rowStride
        for j in 0..<n { C.base[i * C.rowStride + j] += dot(aRow, B.base + j * B.colStride, k) }
      }
    } else {
      for i in 0..<m {
        for j in 0..<n {
          var s = 0.0
          for kk in 0..<k { s += A[i, kk] * B[kk, j] }
          C.base[i * C.rowStride + j] += s
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

  /// Inner indices per block (a packed B′ panel of KC × NR stays in L1).
  static let KC = 256
  /// Rows of A′ per block (MC × KC stays in L2); a multiple of every tile's rows.
  static let MC = 120
  /// Columns of B′ per block (KC × NC packed, in L3); a multiple of every tile's columns.
  static let NC = 1536

  /// How one product runs: its orientation, register tile and the reading of A′.
  struct Plan: Sendable {
    /// True when Cᵀ = op(B)ᵀ op(A)ᵀ is computed (and stored transposed) instead of C.
    var swapped: Bool
    var tile: Tile
    /// A′ is read where it lies (true) or packed into panels of MR rows first.
    var directA: Bool
    /// Row panels of A′ outside, panels of B′ inside (for few panels of B′), or the reverse.
    var rowsOuter: Bool
    /// The next block of B′ is packed while the current one is used.
    var pipelined: Bool

    /// The plan for C = op(A) op(B), op(A) m × k, op(B) k × n. The orientation that moves
    /// fewer entries: packing B′ (three times as costly when its rows must be gathered from
    /// columns), packing A′ unless it is read in place, and writing C through transposed tiles;
    /// then the tile that pads C′ least. A′ is read in place when its rows are contiguous in k
    /// and B′ has few panels (packing A′ would cost as much as a good share of the arithmetic).
    init(m: Int, n: Int, k: Int, a: View, b: View) {
      let bestTile = { (rows: Int, cols: Int) -> Tile in
        var best = Tile.all[0], bestWork = Int.max
        for t in Tile.all {
          let work = (rows + t.rows - 1) / t.rows * t.rows * ((cols + t.cols - 1) / t.cols * t.cols)
          if work < bestWork { best = t; bestWork = work }
        }
        return best
      }
      // (cost, direct A′) for A′ (rows × k) times B′ (k × cols).
      func cost(_ a: View, _ b: View, _ rows: Int, _ cols: Int, swapped: Bool) -> (Int, Bool) {
        let t = bestTile(rows, cols)
        let direct = a.colStride == 1 && cols <= 4 * t.cols
        let packB = k * cols * (b.colStride == 1 ? 1 : 3)
        let packA = direct ? 0 : k * rows * (a.rowStride == 1 ? 1 : 2) * ((cols + NC - 1) / NC)
        return (packB + packA + (swapped ? rows * cols : 0), direct)
      }
      let (plain, plainDirect) = cost(a, b, m, n, swapped: false)
      let (other, otherDirect) = cost(b.transposed, a.transposed, n, m, swapped: true)
      swapped = other < plain
      let (rows, cols) = swapped ? (n, m) : (m, n)
      tile = bestTile(rows, cols)
      directA = swapped ? otherDirect : plainDirect
      rowsOuter = cols <= 4 * tile.cols || k <= 64
      pipelined = true
    }
  }

  /// C′[rows, cols] (+)= A′ B′ (C′ m × n), split across threads when large.
  static func blocked(_ plan: Plan, a: View, b: View, c: MutableView, m: Int, n: Int, k: Int, accumulate: Bool, threads: Int) {
    let work = m * n * k
    if threads > 1 && work >= parallelThreshold {
      // Bands along the longer side of C′, aligned to the register tile.
      let alongRows = m >= n
      let length = alongRows ? m : n
      let tile = alongRows ? plan.tile.rows : plan.tile.cols
      let bandCount = Swift.min(threads, Swift.max(1, length / tile))
      if bandCount > 1 {
        let per = ((length + bandCount - 1) / bandCount + tile - 1) / tile * tile
        runConcurrently(bandCount) { band in
          let lo = band * per, hi = Swift.min(length, lo + per)
          if lo >= hi { return }
          if alongRows {
            serialBlocked(plan, a: a, b: b, c: c, rows: lo..<hi, cols: 0..<n, k: k, accumulate: accumulate)
          } else {
            serialBlocked(plan, a: a, b: b, c: c, rows: 0..<m, cols: lo..<hi, k: k, accumulate: accumulate)
          }
        }
        return
      }
    }
    serialBlocked(plan, a: a, b: b, c: c, rows: 0..<m, cols: 0..<n, k: k, accumulate: accumulate)
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

  /// C′[rows, cols] (+)= A′[rows, :] B′[:, cols] on the calling thread. Without `accumulate`, C′
  /// need not be initialized: the first KC block stores, later ones add.
  ///
  /// The blocks of B′ are packed one ahead: while the tiles of one (column block, k block) are
  /// computed, the next block of B′ is packed into a second buffer, a few rows after every
  /// tile, so that reading B′ from memory overlaps the arithmetic instead of preceding it.
  @inline(never)
  static func serialBlocked(_ plan: Plan, a: View, b: View, c: MutableView, rows: Range<Int>, cols: Range<Int>, k: Int, accumulate: Bool) {
    let tile = plan.tile, mr = tile.rows, nr = tile.cols
    let kcMax = Swift.min(KC, k)
    let ncMax = (Swift.min(NC, cols.count) + nr - 1) / nr * nr
    let mcMax = (Swift.min(MC, rows.count) + mr - 1) / mr * mr
    let bCount = kcMax * ncMax
    let aCount = plan.directA ? kcMax * mr : kcMax * mcMax
    let scratchCount = mr * nr
    let raw = UnsafeMutableRawPointer.allocate(byteCount: (2 * bCount + aCount + scratchCount) * 8, alignment: 64)
    defer { raw.deallocate() }
    var packedB = raw.bindMemory(to: Double.self, capacity: 2 * bCount + aCount + scratchCount)
    var nextB = packedB + bCount
    let packedA = nextB + bCount, scratch = packedA + aCount

    // The (column block, k block) pairs in order.
    var blocks: [(jc: Int, nc: Int, pc: Int, kc: Int)] = []
    var jc = cols.lowerBound
    while jc < cols.upperBound {
      let nc = Swift.min(NC, cols.upperBound - jc)
      var pc = 0
      while pc < k {
        blocks.append((jc, nc, pc, Swift.min(KC, k - pc)))
        pc += KC
      }
      jc += nc
    }
    var first = BlockPacker(b: b, k0: blocks[0].pc, kc: blocks[0].kc, j0: blocks[0].jc, nc: blocks[0].nc, nr: nr, dst: packedB)
    first.pack(upTo: first.units)
    let rowTiles = (rows.count + mr - 1) / mr

    for (index, block) in blocks.enumerated() {
      let (jc, nc, pc, kc) = block
      let add = accumulate || pc > 0
      let hasNext = index + 1 < blocks.count
      let n = blocks[hasNext ? index + 1 : index]
      var ahead = BlockPacker(b: b, k0: n.pc, kc: n.kc, j0: n.jc, nc: n.nc, nr: nr, dst: nextB)
      let tiles = rowTiles * ((nc + nr - 1) / nr)
      let quota = plan.pipelined && hasNext ? (ahead.units + tiles - 1) / tiles : 0
      var ic = rows.lowerBound
      while ic < rows.upperBound {
        let mc = Swift.min(MC, rows.upperBound - ic)
        let fullRows = mc / mr * mr
        if !plan.directA {
          packA(a, i0: ic, mc: mc, k0: pc, kc: kc, mr: mr, into: packedA)
        } else if fullRows < mc {
          // The last rows of a block read in place: a zero-padded panel of their own.
          packA(a, i0: ic + fullRows, mc: mc - fullRows, k0: pc, kc: kc, mr: mr, into: packedA)
        }
        // Row panels of A′ outside and panels of B′ inside (each row panel stays in L1 while it
        // meets the few panels of B′), or the reverse (each panel of B′ stays in L1 while it
        // meets every row panel of the block of A′).
        let rowSteps = (mc + mr - 1) / mr, colSteps = (nc + nr - 1) / nr
        let lastH = mc - (rowSteps - 1) * mr, lastW = nc - (colSteps - 1) * nr
        let cBlock = c.base + (ic * c.rowStride + jc * c.colStride)
        // A′ row panel `ir`: where it lies, or in the packed block (the last rows of a block
        // read in place have a packed panel of their own).
        @inline(__always) func aPanel(_ ir: Int) -> (UnsafePointer<Double>, Int, Int) {
          if plan.directA && ir + mr <= mc { return (a.base + ((ic + ir) * a.rowStride + pc * a.colStride), a.rowStride, a.colStride) }
          return (UnsafePointer(packedA + (plan.directA ? 0 : (ir / mr) * kc * mr)), 1, mr)
        }
        if plan.rowsOuter {
          // Each row panel of A′ stays in L1 while it meets the (few) panels of B′.
          for step in 0..<rowSteps {
            let ir = step * mr, h = step == rowSteps - 1 ? lastH : mr
            let (ap, ar, ak) = aPanel(ir)
            MatrixProduct.tiles(tile, count: colSteps, a: ap, aStep: 0, ar: ar, ak: ak,
                                b: UnsafePointer(packedB), bStep: kc * nr, kc: kc,
                                c: cBlock + ir * c.rowStride, cStep: nr * c.colStride, rs: c.rowStride, cs: c.colStride,
                                h: h, w: nr, lastH: h, lastW: lastW, accumulate: add, scratch: scratch)
            if quota > 0 { ahead.pack(upTo: ahead.done + quota * colSteps) }
          }
        } else {
          // Each panel of B′ stays in L1 while it meets every row panel of the block of A′.
          let fullSteps = plan.directA ? mc / mr : rowSteps
          for step in 0..<colSteps {
            let jr = step * nr, w = step == colSteps - 1 ? lastW : nr
            let bPanel = UnsafePointer(packedB + step * kc * nr)
            if fullSteps > 0 {
              let (ap, ar, ak) = aPanel(0)
              let aStep = plan.directA ? mr * a.rowStride : kc * mr
              let lastFull = fullSteps == rowSteps ? lastH : mr
              MatrixProduct.tiles(tile, count: fullSteps, a: ap, aStep: aStep, ar: ar, ak: ak,
                                  b: bPanel, bStep: 0, kc: kc,
                                  c: cBlock + jr * c.colStride, cStep: mr * c.rowStride, rs: c.rowStride, cs: c.colStride,
                                  h: mr, w: w, lastH: lastFull, lastW: w, accumulate: add, scratch: scratch)
            }
            if fullSteps < rowSteps {
              let ir = fullSteps * mr
              let (ap, ar, ak) = aPanel(ir)
              MatrixProduct.tiles(tile, count: 1, a: ap, aStep: 0, ar: ar, ak: ak, b: bPanel, bStep: 0, kc: kc,
                                  c: cBlock + (ir * c.rowStride + jr * c.colStride), cStep: 0, rs: c.rowStride, cs: c.colStride,
                                  h: lastH, w: w, lastH: lastH, lastW: w, accumulate: add, scratch: scratch)
            }
            if quota > 0 { ahead.pack(upTo: ahead.done + quota * rowSteps) }
          }
        }
        ic += mc
      }
      if hasNext {
        ahead.pack(upTo: ahead.units)
        swap(&packedB, &nextB)
      }
    }
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
