import BPTTReference
import Jacobians

/// The catalogue of known mistakes, in the order they are tried: the first mutant a failing
/// answer matches is the one reported.
///
/// ```
/// id                              applies to (rnn-lm names; canonical in brackets)
/// transposed                      dW_h, dW_h_terms [dW_hh]       square, non-symmetric items
/// row-column-swapped              every non-square matrix item   row-form gradient reshaped
/// sign-flipped                    every RNN gradient, delta1/2, dW_h_terms; dCE_dtheta, dL_dW_cls
/// activation-for-derivative       items behind ∂h/∂z; dh_dz … ds_dx, the window items
/// derivative-at-next-step         RNN items behind ∂h/∂z
/// diagonal-softmax-jacobian       every RNN gradient, delta1/2, dW_h_terms; softmax_jacobian, dCE_dtheta, dL_dW_cls
/// mean-missing, mean-applied-twice  loss and gradients of a mean loss (rnn-bptt)
/// mean-on-sum                     loss and gradients of a summed loss (rnn-canonical)
/// only-current-step               items behind the recurrence: dW_h, dW_e, db_1, dE, dh0, dW_h_terms
/// truncated-bptt (k = 2 … T−1)    the same
/// current-state-in-outer-product  dW_h, dW_h_terms [dW_hh]
/// output-error-recounted          dW_h, dW_e, db_1, dE, dh0
/// embedding-assigned              dE [dW_xh]
/// bias-omitted                    every RNN item; the scoring and window items
/// gradient-clipped                RNN gradients (fitted: clamped at c, or scaled by 0 < α < 1)
/// regularization-missing, l2-factor   dL_dW_cls
/// max-routed-wrong, branches-not-summed  graph_grad
/// chain-rule-one-path             dz_dt
/// ```
/// Coincidences by mathematics, and which id is reported:
/// - On a square item the row-form gradient reshaped *is* the transpose: `row-column-swapped`
///   applies only to non-square items, so `transposed` is reported.
/// - Truncation to k = 1 step *is* "only the i = t term": `truncated-bptt` covers k = 2 … T−1, so
///   `only-current-step` is reported for k = 1 (k ≥ T is full BPTT, the correct answer).
/// - A uniform scale 1/T matches both the misplaced 1/T and clipping by norm: the mean mutants
///   come first, so `mean-applied-twice` (rnn-bptt) or `mean-on-sum` (rnn-canonical) is reported.
/// - `transposed` does not apply to dh_dz (diagonal) or softmax_jacobian (symmetric): there the
///   transpose is the correct answer.
public struct MistakeCatalogue {
  public var mutants: [Mutant]

  public init(mutants: [Mutant]) { self.mutants = mutants }

  /// Every mutant that applies to `item` of `assignment`, in catalogue order.
  public func mutants(for assignment: Assignment, item: String) -> [Mutant] {
    mutants.filter { $0.applies(to: assignment, item: item) }
  }

  public func mutant(_ id: String) -> Mutant? { mutants.first { $0.id == id } }

  /// The catalogue the grader uses.
  public static let standard = MistakeCatalogue(mutants: [
    transposed, rowColumnSwapped, signFlipped, activationForDerivative, derivativeAtNextStep,
    diagonalSoftmaxJacobian, meanMissing, meanTwice, meanOnSum, onlyCurrentStep, truncated,
    currentStateInOuterProduct, outputErrorRecounted, embeddingAssigned, biasOmitted,
    regularizationMissing, l2Factor, maxRoutedWrong, branchesNotSummed, chainRuleOnePath,
    gradientClipped,
  ])
}

// MARK: - Which items

/// The item groups the mutants apply to, by reference model.
enum DiagnosisItems {
  static func isRNN(_ a: Assignment) -> Bool { a.model.reference != .backpropBasics }

  /// ∂J/∂θ for every parameter θ.
  static func gradients(_ a: Assignment) -> Set<String> {
    switch a.model.reference {
    case .rnnLM: return ["dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0"]
    case .rnnCanonical: return ["dW_xh", "dW_hh", "dW_yh", "db_h", "db_y", "dh0"]
    case .backpropBasics: return []
    }
  }

