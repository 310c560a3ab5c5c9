// The inputs of one backprop-basics problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   x       m             input of the scoring network
//   W       n × m         weights of the scoring network
//   b       n             bias of the scoring network
//   u       n             score vector of the scoring network
//   theta   K             softmax input θ
//   label   scalar        the correct class of θ, in 0..<K
//   window  window × d    the window's word vectors, one per row
//   W_win   n × window*d  weights of the window classifier
//   b_win   n             bias of the window classifier
//   u_win   n             score vector of the window classifier
//   X       N × D         examples of the softmax classifier, one per row
//   y       N             their classes, in 0..<C
//   W_cls   D × C         weights of the softmax classifier
//   reg     scalar        L2 strength λ
//   xyz     3             the point (x, y, z) of the graph f = (x + y)·max(y, z)
//   t       scalar        the point t of the chain-rule example
//
// A matrix is an array of rows: m[i][j] is row i, column j.

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

  /// m: the input size of the scoring network (from the shape of `x`).
  var m: Int { x.count }
  /// n: its hidden size (and the window classifier's) (from the shape of `b`).
  var n: Int { b.count }
  /// K: the number of classes of the softmax (from the shape of `theta`).
  var K: Int { theta.count }
  /// d: the size of a word vector of the window (from the shape of `window`).
  var d: Int { window.first?.count ?? 0 }
  /// N: the number of examples of the softmax classifier (from the shape of `y`).
  var N: Int { y.count }
  /// D: their number of features (from the shape of `X`).
  var D: Int { X.first?.count ?? 0 }
  /// C: their number of classes (from the shape of `W_cls`).
  var C: Int { W_cls.first?.count ?? 0 }
}
