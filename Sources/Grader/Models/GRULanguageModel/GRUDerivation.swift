import BPTTReference
import Jacobians

/// The derivation of `gru-lm` as the steps the diagnosis searches, and the slips each admits
/// (`GatedSlips` and `GRUSlips` give the switch of each, `GRUSlipEvaluation` makes them; the steps
/// both gated models share are `GatedDerivation`'s). r̂, ẑ, n̂ are the
/// pre-activations, h′ = h^(t−1); the formulas below are those of update `keep` and reset
/// `after` (the model words its own convention):
///
/// ```
/// step             the notes                                          slips
/// h0               h^(0) = h0 (when given)                            zero
/// update-gate      h^(t) = (1 − z) ⊙ n + z ⊙ h′                       z and 1 − z exchanged (1), in the backward only (2)
/// reset            n = tanh(x_n + r ⊙ (W_hn h′ + b_hn))               r placed on the other side of W_hn
/// gates            the pre-activations with b_x and b_h               both biases left out
/// theta            ŷ^(t) = softmax(U h^(t) + b_2)                     b_2 left out
/// target, loss, delta1, output-error                                  as the RNN's
/// update-local     ∂J/∂z = ∂J/∂h ⊙ (h′ − n)                           the sign flipped
/// n-local          ∂J/∂n̂ = ∂J/∂n ⊙ (1 − n²)                           n ⊙ (1 − n), n, dropped
/// gates-local      σ′ = y ⊙ (1 − y) for r and z                       1 − y² for both
/// r-, z-local      σ′ of one gate                                     y, dropped, 1 − y²
/// direct-carry     ∂J/∂h′ ∋ ∂J/∂h ⊙ z                                 not propagated, without ⊙ z
/// candidate-carry  the carry through n: W_hnᵀ (∂J/∂n̂ ⊙ r)             without ⊙ r
/// gate-carry       W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + (through n)            not propagated, each block untransposed
/// bptt             every later loss term reaches step i               the carry cut, window k, chunks k
/// dh0              ∂J/∂h^(0) = the carry out of step 1                ∂J/∂h^(1)
/// recurrent-weight ∂J/∂W_h = Σ_t ∂J/∂ah^(t) h′ᵀ                       blocks transposed, = for +=
/// hidden-bias      ∂J/∂b_h = Σ_t ∂J/∂ah^(t)                           (after) the n block without ⊙ r, = for +=
/// input-weight, input-bias, output-weight, output-bias                = for +=; h^(t−1) in ∂J/∂U
/// embedding        dE[:, x^(t)] += W_xᵀ ∂J/∂ax^(t)                    = for += (backward | forward loop)
/// convention, update                                                  the transpose reshaped; clipped (fitted)
/// ```
/// Today's named mistakes keep their ids and sentences (the slips with a `MistakeKind`).
///
/// Coincidences by mathematics: with the reset `before`, b_hn sits outside r and its gradient is
/// Σ_t ∂J/∂n̂, so `reset-bias-without-gate` is declared only for `after`; on dh0 a window of k
/// and chunks of k keep the same loss terms (a tie, the window reported first), and k = 1 of
/// either is `only-current-step` (both families start at k = 2); a uniform 1/T matches clipping
/// by norm (the fitted clip comes last).
extension GRULanguageModel {
  var gruDerivation: Derivation {
    var d = GatedDerivation(items: items, reduction: options.reduction, steps: T)
    let all = d.all
    let behind = Self.behindCell
    let keep = options.update == .keep, after = options.reset == .after
    let gate = keep ? "z" : "(1 − z)"
    let update = Self.stateUpdate(options.update)

    if initialState == .given { d.initialState() }
    d.add("update-gate", Self.stateUpdate(options.update), all, [
      StepSlip(.custom("update-gate"), parameters: [1, 2],
        wrong: { _, k in k == 2 ? "the backward pass of the other convention" : "z and 1 − z exchanged" },
        fix: { _, _ in "use \(update) forward and backward" },
        mistake: Self.updateGateSwapped(options.update)),
    ])
    d.add("reset", Self.candidate(options.reset), all, [
      StepSlip(.custom("reset-misplaced"), wrong: "the reset gate on the other side of W_hn", fix: "apply r as the assignment places it", mistake: Self.resetMisplaced(options.reset)),
    ])
    d.add("gates", "[r̂; ẑ; n̂] = W_x e^(t) + b_x + (W_h h^(t−1) + b_h, n's block reset)", all, [
      StepSlip(.zero, wrong: "the gates' pre-activations without b_x and b_h", fix: "keep both gate biases", cost: 2.5),
    ])
    d.logits()
    d.targetAndLoss()
    d.outputError(behind: behind)

    // The gates' Jacobian factors.
    let dz = keep ? "∂J/∂h ⊙ (h^(t−1) − n)" : "∂J/∂h ⊙ (n − h^(t−1))", dzWrong = keep ? "∂J/∂h ⊙ (n − h^(t−1))" : "∂J/∂h ⊙ (h^(t−1) − n)"
    d.add("update-local", "∂J/∂z = \(dz)", behind, [
      StepSlip(.signFlipped, wrong: "∂J/∂z = \(dzWrong)", fix: "differentiate \(Self.stateUpdate(options.update)) in z", cost: 2),
    ])
    d.add("n-local", "∂J/∂n̂ = ∂J/∂n ⊙ (1 − n²)", behind, [
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂n̂ = ∂J/∂n ⊙ n ⊙ (1 − n)", fix: "the candidate is a tanh: tanh′ = 1 − n²", mistake: Self.sigmoidDerivativeForCandidate),
      StepSlip(.activationForDerivative, wrong: "∂J/∂n̂ = ∂J/∂n ⊙ n", fix: "use the derivative tanh′(n̂) = 1 − n²", cost: 2),
      StepSlip(.dropped, wrong: "∂J/∂n̂ = ∂J/∂n", fix: "n = tanh(n̂) is a step of the chain: multiply by 1 − n²", cost: 2),
    ])
    d.sigmoidGates(["r", "z"], behind: behind, mistake: Self.tanhDerivativeForGates, preActivation: { "\($0)̂" }, argument: { _ in "" })

    // The carries.
    d.add("direct-carry", "∂J/∂h^(t−1) ∋ ∂J/∂h^(t) ⊙ \(gate), the direct path", behind, [
      StepSlip(.notPropagated, wrong: "no direct term ∂J/∂h^(t) ⊙ \(gate)", fix: "h^(t−1) enters h^(t) directly", mistake: Self.directPathMissing(options.update)),
      StepSlip(.dropped, wrong: "the direct term ∂J/∂h^(t), without ⊙ \(gate)", fix: "∂h^(t)/∂h^(t−1) on the direct path is diag(\(gate))", cost: 2),
    ])
    d.add("candidate-carry", after ? "the carry through n: W_hnᵀ (∂J/∂n̂ ⊙ r)" : "the carry through n: (W_hnᵀ ∂J/∂n̂) ⊙ r", behind, [
      StepSlip(.dropped, wrong: "W_hnᵀ ∂J/∂n̂", fix: "h^(t−1) reaches n through r", mistake: Self.resetLeftOutOfCarry(options.reset)),
    ])
    d.add("gate-carry", "∂J/∂h^(t−1) ∋ W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + (the path through n)", behind, [
      StepSlip(.notPropagated, wrong: "∂J/∂h^(t−1) = ∂J/∂h^(t) ⊙ \(gate), the direct path alone", fix: "add the paths through r, z and n: W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + …", cost: 2),
      StepSlip(.transposed, wrong: "W_hr ∂J/∂r̂ + W_hz ∂J/∂ẑ + W_hn …, each H × H block untransposed", fix: "h^(t−1) reaches the gates through W_h: the carry needs each block transposed", cost: 2),
    ])
    d.bptt("∂J/∂h^(i) = Σ_{t ≥ i} ∂J^(t)/∂h^(i) (every later loss term: full BPTT)", behind: behind, truncation: options.truncation,
      notPropagated: StepSlip(.notPropagated, wrong: "only the step t of each J^(t)", fix: "carry ∂J/∂h^(t−1) back to the previous step", mistake: Self.onlyCurrentStep(options.update)),
      state: "")
    d.add("dh0", "∂J/∂h^(0) = the carry out of step 1", ["dh0"], [
      StepSlip(.step(1), wrong: "∂J/∂h^(1) (the last ∂J/∂h of the backward loop)", fix: "take one more step back, through step 1's gates and its direct path", cost: 2),
    ])

    // The sums.
    d.sum("recurrent-weight", "dW_h", "∂J/∂W_h = Σ_t ∂J/∂ah^(t) h^(t−1)ᵀ", first: "∂J/∂ah^(1) h^(0)ᵀ", last: "∂J/∂ah^(T) h^(T−1)ᵀ", [
      StepSlip(.transposed, wrong: "h^(t−1) ∂J/∂ah^(t)ᵀ in each gate block", fix: "each block is ∂J/∂ah^(t) ⊗ h^(t−1)", mistake: .gateBlocksTransposed("r, z, n", adjoint: "ah")),
    ])
    d.inputWeight(adjoint: "ax")
    d.sum("input-bias", "db_x", "∂J/∂b_x = Σ_t ∂J/∂ax^(t)", first: "∂J/∂ax^(1)", last: "∂J/∂ax^(T)")
    d.sum("hidden-bias", "db_h", "∂J/∂b_h = Σ_t ∂J/∂ah^(t)", first: "∂J/∂ah^(1)", last: "∂J/∂ah^(T)", after ? [
      StepSlip(.dropped, wrong: "∂J/∂b_hn = Σ_t ∂J/∂n̂", fix: "b_hn sits inside r ⊙ (…)", mistake: Self.resetBiasWithoutGate),
    ] : [])
    d.outputSums()
    d.embedding(adjoint: "ax", assigned: Self.embeddingAssigned)
    d.afterDerivation(items: items, parameterGradients: Self.parameterGradients)

    let model = self
    return Derivation(steps: d.steps, prepare: { inputs in
      GRUSlipEvaluation(GRUCell(p: model.parameters(inputs), tokens: model.tokens(inputs), options: model.options))
    })
  }
}
