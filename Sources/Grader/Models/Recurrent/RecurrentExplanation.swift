import BPTTReference
import Jacobians

/// The derivations of a recurrent model's items (the RNN-LM, and min-char-rnn as the column form
/// with E = I and W_e = W_xh), by role, in the model's notation:
///
/// ```
/// ∂J/∂W_h = w Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i)                          w = 1/T (mean) or 1 (sum)
/// ∂J^(t)/∂W_h|_(i) = (∂J^(t)/∂h^(t)) (Π_{k=i+1..t} diag(f′(z^(k))) W_h) diag(f′(z^(i))) ⊗ h^(i−1)
/// ∂J^(t)/∂h^(t) = δ1^(t)ᵀ U,   δ1^(t) = ŷ^(t) − y^(t)
/// ∂J/∂z^(t) = (w Uᵀ δ1^(t) + W_hᵀ ∂J/∂z^(t+1)) ⊙ f′(z^(t))          (the δ recursion)
/// ```
/// Every value comes from `BPTT`/`ExplicitBPTT` at the student's inputs.
struct RecurrentExplanation {
  let p: RNNParameters
  let tokens: [Int]
  let options: RNNOptions
  let names: RecurrentNames
  let fp: RNNForwardPass

  init(_ model: some RecurrentModel, inputs: [String: Tensor]) {
    p = model.columnForm(inputs)
    tokens = model.tokens(inputs)
    options = model.options
    names = model.names
    fp = BPTT.forward(p, tokens: tokens, options: options)
  }

  // Names in the model's notation.
  var W: String { names.recurrentWeight }
  var U: String { names.outputWeight }
  var b1: String { names.hiddenBias }
  var b2: String { names.outputBias }
  var L: String { names.loss }
  var input: String { names.inputTerm }
  var We: String { names.inputWeight }
  var E: String { names.embedding ?? "E" }
  var canonical: Bool { names.oneHotInput }
  var T: Int { tokens.count - 1 }
  var H: Int { p.hiddenSize }
  var V: Int { p.vocabularySize }
  var f: String { options.activation.name }
  var w: String { options.reduction == .mean ? "(1/T)" : "" }

  /// Rows t − 1 = vᵀ for the column vectors `vs`.
  func stack(_ vs: [Matrix]) -> Matrix {
    Matrix(rows: vs.count, cols: vs.first?.count ?? 0, scalars: vs.flatMap(\.scalars))
  }

  func forwardSteps() -> [ExplanationStep] {
    let bias = options.useBiases ? " + \(b1)" : ""
    let outBias = options.useBiases ? " + \(b2)" : ""
    return [
      ExplanationStep(
        formula: "z^(t) = \(W) h^(t−1) + \(input)\(bias),  h^(t) = \(f)(z^(t))",
        shape: "(H × H)(H × 1) = \(H) × 1, t = 1…\(T)",
        value: stack(Array(fp.h.dropFirst())), note: "row t = h^(t)ᵀ; inputs x(1…T) = \(tokens.dropLast().map(String.init).joined(separator: " ")), targets x(2…T+1) = \(tokens.dropFirst().map(String.init).joined(separator: " "))"),
      ExplanationStep(
        formula: "ŷ^(t) = softmax(\(U) h^(t)\(outBias)),  \(L)^(t) = −log ŷ^(t)_{x(t+1)}",
        shape: "(|V| × H)(H × 1) = \(V) × 1",
        value: Matrix(row: fp.stepLosses), note: "\(L)^(1) … \(L)^(T)"),
    ]
  }

  func delta1s() -> [Matrix] {
    (1...T).map { t in
      var d = fp.yhat[t - 1]
      d[tokens[t], 0] -= 1
      return d
    }
  }

  func delta1Step() -> ExplanationStep {
    ExplanationStep(
      formula: "δ1^(t) = ∂\(L)^(t)/∂(\(U) h^(t) + \(b2)) = (∂\(L)^(t)/∂ŷ)(diag(ŷ) − ŷŷᵀ) = ŷ^(t) − y^(t)",
      shape: "(1 × |V|)(|V| × |V|) = 1 × \(V)", value: stack(delta1s()), note: "row t = δ1^(t)ᵀ")
  }

  func derivativeStep() -> ExplanationStep {
    ExplanationStep(
      formula: "∂h^(t)/∂z^(t) = diag(\(f)′(z^(t)))", shape: "\(H) × \(H) (diagonal)",
      value: stack(fp.z.map { options.activation.derivative($0) }), note: "row t = \(f)′(z^(t))ᵀ, the diagonal")
  }

