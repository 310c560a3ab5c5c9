import Foundation
import Jacobians
import NGram

/// The nltk.lm fixtures written by Scripts/make_ngram_fixtures.py (see its docstring for how
/// nltk's conventions map onto ours: V = words + 2 phantom ids, the column <s> of Laplace,
/// trigram scores at our predicted positions, logs converted to base e).
struct NLTKCase: Decodable, CustomStringConvertible, Sendable {
  struct Evaluation: Decodable, Sendable {
    let smoothing_k: Double
    let order: Int
    /// nltk's score at each of our predicted test positions.
    let scores: [Double]
    let logprob: Double
    let perplexity: Double
    let predicted_tokens: Int
    let sentence_probability: Double
    let nltk_perplexity_of_its_padding: Double

    var options: NGramOptions { NGramOptions(smoothingK: smoothing_k, order: order) }
  }

  struct StupidBackoff: Decodable, Sendable {
    let unigram_total: Int
    let scores: [Double]
    let levels: [Int]
  }

  let name: String
  let words: [String]
  let vocabulary_size: Int
  let nltk_vocabulary_size: Int
  let train: [Int]
  let test: [Int]
  let sentence: [Int]
  let unigram_counts: [Int]
  let bigram_counts: [[Int]]
  let p_mle: [[Double]]
  let p_laplace: [[Double]]
  let p_lidstone: [[Double]]
  let evaluations: [Evaluation]
  let stupid_backoff: StupidBackoff

  enum CodingKeys: String, CodingKey {
    case name, words, vocabulary_size, nltk_vocabulary_size, train, test, sentence, unigram_counts
    case bigram_counts, p_mle, p_laplace, evaluations, stupid_backoff
    case p_lidstone = "p_lidstone_0.5"
  }

  var description: String { name }

  func problem(_ options: NGramOptions = NGramOptions()) throws -> NGramProblem {
    try NGramProblem(NGramInputs(train: train, test: test, vocabularySize: vocabulary_size, sentence: sentence, options: options))
  }

  static func matrix(_ rows: [[Double]]) -> Matrix { Matrix(rows) }
}

struct NLTKManifest: Decodable {
  struct Entry: Decodable { let file: String }
  let generator: String
  let nltk_version: String
  let cases: [Entry]
}

enum NLTKFixtures {
  static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("nltk")

  static let manifest: NLTKManifest = {
    let data = try! Data(contentsOf: root.appendingPathComponent("manifest.json"))
    return try! JSONDecoder().decode(NLTKManifest.self, from: data)
  }()

  static let cases: [NLTKCase] = manifest.cases.map { entry in
    let data = try! Data(contentsOf: root.appendingPathComponent(entry.file))
    return try! JSONDecoder().decode(NLTKCase.self, from: data)
  }
}
