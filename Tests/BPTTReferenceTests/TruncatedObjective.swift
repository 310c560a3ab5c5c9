import Jacobians
import BPTTReference
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

#if arch(x86_64) || arch(i386)
/// The numeric reference runs in extended precision (ε ≈ 1.1e-19), so that central differences
/// keep ~12 correct digits even for gradient terms 10⁵ times smaller than the loss.
typealias Wide = Float80
#else
typealias Wide = Double
#endif

/// An independent forward pass over a flat parameter array (any of the three forms, through
/// `MirrorLayout`'s index maps), written from the notes, and the truncated objectives whose exact
/// gradients truncated BPTT computes.
///
/// ```
/// window(k):  Σₜ wₜ J^(t)  with h^(t−k) frozen (a constant) when t − k ≥ 1
/// chunks(k):  Σₜ wₜ J^(t)  with the state at the chunk boundary before t frozen
/// full:       J
/// ```
/// Frozen states are computed once from the unperturbed parameters; the loss term J^(t) is then
/// recomputed from that constant state with the (perturbed) parameters. h^(0) is never frozen:
/// it is a parameter.
enum TruncatedObjective {
  static func activation(_ f: Activation, _ z: Wide) -> Wide {
    switch f {
    case .sigmoid: return 1 / (1 + exp(-z))
    case .tanh: return tanh(z)
    case .relu: return z > 0 ? z : 0
    default: fatalError("the reference covers σ, tanh and ReLU")
    }
  }

  /// One application of the recurrence, h^(i) from h^(i−1); `W` replaces the recurrent weight
  /// (flat, in the layout's orientation) when given.
  static func step(_ theta: [Wide], _ L: MirrorLayout, input w: Int, _ h: [Wide], recurrent W: [Wide]?) -> [Wide] {
    let weights = W ?? theta
    let base = W == nil ? L.o1 : 0
    var out = [Wide](repeating: 0, count: L.H)
    for i in 0..<L.H {
      var z: Wide = L.useBiases ? theta[L.hiddenBias(i)] : 0
      for j in 0..<L.H { z += weights[L.recurrent(i, j) - L.o1 + base] * h[j] }
      if L.form == .canonical {
        z += theta[L.canonicalInput(i, w)]
      } else {
        for k in 0..<L.d { z += theta[L.input(i, k)] * theta[L.embedding(k, w)] }
      }
      out[i] = activation(L.activation, z)
    }
    return out
  }

  /// −log softmax(U h + b_2)_target.
  static func outputLoss(_ theta: [Wide], _ L: MirrorLayout, _ h: [Wide], target: Int) -> Wide {
    var logits = [Wide](repeating: 0, count: L.V)
    var m = -Wide.infinity
    for v in 0..<L.V {
      var acc: Wide = L.useBiases ? theta[L.outputBias(v)] : 0
      for i in 0..<L.H { acc += theta[L.output(v, i)] * h[i] }
      logits[v] = acc
      m = Swift.max(m, acc)
    }
    var sum: Wide = 0
    for v in 0..<L.V { sum += exp(logits[v] - m) }
    return log(sum) + m - logits[target]
  }

  /// J^(t) from the state `start` = h^(s), with optional replacements: the recurrent weight used
  /// at one step, or the state after one step.
  static func stepLoss(
    _ theta: [Wide], _ L: MirrorLayout, tokens: [Int], from s: Int, state start: [Wide], t: Int,
    weightAt copy: (step: Int, W: [Wide])? = nil, stateAt replaced: (step: Int, h: [Wide])? = nil
  ) -> Wide {
    var h = replaced?.step == s ? replaced!.h : start
    if s < t {
      for i in (s + 1)...t {
        h = step(theta, L, input: tokens[i - 1], h, recurrent: copy?.step == i ? copy!.W : nil)
        if replaced?.step == i { h = replaced!.h }
      }
    }
    return outputLoss(theta, L, h, target: tokens[t])
  }

