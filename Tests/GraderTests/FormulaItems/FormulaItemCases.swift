// Formulas students write for the items of backprop-basics, rnn-bptt and window-lm: correct
// spellings that must pass (plain and LaTeX; sums reordered, transposes factored as
// (AB)ᵀ = BᵀAᵀ, ⊙ commuted, 1/T moved in and out of the sum, the notes' quantities expanded)
// and wrong ones that must fail with the mistake named.
//
// A mistake is named by the catalogue's id (Sources/Grader/Models/*/…Mistakes.swift) when the
// formula's value matches a mutant, or by the finding that rejects it before any number is
// computed (`FormulaFinding`): the transpose of the item's shape, another shape, an ill-formed
// product, sum or ⊙, a step outside its quantity's range, the item's own quantity used.
//
// Each expectation was worked out by hand from the item's derivation (the comment of the model's
// formulas, e.g. RNNLanguageModelFormulas.swift) and the mutant's definition; e.g. in rnn-bptt
// (mean), Σ_t dz^(t) h^(t−1)ᵀ with dz^(t) = ∂J/∂z^(t) already carrying 1/T, so a further 1/T is
// `mean-applied-twice`, and (1/T) Σ_t δ2^(t) h^(t−1)ᵀ keeps only each step's own term, which is
// truncation to one step, `only-current-step`.

/// What a formula must do: pass, or fail with this mistake named.
enum FormulaExpectation: Sendable, Equatable, CustomStringConvertible {
  case pass
  case fails(String)

  var description: String {
    switch self {
    case .pass: return "pass"
    case .fails(let why): return "fail (\(why))"
    }
  }
}

/// The findings that name a mistake before any number is computed.
enum FormulaFinding {
  static let transposed = "transposed"
  static let wrongShape = "wrong shape"
  static let product = "ill-formed product"
  static let sum = "ill-formed sum"
  static let hadamard = "ill-formed ⊙"
  static let stepRange = "step out of range"
  static let itemItself = "the item's own quantity"
  static let classIndex = "class index misused"
  static let unreadable = "unreadable"
}

struct FormulaItemCase: Sendable, CustomStringConvertible {
  var assignment: String
  var item: String
  var formula: String
  var expected: FormulaExpectation

  var description: String { "\(assignment) \(item): \(formula) → \(expected)" }
}

/// Five or more correct and five or more wrong formulas of one item.
func formulaCases(_ assignment: String, _ item: String, pass: [String], fail: [(String, String)]) -> [FormulaItemCase] {
  pass.map { FormulaItemCase(assignment: assignment, item: item, formula: $0, expected: .pass) }
    + fail.map { FormulaItemCase(assignment: assignment, item: item, formula: $0.0, expected: .fails($0.1)) }
}

private typealias F = FormulaFinding

