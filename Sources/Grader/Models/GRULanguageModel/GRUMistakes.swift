import BPTTReference
import Jacobians

/// The named mistakes of `gru-lm`, as the student is told them: the slips of `GRUDerivation`
/// that carry a `MistakeKind` keep these ids, hints and sentences.
///
/// ```
/// transposed                         recurrent-weight: each H × H gate block (r, z, n) of dW_h transposed
/// row-column-swapped                 convention: every non-square matrix item, the transpose reshaped
/// sign-flipped                       delta1: δ1 = y − ŷ
/// mean-missing, mean-applied-twice   loss (mean): ×T, ×1/T
/// mean-on-sum                        loss (sum): ×1/T
/// update-gate-swapped                update-gate: z and 1 − z exchanged, forward and backward (1);
///                                    the backward of the other convention (2)
/// reset-misplaced                    reset: the reset gate before W_hn instead of after (or back)
/// direct-path-missing                direct-carry: no carry ∂J/∂h^(t) ⊙ z to h^(t−1)
/// reset-left-out-of-carry            candidate-carry: the carry through n without ⊙ r
/// reset-bias-without-gate            hidden-bias (reset after): ∂J/∂b_hn = Σₜ ∂J/∂n̂, without ⊙ r
/// only-current-step                  bptt: the carry cut (a window of one step)
/// truncated-bptt                     bptt (full BPTT, T > 2): a window of k = 2 … T−1 steps
/// sigmoid-derivative-for-tanh-gate   n-local: n ⊙ (1 − n) for tanh′(n̂)
/// tanh-derivative-for-sigmoid-gates  gates-local: 1 − y² for σ′ of r, z
/// embedding-assigned                 embedding: dE (a repeated input word)
/// gradient-clipped                   update: the parameter gradients (fitted)
/// ```
/// "Behind the cell" are the items that flow through the gates' pre-activations: dW_x, dW_h,
/// db_x, db_h, dE, dh0, dh. ∂J/∂h^(T) = w_T Uᵀ δ1^(T) is right under every backward mistake:
/// the diagnosis of dh finds the first diverging step going back from T (T − 1 for the carries).
extension GRULanguageModel {
  static let parameterGradients: Set<String> = ["dU", "db_2", "dW_x", "dW_h", "db_x", "db_h", "dE", "dh0"]
  /// The items that flow through the gates' pre-activations.
  static let behindCell: Set<String> = ["dW_x", "dW_h", "db_x", "db_h", "dE", "dh0", "dh"]

  var allItems: Set<String> { Set(items.map(\.name)) }

  // MARK: The GRU's mistakes, as the student is told

  /// h^(t) as the convention writes it.
  static func stateUpdate(_ update: GRUUpdate) -> String {
    update == .keep ? "h^(t) = (1 − z) ⊙ n + z ⊙ h^(t−1)" : "h^(t) = z ⊙ n + (1 − z) ⊙ h^(t−1)"
  }

  static func updateGateSwapped(_ update: GRUUpdate) -> MistakeKind {
    let other: GRUUpdate = update == .keep ? .new : .keep
    return MistakeKind(
      id: "update-gate-swapped", name: "z and 1 − z swapped",
      hint: "This assignment's update is \(stateUpdate(update)) (update '\(update.rawValue)'; PyTorch, Keras and d2l keep the old state with z, Chung et al. 2014 admit the candidate with z): use the same weights in the forward pass and in ∂h/∂n, ∂h/∂z, ∂h/∂h^(t−1).",
      describe: { c, v in
        v?.parameter == 2
          ? "Your \(c.item.id) differentiates \(stateUpdate(update)) as if it were \(stateUpdate(other)): ∂h/∂n, ∂h/∂h^(t−1) and the sign of ∂h/∂z come from the other convention."
          : "Your \(c.item.id) is computed with \(stateUpdate(other)): z and 1 − z are exchanged; this assignment's update is \(stateUpdate(update))."
      })
  }

  /// The candidate as the placement writes it.
  static func candidate(_ reset: GRUReset) -> String {
    reset == .after ? "n = tanh(W_xn e + b_xn + r ⊙ (W_hn h^(t−1) + b_hn))" : "n = tanh(W_xn e + b_xn + W_hn (r ⊙ h^(t−1)) + b_hn)"
  }

