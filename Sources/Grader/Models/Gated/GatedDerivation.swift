import BPTTReference
import Jacobians

/// The steps both gated models' derivations declare in the same words (`LSTMDerivation`,
/// `GRUDerivation` add their cell's between them, in their own order); `GatedSlips` gives the
/// switch of each:
///
/// ```
/// step             the notes                                     slips
/// h0               h^(0) = h0 (when given)                       zero
/// theta            ŷ^(t) = softmax(U h^(t) + b_2)                b_2 left out
/// target           y^(t) = onehot(x^(t+1))                       x^(t)
/// loss             J = (1/T) Σ_t J^(t)                           ×T, ×1/T (or 1/T on a sum), only J^(T), only J^(1)
/// delta1           δ1^(t) = ŷ^(t) − y^(t)                        sign flipped, diagonal softmax
/// output-error     each wₜ Uᵀ δ1^(t) enters ∂J/∂h^(t) once      re-added at every later step
/// gates-local      σ′(a) = y ⊙ (1 − y) for every σ gate          1 − y² for all of them
/// <σ gate>-local   σ′ of one gate                                y, dropped, 1 − y²
/// bptt             every later loss term reaches step i          the carries cut, window k, chunks k
/// <a sum>          Σ_t of a step's term                          = for += (backward | forward loop)
/// output-weight    ∂J/∂U = Σ_t wₜ δ1^(t) h^(t)ᵀ                  h^(t−1), = for +=
/// output-bias      ∂J/∂b_2 = Σ_t wₜ δ1^(t)                       = for +=
/// embedding        dE[:, x^(t)] += W_xᵀ ∂J/∂ax^(t)               = for += (backward | forward loop)
/// convention       the column form                               the transpose reshaped (non-square items)
/// update           the gradient itself                           clipped (fitted)
/// ```
struct GatedDerivation {
  let all: Set<String>
  let T: Int
  let mean: Bool
  /// "(1/T) " for the mean, "" for the sum.
  let w: String
  private(set) var steps: [DerivationStep] = []

  init(items: [ModelQuantity], reduction: LossReduction, steps T: Int) {
    all = Set(items.map(\.name))
    self.T = T
    mean = reduction == .mean
    w = mean ? "(1/T) " : ""
  }

  /// Adds the step with the items of `items` the model has, unless it has none or no slip.
  mutating func add(_ id: String, _ formula: String, _ items: Set<String>, _ slips: [StepSlip]) {
    let items = items.intersection(all)
    guard !items.isEmpty, !slips.isEmpty else { return }
    steps.append(DerivationStep(id, formula, items: items, slips: slips))
  }

  // MARK: Forward

  /// h^(0) (or the LSTM's c^(0), `name` c0, `what` "cell") as given.
  mutating func initialState(_ name: String = "h0", _ symbol: String = "h", what: String = "state", start: String = "the recurrence") {
    add(name, "\(symbol)^(0) = \(name) (the given initial \(what))", all, [
      StepSlip(.zero, wrong: "\(symbol)^(0) = 0", fix: "start \(start) from the given \(name) (the assignment gives it, and asks for ∂J/∂\(symbol)^(0) at it)", cost: 2),
    ])
  }

  mutating func logits() {
    add("theta", "ŷ^(t) = softmax(U h^(t) + b_2)", all, [
      StepSlip(.zero, wrong: "ŷ^(t) = softmax(U h^(t)) without b_2", fix: "keep b_2 in the logits", cost: 2.5),
    ])
  }

  /// The target and the loss's reduction.
  mutating func targetAndLoss() {
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
  }

  // MARK: Backward

  /// δ1^(t), and the output terms entering the recursion (which reaches `behind`).
  mutating func outputError(behind: Set<String>) {
    add("delta1", "δ1^(t) = ŷ^(t) − y^(t)", all.subtracting(["loss"]), [
      StepSlip(.signFlipped, wrong: "δ1^(t) = y^(t) − ŷ^(t)", fix: "the gradient of the cross entropy is ŷ − y", mistake: .signFlipped),
      StepSlip(.diagonalOnly, wrong: "δ1^(t) = (ŷ_l − 1) e_l from diag(ŷ ⊙ (1 − ŷ))", fix: "the softmax Jacobian is diag(ŷ) − ŷŷᵀ", cost: 2),
    ])
    add("output-error", "∂J/∂h^(t) receives the output term \(w)Uᵀ δ1^(t) of step t once", behind, [
      StepSlip(.recounted, wrong: "the output terms re-added for every later t", fix: "run the backward recursion once", cost: 2),
    ])
  }

  /// σ′ of the σ gates `gates`: all at once (`tanhDerivativeForGates`), then one at a time,
  /// ∂J/∂`preActivation(g)` = ∂J/∂g ⊙ g ⊙ (1 − g); `argument(g)` is what σ′ is written of in a
  /// fix ("(a_i)" or "").
  mutating func sigmoidGates(_ gates: [String], behind: Set<String>, mistake: MistakeKind, preActivation: (String) -> String, argument: (String) -> String) {
    add("gates-local", "σ′(a) = y ⊙ (1 − y) for the σ gates \(gates.joined(separator: ", "))", behind, [
      StepSlip(.derivative(.tanh), wrong: "1 − y² for the σ gates", fix: "σ′ = y ⊙ (1 − y)", mistake: mistake),
    ])
    for g in gates {
      let a = preActivation(g)
      add("\(g)-local", "∂J/∂\(a) = ∂J/∂\(g) ⊙ \(g) ⊙ (1 − \(g))", behind, [
        StepSlip(.activationForDerivative, wrong: "∂J/∂\(a) = ∂J/∂\(g) ⊙ \(g)", fix: "use the derivative σ′\(argument(g)) = \(g) ⊙ (1 − \(g))", cost: 2),
        StepSlip(.dropped, wrong: "∂J/∂\(a) = ∂J/∂\(g)", fix: "\(g) = σ(\(a)) is a step of the chain: multiply by \(g) ⊙ (1 − \(g))", cost: 2),
        StepSlip(.derivative(.tanh), wrong: "∂J/∂\(a) = ∂J/∂\(g) ⊙ (1 − \(g)²)", fix: "\(g) is a σ gate: σ′ = \(g) ⊙ (1 − \(g))", cost: 2),
      ])
    }
  }

