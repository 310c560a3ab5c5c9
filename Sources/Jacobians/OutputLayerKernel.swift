/// The softmax output layer of a language model over a batch of T positions, forward and
/// backward in one pass over its weights W:
/// ```
/// L  = X Wᵀ + 1 bᵀ                 (T × V) = (T × H)(V × H)ᵀ
/// P  = softmax of each row of L,   J_t = −log P[t, y_t]
/// G  = diag(w) (P − Y)             (T × V)   Y: one-hot rows of the targets y_t, w: step weights
/// dX = G W                         (T × H)
/// db = Gᵀ 1                        (V)
/// ```
/// W is read once, in blocks of `blockRows` rows that stay in L2 while they serve twice: for
/// their logits (the 4 × 12 or 4 × 4 register tile of `MatrixProduct`, W read in place, Xᵀ
/// packed once) and for their share of dX. dX needs the normalized P, known only after the
/// last block, so each row keeps the online form of the softmax: a running shift m_t (the
/// largest logit so far), s_t = Σ e^(L − m_t) and A_t = Σ e^(L[t, v] − m_t) W[v, :], both
/// rescaled by e^(m_old − m_new) when m_t grows; the exponentials are stored in place and
/// rescaled once at the end:
/// ```
/// G[t, v] = w_t e^(m_t(block of v) − m_t) e^(L[t, v] − m_t(block of v)) / s_t − w_t [v = y_t]
/// dX[t]   = (w_t / s_t) A_t − w_t W[y_t, :]
/// J_t     = log s_t + m_t − L[t, y_t]
/// ```
/// For large V the rows of W are cut into two halves (whatever the number of threads), swept
/// at the same time when `concurrency` allows and merged in order, so the result does not
/// depend on the number of threads. Arithmetic and results are deterministic; they differ from
/// the unfused route (L, then P, then G W) in the last bits only.
public enum OutputLayerKernel {
  /// Rows of W per block (a multiple of every tile's rows).
  static let blockRows = 120

  /// Computes G (into `g`, T × V, row length V), dX (into `dx`, T × H, row length H) and db (into
  /// `db`, added to, when given) and returns J_t for each row.
  ///
  /// `x`: T rows of length H with row length `ldx`; `w`: V × H row-major; `bias`: V values or
  /// nil; `targets`: T classes in 0..<V; `stepWeights`: T weights w_t (0 drops the row).
  public static func forwardBackward(
    x: UnsafePointer<Double>, ldx: Int, rows T: Int, width H: Int,
    w: UnsafePointer<Double>, classes V: Int, bias: UnsafePointer<Double>?,
    targets: [Int], stepWeights: [Double],
    g: UnsafeMutablePointer<Double>, dx: UnsafeMutablePointer<Double>, db: UnsafeMutablePointer<Double>?,
    concurrency: Int = MatrixProduct.maximumConcurrency
  ) -> [Double] {
    pass(x: x, ldx: ldx, rows: T, width: H, w: w, classes: V, bias: bias, targets: targets, stepWeights: stepWeights,
         g: g, dx: dx, db: db, concurrency: concurrency)
  }

  /// G (into `g`) and J_t of `forwardBackward`, bit for bit, without dX = G W: the pass over W
  /// computes the logits and the softmax only (no accumulator A_t), for a caller that needs ŷ
  /// and the losses but not what flows back into X. Arguments as `forwardBackward`'s.
  public static func forward(
    x: UnsafePointer<Double>, ldx: Int, rows T: Int, width H: Int,
    w: UnsafePointer<Double>, classes V: Int, bias: UnsafePointer<Double>?,
    targets: [Int], stepWeights: [Double],
    g: UnsafeMutablePointer<Double>,
    concurrency: Int = MatrixProduct.maximumConcurrency
  ) -> [Double] {
    pass(x: x, ldx: ldx, rows: T, width: H, w: w, classes: V, bias: bias, targets: targets, stepWeights: stepWeights,
         g: g, dx: nil, db: nil, concurrency: concurrency)
  }

