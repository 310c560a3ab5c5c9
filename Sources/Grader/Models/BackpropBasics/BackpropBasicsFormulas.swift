import Formulas
import Jacobians

/// The formulas of `backprop-basics`, in the notation of note 003 (δ is the slides' row vector).
///
/// ```
/// quantity        shape       what                          item              its formula
/// x, W, b, u      m×1 n×m n×1 n×1   the scoring network      dh_dz             diag(f′(z))
/// z, h, s         n×1 n×1 1×1 z = Wx + b, h = f(z), s = uᵀh  delta             uᵀ ⊙ f′(z)ᵀ      (δ itself excluded)
/// delta           1×n         δ = uᵀ ⊙ f′(z)ᵀ               ds_db             δ               ds_dW   δᵀ xᵀ
/// theta, yhat     K×1         θ, ŷ = softmax(θ)             ds_dx             Wᵀ δᵀ           ds_du   h
/// label, y        index, K×1  the class, y = onehot(label)  softmax_jacobian  diag(ŷ) − ŷ ŷᵀ
/// x_win           (window·d)×1  the window's words stacked  dCE_dtheta        ŷ − y
/// W_win, b_win, u_win, z_win, h_win, s_win, delta_win       dJ_dwindow        σ′(s_win) W_winᵀ δ_winᵀ  (entries fill window×d row by row)
///                 the window classifier, J = σ(s_win)       dJ_dW_win         σ′(s_win) δ_winᵀ x_winᵀ
///                                                           dJ_db_win         σ′(s_win) δ_winᵀ
///                                                           dJ_du_win         σ′(s_win) h_win
/// X, W_cls, Y, P  N×D D×C N×C N×C   examples, weights, one-hot classes, softmax rows
/// reg (λ), N      1×1         L2 strength, example count    dL_dW_cls         (1/N) Xᵀ(P − Y) + 2 λ W_cls   (λ W_cls for ½λΣW²)
/// t               1×1         the chain rule's point        dz_dt             10 t t t t − 8 t
/// ```
/// `graph_grad` has no formula: max(y, z) routes by a comparison the language cannot write.
extension BackpropBasics {
  var formulas: FormulaDeclarations? {
    let windowDimension = Formulas.Dimension.symbol("window·d")
    return FormulaDeclarations(
      quantities: [
        .matrix("x", "m×1", summary: "input of the scoring network"),
        .matrix("W", "n×m", summary: "weights of the scoring network"),
        .matrix("b", "n×1", summary: "its bias"),
        .matrix("u", "n×1", summary: "its score vector"),
        .matrix("z", "n×1", summary: "z = Wx + b"),
        .matrix("h", "n×1", summary: "h = f(z)"),
        .scalar("s", summary: "the score s = uᵀh"),
        .matrix("delta", "1×n", summary: "δ = ∂s/∂z = uᵀ ⊙ f′(z)ᵀ, a row as on the slides"),
        .matrix("theta", "K×1", summary: "softmax input θ"),
        .classIndex("label", classes: "K", summary: "the correct class of θ, for onehot(label)"),
        .matrix("yhat", "K×1", summary: "ŷ = softmax(θ)"),
        .oneHot("y", "K×1", summary: "y = onehot(label)"),
        QuantityDeclaration(name: "x_win", shape: SymbolicShape(windowDimension, .one), summary: "the window's word vectors stacked, [x_1; …; x_window]"),
        QuantityDeclaration(name: "W_win", shape: SymbolicShape("n", windowDimension), summary: "weights of the window classifier"),
        .matrix("b_win", "n×1", summary: "its bias"),
        .matrix("u_win", "n×1", summary: "its score vector"),
        .matrix("z_win", "n×1", summary: "z_win = W_win x_win + b_win"),
        .matrix("h_win", "n×1", summary: "h_win = f(z_win)"),
        .scalar("s_win", summary: "s_win = u_winᵀ h_win; J = σ(s_win)"),
        .matrix("delta_win", "1×n", summary: "δ_win = u_winᵀ ⊙ f′(z_win)ᵀ"),
        .matrix("X", "N×D", summary: "examples of the softmax classifier, one per row"),
        .matrix("W_cls", "D×C", summary: "its weights"),
        .matrix("Y", "N×C", summary: "the one-hot classes, one row per example"),
        .matrix("P", "N×C", aliases: ["Yhat"], summary: "softmax(X W_cls) row by row"),
        .scalar("reg", aliases: ["lambda"], summary: "the L2 strength λ"),
        .scalar("N", summary: "the number of examples"),
        .scalar("t", summary: "the point t of the chain-rule example"),
      ],
      activation: f, stepCount: nil,
      items: [
        "dh_dz": FormulaItem("n×n"),
        "delta": FormulaItem("1×n", excluding: ["delta"]),
        "ds_db": FormulaItem("n×1"),
        "ds_dW": FormulaItem("n×m"),
        "ds_dx": FormulaItem("m×1"),
        "ds_du": FormulaItem("n×1"),
        "softmax_jacobian": FormulaItem("K×K"),
        "dCE_dtheta": FormulaItem("K×1"),
        "dJ_dwindow": FormulaItem(SymbolicShape(windowDimension, .one)),
        "dJ_dW_win": FormulaItem(SymbolicShape("n", windowDimension)),
        "dJ_db_win": FormulaItem("n×1"),
        "dJ_du_win": FormulaItem("n×1"),
        "dL_dW_cls": FormulaItem("D×C"),
        "dz_dt": FormulaItem("1×1"),
      ],
      withoutClosedForm: [
        "graph_grad": "(∂f/∂x, ∂f/∂y, ∂f/∂z) of f = (x + y)·max(y, z) routes through max, a comparison the formula language cannot write",
      ])
  }