  /// The gradients that flow through ∂J/∂z^(t), the recurrence.
  static func recurrent(_ a: Assignment) -> Set<String> {
    switch a.model.reference {
    case .rnnLM: return ["dW_h", "dW_e", "db_1", "dE", "dh0"]
    case .rnnCanonical: return ["dW_xh", "dW_hh", "db_h", "dh0"]
    case .backpropBasics: return []
    }
  }

  /// The recurrent weight's gradient (and its per-step terms).
  static func recurrentWeight(_ a: Assignment) -> Set<String> {
    switch a.model.reference {
    case .rnnLM: return ["dW_h", "dW_h_terms"]
    case .rnnCanonical: return ["dW_hh"]
    case .backpropBasics: return []
    }
  }

  /// Items behind diag(f′(z)) in an RNN.
  static func behindActivation(_ a: Assignment) -> Set<String> {
    a.model.reference == .rnnLM ? recurrent(a).union(["delta2", "dW_h_terms"]) : recurrent(a)
  }

  /// Items behind δ1 = ŷ − y in an RNN.
  static func behindOutput(_ a: Assignment) -> Set<String> {
    a.model.reference == .rnnLM ? gradients(a).union(["delta1", "delta2", "dW_h_terms"]) : gradients(a)
  }

  /// Items whose value is scaled by the 1/T of the mean (or the 1 of the sum).
  static func reduced(_ a: Assignment) -> Set<String> { gradients(a).union(["loss"]) }

  /// Items through the recurrence that truncation changes.
  static func truncatable(_ a: Assignment) -> Set<String> {
    a.model.reference == .rnnLM ? recurrent(a).union(["dW_h_terms"]) : recurrent(a)
  }

  static func isSquare(_ shape: [Int]) -> Bool {
    shape.count >= 2 && shape[shape.count - 1] == shape[shape.count - 2] && shape[shape.count - 1] > 1
  }
}

// MARK: - Values of the RNN mutants

enum RNNMutantValues {
  /// The item's value from `MutantRNN` with `mistakes` (and the truncation, when given).
  static func value(_ c: MutantContext, _ mistakes: RNNMistakes, truncation: Truncation? = nil) -> Tensor? {
    var options = c.assignment.model.options
    if let truncation { options.truncation = truncation }
    let tokens = c.inputs["tokens"]!.ints
    let shape = c.item.shape
    switch c.assignment.model.reference {
    case .rnnLM:
      let r = MutantRNN.evaluate(RNNLanguageModelTask.parameters(c.inputs), tokens: tokens, options: options, mistakes: mistakes)
      let g = r.gradients
      switch c.item.id {
      case "loss": return Tensor(scalar: r.loss)
      case "dU": return Tensor(g.dU, shape: shape)
      case "db_2": return Tensor(g.db_2, shape: shape)
      case "dW_h": return Tensor(g.dW_h, shape: shape)
      case "dW_e": return Tensor(g.dW_e, shape: shape)
      case "db_1": return Tensor(g.db_1, shape: shape)
      case "dE": return Tensor(g.dE, shape: shape)
      case "dh0": return Tensor(g.dh0, shape: shape)
      case "delta1": return Tensor(r.delta1, shape: shape)
      case "delta2": return Tensor(r.delta2, shape: shape)
      case "dW_h_terms": return Tensor(shape: shape, scalars: r.dW_h_terms.flatMap(\.scalars))
      default: return nil
      }
    case .rnnCanonical:
      let r = MutantRNN.canonical(CanonicalRNNTask.parameters(c.inputs), tokens: tokens, options: options, mistakes: mistakes)
      let g = r.gradients
      switch c.item.id {
      case "loss": return Tensor(scalar: r.loss)
      case "dW_xh": return Tensor(g.dW_xh, shape: shape)
      case "dW_hh": return Tensor(g.dW_hh, shape: shape)
      case "dW_yh": return Tensor(g.dW_yh, shape: shape)
      case "db_h": return Tensor(g.db_h, shape: shape)
      case "db_y": return Tensor(g.db_y, shape: shape)
      case "dh0": return Tensor(g.dh0, shape: shape)
      default: return nil
      }
    case .backpropBasics:
      return nil
    }
  }

