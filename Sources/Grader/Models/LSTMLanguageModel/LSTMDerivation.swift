import BPTTReference
import Jacobians

/// The derivation of `lstm-lm` as the steps the diagnosis searches, and the slips each admits
/// (`LSTMSlips` gives the switch of each, `LSTMSlipEvaluation` makes them):
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
    let all = allItems
    let mean = options.reduction == .mean
    let w = mean ? "(1/T) " : ""
    let T = self.T
    let behind = Self.behindCell
    let order = options.gateOrder, other = MutantLSTM.otherOrder(order)
    let letters = order.gates.map { String($0.letter) }.joined(separator: ", ")
    var steps: [DerivationStep] = []
    func add(_ id: String, _ formula: String, _ items: Set<String>, _ slips: [StepSlip]) {
      let items = items.intersection(all)
      guard !items.isEmpty, !slips.isEmpty else { return }
      steps.append(DerivationStep(id, formula, items: items, slips: slips))
    }
    let carryFix = "carry ∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t) and ∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t) back to the previous step"

    // Forward.
    if initialState == .given {
      add("h0", "h^(0) = h0 (the given initial state)", all, [
        StepSlip(.zero, wrong: "h^(0) = 0", fix: "start the recurrence from the given h0 (the assignment gives it, and asks for ∂J/∂h^(0) at it)", cost: 2),
      ])
      add("c0", "c^(0) = c0 (the given initial cell)", all, [
        StepSlip(.zero, wrong: "c^(0) = 0", fix: "start the cell from the given c0 (the assignment gives it, and asks for ∂J/∂c^(0) at it)", cost: 2),
      ])
    }
    add("gate-order", "a^(t) stacks the blocks [\(letters)] of H rows (\(order.rawValue)), as W_x, W_h, b and ∂J/∂a^(t) do", all, [
      StepSlip(.custom("gate-order"), parameters: [1, 2],
        wrong: { _, k in k == 2 ? "the gate gradients written in the blocks \(other.rawValue)" : "the blocks of W_x, W_h, b read in the order \(other.rawValue)" },
        fix: { _, _ in "read and write every block in the order \(order.rawValue)" },
        mistake: Self.gateOrderSwapped(order, other)),
    ])
    add("gates", "a^(t) = W_x e^(t) + W_h h^(t−1) + b", all, [
      StepSlip(.zero, wrong: "a^(t) = W_x e^(t) + W_h h^(t−1) without b", fix: "keep the gate bias b in a^(t)", cost: 2.5),
    ])
    add("theta", "ŷ^(t) = softmax(U h^(t) + b_2)", all, [
      StepSlip(.zero, wrong: "ŷ^(t) = softmax(U h^(t)) without b_2", fix: "keep b_2 in the logits", cost: 2.5),
    ])
    add("cell", "c^(t) = f ⊙ c^(t−1) + i ⊙ g", all, [
      StepSlip(.custom("forget-input-swapped"), wrong: "c^(t) = i ⊙ c^(t−1) + f ⊙ g", fix: "f scales the old cell, i the candidate", mistake: Self.forgetInputSwapped),
    ])
    add("target", "y^(t) = the one-hot vector of x^(t+1), the next token", all, [
      StepSlip(.step(-1), wrong: "y^(t) = the one-hot vector of x^(t), the current input", fix: "step t predicts the next token x^(t+1)", cost: 2),
    ])
    var lossSlips: [StepSlip] = mean
      ? [StepSlip(.scale, effect: .scale(Double(T)), wrong: "no 1/T", fix: "every gradient of the mean carries 1/T", mistake: .meanMissing),
         StepSlip(.scale, effect: .scale(1 / Double(T)), wrong: "1/T applied twice", fix: "divide by T once", mistake: .meanTwice)]
      : [StepSlip(.scale, effect: .scale(1 / Double(T)), wrong: "1/T", fix: "the loss is a sum", mistake: .meanOnSum)]
    lossSlips += [
      StepSlip(.lastTerm, wrong: "J = \(w)J^(T), the last loss term alone", fix: "J sums every J^(t), so each gradient collects all T loss terms", cost: 2),
      StepSlip(.firstTerm, wrong: "J = \(w)J^(1), the first loss term alone", fix: "J sums every J^(t), so each gradient collects all T loss terms", cost: 2.5),
    ]
    add("loss", mean ? "J = (1/T) Σ_t J^(t)" : "J = Σ_t J^(t)", all, lossSlips)

    // Backward: the output error.
    add("delta1", "δ1^(t) = ŷ^(t) − y^(t)", all.subtracting(["loss"]), [
      StepSlip(.signFlipped, wrong: "δ1^(t) = y^(t) − ŷ^(t)", fix: "the gradient of the cross entropy is ŷ − y", mistake: .signFlipped),
      StepSlip(.diagonalOnly, wrong: "δ1^(t) = (ŷ_l − 1) e_l from diag(ŷ ⊙ (1 − ŷ))", fix: "the softmax Jacobian is diag(ŷ) − ŷŷᵀ", cost: 2),
    ])
    add("output-error", "∂J/∂h^(t) receives the output term \(w)Uᵀ δ1^(t) of step t once", behind, [
      StepSlip(.recounted, wrong: "the output terms re-added for every later t", fix: "run the backward recursion once", cost: 2),
    ])

    // The cell and the gates' Jacobian factors.
    add("cell-path", "∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ tanh′(c^(t)) + ∂J/∂c^(t+1) ⊙ f^(t+1)", behind, [
      StepSlip(.termDropped, items: behind.subtracting(["dc0"]), wrong: "∂J/∂c^(t) = ∂J/∂c^(t+1) ⊙ f^(t+1)", fix: "h^(t) = o ⊙ tanh(c^(t)) depends on c^(t)", mistake: Self.cellTanhPathMissing),
    ])
    add("cell-local", "∂h^(t)/∂c^(t) = diag(o ⊙ tanh′(c^(t))), tanh′(c^(t)) = 1 − tanh²(c^(t))", behind, [
      StepSlip(.dropped, wrong: "∂J/∂h^(t) ⊙ o", fix: "multiply by tanh′(c^(t))", mistake: Self.cellTanhDerivativeMissing),
      StepSlip(.activationForDerivative, wrong: "∂J/∂h^(t) ⊙ o ⊙ tanh(c^(t))", fix: "use the derivative tanh′(c^(t)) = 1 − tanh²(c^(t))", cost: 2),
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂h^(t) ⊙ o ⊙ σ′(c^(t))", fix: "h^(t) takes the tanh of the cell: tanh′(c^(t)) = 1 − tanh²(c^(t))", cost: 2.5),
    ])
    add("output-gate", "∂J/∂o = ∂J/∂h^(t) ⊙ tanh(c^(t))", behind, [
      StepSlip(.dropped, wrong: "∂J/∂o = ∂J/∂h^(t) ⊙ c^(t)", fix: "o multiplies tanh(c^(t))", mistake: Self.outputGateWithoutTanh),
    ])
    add("forget-factor", "∂J/∂f = ∂J/∂c^(t) ⊙ c^(t−1)", behind, [
      StepSlip(.step(1), wrong: "∂J/∂f = ∂J/∂c^(t) ⊙ c^(t)", fix: "f multiplies the previous cell c^(t−1)", mistake: Self.currentCellInForget),
    ])
    add("gates-local", "σ′(a) = y ⊙ (1 − y) for the σ gates i, f, o", behind, [
      StepSlip(.derivative(.tanh), wrong: "1 − y² for the σ gates", fix: "σ′ = y ⊙ (1 − y)", mistake: Self.tanhDerivativeForGates),
    ])
    for gate in ["i", "f", "o"] {
      add("\(gate)-local", "∂J/∂a_\(gate) = ∂J/∂\(gate) ⊙ \(gate) ⊙ (1 − \(gate))", behind, [
        StepSlip(.activationForDerivative, wrong: "∂J/∂a_\(gate) = ∂J/∂\(gate) ⊙ \(gate)", fix: "use the derivative σ′(a_\(gate)) = \(gate) ⊙ (1 − \(gate))", cost: 2),
        StepSlip(.dropped, wrong: "∂J/∂a_\(gate) = ∂J/∂\(gate)", fix: "\(gate) = σ(a_\(gate)) is a step of the chain: multiply by \(gate) ⊙ (1 − \(gate))", cost: 2),
        StepSlip(.derivative(.tanh), wrong: "∂J/∂a_\(gate) = ∂J/∂\(gate) ⊙ (1 − \(gate)²)", fix: "\(gate) is a σ gate: σ′ = \(gate) ⊙ (1 − \(gate))", cost: 2),
      ])
    }
    add("g-local", "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ (1 − g²)", behind, [
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ g ⊙ (1 − g)", fix: "the candidate is a tanh: tanh′ = 1 − g²", mistake: Self.sigmoidDerivativeForCandidate),
      StepSlip(.activationForDerivative, wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i ⊙ g", fix: "use the derivative tanh′(a_g) = 1 − g²", cost: 2),
      StepSlip(.dropped, wrong: "∂J/∂a_g = ∂J/∂c^(t) ⊙ i", fix: "g = tanh(a_g) is a step of the chain: multiply by 1 − g²", cost: 2),
    ])

    // The carries.
    add("hidden-carry", "∂J/∂h^(t−1) = W_hᵀ ∂J/∂a^(t)", behind, [
      StepSlip(.notPropagated, wrong: "no carry W_hᵀ ∂J/∂a^(t)", fix: "add W_hᵀ ∂J/∂a^(t) to ∂J/∂h^(t−1)", mistake: Self.hiddenCarryMissing),
      StepSlip(.transposed, wrong: "∂J/∂h^(t−1) = Σ_g W_h,g ∂J/∂a_g^(t), each H × H block of W_h untransposed",
        fix: "h^(t−1) reaches a^(t) through W_h: the carry is W_hᵀ ∂J/∂a^(t), each block transposed", cost: 2),
    ])
    add("cell-carry", "∂J/∂c^(t−1) = ∂J/∂c^(t) ⊙ f^(t)", behind, [
      StepSlip(.notPropagated, wrong: "no carry to c^(t−1)", fix: "carry ∂J/∂c^(t) ⊙ f^(t) back", mistake: Self.cellCarryMissing),
      StepSlip(.dropped, wrong: "∂J/∂c^(t−1) = ∂J/∂c^(t)", fix: "∂c^(t)/∂c^(t−1) = diag(f^(t))", mistake: Self.cellCarryWithoutForget),
    ])
    var bpttSlips: [StepSlip] = [
      StepSlip(.notPropagated, items: behind.subtracting(["dh"]), wrong: "only the step t of each J^(t)", fix: carryFix, mistake: Self.onlyCurrentStep),
    ]
    if options.truncation.isFull(forSteps: T) && T > 2 {
      bpttSlips.append(StepSlip(.truncated(.window), parameters: Array(2..<T),
        wrong: { _, k in "a window of \(k ?? 0) steps: each J^(t) carried back to the steps t−\((k ?? 1) - 1) … t only" },
        fix: { _, _ in "full BPTT carries every J^(t) back to step 1" }, mistake: .gatedTruncated))
      bpttSlips.append(StepSlip(.truncated(.chunks), parameters: Array(2..<T),
        wrong: { _, k in "no gradient across the boundaries of chunks of \(k ?? 0) steps" },
        fix: { _, _ in "full BPTT lets the gradient cross every step" },
        sentence: { c, v in
          let k = Int(v?.parameter ?? 0)
          return "Your \(c.item.id) is truncated BPTT in chunks of k = \(k) steps, the state (h, c) detached every \(k) steps (as truncated BPTT in PyTorch does): no gradient crosses from a chunk back into the one before, where full BPTT was asked."
        }, cost: 1.5))
    }
    add("bptt", "∂J/∂a^(i) = Σ_{t ≥ i} ∂J^(t)/∂a^(i) (every later loss term: full BPTT)", behind, bpttSlips)
    add("dh0", "∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)", ["dh0"], [
      StepSlip(.step(1), wrong: "∂J/∂h^(1) (the last ∂J/∂h of the backward loop)", fix: "take one more step back: ∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)", cost: 2),
    ])

    // The sums.
    func assigned(_ symbol: String, first: String, last: String) -> [StepSlip] {
      [StepSlip(.assigned(.backward), wrong: "only the \(symbol) = 1 term \(first) (`=` where `+=` belongs, in the backward loop)", fix: "accumulate every step's term with +=", cost: 2),
       StepSlip(.assigned(.forward), wrong: "only the \(symbol) = T term \(last) (`=` where `+=` belongs, in a forward loop)", fix: "accumulate every step's term with +=", cost: 2)]
    }
    add("recurrent-weight", "∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ", ["dW_h"], [
      StepSlip(.step(1), wrong: "Σ_t ∂J/∂a^(t) h^(t)ᵀ", fix: "W_h multiplies h^(t−1)", cost: 2),
      StepSlip(.transposed, wrong: "h^(t−1) ∂J/∂a^(t)ᵀ in each gate block", fix: "each block is ∂J/∂a^(t) ⊗ h^(t−1)", mistake: .gateBlocksTransposed(letters, adjoint: "a")),
    ] + assigned("t", first: "∂J/∂a^(1) h^(0)ᵀ", last: "∂J/∂a^(T) h^(T−1)ᵀ"))
    add("input-weight", "∂J/∂W_x = Σ_t ∂J/∂a^(t) e^(t)ᵀ", ["dW_x"], assigned("t", first: "∂J/∂a^(1) e^(1)ᵀ", last: "∂J/∂a^(T) e^(T)ᵀ"))
    add("bias", "∂J/∂b = Σ_t ∂J/∂a^(t)", ["db"], assigned("t", first: "∂J/∂a^(1)", last: "∂J/∂a^(T)"))
    add("output-weight", "∂J/∂U = \(w)Σ_t δ1^(t) h^(t)ᵀ", ["dU"], [
      StepSlip(.step(-1), wrong: "\(w)Σ_t δ1^(t) h^(t−1)ᵀ", fix: "U multiplies h^(t)", cost: 2),
    ] + assigned("t", first: "\(w)δ1^(1) h^(1)ᵀ", last: "\(w)δ1^(T) h^(T)ᵀ"))
    add("output-bias", "∂J/∂b_2 = \(w)Σ_t δ1^(t)", ["db_2"], assigned("t", first: "\(w)δ1^(1)", last: "\(w)δ1^(T)"))
    add("embedding", "∂J/∂E[:, x^(t)] += W_xᵀ ∂J/∂a^(t) for every t", ["dE"], [
      StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(t) assigned (=) in the backward loop", fix: "a repeated word sums every occurrence (+=)", mistake: Self.embeddingAssigned),
      StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(t) assigned (=) in a forward loop, so a repeated word keeps its last occurrence only", fix: "a repeated word sums every occurrence (+=)", cost: 2),
    ])

    // After the derivation.
    add("convention", "the column form: each gradient has the shape of its variable", GatedItems.nonSquare(items), [
      StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose (.T), do not reshape", mistake: .rowColumnSwapped),
    ])
    add("update", "the gradient itself, unclipped", Self.parameterGradients, [
      StepSlip(.clipped, effect: .clipFit, wrong: "the gradient clipped", fix: "clip (if at all) in the update, after grading", mistake: .gradientClipped),
    ])

    let model = self
    return Derivation(steps: steps, prepare: { inputs in
      LSTMSlipEvaluation(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options)
    })
  }
}
