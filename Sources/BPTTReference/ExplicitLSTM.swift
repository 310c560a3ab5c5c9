import Jacobians

/// The Jacobians of one LSTM cell at step i, each built as a matrix (column vectors; Jacobian
/// convention J[r][s] = ∂yᵣ/∂xₛ). γ = [i; f; o; g] is the vector of the four gates, `4H × 1`,
/// its blocks in the gate order (as a^(i)).
///
/// ```
/// gates          ∂γ/∂a^(i)          4H × 4H   blockdiag(diag(σ′(a_i)), diag(σ′(a_f)),
///                                             diag(σ′(a_o)), diag(tanh′(a_g)))
/// cellByGates    ∂c^(i)/∂γ          H × 4H    diag(g) at i, diag(c^(i−1)) at f, 0 at o, diag(i) at g
/// hiddenByGates  ∂h^(i)/∂γ|_c       H × 4H    diag(tanh(c^(i))) at o, 0 elsewhere (c^(i) held fixed)
/// hiddenByCell   ∂h^(i)/∂c^(i)      H × H     diag(o ⊙ tanh′(c^(i)))
/// cellByPreviousCell ∂c^(i)/∂c^(i−1)  H × H   diag(f)            (the cell's gradient highway)
/// inputByPrevious  ∂a^(i)/∂h^(i−1)  4H × H    W_h
/// ```
public struct LSTMCellJacobians: Equatable, Sendable {
  public var gates: Matrix
  public var cellByGates: Matrix
  public var hiddenByGates: Matrix
  public var hiddenByCell: Matrix
  public var cellByPreviousCell: Matrix
  public var inputByPrevious: Matrix

  public init(gates: Matrix, cellByGates: Matrix, hiddenByGates: Matrix, hiddenByCell: Matrix,
              cellByPreviousCell: Matrix, inputByPrevious: Matrix) {
    self.gates = gates
    self.cellByGates = cellByGates
    self.hiddenByGates = hiddenByGates
    self.hiddenByCell = hiddenByCell
    self.cellByPreviousCell = cellByPreviousCell
    self.inputByPrevious = inputByPrevious
  }

  /// ∂c^(i)/∂a^(i) = cellByGates · gates                                     (H × 4H)
  public var cellByInput: Matrix { cellByGates * gates }
  /// ∂h^(i)/∂a^(i) = (hiddenByGates + hiddenByCell · cellByGates) · gates     (H × 4H)
  public var hiddenByInput: Matrix { (hiddenByGates + hiddenByCell * cellByGates) * gates }

  /// The Jacobian of the state s^(i) = [h^(i); c^(i)] (2H × 1) with respect to s^(i−1):
  /// ```
  /// ┌ ∂h^(i)/∂h^(i−1)  ∂h^(i)/∂c^(i−1) ┐   ┌ hiddenByInput · W_h   hiddenByCell · diag(f) ┐
  /// └ ∂c^(i)/∂h^(i−1)  ∂c^(i)/∂c^(i−1) ┘ = └ cellByInput · W_h     diag(f)                ┘   (2H × 2H)
  /// ```
  public var stateJacobian: Matrix {
    let hh = hiddenByInput * inputByPrevious, hc = hiddenByCell * cellByPreviousCell
    let ch = cellByInput * inputByPrevious, cc = cellByPreviousCell
    let H = hh.rows
    return Matrix(rows: 2 * H, cols: 2 * H) { r, s in
      switch (r < H, s < H) {
      case (true, true): return hh[r, s]
      case (true, false): return hc[r, s - H]
      case (false, true): return ch[r - H, s]
      case (false, false): return cc[r - H, s - H]
      }
    }
  }
}

