import Foundation
import Jacobians
import NGram

/// The derivations of the `ngram-lm` items (note 004) with the student's counts, in the notes'
/// notation and with the words of the student's corpora:
///
/// ```
/// P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1})                               p_mle
/// P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1))              p_laplace
///                  = (3 + 1) / (12 + 11) = 0.1739    for one context of the student's test set
/// P*(w | w', w'')  = trigram → bigram → unigram C(w)/N → 1/#words              p_backoff_test
/// PP(W)            = exp(−(1/N) Σ_i ln P(x_i | history)),  with N and Σ shown   perplexity_test
/// ```
/// Every number comes from `NGram` at the student's inputs.
struct NGramLanguageModelExplanation {
  let model: NGramLanguageModel
  let problem: NGramProblem

  var V: Int { model.V }
  var k: Double { model.options.smoothingK }
  var order: Int { model.options.order }
  var counts: NGramCounts { problem.counts }
  var words: [String] { model.words }

  func name(_ id: Int) -> String { id >= 0 && id < words.count ? words[id] : "?\(id)" }
  func number(_ x: Double) -> String { Autograder.number(x) }
  /// The ids as text, e.g. "<s> the cat sat </s>".
  func text(_ ids: [Int]) -> String { ids.map(name).joined(separator: " ") }

  func steps(for item: String) -> [ExplanationStep] {
    switch item {
    case "unigram_counts": return vocabulary() + unigrams()
    case "bigram_counts": return vocabulary() + bigrams()
    case "p_mle": return vocabulary() + maximumLikelihood()
    case "p_laplace": return vocabulary() + laplace()
    case "p_backoff_test": return vocabulary() + backoff()
    case "logprob_test": return vocabulary() + logProbability()
    case "perplexity_test": return vocabulary() + logProbability() + perplexity()
    case "perplexity_uniform": return vocabulary() + uniform()
    case "sentence_probability": return vocabulary() + sentence()
    default: return []
    }
  }

  // MARK: The ids and the counts

  func vocabulary() -> [ExplanationStep] {
    let list = (0..<(V + 2)).map { "\($0) \(name($0))" }.joined(separator: ", ")
    return [
      ExplanationStep(
        formula: "ids: 0 = <s>, 1 = </s>, 2…V+1 = the V = \(V) words",
        note: list + ". The model predicts the words and </s>: V + 1 = \(V + 1) tokens; <s> is context only."),
      ExplanationStep(
        formula: "train: S = \(problem.train.sentenceCount) sentences <s> w_1 … w_n </s>, N = \(problem.train.predictedCount) predicted tokens (words and </s>)",
        note: "first sentence: \(text(Array(problem.train.tokens[problem.train.sentences[0]])))"),
    ]
  }

  func unigrams() -> [ExplanationStep] {
    let heldOut = (2..<(V + 2)).filter { counts.count($0) == 0 }.map(name)
    return [
      ExplanationStep(
        formula: "C(w) = the number of times id w occurs in train, <s> and </s> included", shape: "1 × (V+2) = 1 × \(V + 2)",
        value: Matrix(row: counts.unigram.map(Double.init)),
        note: "C(<s>) = C(</s>) = S = \(counts.sentenceCount) (one of each per sentence); Σ_w C(w) = N + S = \(counts.predictedCount + counts.sentenceCount)"
          + (heldOut.isEmpty ? "" : "; never in train: \(heldOut.joined(separator: ", "))")),
    ]
  }

  /// The row C(p ·) of one context, and C(p) as a context.
  func contextRow(_ p: Int) -> Matrix {
    Matrix(row: (0..<(V + 2)).map { Double(counts.count(p, $0)) })
  }

