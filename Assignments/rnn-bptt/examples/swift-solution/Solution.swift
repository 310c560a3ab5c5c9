// rnn-bptt, worked solution (column convention, σ, mean over T).
//
//   e^(t) = E x^(t),  z^(t) = W_h h^(t−1) + W_e e^(t) + b_1,  h^(t) = σ(z^(t))
//   ŷ^(t) = softmax(U h^(t) + b_2),  J = (1/T) Σ_t −log ŷ^(t)[tokens[t+1]]
//
// Backward, for the whole J:
//   δ1^(t) = ŷ^(t) − y^(t)
//   ∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + W_hᵀ ∂J/∂z^(t+1)        (the second term is 0 at t = T)
//   ∂J/∂z^(t) = ∂J/∂h^(t) ⊙ σ′(z^(t)),   σ′(z) = h (1 − h)

import Foundation

/// The forward pass, kept for the backward pass.
private struct Forward {
  var e: [[Double]] = []       // e^(t), t = 1…T (index t−1)
  var h: [[Double]] = []       // h^(t), t = 0…T (index t)
  var yHat: [[Double]] = []    // ŷ^(t), t = 1…T (index t−1)
  var losses: [Double] = []    // J^(t)

  init(_ p: Inputs) {
    h = [p.h0]
    for t in 0..<p.T {
      let et = (0..<p.d).map { p.E[$0][p.tokens[t]] }
      let z = add(add(matVec(p.W_h, h[t]), matVec(p.W_e, et)), p.b_1)
      let ht = z.map(sigmoid)
      let scores = add(matVec(p.U, ht), p.b_2)
      let y = softmax(scores)
      e.append(et)
      h.append(ht)
      yHat.append(y)
      losses.append(-log(y[p.tokens[t + 1]]))
    }
  }

  /// δ1^(t) = ŷ^(t) − onehot(tokens[t+1]), index t−1.
  func delta1(_ p: Inputs) -> [[Double]] {
    (0..<p.T).map { t in
      var d = yHat[t]
      d[p.tokens[t + 1]] -= 1
      return d
    }
  }

  /// σ′(z^(t)) = h^(t) ⊙ (1 − h^(t)), index t−1.
  func sigmoidPrime(_ t: Int) -> [Double] { h[t + 1].map { $0 * (1 - $0) } }

  /// ∂J/∂z^(t) for the mean loss, index t−1.
  func dz(_ p: Inputs) -> [[Double]] {
    let d1 = delta1(p)
    var result = [[Double]](repeating: [], count: p.T)
    var next = [Double](repeating: 0, count: p.H)   // ∂J/∂z^(t+1)
    for t in stride(from: p.T - 1, through: 0, by: -1) {
      let dh = add(scale(matTVec(p.U, d1[t]), 1 / Double(p.T)), matTVec(p.W_h, next))
      let dzt = mul(dh, sigmoidPrime(t))
      result[t] = dzt
      next = dzt
    }
    return result
  }
}

func loss(_ p: Inputs) -> Double? {
  let f = Forward(p)
  return f.losses.reduce(0, +) / Double(p.T)
}

func dU(_ p: Inputs) -> [[Double]]? {
  let f = Forward(p)
  let d1 = f.delta1(p)
  var g = zeros(p.V, p.H)
  for t in 0..<p.T { addOuter(&g, d1[t], f.h[t + 1], scale: 1 / Double(p.T)) }
  return g
}

func db_2(_ p: Inputs) -> [Double]? {
  let d1 = Forward(p).delta1(p)
  return (0..<p.V).map { k in d1.reduce(0) { $0 + $1[k] } / Double(p.T) }
}

func dW_h(_ p: Inputs) -> [[Double]]? {
  let f = Forward(p)
  let dz = f.dz(p)
  var g = zeros(p.H, p.H)
  for t in 0..<p.T { addOuter(&g, dz[t], f.h[t]) }
  return g
}

func dW_e(_ p: Inputs) -> [[Double]]? {
  let f = Forward(p)
  let dz = f.dz(p)
  var g = zeros(p.H, p.d)
  for t in 0..<p.T { addOuter(&g, dz[t], f.e[t]) }
  return g
}

func db_1(_ p: Inputs) -> [Double]? {
  let dz = Forward(p).dz(p)
  return (0..<p.H).map { i in dz.reduce(0) { $0 + $1[i] } }
}

func dE(_ p: Inputs) -> [[Double]]? {
  let dz = Forward(p).dz(p)
  var g = zeros(p.d, p.V)
  for t in 0..<p.T {
    let de = matTVec(p.W_e, dz[t])
    for k in 0..<p.d { g[k][p.tokens[t]] += de[k] }
  }
  return g
}

func dh0(_ p: Inputs) -> [Double]? {
  let dz = Forward(p).dz(p)
  return matTVec(p.W_h, dz[0])
}

func delta1(_ p: Inputs) -> [[Double]]? {
  Forward(p).delta1(p)
}

func delta2(_ p: Inputs) -> [[Double]]? {
  let f = Forward(p)
  let d1 = f.delta1(p)
  return (0..<p.T).map { t in mul(matTVec(p.U, d1[t]), f.sigmoidPrime(t)) }
}

/// ∂J^(T)/∂z^(T) = δ2^(T); ∂J^(T)/∂z^(i−1) = (W_hᵀ ∂J^(T)/∂z^(i)) ⊙ σ′(z^(i−1));
/// the copy of W_h used at step i contributes ∂J^(T)/∂z^(i) h^(i−1)ᵀ.
func dW_h_terms(_ p: Inputs) -> [[[Double]]]? {
  let f = Forward(p)
  let last = p.T - 1
  var g = mul(matTVec(p.U, f.delta1(p)[last]), f.sigmoidPrime(last))
  var terms = [[[Double]]](repeating: [], count: p.T)
  for i in stride(from: last, through: 0, by: -1) {
    var term = zeros(p.H, p.H)
    addOuter(&term, g, f.h[i])
    terms[i] = term
    if i > 0 { g = mul(matTVec(p.W_h, g), f.sigmoidPrime(i - 1)) }
  }
  return terms
}

// MARK: - Small linear algebra on arrays of rows

private func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

private func softmax(_ s: [Double]) -> [Double] {
  let top = s.max() ?? 0
  let e = s.map { exp($0 - top) }
  let total = e.reduce(0, +)
  return e.map { $0 / total }
}

private func zeros(_ rows: Int, _ cols: Int) -> [[Double]] {
  [[Double]](repeating: [Double](repeating: 0, count: cols), count: rows)
}

private func matVec(_ A: [[Double]], _ x: [Double]) -> [Double] {
  A.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// Aᵀ x.
private func matTVec(_ A: [[Double]], _ x: [Double]) -> [Double] {
  var out = [Double](repeating: 0, count: A.first?.count ?? 0)
  for (i, row) in A.enumerated() {
    for j in row.indices { out[j] += row[j] * x[i] }
  }
  return out
}

private func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
private func mul(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 * $1 } }
private func scale(_ a: [Double], _ c: Double) -> [Double] { a.map { $0 * c } }

/// g += scale · a bᵀ.
private func addOuter(_ g: inout [[Double]], _ a: [Double], _ b: [Double], scale: Double = 1) {
  for i in a.indices {
    for j in b.indices { g[i][j] += scale * a[i] * b[j] }
  }
}