/// Backpropagation through time for the LSTM the way the notes derive it for the RNN
/// (`ExplicitBPTT`), the explicit path: every loss term J^(t) is back-propagated on its own
/// through the gate Jacobians of `LSTMCellJacobians`, multiplied out as matrices, and every
/// per-timestep term is formed and summed.
///
/// Row vectors are the Jacobians of the scalar J^(t) (1 × ·); gradients are their transposes.
/// For i = t, t − 1, …, firstKeptStep(t), with the carries ∂J^(t)/∂h^(i) (from step i + 1, or
/// δ1^(t)ᵀ U at i = t) and ∂J^(t)/∂c^(i+1) · diag(f^(i+1)) (zero at i = t):
/// ```
/// ∂J^(t)/∂h^(t)    = δ1^(t)ᵀ U                                               (1 × H)
/// ∂J^(t)/∂c^(i)    = ∂J^(t)/∂h^(i) · hiddenByCell + ∂J^(t)/∂c^(i+1) · diag(f^(i+1))   (1 × H)
/// ∂J^(t)/∂γ^(i)    = ∂J^(t)/∂h^(i) · hiddenByGates + ∂J^(t)/∂c^(i) · cellByGates      (1 × 4H)
/// ∂J^(t)/∂a^(i)    = ∂J^(t)/∂γ^(i) · gates                                    (1 × 4H)
/// ∂J^(t)/∂h^(i−1)  = ∂J^(t)/∂a^(i) · W_h                                      (1 × H), the carry
/// ∂J^(t)/∂W_h|_(i) = (∂J^(t)/∂a^(i))ᵀ h^(i−1)ᵀ       (4H × H) = (4H × 1)(1 × H)
/// ∂J^(t)/∂W_x|_(i) = (∂J^(t)/∂a^(i))ᵀ e^(i)ᵀ         (4H × d)
/// ∂J^(t)/∂b|_(i)   = (∂J^(t)/∂a^(i))ᵀ                 (4H × 1)
/// ∂J^(t)/∂E[:, x(i)]|_(i) = W_xᵀ (∂J^(t)/∂a^(i))ᵀ     (d × 1)
/// ∂J^(t)/∂h^(0) = ∂J^(t)/∂a^(1) · W_h,   ∂J^(t)/∂c^(0) = ∂J^(t)/∂c^(1) · diag(f^(1))   (when kept)
/// ```
/// J = Σₜ wₜ J^(t): every term is weighted 1/T (mean) or 1 (sum); the carries dh, dc, da are
/// the weighted sums of the rows above. Cost O(T² H³); for small models.
public enum ExplicitLSTM {
  /// The Jacobians of the cell at step i (1…T) from the forward pass.
  public static func cellJacobians(_ p: LSTMParameters, forward fp: LSTMForwardPass, step i: Int) -> LSTMCellJacobians {
    if i < 1 || i > fp.steps { stop(.stepOutOfRange(step: i, steps: fp.steps)) }
    let H = p.hiddenSize
    let order = fp.gateOrder
    let gi = fp.i.row(i - 1).T, gf = fp.f.row(i - 1).T, go = fp.o.row(i - 1).T, gg = fp.g.row(i - 1).T
    let c = fp.c.row(i).T, cPrev = fp.c.row(i - 1).T
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    // Block-diagonal pieces, placed by the gate order.
    var gates = Matrix(rows: 4 * H, cols: 4 * H)
    var cellByGates = Matrix(rows: H, cols: 4 * H), hiddenByGates = Matrix(rows: H, cols: 4 * H)
    func place(_ m: inout Matrix, _ block: Matrix, row: Int, column: Int) {
      for r in 0..<block.rows { for s in 0..<block.cols { m[row + r, column + s] = block[r, s] } }
    }
    for gate in LSTMGate.allCases {
      let k = order.block(gate) * H
      let pre = fp.preactivation(gate).row(i - 1).T
      let derivative = gate == .cell ? Matrix.diag(tanh.derivative(pre)) : Matrix.diag(sigmoid.derivative(pre))
      place(&gates, derivative, row: k, column: k)
      switch gate {
      case .input: place(&cellByGates, .diag(gg), row: 0, column: k)        // ∂c/∂i = diag(g)
      case .forget: place(&cellByGates, .diag(cPrev), row: 0, column: k)    // ∂c/∂f = diag(c^(i−1))
      case .cell: place(&cellByGates, .diag(gi), row: 0, column: k)         // ∂c/∂g = diag(i)
      case .output: place(&hiddenByGates, .diag(tanh(c)), row: 0, column: k) // ∂h/∂o = diag(tanh c^(i))
      }
    }
    return LSTMCellJacobians(
      gates: gates, cellByGates: cellByGates, hiddenByGates: hiddenByGates,
      hiddenByCell: .diag(go ⊙ tanh.derivative(c)), cellByPreviousCell: .diag(gf), inputByPrevious: p.W_h)
  }