  /// `forwardBackward`, or `forward` when `dx` is nil.
  static func pass(
    x: UnsafePointer<Double>, ldx: Int, rows T: Int, width H: Int,
    w: UnsafePointer<Double>, classes V: Int, bias: UnsafePointer<Double>?,
    targets: [Int], stepWeights: [Double],
    g: UnsafeMutablePointer<Double>, dx: UnsafeMutablePointer<Double>?, db: UnsafeMutablePointer<Double>?,
    concurrency: Int
  ) -> [Double] {
    precondition(targets.count == T && stepWeights.count == T && T > 0 && H > 0 && V > 0)
    let tile = MatrixProduct.Tile.all.last!, mr = tile.rows, nr = tile.cols
    let tPanels = (T + nr - 1) / nr
    // Xᵀ packed once: panel p holds columns t = p·nr … p·nr + nr − 1, k-major over H.
    let bx = UnsafeMutablePointer<Double>.allocate(capacity: tPanels * H * nr)
    defer { bx.deallocate() }
    for p in 0..<tPanels {
      for c in 0..<nr {
        let t = p * nr + c, base = bx + (p * H * nr + c)
        if t < T {
          let src = x + t * ldx
          for k in 0..<H { base[k * nr] = src[k] }
        } else {
          for k in 0..<H { base[k * nr] = 0 }
        }
      }
    }
    let vb = Swift.max(mr, blockRows / mr * mr)
    // Two halves, split at a block boundary, when each holds several blocks.
    let blocks = (V + vb - 1) / vb
    let ranges: [Range<Int>] = blocks >= 8 ? [0..<(blocks / 2 * vb), (blocks / 2 * vb)..<V] : [0..<V]
    var parts = [Sweep?](repeating: nil, count: ranges.count)
    let context = Context(x: UnsafePointer(bx), T: T, H: H, w: w, V: V, bias: bias, targets: targets, g: g,
                          tile: tile, tPanels: tPanels, vb: vb, accumulates: dx != nil)
    if ranges.count > 1 && concurrency > 1 {
      parts.withUnsafeMutableBufferPointer { out in
        let slots = SendablePointer(out.baseAddress!)
        MatrixProduct.runConcurrently(ranges.count) { part in
          slots.pointer[part] = sweep(context, ranges[part])
        }
      }
    } else {
      for (part, range) in ranges.enumerated() { parts[part] = sweep(context, range) }
    }

    // Merge the halves in order: one shift per row, sums and accumulators rescaled to it.
    var merged = parts[0]!
    for part in parts.dropFirst() {
      let other = part!
      for t in 0..<T {
        // A half that saw no finite logit holds zeros relative to any shift.
        let (a, b) = (merged.shift[t], other.shift[t])
        let (sa, sb) = (merged.started[t], other.started[t])
        let target = sa && sb ? Swift.max(a, b) : (sa ? a : b)
        let fa = sa ? VectorKernels.scalarExp(a - target) : 1
        let fb = sb ? VectorKernels.scalarExp(b - target) : 1
        merged.s[t] = merged.s[t] * fa + other.s[t] * fb
        let ra = merged.acc + t * H, rb = other.acc + t * H
        if context.accumulates { for j in 0..<H { ra[j] = ra[j] * fa + rb[j] * fb } }
        merged.shift[t] = target
        merged.started[t] = sa || sb
        if other.targetLogit[t] != nil { merged.targetLogit[t] = other.targetLogit[t] }
      }
      merged.blocks += other.blocks
    }
    defer { for part in parts { part!.acc.deallocate() } }

    // G, dX, db and the losses.
    var losses = [Double](repeating: 0, count: T)
    for t in 0..<T {
      let s = merged.s[t], m = merged.shift[t], wt = stepWeights[t], y = targets[t]
      losses[t] = (log(s) + m) - (merged.targetLogit[t] ?? .nan)
      let row = g + t * V
      if wt == 0 {
        row.update(repeating: 0, count: V)
        dx.map { ($0 + t * H).update(repeating: 0, count: H) }
        continue
      }
      for block in merged.blocks {
        let c = wt * VectorKernels.scalarExp(block.shifts[t] - m) / s
        VectorKernels.scaleInPlace(row + block.v0, block.count, by: c)
      }
      row[y] -= wt
      if let db { VectorKernels.add(UnsafePointer(row), into: db, V) }
      guard let dx else { continue }
      let scale = wt / s, a = merged.acc + t * H, wy = w + y * H, out = dx + t * H
      for j in 0..<H { out[j] = scale * a[j] - wt * wy[j] }
    }
    return losses
  }

