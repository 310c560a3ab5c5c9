import Jacobians
import BPTTReference
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An independent forward pass over plain arrays (column convention), written from the notes,
/// and the truncated objectives whose exact gradients truncated BPTT computes.
///
/// ```
/// window(k):  Σₜ wₜ J^(t)  with h^(t−k) frozen (a constant) when t − k ≥ 1
/// chunks(k):  Σₜ wₜ J^(t)  with the state at the chunk boundary before t frozen
/// full:       J
/// ```
/// Frozen states are computed once from `frozenAt` (the unperturbed parameters); the loss
/// term J^(t) is then recomputed from that constant state with the (perturbed) parameters `p`.
/// h^(0) is never frozen: it is a parameter.
enum TruncatedObjective {
  static func activation(_ f: Activation, _ z: Double) -> Double {
    switch f {
    case .sigmoid: return 1 / (1 + exp(-z))
    case .tanh: return tanh(z)
    case .relu: return z > 0 ? z : 0
    default: return f(z)
    }
  }

  /// h^(s+1…t) from the state `start` = h^(s), then J^(t).
  static func stepLoss(_ p: RNNParameters, tokens: [Int], options: RNNOptions, from s: Int, state start: [Double], t: Int) -> Double {
    let H = p.hiddenSize, d = p.embeddingSize, V = p.vocabularySize
    var h = start
    if s < t {
      for i in (s + 1)...t {
        let w = tokens[i - 1]
        var z = [Double](repeating: 0, count: H)
        for r in 0..<H {
          var acc = options.useBiases ? p.b_1.scalars[r] : 0
          for c in 0..<H { acc += p.W_h.scalars[r * H + c] * h[c] }
          for k in 0..<d { acc += p.W_e.scalars[r * d + k] * p.E.scalars[k * V + w] }
          z[r] = acc
        }
        h = z.map { activation(options.activation, $0) }
      }
    }
    var logits = [Double](repeating: 0, count: V)
    var m = -Double.infinity
    for v in 0..<V {
      var acc = options.useBiases ? p.b_2.scalars[v] : 0
      for c in 0..<H { acc += p.U.scalars[v * H + c] * h[c] }
      logits[v] = acc
      m = Swift.max(m, acc)
    }
    var s = 0.0
    for v in 0..<V { s += exp(logits[v] - m) }
    return log(s) + m - logits[tokens[t]]
  }

  /// The states h^(0…T) of the unperturbed model.
  static func states(_ p: RNNParameters, tokens: [Int], options: RNNOptions) -> [[Double]] {
    let H = p.hiddenSize, d = p.embeddingSize, V = p.vocabularySize
    var hs = [p.h0.scalars]
    for i in 1..<tokens.count {
      let w = tokens[i - 1], h = hs[i - 1]
      var z = [Double](repeating: 0, count: H)
      for r in 0..<H {
        var acc = options.useBiases ? p.b_1.scalars[r] : 0
        for c in 0..<H { acc += p.W_h.scalars[r * H + c] * h[c] }
        for k in 0..<d { acc += p.W_e.scalars[r * d + k] * p.E.scalars[k * V + w] }
        z[r] = acc
      }
      hs.append(z.map { activation(options.activation, $0) })
    }
    return hs
  }

  /// Σₜ wₜ J^(t) with the truncation's frozen states taken from `frozen` (h^(0…T) of the
  /// unperturbed model); wₜ = 1/T or 1.
  static func value(_ p: RNNParameters, tokens: [Int], options: RNNOptions, frozen: [[Double]]) -> Double {
    let T = tokens.count - 1
    let w = options.reduction.weight(steps: T)
    var total = 0.0
    for t in 1...T {
      let s = options.truncation.firstKeptStep(for: t) - 1
      let start = s == 0 ? p.h0.scalars : frozen[s]
      total += w * stepLoss(p, tokens: tokens, options: options, from: s, state: start, t: t)
    }
    return total
  }

  /// The central-difference gradient of the truncated objective at `p`.
  static func numericGradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions) -> RNNGradients {
    let frozen = states(p, tokens: tokens, options: options)
    return BPTTReferenceTests.numericGradients(p) { value($0, tokens: tokens, options: options, frozen: frozen) }
  }
}
