import Jacobians
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A second implementation of every item, written straight from note 004's formulas with
/// dictionaries keyed by token arrays, sharing no code with the library. It expects valid inputs.
struct IndependentNGram {
  let V: Int
  /// Each training sentence as written, <s> … </s>.
  let sentences: [[Int]]
  var c1: [Int: Int] = [:]
  var c2: [[Int]: Int] = [:]
  var c3: [[Int]: Int] = [:]

  init(train: [Int], V: Int) {
    self.V = V
    sentences = Self.split(train)
    for s in sentences {
      for t in s { c1[t, default: 0] += 1 }
      for i in 1..<s.count {
        c2[[s[i - 1], s[i]], default: 0] += 1
        if i >= 2 { c3[[s[i - 2], s[i - 1], s[i]], default: 0] += 1 }
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

  /// C(history) as a context: the n-grams that begin with `history`.
  func contextCount(_ history: [Int]) -> Int {
    let table = history.count == 1 ? c2 : c3
    return table.filter { Array($0.key.dropLast()) == history }.values.reduce(0, +)
  }

  func count(_ gram: [Int]) -> Int {
    switch gram.count {
    case 1: return c1[gram[0]] ?? 0
    case 2: return c2[gram] ?? 0
    default: return c3[gram] ?? 0
    }
  }

  func mle(_ w: Int, _ history: [Int]) -> Double {
    let d = contextCount(history)
    return d == 0 ? 0 : Double(count(history + [w])) / Double(d)
  }

  func laplace(_ w: Int, _ history: [Int], k: Double) -> Double {
    if w == 0 { return 0 }
    return (Double(count(history + [w])) + k) / (Double(contextCount(history)) + k * Double(V + 1))
  }

  /// Each predicted token of a corpus with its history inside the sentence (at most 2 tokens).
  static func predictions(_ tokens: [Int]) -> [(w: Int, history: [Int])] {
    split(tokens).flatMap { s in (1..<s.count).map { i in (s[i], Array(s[Swift.max(0, i - 2)..<i])) } }
  }

  func model(_ w: Int, _ history: [Int], k: Double, order: Int) -> Double {
    laplace(w, order == 3 ? history : [history.last!], k: k)
  }

  func backoff(_ w: Int, _ history: [Int]) -> Double {
    if history.count == 2 && count(history + [w]) > 0 { return mle(w, history) }
    if count([history.last!, w]) > 0 { return mle(w, [history.last!]) }
    let n = sentences.reduce(0) { $0 + $1.count - 1 }
    if count([w]) > 0 { return Double(count([w])) / Double(n) }
    return 1 / Double(V + 1)
  }

  /// Every item by name.
  func items(test: [Int], sentenceWords: [Int], k: Double, order: Int) -> [String: Matrix] {
    let ids = 0..<(V + 2)
    let predictions = Self.predictions(test)
    let logprob = predictions.reduce(0.0) { $0 + log(model($1.w, $1.history, k: k, order: order)) }
    let sentence = Self.predictions([0] + sentenceWords + [1])
    return [
      "unigram_counts": Matrix(column: ids.map { Double(count([$0])) }),
      "bigram_counts": Matrix(rows: V + 2, cols: V + 2) { p, w in Double(count([p, w])) },
      "p_mle": Matrix(rows: V + 2, cols: V + 2) { p, w in mle(w, [p]) },
      "p_laplace": Matrix(rows: V + 2, cols: V + 2) { p, w in laplace(w, [p], k: k) },
      "p_backoff_test": Matrix(column: predictions.map { backoff($0.w, $0.history) }),
      "logprob_test": Matrix(scalar: logprob),
      "perplexity_test": Matrix(scalar: exp(-logprob / Double(predictions.count))),
      "perplexity_uniform": Matrix(scalar: Double(V + 1)),
      "sentence_probability": Matrix(scalar: sentence.reduce(1.0) { $0 * model($1.w, $1.history, k: k, order: order) }),
    ]
  }
}