  /// What every sweep reads.
  struct Context: @unchecked Sendable {
    let x: UnsafePointer<Double>
    let T: Int, H: Int
    let w: UnsafePointer<Double>
    let V: Int
    let bias: UnsafePointer<Double>?
    let targets: [Int]
    let g: UnsafeMutablePointer<Double>
    let tile: MatrixProduct.Tile
    let tPanels: Int
    let vb: Int
    /// False for `forward`: no A_t (dX is not asked).
    let accumulates: Bool
  }

  /// The online softmax state of one sweep over a range of rows of W.
  struct Sweep: @unchecked Sendable {
    var shift: [Double]
    var started: [Bool]
    var s: [Double]
    /// T × H, A_t relative to `shift[t]`.
    var acc: UnsafeMutablePointer<Double>
    var targetLogit: [Double?]
    /// The shift of each row when each block was exponentiated.
    var blocks: [(v0: Int, count: Int, shifts: [Double])]
  }

  struct SendablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
  }

  /// E[0..<T, 0..<n] (row length `ld`) as `panels` panels of Eᵀ, nr columns t each: panel p
  /// holds the rows t = p·nr … p·nr + nr − 1 of E, k-major (`dst[(p·n + k)·nr + t − p·nr]`),
  /// rows at or past T as zeros. Four rows and four k at a time, through a 4 × 4 transpose in
  /// registers (nr is a multiple of 4).
  static func packTransposed(
    _ e: UnsafePointer<Double>, ld: Int, rows T: Int, count n: Int, nr: Int, panels: Int,
    into dst: UnsafeMutablePointer<Double>
  ) {
    typealias V4 = SIMD4<Double>
    for p in 0..<panels {
      var col = 0
      while col < nr {
        let t0 = p * nr + col, live = Swift.max(0, Swift.min(4, T - t0))
        let out = dst + (p * n * nr + col)
        if live == 4 {
          let r0 = UnsafeRawPointer(e + t0 * ld), r1 = UnsafeRawPointer(e + (t0 + 1) * ld)
          let r2 = UnsafeRawPointer(e + (t0 + 2) * ld), r3 = UnsafeRawPointer(e + (t0 + 3) * ld)
          let o = UnsafeMutableRawPointer(out), step = nr * 8
          var k = 0
          while k + 4 <= n {
            let x0 = r0.loadUnaligned(fromByteOffset: k * 8, as: V4.self)
            let x1 = r1.loadUnaligned(fromByteOffset: k * 8, as: V4.self)
            let x2 = r2.loadUnaligned(fromByteOffset: k * 8, as: V4.self)
            let x3 = r3.loadUnaligned(fromByteOffset: k * 8, as: V4.self)
            let base = k * step
            o.storeBytes(of: V4(x0[0], x1[0], x2[0], x3[0]), toByteOffset: base, as: V4.self)
            o.storeBytes(of: V4(x0[1], x1[1], x2[1], x3[1]), toByteOffset: base + step, as: V4.self)
            o.storeBytes(of: V4(x0[2], x1[2], x2[2], x3[2]), toByteOffset: base + 2 * step, as: V4.self)
            o.storeBytes(of: V4(x0[3], x1[3], x2[3], x3[3]), toByteOffset: base + 3 * step, as: V4.self)
            k += 4
          }
          while k < n {
            for r in 0..<4 { out[k * nr + r] = e[(t0 + r) * ld + k] }
            k += 1
          }
        } else {
          for k in 0..<n { for r in 0..<4 { out[k * nr + r] = r < live ? e[(t0 + r) * ld + k] : 0 } }
        }
        col += 4
      }
    }
  }

  /// One sweep over the rows `range` of W, block by block.
  static func sweep(_ c: Context, _ range: Range<Int>) -> Sweep {
    let (T, H, V, vb) = (c.T, c.H, c.V, c.vb)
    let tile = c.tile, mr = tile.rows, nr = tile.cols
    var state = Sweep(shift: [Double](repeating: 0, count: T), started: [Bool](repeating: false, count: T),
                      s: [Double](repeating: 0, count: T), acc: .allocate(capacity: T * H),
                      targetLogit: [Double?](repeating: nil, count: T), blocks: [])
    state.acc.initialize(repeating: 0, count: T * H)
    let scratchCount = mr * nr + mr * Swift.max(H, vb) + c.tPanels * vb * nr
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
    defer { scratch.deallocate() }
    let tileScratch = scratch, edge = scratch + mr * nr, be = edge + mr * Swift.max(H, vb)
    var runMax = [Double](repeating: -.infinity, count: T)
    var v0 = range.lowerBound
    while v0 < range.upperBound {
      let n = Swift.min(vb, range.upperBound - v0)
      // 1. Logits of the block, G[t, v0 + i] = Σ_k X[t, k] W[v0 + i, k]: Lᵀ tiles stored transposed.
      var i = 0
      while i < n {
        let h = Swift.min(mr, n - i)
        var a = c.w + (v0 + i) * H, ar = H, ak = 1
        if h < mr {
          for k in 0..<H { for r in 0..<mr { edge[k * mr + r] = r < h ? c.w[(v0 + i + r) * H + k] : 0 } }
          a = UnsafePointer(edge); ar = 1; ak = mr
        }
        // The next strip of W (contiguous after this one) on its way while this one is used, a
        // share of it with each panel of Xᵀ, one cache line every few k inside the tile: W is
        // read from memory once, here, the rows of a strip are too short for the hardware's
        // prefetcher to catch up on its own, and a strip of prefetches at once stalls on the
        // misses already in flight.
        let next = v0 + i + mr
        let ahead = next < c.V ? Swift.min(mr, c.V - next) * H : 0
        let share = (ahead / c.tPanels + 7) / 8 * 8
        for p in 0..<c.tPanels {
          let lo = Swift.min(ahead, p * share), hi = Swift.min(ahead, lo + share)
          MatrixProduct.tiles(tile, count: 1, a: a, aStep: 0, ar: ar, ak: ak, b: c.x + p * H * nr, bStep: 0, kc: H,
                              c: c.g + (p * nr * V + v0 + i), cStep: 0, rs: 1, cs: V, h: h, w: nr, lastH: h,
                              lastW: Swift.min(nr, T - p * nr), accumulate: false, scratch: tileScratch,
                              prefetch: lo < hi ? c.w + (next * H + lo) : nil, prefetchLines: (hi - lo + 7) / 8)
        }
        i += mr
      }
      // 2. Bias, running maximum, exponentials and sums, row by row.
      var shifts = [Double](repeating: 0, count: T)
      for t in 0..<T {
        let row = c.g + (t * V + v0)
        let blockMax = VectorKernels.addAndMax(row, c.bias.map { $0 + v0 }, n)
        let y = c.targets[t]
        if y >= v0 && y < v0 + n { state.targetLogit[t] = row[y - v0] }
        if blockMax > runMax[t] { runMax[t] = blockMax }
        let newShift = runMax[t].isFinite ? runMax[t] : 0
        if !state.started[t] {
          state.shift[t] = newShift
          state.started[t] = runMax[t].isFinite
        } else if newShift != state.shift[t] {
          let f = VectorKernels.scalarExp(state.shift[t] - newShift)
          state.s[t] *= f
          if c.accumulates { VectorKernels.scaleInPlace(state.acc + t * H, H, by: f) }
          state.shift[t] = newShift
        }
        state.s[t] += VectorKernels.expShiftedInPlace(row, n, shift: state.shift[t])
        shifts[t] = state.shift[t]
      }
      state.blocks.append((v0, n, shifts))
      guard c.accumulates else { v0 += n; continue }
      // 3. A += E_block W_block, as Aᵀ += W_blockᵀ E_blockᵀ: W read in place (still in L2),
      //    E_blockᵀ packed in panels of nr rows t, Aᵀ tiles stored transposed into A.
      packTransposed(UnsafePointer(c.g + v0), ld: V, rows: T, count: n, nr: nr, panels: c.tPanels, into: be)
      var h0 = 0
      while h0 < H {
        let hh = Swift.min(mr, H - h0)
        var a = c.w + (v0 * H + h0), ar = 1, ak = H
        if hh < mr {
          for k in 0..<n { for r in 0..<mr { edge[k * mr + r] = r < hh ? c.w[(v0 + k) * H + h0 + r] : 0 } }
          a = UnsafePointer(edge); ar = 1; ak = mr
        }
        MatrixProduct.tiles(tile, count: c.tPanels, a: a, aStep: 0, ar: ar, ak: ak, b: be, bStep: n * nr, kc: n,
                            c: state.acc + h0, cStep: nr * H, rs: 1, cs: H, h: hh, w: nr, lastH: hh,
                            lastW: T - (c.tPanels - 1) * nr, accumulate: true, scratch: tileScratch)
        h0 += mr
      }
      v0 += n
    }
    return state
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
