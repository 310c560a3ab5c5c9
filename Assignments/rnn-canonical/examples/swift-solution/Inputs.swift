// The inputs of one rnn-canonical problem, as plain Swift arrays (column convention, 0-based
// character indices). This file is provided by the grader: your copy is always replaced by this one.
//
//   tokens  T+1     x_1 … x_{T+1}; x_t is one-hot, so W_xh x_t is column tokens[t] of W_xh
//   W_xh    H × V   input-to-hidden weights
//   W_hh    H × H   hidden-to-hidden weights
//   W_yh    V × H   hidden-to-output weights
//   b_h     H       hidden bias
//   b_y     V       output bias
//   h0      H       initial hidden state h_0
//
// A matrix is an array of rows: W_hh[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let W_xh: [[Double]]
  let W_hh: [[Double]]
  let W_yh: [[Double]]
  let b_h: [Double]
  let b_y: [Double]
  let h0: [Double]

  /// Number of time steps.
  var T: Int { tokens.count - 1 }
  /// Vocabulary size.
  var V: Int { b_y.count }
  /// Hidden size.
  var H: Int { h0.count }
}
