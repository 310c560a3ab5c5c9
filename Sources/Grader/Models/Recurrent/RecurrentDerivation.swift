import BPTTReference
import Jacobians

/// The derivation of a recurrent model as the steps the diagnosis searches, in the model's
/// notation (J, W_h, U, b_1, b_2, W_e, E for the RNN-LM; E, W_hh, W_yh, b_h, b_y, W_xh for
/// min-char-rnn), and the slips each step admits.
///
/// ```
/// step               the notes                                  slips
/// h0                 h^(0) = h0                                 zero
/// z                  z^(t) = W_h h^(t−1) + W_e e^(t) + b_1      W_hᵀ for W_h; b_1 left out
/// h                  h^(t) = f(z^(t))                           another activation g (g′ follows)
/// theta              ŷ^(t) = softmax(U h^(t) + b_2)             b_2 left out
/// biases             both biases                                bias-omitted
/// target             y^(t) = onehot(x^(t+1))                    x^(t) (off by one)
/// loss               J = (1/T) Σ_t J^(t)                        ×T, ×1/T (mean-…), only J^(T), only J^(1)
/// delta1             δ1^(t) = ŷ^(t) − y^(t)                     sign-flipped, diagonal softmax, /T in δ1, δ2, terms
/// output-error       each δ1^(t) enters the recursion once      output-error-recounted
/// local              diag(f′(z^(t)))                            f, f′(z^(t±1)), g′(z), g′ in h, f′(h), dropped,
///                                                               applied to the output term only
/// carry              ∂J/∂h^(t−1) = W_hᵀ ∂J/∂z^(t)               W_h, dropped
/// bptt               ∂J/∂z^(i) = Σ_{t≥i} ∂J^(t)/∂z^(i)          only-current-step, window k, chunks k
/// dh0                ∂J/∂h^(0) = W_hᵀ ∂J/∂z^(1)                 ∂J/∂h^(1), ∂J/∂z^(1)
/// recurrent-weight   Σ_i ∂J/∂z^(i) h^(i−1)ᵀ                     h^(i), transposed, one term (= in a loop)
/// input-weight, hidden-bias, output-weight, output-bias         one term (= in a backward / forward loop);
///                                                               h^(t−1) in the output weight's
/// embedding, input-columns   column x^(i) += …                  = for += (backward: first occurrence
///                                                               survives; forward: last)
/// delta2             the step's own term                        ∂J/∂z^(t) with the carry
/// terms              the terms of J^(T)                         of every J^(t); running sums
/// convention         the column form                            row-column-swapped
/// update             the gradient itself                        gradient-clipped (fitted)
/// ```
/// Coincidences by mathematics (reported as ties, or avoided by declaration):
/// - truncation with k = 1 *is* the i = t term alone: the window family starts at k = 2, the
///   chunk family too (chunks(1) = window(1)); k ≥ T is full BPTT;
/// - ∂J/∂h^(0) keeps the loss terms t ≤ k under both truncations: on dh0 a window of k and
///   chunks of k are a tie;
/// - on a square item the row-form gradient reshaped is the transpose: `convention` applies
///   to non-square items only, `transposed` is reported;
/// - a uniform 1/T matches clipping by norm; the fitted clip is reported only when no exact
///   explanation of the same size fits.
extension RecurrentModel {
  var useBiases: Bool { options.useBiases }

  /// The model at `inputs` for the evaluation.
  /// The model at `inputs` for the evaluation, read by the names of `names` (the inputs are
  /// named as the notes name the parameters; min-char-rnn's one-hot input needs no E = I).
  func problem(_ inputs: [String: Tensor]) -> RecurrentProblem {
    let n = names
    let tokens = tokens(inputs)
    let T = tokens.count - 1
    let W_h = inputs[n.recurrentWeight]!.matrix, W_in = inputs[n.inputWeight]!.matrix
    let H = W_h.rows
    let E = n.embedding.map { inputs[$0]!.matrix }
    // The input term of z^(t): W_e e^(t), or min-char-rnn's column x^(t) of W_xh.
    var A = Matrix(rows: T, cols: H)
    for t in 0..<T {
      for j in 0..<H {
        if let E {
          var x = 0.0
          for k in 0..<E.rows { x += W_in.scalars[j * E.rows + k] * E.scalars[k * E.cols + tokens[t]] }
          A.scalars[t * H + j] = x
        } else {
          A.scalars[t * H + j] = W_in.scalars[j * W_in.cols + tokens[t]]
        }
      }
    }
    var roles: [String: RecurrentRole] = [:], shapes: [String: [Int]] = [:]
    for q in items { if let r = role(of: q.name) { roles[q.name] = r; shapes[q.name] = q.shape } }
    return RecurrentProblem(
      W_h: W_h, U: inputs[n.outputWeight]!.matrix, b_1: inputs[n.hiddenBias]!.matrix, b_2: inputs[n.outputBias]!.matrix,
      h0: initialState(inputs, hiddenSize: H), inputTerms: A, tokens: tokens, options: options,
      embedding: E.map { ($0, W_in) }, roles: roles, shapes: shapes, names: names)
  }

