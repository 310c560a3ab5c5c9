import Testing
@testable import Grader
import Jacobians
import TestSupport

/// The raw rows of the gated cells' loops, and the local derivatives they compute entry by entry.
@Suite("GatedRows")
struct GatedRowsTests {
  @Test("rows made from a matrix point at its rows and give it back; new rows are zeros", arguments: randomSeeds.prefix(5))
  func roundTrip(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let m = Matrix(rows: 4, cols: 3) { _, _ in rng.uniform(-1, 1) }
    let rows = GatedRows(m)
    #expect(rows.matrix == m)
    for t in 0..<4 { for j in 0..<3 { #expect(rows[t][j] == m[t, j]) } }
    let zeros = GatedRows(rows: 2, width: 5)
    #expect(zeros.matrix == Matrix(rows: 2, cols: 5))
  }

  @Test("each local derivative entry by entry is the matrix form's entry, for every slip of it", arguments: [GatedLocal.none, .activation, .dropped, .other])
  func localsAgree(local: GatedLocal) {
    var rng = SplitMix64(seed: 7)
    let y = Matrix(rows: 9, cols: 1) { _, _ in rng.uniform(-1, 1) }
    let sigmoid = local.sigmoidPrime(y), tanh = local.tanhPrime(y)
    for k in 0..<9 {
      #expect(local.sigmoidPrime(y.scalars[k]) == sigmoid.scalars[k])
      #expect(local.tanhPrime(y.scalars[k]) == tanh.scalars[k])
    }
  }
}
