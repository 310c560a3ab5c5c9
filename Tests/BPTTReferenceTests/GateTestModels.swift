import Testing
import Jacobians
import BPTTReference
import TestSupport

// MARK: - Seeded LSTM and GRU models and the option tables their tests enumerate

/// Small sizes for the gated models' option tables: |V| = 5, d = 3, H = 2, T = 4…6 (by seed),
/// so that per-entry central differences run on every option set and seed in well under a
/// second; `LargerLSTMCase` / `LargerGRUCase` (|V| = 7, d = 3, H = 4, T = 6) check the same
/// identities once more at the largest sizes.
let gateVocabularySize = 5, gateEmbeddingSize = 3, gateHiddenSize = 2

/// Tokens x(1…T+1), T = 4…6, drawn after the parameters.
func seededTokens(_ rng: inout SplitMix64, seed: UInt64) -> [Int] {
  let T = 4 + Int(seed % 3)
  return (0...T).map { _ in rng.int(below: gateVocabularySize) }
}

struct LSTMCase {
  var seed: UInt64
  var parameters: LSTMParameters
  var tokens: [Int]

  init(seed: UInt64, scale: Double = 0.8) {
    var rng = SplitMix64(seed: seed)
    self.seed = seed
    parameters = LSTMParameters.random(vocabularySize: gateVocabularySize, embeddingSize: gateEmbeddingSize,
                                       hiddenSize: gateHiddenSize, scale: scale, using: &rng)
    tokens = seededTokens(&rng, seed: seed)
  }

  var steps: Int { tokens.count - 1 }
}

struct GRUCase {
  var seed: UInt64
  var parameters: GRUParameters
  var tokens: [Int]

  init(seed: UInt64, scale: Double = 0.8) {
    var rng = SplitMix64(seed: seed)
    self.seed = seed
    parameters = GRUParameters.random(vocabularySize: gateVocabularySize, embeddingSize: gateEmbeddingSize,
                                      hiddenSize: gateHiddenSize, scale: scale, using: &rng)
    tokens = seededTokens(&rng, seed: seed)
  }

  var steps: Int { tokens.count - 1 }
}

/// The truncations of the gated tables; T ≤ 6, so window(6) keeps every term.
let gateTruncations: [Truncation] = [.full, .window(1), .window(2), .window(6), .chunks(2), .chunks(3)]

/// Clipping thresholds small enough to act on every seeded case (gradient norms are ~0.1–1).
let gateClippings: [Clipping] = [.none, .value(0.02), .globalNorm(0.05)]

struct LSTMOptionCase: CustomStringConvertible, Sendable {
  var options: LSTMOptions
  var description: String { options.description }
}

struct GRUOptionCase: CustomStringConvertible, Sendable {
  var options: GRUOptions
  var description: String { options.description }
}

/// 2 gate orders × 2 reductions × 6 truncations = 24 option sets (clipping is applied inside
/// each test to the same gradient: 72 combinations).
let lstmOptionTable: [LSTMOptionCase] = LSTMGateOrder.allCases.flatMap { order in
  LossReduction.allCases.flatMap { r in
    gateTruncations.map { LSTMOptionCase(options: LSTMOptions(gateOrder: order, reduction: r, truncation: $0)) }
  }
}

/// 2 resets × 2 updates × 2 reductions × 6 truncations = 48 option sets.
let gruOptionTable: [GRUOptionCase] = GRUReset.allCases.flatMap { reset in
  GRUUpdate.allCases.flatMap { update in
    LossReduction.allCases.flatMap { r in
      gateTruncations.map { GRUOptionCase(options: GRUOptions(reset: reset, update: update, reduction: r, truncation: $0)) }
    }
  }
}

let lstmCases: [(LSTMOptionCase, UInt64)] = lstmOptionTable.flatMap { o in randomSeeds.map { (o, $0) } }
let gruCases: [(GRUOptionCase, UInt64)] = gruOptionTable.flatMap { o in randomSeeds.map { (o, $0) } }

/// The option sets with the sum reduction: central differences are computed once per set and
/// seed, and the mean's are the sum's divided by T (its objective is the sum's divided by T).
let lstmSumCases = lstmCases.filter { $0.0.options.reduction == .sum }
let gruSumCases = gruCases.filter { $0.0.options.reduction == .sum }

/// The cut step s(t) of the truncated objective, written from `Truncation`'s documentation
/// (not from `firstKeptStep`): J^(t) starts from the state after step s.
/// ```
/// full        0
/// window(k)   max(0, t − k)
/// chunks(k)   the last multiple of k below t: ⌊(t − 1)/k⌋·k
/// ```
func referenceCutStep(_ truncation: Truncation, t: Int) -> Int {
  switch truncation {
  case .full: return 0
  case .window(let k): return Swift.max(0, t - k)
  case .chunks(let k): return ((t - 1) / k) * k
  }
}

// MARK: - Clipping, written out independently of `GradientClipping`

/// The gradients `gs` clipped: every entry clamped to [−c, c], or all scaled by c/‖g‖ when the
/// global norm ‖g‖ = √(Σ gᵢ²) over all of them exceeds c.
func referenceClip(_ gs: [Matrix], _ clipping: Clipping) -> [Matrix] {
  switch clipping {
  case .none: return gs
  case .value(let c): return gs.map { $0.map { Swift.min(Swift.max($0, -c), c) } }
  case .globalNorm(let c):
    let norm = gs.map { $0.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +).squareRoot()
    return norm > c ? gs.map { (c / norm) * $0 } : gs
  }
}

/// True when `clipping` changes gradients of these values (so a clipped comparison is not vacuous).
func clippingActs(_ gs: [Matrix], _ clipping: Clipping) -> Bool {
  switch clipping {
  case .none: return false
  case .value(let c): return gs.contains { $0.maxAbs > c }
  case .globalNorm(let c): return gs.map { $0.scalars.map { $0 * $0 }.reduce(0, +) }.reduce(0, +).squareRoot() > c
  }
}

/// Named matrices zipped with a list of values in the same order.
func renamed(_ names: [(name: String, value: Matrix)], _ values: [Matrix]) -> [(name: String, value: Matrix)] {
  zip(names, values).map { ($0.name, $1) }
}

extension LSTMParameters {
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
  init(flat: [Double], like p: LSTMParameters) {
    let m = split(flat, p.shapes)
    self.init(E: m[0], W_x: m[1], W_h: m[2], b: m[3], U: m[4], b_2: m[5], h0: m[6], c0: m[7])
  }
}

extension GRUParameters {
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
  init(flat: [Double], like p: GRUParameters) {
    let m = split(flat, p.shapes)
    self.init(E: m[0], W_x: m[1], W_h: m[2], b_x: m[3], b_h: m[4], U: m[5], b_2: m[6], h0: m[7])
  }
}

extension RowLSTMParameters {
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
}

extension RowGRUParameters {
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
}
