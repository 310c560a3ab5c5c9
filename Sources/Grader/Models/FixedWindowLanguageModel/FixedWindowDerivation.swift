import Jacobians

/// The fixed-window LM's items computed with slips (`windowDerivation`'s steps), written out
/// beside the formulas of `WindowLanguageModel` (a test shows that with no slip every item
/// equals the reference).
///
/// ```
/// e = [E x^(1); …; E x^(n)], z = W e + b_1, h = f(z), θ = U h + b_2, ŷ = softmax(θ)
/// δ1 = ŷ − y   dU = δ1 hᵀ   db_2 = δ1   δ2 = (Uᵀδ1) ⊙ f′(z)   dW = δ2 eᵀ   db_1 = δ2
/// de = Wᵀδ2    dE[:, x(k)] += de[(k−1)d ..< kd]
/// ```
final class WindowSlipEvaluation: SlipEvaluation {
  let p: WindowLanguageModelParameters
  let tokens: [Int]
  let f: Activation

  init(_ p: WindowLanguageModelParameters, tokens: [Int], f: Activation) {
    self.p = p
    self.tokens = tokens
    self.f = f
  }

  /// The switches the slips set.
  struct Slips {
    enum Delta1: Equatable { case none, sign, diagonal, labelDropped }
    enum Local: Equatable { case none, activation, derivative(Activation), formula(Activation), atOutput, dropped, modelFormula }
    var biasZero = false
    var activation: Activation?
    var targetShift = false
    var delta1 = Delta1.none
    var local = Local.none
    var assigned: LoopOrder?
    var strided = false

    init?(_ slips: [AppliedSlip]) {
      var seen = Set<String>()
      for s in slips {
        switch (s.step, s.kind) {
        case ("biases", .zero): biasZero = true
        case ("h", .activation(let g)): activation = g
        case ("h", .forwardOnly(let g)): activation = g; local = .modelFormula
        case ("target", .step(-1)): targetShift = true
        case ("delta1", .signFlipped): delta1 = .sign
        case ("delta1", .diagonalOnly): delta1 = .diagonal
        case ("delta1", .termDropped): delta1 = .labelDropped
        case ("local", .activationForDerivative): local = .activation
        case ("local", .derivative(let g)): local = .derivative(g)
        case ("local", .derivativeFormula(let g)): local = .formula(g)
        case ("local", .derivativeAtOutput): local = .atOutput
        case ("local", .dropped): local = .dropped
        case ("embedding", .scatterAssigned(let o)): assigned = o
        case ("embedding", .custom("strided")): strided = true
        default: return nil
        }
        guard seen.insert(s.step).inserted else { return nil }
      }
    }
  }

  func values(_ m: Slips) -> [String: Matrix] {
    let n = tokens.count - 1, d = p.E.rows, V = p.E.cols
    var e = Matrix(rows: n * d, cols: 1)
    for k in 0..<n { for i in 0..<d { e[k * d + i, 0] = p.E[i, tokens[k]] } }
    let g = m.activation ?? f
    let z = m.biasZero ? p.W * e : p.W * e + p.b_1                 // H × 1
    let h = g(z)
    let theta = m.biasZero ? p.U * h : p.U * h + p.b_2             // |V| × 1
    let yHat = Softmax.probabilities(theta)
    let target = m.targetShift ? tokens[n - 1] : tokens[n]
    var delta1 = yHat                                               // ŷ − y
    switch m.delta1 {
    case .diagonal:
      delta1 = Matrix(rows: V, cols: 1)
      delta1[target, 0] = yHat[target, 0] - 1
    case .labelDropped:
      break
    case .none, .sign:
      delta1[target, 0] -= 1
      if m.delta1 == .sign { delta1 = -delta1 }
    }
    let local: Matrix
    switch m.local {
    case .none: local = g.derivative(z)
    case .activation: local = h
    case .derivative(let k): local = k.derivative(z)
    case .formula(let k): local = h.map { k == .tanh ? 1 - $0 * $0 : $0 * (1 - $0) }
    case .atOutput: local = h.map { g.derivative($0) }
    case .modelFormula: local = h.map { self.f == .tanh ? 1 - $0 * $0 : $0 * (1 - $0) }
    case .dropped: local = Matrix(rows: z.rows, cols: 1, repeating: 1)
    }
    let delta2 = (p.U.T * delta1) ⊙ local                           // H × 1
    let de = p.W.T * delta2                                         // nd × 1
    var dE = Matrix(rows: d, cols: V)
    let order: [Int] = m.assigned == .backward ? Array((0..<n).reversed()) : Array(0..<n)
    for k in order {
      let word = tokens[k]
      for i in 0..<d {
        let piece = m.strided ? de[i * n + k, 0] : de[k * d + i, 0]
        dE[i, word] = (m.assigned == nil ? dE[i, word] : 0) + piece
      }
    }
    return [
      "loss": Matrix(scalar: CrossEntropy.loss(scores: theta, label: target)),
      "delta1": delta1, "dU": Matrix.outer(delta1, h), "db_2": delta1,
      "delta2": delta2, "dW": Matrix.outer(delta2, e), "db_1": delta2, "de": de, "dE": dE,
    ]
  }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let m = Slips(slips), let v = values(m)[item] else { return nil }
    let shape: [Int]
    switch item {
    case "loss": shape = []
    case "dU", "dW", "dE": shape = [v.rows, v.cols]
    default: shape = [v.count]
    }
    return Tensor(shape: shape, scalars: v.scalars)
  }
}

