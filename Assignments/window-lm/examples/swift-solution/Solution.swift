// window-lm, worked solution (column convention, σ).
//
//   e = [E x^(1); …; E x^(n)],  z = W e + b_1,  h = σ(z),  θ = U h + b_2,  ŷ = softmax(θ)
//   J = −log ŷ[tokens[n]]
//
// Backward:
//   δ1 = ŷ − y,  ∂J/∂U = δ1 hᵀ,  ∂J/∂b_2 = δ1
//   δ2 = (Uᵀ δ1) ⊙ σ′(z),  σ′(z) = h (1 − h),  ∂J/∂W = δ2 eᵀ,  ∂J/∂b_1 = δ2
//   ∂J/∂e = Wᵀ δ2;  ∂J/∂E[:, x(k)] += ∂J/∂e^(k) (entries k·d ..< (k+1)·d of ∂J/∂e, 0-based k)

import Foundation

/// The forward pass and both error signals, computed once per call.
private struct Pass {
  var e: [Double] = []
  var h: [Double] = []
  var yHat: [Double] = []
  var delta1: [Double] = []
  var delta2: [Double] = []

  init(_ p: Inputs) {
    for k in 0..<p.n { e += (0..<p.d).map { p.E[$0][p.tokens[k]] } }
    let z = (0..<p.H).map { i -> Double in p.b_1[i] + (0..<e.count).reduce(0.0) { $0 + p.W[i][$1] * e[$1] } }
    h = z.map { 1 / (1 + exp(-$0)) }
    let theta = (0..<p.V).map { v -> Double in p.b_2[v] + (0..<p.H).reduce(0.0) { $0 + p.U[v][$1] * h[$1] } }
    let m = theta.max() ?? 0
    let ex = theta.map { exp($0 - m) }
    let total = ex.reduce(0, +)
    yHat = ex.map { $0 / total }
    delta1 = yHat
    delta1[p.tokens[p.n]] -= 1
    let back = (0..<p.H).map { j -> Double in (0..<p.V).reduce(0.0) { $0 + p.U[$1][j] * delta1[$1] } }   // Uᵀ δ1
    delta2 = (0..<p.H).map { j -> Double in back[j] * h[j] * (1 - h[j]) }
  }
}

private func outer(_ a: [Double], _ b: [Double]) -> [[Double]] { a.map { x in b.map { x * $0 } } }

/// J = −log ŷ_{x(n+1)}. A scalar.
func loss(_ p: Inputs) -> Double? {
  -log(Pass(p).yHat[p.tokens[p.n]])
}

/// δ1 = ∂J/∂θ = ŷ − y, y one-hot at x(n+1). Shape V.
func delta1(_ p: Inputs) -> [Double]? { Pass(p).delta1 }

/// ∂J/∂U = δ1 hᵀ (outer product). Shape V × H.
func dU(_ p: Inputs) -> [[Double]]? {
  let pass = Pass(p)
  return outer(pass.delta1, pass.h)
}

/// ∂J/∂b_2 = δ1. Shape V.
func db_2(_ p: Inputs) -> [Double]? { Pass(p).delta1 }

/// δ2 = ∂J/∂z = (Uᵀ δ1) ⊙ σ′(z). Shape H.
func delta2(_ p: Inputs) -> [Double]? { Pass(p).delta2 }

/// ∂J/∂W = δ2 eᵀ (outer product). Shape H × n*d.
func dW(_ p: Inputs) -> [[Double]]? {
  let pass = Pass(p)
  return outer(pass.delta2, pass.e)
}

/// ∂J/∂b_1 = δ2. Shape H.
func db_1(_ p: Inputs) -> [Double]? { Pass(p).delta2 }

/// ∂J/∂e = Wᵀ δ2. Shape n*d.
func de(_ p: Inputs) -> [Double]? {
  let d2 = Pass(p).delta2
  return (0..<(p.n * p.d)).map { c -> Double in (0..<p.H).reduce(0.0) { $0 + p.W[$1][c] * d2[$1] } }
}

/// ∂J/∂E: column x^(k) accumulates ∂J/∂e^(k) for every position k. Shape d × V.
func dE(_ p: Inputs) -> [[Double]]? {
  guard let g = de(p) else { return nil }
  var out = [[Double]](repeating: [Double](repeating: 0, count: p.V), count: p.d)
  for k in 0..<p.n {
    for i in 0..<p.d { out[i][p.tokens[k]] += g[k * p.d + i] }
  }
  return out
}