  /// ∂J/∂θ for every parameter and the carries, as the sum over t of the sum over the kept i of
  /// the per-timestep terms; then clipping. Agrees with `LSTM.gradients`.
  public static func gradients(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()) -> LSTMGradients {
    let fp = LSTM.forward(p, tokens: tokens, options: options)
    let T = fp.steps, H = p.hiddenSize
    let w = options.reduction.weight(steps: T)
    var g = LSTMGradients(zerosLike: p, steps: T)
    g.loss = fp.loss
    let jacobians = (1...T).map { cellJacobians(p, forward: fp, step: $0) }
    for t in 1...T {
      // δ1^(t) = ŷ^(t) − y^(t)   (|V| × 1)
      var delta1 = fp.yhat.row(t - 1).T
      delta1[tokens[t], 0] -= 1
      g.dU += w * (delta1 * fp.h.row(t))                      // δ1^(t) h^(t)ᵀ     |V| × H
      g.db_2 += w * delta1
      let first = options.truncation.firstKeptStep(for: t)
      var dJdh = delta1.T * p.U                               // ∂J^(t)/∂h^(t)       1 × H
      var dJdcFuture = Matrix(rows: 1, cols: H)               // ∂J^(t)/∂c^(i+1) · diag(f^(i+1))
      for i in stride(from: t, through: first, by: -1) {
        let J = jacobians[i - 1]
        let dJdc = dJdh * J.hiddenByCell + dJdcFuture         // ∂J^(t)/∂c^(i)       1 × H
        let dJdgates = dJdh * J.hiddenByGates + dJdc * J.cellByGates   // ∂J^(t)/∂γ^(i)   1 × 4H
        let dJda = dJdgates * J.gates                         // ∂J^(t)/∂a^(i)       1 × 4H
        addRow(&g.dh, i - 1, w * dJdh)
        addRow(&g.dc, i - 1, w * dJdc)
        addRow(&g.da, i - 1, w * dJda)
        let e = fp.e.row(i - 1).T                             // e^(i) = E x^(i)      d × 1
        g.dW_h += w * (dJda.T * fp.h.row(i - 1))              // (4H × 1)(1 × H)
        g.dW_x += w * (dJda.T * e.T)                          // (4H × 1)(1 × d)
        g.db += w * dJda.T
        let de = p.W_x.T * dJda.T                             // ∂J^(t)/∂e^(i)        d × 1
        for k in 0..<p.embeddingSize { g.dE[k, tokens[i - 1]] += w * de[k, 0] }
        if i == first && first > 1 { break }                  // (h, c)^(first−1) is a constant
        let dJdhPrevious = dJda * J.inputByPrevious           // ∂J^(t)/∂h^(i−1)     1 × H
        let dJdcPrevious = dJdc * J.cellByPreviousCell        // ∂J^(t)/∂c^(i−1) through c^(i)
        if i == 1 {
          g.dh0 += w * dJdhPrevious.T
          g.dc0 += w * dJdcPrevious.T
        }
        dJdh = dJdhPrevious
        dJdcFuture = dJdcPrevious
      }
    }
    return g.clipped(options.clipping)
  }

  /// ∂J^(t)/∂h^(i) and ∂J^(t)/∂c^(i) for i = t, t − 1, …, 0 (element t − i), untruncated and
  /// unweighted: how the gradient of one loss term travels back through the cell (c's path
  /// through diag(f) is the one that need not vanish).
  public static func stateGradients(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions(), t: Int)
    -> [LSTMStateGradient]
  {
    let fp = LSTM.forward(p, tokens: tokens, options: options)
    if t < 1 || t > fp.steps { stop(.stepOutOfRange(step: t, steps: fp.steps)) }
    var delta1 = fp.yhat.row(t - 1).T
    delta1[tokens[t], 0] -= 1
    var dJdh = delta1.T * p.U
    var dJdcFuture = Matrix(rows: 1, cols: p.hiddenSize)
    var out: [LSTMStateGradient] = []
    for i in stride(from: t, through: 1, by: -1) {
      let J = cellJacobians(p, forward: fp, step: i)
      let dJdc = dJdh * J.hiddenByCell + dJdcFuture
      out.append(LSTMStateGradient(dh: dJdh, dc: dJdc))
      let dJda = (dJdh * J.hiddenByGates + dJdc * J.cellByGates) * J.gates
      dJdh = dJda * J.inputByPrevious
      dJdcFuture = dJdc * J.cellByPreviousCell
    }
    out.append(LSTMStateGradient(dh: dJdh, dc: dJdcFuture))   // h^(0), c^(0): no path c^(0) → h^(0)
    return out
  }
}

/// The gradient of one loss term J^(t) with respect to the LSTM's state at step i, as rows
/// (Jacobians of the scalar J^(t)), with the adjoint conventions of `LSTMGradients`:
/// ```
/// dh   1 × H   ∂J^(t)/∂h^(i)   (c^(i) held fixed)
/// dc   1 × H   ∂J^(t)/∂c^(i)   (through h^(i) and c^(i+1))
/// ```
public struct LSTMStateGradient: Equatable, Sendable {
  public var dh: Matrix
  public var dc: Matrix

  public init(dh: Matrix, dc: Matrix) {
    self.dh = dh
    self.dc = dc
  }
}

/// m[row, :] += v for a 1 × m.cols row v.
func addRow(_ m: inout Matrix, _ row: Int, _ v: Matrix) {
  for j in 0..<m.cols { m.scalars[row * m.cols + j] += v.scalars[j] }
}
