// ngram-lm, worked solution (note 004: counts, add-k smoothing with k = 1, the bigram model).
//
//   ids 0 = <s>, 1 = </s>, 2…V+1 the words; one <s> and one </s> per sentence
//   predicted tokens: every word and every </s>;  |V| = V + 1 in smoothing;  natural logs
//
//   P_MLE(w | p) = C(p w) / C(p)                 C(p) = Σ_w C(p w), the count as a context
//   P_k(w | p)   = (C(p w) + k) / (C(p) + k(V+1)),  P(<s> | p) = 0
//   P*(w | a, b) = trigram → bigram → unigram C(w)/N_train → 1/(V+1)   (the lecture's back-off)
//   PP(W)        = exp(−(1/N) Σ_i ln P(x_i | history))

import Foundation

/// The smoothing constant and the order of the assignment.
private let k = 1.0
private let order = 2

/// Every count of the training corpus, sentence by sentence.
private struct Counts {
  let V: Int
  var unigram: [Double]
  var bigram: [[Double]]
  var context: [Double]
  var trigram: [[Int]: Double] = [:]
  var trigramContext: [[Int]: Double] = [:]
  /// N_train: the words and </s> of train.
  var predicted = 0.0

  init(_ p: Inputs) {
    V = p.V
    let n = p.V + 2
    unigram = Array(repeating: 0, count: n)
    bigram = Array(repeating: Array(repeating: 0, count: n), count: n)
    context = Array(repeating: 0, count: n)
    for s in sentences(p.train) {
      for t in s { unigram[t] += 1 }
      for i in 1..<s.count {
        bigram[s[i - 1]][s[i]] += 1
        context[s[i - 1]] += 1
        predicted += 1
        if i >= 2 {
          trigram[[s[i - 2], s[i - 1], s[i]], default: 0] += 1
          trigramContext[[s[i - 2], s[i - 1]], default: 0] += 1
        }
      }
    }
  }

  /// P(s[i] | history) under the add-k model of `order`.
  func addK(_ s: [Int], _ i: Int) -> Double {
    let w = s[i], b = s[i - 1]
    if order == 3 && i >= 2 {
      let a = s[i - 2]
      return ((trigram[[a, b, w]] ?? 0) + k) / ((trigramContext[[a, b]] ?? 0) + k * Double(V + 1))
    }
    return (bigram[b][w] + k) / (context[b] + k * Double(V + 1))
  }

  /// The lecture's simplified back-off at s[i].
  func backoff(_ s: [Int], _ i: Int) -> Double {
    let w = s[i], b = s[i - 1]
    if i >= 2, let c = trigram[[s[i - 2], b, w]], c > 0 { return c / trigramContext[[s[i - 2], b]]! }
    if bigram[b][w] > 0 { return bigram[b][w] / context[b] }
    if unigram[w] > 0 { return unigram[w] / predicted }
    return 1 / Double(V + 1)
  }
}

/// The sentences of a corpus, each <s> w_1 … w_n </s>.
private func sentences(_ tokens: [Int]) -> [[Int]] {
  var out: [[Int]] = []
  var current: [Int] = []
  for t in tokens {
    current.append(t)
    if t == 1 {
      out.append(current)
      current = []
    }
  }
  return out
}

/// ln P(x_i | history) for every predicted token of test, in order.
private func testLogs(_ p: Inputs, _ c: Counts) -> [Double] {
  sentences(p.test).flatMap { s in (1..<s.count).map { log(c.addK(s, $0)) } }
}

func unigram_counts(_ p: Inputs) -> [Double]? { Counts(p).unigram }

func bigram_counts(_ p: Inputs) -> [[Double]]? { Counts(p).bigram }

func p_mle(_ p: Inputs) -> [[Double]]? {
  let c = Counts(p)
  return c.bigram.enumerated().map { row, counts in counts.map { c.context[row] > 0 ? $0 / c.context[row] : 0 } }
}

func p_laplace(_ p: Inputs) -> [[Double]]? {
  let c = Counts(p)
  return c.bigram.enumerated().map { row, counts in
    counts.enumerated().map { w, count in w == 0 ? 0 : (count + k) / (c.context[row] + k * Double(p.V + 1)) }
  }
}

func p_backoff_test(_ p: Inputs) -> [Double]? {
  let c = Counts(p)
  return sentences(p.test).flatMap { s in (1..<s.count).map { c.backoff(s, $0) } }
}

func logprob_test(_ p: Inputs) -> Double? { testLogs(p, Counts(p)).reduce(0, +) }

func perplexity_test(_ p: Inputs) -> Double? {
  let logs = testLogs(p, Counts(p))
  return exp(-logs.reduce(0, +) / Double(logs.count))
}

func perplexity_uniform(_ p: Inputs) -> Double? {
  let N = Double(sentences(p.test).reduce(0) { $0 + $1.count - 1 })
  return exp(-(N * log(1 / Double(p.V + 1))) / N)
}

func sentence_probability(_ p: Inputs) -> Double? {
  let c = Counts(p)
  let s = [0] + p.sentence + [1]
  return (1..<s.count).reduce(1.0) { $0 * c.addK(s, $1) }
}
