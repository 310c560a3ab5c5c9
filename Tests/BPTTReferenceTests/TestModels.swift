import Testing
import Jacobians
import BPTTReference
import TestSupport

// MARK: - Seeded models and the option table the gradient tests enumerate

/// Small sizes: |V| = 7, d = 3, H = 4, T = 4…6 (by seed).
let vocabularySize = 7, embeddingSize = 3, hiddenSize = 4

/// Central differences against analytic gradients.
let centralDifferenceTolerance = 1e-7
/// Two exact computations of the same quantity (autodiff, the explicit path).
let autodiffTolerance = 1e-10
let pathTolerance = 1e-12

/// A seeded random model and token sequence (T + 1 tokens, T = 4…6).
struct SeededCase {
  var seed: UInt64
  var parameters: RNNParameters
  var tokens: [Int]

  init(seed: UInt64, scale: Double = 0.8) {
    var rng = SplitMix64(seed: seed)
    self.seed = seed
    parameters = RNNParameters.random(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                      hiddenSize: hiddenSize, scale: scale, using: &rng)
    let T = 4 + Int(seed % 3)
    tokens = (0...T).map { _ in rng.int(below: vocabularySize) }
  }

  var steps: Int { tokens.count - 1 }
}

/// One row of the option table: activation × reduction × truncation × biases.
struct OptionCase: CustomStringConvertible, Sendable {
  var options: RNNOptions
  var description: String { options.description }
}

let tableActivations: [Activation] = [.sigmoid, .tanh, .relu]
let tableTruncations: [Truncation] = [.full, .window(1), .window(3), .chunks(2), .chunks(3)]

/// 3 activations × 2 reductions × 5 truncations × 2 bias settings = 60 option sets.
let optionTable: [OptionCase] = tableActivations.flatMap { f in
  LossReduction.allCases.flatMap { r in
    tableTruncations.flatMap { tr in
      [true, false].map { b in OptionCase(options: RNNOptions(activation: f, useBiases: b, reduction: r, truncation: tr)) }
    }
  }
}

/// The full-BPTT rows of the table (for the autodiff comparison).
let fullOptionTable: [OptionCase] = optionTable.filter { $0.options.truncation == .full }

// MARK: - Numeric gradients

/// The central-difference gradient of `f` with respect to one parameter matrix.
func numericGradient(_ x: Matrix, _ f: (Matrix) -> Double) -> Matrix {
  NumericGradient.gradient(of: f, at: x)
}

// MARK: - Comparisons (NaN and ±Inf land on the failing side)

func expectAgree(_ a: Matrix, _ b: Matrix, within tolerance: Double, _ what: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
  let err = Discrepancy.relative(a, b)
  if !(err <= tolerance) {
    Issue.record("\(what()): relative discrepancy \(err) > \(tolerance)", sourceLocation: sourceLocation)
  }
}

func expectAgree(_ a: [(name: String, value: Matrix)], _ b: [(name: String, value: Matrix)], within tolerance: Double,
                 _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(a.count == b.count, sourceLocation: sourceLocation)
  for (x, y) in zip(a, b) {
    expectAgree(x.value, y.value, within: tolerance, "\(what()) \(x.name)", sourceLocation: sourceLocation)
  }
}

func expectClose(_ a: Double, _ b: Double, within tolerance: Double, _ what: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
  let err = Discrepancy.relative(a, b)
  if !(err <= tolerance) {
    Issue.record("\(what()): \(a) vs \(b), relative discrepancy \(err) > \(tolerance)", sourceLocation: sourceLocation)
  }
}
