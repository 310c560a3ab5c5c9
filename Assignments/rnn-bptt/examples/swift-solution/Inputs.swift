// The inputs of one rnn-bptt problem, as plain Swift arrays (column convention, 0-based tokens).
// This file is provided by the grader: your copy is always replaced by this one.
//
//   tokens  T+1     x^(1) … x^(T+1); token t+1 is the target of step t
//   E       d × V   embeddings; e^(t) = E x^(t) is column tokens[t] of E
//   W_h     H × H   recurrent weights
//   W_e     H × d   input weights
//   b_1     H       hidden bias
//   U       V × H   output weights
//   b_2     V       output bias
//   h0      H       initial hidden state h^(0)
//
// A matrix is an array of rows: W_h[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let E: [[Double]]
  let W_h: [[Double]]
  let W_e: [[Double]]
  let b_1: [Double]
  let U: [[Double]]
  let b_2: [Double]
  let h0: [Double]

  /// Number of time steps.
  var T: Int { tokens.count - 1 }
  /// Vocabulary size.
  var V: Int { b_2.count }
  /// Embedding size.
  var d: Int { E.count }
  /// Hidden size.
  var H: Int { h0.count }
}
