import BPTTReference
import Jacobians

/// The derivations of `lstm-lm`'s items in the notation of the assignment, with the values of
/// `LSTM` at the student's inputs:
///
/// ```
/// a^(t) = W_x e^(t) + W_h h^(t−1) + b,  i, f, o = σ(a_i, a_f, a_o),  g = tanh(a_g)
/// c^(t) = f ⊙ c^(t−1) + i ⊙ g,  h^(t) = o ⊙ tanh(c^(t)),  ŷ^(t) = softmax(U h^(t) + b_2)
/// ∂J/∂h^(t) = w Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1)
/// ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1)
/// ∂J/∂a^(t) = [∂J/∂c ⊙ g ⊙ σ′(a_i); ∂J/∂c ⊙ c^(t−1) ⊙ σ′(a_f); ∂J/∂h ⊙ tanh(c) ⊙ σ′(a_o); ∂J/∂c ⊙ i ⊙ tanh′(a_g)]
/// ```
struct LSTMExplanation {
  let model: LSTMLanguageModel
  let inputs: [String: Tensor]

  func steps(for item: String) -> [ExplanationStep] {
    let options = model.options
    let p = model.parameters(inputs)
    let tokens = model.tokens(inputs)
    let T = tokens.count - 1, H = p.hiddenSize, V = p.vocabularySize, d = p.embeddingSize
    let fp = LSTM.forward(p, tokens: tokens, options: options)
    let g = LSTM.gradients(p, tokens: tokens, options: options)
    let order = options.gateOrder.gates.map { String($0.letter) }.joined(separator: ", ")
    let w = options.reduction == .mean ? "(1/T) " : ""
    var steps = [
      ExplanationStep(
        formula: "a^(t) = W_x e^(t) + W_h h^(t−1) + b,  e^(t) = E x^(t)", shape: "(4H × d)(d × 1) + (4H × H)(H × 1) = \(4 * H) × 1, t = 1…\(T)",
        value: fp.a, note: "row t = a^(t)ᵀ, blocks [\(order)]; inputs x(1…T) = \(tokens.dropLast().map(String.init).joined(separator: " ")), targets x(2…T+1) = \(tokens.dropFirst().map(String.init).joined(separator: " "))"),
      ExplanationStep(
        formula: "i = σ(a_i),  f = σ(a_f),  o = σ(a_o),  g = tanh(a_g)", shape: "\(H) × 1 each",
        value: fp.f, note: "row t = f^(t)ᵀ, the forget gate that scales the cell's carry (i, o, g likewise from their blocks of a^(t))"),
      ExplanationStep(
        formula: "c^(t) = f ⊙ c^(t−1) + i ⊙ g,  h^(t) = o ⊙ tanh(c^(t))", shape: "\(H) × 1",
        value: fp.c.rows(1..<(T + 1)), note: "row t = c^(t)ᵀ; c^(0) = c0"),
      ExplanationStep(
        formula: "ŷ^(t) = softmax(U h^(t) + b_2),  J^(t) = −log ŷ^(t)_{x(t+1)}", shape: "(|V| × H)(H × 1) = \(V) × 1",
        value: Matrix(row: fp.stepLosses), note: "J^(1) … J^(T)"),
    ]
    if item == "loss" {
      steps.append(ExplanationStep(formula: "J = \(w)Σ_t J^(t)", note: options.reduction == .mean ? "the mean over T = \(T) steps" : "summed over T = \(T) steps"))
      return steps
    }
    var delta1 = fp.yhat
    for t in 0..<T { delta1[t, tokens[t + 1]] -= 1 }
    steps.append(ExplanationStep(
      formula: "δ1^(t) = ∂J^(t)/∂(U h^(t) + b_2) = ŷ^(t) − y^(t)", shape: "\(V) × 1", value: delta1, note: "row t = δ1^(t)ᵀ"))
    switch item {
    case "dU":
      return steps + [ExplanationStep(formula: "∂J/∂U = \(w)Σ_t δ1^(t) h^(t)ᵀ", shape: "(|V| × 1)(1 × H) = \(V) × \(H)")]
    case "db_2":
      return steps + [ExplanationStep(formula: "∂J/∂b_2 = \(w)Σ_t δ1^(t)", shape: "\(V) × 1")]
    default:
      break
    }
    let truncation = options.truncation.isFull(forSteps: T)
      ? "" : "; truncated \(options.truncation): the terms of each J^(s) stop at step firstKept(s), whose state (h, c)^(firstKept(s)−1) is a constant"
    let dhStep = ExplanationStep(
      formula: "∂J/∂h^(t) = \(w)Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1),  ∂J/∂a^(T+1) = 0", shape: "(H × |V|)(|V| × 1) + (H × 4H)(4H × 1) = \(H) × 1",
      value: item == "dh" ? nil : g.dh, note: "row t = (∂J/∂h^(t))ᵀ, c^(t) held fixed: the carry from step t + 1 through a^(t+1) = … + W_h h^(t)\(truncation)")
    let dcStep = ExplanationStep(
      formula: "∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1),  ∂J/∂c^(T+1) = 0", shape: "\(H) × 1",
      value: item == "dc" ? nil : g.dc, note: "row t = (∂J/∂c^(t))ᵀ: through h^(t) = o ⊙ tanh(c^(t)), and the cell's own carry through c^(t+1) = f ⊙ c^(t) + i ⊙ g")
    let daStep = ExplanationStep(
      formula: "∂J/∂a^(t) = [∂J/∂c ⊙ g ⊙ σ′(a_i); ∂J/∂c ⊙ c^(t−1) ⊙ σ′(a_f); ∂J/∂h ⊙ tanh(c^(t)) ⊙ σ′(a_o); ∂J/∂c ⊙ i ⊙ (1 − g²)]  (blocks i, f, o, g)",
      shape: "\(4 * H) × 1, blocks laid out as [\(order)]",
      value: item == "da" ? nil : g.da, note: "row t = (∂J/∂a^(t))ᵀ; σ′ = y ⊙ (1 − y) for y = i, f, o")
    switch item {
    case "dh":
      return steps + [dhStep]
    case "dc":
      return steps + [dhStep, dcStep]
    case "da":
      return steps + [dhStep, dcStep, daStep]
    default:
      steps += [dhStep, dcStep, daStep]
    }
    switch item {
    case "dW_h":
      steps.append(ExplanationStep(formula: "∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ", shape: "(4H × 1)(1 × H) = \(4 * H) × \(H)", note: "W_h is used at every step: its gradient sums the \(T) outer products"))
    case "dW_x":
      steps.append(ExplanationStep(formula: "∂J/∂W_x = Σ_t ∂J/∂a^(t) e^(t)ᵀ", shape: "(4H × 1)(1 × d) = \(4 * H) × \(d)"))
    case "db":
      steps.append(ExplanationStep(formula: "∂J/∂b = Σ_t ∂J/∂a^(t)", shape: "\(4 * H) × 1"))
    case "dE":
      var uses: [Int: [Int]] = [:]
      for t in 1...T { uses[tokens[t - 1], default: []].append(t) }
      let list = uses.keys.sorted().map { "word \($0): t = \(uses[$0]!.map(String.init).joined(separator: ", "))" }.joined(separator: "; ")
      steps.append(ExplanationStep(
        formula: "∂J/∂E[:, x(t)] += W_xᵀ ∂J/∂a^(t)   (e^(t) = E x^(t) is column x(t) of E)", shape: "(d × 4H)(4H × 1) = \(d) × 1 per step",
        note: "a word used at several steps accumulates them all: \(list)"))
    case "dh0":
      steps.append(ExplanationStep(formula: "∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)", shape: "(H × 4H)(4H × 1) = \(H) × 1"))
    case "dc0":
      steps.append(ExplanationStep(formula: "∂J/∂c^(0) = ∂J/∂c^(1) ⊙ f^(1)", shape: "\(H) × 1", note: "the cell carry out of step 1"))
    default:
      break
    }
    return steps
  }
}
