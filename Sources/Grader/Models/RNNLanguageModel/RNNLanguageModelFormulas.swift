import BPTTReference
import Formulas
import Jacobians

/// The formulas of `rnn-lm`, in the notation of notes 002/003 (column form).
///
/// ```
/// quantity  shape  steps     what                           item        its formula (the notes')
/// W_h       H×H              recurrent weights              loss        (1/T) Σ_t −y^(t)ᵀ log ŷ^(t)
/// W_e       H×d              input weights                  dU          (1/T) Σ_t δ1^(t) h^(t)ᵀ
/// U         V×H              output weights                 db_2        (1/T) Σ_t δ1^(t)
/// b_1, b_2  H×1, V×1         biases                         dW_h        Σ_t dz^(t) h^(t−1)ᵀ
/// E         d×V              embeddings                     dW_e        Σ_t dz^(t) e^(t)ᵀ
/// h0        H×1              h^(0)                          db_1        Σ_t dz^(t)
/// tokens    indices 1…T+1    x(1) … x(T+1), for onehot(…)   dE          Σ_t W_eᵀ dz^(t) x^(t)ᵀ
/// x         V×1 one-hot 1…T+1                               dh0         W_hᵀ dz^(1)
/// y         V×1 one-hot 1…T  y^(t) = x^(t+1)                delta1      ŷ^(t) − y^(t)       (row t)
/// e         d×1   1…T        E x^(t)                        delta2      (Uᵀ δ1^(t)) ⊙ σ′(z^(t))  (row t)
/// z         H×1   1…T        W_h h^(t−1) + W_e e^(t) + b_1
/// h         H×1   0…T        f(z^(t)), h^(0) = h0
/// theta     V×1   1…T        U h^(t) + b_2
/// yhat      V×1   1…T        softmax(θ^(t))
/// delta1    V×1   1…T        ŷ^(t) − y^(t)                  (not in the formula of delta1)
/// delta2    H×1   1…T        (Uᵀ δ1^(t)) ⊙ f′(z^(t))        (not in those of delta1, delta2)
/// dz        H×1   1…T        ∂J/∂z^(t), carry and 1/T in    (not in those of delta1, delta2)
/// ```
/// With `"reduction": "sum"` the 1/T goes; under a truncation dz^(t) is the truncated carry.
/// `dW_h_terms` has no formula: ∂J^(T)/∂z^(i) is a product of the Jacobians of the steps
/// i+1 … T, which the language cannot write for every T.
extension RNNLanguageModel {
  var formulas: FormulaDeclarations? {
    let (items, withoutClosedForm) = formulaItems
    return FormulaDeclarations(
      quantities: [
        .matrix("W_h", "H×H", summary: "recurrent weights"),
        .matrix("W_e", "H×d", summary: "input weights"),
        .matrix("U", "V×H", summary: "output weights"),
        .matrix("b_1", "H×1", summary: "hidden bias"),
        .matrix("b_2", "V×1", summary: "output bias"),
        .matrix("E", "d×V", summary: "embedding matrix"),
        .matrix("h0", "H×1", summary: "the initial hidden state h^(0)"),
        .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1), summary: "token indices x(1) … x(T+1), for onehot(tokens[t])"),
        .oneHot("x", "V×1", steps: StepRange(1, .T + 1), summary: "one-hot words x^(1) … x^(T+1)"),
        .oneHot("y", "V×1", steps: .oneThroughT, summary: "one-hot target y^(t) = x^(t+1)"),
        .matrix("e", "d×1", steps: .oneThroughT, summary: "embedding e^(t) = E x^(t)"),
        .matrix("z", "H×1", steps: .oneThroughT, summary: "z^(t) = W_h h^(t−1) + W_e e^(t) + b_1"),
        .matrix("h", "H×1", steps: .zeroThroughT, summary: "hidden state h^(t) = f(z^(t)); h^(0) = h0"),
        .matrix("theta", "V×1", steps: .oneThroughT, summary: "logits θ^(t) = U h^(t) + b_2"),
        .matrix("yhat", "V×1", steps: .oneThroughT, summary: "ŷ^(t) = softmax(θ^(t))"),
        .matrix("delta1", "V×1", steps: .oneThroughT, summary: "δ1^(t) = ŷ^(t) − y^(t)"),
        .matrix("delta2", "H×1", steps: .oneThroughT, summary: "δ2^(t) = (Uᵀ δ1^(t)) ⊙ f′(z^(t)), the step's own loss"),
        .matrix("dz", "H×1", steps: .oneThroughT, aliases: ["dJdz"], summary: "∂J/∂z^(t): all J sends back to z^(t), the carry and 1/T included"),
      ],
      activation: options.activation,
      items: items,
      withoutClosedForm: withoutClosedForm)
  }

  /// The items a formula answers under these options: without the biases (`"biases": false`)
  /// their gradients are zero, and no formula is asked for.
  private var formulaItems: (items: [String: FormulaItem], without: [String: String]) {
    let perStep = FormulaItem.PerStep(variable: "t", range: .oneThroughT)
    var items: [String: FormulaItem] = [
      "loss": FormulaItem("1×1"),
      "dU": FormulaItem("V×H"),
      "db_2": FormulaItem("V×1"),
      "dW_h": FormulaItem("H×H"),
      "dW_e": FormulaItem("H×d"),
      "db_1": FormulaItem("H×1"),
      "dE": FormulaItem("d×V"),
      "dh0": FormulaItem("H×1"),
      "delta1": FormulaItem("V×1", perStep: perStep, excluding: ["delta1", "delta2", "dz"]),
      "delta2": FormulaItem("H×1", perStep: perStep, excluding: ["delta2", "dz"]),
    ]
    var without = [
      "dW_h_terms": "∂J^(T)/∂W_h|_(i) = (∂J^(T)/∂z^(i)) h^(i−1)ᵀ needs ∂J^(T)/∂z^(i), a product of the Jacobians of steps i+1 … T, which no formula of the language writes for every T",
    ]
    if !options.useBiases {
      for bias in ["db_1", "db_2"] {
        items[bias] = nil
        without[bias] = "this assignment leaves the biases out of the model, so their gradient is zero"
      }
    }
    return (items, without)
  }

  func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings {
    let p = columnForm(inputs)
    let tokens = tokens(inputs)
    let v = RecurrentFormulaValues(p, tokens: tokens, options: options)
    var b = FormulaBindings(stepCount: v.T)
    b["W_h"] = .matrix(p.W_h)
    b["W_e"] = .matrix(p.W_e)
    b["U"] = .matrix(p.U)
    b["b_1"] = .matrix(v.b_1)
    b["b_2"] = .matrix(v.b_2)
    b["E"] = .matrix(p.E)
    b["h0"] = .matrix(p.h0)
    b["tokens"] = .classIndices(tokens)
    b["x"] = .steps(v.x)
    b["y"] = .steps(v.y)
    b["e"] = .steps(v.e)
    b["z"] = .steps(v.z)
    b["h"] = .steps(v.h)
    b["theta"] = .steps(v.theta)
    b["yhat"] = .steps(v.yhat)
    b["delta1"] = .steps(v.delta1)
    b["delta2"] = .steps(v.delta2)
    b["dz"] = .steps(v.dz)
    return b
  }
}
