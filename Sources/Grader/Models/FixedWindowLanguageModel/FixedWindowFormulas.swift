import Formulas
import Jacobians

/// The formulas of `window-lm`, in the notation of note 002. The window's positions are the
/// steps k = 1…n (the step count is n): x^(k) is the k-th word, and W_e^(k) the H×d block of W
/// that multiplies its embedding E x^(k), so that z = Σ_k W_e^(k) E x^(k) + b_1.
///
/// ```
/// quantity  shape  steps      what                              item    its formula
/// E         d×V               embeddings                        loss    −yᵀ log ŷ
/// W         H×nd              hidden weights                    delta1  ŷ − y                 (δ1 itself excluded)
/// W_e       H×d    1…n        block k of W (columns (k−1)d …)   dU      δ1 hᵀ
/// b_1, b_2  H×1, V×1          biases                            db_2    δ1
/// U         V×H               output weights                    delta2  (Uᵀ δ1) ⊙ σ′(z)       (δ2 itself excluded)
/// tokens    indices 1…n+1     for onehot(tokens[k])             dW      δ2 eᵀ
/// x         V×1 one-hot 1…n+1 the words; x^(n+1) is the target  db_1    δ2
/// y         V×1 one-hot       the target x^(n+1)                de      Wᵀ δ2
/// e         nd×1              [E x^(1); …; E x^(n)]             dE      Σ_k W_e^(k)ᵀ δ2 x^(k)ᵀ
/// z, h      H×1               W e + b_1, f(z)
/// theta     V×1               U h + b_2;  yhat = softmax(θ)
/// delta1    V×1               ŷ − y;  delta2 H×1  (Uᵀ δ1) ⊙ f′(z)
/// ```
extension FixedWindowLanguageModel {
  var formulas: FormulaDeclarations? {
    FormulaDeclarations(
      quantities: [
        .matrix("E", "d×V", summary: "embedding matrix"),
        .matrix("W", "H×nd", summary: "hidden-layer weights"),
        .matrix("W_e", "H×d", steps: StepRange(1, .T), summary: "W_e^(k): the block of W (columns (k−1)d … kd − 1) that multiplies E x^(k)"),
        .matrix("b_1", "H×1", summary: "hidden bias"),
        .matrix("U", "V×H", summary: "output weights"),
        .matrix("b_2", "V×1", summary: "output bias"),
        .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1), summary: "token indices x(1) … x(n+1), for onehot(tokens[k])"),
        .oneHot("x", "V×1", steps: StepRange(1, .T + 1), summary: "one-hot words x^(1) … x^(n+1); x^(n+1) is the target"),
        .oneHot("y", "V×1", summary: "the one-hot target y = x^(n+1)"),
        .matrix("e", "nd×1", summary: "e = [E x^(1); …; E x^(n)]"),
        .matrix("z", "H×1", summary: "z = W e + b_1"),
        .matrix("h", "H×1", summary: "h = f(z)"),
        .matrix("theta", "V×1", summary: "θ = U h + b_2"),
        .matrix("yhat", "V×1", summary: "ŷ = softmax(θ)"),
        .matrix("delta1", "V×1", summary: "δ1 = ŷ − y"),
        .matrix("delta2", "H×1", summary: "δ2 = (Uᵀ δ1) ⊙ f′(z)"),
      ],
      activation: f, stepCount: "n",
      items: [
        "loss": FormulaItem("1×1"),
        "delta1": FormulaItem("V×1", excluding: ["delta1", "delta2"]),
        "dU": FormulaItem("V×H"),
        "db_2": FormulaItem("V×1"),
        "delta2": FormulaItem("H×1", excluding: ["delta2"]),
        "dW": FormulaItem("H×nd"),
        "db_1": FormulaItem("H×1"),
        "de": FormulaItem("nd×1"),
        "dE": FormulaItem("d×V"),
      ])
  }

  func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let net = network(p)
    let pass = try! net.forward(tokens: tokens)
    let g = net.backward(pass)
    let n = size("n"), d = size("d"), V = size("V")
    let x = tokens.map { CrossEntropy.oneHot($0, classes: V) }
    var b = FormulaBindings(stepCount: n)
    b["E"] = .matrix(p.E)
    b["W"] = .matrix(p.W)
    b["W_e"] = .steps((0..<n).map { k in Matrix(rows: p.W.rows, cols: d) { i, j in p.W[i, k * d + j] } })
    b["b_1"] = .matrix(p.b_1)
    b["U"] = .matrix(p.U)
    b["b_2"] = .matrix(p.b_2)
    b["tokens"] = .classIndices(tokens)
    b["x"] = .steps(x)
    b["y"] = .matrix(x[n])
    b["e"] = .matrix(pass.e)
    b["z"] = .matrix(pass.z)
    b["h"] = .matrix(pass.h)
    b["theta"] = .matrix(pass.theta)
    b["yhat"] = .matrix(pass.yHat)
    b["delta1"] = .matrix(g.delta1)
    b["delta2"] = .matrix(g.delta2)
    return b
  }
}
