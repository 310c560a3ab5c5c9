import Jacobians

/// One mistake in the feed-forward derivations of `backprop-basics` (note 003).
///
/// ```
/// signFlipped               ∂CE/∂θ = y − ŷ;  ∂L/∂W_cls = (1/N) Xᵀ(Y − P) + 2λW_cls
/// activationForDerivative   diag(f(z)) where diag(f′(z)) belongs (and σ(s) for σ′(s))
/// diagonalSoftmaxJacobian   ∂ŷ/∂θ = diag(ŷ ⊙ (1 − ŷ)), so ∂CE/∂θ = (ŷ_l − 1) e_l
/// biasOmitted               z = Wx (the forward pass without b)
/// regularizationMissing     ∂L/∂W_cls = (1/N) Xᵀ(P − Y)
/// otherL2Factor             λW for the penalty λΣW² (or 2λW for ½λΣW²)
/// maxRoutedWrong            the max gate routes its gradient to the smaller input
/// branchesNotSummed         ∂f/∂y keeps only the add branch b (the max branch a·1(y ≥ z) lost)
/// chainRuleOnePath          dz/dt = ∂z/∂x·dx/dt (the path through y dropped)
/// ```
public enum BasicsMistake: String, Sendable, CaseIterable {
  case signFlipped, activationForDerivative, diagonalSoftmaxJacobian, biasOmitted
  case regularizationMissing, otherL2Factor, maxRoutedWrong, branchesNotSummed, chainRuleOnePath
}

