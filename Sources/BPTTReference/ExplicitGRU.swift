import Jacobians

/// The Jacobians of one GRU cell at step i, each built as an `H × H` matrix (column vectors;
/// J[r][s] = ∂yᵣ/∂xₛ). r̂, ẑ, n̂ are the pre-activations of r, z, n; h = h^(i), h′ = h^(i−1).
///
/// ```
///                              update keep           update new
/// hiddenByCandidate   ∂h/∂n    diag(1 − z)           diag(z)
/// hiddenByUpdate      ∂h/∂z    diag(h′ − n)          diag(n − h′)
/// hiddenByPrevious    ∂h/∂h′   diag(z)               diag(1 − z)         (z, n held fixed)
///
/// resetByPreactivation      ∂r/∂r̂   diag(σ′(r̂))
/// updateByPreactivation     ∂z/∂ẑ   diag(σ′(ẑ))
/// candidateByPreactivation  ∂n/∂n̂   diag(tanh′(n̂))
///
///                                      reset after            reset before
/// candidateByReset          ∂n̂/∂r      diag(ah_n)             W_hn diag(h′)
/// candidateByRecurrentTerm  ∂n̂/∂ah_n   diag(r)                I
/// candidateByPrevious       ∂n̂/∂h′     diag(r) W_hn           W_hn diag(r)        (r held fixed)
/// resetByPrevious           ∂r̂/∂h′     W_hr
/// updateByPrevious          ∂ẑ/∂h′     W_hz
/// ```
public struct GRUCellJacobians: Equatable, Sendable {
  public var hiddenByCandidate: Matrix
  public var hiddenByUpdate: Matrix
  public var hiddenByPrevious: Matrix
  public var resetByPreactivation: Matrix
  public var updateByPreactivation: Matrix
  public var candidateByPreactivation: Matrix
  public var candidateByReset: Matrix
  public var candidateByRecurrentTerm: Matrix
  public var candidateByPrevious: Matrix
  public var resetByPrevious: Matrix
  public var updateByPrevious: Matrix

  /// ∂h^(i)/∂h^(i−1), every path (H × H):
  /// ```
  /// hiddenByPrevious + hiddenByUpdate · diag(σ′(ẑ)) · W_hz
  ///   + hiddenByCandidate · diag(tanh′(n̂)) · (candidateByPrevious + candidateByReset · diag(σ′(r̂)) · W_hr)
  /// ```
  public var stateJacobian: Matrix {
    let throughUpdate = hiddenByUpdate * updateByPreactivation * updateByPrevious
    let throughCandidate = hiddenByCandidate * candidateByPreactivation
      * (candidateByPrevious + candidateByReset * resetByPreactivation * resetByPrevious)
    return hiddenByPrevious + throughUpdate + throughCandidate
  }
}

/// Backpropagation through time for the GRU, the explicit path: every loss term J^(t) on its
/// own, through the gate Jacobians of `GRUCellJacobians` multiplied out as matrices, every
/// per-timestep term formed and summed. Row vectors are Jacobians of the scalar J^(t).
///
/// For i = t, …, firstKeptStep(t), from ∂J^(t)/∂h^(i) (δ1^(t)ᵀ U at i = t):
/// ```
/// ∂J^(t)/∂n̂ = ∂J^(t)/∂h^(i) · hiddenByCandidate · diag(tanh′(n̂))             (1 × H)
/// ∂J^(t)/∂ẑ = ∂J^(t)/∂h^(i) · hiddenByUpdate · diag(σ′(ẑ))
/// ∂J^(t)/∂r̂ = ∂J^(t)/∂n̂ · candidateByReset · diag(σ′(r̂))
/// ∂J^(t)/∂ax^(i) = [∂J^(t)/∂r̂, ∂J^(t)/∂ẑ, ∂J^(t)/∂n̂]                          (1 × 3H)
/// ∂J^(t)/∂ah^(i) = [∂J^(t)/∂r̂, ∂J^(t)/∂ẑ, ∂J^(t)/∂n̂ · candidateByRecurrentTerm]
/// ∂J^(t)/∂h^(i−1) = ∂J^(t)/∂h^(i) · stateJacobian                               (1 × H), the carry
/// ∂J^(t)/∂W_x|_(i) = (∂J^(t)/∂ax^(i))ᵀ e^(i)ᵀ  (3H × d)     ∂J^(t)/∂b_x|_(i) = (∂J^(t)/∂ax^(i))ᵀ
/// ∂J^(t)/∂W_h|_(i) = (∂J^(t)/∂ah^(i))ᵀ h̃ᵀ      (3H × H), h̃ = h^(i−1), or r ⊙ h^(i−1) in the n block `before`
/// ∂J^(t)/∂b_h|_(i) = (∂J^(t)/∂ah^(i))ᵀ          ∂J^(t)/∂E[:, x(i)]|_(i) = W_xᵀ (∂J^(t)/∂ax^(i))ᵀ
/// ```
/// Weighted 1/T (mean) or 1 (sum) into J. Cost O(T² H³); for small models.
public enum ExplicitGRU {
  /// The Jacobians of the cell at step i (1…T).
  public static func cellJacobians(_ p: GRUParameters, forward fp: GRUForwardPass, options: GRUOptions, step i: Int) -> GRUCellJacobians {
    if i < 1 || i > fp.steps { stop(.stepOutOfRange(step: i, steps: fp.steps)) }
    let H = p.hiddenSize
    let r = fp.r.row(i - 1).T, z = fp.z.row(i - 1).T, n = fp.n.row(i - 1).T
    let hPrev = fp.h.row(i - 1).T
    let ax = fp.ax.row(i - 1).T, ah = fp.ah.row(i - 1).T
    func block(_ v: Matrix, _ k: Int) -> Matrix { Matrix(column: Array(v.scalars[(k * H)..<((k + 1) * H)])) }
    let W_hr = p.W_h.rows(0..<H), W_hz = p.W_h.rows(H..<(2 * H)), W_hn = p.W_h.rows((2 * H)..<(3 * H))
    let ones = Matrix(rows: H, cols: 1, repeating: 1)
    let sigmoid = Activation.sigmoid, tanh = Activation.tanh
    let rHat = block(ax, 0) + block(ah, 0), zHat = block(ax, 1) + block(ah, 1)
    let nHat = options.reset == .after ? block(ax, 2) + r ⊙ block(ah, 2) : block(ax, 2) + block(ah, 2)
    let keep = options.update == .keep
    let after = options.reset == .after
    return GRUCellJacobians(
      hiddenByCandidate: .diag(keep ? ones - z : z),
      hiddenByUpdate: .diag(keep ? hPrev - n : n - hPrev),
      hiddenByPrevious: .diag(keep ? z : ones - z),
      resetByPreactivation: .diag(sigmoid.derivative(rHat)),
      updateByPreactivation: .diag(sigmoid.derivative(zHat)),
      candidateByPreactivation: .diag(tanh.derivative(nHat)),
      candidateByReset: after ? .diag(block(ah, 2)) : W_hn * .diag(hPrev),
      candidateByRecurrentTerm: after ? .diag(r) : .identity(H),
      candidateByPrevious: after ? .diag(r) * W_hn : W_hn * .diag(r),
      resetByPrevious: W_hr,
      updateByPrevious: W_hz)
  }

