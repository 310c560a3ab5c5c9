import Jacobians

/// The derivation of `backprop-basics` as the steps the diagnosis searches, and their slips.
///
/// ```
/// step                       the notes                          slips (today's ids in parentheses)
/// biases                     z = Wx + b, z = W_win x + b_win     left out (bias-omitted)
/// h                          h = f(z)                           another activation g (its g′ follows)
/// local                      ∂h/∂z = diag(f′(z)) (and σ′(s))     f for f′ (activation-for-derivative),
///                                                               g′(z), g′ in h, f′(h), dropped
/// window.local               the window's diag(f′(z)) alone      f for f′ there only
/// window.output              ∂J/∂s = σ′(s)                       σ(s), dropped, σ′(J)
/// delta, window.delta        δ = uᵀ ⊙ f′(z)                      u left out
/// window.split               row k = entries (k−1)d … kd − 1     read with stride
/// softmax                    diag(ŷ) − ŷŷᵀ                       diagonal only (diagonal-softmax-jacobian),
///                                                               the sign, ŷŷᵀ left out
/// ce                         ∂CE/∂θ = ŷ − y                      y − ŷ (sign-flipped), ŷ (y not subtracted)
/// classifier.mean            (1/N) Σ_i                          1/N missing
/// classifier.regularization  2λW_cls                            left out (regularization-missing), ½ vs 1 (l2-factor)
/// graph.max                  max routes to the larger input      routed wrong (max-routed-wrong)
/// graph.branches             ∂f/∂y = b + a·1(y ≥ z)              first branch only (branches-not-summed), last only
/// chain                      dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt   first path only (chain-rule-one-path), last only
/// convention                 the column form                    row-column-swapped
/// ```
/// `transposed` is not a slip here: dh_dz is diagonal and softmax_jacobian symmetric, where the
/// transpose is the correct answer; the other matrices are not square. The sign of the softmax
/// Jacobian is a slip of softmax_jacobian alone: through ∂CE/∂θ it *is* the flipped sign of ce.
extension BackpropBasics {
  static let scoringItems: Set<String> = ["dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du"]
  static let windowItems: Set<String> = ["dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win"]

