import BPTTReference
import Jacobians

/// The catalogue of `lstm-lm`, in the order it is tried (the first match is reported):
///
/// ```
/// transposed                        dW_h: each H × H gate block transposed
/// row-column-swapped                every non-square matrix item: the transpose reshaped
/// sign-flipped                      every item but the loss: δ1 = y − ŷ
/// mean-missing, mean-applied-twice  (mean) every item: wₜ = 1 or 1/T²
/// mean-on-sum                       (sum) every item: wₜ = 1/T
/// gate-order-swapped                every item: the weights read in the other order (1);
///                                   dW_x, dW_h, db, da: the blocks written in the other order (2)
/// forget-input-swapped              every item: c^(t) = i ⊙ c^(t−1) + f ⊙ g
/// cell-tanh-path-missing            behind the cell but dc0: ∂J/∂c^(t) without ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t))
/// cell-tanh-derivative-missing      behind the cell: ∂J/∂h^(t) ⊙ o, tanh′(c^(t)) left out
/// cell-carry-missing                behind the cell: no carry to c^(t−1)
/// cell-carry-without-forget-gate    behind the cell: the carry ∂J/∂c^(t), without ⊙ f^(t)
/// hidden-carry-missing              behind the cell: no carry W_hᵀ ∂J/∂a^(t) to h^(t−1)
/// only-current-step                 behind the cell but dh: both carries cut (window(1))
/// truncated-bptt                    (full BPTT, T > 2) behind the cell: window(k), k = 2 … T−1
/// sigmoid-derivative-for-tanh-gate  behind the cell: g ⊙ (1 − g) for tanh′(a_g)
/// tanh-derivative-for-sigmoid-gates behind the cell: 1 − y² for σ′ of i, f, o
/// current-cell-in-forget-gate       behind the cell: c^(t) for c^(t−1) in ∂J/∂a_f
/// output-gate-without-tanh          behind the cell: c^(t) for tanh(c^(t)) in ∂J/∂a_o
/// embedding-assigned                dE (a repeated input word)
/// gradient-clipped                  the parameter gradients (fitted)
/// ```
/// "Behind the cell" are the items that flow through ∂J/∂a^(t): dW_x, dW_h, db, dE, dh0, dc0,
/// dh, dc, da.
///
/// Coincidences by mathematics, and which id is reported:
/// - Without the hidden carry, ∂J/∂h^(t) is the output term wₜ Uᵀ δ1^(t) alone, which is also
///   what cutting both carries leaves: on `dh` only `hidden-carry-missing` applies.
/// - Without the path through h^(t), ∂J/∂c^(t) has no source (the carry from c^(T+1) is zero),
///   so every dc and dc0 is zero, as dc0 is without the cell carry: on `dc0` only
///   `cell-carry-missing` applies.
/// - A uniform scale 1/T matches both the misplaced 1/T and clipping by norm: the mean mutants
///   come first.
/// - On a square item the reshaped transpose is the transpose; the items here are not square
///   (4H × H, 4H × d, …): `transposed` names the gate blocks of dW_h, `row-column-swapped` the
///   whole matrices.
/// A backward mistake leaves ∂J/∂h^(T) = w_T Uᵀ δ1^(T) right: on dh, dc and da the diagnosis then
/// finds the first diverging step going back from T.
extension LSTMLanguageModel {
  static let parameterGradients: Set<String> = ["dU", "db_2", "dW_x", "dW_h", "db", "dE", "dh0", "dc0"]
  static let blockItems: Set<String> = ["dW_x", "dW_h", "db", "da"]
  /// The items that flow through ∂J/∂a^(t).
  static let behindCell: Set<String> = ["dW_x", "dW_h", "db", "dE", "dh0", "dc0", "dh", "dc", "da"]

  var allItems: Set<String> { Set(items.map(\.name)) }

