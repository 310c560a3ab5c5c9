import _Differentiation
import Jacobians
import BPTTReference
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Mirrors of the LSTM and the GRU written for Swift's `_Differentiation` (as
/// DifferentiableMirror.swift for the RNN): the truncated objective as a differentiable function
/// of all parameters flattened into one `[Double]` (`GateLayout`), so that `gradient(at:)` gives
/// an independent gradient. The cut states are constants (`withoutDerivative`).
///
/// The model is built from six array primitives whose pullbacks are the textbook ones
/// (checked against central differences in `GateMirrorPrimitiveTests`); every composition —
/// the gates, the sharing of weights across steps, the truncation — is left to the compiler:
/// ```
/// mirrorSlice(a, s, n) = a[s..<s+n]          pullback: v scattered into zeros at s
/// mirrorAdd(a, b) = a + b, mirrorMul(a, b) = a ⊙ b     (elementwise)
/// mirrorMatVec(W, x) = W x   (W row-major, W.count / x.count rows)   pullback: (v xᵀ, Wᵀ v)
/// mirrorEmbedding(E, w) = column w of E                                pullback: v into column w
/// ```
/// σ and tanh are `differentiableMap` over the standard library's derivatives of exp and tanh.
/// (Reading `theta[i]` directly would cost a full-size tangent per read; slicing keeps the
/// mirror fast enough to run on every option set and seed.)

private func dense(_ v: Array<Double>.TangentVector, _ n: Int) -> [Double] {
  v.base.isEmpty ? [Double](repeating: 0, count: n) : v.base
}

func mirrorSlice(_ a: [Double], _ start: Int, _ count: Int) -> [Double] {
  Array(a[start..<(start + count)])
}

@derivative(of: mirrorSlice, wrt: a)
func mirrorSliceVJP(_ a: [Double], _ start: Int, _ count: Int)
  -> (value: [Double], pullback: (Array<Double>.TangentVector) -> Array<Double>.TangentVector)
{
  let n = a.count
  return (mirrorSlice(a, start, count), { v in
    var out = [Double](repeating: 0, count: n)
    if !v.base.isEmpty { for k in 0..<count { out[start + k] = v.base[k] } }
    return .init(out)
  })
}

func mirrorAdd(_ a: [Double], _ b: [Double]) -> [Double] {
  precondition(a.count == b.count, "mirrorAdd of \(a.count) and \(b.count) entries")
  return (0..<a.count).map { a[$0] + b[$0] }
}

@derivative(of: mirrorAdd)
func mirrorAddVJP(_ a: [Double], _ b: [Double])
  -> (value: [Double], pullback: (Array<Double>.TangentVector) -> (Array<Double>.TangentVector, Array<Double>.TangentVector))
{
  let n = a.count
  return (mirrorAdd(a, b), { v in
    let g = dense(v, n)
    return (.init(g), .init(g))
  })
}

func mirrorMul(_ a: [Double], _ b: [Double]) -> [Double] {
  precondition(a.count == b.count, "mirrorMul of \(a.count) and \(b.count) entries")
  return (0..<a.count).map { a[$0] * b[$0] }
}

@derivative(of: mirrorMul)
func mirrorMulVJP(_ a: [Double], _ b: [Double])
  -> (value: [Double], pullback: (Array<Double>.TangentVector) -> (Array<Double>.TangentVector, Array<Double>.TangentVector))
{
  let n = a.count
  return (mirrorMul(a, b), { v in
    let g = dense(v, n)
    return (.init((0..<n).map { g[$0] * b[$0] }), .init((0..<n).map { g[$0] * a[$0] }))
  })
}

func mirrorMatVec(_ W: [Double], _ x: [Double]) -> [Double] {
  let n = x.count, m = W.count / n
  precondition(m * n == W.count, "mirrorMatVec of \(W.count) and \(n) entries")
  var y = [Double](repeating: 0, count: m)
  for i in 0..<m {
    var s = 0.0
    for j in 0..<n { s += W[i * n + j] * x[j] }
    y[i] = s
  }
  return y
}

