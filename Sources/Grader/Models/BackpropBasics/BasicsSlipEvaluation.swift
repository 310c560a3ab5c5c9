import Jacobians

/// The `backprop-basics` items computed with slips (`BasicsDerivation`'s steps), written out
/// beside the reference formulas; with no slip every item equals the reference (a test).
///
/// ```
/// z = Wx + b, h = f(z), s = uᵀh          δ = uᵀ ⊙ f′(z) (1 × n), ∂s/∂W = δᵀxᵀ (n × m), ∂s/∂x = Wᵀδᵀ (m)
/// ŷ = softmax(θ), CE = −log ŷ_l           ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ (K × K), ∂CE/∂θ = ŷ − y (K)
/// J = σ(u_winᵀ f(W_win x + b_win))        δ = σ′(s)(u_winᵀ ⊙ f′(z)), ∂J/∂W_win = δᵀxᵀ, ∂J/∂x = W_winᵀδᵀ
/// L = mean CE(X W_cls) + cλΣW_cls²        ∂L/∂W_cls = (1/N) Xᵀ(P − Y) + 2cλW_cls (D × C)
/// f = (x + y)·max(y, z)                   (b, b + a·1(y ≥ z), a·1(z > y))
/// z = x²y − y², x = t², y = 2t            dz/dt = 2xy·2t + (x² − 2y)·2
/// ```
final class BasicsSlipEvaluation: SlipEvaluation {
  let inputs: [String: Tensor]
  let f: Activation
  let l2: L2Factor
  let windowSize: Int, d: Int

  init(inputs: [String: Tensor], f: Activation, l2: L2Factor, windowSize: Int, d: Int) {
    self.inputs = inputs
    self.f = f
    self.l2 = l2
    self.windowSize = windowSize
    self.d = d
  }

  /// The switches the slips set.
  struct Slips {
    enum Local: Equatable { case none, activation, derivative(Activation), formula(Activation), atOutput, dropped, modelFormula }
    enum Output: Equatable { case none, activation, dropped, atOutput }
    enum Jacobian: Equatable { case none, diagonal, sign, outerDropped }
    enum ScoreGradient: Equatable { case none, sign, diagonal, labelDropped }
    enum Path: Equatable { case both, first, last }
    var biasZero = false
    var activation: Activation?
    var local = Local.none
    var windowLocalOnly = false
    var windowOutput = Output.none
    var scoreUDropped = false, windowUDropped = false
    var strided = false
    var jacobian = Jacobian.none
    var scoreGradient = ScoreGradient.none
    var meanMissing = false
    var regularization: L2Slip = .none
    var maxRoutedWrong = false
    var branches = Path.both
    var chain = Path.both
    enum L2Slip: Equatable { case none, dropped, otherFactor }

