import Testing
import Jacobians
@testable import BPTTReference
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The lines of `RNNLine` along one entry (`Direction.entry`, the exact estimate's basis
/// directions) against two other computations of φ(ε):
///
/// ```
/// entry path  vs  the dense direction (the same entry as a matrix of zeros and one 1)   bit for bit
/// entry path  vs  `PlainLine`, a forward pass written here from the notes                 to 10⁻¹³ of max(1, |φ|)
/// ```
/// for every entry of every quantity, under every objective (loss, stepLosses, lastStep), on the
/// 20 seeds, the column form over the whole option table (every truncation, σ/tanh/ReLU, biases on
/// and off, mean and sum; three options a seed, each option on one) and the canonical one-hot form
/// (its default options and one of the table's a seed). The entry
/// path must be taken (not fall back to the dense one) at a finite point, and fall back, to the
/// dense path's bits, at a point that is not and on a line beyond `RNNLine.entryPathLimit`; a row
/// with one logit moved (`PointRows`) must sum to the bits of the whole row.
@Suite("Lines through the RNN's point along one entry")
struct RNNLineEntryTests {
  /// φ(ε) by the notes, written out plainly: the moved parameters formed densely (θ + ε c_θ), each
  /// loss term's chain run from its own start (the point's frozen state h̄^(s), or h^(0)(ε)),
  /// f̄ on the point's pieces, −log softmax by its definition.
  struct PlainLine {
    var W_h: [Double], W_e: [Double], E: [Double]?, b_1: [Double], U: [Double], b_2: [Double], h0: [Double]
    var H: Int, V: Int, d: Int
    var tokens: [Int]
    var options: RNNOptions
    /// The point's pre-activations z̄^(i) (row i − 1) and states h̄^(i) (row i).
    var zbar: [[Double]] = [], hbar: [[Double]] = []

    init(W_h: Matrix, W_e: Matrix, E: Matrix?, b_1: Matrix, U: Matrix, b_2: Matrix, h0: Matrix, tokens: [Int], options: RNNOptions) {
      self.W_h = W_h.scalars; self.W_e = W_e.scalars; self.E = E?.scalars
      self.b_1 = b_1.scalars; self.U = U.scalars; self.b_2 = b_2.scalars; self.h0 = h0.scalars
      H = W_h.rows; V = U.rows; d = E?.rows ?? 0
      self.tokens = tokens
      self.options = options
      hbar = [self.h0]
      for i in 1..<tokens.count {
        let z = preactivation(i, hbar[i - 1], W: self.W_h, W_e: self.W_e, E: self.E, b: self.b_1)
        zbar.append(z)
        hbar.append(z.map { options.activation($0) })
      }
    }

    /// z^(i) = W h + input(x(i)) + b (the bias only with biases).
    func preactivation(_ i: Int, _ h: [Double], W: [Double], W_e: [Double], E: [Double]?, b: [Double]) -> [Double] {
      let x = tokens[i - 1]
      return (0..<H).map { r in
        var z = 0.0
        for c in 0..<H { z += W[r * H + c] * h[c] }
        if let E {
          for k in 0..<d { z += W_e[r * d + k] * E[k * V + x] }
        } else {
          z += W_e[r * V + x]
        }
        return options.useBiases ? z + b[r] : z
      }
    }

    /// φ(ε) along the dense direction `c` (nil parts unmoved).
    func value(_ ε: Double, along c: [RNNLine.Quantity: [Double]], _ objective: RNNLine.Objective) -> Double {
      func moved(_ x: [Double], _ q: RNNLine.Quantity) -> [Double] {
        guard let cq = c[q] else { return x }
        return zip(x, cq).map { $0 + ε * $1 }
      }
      let W = moved(W_h, .W_h), We = moved(W_e, .W_e), Em = E.map { moved($0, .E) }
      let b1 = moved(b_1, .b_1), Um = moved(U, .U), b2 = moved(b_2, .b_2), h0m = moved(h0, .h0)
      let T = tokens.count - 1
      let f = options.activation
      let outputs = objective == .lastStep ? [T] : Array(1...T)
      var total = 0.0
      for t in outputs {
        let s = options.truncation.firstKeptStep(for: t) - 1
        var h = s == 0 ? h0m : hbar[s]
        var z: [Double] = []
        for i in (s + 1)...t {
          let Wi = c[.W_hAtStep].map { cs in (0..<(H * H)).map { W[$0] + ε * cs[(i - 1) * H * H + $0] } } ?? W
          z = preactivation(i, h, W: Wi, W_e: We, E: Em, b: b1)
          h = (0..<H).map { f.onPiece(of: zbar[i - 1][$0], z[$0]) }
        }
        if let cz = c[.outputPreactivations] {
          h = (0..<H).map { f.onPiece(of: zbar[t - 1][$0], z[$0] + ε * cz[(t - 1) * H + $0]) }
        }
        let logits = (0..<V).map { v -> Double in
          var l = 0.0
          for j in 0..<H { l += Um[v * H + j] * h[j] }
          if options.useBiases { l += b2[v] }
          if let cl = c[.logits] { l += ε * cl[(t - 1) * V + v] }
          return l
        }
        let m = logits.max()!
        total += log(logits.reduce(0) { $0 + exp($1 - m) }) + m - logits[tokens[t]]
      }
      let weight = objective == .loss && options.reduction == .mean ? 1 / Double(T) : 1
      return weight * total
    }
  }

  static let steps: [Double] = [1e-4, -1e-4, 3e-3, 0]

  /// Every entry of every quantity of `line`, under each objective: the entry path taken, its
  /// bits those of the dense direction, its values those of the plain forward pass.
  static func check(_ line: RNNLine, _ plain: PlainLine, quantities: [RNNLine.Quantity], _ what: String) {
    for objective in [RNNLine.Objective.loss, .stepLosses, .lastStep] {
      for q in quantities {
        let (rows, cols) = line.shape(of: q)
        for k in 0..<(rows * cols) {
          var basis = [Double](repeating: 0, count: rows * cols)
          basis[k] = 1
          guard let fast = line.entryValues(at: steps, quantity: q, index: k, objective: objective) else {
            Issue.record("\(what) \(q)[\(k)] \(objective): the entry path fell back at a finite point")
            continue
          }
          let public_ = line.values(at: steps, along: .entry(q, k), objective: objective)
          let dense = line.values(at: steps, along: RNNLine.Direction(q, Matrix(rows: rows, cols: cols, scalars: basis)), objective: objective)
          for (j, ε) in steps.enumerated() {
            if fast[j].bitPattern != dense[j].bitPattern || public_[j].bitPattern != dense[j].bitPattern {
              Issue.record("\(what) \(q)[\(k)] \(objective) ε = \(ε): entry path \(fast[j]) (through values \(public_[j])), dense \(dense[j])")
            }
            if j % 2 == 1 { continue }                // the plain pass at +10⁻⁴ and 3·10⁻³
            let expected = plain.value(ε, along: [q: basis], objective)
            let err = abs(fast[j] - expected) / max(1, abs(expected))
            if !(err <= 1e-13) {
              Issue.record("\(what) \(q)[\(k)] \(objective) ε = \(ε): entry path \(fast[j]), plain forward pass \(expected), error \(err)")
            }
          }
        }
      }
    }
  }

  @Test("the column form: every entry, every objective, the whole option table", arguments: randomSeeds.indices)
  func columnForm(seedIndex: Int) {
    let seed = randomSeeds[seedIndex]
    let s = SeededCase(seed: seed)
    let p = s.parameters
    for (n, o) in optionTable.enumerated() where n % randomSeeds.count == seedIndex {
      let line = RNNLine(p, tokens: s.tokens, options: o.options)
      let plain = PlainLine(W_h: p.W_h, W_e: p.W_e, E: p.E, b_1: p.b_1, U: p.U, b_2: p.b_2, h0: p.h0, tokens: s.tokens, options: o.options)
      Self.check(line, plain, quantities: RNNLine.Quantity.allCases, "\(o) seed \(seed)")
    }
  }

  @Test("the canonical one-hot form: every entry, every objective", arguments: randomSeeds.indices)
  func canonicalForm(seedIndex: Int) {
    let seed = randomSeeds[seedIndex]
    var rng = SplitMix64(seed: seed)
    let p = CanonicalRNNParameters.random(vocabularySize: 6, hiddenSize: 4, scale: 0.8, using: &rng)
    let tokens = (0...5).map { _ in rng.int(below: 6) }
    let table = [CanonicalRNN.defaultOptions] + optionTable.enumerated().filter { $0.offset % 20 == seedIndex }.map(\.element.options)
    for options in table {
      let line = RNNLine(p, tokens: tokens, options: options)
      let plain = PlainLine(W_h: p.W_hh, W_e: p.W_xh, E: nil, b_1: p.b_h, U: p.W_yh, b_2: p.b_y, h0: p.h0, tokens: tokens, options: options)
      Self.check(line, plain, quantities: RNNLine.Quantity.allCases.filter { $0 != .E }, "canonical \(options) seed \(seed)")
    }
  }

  @Test("one logit moved: the cross-entropy of the whole row, to the bit, the max kept, moved, tied", arguments: randomSeeds)
  func movedLogit(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let T = 3, V = 9
    var L = rng.matrix(T, V)
    // Row 2 ties its max (entries 1 and 5).
    L.scalars[V + 5] = L.scalars[V + 1] + 10
    L.scalars[V + 1] = L.scalars[V + 5]
    let tokens = [0] + (0..<T).map { _ in rng.int(below: V) }
    guard let rows = PointRows(logits: L, tokens: tokens, hiddenSize: 1) else {
      Issue.record("seed \(seed): no point rows for a finite 3 × 9 layer")
      return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: V) { scratch in
      L.scalars.withUnsafeBufferPointer { Lp in
        for t in 1...T {
          let row = Array(L.scalars[((t - 1) * V)..<(t * V)])
          #expect(rows.losses[t - 1].bitPattern == RNNLine.crossEntropy(row, target: tokens[t]).bitPattern)
          let m = row.max()!
          for v in 0..<V {
            for moved in [row[v] + 1e-4, row[v] - 1e-4, row[v] + 3e-3, m, m + 1, row[v] - 5, row[v]] {
              var expected = row
              expected[v] = moved
              let fast = rows.loss(step: t, moving: v, to: moved, logits: Lp, target: tokens[t], scratch: scratch)
              let full = RNNLine.crossEntropy(expected, target: tokens[t])
              if fast.bitPattern != full.bitPattern {
                Issue.record("seed \(seed) step \(t) logit \(v) → \(moved): \(fast), the whole row \(full)")
              }
            }
          }
        }
      }
    }
  }

  @Test("an output layer too large for the point's rows: the dense path's bits", arguments: randomSeeds.prefix(3))
  func withoutPointRows(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    // T·|V|·H = 30 · 60 · 20 above `MatrixProduct.blockedThreshold`.
    let p = RNNParameters.random(vocabularySize: 60, embeddingSize: 3, hiddenSize: 20, scale: 0.5, using: &rng)
    let tokens = (0...30).map { _ in rng.int(below: 60) }
    let line = RNNLine(p, tokens: tokens, options: RNNOptions())
    #expect(line.pointRows == nil)
    for q in [RNNLine.Quantity.U, .b_2, .logits, .W_h] {
      let (rows, cols) = line.shape(of: q)
      for k in [0, 7, rows * cols - 1] {
        var basis = Matrix(rows: rows, cols: cols)
        basis.scalars[k] = 1
        let entry = line.values(at: Self.steps, along: .entry(q, k), objective: .loss).map(\.bitPattern)
        let dense = line.values(at: Self.steps, along: RNNLine.Direction(q, basis), objective: .loss).map(\.bitPattern)
        #expect(entry == dense, "\(q)[\(k)] seed \(seed)")
      }
    }
  }

  @Test("a line larger than the entry path's limit: the dense path's bits")
  func largeLine() {
    var rng = SplitMix64(seed: randomSeeds[1])
    // |V|·(d + H) + T·|V| = 2000 · 32 + 4 · 2000 numbers, above `RNNLine.entryPathLimit`.
    let p = RNNParameters.random(vocabularySize: 2000, embeddingSize: 16, hiddenSize: 16, scale: 0.5, using: &rng)
    let tokens = (0...4).map { _ in rng.int(below: 2000) }
    let line = RNNLine(p, tokens: tokens, options: RNNOptions())
    for q in [RNNLine.Quantity.U, .logits] {
      let (rows, cols) = line.shape(of: q)
      var basis = Matrix(rows: rows, cols: cols)
      basis.scalars[5] = 1
      #expect(line.entryValues(at: Self.steps, quantity: q, index: 5, objective: .loss) == nil, "\(q): no entry path")
      let entry = line.values(at: Self.steps, along: .entry(q, 5), objective: .loss).map(\.bitPattern)
      let dense = line.values(at: Self.steps, along: RNNLine.Direction(q, basis), objective: .loss).map(\.bitPattern)
      #expect(entry == dense, "\(q)")
    }
  }

  @Test("a point that is not finite: the dense path's bits", arguments: [Double.infinity, -.infinity, .nan])
  func notFinite(bad: Double) {
    let s = SeededCase(seed: randomSeeds[0])
    var p = s.parameters
    p.W_h.scalars[1] = bad
    let line = RNNLine(p, tokens: s.tokens, options: RNNOptions(activation: .relu))
    for q in [RNNLine.Quantity.W_h, .W_hAtStep, .U, .logits] {
      let (rows, cols) = line.shape(of: q)
      var basis = Matrix(rows: rows, cols: cols)
      basis.scalars[2] = 1
      #expect(line.entryValues(at: Self.steps, quantity: q, index: 2, objective: .loss) == nil, "\(q): no entry path at \(bad)")
      let entry = line.values(at: Self.steps, along: .entry(q, 2), objective: .loss).map(\.bitPattern)
      let dense = line.values(at: Self.steps, along: RNNLine.Direction(q, basis), objective: .loss).map(\.bitPattern)
      #expect(entry == dense, "\(q) at W_h[1] = \(bad)")
    }
  }
}
