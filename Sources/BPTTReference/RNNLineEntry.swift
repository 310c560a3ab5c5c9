#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Jacobians

/// φ(ε) along the basis direction of one entry of one quantity (`RNNLine.Direction.entry`): the
/// exact estimate's 2 evaluations per entry, at homework sizes a few hundred multiply-adds each,
/// without forming c, W_h + ε c or any array per ε.
///
/// ```
/// entry of       moves, at ε                                      where
/// W_h[r, c]      z^(i)_r: row r of (W_h + ε e_rc) h^(i−1)          every chain step (a copy of W_h, one entry moved)
/// W_hAtStep      z^(i)_r += ε h^(i−1)_c                            step i of the entry only
/// W_e[r, k]      z^(i)_r += ε e^(i)_k   (one-hot: ε, x(i) = k)      every step
/// E[k, x]        e^(i)_k + ε, and its input term                    the steps with x(i) = x
/// b_1[r]         b_1,r + ε                                         every step (with biases)
/// h0[r]          h^(0)_r + ε                                       the chains from step 0
/// z^(t)_r        f̄_t(z^(t)_r + ε) on the output branch             output step t
/// U[v, c]        θ^(t)_v += ε h̄^(t)_c                              the states unmoved
/// b_2[v]         θ^(t)_v += ε                                      (with biases)
/// θ^(t)_v        θ^(t)_v += ε                                      output step t
/// ```
/// What the entry does not reach is the point's (`PointRows`): a chain runs from h̄ before the
/// first step the entry moves, an output row it does not reach is the point's J^(t), and a row
/// with one logit moved is summed with one exp (the others' exp(θ̄_v − m) kept).
///
/// The same numbers as the dense direction, bit for bit (up to the sign of a zero state, which
/// no φ shows): every other term of the dense computation is the point's own plus ε·0 or 0·x,
/// which adds an exact zero when x is finite, and
/// the moved term is formed as it is there (W_h[k] + ε inside the same matrix-vector kernel; the
/// product c_U h̄ of a basis row is h̄_c; the output layer is the same plain `MatrixProduct` row by
/// row). Hence nil — the dense path — when a parameter or state of the point is not finite (or the
/// line is larger than `entryPathLimit`: the dense path, as before, serves it), when a
/// state at ε is not (0·∞ would be NaN there), and when the dense output layer would be the blocked
/// product (a different order of sums; never at the sizes of an exact estimate).
extension RNNLine {
  /// The shape of `quantity`'s part of a direction.
  public func shape(of quantity: Quantity) -> (rows: Int, cols: Int) {
    let T = steps, H = hiddenSize, V = vocabularySize
    switch quantity {
    case .E:
      guard let E else { preconditionFailure("the one-hot input has no E") }
      return (E.rows, E.cols)
    case .W_h: return (H, H)
    case .W_e: return (W_e.rows, W_e.cols)
    case .b_1, .h0: return (H, 1)
    case .U: return (V, H)
    case .b_2: return (V, 1)
    case .W_hAtStep: return (T, H * H)
    case .logits: return (T, V)
    case .outputPreactivations: return (T, H)
    }
  }

  /// The dense basis direction of entry `index` of `quantity`.
  func basisPart(_ quantity: Quantity, _ index: Int) -> Matrix {
    let (rows, cols) = shape(of: quantity)
    precondition(index >= 0 && index < rows * cols, "entry \(index) of a \(rows) × \(cols) part")
    var c = Matrix(rows: rows, cols: cols)
    c.scalars[index] = 1
    return c
  }

