import BPTTReference
import Jacobians

/// The named mistakes of `lstm-lm`, as the student is told them: the slips of `LSTMDerivation`
/// that carry a `MistakeKind` keep these ids, hints and sentences.
///
/// ```
/// transposed                        recurrent-weight: each H × H gate block of dW_h transposed
/// row-column-swapped                convention: every non-square matrix item, the transpose reshaped
/// sign-flipped                      delta1: δ1 = y − ŷ
/// mean-missing, mean-applied-twice  loss (mean): ×T, ×1/T
/// mean-on-sum                       loss (sum): ×1/T
/// gate-order-swapped                gate-order: the weights read in the other order (1), or the
///                                   gate gradients written in it (2: dW_x, dW_h, db, da)
/// forget-input-swapped              cell: c^(t) = i ⊙ c^(t−1) + f ⊙ g
/// cell-tanh-path-missing            cell-path: ∂J/∂c^(t) without ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) (not on dc0)
/// cell-tanh-derivative-missing      cell-local: ∂J/∂h^(t) ⊙ o, tanh′(c^(t)) left out
/// cell-carry-missing                cell-carry: no carry to c^(t−1)
/// cell-carry-without-forget-gate    cell-carry: the carry ∂J/∂c^(t), without ⊙ f^(t)
/// hidden-carry-missing              hidden-carry: no carry W_hᵀ ∂J/∂a^(t) to h^(t−1)
/// only-current-step                 bptt: both carries cut (not on dh)
/// truncated-bptt                    bptt (full BPTT, T > 2): a window of k = 2 … T−1 steps
/// sigmoid-derivative-for-tanh-gate  g-local: g ⊙ (1 − g) for tanh′(a_g)
/// tanh-derivative-for-sigmoid-gates gates-local: 1 − y² for σ′ of i, f, o
/// current-cell-in-forget-gate       forget-factor: c^(t) for c^(t−1) in ∂J/∂a_f
/// output-gate-without-tanh          output-gate: c^(t) for tanh(c^(t)) in ∂J/∂a_o
/// embedding-assigned                embedding: dE (a repeated input word)
/// gradient-clipped                  update: the parameter gradients (fitted)
/// ```
/// "Behind the cell" are the items that flow through ∂J/∂a^(t): dW_x, dW_h, db, dE, dh0, dc0,
/// dh, dc, da. A backward mistake leaves ∂J/∂h^(T) = w_T Uᵀ δ1^(T) right: on dh, dc and da the
/// diagnosis then finds the first diverging step going back from T.
extension LSTMLanguageModel {
  static let parameterGradients: Set<String> = ["dU", "db_2", "dW_x", "dW_h", "db", "dE", "dh0", "dc0"]
  static let blockItems: Set<String> = ["dW_x", "dW_h", "db", "da"]
  /// The items that flow through ∂J/∂a^(t).
  static let behindCell: Set<String> = ["dW_x", "dW_h", "db", "dE", "dh0", "dc0", "dh", "dc", "da"]

  var allItems: Set<String> { Set(items.map(\.name)) }

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
