// rnn-canonical, worked solution (min-char-rnn: tanh, loss summed over t).
//
//   h_t = tanh(W_xh x_t + W_hh h_{t−1} + b_h),  y_t = softmax(W_yh h_t + b_y),  E = Σ_t −log y_t[x_{t+1}]
//
// Backward, from t = T down to 1:
//   dy_t = y_t − onehot(x_{t+1})
//   dh_t = W_yhᵀ dy_t + W_hhᵀ δh_{t+1}          (the second term is 0 at t = T)
//   δh_t = (1 − h_t²) ⊙ dh_t

import Foundation

/// The forward and backward passes together, as min-char-rnn computes them.
private struct Gradients {
  var loss = 0.0
  var dW_xh: [[Double]]
  var dW_hh: [[Double]]
  var dW_yh: [[Double]]
  var db_h: [Double]
  var db_y: [Double]
  var dh0: [Double]

  init(_ p: Inputs) {
    var h: [[Double]] = [p.h0]
    var y: [[Double]] = []
    for t in 0..<p.T {
      var a = p.b_h
      for i in 0..<p.H {
        a[i] += p.W_xh[i][p.tokens[t]]
        for j in 0..<p.H { a[i] += p.W_hh[i][j] * h[t][j] }
      }
      let ht = a.map { tanh($0) }
      var s = p.b_y
      for k in 0..<p.V {
        for j in 0..<p.H { s[k] += p.W_yh[k][j] * ht[j] }
      }
      let top = s.max() ?? 0
      let e = s.map { exp($0 - top) }
      let total = e.reduce(0, +)
      let yt = e.map { $0 / total }
      h.append(ht)
      y.append(yt)
      loss -= log(yt[p.tokens[t + 1]])
    }

    dW_xh = Array(repeating: Array(repeating: 0, count: p.V), count: p.H)
    dW_hh = Array(repeating: Array(repeating: 0, count: p.H), count: p.H)
    dW_yh = Array(repeating: Array(repeating: 0, count: p.H), count: p.V)
    db_h = Array(repeating: 0, count: p.H)
    db_y = Array(repeating: 0, count: p.V)
    var dhNext = [Double](repeating: 0, count: p.H)   // W_hhᵀ δh_{t+1}
    for t in stride(from: p.T - 1, through: 0, by: -1) {
      var dy = y[t]
      dy[p.tokens[t + 1]] -= 1
      var dh = dhNext
      for k in 0..<p.V {
        db_y[k] += dy[k]
        for j in 0..<p.H {
          dW_yh[k][j] += dy[k] * h[t + 1][j]
          dh[j] += p.W_yh[k][j] * dy[k]
        }
      }
      var dhRaw = [Double](repeating: 0, count: p.H)   // δh_t = (1 − h_t²) ⊙ dh_t
      for j in 0..<p.H {
        let hj = h[t + 1][j]
        dhRaw[j] = (1 - hj * hj) * dh[j]
      }
      dhNext = [Double](repeating: 0, count: p.H)
      for i in 0..<p.H {
        db_h[i] += dhRaw[i]
        dW_xh[i][p.tokens[t]] += dhRaw[i]
        for j in 0..<p.H {
          dW_hh[i][j] += dhRaw[i] * h[t][j]
          dhNext[j] += p.W_hh[i][j] * dhRaw[i]
        }
      }
    }
    dh0 = dhNext
  }
}

func loss(_ p: Inputs) -> Double? { Gradients(p).loss }
func dW_xh(_ p: Inputs) -> [[Double]]? { Gradients(p).dW_xh }
func dW_hh(_ p: Inputs) -> [[Double]]? { Gradients(p).dW_hh }
func dW_yh(_ p: Inputs) -> [[Double]]? { Gradients(p).dW_yh }
func db_h(_ p: Inputs) -> [Double]? { Gradients(p).db_h }
func db_y(_ p: Inputs) -> [Double]? { Gradients(p).db_y }
func dh0(_ p: Inputs) -> [Double]? { Gradients(p).dh0 }