@derivative(of: mirrorMatVec)
func mirrorMatVecVJP(_ W: [Double], _ x: [Double])
  -> (value: [Double], pullback: (Array<Double>.TangentVector) -> (Array<Double>.TangentVector, Array<Double>.TangentVector))
{
  let n = x.count, m = W.count / n
  return (mirrorMatVec(W, x), { v in
    let g = dense(v, m)
    var dW = [Double](repeating: 0, count: m * n), dx = [Double](repeating: 0, count: n)
    for i in 0..<m {
      for j in 0..<n {
        dW[i * n + j] = g[i] * x[j]
        dx[j] += W[i * n + j] * g[i]
      }
    }
    return (.init(dW), .init(dx))
  })
}

@differentiable(reverse)
func mirrorSigmoid(_ a: [Double]) -> [Double] { a.differentiableMap { 1 / (1 + exp(-$0)) } }

@differentiable(reverse)
func mirrorTanh(_ a: [Double]) -> [Double] { a.differentiableMap { tanh($0) } }

@differentiable(reverse)
func mirrorOneMinus(_ a: [Double]) -> [Double] { a.differentiableMap { 1 - $0 } }

/// −log softmax(l)_target = log Σ exp(l − m) + m − l_target.
@differentiable(reverse, wrt: logits)
func mirrorCrossEntropy(_ logits: [Double], _ target: Int) -> Double {
  let m = withoutDerivative(at: logits.max() ?? 0)
  var sum = 0.0
  for v in withoutDerivative(at: 0..<logits.count) { sum = sum + exp(logits[v] - m) }
  return log(sum) + m - logits[target]
}

/// The cut states of θ0, s = 0…T (entry 0 unused: h^(0), c^(0) are parameters).
struct MirrorCutStates {
  var h: [[Double]]
  var c: [[Double]]
}

// MARK: - LSTM

/// [h^(t); c^(t)] (2H) from [h^(t−1); c^(t−1)] and e^(t).
@differentiable(reverse, wrt: (W_x, W_h, b, e, hc))
func lstmMirrorStep(_ W_x: [Double], _ W_h: [Double], _ b: [Double], _ e: [Double], _ hc: [Double], _ H: Int, _ order: LSTMGateOrder) -> [Double] {
  let k = withoutDerivative(at: referenceGateBlocks(order))
  let h = mirrorSlice(hc, 0, H), c = mirrorSlice(hc, H, H)
  let a = mirrorAdd(mirrorAdd(mirrorMatVec(W_x, e), mirrorMatVec(W_h, h)), b)
  let i = mirrorSigmoid(mirrorSlice(a, k.i * H, H)), f = mirrorSigmoid(mirrorSlice(a, k.f * H, H))
  let o = mirrorSigmoid(mirrorSlice(a, k.o * H, H)), g = mirrorTanh(mirrorSlice(a, k.g * H, H))
  let cNew = mirrorAdd(mirrorMul(f, c), mirrorMul(i, g))
  let hNew = mirrorMul(o, mirrorTanh(cNew))
  return hNew + cNew
}

/// e^(t) = column w of E (d × V, row-major).
func mirrorEmbedding(_ E: [Double], _ w: Int, _ d: Int, _ V: Int) -> [Double] {
  (0..<d).map { E[$0 * V + w] }
}

@derivative(of: mirrorEmbedding, wrt: E)
func mirrorEmbeddingVJP(_ E: [Double], _ w: Int, _ d: Int, _ V: Int)
  -> (value: [Double], pullback: (Array<Double>.TangentVector) -> Array<Double>.TangentVector)
{
  let n = E.count
  return (mirrorEmbedding(E, w, d, V), { v in
    var out = [Double](repeating: 0, count: n)
    if !v.base.isEmpty { for k in 0..<d { out[k * V + w] = v.base[k] } }
    return .init(out)
  })
}

