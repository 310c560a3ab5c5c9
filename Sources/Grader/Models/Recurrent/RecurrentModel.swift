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

  /// A quantity behind the output layer: it needs Uᵀ δ1^(t) (so P U), where the loss, δ1 and
  /// the output layer's own gradients need ŷ^(t) alone.
  var isBehindOutputLayer: Bool {
    switch self {
    case .loss, .outputWeight, .outputBias, .delta1: return false
    default: return true
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
/// ŷ^(t) = softmax(U h^(t) + b_2)): the two RNN models share their derivation, slips, item groups
/// and explanations through it.
protocol RecurrentModel: ModelReference {
  var options: RNNOptions { get }
  /// Whether h^(0) is an input (`given`) or zero.
  var initialState: InitialState { get }
  var names: RecurrentNames { get }
  /// What `item` is; nil for an item the model does not compute.
  func role(of item: String) -> RecurrentRole?
  /// The token ids x^(1) … x^(T+1) at `inputs`.
  func tokens(_ inputs: [String: Tensor]) -> [Int]
  /// The parameters at `inputs`, in the column form of `BPTT` (h0 zero when the state is).
  func columnForm(_ inputs: [String: Tensor]) -> RNNParameters
  /// How clipping is told (min-char-rnn names its ±5).
  var clippingKind: MistakeKind { get }
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
  /// Items through the recurrence that truncation changes.
  var truncatableItems: Set<String> { items { $0.isRecurrent || $0 == .recurrentWeightTerms } }

  func recurrentExplanation(_ item: String, inputs: [String: Tensor]) -> [ExplanationStep] {
    guard let role = role(of: item) else { return [] }
    return RecurrentExplanation(self, inputs: inputs).steps(for: role)
  }

  var recurrentNotation: ModelNotation {
    ModelNotation(loss: names.loss, recurrentWeight: names.recurrentWeight, steps: T, activation: options.activation.name)
  }

  /// The model's inputs without h0 when the initial state is zero.
  func withoutZeroState(_ quantities: [ModelQuantity]) -> [ModelQuantity] {
    initialState == .given ? quantities : quantities.filter { $0.name != "h0" }
  }

  /// h^(0) at `inputs`: the input h0, or zero.
  func initialState(_ inputs: [String: Tensor], hiddenSize H: Int) -> Matrix {
    initialState == .given ? inputs["h0"]!.matrix : Matrix(rows: H, cols: 1)
  }
}

/// Where the recurrence starts: from the input h0 (notes 000/002, min-char-rnn's `hprev`), or from
/// zero (as many tutorials do; `h0` is then not an input, and ∂J/∂h^(0) is taken at h^(0) = 0).
enum InitialState: String, Sendable {
  case given, zero

  /// The `initial_state` key of the `model` object (default `given`).
  static func decode(_ object: StrictObject) throws(DataFileError) -> InitialState {
    guard let name = try object.optionalString("initial_state") else { return .given }
    guard let state = InitialState(rawValue: name) else {
      throw DataFileError(file: object.file, path: object.child("initial_state"), problem: "unknown initial_state '\(name)'; expected 'given' (h0 is an input) or 'zero' (h^(0) = 0)")
    }
    return state
  }
}

// MARK: - Options

extension RNNOptions {
  /// The options of `assignment.json` a recurrent model reads: `activation`, `reduction`,
  /// `truncation`, `biases`, `initial_state` (`InitialState`), and `convention` (only `column`:
  /// the row form is not graded).
  static let assignmentKeys = ["activation", "convention", "reduction", "truncation", "biases", "initial_state"]

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