  /// `item` as `MutantLSTM` computes it with `mistakes` (and the truncation changed); no
  /// variant when it equals the reference.
  func variants(_ c: MutantContext, _ mistakes: LSTMMistakes, truncation: Truncation? = nil, parameter: Double? = nil) -> [MutantVariant] {
    var o = options
    if let truncation { o.truncation = truncation }
    let g = MutantLSTM.evaluate(parameters(c.inputs), tokens: tokens(c.inputs), options: o, mistakes: mistakes)
    guard let v = Self.tensors(g)[c.item.id], v.scalars != c.reference.scalars else { return [] }
    return [MutantVariant(parameter: parameter, value: v)]
  }

  /// The reference's gate blocks written in the other order (variant 2 of `gate-order-swapped`).
  func permutedBlocks(_ c: MutantContext) -> [MutantVariant] {
    guard Self.blockItems.contains(c.item.id) else { return [] }
    let order = options.gateOrder
    let g = LSTM.gradients(parameters(c.inputs), tokens: tokens(c.inputs), options: options)
      .reorderingGates(from: order, to: MutantLSTM.otherOrder(order))
    guard let v = Self.tensors(g)[c.item.id], v.scalars != c.reference.scalars else { return [] }
    return [MutantVariant(parameter: 2, value: v)]
  }

  var lstmMistakes: MistakeCatalogue {
    let all = allItems
    let mean = options.reduction == .mean
    let reduced = all
    let full = options.truncation.isFull(forSteps: T) && T > 2
    let order = options.gateOrder, other = MutantLSTM.otherOrder(order)
    var mutants: [Mutant] = [
      .transposed(.gateBlocksTransposed(order.gates.map { String($0.letter) }.joined(separator: ", "), adjoint: "a"), items: ["dW_h"]),
      .rowColumnSwapped(items),
      Mutant(.signFlipped, items: all.subtracting(["loss"])) { self.variants($0, .signFlipped) },
      Mutant(.meanMissing, items: mean ? reduced : []) { self.variants($0, .meanMissing) },
      Mutant(.meanTwice, items: mean ? reduced : []) { self.variants($0, .meanTwice) },
      Mutant(.meanOnSum, items: mean ? [] : reduced) { self.variants($0, .meanOnSum) },
      Mutant(Self.gateOrderSwapped(order, other), items: all) { c in
        self.variants(c, .gateOrderSwapped, parameter: 1) + self.permutedBlocks(c)
      },
      Mutant(Self.forgetInputSwapped, items: all) { self.variants($0, .forgetInputSwapped) },
      Mutant(Self.cellTanhPathMissing, items: Self.behindCell.subtracting(["dc0"])) { self.variants($0, .cellTanhPathOmitted) },
      Mutant(Self.cellTanhDerivativeMissing, items: Self.behindCell) { self.variants($0, .cellTanhDerivativeOmitted) },
      Mutant(Self.cellCarryMissing, items: Self.behindCell) { self.variants($0, .cellCarryOmitted) },
      Mutant(Self.cellCarryWithoutForget, items: Self.behindCell) { self.variants($0, .cellCarryWithoutForget) },
      Mutant(Self.hiddenCarryMissing, items: Self.behindCell) { self.variants($0, .hiddenCarryOmitted) },
      Mutant(Self.onlyCurrentStep, items: Self.behindCell.subtracting(["dh"])) { self.variants($0, [], truncation: .window(1), parameter: 1) },
      Mutant(.gatedTruncated, items: full ? Self.behindCell : []) { c in
        guard c.steps > 2 else { return [] }
        return (2..<c.steps).flatMap { k in self.variants(c, [], truncation: .window(k), parameter: Double(k)) }
      },
      Mutant(Self.sigmoidDerivativeForCandidate, items: Self.behindCell) { self.variants($0, .sigmoidDerivativeForCandidate) },
      Mutant(Self.tanhDerivativeForGates, items: Self.behindCell) { self.variants($0, .tanhDerivativeForGates) },
      Mutant(Self.currentCellInForget, items: Self.behindCell) { self.variants($0, .currentCellInForget) },
      Mutant(Self.outputGateWithoutTanh, items: Self.behindCell) { self.variants($0, .outputGateWithoutTanh) },
      Mutant(Self.embeddingAssigned, items: ["dE"]) { self.variants($0, .embeddingAssigned) },
    ]
    mutants.append(.gradientClipped(items: Self.parameterGradients))
    return MistakeCatalogue(mutants: mutants)
  }

