import Foundation
import Testing
import Jacobians
import TestSupport
@testable import Grader

@Suite("MutantWindowLM")
struct MutantWindowLMTests {
  static func model() throws -> FixedWindowLanguageModel {
    try #require(try AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")).load("window-lm").0.model as? FixedWindowLanguageModel)
  }

  @Test("with no mistake every item equals the reference (WindowLanguageModel) on 20 seeds")
  func equalsReference() throws {
    let m = try Self.model()
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = m.generateInputs(using: &rng)
      let reference = m.reference(inputs: inputs)
      let values = MutantWindowLM.values(m.parameters(inputs), tokens: m.tokens(inputs), f: m.f, mistakes: [])
      for item in m.items {
        let mine = try #require(values[item.name])
        let theirs = try #require(reference[item.name])
        let err = zip(mine.scalars, theirs.scalars).map { abs($0 - $1) }.max() ?? .nan
        #expect(mine.count == theirs.count && err <= 1e-12 * max(1, theirs.scalars.map(abs).max() ?? 0), "seed \(seed) \(item.name): \(err)")
      }
    }
  }

  @Test("each mistake changes exactly the items its catalogue entry lists", arguments: [
    (WindowMistakes.signFlipped, FixedWindowLanguageModel.gradientItems),
    (.diagonalSoftmaxJacobian, FixedWindowLanguageModel.gradientItems),
    (.activationForDerivative, FixedWindowLanguageModel.behindActivation),
    (.biasOmitted, ["loss", "delta1", "dU", "db_2", "delta2", "dW", "db_1", "de", "dE"]),
    (.embeddingAssigned, ["dE"]),
    (.slicesStrided, ["dE"]),
  ] as [(WindowMistakes, Set<String>)])
  func mistakesChangeTheirItems(mistake: WindowMistakes, changed: Set<String>) throws {
    let m = try Self.model()
    var rng = SplitMix64(seed: 5)
    let inputs = m.generateInputs(using: &rng)
    let right = MutantWindowLM.values(m.parameters(inputs), tokens: m.tokens(inputs), f: m.f, mistakes: [])
    let wrong = MutantWindowLM.values(m.parameters(inputs), tokens: m.tokens(inputs), f: m.f, mistakes: mistake)
    let differ = Set(right.keys.filter { right[$0]!.scalars != wrong[$0]!.scalars })
    #expect(differ == changed)
  }
}