  /// The steps and slips of `RecurrentDerivation`'s table, and the evaluation.
  var recurrentDerivation: Derivation {
    let n = names
    let L = n.loss, W = n.recurrentWeight, U = n.outputWeight, b1 = n.hiddenBias, b2 = n.outputBias
    let mean = options.reduction == .mean
    let w = mean ? "(1/T) " : ""
    let f = ActivationSlips.symbol(options.activation)
    let T = self.T
    let all = Set(items.map(\.name))
    let recurrentItems = self.recurrentItems
    let terms = items { $0 == .recurrentWeightTerms }
    let perStep = items { $0 == .delta1 || $0 == .delta2 || $0 == .recurrentWeightTerms }
    let role = { (item: String) in self.role(of: item) }
    let derivative = "\(f)′(z^(t))"

    var steps: [DerivationStep] = []
    func add(_ id: String, _ formula: String, _ items: Set<String>, _ slips: [StepSlip]) {
      guard !items.isEmpty, !slips.isEmpty else { return }
      steps.append(DerivationStep(id, formula, items: items, slips: slips))
    }

    // Forward.
    if initialState == .given {
      add("h0", "h^(0) = h0 (the given initial state)", all, [
        StepSlip(.zero, wrong: "h^(0) = 0", fix: "start the recurrence from the given h0 (the assignment gives it, and asks for ∂\(L)/∂h^(0) at it)", cost: 2),
      ])
    }
    add("z", "z^(t) = \(W) h^(t−1) + \(n.inputTerm)\(useBiases ? " + \(b1)" : "")", all, [
      StepSlip(.transposed, wrong: "z^(t) = \(W)ᵀ h^(t−1) + …", fix: "the forward pass multiplies h^(t−1) by \(W) itself", cost: 3),
    ] + (useBiases ? [StepSlip(.zero, wrong: "z^(t) without \(b1)", fix: "keep \(b1) in z^(t)", cost: 2.5)] : []))
    add("h", "h^(t) = \(f)(z^(t))", all, ActivationSlips.forward(options.activation, z: "z^(t)", h: "h^(t)", fix: "the assignment's network uses \(f)"))
    if useBiases {
      add("theta", "ŷ^(t) = softmax(\(U) h^(t) + \(b2))", all, [
        StepSlip(.zero, wrong: "ŷ^(t) = softmax(\(U) h^(t)) without \(b2)", fix: "keep \(b2) in the logits", cost: 2.5),
      ])
      add("biases", "z^(t) = … + \(b1) and ŷ^(t) = softmax(\(U) h^(t) + \(b2))", all, [
        StepSlip(.zero, wrong: "the forward pass without \(b1) and \(b2)", fix: "keep both biases in the forward pass", mistake: .biasOmitted),
      ])
    }
    add("target", "y^(t) = the one-hot vector of x^(t+1), the next token", all, [
      StepSlip(.step(-1), wrong: "y^(t) = the one-hot vector of x^(t), the current input", fix: "step t predicts the next token x^(t+1)", cost: 2),
    ])

    // The loss and its scale.
    let reduced = items { $0.isGradient || $0 == .loss }
    var lossSlips: [StepSlip] = mean
      ? [StepSlip(.scale, effect: .scale(Double(T)), wrong: "no 1/T", fix: "every gradient of the mean carries 1/T", mistake: .meanMissing),
         StepSlip(.scale, effect: .scale(1 / Double(T)), wrong: "1/T applied twice", fix: "divide by T once", mistake: .meanTwice)]
      : [StepSlip(.scale, effect: .scale(1 / Double(T)), wrong: "1/T", fix: "the loss is a sum", mistake: .meanOnSum)]
    lossSlips += [
      StepSlip(.lastTerm, wrong: "\(L) = \(w)\(L)^(T), the last loss term alone", fix: "\(L) sums every \(L)^(t), so each gradient collects all T loss terms", cost: 2),
      StepSlip(.firstTerm, wrong: "\(L) = \(w)\(L)^(1), the first loss term alone", fix: "\(L) sums every \(L)^(t), so each gradient collects all T loss terms", cost: 2.5),
    ]
    // Two scale slips share the `.scale` kind: tell them apart by step-local ids.
    add("loss", mean ? "\(L) = (1/T) Σ_t \(L)^(t)" : "\(L) = Σ_t \(L)^(t)", reduced, lossSlips)

    // Backward.
    var delta1Slips: [StepSlip] = [
      StepSlip(.signFlipped, wrong: "δ1^(t) = y^(t) − ŷ^(t)", fix: "the gradient of the cross entropy is ŷ − y", mistake: .signFlipped),
      StepSlip(.diagonalOnly, wrong: "δ1^(t) = (ŷ_l − 1) e_l from diag(ŷ ⊙ (1 − ŷ))", fix: "the softmax Jacobian is diag(ŷ) − ŷŷᵀ", mistake: .diagonalSoftmaxJacobian),
    ]
    if mean {
      delta1Slips.append(StepSlip(.scale, effect: .scale(1 / Double(T)), items: perStep,
        wrong: "δ1^(t)/T", fix: "the per-step signals are each step's own loss term, not divided by T (the 1/T of the mean belongs to the parameter gradients)", cost: 2))
    }
    add("delta1", "δ1^(t) = ŷ^(t) − y^(t)", items { $0.isGradient || $0 == .delta1 || $0 == .delta2 || $0 == .recurrentWeightTerms }, delta1Slips)
    add("output-error", "∂\(L)/∂h^(t) receives the output term \(w)\(U)ᵀ δ1^(t) of step t once", recurrentItems, [
      StepSlip(.recounted, wrong: "the output terms re-added for every later t", fix: "run the δ recursion once", mistake: .outputErrorRecounted),
    ])

    let behindActivation = self.behindActivation
    var localSlips = ActivationSlips.local(options.activation, z: "z^(t)", h: "h^(t)", dropped: "no diag(\(derivative)): ∂\(L)/∂z^(t) = ∂\(L)/∂h^(t)")
    localSlips.insert(contentsOf: [
      StepSlip(.step(1), wrong: "diag(\(f)′(z^(t+1)))", fix: "index z by the step of the δ", mistake: .derivativeAtNextStep),
      StepSlip(.step(-1), wrong: "diag(\(f)′(z^(t−1)))", fix: "step t's Jacobian is diag(\(derivative)): index z by the step of the δ", cost: 2),
      StepSlip(.factorOnOwnTerm, items: recurrentItems.union(terms),
        wrong: "diag(\(derivative)) applied to the output term \(w)\(U)ᵀ δ1^(t) alone, the carry \(W)ᵀ ∂\(L)/∂z^(t+1) added after it",
        fix: "the carry is part of ∂\(L)/∂h^(t): add it first, then multiply by \(derivative)", cost: 2),
    ], at: 1)
    add("local", "∂h^(t)/∂z^(t) = diag(\(derivative))", behindActivation, localSlips)

    add("carry", "∂\(L)/∂h^(t−1) = \(W)ᵀ ∂\(L)/∂z^(t)", recurrentItems.union(terms), [
      StepSlip(.transposed, wrong: "∂\(L)/∂h^(t−1) = \(W) ∂\(L)/∂z^(t)", fix: "the carry needs \(W)ᵀ", cost: 1.5),
      StepSlip(.dropped, wrong: "∂\(L)/∂h^(t−1) = ∂\(L)/∂z^(t)", fix: "h^(t−1) reaches z^(t) through \(W): the carry is \(W)ᵀ ∂\(L)/∂z^(t)", cost: 2),
    ])

    var bpttSlips: [StepSlip] = [
      StepSlip(.notPropagated, wrong: { _, _ in "only the i = t term" }, fix: { _, _ in "carry ∂\(L)/∂h^(t−1) back" }, mistake: MistakeKind.onlyCurrentStep.describing { c, v in
        switch role(c.item.id) {
        case .recurrentWeight?:
          return "Your \(c.item.id) equals only the i = t term of Σ_i ∂\(L)^(t)/∂\(W)|_(i): \(W) is used at every step, so its gradient sums over all of them."
        case .recurrentWeightTerms?:
          return "Your \(c.item.id) holds only the i = T term ∂\(L)^(T)/∂\(W)|_(T); the terms i < T, which reach step i through ∂\(L)^(T)/∂h^(i), are zero: the carry ∂\(L)/∂h was never propagated to the previous step."
        default:
          return MistakeKind.onlyCurrentStep.describe(c, v)
        }
      }),
    ]
    if options.truncation.isFull(forSteps: T) && T > 2 {
      bpttSlips.append(StepSlip(.truncated(.window), parameters: Array(2..<T),
        wrong: { _, k in "a window of \(k ?? 0) steps: each \(L)^(t) back-propagated to the steps i = t−\((k ?? 1) - 1) … t only" },
        fix: { _, _ in "full BPTT keeps every i = 1 … t" },
        mistake: MistakeKind(
          id: MistakeKind.truncated.id, name: MistakeKind.truncated.name,
          hint: "Full BPTT was asked: carry ∂\(L)/∂h^(t−1) back through every step, so that each \(L)^(t) reaches every i = 1 … t, not only the last k.",
          describe: { c, v in Self.windowMessage(c, k: Int(v?.parameter ?? 0), role: role(c.item.id), names: n) })))
      bpttSlips.append(StepSlip(.truncated(.chunks), parameters: Array(2..<T),
        wrong: { _, k in "no gradient across the boundaries of chunks of \(k ?? 0) steps" },
        fix: { _, _ in "full BPTT lets the gradient cross every step" },
        sentence: { c, v in Self.chunkMessage(c, k: Int(v?.parameter ?? 0), role: role(c.item.id), names: n) }, cost: 1.5))
    }
    add("bptt", "∂\(L)/∂z^(i) = Σ_{t ≥ i} ∂\(L)^(t)/∂z^(i) (every later loss term: full BPTT)", truncatableItems, bpttSlips)

    add("dh0", "∂\(L)/∂h^(0) = \(W)ᵀ ∂\(L)/∂z^(1)", items { $0 == .initialState }, [
      StepSlip(.step(1), wrong: "∂\(L)/∂h^(1) (the last ∂\(L)/∂h of the backward loop)", fix: "take one more step back: ∂\(L)/∂h^(0) = \(W)ᵀ ∂\(L)/∂z^(1)", cost: 2),
      StepSlip(.dropped, wrong: "∂\(L)/∂z^(1)", fix: "h^(0) reaches z^(1) through \(W): multiply by \(W)ᵀ", cost: 2),
    ])

    // The sums that form the parameter gradients.
    func assigned(_ sum: String, _ symbol: String, first: String, last: String) -> [StepSlip] {
      [StepSlip(.assigned(.backward), wrong: "only the \(symbol) = 1 term \(first) (`=` where `+=` belongs, in the backward loop)", fix: "accumulate every step's term with +=", cost: 2),
       StepSlip(.assigned(.forward), wrong: "only the \(symbol) = T term \(last) (`=` where `+=` belongs, in a forward loop)", fix: "accumulate every step's term with +=", cost: 2)]
    }
    let recurrentWeight = items { $0 == .recurrentWeight }
    add("recurrent-weight", "∂\(L)/∂\(W) = Σ_i ∂\(L)/∂z^(i) h^(i−1)ᵀ", recurrentWeightItems, [
      StepSlip(.step(1), wrong: "∂\(L)/∂z^(i) h^(i)ᵀ", fix: "\(W) multiplies h^(i−1)", mistake: .currentStateInOuterProduct),
      StepSlip(.transposed, effect: .transposeSlices, wrong: "h^(i−1) ∂\(L)/∂z^(i)ᵀ", fix: "the outer product is ∂\(L)/∂z^(i) ⊗ h^(i−1)", mistake: MistakeKind.transposed.describing { c, _ in
        c.item.shape.count == 3
          ? "Your \(c.item.id) holds the transpose of every slice ∂J^(T)/∂\(c.recurrentWeight)|_(i): the outer product is ∂J/∂z^(i) ⊗ h^(i−1), not h^(i−1) ⊗ ∂J/∂z^(i)."
          : "Your \(c.item.id) is the transpose of the expected one: each term is ∂\(c.loss)/∂z^(i) ⊗ h^(i−1) (δ hᵀ), not h δᵀ."
      }),
    ] + assigned("W", "i", first: "∂\(L)/∂z^(1) h^(0)ᵀ", last: "∂\(L)/∂z^(T) h^(T−1)ᵀ").map { var s = $0; s.items = recurrentWeight; return s })
    if !names.oneHotInput {
      add("input-weight", "∂\(L)/∂\(n.inputWeight) = Σ_i ∂\(L)/∂z^(i) e^(i)ᵀ", items { $0 == .inputWeight },
          assigned("We", "i", first: "∂\(L)/∂z^(1) e^(1)ᵀ", last: "∂\(L)/∂z^(T) e^(T)ᵀ"))
      add("embedding", "∂\(L)/∂\(n.embedding ?? "E")[:, x^(i)] += \(n.inputWeight)ᵀ ∂\(L)/∂z^(i) for every i", items { $0 == .embedding }, [
        StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(i) assigned (=) in the backward loop", fix: "a repeated word sums every occurrence (+=)", mistake: .embeddingAssigned),
        StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(i) assigned (=) in a forward loop, so a repeated word keeps its last occurrence only", fix: "a repeated word sums every occurrence (+=)", cost: 2),
      ])
    } else {
      add("input-columns", "∂\(L)/∂\(n.inputWeight) = Σ_i ∂\(L)/∂z^(i) x^(i)ᵀ: column x^(i) += ∂\(L)/∂z^(i)", items { $0 == .inputColumns }, [
        StepSlip(.scatterAssigned(.backward), wrong: "the column of x^(i) assigned (=) in the backward loop", fix: "a repeated character sums every occurrence (+=)", mistake: .embeddingAssigned),
        StepSlip(.scatterAssigned(.forward), wrong: "the column of x^(i) assigned (=) in a forward loop, so a repeated character keeps its last occurrence only", fix: "a repeated character sums every occurrence (+=)", cost: 2),
      ] + assigned("Wx", "i", first: "∂\(L)/∂z^(1) x^(1)ᵀ", last: "∂\(L)/∂z^(T) x^(T)ᵀ"))
    }
    if useBiases {
      add("hidden-bias", "∂\(L)/∂\(b1) = Σ_i ∂\(L)/∂z^(i)", items { $0 == .hiddenBias }, assigned("b1", "i", first: "∂\(L)/∂z^(1)", last: "∂\(L)/∂z^(T)"))
    }
    add("output-weight", "∂\(L)/∂\(U) = \(w)Σ_t δ1^(t) h^(t)ᵀ", items { $0 == .outputWeight }, [
      StepSlip(.step(-1), wrong: "\(w)Σ_t δ1^(t) h^(t−1)ᵀ", fix: "\(U) multiplies h^(t)", cost: 2),
    ] + assigned("U", "t", first: "\(w)δ1^(1) h^(1)ᵀ", last: "\(w)δ1^(T) h^(T)ᵀ"))
    if useBiases {
      add("output-bias", "∂\(L)/∂\(b2) = \(w)Σ_t δ1^(t)", items { $0 == .outputBias }, assigned("b2", "t", first: "\(w)δ1^(1)", last: "\(w)δ1^(T)"))
    }
    add("delta2", "δ2^(t) = (\(U)ᵀ δ1^(t)) ⊙ \(derivative), the step's own loss term only", items { $0 == .delta2 }, [
      StepSlip(.extraTerm, wrong: "∂\(L)/∂z^(t), with the carry of every later step\(mean ? " and the 1/T" : "")", fix: "δ2^(t) is step t's own term (\(U)ᵀ δ1^(t)) ⊙ \(derivative)", cost: 2),
    ])
    add("terms", "∂\(L)^(T)/∂\(W)|_(i) = ∂\(L)^(T)/∂z^(i) h^(i−1)ᵀ, for the last loss term \(L)^(T) alone", terms, [
      StepSlip(.extraTerm, wrong: "∂\(L)/∂z^(i) h^(i−1)ᵀ, the terms of every loss term\(mean ? " (with the 1/T)" : "")", fix: "the terms asked are those of \(L)^(T) alone", cost: 2),
      StepSlip(.cumulative, wrong: "the running sums Σ_{j ≥ i} ∂\(L)^(T)/∂\(W)|_(j)", fix: "report each term, not the running total", cost: 2),
    ])

    // After the derivation.
    add("convention", "the column form: each gradient has the shape of its parameter", Self.nonSquare(items), [
      StepSlip(.reshaped, effect: .reshapeTransposed, wrong: "the row form's transpose reshaped", fix: "transpose (.T), do not reshape", mistake: .rowColumnSwapped),
    ])
    if options.clipping == .none {
      add("update", "the gradient itself, unclipped", gradientItems, [
        StepSlip(.clipped, effect: .clipFit, wrong: "the gradient clipped", fix: "clip (if at all) in the update, after grading", mistake: clippingKind),
      ])
    }

    let model = self
    return Derivation(steps: steps, prepare: { inputs in RecurrentSlipEvaluation(model.problem(inputs)) })
  }