  func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings {
    let net = scoring(inputs)
    let x = inputs["x"]!.matrix
    let pass = net.forward(x)
    let g = net.backward(pass)
    let theta = inputs["theta"]!.matrix
    let label = Int(inputs["label"]!.scalar)
    let window = windowClassifier(inputs)
    let xWin = windowVector(inputs)
    let wpass = window.forward(xWin)
    let X = inputs["X"]!.matrix, W_cls = inputs["W_cls"]!.matrix
    let classes = inputs["y"]!.ints
    var Y = Matrix(rows: X.rows, cols: W_cls.cols)
    for (i, c) in classes.enumerated() { Y[i, c] = 1 }
    var b = FormulaBindings()
    b["x"] = .matrix(x)
    b["W"] = .matrix(net.W)
    b["b"] = .matrix(net.b)
    b["u"] = .matrix(net.u)
    b["z"] = .matrix(pass.z)
    b["h"] = .matrix(pass.h)
    b["s"] = .scalar(pass.s)
    b["delta"] = .matrix(g.delta)
    b["theta"] = .matrix(theta)
    b["label"] = .classIndex(label)
    b["yhat"] = .matrix(Softmax.probabilities(theta))
    b["y"] = .matrix(CrossEntropy.oneHot(label, classes: theta.rows))
    b["x_win"] = .matrix(xWin)
    b["W_win"] = .matrix(window.network.W)
    b["b_win"] = .matrix(window.network.b)
    b["u_win"] = .matrix(window.network.u)
    b["z_win"] = .matrix(wpass.scoring.z)
    b["h_win"] = .matrix(wpass.scoring.h)
    b["s_win"] = .scalar(wpass.scoring.s)
    b["delta_win"] = .matrix(window.network.backward(wpass.scoring).delta)
    b["X"] = .matrix(X)
    b["W_cls"] = .matrix(W_cls)
    b["Y"] = .matrix(Y)
    b["P"] = .matrix(Softmax.rowwise(X * W_cls))
    b["reg"] = .scalar(inputs["reg"]!.scalar)
    b["N"] = .scalar(Double(X.rows))
    b["t"] = .scalar(inputs["t"]!.scalar)
    return b
  }
}