    /// nil for an unknown slip or two slips on one switch.
    init?(_ slips: [AppliedSlip]) {
      var seen = Set<String>()
      for s in slips {
        // The switches the slip sets: two slips on one switch cannot be made together.
        var keys = [s.step]
        switch (s.step, s.kind) {
        case ("biases", .zero): biasZero = true
        case ("h", .activation(let g)): activation = g
        case ("h", .forwardOnly(let g)): activation = g; local = .modelFormula; keys = ["h", "local"]
        case ("local", .activationForDerivative): local = .activation; windowOutput = .activation; keys = ["local", "window.output"]
        case ("local", .derivative(let g)): local = .derivative(g)
        case ("local", .derivativeFormula(let g)): local = .formula(g)
        case ("local", .derivativeAtOutput): local = .atOutput
        case ("local", .dropped): local = .dropped
        case ("window.local", .activationForDerivative): windowLocalOnly = true
        case ("window.output", .activationForDerivative): windowOutput = .activation
        case ("window.output", .dropped): windowOutput = .dropped
        case ("window.output", .derivativeAtOutput): windowOutput = .atOutput
        case ("delta", .dropped): scoreUDropped = true
        case ("window.delta", .dropped): windowUDropped = true
        case ("window.split", .custom("strided")): strided = true
        case ("softmax", .diagonalOnly): jacobian = .diagonal; scoreGradient = .diagonal; keys = ["softmax", "ce"]
        case ("softmax", .signFlipped): jacobian = .sign
        case ("softmax", .termDropped): jacobian = .outerDropped
        case ("ce", .signFlipped): scoreGradient = .sign
        case ("ce", .termDropped): scoreGradient = .labelDropped
        case ("classifier.mean", .scale): meanMissing = true
        case ("classifier.regularization", .termDropped): regularization = .dropped
        case ("classifier.regularization", .custom("l2-factor")): regularization = .otherFactor
        case ("graph.max", .custom("routed-wrong")): maxRoutedWrong = true
        case ("graph.branches", .firstTerm): branches = .first
        case ("graph.branches", .lastTerm): branches = .last
        case ("chain", .firstTerm): chain = .first
        case ("chain", .lastTerm): chain = .last
        default: return nil
        }
        for key in keys { guard seen.insert(key).inserted else { return nil } }
      }
    }
  }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let m = Slips(slips) else { return nil }
    let g = m.activation ?? f
    // The scoring network and the window classifier share the layer z = Wx + b, h = g(z).
    func layer(_ W: Matrix, _ b: Matrix, _ x: Matrix, window: Bool) -> (h: Matrix, local: Matrix) {
      let z = m.biasZero ? W * x : W * x + b
      let h = g(z)
      let local: Matrix
      switch (window && m.windowLocalOnly) ? .activation : m.local {
      case .none: local = g.derivative(z)
      case .activation: local = h
      case .derivative(let k): local = k.derivative(z)
      case .formula(let k): local = h.map { k == .tanh ? 1 - $0 * $0 : $0 * (1 - $0) }
      case .atOutput: local = h.map { g.derivative($0) }
      case .modelFormula: local = h.map { self.f == .tanh ? 1 - $0 * $0 : $0 * (1 - $0) }
      case .dropped: local = Matrix(rows: z.rows, cols: 1, repeating: 1)
      }
      return (h, local)
    }
    switch item {
    case "dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du":
      let W = inputs["W"]!.matrix, b = inputs["b"]!.matrix, u = inputs["u"]!.matrix, x = inputs["x"]!.matrix
      let l = layer(W, b, x, window: false)
      let delta = m.scoreUDropped ? l.local : u ⊙ l.local          // δᵀ = u ⊙ f′(z)       n × 1
      switch item {
      case "dh_dz": return Tensor(Matrix.diag(l.local))          // diag(f′(z))          n × n
      case "delta", "ds_db": return Tensor(delta, vector: true)
      case "ds_dW": return Tensor(Matrix.outer(delta, x))        // δᵀ xᵀ                n × m
      case "ds_dx": return Tensor(W.T * delta, vector: true)     // Wᵀ δᵀ                m
      default: return Tensor(l.h, vector: true)                  // ∂s/∂u = h            n
      }
    case "softmax_jacobian":
      let p = Softmax.probabilities(inputs["theta"]!.matrix)
      switch m.jacobian {
      case .none: return Tensor(ElementaryJacobians.softmax(probabilities: p))
      case .diagonal: return Tensor(Matrix.diag(p.map { $0 * (1 - $0) }))
      case .sign: return Tensor(-ElementaryJacobians.softmax(probabilities: p))
      case .outerDropped: return Tensor(Matrix.diag(p))
      }
    case "dCE_dtheta":
      let p = Softmax.probabilities(inputs["theta"]!.matrix)
      return Tensor(scoreGradient(p, label: Int(inputs["label"]!.scalar), m.scoreGradient), vector: true)
    case "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win":
      let W = inputs["W_win"]!.matrix, b = inputs["b_win"]!.matrix, u = inputs["u_win"]!.matrix
      let x = Matrix(column: inputs["window"]!.scalars)          // [x_1; …; x_k]          kd × 1
      let l = layer(W, b, x, window: true)
      let s = (u.T * l.h)[0, 0]
      let J = Activation.logistic(s)
      let dJ_ds: Double                                          // σ′(s)
      switch m.windowOutput {
      case .none: dJ_ds = J * (1 - J)
      case .activation: dJ_ds = J
      case .dropped: dJ_ds = 1
      case .atOutput: dJ_ds = Activation.logistic(J) * (1 - Activation.logistic(J))
      }
      let delta = dJ_ds * (m.windowUDropped ? l.local : u ⊙ l.local)   // δᵀ              n × 1
      switch item {
      case "dJ_dwindow":
        let dx = W.T * delta                                     // ∂J/∂x                 kd × 1
        if m.strided {
          // Piece k read from entries k, k + n, … (∂J/∂x reshaped d × window and transposed).
          return Tensor(Matrix(rows: windowSize, cols: d) { k, i in dx.scalars[i * windowSize + k] })
        }
        return Tensor(Matrix(rows: windowSize, cols: d, scalars: dx.scalars))
      case "dJ_dW_win": return Tensor(Matrix.outer(delta, x))
      case "dJ_db_win": return Tensor(delta, vector: true)
      default: return Tensor(dJ_ds * l.h, vector: true)
      }
    case "dL_dW_cls":
      let X = inputs["X"]!.matrix, y = inputs["y"]!.ints, W = inputs["W_cls"]!.matrix
      let lambda = inputs["reg"]!.scalar
      let N = X.rows
      let P = Softmax.rowwise(X * W)
      var dS = Matrix(rows: N, cols: W.cols)
      for i in 0..<N {
        let gi = scoreGradient(P.row(i).T, label: y[i], m.scoreGradient)
        for c in 0..<W.cols { dS[i, c] = gi[c, 0] / (m.meanMissing ? 1 : Double(N)) }
      }
      var c = l2.c
      if m.regularization == .otherFactor { c = l2 == .full ? 0.5 : 1 }
      if m.regularization == .dropped { c = 0 }
      return Tensor(X.T * dS + (2 * c * lambda) * W)            // (1/N) Xᵀ(P − Y) + 2cλW
    case "graph_grad":
      let p = inputs["xyz"]!.scalars
      let (x, y, z) = (p[0], p[1], p[2])
      let a = x + y, b = Swift.max(y, z)
      let routeToY = m.maxRoutedWrong ? !(y >= z) : y >= z
      let viaMax = routeToY ? a : 0                               // the max branch of y
      let dy: Double
      switch m.branches {
      case .both: dy = b + viaMax
      case .first: dy = b
      case .last: dy = viaMax
      }
      return Tensor(shape: [3], scalars: [b, dy, routeToY ? 0 : a])
    case "dz_dt":
      let t = inputs["t"]!.scalar
      let x = t * t, y = 2 * t
      let viaX = 2 * x * y * (2 * t)                              // ∂z/∂x · dx/dt
      let viaY = (x * x - 2 * y) * 2                              // ∂z/∂y · dy/dt
      switch m.chain {
      case .both: return Tensor(scalar: viaX + viaY)
      case .first: return Tensor(scalar: viaX)
      case .last: return Tensor(scalar: viaY)
      }
    default:
      return nil
    }
  }

  /// ∂CE/∂θ from ŷ (K × 1): ŷ − y, or the slip's version.
  func scoreGradient(_ p: Matrix, label: Int, _ slip: Slips.ScoreGradient) -> Matrix {
    var g = p
    switch slip {
    case .diagonal:
      g = Matrix(rows: p.rows, cols: 1)
      g[label, 0] = p[label, 0] - 1                              // −(1/ŷ_l)·ŷ_l(1 − ŷ_l)
    case .labelDropped:
      break
    case .none, .sign:
      g[label, 0] -= 1
      if slip == .sign { g = -g }
    }
    return g
  }
}