  var basicsDerivation: Derivation {
    let f = ActivationSlips.symbol(self.f)
    let scoring = Self.scoringItems, window = Self.windowItems
    let behindLocal = scoring.subtracting(["ds_du"]).union(window)
    let derivative = ActivationSlips.writtenInH(self.f).map { "\(f)′(z) = \($0)" } ?? ActivationSlips.derivative(self.f)
    var localSlips = ActivationSlips.local(self.f, dropped: "no diag(\(f)′(z)): ∂s/∂z = ∂s/∂h")
    localSlips[0].wrong = { _, _ in "diag(\(f)(z)) (and σ(s) for σ′(s))" }
    let steps = [
      DerivationStep("biases", "z = Wx + b (and z = W_win x + b_win)", items: scoring.union(window), slips: [
        StepSlip(.zero, wrong: "z = Wx", fix: "keep the bias", mistake: .biasOmitted),
      ]),
      DerivationStep("h", "h = \(f)(z)", items: scoring.union(window), slips: ActivationSlips.forward(self.f, fix: "the assignment's layers use \(f)")),
      DerivationStep("local", "∂h/∂z = diag(\(f)′(z))", items: behindLocal, slips: localSlips),
      DerivationStep("window.local", "the window's ∂h/∂z = diag(\(f)′(z))", items: window.subtracting(["dJ_du_win"]), slips: [
        StepSlip(.activationForDerivative, wrong: "diag(\(f)(z)) in the window classifier", fix: "use \(derivative)", cost: 2),
      ]),
      DerivationStep("window.output", "∂J/∂s = σ′(s) = J(1 − J)", items: window, slips: [
        StepSlip(.activationForDerivative, wrong: "∂J/∂s = σ(s) = J", fix: "J = σ(s): its derivative is σ′(s) = J(1 − J)", cost: 2),
        StepSlip(.dropped, wrong: "no ∂J/∂s: the score's gradient alone", fix: "J = σ(s) adds the factor σ′(s) = J(1 − J)", cost: 2),
        StepSlip(.derivativeAtOutput, wrong: "∂J/∂s = σ′(J)", fix: "differentiate at s: σ′(s) = J(1 − J)", cost: 2),
      ]),
      DerivationStep("delta", "δ = uᵀ ⊙ \(f)′(z)ᵀ", items: ["delta", "ds_db", "ds_dW", "ds_dx"], slips: [
        StepSlip(.dropped, wrong: "δ = \(f)′(z)ᵀ (u left out)", fix: "s = uᵀh: ∂s/∂h = uᵀ", cost: 2),
      ]),
      DerivationStep("window.delta", "δ = σ′(s) (u_winᵀ ⊙ \(f)′(z)ᵀ)", items: ["dJ_dwindow", "dJ_dW_win", "dJ_db_win"], slips: [
        StepSlip(.dropped, wrong: "δ = σ′(s) \(f)′(z)ᵀ (u_win left out)", fix: "s = u_winᵀh: ∂s/∂h = u_winᵀ", cost: 2),
      ]),
      DerivationStep("window.split", "row k of ∂J/∂window = entries (k−1)d … kd − 1 of ∂J/∂x = W_winᵀ δᵀ", items: ["dJ_dwindow"], slips: [
        StepSlip(.custom("strided"), wrong: "row k read from entries k, k + window, k + 2·window, … (∂J/∂x reshaped d × window)", fix: "x_k is the k-th block of d consecutive entries of x: reshape to window × d", cost: 2),
      ]),
      DerivationStep("softmax", "∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ", items: ["softmax_jacobian", "dCE_dtheta", "dL_dW_cls"], slips: [
        StepSlip(.diagonalOnly, wrong: "diag(ŷ ⊙ (1 − ŷ))", fix: "every ŷ_i depends on every θ_j", mistake: MistakeKind.diagonalSoftmaxJacobian.describing { c, v in
          c.item.id == "softmax_jacobian"
            ? "Your softmax_jacobian keeps only the diagonal ŷ_i(1 − ŷ_i): the off-diagonal −ŷ_i ŷ_j are missing, as if softmax acted entry by entry."
            : MistakeKind.diagonalSoftmaxJacobian.describe(c, v)
        }),
        StepSlip(.signFlipped, items: ["softmax_jacobian"], wrong: "ŷŷᵀ − diag(ŷ)", fix: "∂ŷ_i/∂θ_j = ŷ_i([i = j] − ŷ_j): the diagonal is positive", cost: 2),
        StepSlip(.termDropped, items: ["softmax_jacobian"], wrong: "diag(ŷ), the term −ŷŷᵀ left out", fix: "the normalization adds −ŷ_i ŷ_j to every entry", cost: 2),
      ]),
      DerivationStep("ce", "∂CE/∂θ = ŷ − y", items: ["dCE_dtheta", "dL_dW_cls"], slips: [
        StepSlip(.signFlipped, wrong: "y − ŷ", fix: "the prediction minus the one-hot target", mistake: .signFlipped),
        StepSlip(.termDropped, wrong: "ŷ, the one-hot y not subtracted", fix: "∂CE/∂θ = ŷ − y", cost: 2),
      ]),
      DerivationStep("classifier.mean", "∂L/∂W_cls = (1/N) Xᵀ(Ŷ − Y) + …", items: ["dL_dW_cls"], slips: [
        StepSlip(.scale, wrong: "Xᵀ(Ŷ − Y) without the 1/N of the mean", fix: "L averages the cross entropy over the N examples", cost: 2),
      ]),
      DerivationStep("classifier.regularization", "… + 2·reg·W_cls", items: ["dL_dW_cls"], slips: [
        StepSlip(.termDropped, wrong: "no regularization term", fix: "add 2λW_cls", mistake: Self.regularizationMissing),
        StepSlip(.custom("l2-factor"), wrong: "the other L2 factor", fix: "use the factor the assignment states", mistake: Self.l2Factor(l2)),
      ]),
      DerivationStep("graph.max", "max routes the upstream gradient to the larger input", items: ["graph_grad"], slips: [
        StepSlip(.custom("routed-wrong"), wrong: "max routed to the smaller input", fix: "the larger input wins", mistake: Self.maxRoutedWrong),
      ]),
      DerivationStep("graph.branches", "∂f/∂y = b + a·1(y ≥ z), y's two branches summed", items: ["graph_grad"], slips: [
        StepSlip(.firstTerm, wrong: "∂f/∂y = b", fix: "sum both branches", mistake: Self.branchesNotSummed),
        StepSlip(.lastTerm, wrong: "∂f/∂y = a·1(y ≥ z), the branch through x + y lost", fix: "y feeds x + y too: add its branch b", cost: 2),
      ]),
      DerivationStep("chain", "dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt", items: ["dz_dt"], slips: [
        StepSlip(.firstTerm, wrong: "dz/dt = ∂z/∂x·dx/dt", fix: "add the path through y", mistake: Self.chainRuleOnePath),
        StepSlip(.lastTerm, wrong: "dz/dt = ∂z/∂y·dy/dt", fix: "z depends on t through x = t² as well: add ∂z/∂x·dx/dt", cost: 2),
      ]),
      DerivationStep("convention", "the column form: each gradient has the shape of its variable", items: Self.nonSquare(items), slips: [
        StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose, do not reshape", mistake: .rowColumnSwapped),
      ]),
    ]
    let (f0, l2, window0, d) = (self.f, self.l2, size("window"), size("d"))
    return Derivation(steps: steps, prepare: { inputs in BasicsSlipEvaluation(inputs: inputs, f: f0, l2: l2, windowSize: window0, d: d) })
  }

