import Jacobians

/// The derivations of the fixed-window LM's items, in the notes' notation, with the values of
/// `WindowLanguageModel` at the student's inputs:
///
/// ```
/// δ1 = ∂J/∂θ = (∂J/∂ŷ)(diag(ŷ) − ŷŷᵀ) = ŷ − y            (1 × |V|)(|V| × |V|) = 1 × |V|
/// δ2 = ∂J/∂z = δ1ᵀ U diag(f′(z)) = (Uᵀδ1) ⊙ f′(z)          (1 × |V|)(|V| × H)(H × H) = 1 × H
/// ∂J/∂W = δ2 eᵀ,   ∂J/∂e = Wᵀ δ2,   ∂J/∂E[:, x(k)] += ∂J/∂e^(k)
/// ```
struct FixedWindowExplanation {
  let model: FixedWindowLanguageModel
  let inputs: [String: Tensor]

  func steps(for item: String) -> [ExplanationStep] {
    let n = model.size("n"), d = model.size("d"), H = model.size("H"), V = model.size("V")
    let f = model.f.name
    let tokens = model.tokens(inputs)
    let net = model.network(model.parameters(inputs))
    let pass = try! net.forward(tokens: tokens)
    let g = net.backward(pass)
    var steps = [
      ExplanationStep(
        formula: "e = [E x^(1); …; E x^(n)]", shape: "n·d = \(n) · \(d) = \(n * d) × 1", value: pass.e.T,
        note: "window x^(1…n) = \(tokens.dropLast().map(String.init).joined(separator: " ")), target x^(n+1) = \(tokens[n])"),
      ExplanationStep(formula: "z = W e + b_1,  h = \(f)(z)", shape: "(H × nd)(nd × 1) = \(H) × 1", value: pass.h.T),
      ExplanationStep(formula: "ŷ = softmax(U h + b_2),  J = −log ŷ_{x(n+1)}", shape: "(|V| × H)(H × 1) = \(V) × 1", note: "J = \(Autograder.number(pass.J))"),
    ]
    if item == "loss" { return steps }
    steps.append(ExplanationStep(formula: "δ1 = ∂J/∂θ = (∂J/∂ŷ)(diag(ŷ) − ŷŷᵀ) = ŷ − y", shape: "(1 × |V|)(|V| × |V|) = 1 × \(V)", value: g.delta1.T))
    switch item {
    case "delta1":
      return steps
    case "dU":
      return steps + [ExplanationStep(formula: "∂J/∂U = δ1 hᵀ (outer product δ1 ⊗ h)", shape: "(|V| × 1)(1 × H) = \(V) × \(H)", note: "(∂J/∂U)_vj = δ1_v h_j: U_vj feeds only θ_v")]
    case "db_2":
      return steps + [ExplanationStep(formula: "∂J/∂b_2 = δ1 ∂θ/∂b_2 = δ1 I", shape: "\(V) × 1")]
    default:
      break
    }
    steps.append(ExplanationStep(formula: "∂h/∂z = diag(\(f)′(z))", shape: "\(H) × \(H) (diagonal)", value: model.f.derivative(pass.z).T, note: "the diagonal \(f)′(z)ᵀ"))
    steps.append(ExplanationStep(formula: "δ2 = ∂J/∂z = δ1ᵀ U diag(\(f)′(z)) = (Uᵀ δ1) ⊙ \(f)′(z)", shape: "(1 × |V|)(|V| × H)(H × H) = 1 × \(H)", value: g.delta2.T))
    switch item {
    case "delta2":
      break
    case "dW":
      steps.append(ExplanationStep(formula: "∂J/∂W = δ2 eᵀ (outer product δ2 ⊗ e)", shape: "(H × 1)(1 × nd) = \(H) × \(n * d)", note: "(∂J/∂W)_ij = δ2_i e_j: W_ij feeds only z_i"))
    case "db_1":
      steps.append(ExplanationStep(formula: "∂J/∂b_1 = δ2 ∂z/∂b_1 = δ2 I", shape: "\(H) × 1"))
    case "de", "dE":
      steps.append(ExplanationStep(
        formula: "∂J/∂e = δ2 ∂z/∂e = δ2 W, as a gradient Wᵀ δ2", shape: "(nd × H)(H × 1) = \(n * d) × 1",
        value: Matrix(rows: n, cols: d, scalars: g.de.scalars), note: "row k = ∂J/∂e^(k), entries (k−1)d … kd − 1 of ∂J/∂e"))
      if item == "dE" {
        var uses: [Int: [Int]] = [:]
        for k in 1...n { uses[tokens[k - 1], default: []].append(k) }
        let list = uses.keys.sorted().map { "word \($0): k = \(uses[$0]!.map(String.init).joined(separator: ", "))" }.joined(separator: "; ")
        steps.append(ExplanationStep(
          formula: "∂J/∂E[:, x(k)] += ∂J/∂e^(k)   (E x^(k) is column x(k) of E)", shape: "\(d) × 1 per position",
          note: "a word at several positions accumulates them all: \(list); columns of other words are 0"))
      }
    default:
      break
    }
    return steps
  }
}
