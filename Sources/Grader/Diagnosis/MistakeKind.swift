/// The mistakes students make, as they are told about them: the vocabulary models build their
/// mutants from. A kind names no model's items; where a model needs other words for one of its
/// items, it gives them with `describing(_:)`.
///
/// ```
/// id                              the mistake
/// transposed                      the result transposed
/// row-column-swapped              the row-form result reshaped into the column form
/// sign-flipped                    δ1 = y − ŷ
/// activation-for-derivative       f(z) where f′(z) belongs
/// derivative-at-next-step         f′(z^(t+1)) where f′(z^(t)) belongs
/// diagonal-softmax-jacobian       diag(ŷ ⊙ (1 − ŷ)) for the softmax Jacobian
/// mean-missing, mean-applied-twice, mean-on-sum    the 1/T of the mean
/// bias-omitted                    the forward pass without the bias
/// gradient-clipped                the gradient clipped
/// ```
/// The recurrent models add the mistakes of BPTT in their notation (`RecurrentMistakeKinds`).
extension MistakeKind {
  public static let transposed = MistakeKind(
    id: "transposed", name: "the result transposed",
    hint: "The gradient has the shape of the parameter: (∂J/∂W)_ij = Σ δ_i x_j, so ∂J/∂W = δ ⊗ x = δ xᵀ, not x δᵀ.",
    describe: { c, _ in "Your \(c.item.id) is the transpose of the expected one: the gradient has the shape of the parameter, (∂\(c.loss)/∂W)_ij = δ_i x_j." })

  public static let rowColumnSwapped = MistakeKind(
    id: "row-column-swapped", name: "row and column conventions swapped",
    hint: "The row form (note 004: z = h W + b) gives the transpose of the column form's gradient; transpose it back (.T), do not reshape it.",
    describe: { c, _ in
      let s = c.item.shape
      return "Your \(c.item.id) is the row-convention result (\(s[1])×\(s[0]), the transpose) laid out as \(s[0])×\(s[1]) by a reshape: the rows and columns of the two conventions are swapped, not reshaped."
    })

  public static let signFlipped = MistakeKind(
    id: "sign-flipped", name: "the sign flipped (y − ŷ)",
    hint: "∂CE/∂θ = ŷ − y: the prediction minus the one-hot target. With y − ŷ every gradient points uphill.",
    describe: { c, _ in "Your \(c.item.id) has the opposite sign: it was computed from δ1 = y − ŷ instead of ŷ − y." })

  public static let activationForDerivative = MistakeKind(
    id: "activation-for-derivative", name: "f(z) used where f′(z) belongs",
    hint: "∂h/∂z = diag(f′(z)); for σ, f′(z) = σ(z)(1 − σ(z)), for tanh, 1 − tanh²(z). Use the derivative, not the activation h = f(z).",
    describe: { c, _ in
      let f = c.notation.activation ?? "f"
      return "Your \(c.item.id) uses \(f)(z) where \(f)′(z) belongs: the Jacobian ∂h/∂z is diag(f′(z)), not diag(h)."
    })

  public static let derivativeAtNextStep = MistakeKind(
    id: "derivative-at-next-step", name: "the derivative taken at the wrong timestep",
    hint: "Step i's Jacobian is diag(f′(z^(i))): index the stored z by the same step as the δ you multiply.",
    describe: { c, _ in "Your \(c.item.id) takes the derivative at the wrong timestep: f′(z^(t+1)) where ∂h^(t)/∂z^(t) = diag(f′(z^(t))) belongs (an index off by one)." })

  public static let diagonalSoftmaxJacobian = MistakeKind(
    id: "diagonal-softmax-jacobian", name: "a diagonal-only softmax Jacobian",
    hint: "∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ: every ŷ_i depends on every θ_j through the normalization. With it, ∂CE/∂θ = ŷ − y.",
    describe: { c, _ in "Your \(c.item.id) uses only the diagonal of the softmax Jacobian, diag(ŷ ⊙ (1 − ŷ)): then ∂CE/∂θ = (ŷ_l − 1)e_l, which loses the ŷ_j of every other class." })

  public static let meanMissing = MistakeKind(
    id: "mean-missing", name: "the 1/T of the mean missing",
    hint: "J = (1/T) Σ_t J^(t): every gradient carries the factor 1/T.",
    describe: { c, _ in "Your \(c.item.id) is T = \(c.steps) times the expected value: the 1/T of the mean J = (1/T) Σ_t J^(t) is missing." })

  public static let meanTwice = MistakeKind(
    id: "mean-applied-twice", name: "the 1/T of the mean applied twice",
    hint: "Divide by T once: either scale each J^(t) by 1/T, or divide the sum at the end, not both.",
    describe: { c, _ in "Your \(c.item.id) is 1/T = 1/\(c.steps) of the expected value: the 1/T of the mean was applied twice." })

  public static let meanOnSum = MistakeKind(
    id: "mean-on-sum", name: "a 1/T where the loss is a sum",
    hint: "This loss is E = Σ_t E_t, summed over t, not averaged: no 1/T.",
    describe: { c, _ in "Your \(c.item.id) is 1/T = 1/\(c.steps) of the expected value: the loss \(c.loss) = Σ_t \(c.loss)_t is a sum, not a mean." })

  public static let biasOmitted = MistakeKind(
    id: "bias-omitted", name: "the bias missing",
    hint: "The forward pass is z = Wx + b: leave the bias in when you recompute z, h and ŷ for the backward pass.",
    describe: { c, _ in "Your \(c.item.id) was computed without the bias: z = Wx instead of z = Wx + b in the forward pass it differentiates." })

  public static let gradientClipped = MistakeKind(
    id: "gradient-clipped", name: "gradient clipping applied",
    hint: "The assignment asks for the gradient itself; clip (if at all) in the update step, after grading.",
    describe: { c, v in
      let how = v?.note ?? "entries clamped to ±\(Autograder.number(v?.parameter ?? 0))"
      return "Your \(c.item.id) looks clipped (\(how)): the assignment asks for the unclipped gradient."
    })
}
