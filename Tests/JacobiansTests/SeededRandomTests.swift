import Testing
import Jacobians
import TestSupport

@Suite struct SeededRandomTests {
  /// The same seed gives the same draws, so every random case of these tests is reproducible.
  @Test(arguments: randomSeeds)
  func sameSeedSameSequence(seed: UInt64) {
    var a = SplitMix64(seed: seed), b = SplitMix64(seed: seed)
    #expect(a.matrix(3, 3) == b.matrix(3, 3))
    #expect(a.normalMatrix(2, 4) == b.normalMatrix(2, 4))
    #expect(a.int(below: 17) == b.int(below: 17))
  }

  @Test(arguments: randomSeeds)
  func drawsStayInRange(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let m = rng.matrix(10, 10, -2, 3)
    #expect(m.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
    #expect((0..<100).allSatisfy { _ in (0..<7).contains(rng.int(below: 7)) })
    #expect(rng.normalMatrix(5, 5).isFinite)
  }

  @Test func seedsAreTwentyAndDistinct() {
    #expect(randomSeeds.count == 20)
    #expect(Set(randomSeeds).count == 20)
  }
}