let rnnBPTTFormulaCases: [FormulaItemCase] = [
  formulaCases("rnn-bptt", "loss", pass: [
    "(1/T) sum_t -y[t]^T log(yhat[t])",
    #"-\frac{1}{T}\sum_{t=1}^{T} {y^{(t)}}^\top \log \hat{y}^{(t)}"#,
    "-(1/T) Σ_t log(yhat[t])^T y[t]",
    "sum_t -(y[t]^T log(yhat[t]))/T",
    "-(1/T) sum_t log(y[t]^T yhat[t])",
    "-(1/T) sum_t onehot(tokens[t+1])^T log(softmax(theta[t]))",
  ], fail: [
    ("sum_t -y[t]^T log(yhat[t])", "mean-missing"),
    ("-(1/T) (1/T) sum_t y[t]^T log(yhat[t])", "mean-applied-twice"),
    ("-(1/T) sum_t y[t] log(yhat[t])^T", F.wrongShape),
    ("-(1/T) sum_t y[t] log(yhat[t])", F.product),
    ("-(1/T) sum_t y[t]^T log(yhat[t-1])", F.stepRange),
    ("-(1/T) sum_t log(yhat[t])", F.wrongShape),
  ]),
  formulaCases("rnn-bptt", "dU", pass: [
    "(1/T) sum_t delta1[t] h[t]^T",
    #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#,
    "sum_t (h[t] delta1[t]^T)^T / T",
    "(1/T) Σ_t outer(δ1^(t), h^(t))",
    "(1/T) sum_t (yhat[t] - y[t]) h[t]^T",
    "sum_{t=1..T} (1/T) (softmax(theta[t]) - onehot(tokens[t+1])) h_t^T",
    #"\frac{1}{T}\sum_{i=1}^{T} \delta_1^{(T-i+1)} {h^{(T-i+1)}}^\top"#,
  ], fail: [
    ("sum_t delta1[t] h[t]^T", "mean-missing"),
    ("(1/T) sum_t h[t] delta1[t]^T", F.transposed),
    ("(1/T) sum_t (y[t] - yhat[t]) h[t]^T", "sign-flipped"),
    ("(1/T) (1/T) sum_t delta1[t] h[t]^T", "mean-applied-twice"),
    ("(1/T) sum_t delta1[t] h[t]", F.product),
    ("(1/T) sum_t delta1[t] h[t+1]^T", F.stepRange),
  ]),
  formulaCases("rnn-bptt", "db_2", pass: [
    "(1/T) sum_t delta1[t]",
    #"\frac{1}{T}\sum_{t=1}^{T}\left(\hat{y}^{(t)} - y^{(t)}\right)"#,
    "sum_t delta1[t]^T / T",
    "(1/T) sum_t yhat[t] - (1/T) sum_t y[t]",
    "(1/T) Σ_t (softmax(θ^(t)) − onehot(tokens[t+1]))",
    "sum_t (1/T) delta1[T-t+1]",
  ], fail: [
    ("sum_t delta1[t]", "mean-missing"),
    ("(1/T) sum_t (y[t] - yhat[t])", "sign-flipped"),
    ("(1/T) (1/T) sum_t delta1[t]", "mean-applied-twice"),
    ("(1/T) sum_t h[t]", F.wrongShape),
    ("(1/T) sum_t delta1[t] h[t]^T", F.wrongShape),
    ("(1/T) sum_t yhat[t] - y[t]", F.unreadable),
  ]),
  formulaCases("rnn-bptt", "dW_h", pass: [
    "sum_t dz[t] h[t-1]^T",
    #"\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\top"#,
    "(sum_t h[t-1] dz[t]^T)^T",
    "sum_t outer(dJdz[t], h[t-1])",
    "sum_{t=1..T} dz[T-t+1] h[T-t]^T",
    "dz[1] h0^T + sum_{t=2}^{T} dz[t] h[t-1]^T",
  ], fail: [
    ("sum_t dz[t] h[t]^T", "current-state-in-outer-product"),
    ("sum_t h[t-1] dz[t]^T", "transposed"),
    ("(1/T) sum_t delta2[t] h[t-1]^T", "only-current-step"),
    ("(1/T) sum_t dz[t] h[t-1]^T", "mean-applied-twice"),
    ("sum_t dz[t] h[t-1]", F.product),
  ]),
  formulaCases("rnn-bptt", "dW_e", pass: [
    "sum_t dz[t] e[t]^T",
    #"\sum_{t=1}^{T} dz^{(t)} {e^{(t)}}^\top"#,
    "sum_t dz[t] (E x[t])^T",
    "sum_t dz[t] x[t]^T E^T",
    "(sum_t e[t] dz[t]^T)^T",
    "sum_t outer(dz[t], E x[t])",
  ], fail: [
    ("sum_t e[t] dz[t]^T", F.transposed),
    ("(1/T) sum_t delta2[t] e[t]^T", "only-current-step"),
    ("(1/T) sum_t dz[t] e[t]^T", "mean-applied-twice"),
    ("sum_t dz[t] x[t]^T", F.wrongShape),
    ("sum_t dz[t] e[t]", F.product),
    ("sum_t dz[t] e[t+1]^T", F.stepRange),
  ]),
  formulaCases("rnn-bptt", "db_1", pass: [
    "sum_t dz[t]",
    #"\sum_{t=1}^{T} dz^{(t)}"#,
    "sum_t dz[T-t+1]",
    "dz[1] + sum_{t=2}^{T} dz[t]",
    "(sum_t dz[t])^T",
    "sum_t dJdz_t",
  ], fail: [
    ("(1/T) sum_t delta2[t]", "only-current-step"),
    ("(1/T) sum_t dz[t]", "mean-applied-twice"),
    ("sum_t dz[t] h[t-1]^T", F.wrongShape),
    ("sum_t dz[t+1]", F.stepRange),
    ("sum_t delta1[t]", F.wrongShape),
  ]),
  formulaCases("rnn-bptt", "dE", pass: [
    "sum_t W_e^T dz[t] x[t]^T",
    #"\sum_{t=1}^{T} W_e^\top dz^{(t)} {x^{(t)}}^\top"#,
    "(sum_t x[t] dz[t]^T W_e)^T",
    "W_e^T (sum_t dz[t] x[t]^T)",
    "sum_t outer(W_e^T dz[t], onehot(tokens[t]))",
    "sum_t (x[t] (W_e^T dz[t])^T)^T",
  ], fail: [
    ("sum_t x[t] dz[t]^T W_e", F.transposed),
    ("(1/T) sum_t W_e^T delta2[t] x[t]^T", "only-current-step"),
    ("(1/T) sum_t W_e^T dz[t] x[t]^T", "mean-applied-twice"),
    ("sum_t W_e dz[t] x[t]^T", F.product),
    ("sum_t dz[t] x[t]^T", F.wrongShape),
  ]),
  formulaCases("rnn-bptt", "dh0", pass: [
    "W_h^T dz[1]",
    #"W_h^\top dz^{(1)}"#,
    "(dz[1]^T W_h)^T",
    "W_h^T dz_1",
    "dz[1]^T W_h",
    "W_h^T (((1/T) U^T delta1[1]) .* sigma'(z[1]) + (W_h^T dz[2]) .* sigma'(z[1]))",
  ], fail: [
    ("W_h^T dz[0]", F.stepRange),
    ("(1/T) W_h^T delta2[1]", "only-current-step"),
    ("(1/T) W_h^T dz[1]", "mean-applied-twice"),
    ("W_h^T dz[1] dz[1]^T", F.wrongShape),
    ("W_e^T dz[1]", F.wrongShape),
  ]),
  formulaCases("rnn-bptt", "delta1", pass: [
    "yhat[t] - y[t]",
    #"\hat{y}^{(t)} - y^{(t)}"#,
    "softmax(theta[t]) - onehot(tokens[t+1])",
    "-(y[t] - yhat[t])",
    "softmax(U h[t] + b_2) - x[t+1]",
    "yhat_t^T - y_t^T",
  ], fail: [
    ("y[t] - yhat[t]", "sign-flipped"),
    ("(y[t]^T yhat[t] - 1) y[t]", "diagonal-softmax-jacobian"),
    ("delta1[t]", F.itemItself),
    ("yhat[t] - y[t+1]", F.stepRange),
    ("yhat[t] .* (1 - yhat[t])", F.sum),
  ]),
  formulaCases("rnn-bptt", "delta2", pass: [
    "(U^T delta1[t]) .* sigma'(z[t])",
    #"\left(U^\top \delta_1^{(t)}\right) \odot \sigma'\left(z^{(t)}\right)"#,
    "σ′(z^(t)) ⊙ Uᵀ δ1^(t)",
    "diag(sigma'(z[t])) U^T delta1[t]",
    "(delta1[t]^T U diag(f'(z[t])))^T",
    "(U^T (yhat[t] - y[t])) .* sigma'(z[t])",
  ], fail: [
    ("(U^T delta1[t]) .* sigma(z[t])", "activation-for-derivative"),
    ("(U^T delta1[t]) .* h[t]", "activation-for-derivative"),
    ("(U^T (y[t] - yhat[t])) .* sigma'(z[t])", "sign-flipped"),
    ("(U^T ((y[t]^T yhat[t] - 1) y[t])) .* sigma'(z[t])", "diagonal-softmax-jacobian"),
    ("U delta1[t] .* sigma'(z[t])", F.product),
    ("(U^T delta1[t])^T .* sigma'(z[t])", F.hadamard),
    ("delta2[t]", F.itemItself),
  ]),
].flatMap { $0 }