/// Σₜ wₜ J^(t) of the LSTM, J^(t) from the state after s(t) (`referenceCutStep`): the cut state
/// when s ≥ 1, θ's h0, c0 when s = 0.
@differentiable(reverse, wrt: theta)
func lstmMirrorObjective(_ theta: [Double], _ L: GateLayout, _ options: LSTMOptions, _ tokens: [Int], _ cut: MirrorCutStates) -> Double {
  let H = withoutDerivative(at: L.H), V = withoutDerivative(at: L.V), d = withoutDerivative(at: L.d)
  let o = withoutDerivative(at: L.offsets)
  let E = mirrorSlice(theta, o[0], d * V), W_x = mirrorSlice(theta, o[1], 4 * H * d)
  let W_h = mirrorSlice(theta, o[2], 4 * H * H), b = mirrorSlice(theta, o[3], 4 * H)
  let U = mirrorSlice(theta, o[4], V * H), b_2 = mirrorSlice(theta, o[5], V)
  let h0c0 = mirrorSlice(theta, o[6], 2 * H)
  let T = withoutDerivative(at: tokens.count - 1)
  var hc = h0c0
  var chainStart = -1, chainAt = -1
  var total = 0.0
  for t in withoutDerivative(at: 1...T) {
    let s = withoutDerivative(at: referenceCutStep(options.truncation, t: t))
    if s != chainStart || chainAt != t - 1 {
      if s == 0 { hc = h0c0 } else { hc = withoutDerivative(at: cut.h[s] + cut.c[s]) }
      chainStart = s
      chainAt = s
    }
    while chainAt < t {
      let e = mirrorEmbedding(E, withoutDerivative(at: tokens[chainAt]), d, V)
      hc = lstmMirrorStep(W_x, W_h, b, e, hc, H, withoutDerivative(at: options.gateOrder))
      chainAt += 1
    }
    let logits = mirrorAdd(mirrorMatVec(U, mirrorSlice(hc, 0, H)), b_2)
    total = total + mirrorCrossEntropy(logits, withoutDerivative(at: tokens[t]))
  }
  if options.reduction == .mean { return total / Double(T) }
  return total
}

/// The states of the LSTM mirror at θ0 (no derivative), for the cut states.
func lstmMirrorStates(_ theta: [Double], _ L: GateLayout, _ options: LSTMOptions, _ tokens: [Int]) -> MirrorCutStates {
  let H = L.H, o = L.offsets
  let E = mirrorSlice(theta, o[0], L.d * L.V), W_x = mirrorSlice(theta, o[1], 4 * H * L.d)
  let W_h = mirrorSlice(theta, o[2], 4 * H * H), b = mirrorSlice(theta, o[3], 4 * H)
  var hc = mirrorSlice(theta, o[6], 2 * H)
  var states = MirrorCutStates(h: [Array(hc[0..<H])], c: [Array(hc[H...])])
  for t in 1..<tokens.count {
    hc = lstmMirrorStep(W_x, W_h, b, mirrorEmbedding(E, tokens[t - 1], L.d, L.V), hc, H, options.gateOrder)
    states.h.append(Array(hc[0..<H]))
    states.c.append(Array(hc[H...]))
  }
  return states
}