  /// φ(ε) for every ε of `es` along entry `index` of `quantity`, the same bits as
  /// `values(at:along:objective:)` along its dense form; nil where that cannot be promised (see
  /// above).
  func entryValues(at es: [Double], quantity: Quantity, index k: Int, objective: Objective) -> [Double]? {
    let (rows, cols) = shape(of: quantity)
    precondition(k >= 0 && k < rows * cols, "entry \(k) of a \(rows) × \(cols) part")
    guard pointIsFinite, es.allSatisfy(\.isFinite) else { return nil }
    let T = steps, H = hiddenSize, V = vocabularySize
    let first = objective == .lastStep ? T : 1
    let outputRows = T - first + 1
    let weight: Double
    switch objective {
    case .loss: weight = options.reduction.weight(steps: T)
    case .stepLosses, .lastStep: weight = 1
    }
    let biases = options.useBiases
    switch quantity {
    case .b_1 where !biases, .b_2 where !biases:
      // Without biases the dense path leaves them out: φ is φ(0).
      return logitEntryValues(at: es, quantity: nil, index: k, first: first, weight: weight)
    case .U, .b_2, .logits:
      return logitEntryValues(at: es, quantity: quantity, index: k, first: first, weight: weight)
    default:
      break
    }
    // The dense path's output layer is one plain product for all ε (`MatrixProduct`).
    guard es.count * outputRows * V * H < MatrixProduct.blockedThreshold else { return nil }
    return stateEntryValues(at: es, quantity: quantity, index: k, first: first, weight: weight)
  }

