import BPTTReference
import Formulas
import Jacobians

/// The formulas of `rnn-canonical`, in min-char-rnn's notation (note 001): y_t is the
/// prediction, x_t the one-hot character, δh_t the gradient at the pre-activation.
///
/// ```
/// quantity  shape  steps      what                                   item    its formula
/// W_xh      H×V               input-to-hidden weights                loss    Σ_t −x_{t+1}ᵀ log y_t
/// W_hh      H×H               hidden-to-hidden weights               dW_xh   Σ_t δh_t x_tᵀ
/// W_yh      V×H               hidden-to-output weights               dW_hh   Σ_t δh_t h_{t−1}ᵀ
/// b_h, b_y  H×1, V×1          biases                                 dW_yh   Σ_t (y_t − x_{t+1}) h_tᵀ
/// h0        H×1               h_0                                    db_h    Σ_t δh_t
/// tokens    indices 1…T+1     for onehot(tokens[t])                  db_y    Σ_t (y_t − x_{t+1})
/// x         V×1 one-hot 1…T+1 the characters                         dh0     W_hhᵀ δh_1
/// z         H×1   1…T         W_xh x_t + W_hh h_{t−1} + b_h
/// h         H×1   0…T         f(z_t), h_0 = h0
/// y         V×1   1…T         softmax(W_yh h_t + b_y), the prediction (also ŷ)
/// dh        H×1   1…T         δh_t = ∂E/∂z_t, the carry included (also δh)
/// ```
/// With `"reduction": "mean"` every term carries 1/T.
extension CanonicalRNNModel {
  var formulas: FormulaDeclarations? {
    let items: [String: FormulaItem] = [
      "loss": FormulaItem("1×1"),
      "dW_xh": FormulaItem("H×V"),
      "dW_hh": FormulaItem("H×H"),
      "dW_yh": FormulaItem("V×H"),
      "db_h": FormulaItem("H×1"),
      "db_y": FormulaItem("V×1"),
      "dh0": FormulaItem("H×1"),
    ]
    return FormulaDeclarations(
      quantities: [
        .matrix("W_xh", "H×V", summary: "input-to-hidden weights"),
        .matrix("W_hh", "H×H", summary: "hidden-to-hidden weights"),
        .matrix("W_yh", "V×H", summary: "hidden-to-output weights"),
        .matrix("b_h", "H×1", summary: "hidden bias"),
        .matrix("b_y", "V×1", summary: "output bias"),
        .matrix("h0", "H×1", summary: "the initial hidden state h_0"),
        .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1), summary: "character indices x(1) … x(T+1), for onehot(tokens[t])"),
        .oneHot("x", "V×1", steps: StepRange(1, .T + 1), summary: "one-hot characters x_1 … x_{T+1}; x_{t+1} is the target of step t"),
        .matrix("z", "H×1", steps: .oneThroughT, summary: "z_t = W_xh x_t + W_hh h_{t−1} + b_h"),
        .matrix("h", "H×1", steps: .zeroThroughT, summary: "hidden state h_t = f(z_t); h_0 = h0"),
        .matrix("y", "V×1", steps: .oneThroughT, aliases: ["yhat"], summary: "the prediction y_t = softmax(W_yh h_t + b_y)"),
        .matrix("dh", "H×1", steps: .oneThroughT, aliases: ["deltah"], summary: "δh_t = ∂E/∂z_t, the carry included"),
      ],
      activation: options.activation,
      items: options.useBiases ? items : items.filter { !["db_h", "db_y"].contains($0.key) },
      withoutClosedForm: options.useBiases ? [:] : [
        "db_h": "this assignment leaves the biases out of the model, so their gradient is zero",
        "db_y": "this assignment leaves the biases out of the model, so their gradient is zero",
      ])
  }

  func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings {
    let p = parameters(inputs)
    let tokens = tokens(inputs)
    let v = RecurrentFormulaValues(p.columnForm, tokens: tokens, options: options)
    var b = FormulaBindings(stepCount: v.T)
    b["W_xh"] = .matrix(p.W_xh)
    b["W_hh"] = .matrix(p.W_hh)
    b["W_yh"] = .matrix(p.W_yh)
    b["b_h"] = .matrix(v.b_1)
    b["b_y"] = .matrix(v.b_2)
    b["h0"] = .matrix(p.h0)
    b["tokens"] = .classIndices(tokens)
    b["x"] = .steps(v.x)
    b["z"] = .steps(v.z)
    b["h"] = .steps(v.h)
    b["y"] = .steps(v.yhat)
    b["dh"] = .steps(v.dz)
    return b
  }
}