let backpropBasicsFormulaCases: [FormulaItemCase] = [
  formulaCases("backprop-basics", "dh_dz", pass: [
    "diag(sigma'(z))",
    #"\mathrm{diag}(\sigma'(z))"#,
    "diag(f'(W x + b))",
    "diag(f'(z))^T",
    "diag(sigma'(z)^T)",
  ], fail: [
    ("diag(sigma(z))", "activation-for-derivative"),
    ("diag(h)", "activation-for-derivative"),
    ("diag(sigma'(W x))", "bias-omitted"),
    ("sigma'(z)", F.wrongShape),
    ("diag(sigma'(x))", F.wrongShape),
    ("diag(sigma'(z)) W", F.wrongShape),
  ]),
  formulaCases("backprop-basics", "delta", pass: [
    "u^T .* sigma'(z)^T",
    #"u \odot \sigma'(z)"#,
    "(diag(sigma'(z)) u)^T",
    "u^T diag(f'(z))",
    "sigma'(W x + b) .* u",
    #"\mathbf{u}^\top \circ {\sigma'(\mathbf{z})}^\top"#,
  ], fail: [
    ("u .* sigma(z)", "activation-for-derivative"),
    ("u .* h", "activation-for-derivative"),
    ("u .* sigma'(W x)", "bias-omitted"),
    ("u^T .* sigma'(z)", F.hadamard),
    ("delta", F.itemItself),
    ("u sigma'(z)^T", F.wrongShape),
  ]),
  formulaCases("backprop-basics", "ds_db", pass: [
    "delta",
    "delta^T",
    "u .* sigma'(z)",
    #"\delta^\top"#,
    "diag(sigma'(z)) u",
    "u^T diag(sigma'(z))",
  ], fail: [
    ("u .* sigma(z)", "activation-for-derivative"),
    ("u .* sigma'(W x)", "bias-omitted"),
    ("delta x", F.product),
    ("delta^T x^T", F.wrongShape),
    ("W^T delta^T", F.wrongShape),
  ]),
  formulaCases("backprop-basics", "ds_dW", pass: [
    "delta^T x^T",
    #"\delta^\top x^\top"#,
    "outer(delta, x)",
    "(x delta)^T",
    "(u .* sigma'(z)) x^T",
    "diag(sigma'(z)) u x^T",
  ], fail: [
    ("x delta", F.transposed),
    ("(u .* sigma(z)) x^T", "activation-for-derivative"),
    ("(u .* sigma'(W x)) x^T", "bias-omitted"),
    ("delta x^T", F.product),
    ("delta^T x", F.product),
  ]),
  formulaCases("backprop-basics", "ds_dx", pass: [
    "W^T delta^T",
    "(delta W)^T",
    "delta W",
    "W^T (u .* sigma'(z))",
    #"\mathbf{W}^\top \boldsymbol{\delta}^\top"#,
    "W^T diag(sigma'(z)) u",
  ], fail: [
    ("W delta^T", F.product),
    ("W^T (u .* sigma(z))", "activation-for-derivative"),
    ("W^T (u .* sigma'(W x))", "bias-omitted"),
    ("delta^T", F.wrongShape),
    ("W^T delta", F.product),
  ]),
  formulaCases("backprop-basics", "ds_du", pass: [
    "h",
    "sigma(z)",
    "f(W x + b)",
    "h^T",
    #"\sigma(\mathbf{W}\mathbf{x} + \mathbf{b})"#,
    "sigma(Wx + b)",
  ], fail: [
    ("sigma(W x)", "bias-omitted"),
    ("h h^T", F.wrongShape),
    ("h^T u", F.wrongShape),
    ("W^T h", F.wrongShape),
    ("h .* u^T", F.hadamard),
  ]),
  formulaCases("backprop-basics", "softmax_jacobian", pass: [
    "diag(yhat) - yhat yhat^T",
    #"\mathrm{diag}(\hat{y}) - \hat{y}\hat{y}^\top"#,
    "diag(softmax(theta)) - outer(yhat, yhat)",
    "-(yhat yhat^T - diag(yhat))",
    "(diag(yhat) - yhat yhat^T)^T",
    "diag(yhat) - yhat ⊗ yhat",
  ], fail: [
    ("diag(yhat) - diag(yhat .* yhat)", "diagonal-softmax-jacobian"),
    ("diag(yhat - yhat .* yhat)", "diagonal-softmax-jacobian"),
    ("diag(yhat) - yhat^T yhat", F.sum),
    ("diag(yhat) - yhat yhat", F.product),
    ("yhat - yhat yhat^T", F.sum),
  ]),
  formulaCases("backprop-basics", "dCE_dtheta", pass: [
    "yhat - y",
    "softmax(theta) - onehot(label)",
    #"\hat{y} - y"#,
    "-(y - yhat)",
    "yhat^T - y^T",
    "(diag(yhat) - yhat yhat^T) (-y / (y^T yhat))",
  ], fail: [
    ("y - yhat", "sign-flipped"),
    ("(y^T yhat - 1) y", "diagonal-softmax-jacobian"),
    ("yhat - label", F.classIndex),
    ("yhat y^T", F.wrongShape),
    ("yhat - y^T", F.sum),
  ]),
  formulaCases("backprop-basics", "dJ_dwindow", pass: [
    "sigma'(s_win) W_win^T delta_win^T",
    #"\sigma'(s_{win}) W_{win}^\top \delta_{win}^\top"#,
    "(delta_win W_win)^T sigma'(s_win)",
    "sigma'(s_win) W_win^T (u_win .* sigma'(z_win))",
    "sigma(s_win) (1 - sigma(s_win)) W_win^T delta_win^T",
    "sigma'(s_win) delta_win W_win",
  ], fail: [
    ("sigma(s_win) W_win^T (u_win .* sigma(z_win))", "activation-for-derivative"),
    ("sigma'(u_win^T sigma(W_win x_win)) W_win^T (u_win .* sigma'(W_win x_win))", "bias-omitted"),
    ("sigma'(s_win) W_win delta_win^T", F.product),
    ("sigma'(s_win) W_win^T delta_win", F.product),
    ("sigma'(s_win) delta_win^T x_win^T", F.wrongShape),
  ]),
  formulaCases("backprop-basics", "dJ_dW_win", pass: [
    "sigma'(s_win) delta_win^T x_win^T",
    #"\sigma'(s_{win}) \delta_{win}^\top x_{win}^\top"#,
    "sigma'(s_win) outer(delta_win, x_win)",
    "(x_win delta_win)^T sigma'(s_win)",
    "sigma'(s_win) (u_win .* sigma'(z_win)) x_win^T",
    "sigma(s_win) (1 - sigma(s_win)) diag(sigma'(z_win)) u_win x_win^T",
  ], fail: [
    ("sigma'(s_win) x_win delta_win", F.transposed),
    ("sigma(s_win) (u_win .* sigma(z_win)) x_win^T", "activation-for-derivative"),
    ("sigma'(u_win^T sigma(W_win x_win)) (u_win .* sigma'(W_win x_win)) x_win^T", "bias-omitted"),
    ("sigma'(s_win) delta_win^T x_win", F.product),
    ("sigma'(s_win) delta_win x_win^T", F.product),
  ]),
  formulaCases("backprop-basics", "dJ_db_win", pass: [
    "sigma'(s_win) delta_win^T",
    "sigma'(s_win) delta_win",
    #"\sigma'(s_{win}) \left(u_{win} \odot \sigma'(z_{win})\right)"#,
    "sigma'(s_win) diag(sigma'(z_win)) u_win",
    "(u_win .* sigma'(z_win)) sigma'(s_win)",
    "sigma'(s_win) sigma'(z_win) .* u_win",
  ], fail: [
    ("sigma(s_win) (u_win .* sigma(z_win))", "activation-for-derivative"),
    ("sigma'(u_win^T sigma(W_win x_win)) (u_win .* sigma'(W_win x_win))", "bias-omitted"),
    ("sigma'(s_win) delta_win^T x_win^T", F.wrongShape),
    ("sigma'(s_win) u_win^T .* sigma'(z_win)", F.hadamard),
    ("sigma'(s_win) W_win^T delta_win^T", F.wrongShape),
  ]),
  formulaCases("backprop-basics", "dJ_du_win", pass: [
    "sigma'(s_win) h_win",
    #"\sigma'(s_{win}) h_{win}"#,
    "h_win sigma'(s_win)",
    "sigma'(s_win) sigma(W_win x_win + b_win)",
    "(sigma'(s_win) h_win)^T",
    "sigma(s_win) (1 - sigma(s_win)) f(z_win)",
  ], fail: [
    ("sigma(s_win) h_win", "activation-for-derivative"),
    ("sigma'(u_win^T sigma(W_win x_win)) sigma(W_win x_win)", "bias-omitted"),
    ("sigma'(s_win) h_win h_win^T", F.wrongShape),
    ("sigma'(s_win) h_win^T u_win", F.wrongShape),
    ("sigma'(s_win) W_win h_win", F.product),
  ]),
  formulaCases("backprop-basics", "dL_dW_cls", pass: [
    "(1/N) X^T (P - Y) + 2 reg W_cls",
    #"\frac{1}{N} X^\top (\hat{Y} - Y) + 2\lambda W_{cls}"#,
    "((P - Y)^T X)^T / N + 2 lambda W_cls",
    "X^T P / N - X^T Y / N + W_cls reg 2",
    "2 λ W_cls + (1/N) X^T (Yhat - Y)",
    "(1/N) (X^T (P - Y) + 2 N reg W_cls)",
  ], fail: [
    ("(1/N) X^T (P - Y)", "regularization-missing"),
    ("(1/N) X^T (P - Y) + reg W_cls", "l2-factor"),
    ("(1/N) X^T (Y - P) + 2 reg W_cls", "sign-flipped"),
    ("(1/N) (P - Y)^T X + 2 reg W_cls", F.sum),
    ("(1/N) X (P - Y) + 2 reg W_cls", F.product),
  ]),
  formulaCases("backprop-basics", "dz_dt", pass: [
    "10 t t t t - 8 t",
    "2 (t t) (2 t) (2 t) + ((t t) (t t) - 2 (2 t)) 2",
    "2 t (5 t t t - 4)",
    #"10 \cdot t t t t - 8 t"#,
    "-8 t + 10 t t t t",
  ], fail: [
    ("8 t t t t", "chain-rule-one-path"),
    ("10 t t t t - 8 t x", F.sum),
    ("t^2", F.unreadable),
    ("10 t t t t - 8 h", F.sum),
    ("theta", F.wrongShape),
  ]),
].flatMap { $0 }