  /// The states unmoved: θ^(t) = θ̄^(t) with one entry moved (nil `quantity`: none).
  private func logitEntryValues(at es: [Double], quantity: Quantity?, index k: Int, first: Int, weight: Double) -> [Double] {
    let T = steps, H = hiddenSize, V = vocabularySize
    // The moved logit v and its rate at output step t (0: unmoved).
    let v0: Int
    let rate: (Int) -> Double
    switch quantity {
    case .U?:
      v0 = k / H
      let c = k % H
      rate = { t in self.Hs.scalars[t * H + c] }
    case .b_2?:
      v0 = k
      rate = { _ in 1 }
    case .logits?:
      v0 = k % V
      let step = k / V + 1
      rate = { t in t == step ? 1 : 0 }
    default:
      v0 = 0
      rate = { _ in 0 }
    }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: V) { row in
      logits.scalars.withUnsafeBufferPointer { L in
        es.map { ε in
          var total = 0.0
          for t in first...T {
            let r = rate(t)
            if let pointRows {
              total += r == 0 ? pointRows.losses[t - 1] : pointRows.loss(step: t, moving: v0, to: L[(t - 1) * V + v0] + ε * r,
                                                                       logits: L, target: tokens[t], scratch: row)
              continue
            }
            for v in 0..<V { row[v] = L[(t - 1) * V + v] }
            if r != 0 { row[v0] = L[(t - 1) * V + v0] + ε * r }
            total += RNNLine.crossEntropy(UnsafeBufferPointer(row), target: tokens[t])
          }
          return weight * total
        }
      }
    }
  }

  /// The states move: each ε's chains, then its output rows, in scratch memory. With the point's
  /// rows (`PointRows`), a chain runs from the point's state before the first step the entry moves
  /// (the steps before it are the point's, to the bit) and an output row the entry does not reach
  /// is the point's J^(t).
  private func stateEntryValues(at es: [Double], quantity: Quantity, index k: Int, first: Int, weight: Double) -> [Double]? {
    let T = steps, H = hiddenSize, V = vocabularySize
    let f = options.activation
    let biases = options.useBiases
    let truncation = options.truncation
    let rows = pointRows
    // The recurrence steps i whose update the entry moves (h^(0) and the output branch aside):
    // every step, none, step `movedStepIndex`, or the steps whose token is `movedToken`.
    var everyStep = false, movedStepIndex = 0, movedToken = -1
    switch quantity {
    case .W_hAtStep: movedStepIndex = k / (H * H) + 1
    case .E: movedToken = k % E!.cols
    case .W_e where E == nil: movedToken = k % W_e.cols
    case .h0, .outputPreactivations: break
    default: everyStep = true
    }
    let movedOutput = quantity == .outputPreactivations ? k / H + 1 : 0
    let outputRows = T - first + 1
    // Scratch: W_h with its entry moved, h, z, the output states the entry reaches and their
    // logits, each output row's J^(t), b_1, b_2, h0.
    let size = H * H + 2 * H + outputRows * (H + V + 1) + (2 * H + V)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: size) { scratch -> [Double]? in
      let Wm = scratch.baseAddress!, h = Wm + H * H, z = h + H, outs = z + H, ls = outs + outputRows * H
      let losses = ls + outputRows * V, b1 = losses + outputRows, b2 = b1 + H, h0p = b2 + V
      b1.initialize(from: b_1, count: H)
      b2.initialize(from: b_2, count: V)
      h0p.initialize(from: h0, count: H)
      // The output steps whose rows are computed (the others' J^(t) are the point's).
      return withUnsafeTemporaryAllocation(of: Int.self, capacity: outputRows) { reachedRows -> [Double]? in
      tokens.withUnsafeBufferPointer { tokens -> [Double]? in
      W_h.scalars.withUnsafeBufferPointer { Wp -> [Double]? in
        Hs.scalars.withUnsafeBufferPointer { hs -> [Double]? in
          Z.scalars.withUnsafeBufferPointer { zbar -> [Double]? in
            A.scalars.withUnsafeBufferPointer { a -> [Double]? in
              U.scalars.withUnsafeBufferPointer { Up -> [Double]? in
                let W: UnsafePointer<Double>
                if quantity == .W_h {
                  Wm.initialize(from: Wp.baseAddress!, count: H * H)
                  W = UnsafePointer(Wm)
                } else {
                  W = Wp.baseAddress!
                }
                var results: [Double] = []
                results.reserveCapacity(es.count)
                for ε in es {
                  if quantity == .W_h { Wm[k] = Wp[k] + ε }
                  var finite = true
                  var chainStart = -1, reached = -1
                  // h holds the chain's state at `reached`; while `atPoint`, that state is the
                  // point's h̄^(reached) and h is not written.
                  var atPoint = true
                  var computed = 0
                  for t in first...T {
                    let s = truncation.firstKeptStep(for: t) - 1
                    if s != chainStart || reached > t {
                      chainStart = s
                      reached = s
                      atPoint = rows != nil
                      if s == 0 && quantity == .h0 {
                        for j in 0..<H { h[j] = h0p[j] }
                        h[k] = h0p[k] + ε
                        atPoint = false
                      } else if !atPoint {
                        for j in 0..<H { h[j] = s == 0 ? h0p[j] : hs[s * H + j] }
                      }
                    }
                    while reached < t {
                      let i = reached + 1
                      if atPoint {
                        if !(everyStep || i == movedStepIndex || tokens[i - 1] == movedToken) {
                          reached = i
                          continue
                        }
                        for j in 0..<H { h[j] = hs[reached * H + j] }
                        atPoint = false
                      }
                      RecurrentCore.matrixVector(W, h, z, H)
                      if quantity == .W_hAtStep && k / (H * H) == i - 1 {
                        z[(k % (H * H)) / H] += ε * h[k % H]
                      }
                      inputTerm(into: z, token: tokens[i - 1], base: a.baseAddress! + (i - 1) * H, quantity: quantity, index: k, ε: ε)
                      if biases {
                        for j in 0..<H { z[j] += quantity == .b_1 && j == k ? b1[k] + ε : b1[j] }
                      }
                      f.onPiece(of: zbar.baseAddress! + (i - 1) * H, z, into: h, count: H)
                      for j in 0..<H where !h[j].isFinite { finite = false }
                      reached = i
                    }
                    if atPoint && t != movedOutput {
                      losses[t - first] = rows!.losses[t - 1]
                      continue
                    }
                    let out = outs + computed * H
                    reachedRows[computed] = t
                    computed += 1
                    if atPoint {
                      // z^(t) is the point's z̄^(t).
                      for j in 0..<H { out[j] = hs[t * H + j]; z[j] = zbar[(t - 1) * H + j] }
                    } else {
                      for j in 0..<H { out[j] = h[j] }
                    }
                    if t == movedOutput {
                      let j = k % H
                      out[j] = f.onPiece(of: zbar[(t - 1) * H + j], z[j] + ε)
                    }
                  }
                  if !finite { return nil }
                  // The rows reached, in one plain product (row by row the same sums).
                  MatrixProduct.multiply(computed, V, H, UnsafePointer(outs), lda: H, transposeA: false,
                                         Up.baseAddress!, ldb: H, transposeB: true, into: ls, ldc: V)
                  for n in 0..<computed {
                    let l = ls + n * V, t = reachedRows[n]
                    if biases { for v in 0..<V { l[v] += b2[v] } }
                    losses[t - first] = RNNLine.crossEntropy(UnsafeBufferPointer(start: l, count: V), target: tokens[t])
                  }
                  var total = 0.0
                  for r in 0..<outputRows { total += losses[r] }
                  results.append(weight * total)
                }
                return results
              }
            }
          }
        }
      }
      }
      }
    }
  }

  /// z += the input term of step i, `base` the point's (row i − 1 of A), with the entry moved
  /// where it enters: as `inputTerm` forms it for the dense direction.
  @inline(__always)
  private func inputTerm(into z: UnsafeMutablePointer<Double>, token x: Int, base: UnsafePointer<Double>,
                         quantity: Quantity, index k: Int, ε: Double) {
    let H = hiddenSize
    switch quantity {
    case .W_e:
      if let E {
        // Row r of (W_e + ε e_rk) e: s_r + ε e_k.
        let d = E.rows
        let r = k / d, c = k % d
        for j in 0..<H { z[j] += j == r ? base[j] + ε * E.scalars[c * E.cols + x] : base[j] }
      } else {
        // Column x of W_xh + ε e_rk: moved when x = k's column.
        let V = W_e.cols
        let r = k / V, c = k % V
        for j in 0..<H { z[j] += j == r && c == x ? base[j] + ε : base[j] }
      }
    case .E where k % E!.cols == x:
      // W_e (e + ε e_k): the sums again, with the moved e.
      let E = E!, d = E.rows, V = E.cols
      let c = k / V
      for j in 0..<H {
        var s = 0.0
        for m in 0..<d {
          let e = m == c ? E.scalars[m * V + x] + ε : E.scalars[m * V + x]
          s += W_e.scalars[j * d + m] * e
        }
        z[j] += s
      }
    default:
      for j in 0..<H { z[j] += base[j] }
    }
  }
}

