import BPTTReference
import Jacobians

/// What an item of a recurrent model is, whatever the model calls it.
///
/// ```
/// role                   rnn-lm       rnn-canonical   the quantity
/// loss                   loss         loss            J = w Σ_t J^(t)
/// outputWeight           dU           dW_yh           ∂J/∂U
/// outputBias             db_2         db_y            ∂J/∂b_2
/// recurrentWeight        dW_h         dW_hh           ∂J/∂W_h
/// inputWeight            dW_e         —               ∂J/∂W_e
/// hiddenBias             db_1         db_h            ∂J/∂b_1
/// embedding              dE           —               ∂J/∂E (column x(t) receives W_eᵀ ∂J/∂z^(t))
/// inputColumns           —            dW_xh           column x(t) receives ∂E/∂z^(t)
/// initialState           dh0          dh0             ∂J/∂h^(0)
/// delta1, delta2         delta1 …     —               δ1^(t), δ2^(t), one row per step
/// recurrentWeightTerms   dW_h_terms   —               ∂J^(T)/∂W_h|_(i), i = 1…T
/// ```
enum RecurrentRole: Sendable, Equatable {
  case loss, outputWeight, outputBias, recurrentWeight, inputWeight, hiddenBias, embedding, inputColumns
  case initialState, delta1, delta2, recurrentWeightTerms

  /// ∂J/∂θ for a parameter θ.
  var isGradient: Bool {
    switch self {
    case .outputWeight, .outputBias, .recurrentWeight, .inputWeight, .hiddenBias, .embedding, .inputColumns, .initialState: return true
    default: return false
    }
  }

  /// A gradient that flows through ∂J/∂z^(t), the recurrence.
  var isRecurrent: Bool {
    switch self {
    case .recurrentWeight, .inputWeight, .hiddenBias, .embedding, .inputColumns, .initialState: return true
    default: return false
    }
  }
}

/// The names of a recurrent model's quantities, as its notes write them.
struct RecurrentNames: Sendable {
  /// The loss (`J`, `E`), the recurrent weight (`W_h`, `W_hh`), the output layer (`U`, `b_2`), the
  /// hidden bias (`b_1`) and the input weight (`W_e`, `W_xh`).
  var loss: String, recurrentWeight: String, outputWeight: String, outputBias: String, hiddenBias: String, inputWeight: String
  /// The embedding (`E`), nil for min-char-rnn's one-hot input x^(t).
  var embedding: String?

  /// True for a one-hot input (W_xh x^(t)), false for an embedding (W_e e^(t), e^(t) = E x^(t)).
  var oneHotInput: Bool { embedding == nil }
  /// The input term of z^(t): `W_e e^(t)` or `W_xh x^(t)`.
  var inputTerm: String { oneHotInput ? "\(inputWeight) x^(t)" : "\(inputWeight) e^(t)" }
}

/// A recurrent model seen in the column form of notes 000/002 (h^(t) = f(W_h h^(t−1) + … + b_1),
/// ŷ^(t) = softmax(U h^(t) + b_2)): the two RNN models share their mistakes, item groups and
/// derivation through it.
protocol RecurrentModel: ModelReference {
  var options: RNNOptions { get }
  var names: RecurrentNames { get }
  /// What `item` is; nil for an item the model does not compute.
  func role(of item: String) -> RecurrentRole?
  /// The token ids x^(1) … x^(T+1) at `inputs`.
  func tokens(_ inputs: [String: Tensor]) -> [Int]
  /// The parameters at `inputs`, in the column form of `BPTT`.
  func columnForm(_ inputs: [String: Tensor]) -> RNNParameters
  /// `item` computed by `MutantRNN` with `mistakes` (and `options` changed as given).
  func mutantValue(_ item: ItemSpec, inputs: [String: Tensor], options: RNNOptions, mistakes: RNNMistakes) -> Tensor?
}

extension RecurrentModel {
  var T: Int { size("T") }

  func items(where include: (RecurrentRole) -> Bool) -> Set<String> {
    Set(items.map(\.name).filter { role(of: $0).map(include) ?? false })
  }

