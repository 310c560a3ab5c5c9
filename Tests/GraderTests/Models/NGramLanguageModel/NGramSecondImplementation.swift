import Foundation
@testable import Grader

/// The `ngram-lm` items computed a second time, straight from note 004's formulas and the
/// assignment's statement, sharing no code with `NGram`: counts in dictionaries keyed by token
/// arrays, sums in reverse order, the perplexity as Π P^(−1/N) and the sentence probability as
/// exp Σ ln P. Equal to the reference up to rounding, so it is both an independent check of the
/// reference and a "reordered but equal" correct submission.
struct NGramSecondImplementation {
  let V: Int
  let k: Double
  let order: Int
  var c: [[Int]: Double] = [:]
  /// C(history) as a context: the n-grams that begin with `history`.
  var context: [[Int]: Double] = [:]
  var nTrain = 0.0

  init(inputs: [String: Tensor], k: Double, order: Int) {
    V = Int(inputs["V"]!.scalars[0])
    self.k = k
    self.order = order
    for s in Self.split(inputs["train"]!.ints) {
      for t in s { c[[t], default: 0] += 1 }
      for i in 1..<s.count {
        nTrain += 1
        c[[s[i - 1], s[i]], default: 0] += 1
        context[[s[i - 1]], default: 0] += 1
        if i >= 2 {
          c[[s[i - 2], s[i - 1], s[i]], default: 0] += 1
          context[[s[i - 2], s[i - 1]], default: 0] += 1
        }
      }
    }
  }

  static func split(_ tokens: [Int]) -> [[Int]] {
    var out: [[Int]] = [], current: [Int] = []
    for t in tokens {
      current.append(t)
      if t == 1 { out.append(current); current = [] }
    }
    return out
  }

  func count(_ gram: [Int]) -> Double { c[gram] ?? 0 }
  func contextCount(_ history: [Int]) -> Double { context[history] ?? 0 }

  /// The add-k estimate of s[i] under the model of `order`.
  func addK(_ s: [Int], _ i: Int) -> Double {
    let history = order == 3 && i >= 2 ? [s[i - 2], s[i - 1]] : [s[i - 1]]
    return (count(history + [s[i]]) + k) / (contextCount(history) + k * Double(V + 1))
  }

  func backoff(_ s: [Int], _ i: Int) -> Double {
    if i >= 2, count([s[i - 2], s[i - 1], s[i]]) > 0 { return count([s[i - 2], s[i - 1], s[i]]) / contextCount([s[i - 2], s[i - 1]]) }
    if count([s[i - 1], s[i]]) > 0 { return count([s[i - 1], s[i]]) / contextCount([s[i - 1]]) }
    if count([s[i]]) > 0 { return count([s[i]]) / nTrain }
    return 1 / Double(V + 1)
  }

  /// Every item, in the declared shapes.
  func items(_ inputs: [String: Tensor]) -> [String: Tensor] {
    let n = V + 2
    let table = { (f: (Int, Int) -> Double) in Tensor(shape: [n, n], scalars: (0..<(n * n)).map { f($0 / n, $0 % n) }) }
    let test = Self.split(inputs["test"]!.ints).flatMap { s in (1..<s.count).map { (s, $0) } }
    let N = Double(test.count)
    let logs = test.map { log(addK($0.0, $0.1)) }
    let sentence = [0] + inputs["sentence"]!.ints + [1]
    return [
      "unigram_counts": Tensor(shape: [n], scalars: (0..<n).map { count([$0]) }),
      "bigram_counts": table { count([$0, $1]) },
      "p_mle": table { p, w in contextCount([p]) == 0 ? 0 : count([p, w]) / contextCount([p]) },
      "p_laplace": table { p, w in w == 0 ? 0 : (count([p, w]) + k) / (contextCount([p]) + k * Double(V + 1)) },
      "p_backoff_test": Tensor(shape: [test.count], scalars: test.map { backoff($0.0, $0.1) }),
      "logprob_test": Tensor(scalar: logs.reversed().reduce(0, +)),
      "perplexity_test": Tensor(scalar: test.reduce(1.0) { $0 * pow(addK($1.0, $1.1), -1 / N) }),
      "perplexity_uniform": Tensor(scalar: pow(1 / Double(V + 1), -N / N)),
      "sentence_probability": Tensor(scalar: exp((1..<sentence.count).map { log(addK(sentence, $0)) }.reduce(0, +))),
    ]
  }
}