  // MARK: The LSTM's mistakes, as the student is told

  static func gateOrderSwapped(_ order: LSTMGateOrder, _ other: LSTMGateOrder) -> MistakeKind {
    let names = { (o: LSTMGateOrder) in o.gates.map { String($0.letter) }.joined(separator: ", ") }
    return MistakeKind(
      id: "gate-order-swapped", name: "the gate blocks in the other order",
      hint: "W_x, W_h and b stack the gates' blocks of H rows in the assignment's order, \(order.rawValue) = [\(names(order))] (ifog is CS231n's, ifgo PyTorch's): read a^(t) and write every gate gradient in that order.",
      describe: { c, v in
        v?.parameter == 2
          ? "Your \(c.item.id) has its blocks of H rows in the order \(other.rawValue) = [\(names(other))]: the gradients of o and g are right but each sits in the other's block; the assignment's order is \(order.rawValue) = [\(names(order))]."
          : "Your \(c.item.id) is the gradient of the LSTM whose blocks are read in the order \(other.rawValue) = [\(names(other))]: the assignment's W_x, W_h and b stack them as \(order.rawValue) = [\(names(order))], so your o and g gates are each computed from the other's rows."
      })
  }

  static let forgetInputSwapped = MistakeKind(
    id: "forget-input-swapped", name: "f and i swapped in the cell update",
    hint: "c^(t) = f ⊙ c^(t−1) + i ⊙ g: the forget gate f scales the old cell, the input gate i the candidate g.",
    describe: { c, _ in "Your \(c.item.id) is computed with c^(t) = i ⊙ c^(t−1) + f ⊙ g: the forget and input gates are exchanged in the cell update." })

  static let cellTanhPathMissing = MistakeKind(
    id: "cell-tanh-path-missing", name: "the path through h^(t) left out of ∂J/∂c^(t)",
    hint: "h^(t) = o ⊙ tanh(c^(t)) depends on c^(t): ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1) (CS231n's dc = dnext_c + dnext_h · o · (1 − tanh²(c))).",
    describe: { c, _ in "Your \(c.item.id) leaves ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) out of ∂J/∂c^(t): the cell receives the gradient of h^(t) = o ⊙ tanh(c^(t)) as well as the carry from c^(t+1); with the carry alone, which is zero at t = T, no gradient ever reaches the cell." })

  static let cellTanhDerivativeMissing = MistakeKind(
    id: "cell-tanh-derivative-missing", name: "tanh′(c^(t)) left out of ∂J/∂c^(t)",
    hint: "h^(t) = o ⊙ tanh(c^(t)): the path from h^(t) into the cell is ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))), not ∂J/∂h^(t) ⊙ o.",
    describe: { c, _ in "Your \(c.item.id) takes the path from h^(t) into the cell as ∂J/∂h^(t) ⊙ o, without the derivative tanh′(c^(t)) = 1 − tanh²(c^(t)) of h^(t) = o ⊙ tanh(c^(t))." })

  static let cellCarryMissing = MistakeKind(
    id: "cell-carry-missing", name: "the cell carry to c^(t−1) not propagated",
    hint: "c^(t) = f ⊙ c^(t−1) + i ⊙ g: carry ∂J/∂c^(t) ⊙ f^(t) back to c^(t−1) and add it to that step's ∂J/∂c^(t−1) (CS231n's dprev_c = dc · f).",
    describe: { c, _ in "Your \(c.item.id) never carries ∂J/∂c^(t) back through c^(t) = f ⊙ c^(t−1) + …: the cell's gradient ∂J/∂c^(t) ⊙ f^(t) never reaches c^(t−1)." })

