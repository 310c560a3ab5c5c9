// The inputs of one window-lm problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   tokens  n+1      x^(1) … x^(n+1), token indices in 0..<|V|; the first n are the window, the last is the target x^(n+1)
//   E       d × V    embedding matrix; E x^(k) is column x^(k) of E
//   W       H × n*d  hidden-layer weights; columns (k−1)d … kd − 1 act on the embedding of x^(k)
//   b_1     H        hidden bias
//   U       V × H    output weights
//   b_2     V        output bias
//
// A matrix is an array of rows: m[i][j] is row i, column j.

struct Inputs {
  let tokens: [Int]
  let E: [[Double]]
  let W: [[Double]]
  let b_1: [Double]
  let U: [[Double]]
  let b_2: [Double]

  /// n: the number of words in the window (from the shape of `tokens`).
  var n: Int { tokens.count - 1 }
  /// d: the embedding size (from the shape of `E`).
  var d: Int { E.count }
  /// H: the hidden size (from the shape of `b_1`).
  var H: Int { b_1.count }
  /// V: the vocabulary size (from the shape of `b_2`).
  var V: Int { b_2.count }
}
