import _Differentiation
import Jacobians
import BPTTReference
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A mirror of the three model forms written for Swift's `_Differentiation`: the loss as a
/// differentiable function of all parameters flattened into one `[Double]`, so that
/// `gradient(at:)` gives an independent full-BPTT gradient.
///
/// Flattening (row-major within each matrix):
/// ```
/// column     E (d×V), W_h (H×H), W_e (H×d), b_1 (H×1), U (V×H), b_2 (V×1), h0 (H×1)
/// row        W_x (V×d), W_h (H×H), W_e (d×H), b_h (1×H), W_o (H×V), b_o (1×V), h0 (1×H)
/// canonical  W_xh (H×V), W_hh (H×H), W_yh (V×H), b_h (H×1), b_y (V×1), h0 (H×1)
/// ```
struct MirrorLayout {
  enum Form { case column, row, canonical }
  var form: Form
  var V: Int, d: Int, H: Int
  var activation: Activation
  var useBiases: Bool
  var reduction: LossReduction

  // Offsets of the seven blocks (canonical: input, W_hh, output, b_h, b_y, h0 — no embedding).
  var sizes: [Int] {
    switch form {
    case .column, .row: return [d * V, H * H, H * d, H, V * H, V, H]
    case .canonical: return [H * V, H * H, V * H, H, V, H]
    }
  }
  func offset(_ block: Int) -> Int { sizes.prefix(block).reduce(0, +) }

  /// Index of the recurrent weight acting as column-form W_h[i, j] (row form: W_h[j, i]).
  func recurrent(_ i: Int, _ j: Int) -> Int { offset(1) + (form == .row ? j * H + i : i * H + j) }
  /// Index of the output weight acting as column-form U[v, i].
  func output(_ v: Int, _ i: Int) -> Int {
    switch form {
    case .column: return offset(4) + v * H + i
    case .row: return offset(4) + i * V + v
    case .canonical: return offset(2) + v * H + i
    }
  }
  func hiddenBias(_ i: Int) -> Int { form == .canonical ? offset(3) + i : offset(3) + i }
  func outputBias(_ v: Int) -> Int { form == .canonical ? offset(4) + v : offset(5) + v }
  func initialState(_ i: Int) -> Int { form == .canonical ? offset(5) + i : offset(6) + i }
  /// Column-form E[k, w] (row: W_x[w, k]).
  func embedding(_ k: Int, _ w: Int) -> Int { form == .row ? w * d + k : k * V + w }
  /// Column-form W_e[i, k] (row: W_e[k, i]).
  func input(_ i: Int, _ k: Int) -> Int { offset(2) + (form == .row ? k * H + i : i * d + k) }
  /// Canonical W_xh[i, w].
  func canonicalInput(_ i: Int, _ w: Int) -> Int { i * V + w }

  var count: Int { sizes.reduce(0, +) }
}

@differentiable(reverse, wrt: z)
func mirrorActivation(_ z: Double, _ f: Activation) -> Double {
  switch f {
  case .sigmoid: return 1 / (1 + exp(-z))
  case .tanh: return tanh(z)
  case .relu:
    if z > 0 { return z }
    return 0
  default: return z
  }
}

@differentiable(reverse, wrt: theta)
func mirrorLoss(_ theta: [Double], _ L: MirrorLayout, _ tokens: [Int]) -> Double {
  let H = withoutDerivative(at: L.H), V = withoutDerivative(at: L.V), d = withoutDerivative(at: L.d)
  let T = withoutDerivative(at: tokens.count - 1)
  var h: [Double] = []
  for i in withoutDerivative(at: 0..<H) { h = h + [theta[L.initialState(i)]] }
  var total = 0.0
  for t in withoutDerivative(at: 0..<T) {
    let w = withoutDerivative(at: tokens[t])
    var next: [Double] = []
    for i in withoutDerivative(at: 0..<H) {
      var z = 0.0
      for j in withoutDerivative(at: 0..<H) { z = z + theta[L.recurrent(i, j)] * h[j] }
      if L.form == .canonical {
        z = z + theta[L.canonicalInput(i, w)]
      } else {
        for k in withoutDerivative(at: 0..<d) { z = z + theta[L.input(i, k)] * theta[L.embedding(k, w)] }
      }
      if L.useBiases { z = z + theta[L.hiddenBias(i)] }
      next = next + [mirrorActivation(z, L.activation)]
    }
    h = next
    var logits: [Double] = []
    for v in withoutDerivative(at: 0..<V) {
      var s = 0.0
      for i in withoutDerivative(at: 0..<H) { s = s + theta[L.output(v, i)] * h[i] }
      if L.useBiases { s = s + theta[L.outputBias(v)] }
      logits = logits + [s]
    }
    let m = withoutDerivative(at: logits.max() ?? 0)
    var sumExp = 0.0
    for v in withoutDerivative(at: 0..<V) { sumExp = sumExp + exp(logits[v] - m) }
    total = total + (log(sumExp) + m - logits[withoutDerivative(at: tokens[t + 1])])
  }
  if L.reduction == .mean { return total / Double(T) }
  return total
}

/// The autodiff gradient, split back into matrices of the given shapes.
func mirrorGradient(_ theta: [Double], _ L: MirrorLayout, _ tokens: [Int], shapes: [Shape]) -> [Matrix] {
  let g = gradient(at: theta) { mirrorLoss($0, L, tokens) }
  let flat = Array(g.base)
  var out: [Matrix] = []
  var offset = 0
  for s in shapes {
    out.append(Matrix(rows: s.rows, cols: s.cols, scalars: Array(flat[offset..<(offset + s.count)])))
    offset += s.count
  }
  return out
}

extension RNNParameters {
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
}

extension RowRNNParameters {
  var named: [(name: String, value: Matrix)] {
    [("W_x", W_x), ("W_h", W_h), ("W_e", W_e), ("b_h", b_h), ("W_o", W_o), ("b_o", b_o), ("h0", h0)]
  }
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
}

extension CanonicalRNNParameters {
  var named: [(name: String, value: Matrix)] {
    [("W_xh", W_xh), ("W_hh", W_hh), ("W_yh", W_yh), ("b_h", b_h), ("b_y", b_y), ("h0", h0)]
  }
  var flattened: [Double] { named.flatMap { $0.value.scalars } }
  var shapes: [Shape] { named.map { $0.value.shape } }
}