  func bigrams() -> [ExplanationStep] {
    let first = Array(problem.train.tokens[problem.train.sentences[0]])
    let pairs = zip(first, first.dropFirst()).map { "(\(name($0)) \(name($1)))" }.joined(separator: " ")
    let p = workedPosition().previous
    return [
      ExplanationStep(
        formula: "C(w_{n−1} w_n): each adjacent pair of a sentence, row = the previous token w_{n−1}, column = the next token w_n",
        note: "the first sentence adds \(pairs); no pair crosses two sentences, so row </s> and column <s> are 0"),
      ExplanationStep(
        formula: "C(w_{n−1}) as a context = Σ_w C(w_{n−1} w), the row sums", shape: "1 × \(V + 2)",
        value: Matrix(row: counts.bigramContext.map(Double.init)),
        note: "= C(w_{n−1}) for <s> and every word (each is followed by a token in its sentence); 0 for </s>"),
      ExplanationStep(
        formula: "row w_{n−1} = \(name(p)): C(\(name(p)) w_n) for w_n = <s>, </s>, \(name(2)), …", shape: "1 × \(V + 2)",
        value: contextRow(p), note: "C(\(name(p))) = \(counts.contextCount(p))"),
    ]
  }

  // MARK: The bigram tables

  /// The position of the test set the worked numbers use: the first whose context was seen in
  /// training and whose bigram was not (smoothing shows there), else the first with a seen context.
  func workedPosition() -> NGramPosition {
    let positions = problem.test.positions
    return positions.first { counts.contextCount($0.previous) > 0 && counts.count($0.previous, $0.token) == 0 }
      ?? positions.first { counts.contextCount($0.previous) > 0 } ?? positions[0]
  }

  func whereInTest(_ x: NGramPosition) -> String {
    let s = problem.test.sentences[x.sentence]
    return "test sentence \(x.sentence + 1), \(text(Array(problem.test.tokens[s])))"
  }

  /// An unseen context of the test set (the held-out word's row), if any.
  func unseenTestContext() -> Int? {
    problem.test.positions.first { counts.contextCount($0.previous) == 0 }?.previous
  }

  func maximumLikelihood() -> [ExplanationStep] {
    let x = workedPosition()
    let p = x.previous
    let C = counts.contextCount(p)
    let seen = (1..<(V + 2)).first { counts.count(p, $0) > 0 } ?? x.token
    var steps = [
      ExplanationStep(
        formula: "P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}), C(w_{n−1}) the count as a context",
        note: "a row of a context seen in training sums to 1; an unseen context (C = 0) has the row 0; column <s> is 0"),
      ExplanationStep(formula: "C(\(name(p)) w_n), the row of w_{n−1} = \(name(p)) (used in \(whereInTest(x)))", shape: "1 × \(V + 2)", value: contextRow(p),
                      note: "C(\(name(p))) = \(C)"),
      ExplanationStep(
        formula: "P(w_n | \(name(p))) = C(\(name(p)) w_n) / \(C)", shape: "1 × \(V + 2)",
        value: Matrix(row: (0..<(V + 2)).map { MaximumLikelihood.probability($0, given: p, counts) }),
        note: "e.g. P(\(name(seen)) | \(name(p))) = \(counts.count(p, seen)) / \(C) = \(number(MaximumLikelihood.probability(seen, given: p, counts)))"
          + "; P(\(name(x.token)) | \(name(p))) = \(counts.count(p, x.token)) / \(C) = \(number(MaximumLikelihood.probability(x.token, given: p, counts)))"),
    ]
    if let u = unseenTestContext() {
      steps.append(ExplanationStep(formula: "C(\(name(u))) = 0 as a context: the row of \(name(u)) is 0", note: "a context never seen in training has no maximum likelihood estimate"))
    }
    return steps
  }

  /// "(c + k) / (C + k·(V+1))" with the numbers.
  func addKFraction(count c: Int, context C: Int) -> String {
    "(\(c) + \(number(k))) / (\(C) + \(number(k))·\(V + 1))"
  }

