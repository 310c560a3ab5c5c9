import Testing
import Jacobians
import BPTTReference
import TestSupport

@Suite struct ExplicitGRUTests {
  /// The explicit path (gate Jacobians as matrices, one loss term at a time) equals the fast
  /// path, parameter gradients and carries, in every option set and clipping.
  @Test(arguments: gruCases)
  func explicitPathEqualsFastPath(option: GRUOptionCase, seed: UInt64) {
    let c = GRUCase(seed: seed)
    for clipping in gateClippings {
      var options = option.options
      options.clipping = clipping
      let fast = GRU.gradients(c.parameters, tokens: c.tokens, options: options)
      let explicit = ExplicitGRU.gradients(c.parameters, tokens: c.tokens, options: options)
      expectAgree(explicit.named, fast.named, within: pathTolerance, "\(options), seed \(seed)")
      expectAgree(explicit.carries, fast.carries, within: pathTolerance, "carries, \(options), seed \(seed)")
      #expect(explicit.loss == fast.loss)
    }
  }

  /// ∂h^(i)/∂h^(i−1) from the gate Jacobians against central differences of one reference cell.
  @Test(arguments: randomSeeds)
  func stateJacobianMatchesCentralDifferences(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let H = gateHiddenSize
    let L = GateLayout.gru()
    let theta = c.parameters.flattened.map { Wide($0) }
    for options in gruVariants {
      let fp = GRU.forward(c.parameters, tokens: c.tokens, options: options)
      for i in 1...c.steps {
        let J = ExplicitGRU.cellJacobians(c.parameters, forward: fp, options: options, step: i)
        var numeric = Matrix(rows: H, cols: H)
        for r in 0..<H {
          let row = TruncatedObjective.gradient(at: fp.h.row(i - 1).scalars) { h in
            GateReference.gruStep(theta, L, options, word: c.tokens[i - 1], h)[r]
          }
          for s in 0..<H { numeric[r, s] = row[s] }
        }
        expectAgree(J.stateJacobian, numeric, within: centralDifferenceTolerance, "∂h^(\(i))/∂h^(\(i - 1)), \(options), seed \(seed)")
      }
    }
  }

  /// ∂J^(t)/∂h^(i) by the chain of state Jacobians against central differences of J^(t) with
  /// h^(i) replaced.
  @Test(arguments: randomSeeds)
  func hiddenGradientsMatchCentralDifferences(seed: UInt64) {
    let c = GRUCase(seed: seed)
    let t = c.steps
    let L = GateLayout.gru()
    let theta = c.parameters.flattened.map { Wide($0) }
    for options in gruVariants {
      let fp = GRU.forward(c.parameters, tokens: c.tokens, options: options)
      let rows = ExplicitGRU.hiddenGradients(c.parameters, tokens: c.tokens, options: options, t: t)
      #expect(rows.count == t + 1)
      for i in 0...t {
        let numeric = TruncatedObjective.gradient(at: fp.h.row(i).scalars) { h0 in
          var h = h0
          for j in stride(from: i + 1, through: t, by: 1) { h = GateReference.gruStep(theta, L, options, word: c.tokens[j - 1], h) }
          return GateReference.outputLoss(theta, L, h, target: c.tokens[t])
        }
        expectAgree(rows[t - i], Matrix(row: numeric), within: centralDifferenceTolerance, "∂J^(\(t))/∂h^(\(i)), \(options)")
      }
    }
  }
}
