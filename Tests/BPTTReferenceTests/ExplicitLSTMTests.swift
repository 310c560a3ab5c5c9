import Testing
import Jacobians
import BPTTReference
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite struct ExplicitLSTMTests {
  /// The explicit path (gate Jacobians as matrices, one loss term at a time) equals the fast
  /// path (batched, one sweep), parameter gradients and carries, in every option set and clipping.
  @Test(arguments: lstmCases)
  func explicitPathEqualsFastPath(option: LSTMOptionCase, seed: UInt64) {
    let c = LSTMCase(seed: seed)
    for clipping in gateClippings {
      var options = option.options
      options.clipping = clipping
      let fast = LSTM.gradients(c.parameters, tokens: c.tokens, options: options)
      let explicit = ExplicitLSTM.gradients(c.parameters, tokens: c.tokens, options: options)
      expectAgree(explicit.named, fast.named, within: pathTolerance, "\(options), seed \(seed)")
      expectAgree(explicit.carries, fast.carries, within: pathTolerance, "carries, \(options), seed \(seed)")
      #expect(explicit.loss == fast.loss)
    }
  }

  /// The cell's state Jacobian ∂(h^(i), c^(i))/∂(h^(i−1), c^(i−1)) built from the gate Jacobians
  /// against central differences of one reference cell; its c–c block is diag(f).
  @Test(arguments: randomSeeds)
  func stateJacobianMatchesCentralDifferences(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let H = gateHiddenSize
    for order in LSTMGateOrder.allCases {
      let options = LSTMOptions(gateOrder: order)
      let fp = LSTM.forward(c.parameters, tokens: c.tokens, options: options)
      let L = GateLayout.lstm()
      let theta = c.parameters.flattened.map { Wide($0) }
      for i in 1...c.steps {
        let J = ExplicitLSTM.cellJacobians(c.parameters, forward: fp, step: i)
        #expect(J.gates.shape == Shape(4 * H, 4 * H) && J.cellByGates.shape == Shape(H, 4 * H) && J.hiddenByCell.shape == Shape(H, H))
        let state = fp.h.row(i - 1).scalars + fp.c.row(i - 1).scalars
        // Column s of the numeric Jacobian: ∂[h; c]^(i)/∂(state)_s.
        var numeric = Matrix(rows: 2 * H, cols: 2 * H)
        for r in 0..<(2 * H) {
          let row = TruncatedObjective.gradient(at: state) { s in
            let (h, cNew) = GateReference.lstmStep(theta, L, order, word: c.tokens[i - 1], Array(s[0..<H]), Array(s[H...]))
            return r < H ? h[r] : cNew[r - H]
          }
          for s in 0..<(2 * H) { numeric[r, s] = row[s] }
        }
        expectAgree(J.stateJacobian, numeric, within: centralDifferenceTolerance, "∂s^(\(i))/∂s^(\(i - 1)), \(order), seed \(seed)")
        #expect(J.cellByPreviousCell == Matrix.diag(fp.f.row(i - 1)))
      }
    }
  }

  /// ∂J^(t)/∂h^(i) and ∂J^(t)/∂c^(i) by the chain of cell Jacobians against central differences of
  /// J^(t) with the state replaced: h^(i) alone (c^(i) kept), or c^(i) (h^(i) recomputed from it).
  @Test(arguments: randomSeeds)
  func stateGradientsMatchCentralDifferences(seed: UInt64) {
    let c = LSTMCase(seed: seed)
    let t = c.steps, H = gateHiddenSize
    let options = LSTMOptions()
    let L = GateLayout.lstm()
    let theta = c.parameters.flattened.map { Wide($0) }
    let states = GateReference.lstmStates(theta, L, .ifog, tokens: c.tokens)
    let fp = LSTM.forward(c.parameters, tokens: c.tokens, options: options)
    let rows = ExplicitLSTM.stateGradients(c.parameters, tokens: c.tokens, options: options, t: t)
    #expect(rows.count == t + 1)
    func lossFrom(step i: Int, h: [Wide], c cell: [Wide]) -> Wide {
      var (hh, cc) = (h, cell)
      for j in stride(from: i + 1, through: t, by: 1) {
        (hh, cc) = GateReference.lstmStep(theta, L, .ifog, word: c.tokens[j - 1], hh, cc)
      }
      return GateReference.outputLoss(theta, L, hh, target: c.tokens[t])
    }
    for i in 0...t {
      let dh = TruncatedObjective.gradient(at: fp.h.row(i).scalars) { lossFrom(step: i, h: $0, c: states[i].1) }
      expectAgree(rows[t - i].dh, Matrix(row: dh), within: centralDifferenceTolerance, "∂J^(\(t))/∂h^(\(i))")
      let dc = TruncatedObjective.gradient(at: fp.c.row(i).scalars) { cell in
        // h^(i) = o^(i) ⊙ tanh(c^(i)) follows the replaced cell (for i ≥ 1; h^(0) is a parameter).
        let o = (0..<H).map { Wide(i == 0 ? 0 : fp.o[i - 1, $0]) }
        let h = i == 0 ? states[0].0 : (0..<H).map { o[$0] * tanh(cell[$0]) }
        return lossFrom(step: i, h: h, c: cell)
      }
      expectAgree(rows[t - i].dc, Matrix(row: dc), within: centralDifferenceTolerance, "∂J^(\(t))/∂c^(\(i))")
    }
  }
}