  static func resetMisplaced(_ reset: GRUReset) -> MistakeKind {
    let other: GRUReset = reset == .after ? .before : .after
    return MistakeKind(
      id: "reset-misplaced", name: "the reset gate placed \(other.rawValue) W_hn instead of \(reset.rawValue)",
      hint: "This assignment's candidate is \(candidate(reset)) (reset '\(reset.rawValue)'; PyTorch and cuDNN apply r after W_hn, d2l and Keras's default before).",
      describe: { c, _ in "Your \(c.item.id) is computed with \(candidate(other)): the reset gate acts \(other.rawValue) W_hn, where this assignment has \(candidate(reset))." })
  }

  static func directPathMissing(_ update: GRUUpdate) -> MistakeKind {
    let gate = update == .keep ? "z" : "(1 − z)"
    return MistakeKind(
      id: "direct-path-missing", name: "the direct path \(gate) ⊙ ∂J/∂h^(t) to h^(t−1) forgotten",
      hint: "\(stateUpdate(update)) uses h^(t−1) directly: the carry to h^(t−1) is ∂J/∂h^(t) ⊙ \(gate) plus the paths through r, z and n.",
      describe: { c, _ in "Your \(c.item.id) carries ∂J/∂h^(t) back only through the gates: the direct term ∂J/∂h^(t) ⊙ \(gate) of \(stateUpdate(update)) is missing from ∂J/∂h^(t−1)." })
  }

  static func resetLeftOutOfCarry(_ reset: GRUReset) -> MistakeKind {
    let jacobian = reset == .after ? "diag(r) W_hn" : "W_hn diag(r)"
    return MistakeKind(
      id: "reset-left-out-of-carry", name: "r left out of ∂n/∂h^(t−1)",
      hint: "In \(candidate(reset)) the previous state reaches n through r: ∂n̂/∂h^(t−1) = \(jacobian) (r held fixed), so the carry through n is \(reset == .after ? "W_hnᵀ (∂J/∂n̂ ⊙ r)" : "(W_hnᵀ ∂J/∂n̂) ⊙ r").",
      describe: { c, _ in "Your \(c.item.id) carries the gradient through the candidate with W_hnᵀ ∂J/∂n̂ alone: the reset gate is missing from ∂n̂/∂h^(t−1) = \(jacobian)." })
  }

  static let resetBiasWithoutGate = MistakeKind(
    id: "reset-bias-without-gate", name: "the gradient of b_hn without ⊙ r",
    hint: "With the reset after W_hn, b_hn sits inside r ⊙ (W_hn h^(t−1) + b_hn): ∂J/∂b_hn = Σ_t ∂J/∂n̂ ⊙ r, not Σ_t ∂J/∂n̂ (that is ∂J/∂b_xn).",
    describe: { c, _ in "The n block of your \(c.item.id) is Σ_t ∂J/∂n̂ (the gradient of b_xn): b_hn is multiplied by r, so its gradient is Σ_t ∂J/∂n̂ ⊙ r." })

  static func onlyCurrentStep(_ update: GRUUpdate) -> MistakeKind {
    MistakeKind.gatedOnlyCurrentStep(
      carries: "the carry ∂J/∂h^(t−1) (direct, and through r, z and n)",
      hint: "Carry ∂J/∂h^(t−1) = ∂J/∂h^(t) ⊙ \(update == .keep ? "z" : "(1 − z)") + W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + (the path through n) back and add it to that step's output gradient.")
  }

  static let sigmoidDerivativeForCandidate = MistakeKind.sigmoidDerivativeForTanhGate.describing { c, _ in
    "Your \(c.item.id) differentiates the candidate n = tanh(n̂) with σ′, n ⊙ (1 − n), instead of tanh′(n̂) = 1 − n²."
  }

  static let tanhDerivativeForGates = MistakeKind.tanhDerivativeForSigmoidGates.describing { c, _ in
    "Your \(c.item.id) differentiates the σ gates r and z with tanh′, 1 − y², instead of σ′ = y ⊙ (1 − y)."
  }

  static let embeddingAssigned: MistakeKind = {
    var kind = MistakeKind.embeddingAssigned.describing { c, _ in
      "Your \(c.item.id) keeps only one occurrence of a repeated word: its column was assigned (=) at each step instead of accumulated (+=) with W_xᵀ ∂J/∂ax^(t)."
    }
    kind.hint = "A word that occurs at several steps receives the sum of their gradients: dE[:, x(t)] += W_xᵀ [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t)."
    return kind
  }()
}
