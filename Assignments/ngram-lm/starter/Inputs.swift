// The inputs of one ngram-lm problem, as plain Swift arrays (0-based indices).
// Generated from the assignment: the grader always compiles your code with this file.
//
//   train     N_train+S_train  the training corpus: S_train sentences <s> w_1 … w_n </s> one after the other, N_train predicted tokens
//   test      N_test+S_test    the test corpus: S_test sentences <s> w_1 … w_n </s>, N_test predicted tokens
//   sentence  n                the words w_1 … w_n of the given sentence (no <s>, no </s>)
//   V         scalar           the number of words: ids 2…V+1 (0 = <s>, 1 = </s>)
//
// A matrix is an array of rows: m[i][j] is row i, column j.

struct Inputs {
  let train: [Int]
  let test: [Int]
  let sentence: [Int]
  let V: Int

  /// n: the number of words of the given sentence (from the shape of `sentence`).
  var n: Int { sentence.count }
}
