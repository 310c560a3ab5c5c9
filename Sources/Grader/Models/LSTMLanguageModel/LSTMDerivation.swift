import BPTTReference
import Jacobians

/// The derivation of `lstm-lm` as the steps the diagnosis searches, and the slips each admits
/// (`GatedSlips` and `LSTMSlips` give the switch of each, `LSTMSlipEvaluation` makes them; the
/// steps both gated models share are `GatedDerivation`'s):
///
/// ```
/// step             the notes                                         slips
/// h0, c0           h^(0) = h0, c^(0) = c0 (when given)               zero
/// gate-order       a^(t) = [a_i; a_f; a_o; a_g] (the assignment's)   read (1) or written (2) in the other order
/// gates            a^(t) = W_x e^(t) + W_h h^(t−1) + b               b left out
/// theta            ŷ^(t) = softmax(U h^(t) + b_2)                    b_2 left out
/// cell             c^(t) = f ⊙ c^(t−1) + i ⊙ g                       f and i exchanged
/// target           y^(t) = onehot(x^(t+1))                           x^(t)
/// loss             J = (1/T) Σ_t J^(t)                               ×T, ×1/T (or 1/T on a sum), only J^(T), only J^(1)
/// delta1           δ1^(t) = ŷ^(t) − y^(t)                            sign flipped, diagonal softmax
/// output-error     each wₜ Uᵀ δ1^(t) enters ∂J/∂h^(t) once           re-added at every later step
/// cell-path        ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) + carry  the path through h^(t) left out
/// cell-local       tanh′(c^(t)) = 1 − tanh²(c^(t))                   dropped, tanh(c), σ′(c)
/// output-gate      ∂h^(t)/∂o = diag(tanh(c^(t)))                     c^(t) for tanh(c^(t))
/// forget-factor    ∂c^(t)/∂f = diag(c^(t−1))                         c^(t)
/// gates-local      σ′(a) = y ⊙ (1 − y) for i, f, o                   1 − y² for all three
/// i-, f-, o-local  σ′ of one gate                                    y, dropped, 1 − y²
/// g-local          tanh′(a_g) = 1 − g²                               g ⊙ (1 − g), g, dropped
/// hidden-carry     ∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t)                      not propagated, each block untransposed
/// cell-carry       ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)                   not propagated, without ⊙ f^(t)
/// bptt             every later loss term reaches step i               both carries cut, window k, chunks k
/// dh0              ∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)                        ∂J/∂h^(1)
/// recurrent-weight ∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ                  h^(t), blocks transposed, = for +=
/// input-weight, bias, output-weight, output-bias   the sums           = for += (backward | forward loop);
///                                                                     h^(t−1) in ∂J/∂U
/// embedding        dE[:, x^(t)] += W_xᵀ ∂J/∂a^(t)                    = for += (backward | forward loop)
/// convention       the column form                                    the transpose reshaped (non-square items)
/// update           the gradient itself                               clipped (fitted)
/// ```
/// Today's named mistakes keep their ids and sentences (the slips with a `MistakeKind`).
///
/// Coincidences by mathematics, and how they are avoided:
/// - Without the hidden carry, ∂J/∂h^(t) is the output term wₜ Uᵀ δ1^(t) alone, which is also
///   what cutting both carries leaves: on `dh` the `bptt` slips are not declared (only
///   `hidden-carry-missing` applies).
/// - Without the path through h^(t), ∂J/∂c^(t) has no source, so dc0 is zero, as it is without
///   the cell carry: on `dc0` only `cell-carry-missing` applies.
/// - On dh0 and dc0 a window of k and chunks of k keep the same loss terms t ≤ k: a tie, the
///   window (`truncated-bptt`, cost 1) reported first. k = 1 of either *is* `only-current-step`:
///   both families start at k = 2.
/// - A uniform 1/T matches clipping by norm; the fitted clip is reported only when no exact
///   explanation of the same size fits.
extension LSTMLanguageModel {
  var lstmDerivation: Derivation {
    var d = GatedDerivation(items: items, reduction: options.reduction, steps: T)
    let all = d.all
    let behind = Self.behindCell
    let order = options.gateOrder, other = MutantLSTM.otherOrder(order)
    let letters = order.gates.map { String($0.letter) }.joined(separator: ", ")
    let carryFix = "carry ∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t) and ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t) back to the previous step"

    // Forward.
    if initialState == .given {
      d.initialState()
      d.initialState("c0", "c", what: "cell", start: "the cell")
    }
    d.add("gate-order", "a^(t) stacks the blocks [\(letters)] of H rows (\(order.rawValue)), as W_x, W_h, b and ∂J/∂a^(t) do", all, [
      StepSlip(.custom("gate-order"), parameters: [1, 2],
        wrong: { _, k in k == 2 ? "the gate gradients written in the blocks \(other.rawValue)" : "the blocks of W_x, W_h, b read in the order \(other.rawValue)" },
        fix: { _, _ in "read and write every block in the order \(order.rawValue)" },
        mistake: Self.gateOrderSwapped(order, other)),
    ])
    d.add("gates", "a^(t) = W_x e^(t) + W_h h^(t−1) + b", all, [
      StepSlip(.zero, wrong: "a^(t) = W_x e^(t) + W_h h^(t−1) without b", fix: "keep the gate bias b in a^(t)", cost: 2.5),
    ])
    d.logits()
    d.add("cell", "c^(t) = f ⊙ c^(t−1) + i ⊙ g", all, [
      StepSlip(.custom("forget-input-swapped"), wrong: "c^(t) = i ⊙ c^(t−1) + f ⊙ g", fix: "f scales the old cell, i the candidate", mistake: Self.forgetInputSwapped),
    ])
    d.targetAndLoss()

    // Backward: the output error.
    d.outputError(behind: behind)

    // The cell and the gates' Jacobian factors.
    d.add("cell-path", "∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) + ∂J/∂c^(t+1) ⊙ f^(t+1)", behind, [
      StepSlip(.termDropped, items: behind.subtracting(["dc0"]), wrong: "∂J/∂c^(t) = ∂J/∂c^(t+1) ⊙ f^(t+1)", fix: "h^(t) = o ⊙ tanh(c^(t)) depends on c^(t)", mistake: Self.cellTanhPathMissing),
    ])
    d.add("cell-local", "∂h^(t)/∂c^(t) = diag(o ⊙ tanh′(c^(t))), tanh′(c^(t)) = 1 − tanh²(c^(t))", behind, [
      StepSlip(.dropped, wrong: "∂J/∂h^(t) ⊙ o", fix: "multiply by tanh′(c^(t))", mistake: Self.cellTanhDerivativeMissing),
      StepSlip(.activationForDerivative, wrong: "∂J/∂h^(t) ⊙ o ⊙ tanh(c^(t))", fix: "use the derivative tanh′(c^(t)) = 1 − tanh²(c^(t))", cost: 2),
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂h^(t) ⊙ o ⊙ σ′(c^(t))", fix: "h^(t) takes the tanh of the cell: tanh′(c^(t)) = 1 − tanh²(c^(t))", cost: 2.5),
    ])
    d.add("output-gate", "∂J/∂o = ∂J/∂h^(t) ⊙ tanh(c^(t))", behind, [
      StepSlip(.dropped, wrong: "∂J/∂o = ∂J/∂h^(t) ⊙ c^(t)", fix: "o multiplies tanh(c^(t))", mistake: Self.outputGateWithoutTanh),
    ])
    d.add("forget-factor", "∂J/∂f = ∂J/∂c^(t) ⊙ c^(t−1)", behind, [
      StepSlip(.step(1), wrong: "∂J/∂f = ∂J/∂c^(t) ⊙ c^(t)", fix: "f multiplies the previous cell c^(t−1)", mistake: Self.currentCellInForget),
    ])
    d.sigmoidGates(["i", "f", "o"], behind: behind, mistake: Self.tanhDerivativeForGates, preActivation: { "a_\($0)" }, argument: { "(a_\($0))" })
    d.add("g-local", "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ (1 − g²)", behind, [
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ g ⊙ (1 − g)", fix: "the candidate is a tanh: tanh′ = 1 − g²", mistake: Self.sigmoidDerivativeForCandidate),
      StepSlip(.activationForDerivative, wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ g", fix: "use the derivative tanh′(a_g) = 1 − g²", cost: 2),
      StepSlip(.dropped, wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i", fix: "g = tanh(a_g) is a step of the chain: multiply by 1 − g²", cost: 2),
    ])

    // The carries.
    d.add("hidden-carry", "∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t)", behind, [
      StepSlip(.notPropagated, wrong: "no carry W_hᵀ ∂J/∂a^(t)", fix: "add W_hᵀ ∂J/∂a^(t) to ∂J/∂h^(t−1)", mistake: Self.hiddenCarryMissing),
      StepSlip(.transposed, wrong: "∂J/∂h^(t−1) = Σ_g W_h,g ∂J/∂a_g^(t), each H × H block of W_h untransposed",
        fix: "h^(t−1) reaches a^(t) through W_h: the carry is W_hᵀ ∂J/∂a^(t), each block transposed", cost: 2),
    ])
    d.add("cell-carry", "∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)", behind, [
      StepSlip(.notPropagated, wrong: "no carry to c^(t−1)", fix: "carry ∂J/∂c^(t) ⊙ f^(t) back", mistake: Self.cellCarryMissing),
      StepSlip(.dropped, wrong: "∂J/∂c^(t−1) = ∂J/∂c^(t)", fix: "∂c^(t)/∂c^(t−1) = diag(f^(t))", mistake: Self.cellCarryWithoutForget),
    ])
    d.bptt("∂J/∂a^(i) = Σ_{t ≥ i} ∂J^(t)/∂a^(i) (every later loss term: full BPTT)", behind: behind, truncation: options.truncation,
      notPropagated: StepSlip(.notPropagated, items: behind.subtracting(["dh"]), wrong: "only the step t of each J^(t)", fix: carryFix, mistake: Self.onlyCurrentStep),
      state: "(h, c) ")
    d.add("dh0", "∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)", ["dh0"], [
      StepSlip(.step(1), wrong: "∂J/∂h^(1) (the last ∂J/∂h of the backward loop)", fix: "take one more step back: ∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)", cost: 2),
    ])

    // The sums.
    d.sum("recurrent-weight", "dW_h", "∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ", first: "∂J/∂a^(1) h^(0)ᵀ", last: "∂J/∂a^(T) h^(T−1)ᵀ", [
      StepSlip(.step(1), wrong: "Σ_t ∂J/∂a^(t) h^(t)ᵀ", fix: "W_h multiplies h^(t−1)", cost: 2),
      StepSlip(.transposed, wrong: "h^(t−1) ∂J/∂a^(t)ᵀ in each gate block", fix: "each block is ∂J/∂a^(t) ⊗ h^(t−1)", mistake: .gateBlocksTransposed(letters, adjoint: "a")),
    ])
    d.inputWeight(adjoint: "a")
    d.sum("bias", "db", "∂J/∂b = Σ_t ∂J/∂a^(t)", first: "∂J/∂a^(1)", last: "∂J/∂a^(T)")
    d.outputSums()
    d.embedding(adjoint: "a", assigned: Self.embeddingAssigned)

    // After the derivation.
    d.afterDerivation(items: items, parameterGradients: Self.parameterGradients)

    let model = self
    return Derivation(steps: d.steps, prepare: { inputs in
      LSTMSlipEvaluation(LSTMCell(p: model.parameters(inputs), tokens: model.tokens(inputs), options: model.options))
    })
  }
}
