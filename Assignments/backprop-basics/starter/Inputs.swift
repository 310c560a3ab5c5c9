// The inputs of one backprop-basics problem, as plain Swift arrays (vectors are 1-D arrays,
// indices are 0-based). This file is provided by the grader: your copy is always replaced by this one.
//
//   Scoring network   z = W x + b, h = σ(z), s = uᵀh
//     x      m          W      n × m        b, u   n
//   Softmax           ŷ = softmax(θ), CE = −log ŷ[label]
//     theta  K          label  0..<K
//   Window classifier x = [x_1; …; x_5] (the rows of `window` stacked), z = W_win x + b_win,
//                     h = σ(z), s = u_winᵀh, J = σ(s)
//     window 5 × d      W_win  n × (5·d)    b_win, u_win  n
//   Softmax classifier S = X W_cls, L = (1/N) Σ_i −log softmax(S_i)[y_i] + reg·Σ W_cls²
//     X      N × D      y      N classes in 0..<C      W_cls  D × C      reg  λ
//   Graph             f(x, y, z) = (x + y)·max(y, z) at xyz = [x, y, z]
//   Chain rule        z = x²y − y², x = t², y = 2t, at t
//
// A matrix is an array of rows: W[i][j] is row i, column j.

struct Inputs {
  let x: [Double]
  let W: [[Double]]
  let b: [Double]
  let u: [Double]
  let theta: [Double]
  let label: Int
  let window: [[Double]]
  let W_win: [[Double]]
  let b_win: [Double]
  let u_win: [Double]
  let X: [[Double]]
  let y: [Int]
  let W_cls: [[Double]]
  let reg: Double
  let xyz: [Double]
  let t: Double

  /// Input size m and hidden size n of the scoring network.
  var m: Int { x.count }
  var n: Int { b.count }
  /// Number of classes of the softmax, K.
  var K: Int { theta.count }
  /// Examples N, features D and classes C of the softmax classifier.
  var N: Int { X.count }
  var D: Int { W_cls.count }
  var C: Int { W_cls.first?.count ?? 0 }
}