  static func variants(_ c: MutantContext, _ mistakes: RNNMistakes) -> [MutantVariant] {
    value(c, mistakes).map { [MutantVariant(value: $0)] } ?? []
  }
}

enum BasicsMutantValues {
  static func variants(_ c: MutantContext, _ mistake: BasicsMistake) -> [MutantVariant] {
    let s = c.assignment.model.sizes
    let v = MutantBasics.value(
      item: c.item.id, inputs: c.inputs, f: c.assignment.model.options.activation,
      l2: c.assignment.model.regularization == "half" ? .half : .full,
      windowSize: s["window"] ?? 0, d: s["d"] ?? 0, mistake: mistake)
    return v.map { [MutantVariant(value: $0)] } ?? []
  }
}

// MARK: - The mutants

extension MistakeCatalogue {
  static func rnn(_ items: @escaping (Assignment) -> Set<String>) -> (Assignment, String) -> Bool {
    { a, item in DiagnosisItems.isRNN(a) && items(a).contains(item) }
  }

  static func basics(_ items: Set<String>) -> (Assignment, String) -> Bool {
    { a, item in a.model.reference == .backpropBasics && items.contains(item) }
  }

  static func either(_ a: @escaping (Assignment, String) -> Bool, _ b: @escaping (Assignment, String) -> Bool) -> (Assignment, String) -> Bool {
    { a($0, $1) || b($0, $1) }
  }

  static let transposed = Mutant(
    id: "transposed", name: "the result transposed",
    hint: "The gradient has the shape of the parameter: (∂J/∂W)_ij = Σ δ_i x_j, so ∂J/∂W = δ ⊗ x = δ xᵀ, not x δᵀ.",
    applies: rnn(DiagnosisItems.recurrentWeight),
    produce: { c in
      let shape = c.item.shape
      let n = shape[shape.count - 1]
      var out = c.reference.scalars
      for base in stride(from: 0, to: out.count, by: n * n) {
        for i in 0..<n { for j in 0..<n { out[base + i * n + j] = c.reference.scalars[base + j * n + i] } }
      }
      return [MutantVariant(value: Tensor(shape: shape, scalars: out))]
    },
    describe: { c, _ in
      c.item.shape.count == 3
        ? "Your \(c.item.id) holds the transpose of every slice ∂J^(T)/∂\(c.recurrentWeight)|_(i): the outer product is ∂J/∂z^(i) ⊗ h^(i−1), not h^(i−1) ⊗ ∂J/∂z^(i)."
        : "Your \(c.item.id) is the transpose of the expected one: each term is ∂\(c.loss)/∂z^(i) ⊗ h^(i−1) (δ hᵀ), not h δᵀ."
    })

  static let rowColumnSwapped = Mutant(
    id: "row-column-swapped", name: "row and column conventions swapped",
    hint: "The row form (note 004, h W_h) gives the transpose of the column form's gradient; transpose it back (.T), do not reshape it.",
    applies: { a, item in
      guard let spec = a.item(item) else { return false }
      return spec.shape.count == 2 && spec.shape[0] != spec.shape[1] && spec.shape[0] > 1 && spec.shape[1] > 1
    },
    produce: { c in
      [MutantVariant(value: Tensor(shape: c.item.shape, scalars: c.reference.matrix.T.scalars))]
    },
    describe: { c, _ in
      let s = c.item.shape
      return "Your \(c.item.id) is the row-convention result (\(s[1])×\(s[0]), the transpose) laid out as \(s[0])×\(s[1]) by a reshape: the rows and columns of the two conventions are swapped, not reshaped."
    })

