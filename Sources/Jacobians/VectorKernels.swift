#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The loops of the RNN fast path that are not matrix products, over raw rows: the softmax of
/// a row of logits, the logistic function of a row, and matrix–vector products.
///
/// ```
/// softmaxInPlace(l, n, target)   l ← softmax(l) = exp(l − m) / Σ exp(l − m),  m = max l
///                                returns −log softmax(l)_target = log Σ exp(l − m) + m − l_target
/// addAndMax(l, b, n)             l ← l + b, returns max l
/// expShiftedInPlace(l, n, m)     l ← exp(l − m), returns Σ exp(l − m)
/// logistic(z, h, n)              h = σ(z) = 1 / (1 + e^(−z))   (through e^(−|z|): no overflow)
/// matrixVector(W, x, y, m, n)    y = W x      (m × 1) = (m × n)(n × 1)
/// transposedMatrixVector(W, x, y, m, n)   y = Wᵀ x   (n × 1) = (m × n)ᵀ(m × 1)
/// transposedMatrixVectors(W, xs, ys, m, n) y_l = Wᵀ x_l for each l, one pass over W for all
/// ```
/// W is row-major with rows of length n. In the AVX2 build (`JACOBIANS_AVX2_FMA`) these run on
/// 4-vectors with fused multiply-add and their exponential is `VectorKernels.exp`, within 2 ulp
/// of the C library's `exp` (VectorKernelsTests); the portable build calls the C library's `exp`
/// one entry at a time. Results are deterministic in each build and may differ in the last bits
/// between the two.
public enum VectorKernels {
  // MARK: Softmax

  /// Replaces the `n` logits at `row` (plus `bias`, when given) by their softmax; returns
  /// −log ŷ_target. Logits that are NaN are ignored by the maximum (and propagate through the
  /// sum); an infinite or missing maximum is taken as 0.
  public static func softmaxInPlace(_ row: UnsafeMutablePointer<Double>, _ n: Int, adding bias: UnsafePointer<Double>? = nil, target: Int) -> Double {
    var m = addAndMax(row, bias, n)
    if !m.isFinite { m = 0 }
    let targetLogit = row[target]
    let s = expShiftedInPlace(row, n, shift: m)
    scaleInPlace(row, n, by: 1 / s)
    return (log(s) + m) - targetLogit
  }

  /// row[v] += bias[v] for v < n when a bias is given; returns the largest row[v] (NaN entries
  /// ignored, −∞ when there are none).
  public static func addAndMax(_ row: UnsafeMutablePointer<Double>, _ bias: UnsafePointer<Double>?, _ n: Int) -> Double {
    var m = -Double.infinity
    var v = 0
    #if JACOBIANS_AVX2_FMA
    typealias V = SIMD4<Double>
    let raw = UnsafeMutableRawPointer(row)
    var m0 = V(repeating: -.infinity), m1 = m0
    if let bias {
      let rb = UnsafeRawPointer(bias)
      while v + 8 <= n {
        let x0 = raw.loadUnaligned(fromByteOffset: v * 8, as: V.self) + rb.loadUnaligned(fromByteOffset: v * 8, as: V.self)
        let x1 = raw.loadUnaligned(fromByteOffset: v * 8 + 32, as: V.self) + rb.loadUnaligned(fromByteOffset: v * 8 + 32, as: V.self)
        raw.storeBytes(of: x0, toByteOffset: v * 8, as: V.self)
        raw.storeBytes(of: x1, toByteOffset: v * 8 + 32, as: V.self)
        m0.replace(with: x0, where: x0 .> m0)
        m1.replace(with: x1, where: x1 .> m1)
        v += 8
      }
    } else {
      while v + 8 <= n {
        let x0 = raw.loadUnaligned(fromByteOffset: v * 8, as: V.self)
        let x1 = raw.loadUnaligned(fromByteOffset: v * 8 + 32, as: V.self)
        m0.replace(with: x0, where: x0 .> m0)
        m1.replace(with: x1, where: x1 .> m1)
        v += 8
      }
    }
    m0.replace(with: m1, where: m1 .> m0)
    for lane in 0..<4 where m0[lane] > m { m = m0[lane] }
    #endif
    while v < n {
      if let bias { row[v] += bias[v] }
      if row[v] > m { m = row[v] }
      v += 1
    }
    return m
  }