  /// Full BPTT and its truncations: `notPropagated` (every carry cut), and for full BPTT a
  /// window or chunks of k = 2 … T − 1 steps; `state` names what chunks detach ("(h, c) ").
  mutating func bptt(_ formula: String, behind: Set<String>, truncation: Truncation, notPropagated: StepSlip, state: String) {
    var slips = [notPropagated]
    if truncation.isFull(forSteps: T) && T > 2 {
      slips.append(StepSlip(.truncated(.window), parameters: Array(2..<T),
        wrong: { _, k in "a window of \(k ?? 0) steps: each J^(t) carried back to the steps t−\((k ?? 1) - 1) … t only" },
        fix: { _, _ in "full BPTT carries every J^(t) back to step 1" }, mistake: .gatedTruncated))
      slips.append(StepSlip(.truncated(.chunks), parameters: Array(2..<T),
        wrong: { _, k in "no gradient across the boundaries of chunks of \(k ?? 0) steps" },
        fix: { _, _ in "full BPTT lets the gradient cross every step" },
        sentence: { c, v in
          let k = Int(v?.parameter ?? 0)
          return "Your \(c.item.id) is truncated BPTT in chunks of k = \(k) steps, the state \(state)detached every \(k) steps (as truncated BPTT in PyTorch does): no gradient crosses from a chunk back into the one before, where full BPTT was asked."
        }, cost: 1.5))
    }
    add("bptt", formula, behind, slips)
  }

  // MARK: The sums

  /// A sum over t assigned (=) instead of accumulated, in the backward or in a forward loop.
  static func assigned(first: String, last: String) -> [StepSlip] {
    [StepSlip(.assigned(.backward), wrong: "only the t = 1 term \(first) (`=` where `+=` belongs, in the backward loop)", fix: "accumulate every step's term with +=", cost: 2),
     StepSlip(.assigned(.forward), wrong: "only the t = T term \(last) (`=` where `+=` belongs, in a forward loop)", fix: "accumulate every step's term with +=", cost: 2)]
  }

  /// The sum `id` of `item` (`formula`), its t = 1 and t = T terms named for the assignments,
  /// after the step's own `slips`.
  mutating func sum(_ id: String, _ item: String, _ formula: String, first: String, last: String, _ slips: [StepSlip] = []) {
    add(id, formula, [item], slips + Self.assigned(first: first, last: last))
  }

  /// ∂J/∂W_x = Σ_t ∂J/∂`adjoint`^(t) e^(t)ᵀ.
  mutating func inputWeight(adjoint a: String) {
    sum("input-weight", "dW_x", "∂J/∂W_x = Σ_t ∂J/∂\(a)^(t) e^(t)ᵀ", first: "∂J/∂\(a)^(1) e^(1)ᵀ", last: "∂J/∂\(a)^(T) e^(T)ᵀ")
  }

  /// ∂J/∂U and ∂J/∂b_2.
  mutating func outputSums() {
    add("output-weight", "∂J/∂U = \(w)Σ_t δ1^(t) h^(t)ᵀ", ["dU"], [
      StepSlip(.step(-1), wrong: "\(w)Σ_t δ1^(t) h^(t−1)ᵀ", fix: "U multiplies h^(t)", cost: 2),
    ] + Self.assigned(first: "\(w)δ1^(1) h^(1)ᵀ", last: "\(w)δ1^(T) h^(T)ᵀ"))
    add("output-bias", "∂J/∂b_2 = \(w)Σ_t δ1^(t)", ["db_2"], Self.assigned(first: "\(w)δ1^(1)", last: "\(w)δ1^(T)"))
  }

  /// dE[:, x^(t)] += W_xᵀ ∂J/∂`adjoint`^(t); `assigned` is the cell's `embedding-assigned`.
  mutating func embedding(adjoint: String, assigned: MistakeKind) {
    add("embedding", "∂J/∂E[:, x^(t)] += W_xᵀ ∂J/∂\(adjoint)^(t) for every t", ["dE"], [
      StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(t) assigned (=) in the backward loop", fix: "a repeated word sums every occurrence (+=)", mistake: assigned),
      StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(t) assigned (=) in a forward loop, so a repeated word keeps its last occurrence only", fix: "a repeated word sums every occurrence (+=)", cost: 2),
    ])
  }

  // MARK: After the derivation

  mutating func afterDerivation(items: [ModelQuantity], parameterGradients: Set<String>) {
    add("convention", "the column form: each gradient has the shape of its variable", GatedItems.nonSquare(items), [
      StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose (.T), do not reshape", mistake: .rowColumnSwapped),
    ])
    add("update", "the gradient itself, unclipped", parameterGradients, [
      StepSlip(.clipped, effect: .clipFit, wrong: "the gradient clipped", fix: "clip (if at all) in the update, after grading", mistake: .gradientClipped),
    ])
  }
}