  /// The wording of clipping; min-char-rnn's model names its ±5.
  var clippingKind: MistakeKind { .gradientClipped }

  /// The 2-D items that are not square (where a reshape is not a transpose).
  static func nonSquare(_ items: [ModelQuantity]) -> Set<String> {
    Set(items.filter { $0.shape.count == 2 && $0.shape[0] != $0.shape[1] && $0.shape[0] > 1 && $0.shape[1] > 1 }.map(\.name))
  }

  // MARK: Truncation, in both counting conventions

  /// Truncation to a window of k steps: which terms were kept, in both conventions (k steps of
  /// the window, i.e. k − 1 steps back beyond the current one, as `bptt_truncate = k − 1`).
  static func windowMessage(_ c: MutantContext, k: Int, role: RecurrentRole?, names n: RecurrentNames) -> String {
    let L = n.loss, W = n.recurrentWeight
    let back = k - 1
    let range = "i = t−\(back) … t"
    let conventions = "(k = \(k) terms: a window of \(k) steps, or \(back) step\(back == 1 ? "" : "s") back beyond the current one as `bptt_truncate = \(back)` counts it)"
    switch role {
    case .recurrentWeight?:
      return "Your \(c.item.id) is truncated BPTT with k = \(k): each \(L)^(t) keeps only the terms \(range) of Σ_i ∂\(L)^(t)/∂\(W)|_(i) \(conventions), where full BPTT (i = 1 … t) was asked."
    case .recurrentWeightTerms?:
      return "Your \(c.item.id) is truncated BPTT with k = \(k): it holds only the terms i = T−\(back) … T of \(L)^(T) \(conventions); the terms i < T−\(back) are zero, where full BPTT keeps every i = 1 … T."
    case .initialState?:
      return "Your \(c.item.id) is truncated BPTT with k = \(k): ∂\(L)/∂h^(0) collects only the loss terms t = 1 … \(k), those whose kept terms \(range) reach step 1 \(conventions), where full BPTT collects every t."
    default:
      return "Your \(c.item.id) is truncated BPTT with k = \(k): each \(L)^(t) back-propagates only to the steps \(range) \(conventions), so ∂\(L)/∂z^(i) sums ∂\(L)^(t)/∂z^(i) over t = i … i+\(back) only, where full BPTT sums every t ≥ i."
    }
  }

  /// Truncation in chunks of k steps (the state detached every k steps).
  static func chunkMessage(_ c: MutantContext, k: Int, role: RecurrentRole?, names n: RecurrentNames) -> String {
    let L = n.loss, W = n.recurrentWeight
    let what: String
    switch role {
    case .recurrentWeight?: what = "each \(L)^(t) keeps only the terms ∂\(L)^(t)/∂\(W)|_(i) of its own chunk (i = 1 … \(k), \(k + 1) … \(2 * k), …)"
    case .recurrentWeightTerms?: what = "only the terms of \(L)^(T) in the last chunk are there"
    case .initialState?: what = "∂\(L)/∂h^(0) collects only the loss terms t = 1 … \(k) of the first chunk"
    default: what = "∂\(L)/∂z^(i) sums ∂\(L)^(t)/∂z^(i) only over the t of the chunk of i"
    }
    return "Your \(c.item.id) is truncated BPTT in chunks of k = \(k) steps, the hidden state detached every \(k) steps (as truncated BPTT in PyTorch does): no gradient crosses from a chunk back into the one before, so \(what), where full BPTT was asked."
  }
}
