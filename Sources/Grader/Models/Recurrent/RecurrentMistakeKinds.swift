/// The mistakes of backpropagation through time, in the notation of the RNN language model
/// (note 002): the carry of the recursion, the truncation of its sum, the state in the outer
/// product, the output error counted twice, and the embedding's accumulation.
///
/// ```
/// only-current-step, truncated-bptt  the carry of BPTT cut after 1 or k steps
/// current-state-in-outer-product     h^(t) for h^(t−1)
/// output-error-recounted             the output error added again inside the time loop
/// embedding-assigned                 a repeated word's column assigned, not accumulated
/// ```
extension MistakeKind {
  static let onlyCurrentStep = MistakeKind(
    id: "only-current-step", name: "only the i = t term (the carry never propagated)",
    hint: "Carry ∂J/∂h^(t−1) = W_hᵀ ∂J/∂z^(t) back to the previous step and add it to that step's own output gradient.",
    describe: { c, _ in
      "Your \(c.item.id) keeps only the i = t term of each \(c.loss)^(t): the carry ∂\(c.loss)/∂h^(t−1) = \(c.recurrentWeight)ᵀ ∂\(c.loss)/∂z^(t) was never propagated to the previous step."
    })

  static let truncated = MistakeKind(
    id: "truncated-bptt", name: "the sum truncated to k steps",
    hint: "Full BPTT was asked: sum ∂J^(t)/∂W_h|_(i) over every i = 1 … t, not only the last k.",
    describe: { c, v in
      let k = Int(v?.parameter ?? 0)
      return "Your \(c.item.id) is truncated BPTT with k = \(k): each \(c.loss)^(t) keeps only the terms i = t−\(k - 1) … t of Σ_i ∂\(c.loss)^(t)/∂\(c.recurrentWeight)|_(i), where full BPTT (i = 1 … t) was asked."
    })

  static let currentStateInOuterProduct = MistakeKind(
    id: "current-state-in-outer-product", name: "h^(t) instead of h^(t−1) in the outer product",
    hint: "z^(t) = W_h h^(t−1) + …: the input that W_h multiplies at step t is h^(t−1), so ∂J/∂W_h|_(t) = ∂J/∂z^(t) ⊗ h^(t−1).",
    describe: { c, _ in "Your \(c.item.id) uses h^(t) in the outer product ∂\(c.loss)/∂z^(t) ⊗ h^(t−1): \(c.recurrentWeight) multiplies the previous state h^(t−1)." })

  static let outputErrorRecounted = MistakeKind(
    id: "output-error-recounted", name: "the output error added again inside the time loop",
    hint: "The δ recursion ∂J/∂z^(t) = (Uᵀ δ1^(t)/T + W_hᵀ ∂J/∂z^(t+1)) ⊙ f′(z^(t)) already carries every later output; run it once, not once per t.",
    describe: { c, _ in "Your \(c.item.id) counts the output error δ1^(j) of step j T − j + 1 times: the recursion that already carries every later output was run again for every t (double counting)." })

  static let embeddingAssigned = MistakeKind(
    id: "embedding-assigned", name: "the embedding gradient assigned, not accumulated",
    hint: "A word that occurs at several steps receives the sum of their gradients: dE[:, x(t)] += W_eᵀ ∂J/∂z^(t).",
    describe: { c, _ in "Your \(c.item.id) keeps only one occurrence of a repeated word: its column was assigned (=) at each step instead of accumulated (+=)." })
}