  static let signFlipped = Mutant(
    id: "sign-flipped", name: "the sign flipped (y − ŷ)",
    hint: "∂CE/∂θ = ŷ − y: the prediction minus the one-hot target. With y − ŷ every gradient points uphill.",
    applies: either(rnn(DiagnosisItems.behindOutput), basics(["dCE_dtheta", "dL_dW_cls"])),
    produce: { c in
      DiagnosisItems.isRNN(c.assignment) ? RNNMutantValues.variants(c, .signFlipped) : BasicsMutantValues.variants(c, .signFlipped)
    },
    describe: { c, _ in "Your \(c.item.id) has the opposite sign: it was computed from δ1 = y − ŷ instead of ŷ − y." })

  static let activationForDerivative = Mutant(
    id: "activation-for-derivative", name: "f(z) used where f′(z) belongs",
    hint: "∂h/∂z = diag(f′(z)); for σ, f′(z) = σ(z)(1 − σ(z)), for tanh, 1 − tanh²(z). Use the derivative, not the activation h = f(z).",
    applies: either(rnn(DiagnosisItems.behindActivation),
                    basics(["dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win"])),
    produce: { c in
      DiagnosisItems.isRNN(c.assignment) ? RNNMutantValues.variants(c, .activationForDerivative) : BasicsMutantValues.variants(c, .activationForDerivative)
    },
    describe: { c, _ in
      let f = c.assignment.model.options.activation.name
      return "Your \(c.item.id) uses \(f)(z) where \(f)′(z) belongs: the Jacobian ∂h/∂z is diag(f′(z)), not diag(h)."
    })

  static let derivativeAtNextStep = Mutant(
    id: "derivative-at-next-step", name: "the derivative taken at the wrong timestep",
    hint: "Step i's Jacobian is diag(f′(z^(i))): index the stored z by the same step as the δ you multiply.",
    applies: rnn(DiagnosisItems.behindActivation),
    produce: { RNNMutantValues.variants($0, .derivativeAtNextStep) },
    describe: { c, _ in "Your \(c.item.id) takes the derivative at the wrong timestep: f′(z^(t+1)) where ∂h^(t)/∂z^(t) = diag(f′(z^(t))) belongs (an index off by one)." })

  static let diagonalSoftmaxJacobian = Mutant(
    id: "diagonal-softmax-jacobian", name: "a diagonal-only softmax Jacobian",
    hint: "∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ: every ŷ_i depends on every θ_j through the normalization. With it, ∂CE/∂θ = ŷ − y.",
    applies: either(rnn(DiagnosisItems.behindOutput), basics(["softmax_jacobian", "dCE_dtheta", "dL_dW_cls"])),
    produce: { c in
      DiagnosisItems.isRNN(c.assignment) ? RNNMutantValues.variants(c, .diagonalSoftmaxJacobian) : BasicsMutantValues.variants(c, .diagonalSoftmaxJacobian)
    },
    describe: { c, _ in
      c.item.id == "softmax_jacobian"
        ? "Your softmax_jacobian keeps only the diagonal ŷ_i(1 − ŷ_i): the off-diagonal −ŷ_i ŷ_j are missing, as if softmax acted entry by entry."
        : "Your \(c.item.id) uses only the diagonal of the softmax Jacobian, diag(ŷ ⊙ (1 − ŷ)): then ∂CE/∂θ = (ŷ_l − 1)e_l, which loses the ŷ_j of every other class."
    })

  static let meanMissing = Mutant(
    id: "mean-missing", name: "the 1/T of the mean missing",
    hint: "J = (1/T) Σ_t J^(t): every gradient carries the factor 1/T.",
    applies: { a, item in DiagnosisItems.isRNN(a) && a.model.options.reduction == .mean && DiagnosisItems.reduced(a).contains(item) },
    produce: { RNNMutantValues.variants($0, .meanMissing) },
    describe: { c, _ in "Your \(c.item.id) is T = \(c.steps) times the expected value: the 1/T of the mean J = (1/T) Σ_t J^(t) is missing." })