/// The `backprop-basics` items computed with one mistake, written out beside the reference
/// formulas (the reference itself is `BackpropBasics`). Tests show that with `nil` (no mistake)
/// every item equals the reference.
///
/// ```
/// z = Wx + b, h = f(z), s = uᵀh          δ = uᵀ ⊙ f′(z) (1 × n), ∂s/∂W = δᵀxᵀ (n × m), ∂s/∂x = Wᵀδᵀ (m)
/// ŷ = softmax(θ), CE = −log ŷ_l           ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ (K × K), ∂CE/∂θ = ŷ − y (K)
/// J = σ(u_winᵀ f(W_win x + b_win))        δ = σ′(s)(u_winᵀ ⊙ f′(z)), ∂J/∂W_win = δᵀxᵀ, ∂J/∂x = W_winᵀδᵀ
/// L = mean CE(X W_cls) + cλΣW_cls²        ∂L/∂W_cls = (1/N) Xᵀ(P − Y) + 2cλW_cls (D × C)
/// f = (x + y)·max(y, z)                   (b, b + a·1(y ≥ z), a·1(z > y))
/// z = x²y − y², x = t², y = 2t            dz/dt = 2xy·2t + (x² − 2y)·2
/// ```
public enum MutantBasics {
  /// The value of `item` at `inputs` with `mistake`; nil when the mistake does not enter the item
  /// or, at these inputs, changes nothing (the max branch with y < z).
  public static func value(item: String, inputs: [String: Tensor], f: Activation, l2: L2Factor, windowSize: Int, d: Int, mistake: BasicsMistake?) -> Tensor? {
    let m = mistake
    // The scoring network and the window classifier share the layer z = Wx + b, h = f(z).
    func layer(_ W: Matrix, _ b: Matrix, _ x: Matrix) -> (z: Matrix, h: Matrix, local: Matrix) {
      let z = m == .biasOmitted ? W * x : W * x + b
      return (z, f(z), m == .activationForDerivative ? f(z) : f.derivative(z))
    }
    switch item {
    case "dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du":
      guard m == nil || m == .activationForDerivative || m == .biasOmitted else { return nil }
      if m == .activationForDerivative && item == "ds_du" { return nil }
      let W = inputs["W"]!.matrix, b = inputs["b"]!.matrix, u = inputs["u"]!.matrix, x = inputs["x"]!.matrix
      let l = layer(W, b, x)
      let delta = u ⊙ l.local                                   // δᵀ = u ⊙ f′(z)       n × 1
      switch item {
      case "dh_dz": return Tensor(Matrix.diag(l.local))         // diag(f′(z))          n × n
      case "delta", "ds_db": return Tensor(delta, vector: true)
      case "ds_dW": return Tensor(Matrix.outer(delta, x))       // δᵀ xᵀ                n × m
      case "ds_dx": return Tensor(W.T * delta, vector: true)    // Wᵀ δᵀ                m
      default: return Tensor(l.h, vector: true)                 // ∂s/∂u = h            n
      }
    case "softmax_jacobian":
      guard m == nil || m == .diagonalSoftmaxJacobian else { return nil }
      let p = Softmax.probabilities(inputs["theta"]!.matrix)
      if m == .diagonalSoftmaxJacobian { return Tensor(Matrix.diag(p.map { $0 * (1 - $0) })) }
      return Tensor(ElementaryJacobians.softmax(probabilities: p))
    case "dCE_dtheta":
      guard m == nil || m == .diagonalSoftmaxJacobian || m == .signFlipped else { return nil }
      let theta = inputs["theta"]!.matrix
      return Tensor(scoreGradient(Softmax.probabilities(theta), label: Int(inputs["label"]!.scalar), mistake: m), vector: true)
    case "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win":
      guard m == nil || m == .activationForDerivative || m == .biasOmitted else { return nil }
      let W = inputs["W_win"]!.matrix, b = inputs["b_win"]!.matrix, u = inputs["u_win"]!.matrix
      let x = Matrix(column: inputs["window"]!.scalars)         // [x_1; …; x_k]          kd × 1
      let l = layer(W, b, x)
      let s = (u.T * l.h)[0, 0]
      let sigma = Activation.logistic(s)
      let dJ_ds = m == .activationForDerivative ? sigma : sigma * (1 - sigma)   // σ′(s)
      let delta = dJ_ds * (u ⊙ l.local)                         // δᵀ                    n × 1
      switch item {
      case "dJ_dwindow": return Tensor(Matrix(rows: windowSize, cols: d, scalars: (W.T * delta).scalars))
      case "dJ_dW_win": return Tensor(Matrix.outer(delta, x))
      case "dJ_db_win": return Tensor(delta, vector: true)
      default: return Tensor(dJ_ds * l.h, vector: true)
      }
    case "dL_dW_cls":
      guard m == nil || [.signFlipped, .diagonalSoftmaxJacobian, .regularizationMissing, .otherL2Factor].contains(m!) else { return nil }
      let X = inputs["X"]!.matrix, y = inputs["y"]!.ints, W = inputs["W_cls"]!.matrix
      let lambda = inputs["reg"]!.scalar
      let N = X.rows
      let P = Softmax.rowwise(X * W)
      var dS = Matrix(rows: N, cols: W.cols)
      for i in 0..<N {
        let g = scoreGradient(P.row(i).T, label: y[i], mistake: m)
        for c in 0..<W.cols { dS[i, c] = g[c, 0] / Double(N) }
      }
      var c = l2.c
      if m == .otherL2Factor { c = l2 == .full ? 0.5 : 1 }
      if m == .regularizationMissing { c = 0 }
      return Tensor(X.T * dS + (2 * c * lambda) * W)           // (1/N) Xᵀ(P − Y) + 2cλW
    case "graph_grad":
      guard m == nil || m == .maxRoutedWrong || m == .branchesNotSummed else { return nil }
      let p = inputs["xyz"]!.scalars
      let (x, y, z) = (p[0], p[1], p[2])
      let a = x + y, b = Swift.max(y, z)
      let yWins = y >= z
      if m == .branchesNotSummed && !yWins { return nil }
      let routeToY = m == .maxRoutedWrong ? !yWins : yWins
      let dy = m == .branchesNotSummed ? b : b + (routeToY ? a : 0)
      return Tensor(shape: [3], scalars: [b, dy, routeToY ? 0 : a])
    case "dz_dt":
      guard m == nil || m == .chainRuleOnePath else { return nil }
      let t = inputs["t"]!.scalar
      let x = t * t, y = 2 * t
      let viaX = 2 * x * y * (2 * t)                            // ∂z/∂x · dx/dt
      let viaY = (x * x - 2 * y) * 2                            // ∂z/∂y · dy/dt
      return Tensor(scalar: m == .chainRuleOnePath ? viaX : viaX + viaY)
    default:
      return nil
    }
  }

  /// ∂CE/∂θ from ŷ (K × 1): ŷ − y, or the mistake's version.
  static func scoreGradient(_ p: Matrix, label: Int, mistake: BasicsMistake?) -> Matrix {
    var g = p
    if mistake == .diagonalSoftmaxJacobian {
      g = Matrix(rows: p.rows, cols: 1)
      g[label, 0] = p[label, 0] - 1                              // −(1/ŷ_l)·ŷ_l(1 − ŷ_l)
      return g
    }
    g[label, 0] -= 1
    return mistake == .signFlipped ? -g : g
  }
}
