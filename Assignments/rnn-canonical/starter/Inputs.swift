// The inputs of one rnn-canonical problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   tokens  T+1    x_1 … x_{T+1}, character indices in 0..<|V|
//   W_xh    H × V  input-to-hidden weights
//   W_hh    H × H  hidden-to-hidden weights
//   W_yh    V × H  hidden-to-output weights
//   b_h     H      hidden bias
//   b_y     V      output bias
//   h0      H      initial hidden state h_0
//
// A matrix is an array of rows: m[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let W_xh: [[Double]]
  let W_hh: [[Double]]
  let W_yh: [[Double]]
  let b_h: [Double]
  let b_y: [Double]
  let h0: [Double]

  /// T: the number of time steps (from the shape of `tokens`).
  var T: Int { tokens.count - 1 }
  /// V: the vocabulary size (from the shape of `b_y`).
  var V: Int { b_y.count }
  /// H: the hidden size (from the shape of `b_h`).
  var H: Int { b_h.count }
}