  static let meanTwice = Mutant(
    id: "mean-applied-twice", name: "the 1/T of the mean applied twice",
    hint: "Divide by T once: either scale each J^(t) by 1/T, or divide the sum at the end, not both.",
    applies: { a, item in DiagnosisItems.isRNN(a) && a.model.options.reduction == .mean && DiagnosisItems.reduced(a).contains(item) },
    produce: { RNNMutantValues.variants($0, .meanTwice) },
    describe: { c, _ in "Your \(c.item.id) is 1/T = 1/\(c.steps) of the expected value: the 1/T of the mean was applied twice." })

  static let meanOnSum = Mutant(
    id: "mean-on-sum", name: "a 1/T where the loss is a sum",
    hint: "This loss is E = Σ_t E_t, summed over t, not averaged: no 1/T.",
    applies: { a, item in DiagnosisItems.isRNN(a) && a.model.options.reduction == .sum && DiagnosisItems.reduced(a).contains(item) },
    produce: { RNNMutantValues.variants($0, .meanOnSum) },
    describe: { c, _ in "Your \(c.item.id) is 1/T = 1/\(c.steps) of the expected value: the loss \(c.loss) = Σ_t \(c.loss)_t is a sum, not a mean." })

  static let onlyCurrentStep = Mutant(
    id: "only-current-step", name: "only the i = t term (the carry never propagated)",
    hint: "Carry ∂J/∂h^(t−1) = W_hᵀ ∂J/∂z^(t) back to the previous step and add it to that step's own output gradient.",
    applies: rnn(DiagnosisItems.truncatable),
    produce: { c in RNNMutantValues.value(c, [], truncation: .window(1)).map { [MutantVariant(parameter: 1, value: $0)] } ?? [] },
    describe: { c, _ in
      let W = c.recurrentWeight, L = c.loss
      switch c.item.id {
      case "dW_h", "dW_hh":
        return "Your \(c.item.id) equals only the i = t term of Σ_i ∂\(L)^(t)/∂\(W)|_(i): \(W) is used at every step, so its gradient sums over all of them."
      case "dW_h_terms":
        return "Your dW_h_terms holds only the i = T term ∂J^(T)/∂W_h|_(T); the terms i < T, which reach step i through ∂J^(T)/∂h^(i), are zero: the carry ∂J/∂h was never propagated to the previous step."
      default:
        return "Your \(c.item.id) keeps only the i = t term of each \(L)^(t): the carry ∂\(L)/∂h^(t−1) = \(W)ᵀ ∂\(L)/∂z^(t) was never propagated to the previous step."
      }
    })

  static let truncated = Mutant(
    id: "truncated-bptt", name: "the sum truncated to k steps",
    hint: "Full BPTT was asked: sum ∂J^(t)/∂W_h|_(i) over every i = 1 … t, not only the last k.",
    applies: { a, item in
      DiagnosisItems.isRNN(a) && a.model.options.truncation.isFull(forSteps: a.model.size("T")) && a.model.size("T") > 2
        && DiagnosisItems.truncatable(a).contains(item)
    },
    produce: { c in
      guard c.steps > 2 else { return [] }
      return (2..<c.steps).compactMap { k in
        RNNMutantValues.value(c, [], truncation: .window(k)).map { MutantVariant(parameter: Double(k), value: $0) }
      }
    },
    describe: { c, v in
      let k = Int(v?.parameter ?? 0)
      return "Your \(c.item.id) is truncated BPTT with k = \(k): each \(c.loss)^(t) keeps only the terms i = t−\(k - 1) … t of Σ_i ∂\(c.loss)^(t)/∂\(c.recurrentWeight)|_(i), where full BPTT (i = 1 … t) was asked."
    })