/// The autodiff gradient of the LSTM's truncated objective at θ0 = θ, split by parameter.
func lstmMirrorGradient(_ p: LSTMParameters, tokens: [Int], options: LSTMOptions) -> [Matrix] {
  let L = GateLayout.lstm(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
  let theta = p.flattened
  let cut = lstmMirrorStates(theta, L, options, tokens)
  let g = gradient(at: theta) { lstmMirrorObjective($0, L, options, tokens, cut) }
  return split(dense(g, theta.count), p.shapes)
}

// MARK: - GRU

@differentiable(reverse, wrt: (W_x, W_h, b_x, b_h, e, h))
func gruMirrorStep(_ W_x: [Double], _ W_h: [Double], _ b_x: [Double], _ b_h: [Double], _ e: [Double], _ h: [Double],
                   _ H: Int, _ options: GRUOptions) -> [Double] {
  let ax = mirrorAdd(mirrorMatVec(W_x, e), b_x)
  let W_hr = mirrorSlice(W_h, 0, H * H), W_hz = mirrorSlice(W_h, H * H, H * H), W_hn = mirrorSlice(W_h, 2 * H * H, H * H)
  let r = mirrorSigmoid(mirrorAdd(mirrorSlice(ax, 0, H), mirrorAdd(mirrorMatVec(W_hr, h), mirrorSlice(b_h, 0, H))))
  let z = mirrorSigmoid(mirrorAdd(mirrorSlice(ax, H, H), mirrorAdd(mirrorMatVec(W_hz, h), mirrorSlice(b_h, H, H))))
  let n: [Double]
  if options.reset == .after {
    n = mirrorTanh(mirrorAdd(mirrorSlice(ax, 2 * H, H), mirrorMul(r, mirrorAdd(mirrorMatVec(W_hn, h), mirrorSlice(b_h, 2 * H, H)))))
  } else {
    n = mirrorTanh(mirrorAdd(mirrorSlice(ax, 2 * H, H), mirrorAdd(mirrorMatVec(W_hn, mirrorMul(r, h)), mirrorSlice(b_h, 2 * H, H))))
  }
  if options.update == .keep { return mirrorAdd(mirrorMul(mirrorOneMinus(z), n), mirrorMul(z, h)) }
  return mirrorAdd(mirrorMul(z, n), mirrorMul(mirrorOneMinus(z), h))
}

@differentiable(reverse, wrt: theta)
func gruMirrorObjective(_ theta: [Double], _ L: GateLayout, _ options: GRUOptions, _ tokens: [Int], _ cut: MirrorCutStates) -> Double {
  let H = withoutDerivative(at: L.H), V = withoutDerivative(at: L.V), d = withoutDerivative(at: L.d)
  let o = withoutDerivative(at: L.offsets)
  let E = mirrorSlice(theta, o[0], d * V), W_x = mirrorSlice(theta, o[1], 3 * H * d)
  let W_h = mirrorSlice(theta, o[2], 3 * H * H), b_x = mirrorSlice(theta, o[3], 3 * H), b_h = mirrorSlice(theta, o[4], 3 * H)
  let U = mirrorSlice(theta, o[5], V * H), b_2 = mirrorSlice(theta, o[6], V)
  let h0 = mirrorSlice(theta, o[7], H)
  let T = withoutDerivative(at: tokens.count - 1)
  var h = h0
  var chainStart = -1, chainAt = -1
  var total = 0.0
  for t in withoutDerivative(at: 1...T) {
    let s = withoutDerivative(at: referenceCutStep(options.truncation, t: t))
    if s != chainStart || chainAt != t - 1 {
      if s == 0 { h = h0 } else { h = withoutDerivative(at: cut.h[s]) }
      chainStart = s
      chainAt = s
    }
    while chainAt < t {
      let e = mirrorEmbedding(E, withoutDerivative(at: tokens[chainAt]), d, V)
      h = gruMirrorStep(W_x, W_h, b_x, b_h, e, h, H, withoutDerivative(at: options))
      chainAt += 1
    }
    total = total + mirrorCrossEntropy(mirrorAdd(mirrorMatVec(U, h), b_2), withoutDerivative(at: tokens[t]))
  }
  if options.reduction == .mean { return total / Double(T) }
  return total
}

func gruMirrorStates(_ theta: [Double], _ L: GateLayout, _ options: GRUOptions, _ tokens: [Int]) -> MirrorCutStates {
  let H = L.H, o = L.offsets
  let E = mirrorSlice(theta, o[0], L.d * L.V), W_x = mirrorSlice(theta, o[1], 3 * H * L.d)
  let W_h = mirrorSlice(theta, o[2], 3 * H * H), b_x = mirrorSlice(theta, o[3], 3 * H), b_h = mirrorSlice(theta, o[4], 3 * H)
  var h = mirrorSlice(theta, o[7], H)
  var states = MirrorCutStates(h: [h], c: [])
  for t in 1..<tokens.count {
    h = gruMirrorStep(W_x, W_h, b_x, b_h, mirrorEmbedding(E, tokens[t - 1], L.d, L.V), h, H, options)
    states.h.append(h)
  }
  return states
}

func gruMirrorGradient(_ p: GRUParameters, tokens: [Int], options: GRUOptions) -> [Matrix] {
  let L = GateLayout.gru(V: p.vocabularySize, d: p.embeddingSize, H: p.hiddenSize)
  let theta = p.flattened
  let cut = gruMirrorStates(theta, L, options, tokens)
  let g = gradient(at: theta) { gruMirrorObjective($0, L, options, tokens, cut) }
  return split(dense(g, theta.count), p.shapes)
}