  /// ∂J/∂θ and the carries as the sum over t of the sum over the kept i of the per-timestep
  /// terms; then clipping. Agrees with `GRU.gradients`.
  public static func gradients(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()) -> GRUGradients {
    let fp = GRU.forward(p, tokens: tokens, options: options)
    let T = fp.steps, H = p.hiddenSize
    let w = options.reduction.weight(steps: T)
    var g = GRUGradients(zerosLike: p, steps: T)
    g.loss = fp.loss
    let jacobians = (1...T).map { cellJacobians(p, forward: fp, options: options, step: $0) }
    let stateJacobians = jacobians.map(\.stateJacobian)                // ∂h^(i)/∂h^(i−1), H × H
    for t in 1...T {
      var delta1 = fp.yhat.row(t - 1).T                         // δ1^(t) = ŷ^(t) − y^(t)
      delta1[tokens[t], 0] -= 1
      g.dU += w * (delta1 * fp.h.row(t))
      g.db_2 += w * delta1
      let first = options.truncation.firstKeptStep(for: t)
      var dJdh = delta1.T * p.U                                 // ∂J^(t)/∂h^(t)   1 × H
      for i in stride(from: t, through: first, by: -1) {
        let J = jacobians[i - 1]
        let dJdnHat = dJdh * J.hiddenByCandidate * J.candidateByPreactivation
        let dJdzHat = dJdh * J.hiddenByUpdate * J.updateByPreactivation
        let dJdrHat = dJdnHat * J.candidateByReset * J.resetByPreactivation
        let dJdax = Matrix(row: dJdrHat.scalars + dJdzHat.scalars + dJdnHat.scalars)                 // 1 × 3H
        let dJdah = Matrix(row: dJdrHat.scalars + dJdzHat.scalars + (dJdnHat * J.candidateByRecurrentTerm).scalars)
        addRow(&g.dh, i - 1, w * dJdh)
        addRow(&g.dax, i - 1, w * dJdax)
        addRow(&g.dah, i - 1, w * dJdah)
        let hPrev = fp.h.row(i - 1)                              // h^(i−1)ᵀ   1 × H
        let hTilde = options.reset == .before ? fp.r.row(i - 1) ⊙ hPrev : hPrev
        var termW_h = dJdah.T * hPrev                            // (3H × 1)(1 × H)
        let termW_hn = Matrix(column: Array(dJdah.scalars[(2 * H)..<(3 * H)])) * hTilde
        for k in 0..<(H * H) { termW_h.scalars[2 * H * H + k] = termW_hn.scalars[k] }
        g.dW_h += w * termW_h
        g.db_h += w * dJdah.T
        g.dW_x += w * (dJdax.T * fp.e.row(i - 1))                // (3H × 1)(1 × d)
        g.db_x += w * dJdax.T
        let de = p.W_x.T * dJdax.T                               // ∂J^(t)/∂e^(i)   d × 1
        for k in 0..<p.embeddingSize { g.dE[k, tokens[i - 1]] += w * de[k, 0] }
        if i == first && first > 1 { break }
        dJdh = dJdh * stateJacobians[i - 1]                      // ∂J^(t)/∂h^(i−1)
        if i == 1 { g.dh0 += w * dJdh.T }
      }
    }
    return g.clipped(options.clipping)
  }

  /// ∂J^(t)/∂h^(i) (1 × H rows) for i = t, t − 1, …, 0 (element t − i), untruncated and
  /// unweighted, through the chain of `stateJacobian`s.
  public static func hiddenGradients(_ p: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions(), t: Int) -> [Matrix] {
    let fp = GRU.forward(p, tokens: tokens, options: options)
    if t < 1 || t > fp.steps { stop(.stepOutOfRange(step: t, steps: fp.steps)) }
    var delta1 = fp.yhat.row(t - 1).T
    delta1[tokens[t], 0] -= 1
    var row = delta1.T * p.U
    var out = [row]
    for i in stride(from: t, through: 1, by: -1) {
      row = row * cellJacobians(p, forward: fp, options: options, step: i).stateJacobian
      out.append(row)
    }
    return out
  }
}