  func hiddenOutputStep() -> ExplanationStep {
    ExplanationStep(
      formula: "∂\(L)^(t)/∂h^(t) = δ1^(t)ᵀ \(U)", shape: "(1 × |V|)(|V| × H) = 1 × \(H)",
      value: stack(delta1s().map { (($0.T) * p.U).T }), note: "row t = ∂\(L)^(t)/∂h^(t)")
  }

  func recursionStep() -> ExplanationStep {
    let deltas = BPTT.deltas(p, tokens: tokens, options: options)
    return ExplanationStep(
      formula: "∂\(L)/∂z^(t) = (\(w.isEmpty ? "" : "(1/T) ")\(U)ᵀ δ1^(t) + \(W)ᵀ ∂\(L)/∂z^(t+1)) ⊙ \(f)′(z^(t)),  ∂\(L)/∂z^(T+1) = 0",
      shape: "(H × |V|)(|V| × 1) + (H × H)(H × 1) = \(H) × 1",
      value: deltas.dJdz, note: "row t = (∂\(L)/∂z^(t))ᵀ: the δ recursion carries every later loss term back")
  }

  func steps(for role: RecurrentRole) -> [ExplanationStep] {
    var steps = forwardSteps()
    switch role {
    case .loss:
      steps.append(ExplanationStep(formula: "\(L) = \(w) Σ_t \(L)^(t)", note: options.reduction == .mean ? "the mean over T = \(T) steps" : "summed over T = \(T) steps"))
    case .delta1:
      steps.append(delta1Step())
    case .delta2:
      steps += [delta1Step(), hiddenOutputStep(), derivativeStep(),
                ExplanationStep(formula: "δ2^(t) = ∂\(L)^(t)/∂z^(t) = (\(U)ᵀ δ1^(t)) ⊙ \(f)′(z^(t))", shape: "(H × |V|)(|V| × 1) ⊙ (H × 1) = \(H) × 1", note: "the step's own loss term only, unscaled")]
    case .outputWeight, .outputBias:
      steps.append(delta1Step())
      let isBias = role == .outputBias
      let terms = zip(delta1s(), fp.h.dropFirst()).map { d, h in isBias ? d : Matrix.outer(d, h) }
      steps.append(ExplanationStep(
        formula: isBias ? "∂\(L)^(t)/∂\(b2) = δ1^(t)" : "∂\(L)^(t)/∂\(U) = δ1^(t) ⊗ h^(t)",
        shape: isBias ? "\(V) × 1" : "(|V| × 1)(1 × H) = \(V) × \(H)",
        value: Matrix(row: terms.map(\.frobeniusNorm)), note: "Frobenius norms for t = 1…\(T)"))
      steps.append(ExplanationStep(formula: "∂\(L)/∂\(isBias ? b2 : U) = \(w) Σ_t \(isBias ? "δ1^(t)" : "δ1^(t) ⊗ h^(t)")"))
    case .recurrentWeight, .recurrentWeightTerms:
      steps += recurrentWeightSteps(onlyLast: role == .recurrentWeightTerms)
    case .inputWeight, .hiddenBias, .embedding, .inputColumns, .initialState:
      steps += [delta1Step(), derivativeStep(), recursionStep()]
      let deltas = BPTT.deltas(p, tokens: tokens, options: options).dJdz
      let dz = (0..<T).map { deltas.row($0).T }
      switch role {
      case .inputWeight:
        steps.append(ExplanationStep(
          formula: "∂\(L)/∂\(We) = Σ_t ∂\(L)/∂z^(t) ⊗ e^(t),  e^(t) = \(E) x^(t)", shape: "(H × 1)(1 × d) = \(H) × \(p.embeddingSize)",
          value: Matrix(row: (0..<T).map { Matrix.outer(dz[$0], p.E.column(tokens[$0])).frobeniusNorm }), note: "‖∂J/∂z^(t) ⊗ e^(t)‖_F for t = 1…\(T)"))
      case .hiddenBias:
        steps.append(ExplanationStep(formula: "∂\(L)/∂\(b1) = Σ_t ∂\(L)/∂z^(t)", shape: "\(H) × 1"))
      case .embedding, .inputColumns:
        var uses: [Int: [Int]] = [:]
        for t in 1...T { uses[tokens[t - 1], default: []].append(t) }
        let list = uses.keys.sorted().map { "word \($0): t = \(uses[$0]!.map(String.init).joined(separator: ", "))" }.joined(separator: "; ")
        steps.append(ExplanationStep(
          formula: canonical ? "∂\(L)/∂\(We)[:, x(t)] += ∂\(L)/∂z^(t)   (\(We) x^(t) is column x(t) of \(We))" : "∂\(L)/∂\(E)[:, x(t)] += \(We)ᵀ ∂\(L)/∂z^(t)   (e^(t) = \(E) x^(t) is column x(t) of \(E))",
          shape: canonical ? "\(H) × 1 per step" : "(d × H)(H × 1) = \(p.embeddingSize) × 1 per step",
          note: "a word used at several steps accumulates them all: \(list)"))
      default:
        steps.append(ExplanationStep(formula: "∂\(L)/∂h^(0) = \(W)ᵀ ∂\(L)/∂z^(1)", shape: "(H × H)(H × 1) = \(H) × 1"))
      }
    }
    return steps
  }