/// The point's output rows, for the entry path: per step t (row t − 1) J^(t) of θ̄^(t), and what
/// −log softmax of the row with one logit moved needs to be summed in the order
/// `RNNLine.crossEntropy` sums it, with a single exp: the row's max m (and whether one logit alone
/// attains it), exp(θ̄_v − m) and the running sums before each v. Kept when the point's output
/// layer is the plain product (T·|V|·H below `MatrixProduct.blockedThreshold`): its rows are then
/// those the chains at ε give where the entry does not reach, to the bit.
struct PointRows {
  var V: Int
  var max: [Double], maxOnce: [Bool], exps: [Double], prefix: [Double], losses: [Double]

  init?(logits L: Matrix, tokens: [Int], hiddenSize H: Int) {
    let T = L.rows, V = L.cols
    guard T * V * H < MatrixProduct.blockedThreshold, L.scalars.allSatisfy(\.isFinite) else { return nil }
    self.V = V
    max = []
    maxOnce = []
    losses = []
    exps = [Double](repeating: 0, count: T * V)
    prefix = exps
    for t in 1...T {
      let row = Array(L.scalars[((t - 1) * V)..<(t * V)])
      var m = -Double.infinity
      for x in row where x > m { m = x }
      max.append(m)
      maxOnce.append(row.filter { $0 == m }.count == 1)
      var s = 0.0
      for v in 0..<V {
        prefix[(t - 1) * V + v] = s
        exps[(t - 1) * V + v] = exp(row[v] - m)
        s += exps[(t - 1) * V + v]
      }
      losses.append(RNNLine.crossEntropy(row, target: tokens[t]))
    }
  }

  /// −log softmax(θ̄^(t) with logit v moved to `moved`)_target, as `RNNLine.crossEntropy` computes
  /// it: one exp when the max stays, the whole row (in `scratch`) when it does not.
  func loss(step t: Int, moving v: Int, to moved: Double, logits L: UnsafeBufferPointer<Double>, target: Int,
            scratch row: UnsafeMutableBufferPointer<Double>) -> Double {
    let base = (t - 1) * V
    let m = max[t - 1]
    if moved <= m && (L[base + v] < m || !maxOnce[t - 1]) {
      var s = prefix[base + v] + exp(moved - m)
      var u = v + 1
      while u < V {
        s += exps[base + u]
        u += 1
      }
      return (log(s) + m) - (target == v ? moved : L[base + target])
    }
    for u in 0..<V { row[u] = L[base + u] }
    row[v] = moved
    return RNNLine.crossEntropy(UnsafeBufferPointer(row), target: target)
  }
}