let windowLMFormulaCases: [FormulaItemCase] = [
  formulaCases("window-lm", "loss", pass: [
    "-y^T log(yhat)",
    #"-\log\left(y^\top \hat{y}\right)"#,
    "-log(yhat)^T y",
    "-onehot(tokens[n+1])^T log(softmax(theta))",
    "-x[n+1]^T log(softmax(U h + b_2))",
    "-log(x_{n+1}^T yhat)",
  ], fail: [
    ("-y^T log(softmax(U sigma(W e)))", "bias-omitted"),
    ("-log(yhat)", F.wrongShape),
    ("-y log(yhat)^T", F.wrongShape),
    ("-y log(yhat)", F.product),
    ("-x[n+2]^T log(yhat)", F.stepRange),
  ]),
  formulaCases("window-lm", "delta1", pass: [
    "yhat - y",
    #"\hat{y} - y"#,
    "softmax(theta) - onehot(tokens[n+1])",
    "softmax(U h + b_2) - x[n+1]",
    "-(y - yhat)",
    "yhat^T - y^T",
  ], fail: [
    ("y - yhat", "sign-flipped"),
    ("(y^T yhat - 1) y", "diagonal-softmax-jacobian"),
    ("softmax(U sigma(W e)) - y", "bias-omitted"),
    ("delta1", F.itemItself),
    ("yhat - y^T", F.sum),
    ("yhat - x[n+2]", F.stepRange),
  ]),
  formulaCases("window-lm", "dU", pass: [
    "delta1 h^T",
    #"\delta_1 h^\top"#,
    "(h delta1^T)^T",
    "outer(delta1, h)",
    "(yhat - y) sigma(z)^T",
    "(softmax(theta) - onehot(tokens[n+1])) f(W e + b_1)^T",
  ], fail: [
    ("h delta1^T", F.transposed),
    ("(y - yhat) h^T", "sign-flipped"),
    ("((y^T yhat - 1) y) h^T", "diagonal-softmax-jacobian"),
    ("(softmax(U sigma(W e)) - y) sigma(W e)^T", "bias-omitted"),
    ("delta1 h", F.product),
  ]),
  formulaCases("window-lm", "db_2", pass: [
    "delta1",
    #"\delta_1"#,
    "yhat - y",
    "delta1^T",
    "softmax(theta) - x[n+1]",
    "-(y - yhat)",
  ], fail: [
    ("y - yhat", "sign-flipped"),
    ("(y^T yhat - 1) y", "diagonal-softmax-jacobian"),
    ("softmax(U sigma(W e)) - y", "bias-omitted"),
    ("delta1 h^T", F.wrongShape),
    ("delta2", F.wrongShape),
  ]),
  formulaCases("window-lm", "delta2", pass: [
    "(U^T delta1) .* sigma'(z)",
    #"\left(U^\top \delta_1\right) \odot \sigma'(z)"#,
    "σ′(z) ⊙ Uᵀ δ1",
    "diag(sigma'(z)) U^T delta1",
    "(delta1^T U diag(f'(z)))^T",
    "(U^T (yhat - y)) .* sigma'(W e + b_1)",
  ], fail: [
    ("(U^T delta1) .* sigma(z)", "activation-for-derivative"),
    ("(U^T delta1) .* h", "activation-for-derivative"),
    ("(U^T (y - yhat)) .* sigma'(z)", "sign-flipped"),
    ("(U^T ((y^T yhat - 1) y)) .* sigma'(z)", "diagonal-softmax-jacobian"),
    ("(U^T (softmax(U sigma(W e)) - y)) .* sigma'(W e)", "bias-omitted"),
    ("U delta1 .* sigma'(z)", F.product),
    ("delta2", F.itemItself),
  ]),
  formulaCases("window-lm", "dW", pass: [
    "delta2 e^T",
    #"\delta_2 e^\top"#,
    "(e delta2^T)^T",
    "outer(delta2, e)",
    "((U^T delta1) .* sigma'(z)) e^T",
    "diag(sigma'(z)) U^T delta1 e^T",
  ], fail: [
    ("e delta2^T", F.transposed),
    ("((U^T delta1) .* sigma(z)) e^T", "activation-for-derivative"),
    ("((U^T (y - yhat)) .* sigma'(z)) e^T", "sign-flipped"),
    ("((U^T (softmax(U sigma(W e)) - y)) .* sigma'(W e)) e^T", "bias-omitted"),
    ("delta2 e", F.product),
    ("delta2 x[1]^T", F.wrongShape),
  ]),
  formulaCases("window-lm", "db_1", pass: [
    "delta2",
    #"\delta_2"#,
    "(U^T delta1) .* sigma'(z)",
    "delta2^T",
    "diag(sigma'(z)) U^T delta1",
    "sigma'(z) .* (U^T (yhat - y))",
  ], fail: [
    ("(U^T delta1) .* sigma(z)", "activation-for-derivative"),
    ("(U^T (y - yhat)) .* sigma'(z)", "sign-flipped"),
    ("(U^T ((y^T yhat - 1) y)) .* sigma'(z)", "diagonal-softmax-jacobian"),
    ("delta1", F.wrongShape),
    ("delta2 e^T", F.wrongShape),
  ]),
  formulaCases("window-lm", "de", pass: [
    "W^T delta2",
    #"\mathbf{W}^\top \boldsymbol{\delta}_2"#,
    "(delta2^T W)^T",
    "delta2^T W",
    "W^T ((U^T delta1) .* sigma'(z))",
    "W^T diag(sigma'(z)) U^T delta1",
  ], fail: [
    ("W delta2", F.product),
    ("W^T ((U^T delta1) .* sigma(z))", "activation-for-derivative"),
    ("W^T ((U^T (y - yhat)) .* sigma'(z))", "sign-flipped"),
    ("W^T ((U^T ((y^T yhat - 1) y)) .* sigma'(z))", "diagonal-softmax-jacobian"),
    ("delta2 e^T", F.wrongShape),
  ]),
  formulaCases("window-lm", "dE", pass: [
    "sum_k W_e[k]^T delta2 x[k]^T",
    #"\sum_{k=1}^{n} {W_e^{(k)}}^\top \delta_2 {x^{(k)}}^\top"#,
    "(sum_k x[k] delta2^T W_e[k])^T",
    "sum_k outer(W_e[k]^T delta2, onehot(tokens[k]))",
    "sum_{k=1..n} W_e[n-k+1]^T delta2 x[n-k+1]^T",
    "sum_k (x[k] (W_e[k]^T delta2)^T)^T",
  ], fail: [
    ("sum_k x[k] delta2^T W_e[k]", F.transposed),
    ("sum_k W_e[k]^T ((U^T delta1) .* sigma(z)) x[k]^T", "activation-for-derivative"),
    ("sum_k W_e[k]^T ((U^T (y - yhat)) .* sigma'(z)) x[k]^T", "sign-flipped"),
    ("W^T delta2 x[1]^T", F.wrongShape),
    ("sum_k W_e[k] delta2 x[k]^T", F.product),
  ]),
].flatMap { $0 }

/// Every case, in the order of the table.
let formulaItemCases = backpropBasicsFormulaCases + rnnBPTTFormulaCases + windowLMFormulaCases
