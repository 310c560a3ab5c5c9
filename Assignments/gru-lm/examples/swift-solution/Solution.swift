// gru-lm, worked solution (column convention, blocks r, z, n; PyTorch's reset after W_hn and
// h = (1 − z) ⊙ n + z ⊙ h′; mean over T).
//
//   [x_r; x_z; x_n] = W_x e^(t) + b_x,  ah = W_h h′ + b_h = [ah_r; ah_z; ah_n]   (h′ = h^(t−1))
//   r = σ(x_r + ah_r),  z = σ(x_z + ah_z),  n = tanh(x_n + r ⊙ ah_n),  h^(t) = (1 − z) ⊙ n + z ⊙ h′
//
// Backward from t = T down to 1, for the whole J:
//   ∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + (carry from step t + 1)
//   ∂J/∂n̂ = ∂J/∂h ⊙ (1 − z) ⊙ (1 − n²),  ∂J/∂ẑ = ∂J/∂h ⊙ (h′ − n) ⊙ z(1 − z),  ∂J/∂r̂ = ∂J/∂n̂ ⊙ ah_n ⊙ r(1 − r)
//   ∂J/∂ax = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂],  ∂J/∂ah = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]
//   carry to h′ = ∂J/∂h ⊙ z + W_hᵀ ∂J/∂ah

import Foundation

/// The forward pass and the backward pass, computed once per call.
private struct GRUPass {
  var e: [[Double]] = [], ah: [[Double]] = []
  var r: [[Double]] = [], z: [[Double]] = [], n: [[Double]] = []
  var h: [[Double]] = []        // h^(t), t = 0…T (index t)
  var yHat: [[Double]] = []
  var losses: [Double] = []

  var dh: [[Double]] = []
  var dU: [[Double]], db_2: [Double], dW_x: [[Double]], dW_h: [[Double]], db_x: [Double], db_h: [Double], dE: [[Double]]
  var dh0: [Double] = []

  init(_ p: Inputs) {
    let H = p.H, T = p.T
    h = [p.h0]
    for t in 0..<T {
      let et = (0..<p.d).map { p.E[$0][p.tokens[t]] }
      let ax = add(matVec(p.W_x, et), p.b_x)
      let aht = add(matVec(p.W_h, h[t]), p.b_h)
      var rt = [Double](repeating: 0, count: H), zt = rt, nt = rt, ht = rt
      for j in 0..<H {
        rt[j] = sigmoid(ax[j] + aht[j])
        zt[j] = sigmoid(ax[H + j] + aht[H + j])
        nt[j] = tanh(ax[2 * H + j] + rt[j] * aht[2 * H + j])
        ht[j] = (1 - zt[j]) * nt[j] + zt[j] * h[t][j]
      }
      let y = softmax(add(matVec(p.U, ht), p.b_2))
      e.append(et); ah.append(aht); r.append(rt); z.append(zt); n.append(nt)
      h.append(ht)
      yHat.append(y)
      losses.append(-log(y[p.tokens[t + 1]]))
    }

    dU = zeros(p.V, H); db_2 = [Double](repeating: 0, count: p.V)
    dW_x = zeros(3 * H, p.d); dW_h = zeros(3 * H, H)
    db_x = [Double](repeating: 0, count: 3 * H); db_h = db_x
    dE = zeros(p.d, p.V)
    dh = [[Double]](repeating: [], count: T)
    var next = [Double](repeating: 0, count: H)    // the carry from step t + 1
    let w = 1 / Double(T)
    for t in stride(from: T - 1, through: 0, by: -1) {
      let rt = r[t], zt = z[t], nt = n[t], hPrev = h[t]
      var delta1 = yHat[t]
      delta1[p.tokens[t + 1]] -= 1
      addOuter(&dU, delta1, h[t + 1], scale: w)
      db_2 = add(db_2, scale(delta1, w))
      let dht = add(scale(matTVec(p.U, delta1), w), next)
      var dax = [Double](repeating: 0, count: 3 * H)   // [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]
      var dah = [Double](repeating: 0, count: 3 * H)   // [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]
      for j in 0..<H {
        let dnHat: Double = dht[j] * (1 - zt[j]) * (1 - nt[j] * nt[j])
        let dzHat: Double = dht[j] * (hPrev[j] - nt[j]) * zt[j] * (1 - zt[j])
        let drHat: Double = dnHat * ah[t][2 * H + j] * rt[j] * (1 - rt[j])
        dax[j] = drHat; dax[H + j] = dzHat; dax[2 * H + j] = dnHat
        dah[j] = drHat; dah[H + j] = dzHat; dah[2 * H + j] = dnHat * rt[j]
      }
      addOuter(&dW_x, dax, e[t])
      db_x = add(db_x, dax)
      addOuter(&dW_h, dah, hPrev)
      db_h = add(db_h, dah)
      let de = matTVec(p.W_x, dax)
      for k in 0..<p.d { dE[k][p.tokens[t]] += de[k] }
      dh[t] = dht
      next = add(mul(dht, zt), matTVec(p.W_h, dah))
    }
    dh0 = next
  }
}

func loss(_ p: Inputs) -> Double? {
  GRUPass(p).losses.reduce(0, +) / Double(p.T)
}

func dU(_ p: Inputs) -> [[Double]]? { GRUPass(p).dU }
func db_2(_ p: Inputs) -> [Double]? { GRUPass(p).db_2 }
func dW_x(_ p: Inputs) -> [[Double]]? { GRUPass(p).dW_x }
func dW_h(_ p: Inputs) -> [[Double]]? { GRUPass(p).dW_h }
func db_x(_ p: Inputs) -> [Double]? { GRUPass(p).db_x }
func db_h(_ p: Inputs) -> [Double]? { GRUPass(p).db_h }
func dE(_ p: Inputs) -> [[Double]]? { GRUPass(p).dE }
func dh0(_ p: Inputs) -> [Double]? { GRUPass(p).dh0 }
func dh(_ p: Inputs) -> [[Double]]? { GRUPass(p).dh }

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