  /// ∂J/∂W_h through the explicit per-timestep terms of note 000.
  func recurrentWeightSteps(onlyLast: Bool) -> [ExplanationStep] {
    var steps = [delta1Step(), hiddenOutputStep(), derivativeStep()]
    let jacobianNorms = (1...T).map { k in (Matrix.diag(options.activation.derivative(fp.z[k - 1])) * p.W_h).frobeniusNorm }
    steps.append(ExplanationStep(
      formula: "∂h^(k)/∂h^(k−1) = diag(\(f)′(z^(k))) \(W)", shape: "(H × H)(H × H) = \(H) × \(H)",
      value: Matrix(row: jacobianNorms), note: "Frobenius norms for k = 1…\(T) (below 1 the gradient vanishes as it travels back)"))
    // ∂J^(T)/∂z^(i) for the last loss term: the δ of each step i.
    let last = ExplicitBPTT.hiddenGradients(p, tokens: tokens, options: options, t: T)   // ∂J^(T)/∂h^(i), i = T…0
    let dzLast = (1...T).map { i -> Matrix in
      let dh = last[T - i]                                                              // 1 × H
      return (dh ⊙ options.activation.derivative(fp.z[i - 1]).T)
    }
    steps.append(ExplanationStep(
      formula: "∂\(L)^(t)/∂z^(i) = (∂\(L)^(t)/∂h^(t)) (Π_{k=i+1..t} diag(\(f)′(z^(k))) \(W)) diag(\(f)′(z^(i)))",
      shape: "(1 × H)(H × H)…(H × H) = 1 × \(H)", value: Matrix(rows: T, cols: H, scalars: dzLast.flatMap(\.scalars)),
      note: "for t = T: row i = ∂\(L)^(T)/∂z^(i) (the δ of step i)"))
    var norms = Matrix(rows: T, cols: T)
    var termsT: [Matrix] = []
    for t in 1...T {
      let terms = ExplicitBPTT.recurrentWeightTerms(p, tokens: tokens, options: options, t: t)
      for i in 1...t { norms[t - 1, i - 1] = terms[i - 1].frobeniusNorm }
      if t == T { termsT = terms }
    }
    steps.append(ExplanationStep(
      formula: "∂\(L)^(t)/∂\(W)|_(i) = (∂\(L)^(t)/∂z^(i))ᵀ ⊗ h^(i−1)", shape: "(H × 1)(1 × H) = \(H) × \(H)",
      value: onlyLast ? Matrix(row: Array(norms.row(T - 1).scalars)) : norms,
      note: onlyLast ? "‖∂\(L)^(T)/∂\(W)|_(i)‖_F for i = 1…\(T)" : "‖∂\(L)^(t)/∂\(W)|_(i)‖_F: row t, column i (i ≤ t; zero above the diagonal)"))
    if onlyLast {
      for i in 1...T {
        steps.append(ExplanationStep(formula: "∂\(L)^(T)/∂\(W)|_(\(i))", shape: "\(H) × \(H)", value: termsT[i - 1], note: "‖·‖_F = \(Autograder.number(termsT[i - 1].frobeniusNorm))"))
      }
      steps.append(ExplanationStep(formula: "Σ_i ∂\(L)^(T)/∂\(W)|_(i) = ∂\(L)^(T)/∂\(W)", shape: "\(H) × \(H)", value: termsT.reduce(Matrix(rows: H, cols: H), +)))
    } else {
      steps.append(ExplanationStep(
        formula: "∂\(L)/∂\(W) = \(w) Σ_t Σ_{i≤t} ∂\(L)^(t)/∂\(W)|_(i) = Σ_i ∂\(L)/∂z^(i) ⊗ h^(i−1)",
        shape: "\(H) × \(H)", note: "\(T * (T + 1) / 2) terms\(options.reduction == .mean ? ", weighted 1/T = 1/\(T)" : ""); \(W) is used at every step, so its gradient sums over all of them"))
    }
    return steps
  }
}
