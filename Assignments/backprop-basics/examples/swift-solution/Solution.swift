// backprop-basics, worked solution.

import Foundation

// MARK: - Scoring network: z = W x + b, h = σ(z), s = uᵀh

private func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

/// z = W x + b.
private func scoringZ(_ p: Inputs) -> [Double] {
  var z = p.b
  for i in 0..<p.n {
    for j in 0..<p.m { z[i] += p.W[i][j] * p.x[j] }
  }
  return z
}

/// σ′(z) = σ(z)(1 − σ(z)).
private func sigmoidPrime(_ z: [Double]) -> [Double] { z.map { sigmoid($0) * (1 - sigmoid($0)) } }

func dh_dz(_ p: Inputs) -> [[Double]]? {
  let s = sigmoidPrime(scoringZ(p))
  return (0..<p.n).map { i in (0..<p.n).map { j in i == j ? s[i] : 0 } }
}

/// δ = u ∘ σ′(z).
func delta(_ p: Inputs) -> [Double]? {
  zip(p.u, sigmoidPrime(scoringZ(p))).map { $0 * $1 }
}

func ds_db(_ p: Inputs) -> [Double]? { delta(p) }

/// ∂s/∂W[i][j] = δ_i x_j.
func ds_dW(_ p: Inputs) -> [[Double]]? {
  let d = delta(p)!
  return d.map { di in p.x.map { di * $0 } }
}

/// ∂s/∂x = Wᵀ δ.
func ds_dx(_ p: Inputs) -> [Double]? {
  let d = delta(p)!
  return (0..<p.m).map { j in (0..<p.n).reduce(0) { $0 + p.W[$1][j] * d[$1] } }
}

func ds_du(_ p: Inputs) -> [Double]? { scoringZ(p).map(sigmoid) }

// MARK: - Softmax and cross entropy

private func softmax(_ s: [Double]) -> [Double] {
  let top = s.max() ?? 0
  let e = s.map { exp($0 - top) }
  let total = e.reduce(0, +)
  return e.map { $0 / total }
}

/// J[i][j] = ∂ŷ_i/∂θ_j = ŷ_i (1[i = j] − ŷ_j).
func softmax_jacobian(_ p: Inputs) -> [[Double]]? {
  let y = softmax(p.theta)
  var J = [[Double]](repeating: [Double](repeating: 0, count: p.K), count: p.K)
  for i in 0..<p.K {
    for j in 0..<p.K { J[i][j] = -y[i] * y[j] }
    J[i][i] += y[i]
  }
  return J
}

func dCE_dtheta(_ p: Inputs) -> [Double]? {
  var g = softmax(p.theta)
  g[p.label] -= 1
  return g
}

// MARK: - Window classifier: x = rows of `window` stacked, z = W_win x + b_win, J = σ(u_winᵀ σ(z))

/// The pieces every window item needs: x, h, δ = u_win ∘ σ′(z), and σ′(s).
private struct Window {
  var x: [Double]
  var h: [Double]
  var delta: [Double]
  var sigmoidPrimeS: Double

  init(_ p: Inputs) {
    let stacked = p.window.flatMap { $0 }
    let z = (0..<p.n).map { i in p.b_win[i] + stacked.indices.reduce(0) { $0 + p.W_win[i][$1] * stacked[$1] } }
    let hidden = z.map(sigmoid)
    let s = zip(p.u_win, hidden).reduce(0) { $0 + $1.0 * $1.1 }
    x = stacked
    h = hidden
    delta = zip(p.u_win, sigmoidPrime(z)).map { $0 * $1 }
    sigmoidPrimeS = sigmoid(s) * (1 - sigmoid(s))
  }
}

/// ∂J/∂x = σ′(s) W_winᵀ δ, cut into rows of length d.
func dJ_dwindow(_ p: Inputs) -> [[Double]]? {
  let w = Window(p)
  let g = w.x.indices.map { j in w.sigmoidPrimeS * (0..<p.n).reduce(0) { $0 + p.W_win[$1][j] * w.delta[$1] } }
  let d = p.window.first?.count ?? 0
  return (0..<p.window.count).map { k in Array(g[(k * d)..<((k + 1) * d)]) }
}

func dJ_dW_win(_ p: Inputs) -> [[Double]]? {
  let w = Window(p)
  return w.delta.map { di in w.x.map { w.sigmoidPrimeS * di * $0 } }
}

func dJ_db_win(_ p: Inputs) -> [Double]? {
  let w = Window(p)
  return w.delta.map { w.sigmoidPrimeS * $0 }
}

func dJ_du_win(_ p: Inputs) -> [Double]? {
  let w = Window(p)
  return w.h.map { w.sigmoidPrimeS * $0 }
}

// MARK: - Softmax classifier: L = (1/N) Σ_i −log softmax(X_i W_cls)[y_i] + reg·Σ W_cls²

func dL_dW_cls(_ p: Inputs) -> [[Double]]? {
  var g = p.W_cls.map { $0.map { 2 * p.reg * $0 } }
  for i in 0..<p.N {
    let scores = (0..<p.C).map { c in (0..<p.D).reduce(0) { $0 + p.X[i][$1] * p.W_cls[$1][c] } }
    var dScores = softmax(scores)
    dScores[p.y[i]] -= 1
    for a in 0..<p.D {
      for c in 0..<p.C { g[a][c] += p.X[i][a] * dScores[c] / Double(p.N) }
    }
  }
  return g
}

// MARK: - Graph and chain rule

/// q = x + y, m = max(y, z), f = q·m. Multiply switches: ∂f/∂q = m, ∂f/∂m = q. Max routes to the
/// larger argument (to y on a tie); add distributes; y's two branches sum.
func graph_grad(_ p: Inputs) -> [Double]? {
  let (x, y, z) = (p.xyz[0], p.xyz[1], p.xyz[2])
  let q = x + y
  let m = max(y, z)
  let toY = y >= z
  return [m, m + (toY ? q : 0), toY ? 0 : q]
}

/// ∂z/∂x = 2xy, ∂z/∂y = x² − 2y, dx/dt = 2t, dy/dt = 2 (so dz/dt = 10t⁴ − 8t).
func dz_dt(_ p: Inputs) -> Double? {
  let x = p.t * p.t
  let y = 2 * p.t
  return 2 * x * y * (2 * p.t) + (x * x - 2 * y) * 2
}
