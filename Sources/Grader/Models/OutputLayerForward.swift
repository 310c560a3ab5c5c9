import Jacobians

/// The forward pass of a recurrent language model after its recurrence: h^(0…T) and the cell's
/// states as the recurrence left them (z^(t) for the plain RNN, the gates for the LSTM and GRU),
/// ŷ^(t) in the rows of P (T × |V|), P U and the step losses against the next token and
/// against the current one.
///
/// ```
/// G, G U, J   = OutputLayerKernel.forwardBackward(h^(1…T), U, b_2, y^(t) = x^(t+1), wₜ = 1)
///               G = P − Y, G U = P U − Y U, J^(t) = log Σ_v e^(l_v) − l_{x(t+1)}, l = U h^(t) + b_2
/// P           = G + Y,   P U = G U + U[x^(t+1), :]   (one pass over U for the three)
/// J_current   = J^(t) + l_{x(t+1)} − l_{x(t)}
/// ```
/// For the output layer's own items (J, dU, db_2) P U is not needed: `backward: false` makes G
/// and J alone (`OutputLayerKernel.forward`, the same bits, no accumulation of G U), and P U is
/// made by the fused pass when first asked (`productWithU`).
final class OutputLayerForward<States> {
  /// (T + 1) × H, row t = h^(t)ᵀ.
  let hRows: Matrix
  let P: Matrix
  let lossNext: [Double], lossCurrent: [Double]
  /// P U (T × H): Σ_v ŷ^(t)_v U[v, :], the expensive half of every Uᵀ δ1^(t); nil until asked
  /// when the pass was made without it.
  private(set) var PU: Matrix?
  let states: States
  private let U: Matrix, b_2: Matrix?, targets: [Int]

  init(hRows: Matrix, states: States, U: Matrix, b_2: Matrix?, tokens: [Int], backward: Bool = true) {
    self.hRows = hRows
    self.states = states
    self.U = U
    self.b_2 = b_2
    let T = hRows.rows - 1, H = hRows.cols, V = U.rows
    let targets = (0..<T).map { tokens[$0 + 1] }
    self.targets = targets
    let passed = Self.pass(hRows: hRows, U: U, b_2: b_2, targets: targets, backward: backward)
    var G = passed.G, GU = passed.GU
    let next = passed.losses
    var current = [Double](repeating: 0, count: T)
    for t in 0..<T {
      let y = targets[t], x = tokens[t]
      G.scalars[t * V + y] += 1
      guard x != y else { current[t] = next[t]; continue }
      var ly = b_2?.scalars[y] ?? 0, lx = b_2?.scalars[x] ?? 0
      for j in 0..<H {
        let hj = hRows.scalars[(t + 1) * H + j]
        ly += U.scalars[y * H + j] * hj
        lx += U.scalars[x * H + j] * hj
      }
      current[t] = next[t] + (ly - lx)
    }
    P = G
    if GU != nil { Self.addTargetRows(&GU!, U: U, targets: targets) }
    PU = GU
    lossNext = next
    lossCurrent = current
  }

  /// P U, made by the fused pass (its G U, plus U[y^(t), :]) when the forward pass was made
  /// without it: the same bits as a forward pass made with it.
  func productWithU() -> Matrix {
    if let PU { return PU }
    var GU = Self.pass(hRows: hRows, U: U, b_2: b_2, targets: targets, backward: true).GU!
    Self.addTargetRows(&GU, U: U, targets: targets)
    PU = GU
    return GU
  }

  /// G U + U[y^(t), :] row by row.
  static func addTargetRows(_ GU: inout Matrix, U: Matrix, targets: [Int]) {
    let H = GU.cols
    for (t, y) in targets.enumerated() { for j in 0..<H { GU.scalars[t * H + j] += U.scalars[y * H + j] } }
  }

  /// G (T × |V|), the losses J^(t) and, with `backward`, G U (T × H): one pass over U.
  static func pass(hRows: Matrix, U: Matrix, b_2: Matrix?, targets: [Int], backward: Bool) -> (G: Matrix, losses: [Double], GU: Matrix?) {
    let T = hRows.rows - 1, H = hRows.cols, V = U.rows
    var G = Matrix(rows: T, cols: V), GU = Matrix(rows: T, cols: backward ? H : 0)
    let bias = b_2?.scalars ?? [0]
    let weights = [Double](repeating: 1, count: T)
    let losses = hRows.scalars.withUnsafeBufferPointer { x in
      U.scalars.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in
          G.scalars.withUnsafeMutableBufferPointer { g in
            GU.scalars.withUnsafeMutableBufferPointer { gu in
              backward
                ? OutputLayerKernel.forwardBackward(
                  x: x.baseAddress! + H, ldx: H, rows: T, width: H, w: w.baseAddress!, classes: V, bias: b_2 == nil ? nil : b.baseAddress!,
                  targets: targets, stepWeights: weights, g: g.baseAddress!, dx: gu.baseAddress!, db: nil)
                : OutputLayerKernel.forward(
                  x: x.baseAddress! + H, ldx: H, rows: T, width: H, w: w.baseAddress!, classes: V, bias: b_2 == nil ? nil : b.baseAddress!,
                  targets: targets, stepWeights: weights, g: g.baseAddress!)
            }
          }
        }
      }
    }
    return (G, losses, backward ? GU : nil)
  }
}