  func laplace() -> [ExplanationStep] {
    let x = workedPosition()
    let p = x.previous
    let C = counts.contextCount(p)
    let seen = (1..<(V + 2)).first { counts.count(p, $0) > 0 } ?? x.token
    let row = (0..<(V + 2)).map { AddKSmoothing.probability($0, given: p, counts, k: k) }
    var steps = [
      ExplanationStep(
        formula: "P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)),  k = \(number(k)), V + 1 = \(V + 1)",
        note: "|V| = V + 1: the V words and </s> (<s> is never predicted: column <s> is 0); each row sums to 1"),
      ExplanationStep(formula: "C(\(name(p)) w_n), the row of w_{n−1} = \(name(p)) (used in \(whereInTest(x)))", shape: "1 × \(V + 2)", value: contextRow(p),
                      note: "C(\(name(p))) = \(C): the denominator is \(C) + \(number(k))·\(V + 1) = \(number(Double(C) + k * Double(V + 1)))"),
      ExplanationStep(
        formula: "P(w_n | \(name(p))) = (C(\(name(p)) w_n) + \(number(k))) / \(number(Double(C) + k * Double(V + 1)))", shape: "1 × \(V + 2)", value: Matrix(row: row),
        note: "seen: P(\(name(seen)) | \(name(p))) = \(addKFraction(count: counts.count(p, seen), context: C)) = \(number(row[seen]))"
          + "; the test's bigram (\(name(p)) \(name(x.token))): P(\(name(x.token)) | \(name(p))) = \(addKFraction(count: counts.count(p, x.token), context: C)) = \(number(row[x.token]))"),
    ]
    if let u = unseenTestContext() {
      steps.append(ExplanationStep(
        formula: "C(\(name(u))) = 0 as a context: P(w_n | \(name(u))) = (0 + \(number(k))) / (0 + \(number(k))·\(V + 1)) = 1/\(V + 1) = \(number(1 / Double(V + 1)))",
        note: "an unseen context (also </s>) gets the uniform row over the V + 1 predicted tokens"))
    }
    return steps
  }

  // MARK: The back-off

  func backoff() -> [ExplanationStep] {
    let positions = problem.test.positions
    let estimates = KatzBackoff.estimates(problem.test, counts, order: 3)
    var steps = [
      ExplanationStep(
        formula: "P*(w | w', w'') = C(w' w'' w)/C(w' w'') if C(w' w'' w) > 0; else C(w'' w)/C(w'') if C(w'' w) > 0; else C(w)/N if C(w) > 0; else 1/#words",
        note: "w = x_i, w'' = x_{i−1}, w' = x_{i−2} inside the sentence (the first token after <s> starts at the bigram); N = \(counts.predictedCount) predicted training tokens; #words = V + 1 = \(V + 1); no discount, no α"),
      ExplanationStep(
        formula: "the level at each of the N = \(positions.count) predicted test tokens: 3 trigram, 2 bigram, 1 unigram, 0 = 1/#words", shape: "1 × \(positions.count)",
        value: Matrix(row: estimates.map { Double($0.level.rawValue) })),
    ]
    for level in [BackoffLevel.trigram, .bigram, .unigram, .uniform] {
      guard let i = estimates.firstIndex(where: { $0.level == level }) else { continue }
      let x = positions[i], w = x.token, b = x.previous
      let formula: String
      switch level {
      case .trigram:
        let a = x.beforePrevious!
        formula = "C(\(name(a)) \(name(b)) \(name(w))) / C(\(name(a)) \(name(b))) = \(counts.count(a, b, w)) / \(counts.contextCount(a, b))"
      case .bigram:
        formula = "C(\(name(b)) \(name(w))) / C(\(name(b))) = \(counts.count(b, w)) / \(counts.contextCount(b))"
      case .unigram:
        formula = "C(\(name(b)) \(name(w))) = 0, so C(\(name(w))) / N = \(counts.count(w)) / \(counts.predictedCount)"
      case .uniform:
        formula = "C(\(name(w))) = 0, so 1/#words = 1/\(V + 1)"
      }
      steps.append(ExplanationStep(
        formula: "\(level): position \(i + 1), P*(\(name(w)) | \(x.beforePrevious.map { name($0) + " " } ?? "")\(name(b))) = \(formula) = \(number(estimates[i].probability))",
        note: "in \(whereInTest(x))"))
    }
    return steps
  }

  // MARK: Log-probability and perplexity