  static let currentStateInOuterProduct = Mutant(
    id: "current-state-in-outer-product", name: "h^(t) instead of h^(t−1) in the outer product",
    hint: "z^(t) = W_h h^(t−1) + …: the input that W_h multiplies at step t is h^(t−1), so ∂J/∂W_h|_(t) = ∂J/∂z^(t) ⊗ h^(t−1).",
    applies: rnn(DiagnosisItems.recurrentWeight),
    produce: { RNNMutantValues.variants($0, .currentStateInOuterProduct) },
    describe: { c, _ in "Your \(c.item.id) uses h^(t) in the outer product ∂\(c.loss)/∂z^(t) ⊗ h^(t−1): \(c.recurrentWeight) multiplies the previous state h^(t−1)." })

  static let outputErrorRecounted = Mutant(
    id: "output-error-recounted", name: "the output error added again inside the time loop",
    hint: "The δ recursion ∂J/∂z^(t) = (Uᵀ δ1^(t)/T + W_hᵀ ∂J/∂z^(t+1)) ⊙ f′(z^(t)) already carries every later output; run it once, not once per t.",
    applies: rnn(DiagnosisItems.recurrent),
    produce: { RNNMutantValues.variants($0, .outputErrorRecounted) },
    describe: { c, _ in "Your \(c.item.id) counts the output error δ1^(j) of step j T − j + 1 times: the recursion that already carries every later output was run again for every t (double counting)." })

  static let embeddingAssigned = Mutant(
    id: "embedding-assigned", name: "the embedding gradient assigned, not accumulated",
    hint: "A word that occurs at several steps receives the sum of their gradients: dE[:, x(t)] += W_eᵀ ∂J/∂z^(t).",
    applies: { a, item in (a.model.reference == .rnnLM && item == "dE") || (a.model.reference == .rnnCanonical && item == "dW_xh") },
    produce: { RNNMutantValues.variants($0, .embeddingAssigned) },
    describe: { c, _ in "Your \(c.item.id) keeps only one occurrence of a repeated word: its column was assigned (=) at each step instead of accumulated (+=)." })

  static let biasOmitted = Mutant(
    id: "bias-omitted", name: "the bias missing",
    hint: "The forward pass is z = Wx + b: leave the bias in when you recompute z, h and ŷ for the backward pass.",
    applies: either(
      { a, item in DiagnosisItems.isRNN(a) && a.model.options.useBiases && (a.item(item) != nil) },
      basics(["dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du", "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win"])),
    produce: { c in
      DiagnosisItems.isRNN(c.assignment) ? RNNMutantValues.variants(c, .biasesOmitted) : BasicsMutantValues.variants(c, .biasOmitted)
    },
    describe: { c, _ in "Your \(c.item.id) was computed without the bias: z = Wx instead of z = Wx + b in the forward pass it differentiates." })

  static let regularizationMissing = Mutant(
    id: "regularization-missing", name: "the regularization term missing",
    hint: "L includes λ Σ W²: its gradient 2λW adds to the data gradient (1/N) Xᵀ(P − Y).",
    applies: basics(["dL_dW_cls"]),
    produce: { BasicsMutantValues.variants($0, .regularizationMissing) },
    describe: { c, _ in "Your \(c.item.id) lacks the gradient of the regularization term: add 2λW_cls." })

  static let l2Factor = Mutant(
    id: "l2-factor", name: "the L2 factor ½ versus 1",
    hint: "The penalty λ Σ W² has gradient 2λW; ½λ Σ W² has gradient λW. Use the factor the assignment states.",
    applies: basics(["dL_dW_cls"]),
    produce: { BasicsMutantValues.variants($0, .otherL2Factor) },
    describe: { c, _ in
      c.assignment.model.regularization == "half"
        ? "Your \(c.item.id) uses 2λW_cls, the gradient of λΣW², for this assignment's ½λΣW² (gradient λW_cls)."
        : "Your \(c.item.id) uses λW_cls, the gradient of ½λΣW², for this assignment's λΣW² (gradient 2λW_cls)."
    })