  static let cellCarryWithoutForget = MistakeKind(
    id: "cell-carry-without-forget-gate", name: "the cell carry taken without ⊙ f",
    hint: "∂c^(t)/∂c^(t−1) = diag(f^(t)): the carry to the previous cell is ∂J/∂c^(t) ⊙ f^(t).",
    describe: { c, _ in "Your \(c.item.id) carries ∂J/∂c^(t) to c^(t−1) unchanged: through c^(t) = f ⊙ c^(t−1) + i ⊙ g the carry is ∂J/∂c^(t) ⊙ f^(t)." })

  static let hiddenCarryMissing = MistakeKind(
    id: "hidden-carry-missing", name: "the hidden carry W_hᵀ ∂J/∂a^(t) not propagated",
    hint: "a^(t) = W_x e^(t) + W_h h^(t−1) + b: carry W_hᵀ ∂J/∂a^(t) back to h^(t−1) and add it to that step's output gradient (CS231n's dprev_h).",
    describe: { c, _ in
      c.item.id == "dh"
        ? "Your \(c.item.id) holds only the output term w Uᵀ δ1^(t) at every step: the carry W_hᵀ ∂J/∂a^(t+1) from the next step was never added."
        : "Your \(c.item.id) never carries W_hᵀ ∂J/∂a^(t) back to h^(t−1): each step's ∂J/∂h^(t) holds only its own output term (the cell carry alone reaches earlier steps)."
    })

  static let onlyCurrentStep = MistakeKind.gatedOnlyCurrentStep(
    carries: "the hidden carry W_hᵀ ∂J/∂a^(t) and the cell carry ∂J/∂c^(t) ⊙ f^(t)",
    hint: "Carry both ∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t) and ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t) back to the previous step.")

  static let sigmoidDerivativeForCandidate = MistakeKind.sigmoidDerivativeForTanhGate.describing { c, _ in
    "Your \(c.item.id) differentiates the candidate g = tanh(a_g) with σ′, g ⊙ (1 − g), instead of tanh′(a_g) = 1 − g²."
  }

  static let tanhDerivativeForGates = MistakeKind.tanhDerivativeForSigmoidGates.describing { c, _ in
    "Your \(c.item.id) differentiates the σ gates i, f, o with tanh′, 1 − y², instead of σ′ = y ⊙ (1 − y)."
  }

  static let currentCellInForget = MistakeKind(
    id: "current-cell-in-forget-gate", name: "c^(t) instead of c^(t−1) in ∂J/∂f",
    hint: "The forget gate multiplies the previous cell: ∂c^(t)/∂f = diag(c^(t−1)), so ∂J/∂a_f = ∂J/∂c^(t) ⊙ c^(t−1) ⊙ σ′(a_f) (CS231n's df = dc · prev_c).",
    describe: { c, _ in "Your \(c.item.id) uses the new cell c^(t) in ∂J/∂f = ∂J/∂c^(t) ⊙ c^(t−1): f multiplies the previous cell c^(t−1)." })

  static let outputGateWithoutTanh = MistakeKind(
    id: "output-gate-without-tanh", name: "c^(t) instead of tanh(c^(t)) in ∂J/∂o",
    hint: "h^(t) = o ⊙ tanh(c^(t)): ∂h^(t)/∂o = diag(tanh(c^(t))), so ∂J/∂a_o = ∂J/∂h^(t) ⊙ tanh(c^(t)) ⊙ σ′(a_o).",
    describe: { c, _ in "Your \(c.item.id) uses c^(t) in ∂J/∂o = ∂J/∂h^(t) ⊙ tanh(c^(t)): the output gate multiplies tanh(c^(t)), not the cell itself." })

  static let embeddingAssigned: MistakeKind = {
    var kind = MistakeKind.embeddingAssigned.describing { c, _ in
      "Your \(c.item.id) keeps only one occurrence of a repeated word: its column was assigned (=) at each step instead of accumulated (+=) with W_xᵀ ∂J/∂a^(t)."
    }
    kind.hint = "A word that occurs at several steps receives the sum of their gradients: dE[:, x(t)] += W_xᵀ ∂J/∂a^(t)."
    return kind
  }()
}
