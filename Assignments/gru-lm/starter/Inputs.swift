// The inputs of one gru-lm problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   tokens  T+1      x^(1) … x^(T+1), token indices in 0..<|V|; x^(t+1) is the target of step t
//   E       d × V    embedding matrix; e^(t) = E x^(t) is column x^(t) of E
//   W_x     3*H × d  input weights, blocks of H rows r, z, n (PyTorch's weight_ih_l0)
//   W_h     3*H × H  recurrent weights W_hr, W_hz, W_hn (PyTorch's weight_hh_l0)
//   b_x     3*H      input biases b_xr, b_xz, b_xn (PyTorch's bias_ih_l0)
//   b_h     3*H      recurrent biases b_hr, b_hz, b_hn (PyTorch's bias_hh_l0); b_hn is inside r ⊙ (W_hn h^(t−1) + b_hn)
//   U       V × H    output weights
//   b_2     V        output bias
//   h0      H        initial state h^(0)
//
// A matrix is an array of rows: m[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let E: [[Double]]
  let W_x: [[Double]]
  let W_h: [[Double]]
  let b_x: [Double]
  let b_h: [Double]
  let U: [[Double]]
  let b_2: [Double]
  let h0: [Double]

  /// T: the number of time steps (from the shape of `tokens`).
  var T: Int { tokens.count - 1 }
  /// V: the vocabulary size (from the shape of `b_2`).
  var V: Int { b_2.count }
  /// d: the embedding size (from the shape of `E`).
  var d: Int { E.count }
  /// H: the hidden size, the units of each gate (from the shape of `h0`).
  var H: Int { h0.count }
}
