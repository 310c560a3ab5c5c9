// The inputs of one lstm-lm problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   tokens  T+1      x^(1) … x^(T+1), token indices in 0..<|V|; x^(t+1) is the target of step t
//   E       d × V    embedding matrix; e^(t) = E x^(t) is column x^(t) of E
//   W_x     4*H × d  input weights of the gates, blocks of H rows i, f, o, g
//   W_h     4*H × H  recurrent weights of the gates, blocks of H rows i, f, o, g
//   b       4*H      gate biases, blocks i, f, o, g
//   U       V × H    output weights
//   b_2     V        output bias
//   h0      H        initial hidden state h^(0)
//   c0      H        initial cell state c^(0)
//
// A matrix is an array of rows: m[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let E: [[Double]]
  let W_x: [[Double]]
  let W_h: [[Double]]
  let b: [Double]
  let U: [[Double]]
  let b_2: [Double]
  let h0: [Double]
  let c0: [Double]

  /// T: the number of time steps (from the shape of `tokens`).
  var T: Int { tokens.count - 1 }
  /// V: the vocabulary size (from the shape of `b_2`).
  var V: Int { b_2.count }
  /// d: the embedding size (from the shape of `E`).
  var d: Int { E.count }
  /// H: the hidden size, the units of each gate (from the shape of `h0`).
  var H: Int { h0.count }
}