  /// row[v] ← e^(row[v] − shift) for v < n; returns their sum.
  public static func expShiftedInPlace(_ row: UnsafeMutablePointer<Double>, _ n: Int, shift: Double) -> Double {
    #if JACOBIANS_AVX2_FMA
    typealias V = SIMD4<Double>
    let raw = UnsafeMutableRawPointer(row)
    let ms = V(repeating: shift)
    var s0 = V(), s1 = V()
    var v = 0
    while v + 8 <= n {
      let e0 = exp(raw.loadUnaligned(fromByteOffset: v * 8, as: V.self) - ms)
      let e1 = exp(raw.loadUnaligned(fromByteOffset: v * 8 + 32, as: V.self) - ms)
      raw.storeBytes(of: e0, toByteOffset: v * 8, as: V.self)
      raw.storeBytes(of: e1, toByteOffset: v * 8 + 32, as: V.self)
      s0 += e0
      s1 += e1
      v += 8
    }
    if v < n {
      // The last n mod 8 entries through one padded pair of vectors (padding e^(−∞) = 0).
      var x0 = V(repeating: -.infinity), x1 = x0
      for i in 0..<(n - v) { if i < 4 { x0[i] = row[v + i] } else { x1[i - 4] = row[v + i] } }
      let e0 = exp(x0 - ms), e1 = exp(x1 - ms)
      for i in 0..<(n - v) { row[v + i] = i < 4 ? e0[i] : e1[i - 4] }
      s0 += e0
      s1 += e1
    }
    let s = s0 + s1
    return (s[0] + s[1]) + (s[2] + s[3])
    #else
    var s = 0.0
    for v in 0..<n {
      let e = exp(row[v] - shift)
      row[v] = e
      s += e
    }
    return s
    #endif
  }

  /// row[v] ← c · row[v] for v < n.
  @inline(__always)
  public static func scaleInPlace(_ row: UnsafeMutablePointer<Double>, _ n: Int, by c: Double) {
    for v in 0..<n { row[v] *= c }
  }

  /// y[v] += x[v] for v < n.
  @inline(__always)
  public static func add(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, _ n: Int) {
    for v in 0..<n { y[v] += x[v] }
  }

  // MARK: Logistic

  /// h[i] = σ(z[i]) for i < n: 1 / (1 + e^(−z)) for z ≥ 0, e^z / (1 + e^z) below.
  public static func logistic(_ z: UnsafePointer<Double>, _ h: UnsafeMutablePointer<Double>, _ n: Int) {
    var i = 0
    #if JACOBIANS_AVX2_FMA
    typealias V = SIMD4<Double>
    let rz = UnsafeRawPointer(z), rh = UnsafeMutableRawPointer(h)
    let one = V(repeating: 1)
    while i + 4 <= n {
      let x = rz.loadUnaligned(fromByteOffset: i * 8, as: V.self)
      let nonNegative = x .>= 0
      var minusAbs = x
      minusAbs.replace(with: -x, where: nonNegative)
      let e = exp(minusAbs)
      var numerator = e
      numerator.replace(with: one, where: nonNegative)
      rh.storeBytes(of: numerator / (one + e), toByteOffset: i * 8, as: V.self)
      i += 4
    }
    #endif
    while i < n {
      let x = z[i]
      if x >= 0 {
        h[i] = 1 / (1 + scalarExp(-x))
      } else {
        let e = scalarExp(x)
        h[i] = e / (1 + e)
      }
      i += 1
    }
  }

  /// The build's e^x for one value: a lane of the vector exponential in the AVX2 build.
  @inline(__always)
  public static func scalarExp(_ x: Double) -> Double {
    #if JACOBIANS_AVX2_FMA
    return exp(SIMD4(repeating: x))[0]
    #else
    return exp(x)
    #endif
  }

  // MARK: Matrix–vector products

