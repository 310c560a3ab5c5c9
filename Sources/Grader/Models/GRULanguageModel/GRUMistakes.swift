import BPTTReference
import Jacobians

/// The catalogue of `gru-lm`, in the order it is tried (the first match is reported):
///
/// ```
/// transposed                         dW_h: each H × H gate block (r, z, n) transposed
/// row-column-swapped                 every non-square matrix item: the transpose reshaped
/// sign-flipped                       every item but the loss: δ1 = y − ŷ
/// mean-missing, mean-applied-twice   (mean) every item: wₜ = 1 or 1/T²
/// mean-on-sum                        (sum) every item: wₜ = 1/T
/// update-gate-swapped                every item: z and 1 − z exchanged, forward and backward (1);
///                                    behind the cell: the backward of the other convention (2)
/// reset-misplaced                    every item: the reset gate before W_hn instead of after (or back)
/// direct-path-missing                behind the cell: no carry ∂J/∂h^(t) ⊙ z to h^(t−1)
/// reset-left-out-of-carry            behind the cell: the carry through n without ⊙ r
/// reset-bias-without-gate            (reset after) db_h: ∂J/∂b_hn = Σₜ ∂J/∂n̂, without ⊙ r
/// only-current-step                  behind the cell: the carry cut (window(1))
/// truncated-bptt                     (full BPTT, T > 2) behind the cell: window(k), k = 2 … T−1
/// sigmoid-derivative-for-tanh-gate   behind the cell: n ⊙ (1 − n) for tanh′(n̂)
/// tanh-derivative-for-sigmoid-gates  behind the cell: 1 − y² for σ′ of r, z
/// embedding-assigned                 dE (a repeated input word)
/// gradient-clipped                   the parameter gradients (fitted)
/// ```
/// "Behind the cell" are the items that flow through the gates' pre-activations: dW_x, dW_h,
/// db_x, db_h, dE, dh0, dh.
///
/// Coincidences by mathematics, and which id is reported:
/// - With the reset gate `before`, b_hn sits outside r: its gradient is Σₜ ∂J/∂n̂ and
///   `reset-bias-without-gate` applies to no item.
/// - A uniform scale 1/T matches both the misplaced 1/T and clipping by norm: the mean mutants
///   come first.
/// - ∂J/∂h^(T) = w_T Uᵀ δ1^(T) is right under every backward mistake: the diagnosis of dh finds
///   the first diverging step going back from T (T − 1 for the carries).
extension GRULanguageModel {
  static let parameterGradients: Set<String> = ["dU", "db_2", "dW_x", "dW_h", "db_x", "db_h", "dE", "dh0"]
  /// The items that flow through the gates' pre-activations.
  static let behindCell: Set<String> = ["dW_x", "dW_h", "db_x", "db_h", "dE", "dh0", "dh"]

  var allItems: Set<String> { Set(items.map(\.name)) }

  /// `item` as `MutantGRU` computes it with `mistakes` (and the truncation changed); no variant
  /// when it equals the reference.
  func variants(_ c: MutantContext, _ mistakes: GRUMistakes, truncation: Truncation? = nil, parameter: Double? = nil) -> [MutantVariant] {
    var o = options
    if let truncation { o.truncation = truncation }
    let g = MutantGRU.evaluate(parameters(c.inputs), tokens: tokens(c.inputs), options: o, mistakes: mistakes)
    guard let v = Self.tensors(g)[c.item.id], v.scalars != c.reference.scalars else { return [] }
    return [MutantVariant(parameter: parameter, value: v)]
  }

  var gruMistakes: MistakeCatalogue {
    let all = allItems
    let mean = options.reduction == .mean
    let full = options.truncation.isFull(forSteps: T) && T > 2
    let behind = Self.behindCell
    var mutants: [Mutant] = [
      .transposed(.gateBlocksTransposed("r, z, n", adjoint: "ah"), items: ["dW_h"]),
      .rowColumnSwapped(items),
      Mutant(.signFlipped, items: all.subtracting(["loss"])) { self.variants($0, .signFlipped) },
      Mutant(.meanMissing, items: mean ? all : []) { self.variants($0, .meanMissing) },
      Mutant(.meanTwice, items: mean ? all : []) { self.variants($0, .meanTwice) },
      Mutant(.meanOnSum, items: mean ? [] : all) { self.variants($0, .meanOnSum) },
      Mutant(Self.updateGateSwapped(options.update), items: all) { c in
        self.variants(c, .updateSwapped, parameter: 1) + (behind.contains(c.item.id) ? self.variants(c, .updateSwappedInBackward, parameter: 2) : [])
      },
      Mutant(Self.resetMisplaced(options.reset), items: all) { self.variants($0, .resetMisplaced) },
      Mutant(Self.directPathMissing(options.update), items: behind) { self.variants($0, .directPathOmitted) },
      Mutant(Self.resetLeftOutOfCarry(options.reset), items: behind) { self.variants($0, .resetLeftOutOfCarry) },
      Mutant(Self.resetBiasWithoutGate, items: options.reset == .after ? ["db_h"] : []) { self.variants($0, .resetBiasWithoutGate) },
      Mutant(Self.onlyCurrentStep(options.update), items: behind) { self.variants($0, [], truncation: .window(1), parameter: 1) },
      Mutant(.gatedTruncated, items: full ? behind : []) { c in
        guard c.steps > 2 else { return [] }
        return (2..<c.steps).flatMap { k in self.variants(c, [], truncation: .window(k), parameter: Double(k)) }
      },
      Mutant(Self.sigmoidDerivativeForCandidate, items: behind) { self.variants($0, .sigmoidDerivativeForCandidate) },
      Mutant(Self.tanhDerivativeForGates, items: behind) { self.variants($0, .tanhDerivativeForGates) },
      Mutant(Self.embeddingAssigned, items: ["dE"]) { self.variants($0, .embeddingAssigned) },
    ]
    mutants.append(.gradientClipped(items: Self.parameterGradients))
    return MistakeCatalogue(mutants: mutants)
  }

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
