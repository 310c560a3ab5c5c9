import Foundation
import Testing
import Jacobians
import TestSupport
@testable import Grader

@Suite("WindowSlipEvaluation")
struct WindowSlipEvaluationTests {
  static func model() throws -> FixedWindowLanguageModel {
    try #require(try AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")).load("window-lm").0.model as? FixedWindowLanguageModel)
  }

  @Test("with no slip every item equals the reference (WindowLanguageModel) on 20 seeds")
  func equalsReference() throws {
    let m = try Self.model()
    for seed in randomSeeds {
      var rng = SplitMix64(seed: seed)
      let inputs = m.generateInputs(using: &rng)
      let reference = m.reference(inputs: inputs)
      let evaluation = m.derivation!.prepare(inputs)
      for item in m.items {
        let mine = try #require(evaluation.value(of: item.name, with: []))
        let theirs = try #require(reference[item.name])
        #expect(mine.shape == theirs.shape, "\(item.name)")
        let err = zip(mine.scalars, theirs.scalars).map { abs($0 - $1) }.max() ?? .nan
        #expect(mine.count == theirs.count && err <= 1e-12 * max(1, theirs.scalars.map(abs).max() ?? 0), "seed \(seed) \(item.name): \(err)")
      }
    }
  }

  @Test("each slip changes exactly the items its step lists", arguments: ["biases", "h", "target", "delta1", "local", "embedding"])
  func slipsChangeTheirItems(step: String) throws {
    let m = try Self.model()
    var rng = SplitMix64(seed: 5)
    let inputs = m.generateInputs(using: &rng)
    let evaluation = m.derivation!.prepare(inputs)
    let declared = try #require(m.derivation!.step(step))
    for slip in declared.slips {
      let applied = AppliedSlip(step: step, kind: slip.kind)
      let differ = Set(m.items.map(\.name).filter { evaluation.value(of: $0, with: [applied])!.scalars != evaluation.value(of: $0, with: [])!.scalars })
      #expect(differ == declared.items(of: slip), "\(applied)")
    }
  }
}