  /// ∂J/∂θ for every parameter θ.
  var gradientItems: Set<String> { items(where: \.isGradient) }
  /// The gradients that flow through ∂J/∂z^(t), the recurrence.
  var recurrentItems: Set<String> { items(where: \.isRecurrent) }
  /// The recurrent weight's gradient and its per-step terms.
  var recurrentWeightItems: Set<String> { items { $0 == .recurrentWeight || $0 == .recurrentWeightTerms } }
  /// Items behind diag(f′(z)).
  var behindActivation: Set<String> { items { $0.isRecurrent || $0 == .delta2 || $0 == .recurrentWeightTerms } }
  /// Items behind δ1 = ŷ − y.
  var behindOutput: Set<String> { items { $0.isGradient || $0 == .delta1 || $0 == .delta2 || $0 == .recurrentWeightTerms } }
  /// Items scaled by the 1/T of the mean (or the 1 of the sum).
  var reducedItems: Set<String> { items { $0.isGradient || $0 == .loss } }
  /// Items through the recurrence that truncation changes.
  var truncatableItems: Set<String> { items { $0.isRecurrent || $0 == .recurrentWeightTerms } }

  func recurrentExplanation(_ item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    guard let role = role(of: item) else { return [] }
    return RecurrentExplanation(self, inputs: inputs).steps(for: role)
  }

  var recurrentNotation: ModelNotation {
    ModelNotation(loss: names.loss, recurrentWeight: names.recurrentWeight, steps: T, activation: options.activation.name)
  }

  func variants(_ c: MutantContext, _ mistakes: RNNMistakes, truncation: Truncation? = nil, parameter: Double? = nil) -> [MutantVariant] {
    var o = options
    if let truncation { o.truncation = truncation }
    return mutantValue(c.item, inputs: c.inputs, options: o, mistakes: mistakes).map { [MutantVariant(parameter: parameter, value: $0)] } ?? []
  }

  /// The catalogue of a recurrent model, in the order it is tried.
  ///
  /// Coincidences by mathematics, and which id is reported:
  /// - On a square item the row-form gradient reshaped *is* the transpose: `row-column-swapped`
  ///   applies only to non-square items, so `transposed` is reported.
  /// - Truncation to k = 1 step *is* "only the i = t term": `truncated-bptt` covers k = 2 … T−1, so
  ///   `only-current-step` is reported for k = 1 (k ≥ T is full BPTT, the correct answer).
  /// - A uniform scale 1/T matches both the misplaced 1/T and clipping by norm: the mean mutants
  ///   come first, so `mean-applied-twice` (mean) or `mean-on-sum` (sum) is reported.
  var recurrentMistakes: MistakeCatalogue {
    let mean = options.reduction == .mean
    let role = { (item: String) in self.role(of: item) }
    var mutants: [Mutant] = [
      .transposed(MistakeKind.transposed.describing { c, _ in
        c.item.shape.count == 3
          ? "Your \(c.item.id) holds the transpose of every slice ∂J^(T)/∂\(c.recurrentWeight)|_(i): the outer product is ∂J/∂z^(i) ⊗ h^(i−1), not h^(i−1) ⊗ ∂J/∂z^(i)."
          : "Your \(c.item.id) is the transpose of the expected one: each term is ∂\(c.loss)/∂z^(i) ⊗ h^(i−1) (δ hᵀ), not h δᵀ."
      }, items: recurrentWeightItems),
      .rowColumnSwapped(items),
      Mutant(.signFlipped, items: behindOutput) { self.variants($0, .signFlipped) },
      Mutant(.activationForDerivative, items: behindActivation) { self.variants($0, .activationForDerivative) },
      Mutant(.derivativeAtNextStep, items: behindActivation) { self.variants($0, .derivativeAtNextStep) },
      Mutant(.diagonalSoftmaxJacobian, items: behindOutput) { self.variants($0, .diagonalSoftmaxJacobian) },
      Mutant(.meanMissing, items: mean ? reducedItems : []) { self.variants($0, .meanMissing) },
      Mutant(.meanTwice, items: mean ? reducedItems : []) { self.variants($0, .meanTwice) },
      Mutant(.meanOnSum, items: mean ? [] : reducedItems) { self.variants($0, .meanOnSum) },
      Mutant(MistakeKind.onlyCurrentStep.describing { c, v in
        let W = c.recurrentWeight, L = c.loss
        switch role(c.item.id) {
        case .recurrentWeight?:
          return "Your \(c.item.id) equals only the i = t term of Σ_i ∂\(L)^(t)/∂\(W)|_(i): \(W) is used at every step, so its gradient sums over all of them."
        case .recurrentWeightTerms?:
          return "Your \(c.item.id) holds only the i = T term ∂\(L)^(T)/∂\(W)|_(T); the terms i < T, which reach step i through ∂\(L)^(T)/∂h^(i), are zero: the carry ∂\(L)/∂h was never propagated to the previous step."
        default:
          return MistakeKind.onlyCurrentStep.describe(c, v)
        }
      }, items: truncatableItems) { self.variants($0, [], truncation: .window(1), parameter: 1) },
      Mutant(.truncated, items: options.truncation.isFull(forSteps: T) && T > 2 ? truncatableItems : []) { c in
        guard c.steps > 2 else { return [] }
        return (2..<c.steps).flatMap { k in self.variants(c, [], truncation: .window(k), parameter: Double(k)) }
      },
      Mutant(.currentStateInOuterProduct, items: recurrentWeightItems) { self.variants($0, .currentStateInOuterProduct) },
      Mutant(.outputErrorRecounted, items: recurrentItems) { self.variants($0, .outputErrorRecounted) },
      Mutant(.embeddingAssigned, items: items { $0 == .embedding || $0 == .inputColumns }) { self.variants($0, .embeddingAssigned) },
      Mutant(.biasOmitted, items: options.useBiases ? Set(items.map(\.name)) : []) { self.variants($0, .biasesOmitted) },
    ]
    if options.clipping == .none { mutants.append(.gradientClipped(items: gradientItems)) }
    return MistakeCatalogue(mutants: mutants)
  }
}

