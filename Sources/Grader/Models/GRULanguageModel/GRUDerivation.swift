import BPTTReference
import Jacobians

/// The derivation of `gru-lm` as the steps the diagnosis searches, and the slips each admits
/// (`GRUSlips` gives the switch of each, `GRUSlipEvaluation` makes them). r̂, ẑ, n̂ are the
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
    let all = allItems
    let mean = options.reduction == .mean
    let w = mean ? "(1/T) " : ""
    let T = self.T
    let behind = Self.behindCell
    let keep = options.update == .keep, after = options.reset == .after
    let gate = keep ? "z" : "(1 − z)"
    let update = Self.stateUpdate(options.update)
    var steps: [DerivationStep] = []
    func add(_ id: String, _ formula: String, _ items: Set<String>, _ slips: [StepSlip]) {
      let items = items.intersection(all)
      guard !items.isEmpty, !slips.isEmpty else { return }
      steps.append(DerivationStep(id, formula, items: items, slips: slips))
    }

    if initialState == .given {
      add("h0", "h^(0) = h0 (the given initial state)", all, [
        StepSlip(.zero, wrong: "h^(0) = 0", fix: "start the recurrence from the given h0 (the assignment gives it, and asks for ∂J/∂h^(0) at it)", cost: 2),
      ])
    }
    add("update-gate", Self.stateUpdate(options.update), all, [
      StepSlip(.custom("update-gate"), parameters: [1, 2],
        wrong: { _, k in k == 2 ? "the backward pass of the other convention" : "z and 1 − z exchanged" },
        fix: { _, _ in "use \(update) forward and backward" },
        mistake: Self.updateGateSwapped(options.update)),
    ])
    add("reset", Self.candidate(options.reset), all, [
      StepSlip(.custom("reset-misplaced"), wrong: "the reset gate on the other side of W_hn", fix: "apply r as the assignment places it", mistake: Self.resetMisplaced(options.reset)),
    ])
    add("gates", "[r̂; ẑ; n̂] = W_x e^(t) + b_x + (W_h h^(t−1) + b_h, n's block reset)", all, [
      StepSlip(.zero, wrong: "the gates' pre-activations without b_x and b_h", fix: "keep both gate biases", cost: 2.5),
    ])
    add("theta", "ŷ^(t) = softmax(U h^(t) + b_2)", all, [
      StepSlip(.zero, wrong: "ŷ^(t) = softmax(U h^(t)) without b_2", fix: "keep b_2 in the logits", cost: 2.5),
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
    add("delta1", "δ1^(t) = ŷ^(t) − y^(t)", all.subtracting(["loss"]), [
      StepSlip(.signFlipped, wrong: "δ1^(t) = y^(t) − ŷ^(t)", fix: "the gradient of the cross entropy is ŷ − y", mistake: .signFlipped),
      StepSlip(.diagonalOnly, wrong: "δ1^(t) = (ŷ_l − 1) e_l from diag(ŷ ⊙ (1 − ŷ))", fix: "the softmax Jacobian is diag(ŷ) − ŷŷᵀ", cost: 2),
    ])
    add("output-error", "∂J/∂h^(t) receives the output term \(w)Uᵀ δ1^(t) of step t once", behind, [
      StepSlip(.recounted, wrong: "the output terms re-added for every later t", fix: "run the backward recursion once", cost: 2),
    ])

    // The gates' Jacobian factors.
    let dz = keep ? "∂J/∂h ⊙ (h^(t−1) − n)" : "∂J/∂h ⊙ (n − h^(t−1))", dzWrong = keep ? "∂J/∂h ⊙ (n − h^(t−1))" : "∂J/∂h ⊙ (h^(t−1) − n)"
    add("update-local", "∂J/∂z = \(dz)", behind, [
      StepSlip(.signFlipped, wrong: "∂J/∂z = \(dzWrong)", fix: "differentiate \(Self.stateUpdate(options.update)) in z", cost: 2),
    ])
    add("n-local", "∂J/∂n̂ = ∂J/∂n ⊙ (1 − n²)", behind, [
      StepSlip(.derivative(.sigmoid), wrong: "∂J/∂n̂ = ∂J/∂n ⊙ n ⊙ (1 − n)", fix: "the candidate is a tanh: tanh′ = 1 − n²", mistake: Self.sigmoidDerivativeForCandidate),
      StepSlip(.activationForDerivative, wrong: "∂J/∂n̂ = ∂J/∂n ⊙ n", fix: "use the derivative tanh′(n̂) = 1 − n²", cost: 2),
      StepSlip(.dropped, wrong: "∂J/∂n̂ = ∂J/∂n", fix: "n = tanh(n̂) is a step of the chain: multiply by 1 − n²", cost: 2),
    ])
    add("gates-local", "σ′(a) = y ⊙ (1 − y) for the σ gates r, z", behind, [
      StepSlip(.derivative(.tanh), wrong: "1 − y² for the σ gates", fix: "σ′ = y ⊙ (1 − y)", mistake: Self.tanhDerivativeForGates),
    ])
    for g in ["r", "z"] {
      add("\(g)-local", "∂J/∂\(g)̂ = ∂J/∂\(g) ⊙ \(g) ⊙ (1 − \(g))", behind, [
        StepSlip(.activationForDerivative, wrong: "∂J/∂\(g)̂ = ∂J/∂\(g) ⊙ \(g)", fix: "use the derivative σ′ = \(g) ⊙ (1 − \(g))", cost: 2),
        StepSlip(.dropped, wrong: "∂J/∂\(g)̂ = ∂J/∂\(g)", fix: "\(g) = σ(\(g)̂) is a step of the chain: multiply by \(g) ⊙ (1 − \(g))", cost: 2),
        StepSlip(.derivative(.tanh), wrong: "∂J/∂\(g)̂ = ∂J/∂\(g) ⊙ (1 − \(g)²)", fix: "\(g) is a σ gate: σ′ = \(g) ⊙ (1 − \(g))", cost: 2),
      ])
    }

    // The carries.
    add("direct-carry", "∂J/∂h^(t−1) ∋ ∂J/∂h^(t) ⊙ \(gate), the direct path", behind, [
      StepSlip(.notPropagated, wrong: "no direct term ∂J/∂h^(t) ⊙ \(gate)", fix: "h^(t−1) enters h^(t) directly", mistake: Self.directPathMissing(options.update)),
      StepSlip(.dropped, wrong: "the direct term ∂J/∂h^(t), without ⊙ \(gate)", fix: "∂h^(t)/∂h^(t−1) on the direct path is diag(\(gate))", cost: 2),
    ])
    add("candidate-carry", after ? "the carry through n: W_hnᵀ (∂J/∂n̂ ⊙ r)" : "the carry through n: (W_hnᵀ ∂J/∂n̂) ⊙ r", behind, [
      StepSlip(.dropped, wrong: "W_hnᵀ ∂J/∂n̂", fix: "h^(t−1) reaches n through r", mistake: Self.resetLeftOutOfCarry(options.reset)),
    ])
    add("gate-carry", "∂J/∂h^(t−1) ∋ W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + (the path through n)", behind, [
      StepSlip(.notPropagated, wrong: "∂J/∂h^(t−1) = ∂J/∂h^(t) ⊙ \(gate), the direct path alone", fix: "add the paths through r, z and n: W_hrᵀ ∂J/∂r̂ + W_hzᵀ ∂J/∂ẑ + …", cost: 2),
      StepSlip(.transposed, wrong: "W_hr ∂J/∂r̂ + W_hz ∂J/∂ẑ + W_hn …, each H × H block untransposed", fix: "h^(t−1) reaches the gates through W_h: the carry needs each block transposed", cost: 2),
    ])
    var bpttSlips: [StepSlip] = [
      StepSlip(.notPropagated, wrong: "only the step t of each J^(t)", fix: "carry ∂J/∂h^(t−1) back to the previous step", mistake: Self.onlyCurrentStep(options.update)),
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
          return "Your \(c.item.id) is truncated BPTT in chunks of k = \(k) steps, the state detached every \(k) steps (as truncated BPTT in PyTorch does): no gradient crosses from a chunk back into the one before, where full BPTT was asked."
        }, cost: 1.5))
    }
    add("bptt", "∂J/∂h^(i) = Σ_{t ≥ i} ∂J^(t)/∂h^(i) (every later loss term: full BPTT)", behind, bpttSlips)
    add("dh0", "∂J/∂h^(0) = the carry out of step 1", ["dh0"], [
      StepSlip(.step(1), wrong: "∂J/∂h^(1) (the last ∂J/∂h of the backward loop)", fix: "take one more step back, through step 1's gates and its direct path", cost: 2),
    ])

    // The sums.
    func assigned(_ first: String, _ last: String) -> [StepSlip] {
      [StepSlip(.assigned(.backward), wrong: "only the t = 1 term \(first) (`=` where `+=` belongs, in the backward loop)", fix: "accumulate every step's term with +=", cost: 2),
       StepSlip(.assigned(.forward), wrong: "only the t = T term \(last) (`=` where `+=` belongs, in a forward loop)", fix: "accumulate every step's term with +=", cost: 2)]
    }
    add("recurrent-weight", "∂J/∂W_h = Σ_t ∂J/∂ah^(t) h^(t−1)ᵀ", ["dW_h"], [
      StepSlip(.transposed, wrong: "h^(t−1) ∂J/∂ah^(t)ᵀ in each gate block", fix: "each block is ∂J/∂ah^(t) ⊗ h^(t−1)", mistake: .gateBlocksTransposed("r, z, n", adjoint: "ah")),
    ] + assigned("∂J/∂ah^(1) h^(0)ᵀ", "∂J/∂ah^(T) h^(T−1)ᵀ"))
    add("input-weight", "∂J/∂W_x = Σ_t ∂J/∂ax^(t) e^(t)ᵀ", ["dW_x"], assigned("∂J/∂ax^(1) e^(1)ᵀ", "∂J/∂ax^(T) e^(T)ᵀ"))
    add("input-bias", "∂J/∂b_x = Σ_t ∂J/∂ax^(t)", ["db_x"], assigned("∂J/∂ax^(1)", "∂J/∂ax^(T)"))
    add("hidden-bias", "∂J/∂b_h = Σ_t ∂J/∂ah^(t)", ["db_h"], (after ? [
      StepSlip(.dropped, wrong: "∂J/∂b_hn = Σ_t ∂J/∂n̂", fix: "b_hn sits inside r ⊙ (…)", mistake: Self.resetBiasWithoutGate),
    ] : []) + assigned("∂J/∂ah^(1)", "∂J/∂ah^(T)"))
    add("output-weight", "∂J/∂U = \(w)Σ_t δ1^(t) h^(t)ᵀ", ["dU"], [
      StepSlip(.step(-1), wrong: "\(w)Σ_t δ1^(t) h^(t−1)ᵀ", fix: "U multiplies h^(t)", cost: 2),
    ] + assigned("\(w)δ1^(1) h^(1)ᵀ", "\(w)δ1^(T) h^(T)ᵀ"))
    add("output-bias", "∂J/∂b_2 = \(w)Σ_t δ1^(t)", ["db_2"], assigned("\(w)δ1^(1)", "\(w)δ1^(T)"))
    add("embedding", "∂J/∂E[:, x^(t)] += W_xᵀ ∂J/∂ax^(t) for every t", ["dE"], [
      StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(t) assigned (=) in the backward loop", fix: "a repeated word sums every occurrence (+=)", mistake: Self.embeddingAssigned),
      StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(t) assigned (=) in a forward loop, so a repeated word keeps its last occurrence only", fix: "a repeated word sums every occurrence (+=)", cost: 2),
    ])
    add("convention", "the column form: each gradient has the shape of its variable", GatedItems.nonSquare(items), [
      StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose (.T), do not reshape", mistake: .rowColumnSwapped),
    ])
    add("update", "the gradient itself, unclipped", Self.parameterGradients, [
      StepSlip(.clipped, effect: .clipFit, wrong: "the gradient clipped", fix: "clip (if at all) in the update, after grading", mistake: .gradientClipped),
    ])

    let model = self
    return Derivation(steps: steps, prepare: { inputs in
      GRUSlipEvaluation(model.parameters(inputs), tokens: model.tokens(inputs), options: model.options)
    })
  }
}
