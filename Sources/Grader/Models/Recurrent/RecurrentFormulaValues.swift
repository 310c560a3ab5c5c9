import BPTTReference
import Formulas
import Jacobians

/// The quantities of a recurrent model's formulas at one point, in the column form of
/// `BPTT` (the canonical RNN through `CanonicalRNNParameters.columnForm`, E = I, W_e = W_xh).
///
/// ```
/// x^(t)    V×1 one-hot    t = 1…T+1        y^(t) = x^(t+1)    V×1 one-hot    t = 1…T
/// e^(t)    d×1            E x^(t)          z^(t)  H×1   W_h h^(t−1) + W_e e^(t) + b_1
/// h^(t)    H×1            t = 0…T          θ^(t)  V×1   U h^(t) + b_2,   ŷ^(t) = softmax(θ^(t))
/// δ1^(t)   V×1            ŷ^(t) − y^(t)    δ2^(t) H×1   (Uᵀ δ1^(t)) ⊙ f′(z^(t))   (the step's own J^(t))
/// dz^(t)   H×1            ∂J/∂z^(t): every kept term of every J^(s), weighted as in J (1/T for
///                         the mean), under the options' truncation
/// ```
/// The biases are the ones the forward pass uses: zero when the options leave them out.
struct RecurrentFormulaValues {
  var T: Int
  var b_1: Matrix
  var b_2: Matrix
  var x: [Matrix]
  var y: [Matrix]
  var e: [Matrix]
  var z: [Matrix]
  var h: [Matrix]
  var theta: [Matrix]
  var yhat: [Matrix]
  var delta1: [Matrix]
  var delta2: [Matrix]
  var dz: [Matrix]

  init(_ p: RNNParameters, tokens: [Int], options: RNNOptions) {
    T = tokens.count - 1
    let V = p.vocabularySize
    b_1 = options.useBiases ? p.b_1 : Matrix(shape: p.b_1.shape)
    b_2 = options.useBiases ? p.b_2 : Matrix(shape: p.b_2.shape)
    let forward = BPTT.forward(p, tokens: tokens, options: options)
    let deltas = BPTT.deltas(p, tokens: tokens, options: options)
    x = tokens.map { CrossEntropy.oneHot($0, classes: V) }
    y = Array(x.dropFirst())
    e = (0..<T).map { p.E.column(tokens[$0]) }
    z = forward.z
    h = forward.h
    theta = (1...T).map { [b_2] t in p.U * forward.h[t] + b_2 }
    yhat = forward.yhat
    delta1 = (0..<T).map { deltas.delta1.row($0).T }
    delta2 = (0..<T).map { deltas.delta2.row($0).T }
    dz = (0..<T).map { deltas.dJdz.row($0).T }
  }
}