// MARK: - Options

extension RNNOptions {
  /// The options of `assignment.json` a recurrent model reads: `activation`, `reduction`,
  /// `truncation`, `biases`, and `convention` (only `column`: the row form is not graded).
  static let assignmentKeys = ["activation", "convention", "reduction", "truncation", "biases"]

  /// Reads those keys of the `model` object.
  static func decode(_ object: StrictObject) throws(DataFileError) -> RNNOptions {
    var options = RNNOptions()
    options.activation = try Activation.decode(object)
    if let name = try object.optionalString("reduction") {
      guard let r = LossReduction(rawValue: name) else {
        throw DataFileError(file: object.file, path: object.child("reduction"), problem: "unknown reduction '\(name)'; expected 'mean' or 'sum'")
      }
      options.reduction = r
    }
    if let name = try object.optionalString("truncation") {
      guard let t = Truncation(assignmentName: name) else {
        throw DataFileError(file: object.file, path: object.child("truncation"), problem: "unknown truncation '\(name)'; expected 'full', 'window(k)' or 'chunks(k)'")
      }
      options.truncation = t
    }
    if let b = try object.optionalBool("biases") { options.useBiases = b }
    try VectorConvention.decodeColumnOnly(object)
    return options
  }
}

extension Truncation {
  /// `full`, `window(k)` or `chunks(k)` with k ≥ 1.
  init?(assignmentName text: String) {
    if text == "full" { self = .full; return }
    for (prefix, make) in [("window(", Truncation.window), ("chunks(", Truncation.chunks)] {
      if text.hasPrefix(prefix), text.hasSuffix(")"), let k = Int(text.dropFirst(prefix.count).dropLast()), k >= 1 {
        self = make(k)
        return
      }
    }
    return nil
  }
}

extension Activation {
  /// The `activation` key of the `model` object (default σ).
  static func decode(_ object: StrictObject) throws(DataFileError) -> Activation {
    guard let name = try object.optionalString("activation") else { return .sigmoid }
    guard let f = Activation(name: name) else {
      throw DataFileError(file: object.file, path: object.child("activation"), problem: "unknown activation '\(name)'; expected sigmoid, tanh, relu, hardtanh, leakyrelu or swish")
    }
    return f
  }
}

extension VectorConvention {
  /// The `convention` key: the grader's models are graded in the column form.
  static func decodeColumnOnly(_ object: StrictObject) throws(DataFileError) {
    guard let name = try object.optionalString("convention") else { return }
    guard let c = VectorConvention(rawValue: name) else {
      throw DataFileError(file: object.file, path: object.child("convention"), problem: "unknown convention '\(name)'; expected 'column' or 'row'")
    }
    guard c == .column else {
      throw DataFileError(file: object.file, path: object.child("convention"), problem: "this model is graded in the column convention; 'row' is not supported (its gradients are the transposes: state the row form in the description and transpose the items)")
    }
  }
}
