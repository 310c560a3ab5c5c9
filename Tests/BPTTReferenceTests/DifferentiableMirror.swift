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
  let form: Form
  let V: Int, d: Int, H: Int
  let activation: Activation
  let useBiases: Bool
  let reduction: LossReduction
  /// Start of each block in the flat array.
  let offsets: [Int]
  let o1: Int, o2: Int, o3: Int, o4: Int, o5: Int, o6: Int

  init(form: Form, V: Int, d: Int, H: Int, activation: Activation, useBiases: Bool, reduction: LossReduction) {
    self.form = form
    self.V = V
    self.d = d
    self.H = H
    self.activation = activation
    self.useBiases = useBiases
    self.reduction = reduction
    let sizes: [Int]
    switch form {
    case .column, .row: sizes = [d * V, H * H, H * d, H, V * H, V, H]
    case .canonical: sizes = [H * V, H * H, V * H, H, V, H, 0]
    }
    var offsets = [0]
    for s in sizes { offsets.append(offsets.last! + s) }
    self.offsets = offsets
    (o1, o2, o3, o4, o5, o6) = (offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6])
  }

  func offset(_ block: Int) -> Int { offsets[block] }
  var count: Int { offsets.last! }

  /// Index of the recurrent weight acting as column-form W_h[i, j] (row form: W_h[j, i]).
  func recurrent(_ i: Int, _ j: Int) -> Int { o1 + (form == .row ? j * H + i : i * H + j) }
  /// Index of the output weight acting as column-form U[v, i] (row: W_o[i, v]; canonical: W_yh[v, i]).
  func output(_ v: Int, _ i: Int) -> Int {
    switch form {
    case .column: return o4 + v * H + i
    case .row: return o4 + i * V + v
    case .canonical: return o2 + v * H + i
    }
  }
  func hiddenBias(_ i: Int) -> Int { o3 + i }
  func outputBias(_ v: Int) -> Int { form == .canonical ? o4 + v : o5 + v }
  func initialState(_ i: Int) -> Int { form == .canonical ? o5 + i : o6 + i }
  /// Column-form E[k, w] (row: W_x[w, k]).
  func embedding(_ k: Int, _ w: Int) -> Int { form == .row ? w * d + k : k * V + w }
  /// Column-form W_e[i, k] (row: W_e[k, i]).
  func input(_ i: Int, _ k: Int) -> Int { o2 + (form == .row ? k * H + i : i * d + k) }
  /// Canonical W_xh[i, w].
  func canonicalInput(_ i: Int, _ w: Int) -> Int { i * V + w }
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
  return split(Array(g.base), shapes)
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
