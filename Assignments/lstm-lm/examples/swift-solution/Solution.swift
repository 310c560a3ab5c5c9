// lstm-lm, worked solution (column convention, gate blocks i, f, o, g, mean over T).
//
//   a^(t) = W_x e^(t) + W_h h^(t−1) + b,  i, f, o = σ(a_i, a_f, a_o),  g = tanh(a_g)
//   c^(t) = f ⊙ c^(t−1) + i ⊙ g,  h^(t) = o ⊙ tanh(c^(t)),  ŷ^(t) = softmax(U h^(t) + b_2)
//
// Backward, CS231n's lstm_step_backward from t = T down to 1, for the whole J:
//   ∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1)
//   ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1)
//   ∂J/∂a^(t) = [∂J/∂c ⊙ g ⊙ σ′(a_i); ∂J/∂c ⊙ c^(t−1) ⊙ σ′(a_f); ∂J/∂h ⊙ tanh(c) ⊙ σ′(a_o); ∂J/∂c ⊙ i ⊙ (1 − g²)]

import Foundation

/// The forward pass and the backward pass, computed once per call.
private struct LSTMPass {
  var e: [[Double]] = []        // e^(t), index t−1
  var gates: [[Double]] = []    // [i; f; o; g] at step t, index t−1
  var c: [[Double]] = []        // c^(t), t = 0…T (index t)
  var h: [[Double]] = []        // h^(t), t = 0…T (index t)
  var yHat: [[Double]] = []     // ŷ^(t), index t−1
  var losses: [Double] = []

  // The backward pass: per-step carries (index t−1) and the gradients.
  var dh: [[Double]] = [], dc: [[Double]] = [], da: [[Double]] = []
  var dU: [[Double]], db_2: [Double], dW_x: [[Double]], dW_h: [[Double]], db: [Double], dE: [[Double]]
  var dh0: [Double] = [], dc0: [Double] = []

  init(_ p: Inputs) {
    let H = p.H, T = p.T
    c = [p.c0]
    h = [p.h0]
    for t in 0..<T {
      let et = (0..<p.d).map { p.E[$0][p.tokens[t]] }
      let a = add(add(matVec(p.W_x, et), matVec(p.W_h, h[t])), p.b)
      let i = a[0..<H].map(sigmoid), f = a[H..<(2 * H)].map(sigmoid)
      let o = a[(2 * H)..<(3 * H)].map(sigmoid), g = a[(3 * H)..<(4 * H)].map { tanh($0) }
      let ct = add(mul(f, c[t]), mul(i, g))
      let ht = mul(o, ct.map { tanh($0) })
      let y = softmax(add(matVec(p.U, ht), p.b_2))
      e.append(et)
      var all: [Double] = i
      all.append(contentsOf: f)
      all.append(contentsOf: o)
      all.append(contentsOf: g)
      gates.append(all)
      c.append(ct)
      h.append(ht)
      yHat.append(y)
      losses.append(-log(y[p.tokens[t + 1]]))
    }

    dU = zeros(p.V, H); db_2 = [Double](repeating: 0, count: p.V)
    dW_x = zeros(4 * H, p.d); dW_h = zeros(4 * H, H); db = [Double](repeating: 0, count: 4 * H)
    dE = zeros(p.d, p.V)
    dh = [[Double]](repeating: [], count: T); dc = dh; da = dh
    var nextH = [Double](repeating: 0, count: H)   // W_hᵀ ∂J/∂a^(t+1)
    var nextC = [Double](repeating: 0, count: H)   // ∂J/∂c^(t+1) ⊙ f^(t+1)
    let w = 1 / Double(T)
    for t in stride(from: T - 1, through: 0, by: -1) {
      let gt = gates[t]
      let i = Array(gt[0..<H]), f = Array(gt[H..<(2 * H)]), o = Array(gt[(2 * H)..<(3 * H)]), g = Array(gt[(3 * H)..<(4 * H)])
      var delta1 = yHat[t]
      delta1[p.tokens[t + 1]] -= 1
      addOuter(&dU, delta1, h[t + 1], scale: w)
      db_2 = add(db_2, scale(delta1, w))
      let dht = add(scale(matTVec(p.U, delta1), w), nextH)
      let tc = c[t + 1].map { tanh($0) }
      var dct = [Double](repeating: 0, count: H)
      var dat = [Double](repeating: 0, count: 4 * H)
      for j in 0..<H {
        let throughH: Double = dht[j] * o[j] * (1 - tc[j] * tc[j])
        dct[j] = throughH + nextC[j]
        let di: Double = dct[j] * g[j] * i[j] * (1 - i[j])
        let df: Double = dct[j] * c[t][j] * f[j] * (1 - f[j])
        let dO: Double = dht[j] * tc[j] * o[j] * (1 - o[j])
        let dg: Double = dct[j] * i[j] * (1 - g[j] * g[j])
        dat[j] = di
        dat[H + j] = df
        dat[2 * H + j] = dO
        dat[3 * H + j] = dg
      }
      addOuter(&dW_x, dat, e[t])
      addOuter(&dW_h, dat, h[t])
      db = add(db, dat)
      let de = matTVec(p.W_x, dat)
      for k in 0..<p.d { dE[k][p.tokens[t]] += de[k] }
      dh[t] = dht; dc[t] = dct; da[t] = dat
      nextH = matTVec(p.W_h, dat)
      nextC = mul(dct, f)
    }
    dh0 = nextH
    dc0 = nextC
  }
}

func loss(_ p: Inputs) -> Double? {
  let f = LSTMPass(p)
  return f.losses.reduce(0, +) / Double(p.T)
}

func dU(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dU }
func db_2(_ p: Inputs) -> [Double]? { LSTMPass(p).db_2 }
func dW_x(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dW_x }
func dW_h(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dW_h }
func db(_ p: Inputs) -> [Double]? { LSTMPass(p).db }
func dE(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dE }
func dh0(_ p: Inputs) -> [Double]? { LSTMPass(p).dh0 }
func dc0(_ p: Inputs) -> [Double]? { LSTMPass(p).dc0 }
func dh(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dh }
func dc(_ p: Inputs) -> [[Double]]? { LSTMPass(p).dc }
func da(_ p: Inputs) -> [[Double]]? { LSTMPass(p).da }

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