  /// The add-k estimate at one position under the model of `order`, written out.
  func factor(_ x: NGramPosition) -> String {
    let w = x.token, b = x.previous
    let p = AddKSmoothing.probability(at: x, counts, k: k, order: order)
    if order >= 3, let a = x.beforePrevious {
      return "P(\(name(w)) | \(name(a)) \(name(b))) = (C(\(name(a)) \(name(b)) \(name(w))) + k) / (C(\(name(a)) \(name(b))) + k(V+1)) = \(addKFraction(count: counts.count(a, b, w), context: counts.contextCount(a, b))) = \(number(p))"
    }
    return "P(\(name(w)) | \(name(b))) = (C(\(name(b)) \(name(w))) + k) / (C(\(name(b))) + k(V+1)) = \(addKFraction(count: counts.count(b, w), context: counts.contextCount(b))) = \(number(p))"
  }

  var modelName: String {
    order >= 3
      ? "the add-k trigram model P(x_i | x_{i−2} x_{i−1}) (the bigram for the first token after <s>)"
      : "the add-k bigram model P(x_i | x_{i−1})"
  }

  func logProbability() -> [ExplanationStep] {
    let positions = problem.test.positions
    let logs = positions.map { log(AddKSmoothing.probability(at: $0, counts, k: k, order: order)) }
    let sum = Perplexity.logProbability(problem.test, counts, options: model.options)
    return [
      ExplanationStep(
        formula: "log P(W) = Σ_{i=1…N} ln P(x_i | history), \(modelName), k = \(number(k))",
        note: "N = \(positions.count): every word and every </s> of the test set (\(problem.test.sentenceCount) sentences; the <s> are not predicted)"),
      ExplanationStep(formula: "the first term: \(factor(positions[0]))", note: "in \(whereInTest(positions[0]))"),
      ExplanationStep(formula: "ln P(x_i | history) for i = 1…\(positions.count)", shape: "1 × \(positions.count)", value: Matrix(row: logs),
                      note: "Σ = \(number(sum))"),
    ]
  }

  func perplexity() -> [ExplanationStep] {
    let N = problem.test.predictedCount
    let sum = Perplexity.logProbability(problem.test, counts, options: model.options)
    return [
      ExplanationStep(
        formula: "PP(W) = P(W)^(−1/N) = exp(−(1/N) Σ ln P) = exp(−(1/\(N))·(\(number(sum)))) = exp(\(number(-sum / Double(N))))",
        note: "N = \(N) predicted test tokens, Σ = \(number(sum)); natural log and exp"),
    ]
  }

  func uniform() -> [ExplanationStep] {
    let N = problem.test.predictedCount
    let logP = Double(N) * log(1 / Double(V + 1))
    return [
      ExplanationStep(formula: "the uniform model: P(w | ·) = 1/(V+1) = 1/\(V + 1) for each of the V + 1 predicted tokens"),
      ExplanationStep(formula: "log P(W) = N ln(1/(V+1)) = \(N)·(\(number(log(1 / Double(V + 1))))) = \(number(logP))", note: "N = \(N) predicted test tokens (words and </s>)"),
      ExplanationStep(formula: "PP(W) = exp(−(1/N) log P(W)) = exp(ln \(V + 1)) = V + 1", note: "the number of choices the model is perplexed with, whatever the test set"),
    ]
  }

  func sentence() -> [ExplanationStep] {
    let s = problem.sentence
    let positions = s.positions
    var steps = [
      ExplanationStep(
        formula: "P(<s> w_1 … w_n </s>) = P(w_1 | <s>) · P(w_2 | w_1) · … · P(</s> | w_n), \(modelName)",
        note: "the sentence: \(text(s.tokens)); n = \(positions.count - 1) words, n + 1 = \(positions.count) factors with </s>"),
    ]
    for (j, x) in positions.enumerated() {
      steps.append(ExplanationStep(formula: "factor \(j + 1): \(factor(x))"))
    }
    let factors = SentenceProbability.factors(s, counts, options: model.options)
    steps.append(ExplanationStep(formula: "the factors, multiplied directly", shape: "1 × \(factors.count)", value: Matrix(row: factors)))
    return steps
  }
}