/// The derivation of `window-lm` as the steps the diagnosis searches.
///
/// ```
/// step        the notes                           slips (today's ids in parentheses)
/// biases      z = W e + b_1, θ = U h + b_2         left out (bias-omitted)
/// h           h = f(z)                             another activation g (its g′ follows)
/// target      y = onehot(x^(n+1))                  x^(n), the window's last word
/// delta1      δ1 = ŷ − y                           y − ŷ (sign-flipped), diagonal softmax
///                                                  (diagonal-softmax-jacobian), ŷ (y not subtracted)
/// local       ∂h/∂z = diag(f′(z))                  f (activation-for-derivative), g′(z), g′ in h, f′(h), dropped
/// embedding   dE[:, x(k)] += ∂J/∂e^(k)             = in the forward loop (embedding-assigned),
///                                                  = in a backward loop, read with stride (window-slices-strided)
/// convention  the column form                      row-column-swapped
/// ```
/// `embedding-assigned` changes nothing when no word repeats in the window; the inputs repeat one
/// whenever n ≥ 3.
extension FixedWindowLanguageModel {
  static let gradientItems: Set<String> = ["delta1", "dU", "db_2", "delta2", "dW", "db_1", "de", "dE"]
  static let behindActivation: Set<String> = ["delta2", "dW", "db_1", "de", "dE"]

  var windowDerivation: Derivation {
    let fs = ActivationSlips.symbol(f)
    let all = Set(items.map(\.name))
    let localSlips = ActivationSlips.local(f, dropped: "δ2 = Uᵀδ1 (no diag(\(fs)′(z)))")
    let steps = [
      DerivationStep("biases", "z = W e + b_1 and θ = U h + b_2", items: all, slips: [
        StepSlip(.zero, wrong: "z = W e and θ = U h", fix: "keep both biases", mistake: .biasOmitted),
      ]),
      DerivationStep("h", "h = \(fs)(z)", items: all, slips: ActivationSlips.forward(f, fix: "the assignment's hidden layer uses \(fs)")),
      DerivationStep("target", "y = the one-hot vector of x^(n+1), the word after the window", items: all, slips: [
        StepSlip(.step(-1), wrong: "y = the one-hot vector of x^(n), the window's last word", fix: "the window predicts the next word, tokens[n]", cost: 2),
      ]),
      DerivationStep("delta1", "δ1 = ŷ − y", items: Self.gradientItems, slips: [
        StepSlip(.signFlipped, wrong: "δ1 = y − ŷ", fix: "the prediction minus the one-hot target", mistake: .signFlipped),
        StepSlip(.diagonalOnly, wrong: "δ1 = (ŷ_l − 1) e_l from diag(ŷ ⊙ (1 − ŷ))", fix: "the softmax Jacobian is diag(ŷ) − ŷŷᵀ", mistake: .diagonalSoftmaxJacobian),
        StepSlip(.termDropped, wrong: "δ1 = ŷ, the one-hot y not subtracted", fix: "δ1 = ŷ − y", cost: 2),
      ]),
      DerivationStep("local", "∂h/∂z = diag(\(fs)′(z))", items: Self.behindActivation, slips: localSlips),
      DerivationStep("embedding", "∂J/∂E[:, x^(k)] += ∂J/∂e^(k), the k-th block of d entries of ∂J/∂e", items: ["dE"], slips: [
        StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(k) assigned (=) in the loop over k", fix: "a repeated word sums every position (+=)", mistake: Self.embeddingAssigned),
        StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(k) assigned (=) in a loop from k = n down, so a repeated word keeps its first position only", fix: "a repeated word sums every position (+=)", cost: 2),
        StepSlip(.custom("strided"), wrong: "the pieces read every n-th entry", fix: "split ∂J/∂e into n blocks of d", mistake: Self.slicesStrided),
      ]),
      DerivationStep("convention", "the column form: each gradient has the shape of its variable", items: Set(items.filter { $0.shape.count == 2 && $0.shape[0] != $0.shape[1] && $0.shape[0] > 1 && $0.shape[1] > 1 }.map(\.name)), slips: [
        StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose, do not reshape", mistake: .rowColumnSwapped),
      ]),
    ]
    let model = self
    return Derivation(steps: steps, prepare: { inputs in WindowSlipEvaluation(model.parameters(inputs), tokens: model.tokens(inputs), f: model.f) })
  }

  static let embeddingAssigned = MistakeKind(
    id: "embedding-assigned", name: "the embedding gradient assigned, not accumulated",
    hint: "A word that occurs at several positions of the window receives the sum of their gradients: dE[:, x(k)] += ∂J/∂e^(k).",
    describe: { c, _ in "Your \(c.item.id) keeps only one position of a word repeated in the window: its column was assigned (=) for each position instead of accumulated (+=)." })

  static let slicesStrided = MistakeKind(
    id: "window-slices-strided", name: "the window's pieces of ∂J/∂e read in the wrong order",
    hint: "∂J/∂e^(k) is the k-th block of d consecutive entries of ∂J/∂e = Wᵀδ2 (entries (k−1)d … kd − 1): split it into n rows of d, not d rows of n.",
    describe: { c, _ in "Your \(c.item.id) takes the piece of ∂J/∂e for position k from every n-th entry (∂J/∂e reshaped as d × n): the embedding of x^(k) is the k-th block of d consecutive entries of e." })
}
