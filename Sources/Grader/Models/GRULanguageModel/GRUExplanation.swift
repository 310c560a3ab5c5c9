import BPTTReference
import Jacobians

/// The derivations of `gru-lm`'s items in the notation of the assignment, with the values of
/// `GRU` at the student's inputs (r̂, ẑ, n̂ the pre-activations of r, z, n; h′ = h^(t−1)):
///
/// ```
/// [x_r; x_z; x_n] = W_x e^(t) + b_x,  r = σ(x_r + W_hr h′ + b_hr),  z = σ(x_z + W_hz h′ + b_hz)
/// n = tanh(x_n + r ⊙ (W_hn h′ + b_hn))            (reset after; before: W_hn (r ⊙ h′) + b_hn)
/// h^(t) = (1 − z) ⊙ n + z ⊙ h′                    (update keep; new: z ⊙ n + (1 − z) ⊙ h′)
/// ∂J/∂h^(t) = w Uᵀ δ1^(t) + (carry from step t + 1)
/// ∂J/∂ax = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂],  ∂J/∂ah = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n]
/// ```
struct GRUExplanation {
  let model: GRULanguageModel
  let inputs: [String: Tensor]

  func steps(for item: String) -> [ExplanationStep] {
    let options = model.options
    let p = model.parameters(inputs)
    let tokens = model.tokens(inputs)
    let T = tokens.count - 1, H = p.hiddenSize, V = p.vocabularySize, d = p.embeddingSize
    let fp = GRU.forward(p, tokens: tokens, options: options)
    let g = GRU.gradients(p, tokens: tokens, options: options)
    let after = options.reset == .after, keep = options.update == .keep
    let w = options.reduction == .mean ? "(1/T) " : ""
    var gates = Matrix(rows: T, cols: 3 * H)
    for t in 0..<T {
      for j in 0..<H {
        gates[t, j] = fp.r[t, j]
        gates[t, H + j] = fp.z[t, j]
        gates[t, 2 * H + j] = fp.n[t, j]
      }
    }
    var steps = [
      ExplanationStep(
        formula: "[x_r; x_z; x_n] = W_x e^(t) + b_x,  e^(t) = E x^(t)", shape: "(3H × d)(d × 1) = \(3 * H) × 1, t = 1…\(T)",
        value: fp.ax, note: "row t; inputs x(1…T) = \(tokens.dropLast().map(String.init).joined(separator: " ")), targets x(2…T+1) = \(tokens.dropFirst().map(String.init).joined(separator: " "))"),
      ExplanationStep(
        formula: "r = σ(x_r + W_hr h^(t−1) + b_hr),  z = σ(x_z + W_hz h^(t−1) + b_hz),  "
          + (after ? "n = tanh(x_n + r ⊙ (W_hn h^(t−1) + b_hn))" : "n = tanh(x_n + W_hn (r ⊙ h^(t−1)) + b_hn)"),
        shape: "\(H) × 1 each", value: gates, note: "row t = [r, z, n] at step t; reset \(options.reset.rawValue)"),
      ExplanationStep(
        formula: GRULanguageModel.stateUpdate(options.update), shape: "\(H) × 1",
        value: fp.h.rows(1..<(T + 1)), note: "row t = h^(t)ᵀ; h^(0) = h0"),
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
    let direct = keep ? "z" : "(1 − z)"
    let throughN = after ? "W_hnᵀ (∂J/∂n̂ ⊙ r)" : "(W_hnᵀ ∂J/∂n̂) ⊙ r"
    let truncation = options.truncation.isFull(forSteps: T)
      ? "" : "; truncated \(options.truncation): the terms of each J^(s) stop at step firstKept(s), whose state h^(firstKept(s)−1) is a constant"
    let dhStep = ExplanationStep(
      formula: "∂J/∂h^(t) = \(w)Uᵀ δ1^(t) + ∂J/∂h^(t+1) ⊙ \(direct)^(t+1) + W_hrᵀ ∂J/∂r̂^(t+1) + W_hzᵀ ∂J/∂ẑ^(t+1) + \(throughN)^(t+1)",
      shape: "\(H) × 1", value: item == "dh" ? nil : g.dh,
      note: "row t = (∂J/∂h^(t))ᵀ: the direct path through \(GRULanguageModel.stateUpdate(options.update)) and the paths through the gates of step t + 1\(truncation)")
    if item == "dh" { return steps + [dhStep] }
    steps.append(dhStep)
    let resetStep = after
      ? "∂J/∂r̂ = ∂J/∂n̂ ⊙ (W_hn h^(t−1) + b_hn) ⊙ r ⊙ (1 − r),  ∂J/∂ah_n = ∂J/∂n̂ ⊙ r"
      : "∂J/∂r̂ = (W_hnᵀ ∂J/∂n̂) ⊙ h^(t−1) ⊙ r ⊙ (1 − r),  ∂J/∂ah_n = ∂J/∂n̂"
    steps.append(ExplanationStep(
      formula: "∂J/∂n̂ = ∂J/∂h^(t) ⊙ \(keep ? "(1 − z)" : "z") ⊙ (1 − n²),  ∂J/∂ẑ = ∂J/∂h^(t) ⊙ \(keep ? "(h^(t−1) − n)" : "(n − h^(t−1))") ⊙ z ⊙ (1 − z),  " + resetStep,
      shape: "\(H) × 1 each", value: g.dax, note: "row t = ∂J/∂ax^(t) = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]ᵀ, the gradient at x_r, x_z, x_n"))
    switch item {
    case "dW_x":
      steps.append(ExplanationStep(formula: "∂J/∂W_x = Σ_t ∂J/∂ax^(t) e^(t)ᵀ", shape: "(3H × 1)(1 × d) = \(3 * H) × \(d)"))
    case "db_x":
      steps.append(ExplanationStep(formula: "∂J/∂b_x = Σ_t ∂J/∂ax^(t)", shape: "\(3 * H) × 1"))
    case "dW_h", "db_h":
      steps.append(ExplanationStep(
        formula: "∂J/∂ah^(t) = [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂ah_n]", shape: "\(3 * H) × 1", value: g.dah,
        note: "row t; ah = [W_hr h^(t−1) + b_hr; W_hz h^(t−1) + b_hz; \(after ? "W_hn h^(t−1)" : "W_hn (r ⊙ h^(t−1))") + b_hn]"))
      steps.append(item == "dW_h"
        ? ExplanationStep(formula: "∂J/∂W_h = Σ_t ∂J/∂ah^(t) \(after ? "h^(t−1)ᵀ" : "[h^(t−1); h^(t−1); r ⊙ h^(t−1)]ᵀ blockwise")", shape: "(3H × 1)(1 × H) = \(3 * H) × \(H)", note: "W_h is used at every step: its gradient sums the \(T) outer products")
        : ExplanationStep(formula: "∂J/∂b_h = Σ_t ∂J/∂ah^(t)", shape: "\(3 * H) × 1", note: after ? "b_hn sits inside r ⊙ (W_hn h^(t−1) + b_hn): its block is Σ_t ∂J/∂n̂ ⊙ r" : nil))
    case "dE":
      var uses: [Int: [Int]] = [:]
      for t in 1...T { uses[tokens[t - 1], default: []].append(t) }
      let list = uses.keys.sorted().map { "word \($0): t = \(uses[$0]!.map(String.init).joined(separator: ", "))" }.joined(separator: "; ")
      steps.append(ExplanationStep(
        formula: "∂J/∂E[:, x(t)] += W_xᵀ ∂J/∂ax^(t)   (e^(t) = E x^(t) is column x(t) of E)", shape: "(d × 3H)(3H × 1) = \(d) × 1 per step",
        note: "a word used at several steps accumulates them all: \(list)"))
    case "dh0":
      steps.append(ExplanationStep(formula: "∂J/∂h^(0) = ∂J/∂h^(1) ⊙ \(direct)^(1) + W_hrᵀ ∂J/∂r̂^(1) + W_hzᵀ ∂J/∂ẑ^(1) + \(throughN)^(1)", shape: "\(H) × 1", note: "the carry out of step 1"))
    default:
      break
    }
    return steps
  }
}
