import Testing
import BPTTReference

@Suite struct RNNOptionsTests {
  @Test func defaultsAreTheNotes() {
    let o = RNNOptions()
    #expect(o.activation == .sigmoid && o.useBiases && o.reduction == .mean && o.truncation == .full && o.clipping == .none)
    #expect(o.description == "sigmoid, biases on, mean, full, clipping none")
  }

  /// The kept terms i = firstKeptStep(t) … t, written out for T = 7.
  @Test func firstKeptStepTable() {
    let ts = Array(1...7)
    #expect(ts.map { Truncation.full.firstKeptStep(for: $0) } == [1, 1, 1, 1, 1, 1, 1])
    #expect(ts.map { Truncation.window(1).firstKeptStep(for: $0) } == [1, 2, 3, 4, 5, 6, 7])
    #expect(ts.map { Truncation.window(3).firstKeptStep(for: $0) } == [1, 1, 1, 2, 3, 4, 5])
    #expect(ts.map { Truncation.chunks(3).firstKeptStep(for: $0) } == [1, 1, 1, 4, 4, 4, 7])
    #expect(ts.map { Truncation.chunks(1).firstKeptStep(for: $0) } == [1, 2, 3, 4, 5, 6, 7])
    #expect(Truncation.window(7).isFull(forSteps: 7) && !Truncation.window(6).isFull(forSteps: 7))
    #expect(Truncation.chunks(9).isFull(forSteps: 7) && Truncation.full.isFull(forSteps: 1))
    #expect(Truncation.full.length == nil && Truncation.chunks(4).length == 4)
  }

  @Test func reductionWeights() {
    #expect(LossReduction.mean.weight(steps: 4) == 0.25)
    #expect(LossReduction.sum.weight(steps: 4) == 1)
  }

  /// lastLossTerms against its definition: the largest t ≥ i with firstKeptStep(t) ≤ i, and every
  /// t in i … that reaches i, none after it.
  @Test func lastLossTermsAreTheLastTermsThatReachEachStep() {
    for T in [1, 2, 6, 35] {
      for truncation in [Truncation.full] + (1...T + 1).flatMap({ [Truncation.window($0), .chunks($0)] }) {
        let last = truncation.lastLossTerms(steps: T)
        #expect(last.count == T)
        for i in 1...T {
          let reaching = (i...T).filter { truncation.firstKeptStep(for: $0) <= i }
          #expect(reaching == Array(i...last[i - 1]), "\(truncation), T = \(T), step \(i)")
        }
      }
    }
  }
}