  static let maxRoutedWrong = Mutant(
    id: "max-routed-wrong", name: "the max gate routed to the wrong input",
    hint: "max routes the whole upstream gradient to the input that won (the larger one); the other gets 0.",
    applies: basics(["graph_grad"]),
    produce: { BasicsMutantValues.variants($0, .maxRoutedWrong) },
    describe: { _, _ in "Your graph_grad routes the max gate's gradient to the smaller of y and z: max(y, z) passes ∂f/∂b = a to the input that is larger." })

  static let branchesNotSummed = Mutant(
    id: "branches-not-summed", name: "a variable's branches not summed",
    hint: "y feeds both x + y and max(y, z): ∂f/∂y is the sum of the two branches, b + a·1(y ≥ z).",
    applies: basics(["graph_grad"]),
    produce: { BasicsMutantValues.variants($0, .branchesNotSummed) },
    describe: { _, _ in "Your ∂f/∂y keeps only the branch through x + y: y is used twice, so its gradient sums the branch through max(y, z) as well." })

  static let chainRuleOnePath = Mutant(
    id: "chain-rule-one-path", name: "one path of the multivariable chain rule",
    hint: "dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt: z depends on t through x and through y.",
    applies: basics(["dz_dt"]),
    produce: { BasicsMutantValues.variants($0, .chainRuleOnePath) },
    describe: { _, _ in "Your dz_dt is only ∂z/∂x·dx/dt: the path through y = 2t, ∂z/∂y·dy/dt, is missing." })

  /// Clipping changes the gradient after it is computed, with a threshold the grader does not
  /// know: fitted as entries clamped at c = max|submitted| (by value), or the whole item scaled
  /// by 0 < α < 1 (by norm). `produce` clamps at half the largest entry.
  static let gradientClipped = Mutant(
    id: "gradient-clipped", name: "gradient clipping applied",
    hint: "The assignment asks for the gradient itself; clip (if at all) in the update step, after grading.",
    applies: { a, item in DiagnosisItems.isRNN(a) && a.model.options.clipping == .none && DiagnosisItems.gradients(a).contains(item) },
    produce: { c in
      let c0 = 0.5 * c.reference.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
      guard c0 > 0 else { return [] }
      return [MutantVariant(parameter: c0, value: Tensor(shape: c.item.shape, scalars: c.reference.scalars.map { Swift.min(Swift.max($0, -c0), c0) }))]
    },
    fit: { c, s, tol in
      let r = c.reference.scalars
      guard r.count > 1 else { return nil }
      // By value: c = max|s|, some reference entry beyond c, s = clamp(r, c).
      let bound = s.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
      if bound > 0, r.contains(where: { !(Swift.abs($0) <= bound + tol.bound(for: bound)) }) {
        let clamped = r.map { Swift.min(Swift.max($0, -bound), bound) }
        if EntryComparison.compare(submitted: s.scalars, expected: clamped, shape: c.item.shape, tolerance: tol).passed {
          return MutantVariant(parameter: bound, value: Tensor(shape: c.item.shape, scalars: clamped), note: "every entry clamped to ±\(Autograder.number(bound))")
        }
      }
      // By norm: s = α r with 0 < α < 1.
      let rr = r.reduce(0) { $0 + $1 * $1 }
      guard rr > 0 else { return nil }
      let alpha = zip(s.scalars, r).reduce(0) { $0 + $1.0 * $1.1 } / rr
      guard alpha > 0, alpha < 0.999 else { return nil }
      let scaled = r.map { alpha * $0 }
      if EntryComparison.compare(submitted: s.scalars, expected: scaled, shape: c.item.shape, tolerance: tol).passed {
        return MutantVariant(parameter: alpha, value: Tensor(shape: c.item.shape, scalars: scaled), note: "every entry scaled by \(Autograder.number(alpha)), as clipping by norm does")
      }
      return nil
    },
    describe: { c, v in
      let how = v?.note ?? "entries clamped to ±\(Autograder.number(v?.parameter ?? 0))"
      return "Your \(c.item.id) looks clipped (\(how)): the assignment asks for the unclipped gradient."
    })
}