  /// The 2-D items that are not square (where a reshape is not a transpose).
  static func nonSquare(_ items: [ModelQuantity]) -> Set<String> {
    Set(items.filter { $0.shape.count == 2 && $0.shape[0] != $0.shape[1] && $0.shape[0] > 1 && $0.shape[1] > 1 }.map(\.name))
  }

  static let regularizationMissing = MistakeKind(
    id: "regularization-missing", name: "the regularization term missing",
    hint: "L includes λ Σ W²: its gradient 2λW adds to the data gradient (1/N) Xᵀ(P − Y).",
    describe: { c, _ in "Your \(c.item.id) lacks the gradient of the regularization term: add 2λW_cls." })

  static func l2Factor(_ l2: L2Factor) -> MistakeKind {
    MistakeKind(
      id: "l2-factor", name: "the L2 factor ½ versus 1",
      hint: "The penalty λ Σ W² has gradient 2λW; ½λ Σ W² has gradient λW. Use the factor the assignment states.",
      describe: { c, _ in
        l2 == .half
          ? "Your \(c.item.id) uses 2λW_cls, the gradient of λΣW², for this assignment's ½λΣW² (gradient λW_cls)."
          : "Your \(c.item.id) uses λW_cls, the gradient of ½λΣW², for this assignment's λΣW² (gradient 2λW_cls)."
      })
  }

  static let maxRoutedWrong = MistakeKind(
    id: "max-routed-wrong", name: "the max gate routed to the wrong input",
    hint: "max routes the whole upstream gradient to the input that won (the larger one); the other gets 0.",
    describe: { _, _ in "Your graph_grad routes the max gate's gradient to the smaller of y and z: max(y, z) passes ∂f/∂b = a to the input that is larger." })

  static let branchesNotSummed = MistakeKind(
    id: "branches-not-summed", name: "a variable's branches not summed",
    hint: "y feeds both x + y and max(y, z): ∂f/∂y is the sum of the two branches, b + a·1(y ≥ z).",
    describe: { _, _ in "Your ∂f/∂y keeps only the branch through x + y: y is used twice, so its gradient sums the branch through max(y, z) as well." })

  static let chainRuleOnePath = MistakeKind(
    id: "chain-rule-one-path", name: "one path of the multivariable chain rule",
    hint: "dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt: z depends on t through x and through y.",
    describe: { _, _ in "Your dz_dt is only ∂z/∂x·dx/dt: the path through y = 2t, ∂z/∂y·dy/dt, is missing." })
}