  /// The states h^(0…T) of the unperturbed model.
  static func states(_ theta: [Wide], _ L: MirrorLayout, tokens: [Int]) -> [[Wide]] {
    var hs = [(0..<L.H).map { theta[L.initialState($0)] }]
    for i in 1..<tokens.count { hs.append(step(theta, L, input: tokens[i - 1], hs[i - 1], recurrent: nil)) }
    return hs
  }

  /// Σₜ wₜ J^(t) with the truncation's frozen states taken from `frozen`; wₜ = 1/T or 1.
  static func value(_ theta: [Wide], _ L: MirrorLayout, tokens: [Int], truncation: Truncation, frozen: [[Wide]]) -> Wide {
    let T = tokens.count - 1
    let h0 = (0..<L.H).map { theta[L.initialState($0)] }
    var total: Wide = 0
    if case .window(let k) = truncation, k < T {
      // Each J^(t) from its own frozen start h^(t−k).
      for t in 1...T {
        let s = truncation.firstKeptStep(for: t) - 1
        total += stepLoss(theta, L, tokens: tokens, from: s, state: s == 0 ? h0 : frozen[s], t: t)
      }
    } else {
      // One chain, restarted from the frozen state at each chunk boundary.
      var h = h0
      for t in 1...T {
        let s = truncation.firstKeptStep(for: t) - 1
        if s == t - 1 && s > 0 { h = frozen[s] }
        h = step(theta, L, input: tokens[t - 1], h, recurrent: nil)
        total += outputLoss(theta, L, h, target: tokens[t])
      }
    }
    return L.reduction == .mean ? total / Wide(T) : total
  }

  /// Central differences of `f` at `x` in extended precision, h = ε^(1/3)·max(1, |xᵢ|).
  static func gradient(at x: [Double], _ f: ([Wide]) -> Wide) -> [Double] {
    let h0 = Wide(1) / Wide(2_097_152)  // 2⁻²¹ ≈ 4.8e-7 ≈ ε(Float80)^(1/3)
    var probe = x.map { Wide($0) }
    return x.indices.map { k in
      let xk = probe[k]
      let h = h0 * Swift.max(1, Swift.abs(xk))
      probe[k] = xk + h
      let plus = f(probe)
      probe[k] = xk - h
      let minus = f(probe)
      probe[k] = xk
      return Double((plus - minus) / (2 * h))
    }
  }

  /// The central-difference gradient of the truncated objective, split into matrices of `shapes`.
  static func numericGradient(_ flat: [Double], _ L: MirrorLayout, tokens: [Int], truncation: Truncation, shapes: [Shape]) -> [Matrix] {
    let frozen = states(flat.map { Wide($0) }, L, tokens: tokens)
    let g = gradient(at: flat) { value($0, L, tokens: tokens, truncation: truncation, frozen: frozen) }
    return split(g, shapes)
  }

  /// Numeric gradients of every column-form parameter for `options`.
  static func numericGradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions) -> RNNGradients {
    let m = numericGradient(p.flattened, .column(options), tokens: tokens, truncation: options.truncation, shapes: p.shapes)
    return RNNGradients(dE: m[0], dW_h: m[1], dW_e: m[2], db_1: m[3], dU: m[4], db_2: m[5], dh0: m[6])
  }
}

func split(_ flat: [Double], _ shapes: [Shape]) -> [Matrix] {
  var out: [Matrix] = []
  var offset = 0
  for s in shapes {
    out.append(Matrix(rows: s.rows, cols: s.cols, scalars: Array(flat[offset..<(offset + s.count)])))
    offset += s.count
  }
  return out
}

extension MirrorLayout {
  static func column(_ o: RNNOptions, V: Int = vocabularySize, d: Int = embeddingSize, H: Int = hiddenSize) -> MirrorLayout {
    MirrorLayout(form: .column, V: V, d: d, H: H, activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
  }
  static func row(_ o: RNNOptions) -> MirrorLayout {
    MirrorLayout(form: .row, V: vocabularySize, d: embeddingSize, H: hiddenSize, activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
  }
  static func canonical(_ o: RNNOptions) -> MirrorLayout {
    MirrorLayout(form: .canonical, V: vocabularySize, d: 0, H: hiddenSize, activation: o.activation, useBiases: o.useBiases, reduction: o.reduction)
  }
}