  /// y = W x for W m × n (row-major, rows of length n), x of length n, y of length m.
  public static func matrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int, _ n: Int) {
    var i = 0
    #if JACOBIANS_AVX2_FMA
    typealias V = SIMD4<Double>
    let rx = UnsafeRawPointer(x)
    // Four rows at a time, two accumulators a row: eight independent chains of FMA.
    while i + 4 <= m {
      let r0 = UnsafeRawPointer(W + i * n), r1 = UnsafeRawPointer(W + (i + 1) * n)
      let r2 = UnsafeRawPointer(W + (i + 2) * n), r3 = UnsafeRawPointer(W + (i + 3) * n)
      var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
      var j = 0
      while j + 8 <= n {
        let o = j * 8
        let x0 = rx.loadUnaligned(fromByteOffset: o, as: V.self)
        let x1 = rx.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        a0 = a0.addingProduct(r0.loadUnaligned(fromByteOffset: o, as: V.self), x0)
        b0 = b0.addingProduct(r0.loadUnaligned(fromByteOffset: o + 32, as: V.self), x1)
        a1 = a1.addingProduct(r1.loadUnaligned(fromByteOffset: o, as: V.self), x0)
        b1 = b1.addingProduct(r1.loadUnaligned(fromByteOffset: o + 32, as: V.self), x1)
        a2 = a2.addingProduct(r2.loadUnaligned(fromByteOffset: o, as: V.self), x0)
        b2 = b2.addingProduct(r2.loadUnaligned(fromByteOffset: o + 32, as: V.self), x1)
        a3 = a3.addingProduct(r3.loadUnaligned(fromByteOffset: o, as: V.self), x0)
        b3 = b3.addingProduct(r3.loadUnaligned(fromByteOffset: o + 32, as: V.self), x1)
        j += 8
      }
      let s0 = a0 + b0, s1 = a1 + b1, s2 = a2 + b2, s3 = a3 + b3
      var t0 = (s0[0] + s0[1]) + (s0[2] + s0[3]), t1 = (s1[0] + s1[1]) + (s1[2] + s1[3])
      var t2 = (s2[0] + s2[1]) + (s2[2] + s2[3]), t3 = (s3[0] + s3[1]) + (s3[2] + s3[3])
      while j < n {
        let xj = x[j]
        t0 += W[i * n + j] * xj; t1 += W[(i + 1) * n + j] * xj
        t2 += W[(i + 2) * n + j] * xj; t3 += W[(i + 3) * n + j] * xj
        j += 1
      }
      y[i] = t0; y[i + 1] = t1; y[i + 2] = t2; y[i + 3] = t3
      i += 4
    }
    #endif
    while i < m {
      var s = 0.0
      for j in 0..<n { s += W[i * n + j] * x[j] }
      y[i] = s
      i += 1
    }
  }

  /// y = Wᵀ x for W m × n (row-major, rows of length n), x of length m, y of length n: Σ_r x_r W[r, :].
  public static func transposedMatrixVector(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int, _ n: Int) {
    var j = 0
    #if JACOBIANS_AVX2_FMA
    transposedLane(W, x, y, 0..<m, n, strips: n / 32)
    j = n / 32 * 32
    #endif
    transposedRest(W, x, y, m, n, from: j)
  }

  /// y_l = Wᵀ x_l for every pair (x_l, y_l) of `xs` and `ys`, each as `transposedMatrixVector`
  /// computes it (every entry the same chain of fused multiply-adds over r = 0 … m − 1, so the
  /// same bits): W is read eight rows at a time (contiguous, in the first-level cache) for all
  /// vectors, each vector's running sums kept in y between blocks — for a W larger than the
  /// cache, one pass over it for many products instead of one per product. The vectors go
  /// three at a time (`transposedLanes3`: each 4-vector of W loaded serves three of them), then
  /// two, then one.
  public static func transposedMatrixVectors(_ W: UnsafePointer<Double>, _ xs: [UnsafePointer<Double>], _ ys: [UnsafeMutablePointer<Double>], _ m: Int, _ n: Int) {
    precondition(xs.count == ys.count, "one output per vector")
    var strips = 0
    #if JACOBIANS_AVX2_FMA
    strips = n / 32
    let block = 8
    for r0 in stride(from: 0, to: m, by: block) {
      let rows = r0..<Swift.min(m, r0 + block)
      var l = 0
      while l + 3 <= xs.count {
        transposedLanes3(W, (xs[l], xs[l + 1], xs[l + 2]), (ys[l], ys[l + 1], ys[l + 2]), rows, n, columns: strips * 32)
        l += 3
      }
      if l + 2 <= xs.count {
        transposedLanes2(W, (xs[l], xs[l + 1]), (ys[l], ys[l + 1]), rows, n, columns: strips * 32)
        l += 2
      }
      if l < xs.count { transposedLane(W, xs[l], ys[l], rows, n, strips: strips) }
    }
    if m == 0 { for l in ys.indices { ys[l].update(repeating: 0, count: strips * 32) } }
    #endif
    for l in xs.indices { transposedRest(W, xs[l], ys[l], m, n, from: strips * 32) }
  }

  #if JACOBIANS_AVX2_FMA
  /// The running sums y[0 ..< 32·strips] of one vector over the block `rows` of W (read from y
  /// unless the block is the first, all of W for one product): eight 4-vectors per strip of 32
  /// columns.
  @inline(__always)
  static func transposedLane(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ rows: Range<Int>, _ n: Int, strips: Int) {
    typealias V = SIMD4<Double>
    let ry = UnsafeMutableRawPointer(y), first = rows.lowerBound == 0
    for s in 0..<strips {
      let o = s * 256
      var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
      if !first {
        c0 = ry.loadUnaligned(fromByteOffset: o, as: V.self); c1 = ry.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        c2 = ry.loadUnaligned(fromByteOffset: o + 64, as: V.self); c3 = ry.loadUnaligned(fromByteOffset: o + 96, as: V.self)
        c4 = ry.loadUnaligned(fromByteOffset: o + 128, as: V.self); c5 = ry.loadUnaligned(fromByteOffset: o + 160, as: V.self)
        c6 = ry.loadUnaligned(fromByteOffset: o + 192, as: V.self); c7 = ry.loadUnaligned(fromByteOffset: o + 224, as: V.self)
      }
      for r in rows {
        let w = UnsafeRawPointer(W + (r * n + s * 32))
        let xr = V(repeating: x[r])
        c0 = c0.addingProduct(xr, w.loadUnaligned(as: V.self))
        c1 = c1.addingProduct(xr, w.loadUnaligned(fromByteOffset: 32, as: V.self))
        c2 = c2.addingProduct(xr, w.loadUnaligned(fromByteOffset: 64, as: V.self))
        c3 = c3.addingProduct(xr, w.loadUnaligned(fromByteOffset: 96, as: V.self))
        c4 = c4.addingProduct(xr, w.loadUnaligned(fromByteOffset: 128, as: V.self))
        c5 = c5.addingProduct(xr, w.loadUnaligned(fromByteOffset: 160, as: V.self))
        c6 = c6.addingProduct(xr, w.loadUnaligned(fromByteOffset: 192, as: V.self))
        c7 = c7.addingProduct(xr, w.loadUnaligned(fromByteOffset: 224, as: V.self))
      }
      ry.storeBytes(of: c0, toByteOffset: o, as: V.self); ry.storeBytes(of: c1, toByteOffset: o + 32, as: V.self)
      ry.storeBytes(of: c2, toByteOffset: o + 64, as: V.self); ry.storeBytes(of: c3, toByteOffset: o + 96, as: V.self)
      ry.storeBytes(of: c4, toByteOffset: o + 128, as: V.self); ry.storeBytes(of: c5, toByteOffset: o + 160, as: V.self)
      ry.storeBytes(of: c6, toByteOffset: o + 192, as: V.self); ry.storeBytes(of: c7, toByteOffset: o + 224, as: V.self)
    }
  }

  /// `transposedLane` for three vectors at once over the first `columns` (a multiple of 16)
  /// entries: per row of W, four 4-vectors loaded and three broadcasts feed twelve running sums.
  @inline(__always)
  static func transposedLanes3(
    _ W: UnsafePointer<Double>, _ x: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafePointer<Double>),
    _ y: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
    _ rows: Range<Int>, _ n: Int, columns: Int
  ) {
    typealias V = SIMD4<Double>
    let ya = UnsafeMutableRawPointer(y.0), yb = UnsafeMutableRawPointer(y.1), yc = UnsafeMutableRawPointer(y.2)
    let first = rows.lowerBound == 0
    for j in stride(from: 0, to: columns, by: 16) {
      let o = j * 8
      var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V(), c0 = V(), c1 = V(), c2 = V(), c3 = V()
      if !first {
        a0 = ya.loadUnaligned(fromByteOffset: o, as: V.self); a1 = ya.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        a2 = ya.loadUnaligned(fromByteOffset: o + 64, as: V.self); a3 = ya.loadUnaligned(fromByteOffset: o + 96, as: V.self)
        b0 = yb.loadUnaligned(fromByteOffset: o, as: V.self); b1 = yb.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        b2 = yb.loadUnaligned(fromByteOffset: o + 64, as: V.self); b3 = yb.loadUnaligned(fromByteOffset: o + 96, as: V.self)
        c0 = yc.loadUnaligned(fromByteOffset: o, as: V.self); c1 = yc.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        c2 = yc.loadUnaligned(fromByteOffset: o + 64, as: V.self); c3 = yc.loadUnaligned(fromByteOffset: o + 96, as: V.self)
      }
      for r in rows {
        let w = UnsafeRawPointer(W + (r * n + j))
        let w0 = w.loadUnaligned(as: V.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: V.self)
        let w2 = w.loadUnaligned(fromByteOffset: 64, as: V.self), w3 = w.loadUnaligned(fromByteOffset: 96, as: V.self)
        let pa = V(repeating: x.0[r]), pb = V(repeating: x.1[r]), pc = V(repeating: x.2[r])
        a0 = a0.addingProduct(pa, w0); b0 = b0.addingProduct(pb, w0); c0 = c0.addingProduct(pc, w0)
        a1 = a1.addingProduct(pa, w1); b1 = b1.addingProduct(pb, w1); c1 = c1.addingProduct(pc, w1)
        a2 = a2.addingProduct(pa, w2); b2 = b2.addingProduct(pb, w2); c2 = c2.addingProduct(pc, w2)
        a3 = a3.addingProduct(pa, w3); b3 = b3.addingProduct(pb, w3); c3 = c3.addingProduct(pc, w3)
      }
      ya.storeBytes(of: a0, toByteOffset: o, as: V.self); ya.storeBytes(of: a1, toByteOffset: o + 32, as: V.self)
      ya.storeBytes(of: a2, toByteOffset: o + 64, as: V.self); ya.storeBytes(of: a3, toByteOffset: o + 96, as: V.self)
      yb.storeBytes(of: b0, toByteOffset: o, as: V.self); yb.storeBytes(of: b1, toByteOffset: o + 32, as: V.self)
      yb.storeBytes(of: b2, toByteOffset: o + 64, as: V.self); yb.storeBytes(of: b3, toByteOffset: o + 96, as: V.self)
      yc.storeBytes(of: c0, toByteOffset: o, as: V.self); yc.storeBytes(of: c1, toByteOffset: o + 32, as: V.self)
      yc.storeBytes(of: c2, toByteOffset: o + 64, as: V.self); yc.storeBytes(of: c3, toByteOffset: o + 96, as: V.self)
    }
  }

  /// `transposedLanes3` for two vectors: four 4-vectors of W and two broadcasts per row feed
  /// eight running sums.
  @inline(__always)
  static func transposedLanes2(
    _ W: UnsafePointer<Double>, _ x: (UnsafePointer<Double>, UnsafePointer<Double>),
    _ y: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>), _ rows: Range<Int>, _ n: Int, columns: Int
  ) {
    typealias V = SIMD4<Double>
    let ya = UnsafeMutableRawPointer(y.0), yb = UnsafeMutableRawPointer(y.1)
    let first = rows.lowerBound == 0
    for j in stride(from: 0, to: columns, by: 16) {
      let o = j * 8
      var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
      if !first {
        a0 = ya.loadUnaligned(fromByteOffset: o, as: V.self); a1 = ya.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        a2 = ya.loadUnaligned(fromByteOffset: o + 64, as: V.self); a3 = ya.loadUnaligned(fromByteOffset: o + 96, as: V.self)
        b0 = yb.loadUnaligned(fromByteOffset: o, as: V.self); b1 = yb.loadUnaligned(fromByteOffset: o + 32, as: V.self)
        b2 = yb.loadUnaligned(fromByteOffset: o + 64, as: V.self); b3 = yb.loadUnaligned(fromByteOffset: o + 96, as: V.self)
      }
      for r in rows {
        let w = UnsafeRawPointer(W + (r * n + j))
        let w0 = w.loadUnaligned(as: V.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: V.self)
        let w2 = w.loadUnaligned(fromByteOffset: 64, as: V.self), w3 = w.loadUnaligned(fromByteOffset: 96, as: V.self)
        let pa = V(repeating: x.0[r]), pb = V(repeating: x.1[r])
        a0 = a0.addingProduct(pa, w0); b0 = b0.addingProduct(pb, w0)
        a1 = a1.addingProduct(pa, w1); b1 = b1.addingProduct(pb, w1)
        a2 = a2.addingProduct(pa, w2); b2 = b2.addingProduct(pb, w2)
        a3 = a3.addingProduct(pa, w3); b3 = b3.addingProduct(pb, w3)
      }
      ya.storeBytes(of: a0, toByteOffset: o, as: V.self); ya.storeBytes(of: a1, toByteOffset: o + 32, as: V.self)
      ya.storeBytes(of: a2, toByteOffset: o + 64, as: V.self); ya.storeBytes(of: a3, toByteOffset: o + 96, as: V.self)
      yb.storeBytes(of: b0, toByteOffset: o, as: V.self); yb.storeBytes(of: b1, toByteOffset: o + 32, as: V.self)
      yb.storeBytes(of: b2, toByteOffset: o + 64, as: V.self); yb.storeBytes(of: b3, toByteOffset: o + 96, as: V.self)
    }
  }
  #endif


  /// Entries j ..< n of Wᵀ x (4-vectors, then one entry at a time).
  @inline(__always)
  static func transposedRest(_ W: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ m: Int, _ n: Int, from start: Int) {
    var j = start
    #if JACOBIANS_AVX2_FMA
    typealias V = SIMD4<Double>
    let ry = UnsafeMutableRawPointer(y)
    while j + 4 <= n {
      var c = V()
      for r in 0..<m { c = c.addingProduct(V(repeating: x[r]), UnsafeRawPointer(W + (r * n + j)).loadUnaligned(as: V.self)) }
      ry.storeBytes(of: c, toByteOffset: j * 8, as: V.self)
      j += 4
    }
    #endif
    if j < n {
      for jj in j..<n { y[jj] = 0 }
      for r in 0..<m {
        let c = x[r]
        let row = W + r * n
        for jj in j..<n { y[jj] += c * row[jj] }
      }
    }
  }

  // MARK: exp

  #if JACOBIANS_AVX2_FMA
  /// e^x for each lane: x = n ln 2 + r with n = round(x / ln 2), |r| ≤ ln 2 / 2; e^r by its
  /// Taylor series to r¹³ (truncation error below 2⁻⁵⁵ e^r) in Horner form with fused
  /// multiply-adds; then scaled by 2ⁿ as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), both normal numbers, so that
  /// results in the subnormal range are rounded once. Lanes below −746 give 0, above 710 give
  /// +∞; NaN stays NaN.
  @inline(__always)
  public static func exp(_ x: SIMD4<Double>) -> SIMD4<Double> {
    typealias V = SIMD4<Double>
    typealias I = SIMD4<Int64>
    var x = x
    x.replace(with: V(repeating: -746), where: x .< -746)
    x.replace(with: V(repeating: 710), where: x .> 710)
    // Adding and subtracting 1.5 · 2⁵² rounds to an integer (|x / ln 2| < 2⁵¹).
    let shifter = V(repeating: 0x1.8p52)
    let nd = (x * V(repeating: 0x1.71547652b82fep0) + shifter) - shifter
    // r = x − n ln 2 with ln 2 = hi + lo.
    var r = x.addingProduct(-nd, V(repeating: 0x1.62e42fefa39efp-1))
    r = r.addingProduct(-nd, V(repeating: 0x1.abc9e3b39803fp-56))
    var p = V(repeating: 1.0 / 6_227_020_800)                       // 1/13!
    p = V(repeating: 1.0 / 479_001_600).addingProduct(p, r)         // 1/12!
    p = V(repeating: 1.0 / 39_916_800).addingProduct(p, r)          // 1/11!
    p = V(repeating: 1.0 / 3_628_800).addingProduct(p, r)           // 1/10!
    p = V(repeating: 1.0 / 362_880).addingProduct(p, r)             // 1/9!
    p = V(repeating: 1.0 / 40_320).addingProduct(p, r)              // 1/8!
    p = V(repeating: 1.0 / 5_040).addingProduct(p, r)               // 1/7!
    p = V(repeating: 1.0 / 720).addingProduct(p, r)                 // 1/6!
    p = V(repeating: 1.0 / 120).addingProduct(p, r)                 // 1/5!
    p = V(repeating: 1.0 / 24).addingProduct(p, r)                  // 1/4!
    p = V(repeating: 1.0 / 6).addingProduct(p, r)                   // 1/3!
    p = V(repeating: 0.5).addingProduct(p, r)                       // 1/2!
    p = V(repeating: 1).addingProduct(p, r)                         // 1/1!
    p = V(repeating: 1).addingProduct(p, r)                         // 1/0!
    let n1d = (nd * 0.5).rounded(.down)
    let n2d = nd - n1d
    let bias = unsafeBitCast(shifter, to: I.self) &- 1023
    let s1 = unsafeBitCast((unsafeBitCast(n1d + shifter, to: I.self) &- bias) &<< 52, to: V.self)
    let s2 = unsafeBitCast((unsafeBitCast(n2d + shifter, to: I.self) &- bias) &<< 52, to: V.self)
    return (p * s1) * s2
  }
  #endif
}
