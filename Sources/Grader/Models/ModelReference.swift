import Formulas
import Jacobians

/// Everything the grader knows about one model, behind one protocol: the sizes and options it
/// reads from `assignment.json`, the inputs it generates and the items it computes (with their
/// shapes), its notation, the reference, the numeric probes that let the grader check the
/// reference and the student, its known mistakes, the derivation `grade explain` prints, and the
/// figures its HTML report draws.
///
/// ```
/// assignment.json  "model": { "reference": "<name>", "sizes": {…}, <the model's own options> }
///                  → ModelRegistry.model(named:) → M.init(sizes:options:)   (M validates them)
/// inputs           generateInputs(using:)       every input of `inputs`, in its shape
/// items            reference(inputs:)           every item of `items` that the assignment uses
/// checks           numericProbes(inputs:)       per item, a line φ_c with φ_c′(0) = ⟨item, c⟩
/// diagnosis        derivation                   named steps, the slips each admits, and the
///                                               slip-aware evaluation the search calls
///                  mistakes                     a catalogue of mutants, for a model without one
/// teaching         explanation(item:inputs:)    the derivation at the student's inputs
///                  figures(inputs:)             pictures of the model at the student's inputs
///                  valueHeatMaps(of:inputs:)    an item's values drawn beside the reference's
/// formulas         formulas                     the quantities a formula may name, the items it
///                  formulaBindings(inputs:)     may answer, and the quantities' values
/// ```
/// A model lives in one folder, `Sources/Grader/Models/<Model>/`; the references themselves stay
/// in `Jacobians` and `BPTTReference`. Nothing outside that folder names the model's items or
/// parameters: grading, diagnosis, reports and the harnesses work from these declarations.
public protocol ModelReference: Sendable {
  /// The value of `model.reference` that selects the model (`rnn-lm`).
  static var name: String { get }
  /// One line on what the model is, for listings and the registry's messages.
  static var summary: String { get }
  /// The size names `model.sizes` must give (`T`, `V`, `d`, `H`).
  static var sizeNames: [String] { get }
  /// The keys of the `model` object the model reads besides `reference` and `sizes`.
  static var optionKeys: [String] { get }
  /// What each size is, in a few words (`T`: "the number of time steps"), for starters.
  static var sizeMeanings: [String: String] { get }

  /// Reads the model's options from the `model` object (`sizes` already checked to hold every
  /// name of `sizeNames`); throws naming the key of an option it cannot use.
  init(sizes: [String: Int], options: StrictObject) throws(DataFileError)

  /// The sizes of this instance.
  var sizes: [String: Int] { get }

  /// The inputs every student receives, with their shapes at `sizes`.
  var inputs: [ModelQuantity] { get }
  /// Every item the model can compute, with its shape at `sizes`; an assignment grades a subset.
  var items: [ModelQuantity] { get }
  /// The model's symbols, for messages written for any model.
  var notation: ModelNotation { get }

  /// The inputs of one student (every input of `inputs`).
  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor]
  /// Every item's reference value at `inputs`, in the item's shape.
  func reference(inputs: [String: Tensor]) -> [String: Tensor]
  /// The probe of every item the grader can estimate numerically at `inputs`, by item name (an
  /// item that is not a derivative, such as a loss value, has none): for each item-shaped
  /// direction c, a line φ_c through the model's point with φ_c′(0) = ⟨item, c⟩ (`NumericProbe`).
  /// The grader picks the directions and the steps, so every model gets the same budget: about
  /// one forward pass of work per item. Work the probes share (the forward pass at the point)
  /// belongs in a `LazyValue`, done once and only when a probe is evaluated. Which items have a
  /// probe must not depend on the inputs' values (loading an assignment asks at zero inputs).
  func numericProbes(inputs: [String: Tensor]) -> [String: NumericProbe]
  /// The probes when the reference at `inputs` is at hand (the grader's): a model whose items
  /// share a line (`SharedLine`) takes the other items' projections from it instead of computing
  /// it again. By default `numericProbes(inputs:)`.
  func numericProbes(inputs: [String: Tensor], reference: [String: Tensor]) -> [String: NumericProbe]

  /// The reference derivation as named steps with the slips a student can make at each, and
  /// how to evaluate items with slips applied: the diagnosis searches it. Nil for a model
  /// diagnosed by its `mistakes` alone.
  var derivation: Derivation? { get }
  /// The known mistakes as mutants; without a derivation, tried in order (the first match is
  /// reported). With one, by default today's named mistakes among its slips.
  var mistakes: MistakeCatalogue { get }
  /// The steps of the derivation of `item` at `inputs`, up to (not including) the item's value.
  func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep]
  /// What an item's slices along its first axis are, for localization and pictures; nil for an
  /// item without per-step slices.
  func steps(of item: String) -> StepSlices?
  /// Pictures of the model at the student's inputs, drawn by the HTML report.
  func figures(inputs: [String: Tensor]) -> [ReportFigure]
  /// For an item best read as a table (a matrix or vector over named things): how the HTML report
  /// draws the student's values beside the reference's; nil for the others.
  func valueHeatMaps(of item: String, inputs: [String: Tensor]) -> ValueHeatMaps?

  /// The quantities a formula may name (inputs and forward intermediates, in the notes'
  /// notation, with symbolic shapes) and the items a formula may answer; nil when the model
  /// takes no formulas.
  var formulas: FormulaDeclarations? { get }
  /// The value of every quantity of `formulas` at `inputs` (one matrix per step for a
  /// step-indexed one), and the step count.
  func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings
}

extension ModelReference {
  public func numericProbes(inputs: [String: Tensor], reference: [String: Tensor]) -> [String: NumericProbe] {
    numericProbes(inputs: inputs)
  }

  public static var sizeMeanings: [String: String] { [:] }
  public var name: String { Self.name }
  public func size(_ name: String) -> Int { sizes[name] ?? 0 }
  public func input(_ name: String) -> ModelQuantity? { inputs.first { $0.name == name } }
  public func item(_ name: String) -> ModelQuantity? { items.first { $0.name == name } }

  public var derivation: Derivation? { nil }
  public var mistakes: MistakeCatalogue { derivation?.catalogue ?? MistakeCatalogue(mutants: []) }
  public func explanation(item: String, inputs: [String: Tensor]) -> [ExplanationStep] { [] }
  public func steps(of item: String) -> StepSlices? { nil }
  public func figures(inputs: [String: Tensor]) -> [ReportFigure] { [] }
  public func valueHeatMaps(of item: String, inputs: [String: Tensor]) -> ValueHeatMaps? { nil }
  /// No formulas, unless the model declares them.
  public var formulas: FormulaDeclarations? { nil }
  public func formulaBindings(inputs: [String: Tensor]) -> FormulaBindings { FormulaBindings() }
}

/// An input or item a model declares: its name, its shape at the model's sizes, its dtype.
public struct ModelQuantity: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public var dtype: DType

  public init(_ name: String, _ shape: [Int], _ dtype: DType = .float64) {
    self.name = name
    self.shape = shape
    self.dtype = dtype
  }
}

/// A model's symbols, as its notes write them.
public struct ModelNotation: Sendable, Equatable {
  /// The loss: `J` (RNN-LM, note 002), `E` (min-char-rnn, note 001).
  public var loss: String
  /// The recurrent weight, for recurrent models: `W_h`, `W_hh`.
  public var recurrentWeight: String?
  /// The number of steps of a sequence model (`T`), 0 without one.
  public var steps: Int
  /// The activation f of the hidden layer, by name (`sigmoid`, `tanh`), when the model has one.
  public var activation: String?

  public init(loss: String, recurrentWeight: String? = nil, steps: Int = 0, activation: String? = nil) {
    self.loss = loss
    self.recurrentWeight = recurrentWeight
    self.steps = steps
    self.activation = activation
  }
}

/// What the slices of an item along its first axis are: one per step of the sequence.
///
/// ```
/// dW_h_terms  T × H × H   slice i = ∂J^(T)/∂W_h|_(i)     name "∂J^(T)/∂W_h|_(i)", symbol "i"
/// delta1      T × |V|     row t = δ1^(t)                  name "row t",            symbol nil
/// ```
public struct StepSlices: Sendable, Equatable {
  /// How one slice is named in a diagnosis ("your <name> first differs at step 3").
  public var name: String
  /// The step's symbol in captions (`i = 1`, …); nil to caption slices by their index.
  public var symbol: String?
  /// For a chart of the slices' norms: the axis labels and what the chart shows.
  public var chart: Chart?

  public struct Chart: Sendable, Equatable {
    public var xLabel: String
    public var yLabel: String
    /// A sentence appended to the chart's caption (plain text; `code` in backticks).
    public var explanation: String

    public init(xLabel: String, yLabel: String, explanation: String) {
      self.xLabel = xLabel
      self.yLabel = yLabel
      self.explanation = explanation
    }
  }

  public init(name: String, symbol: String? = nil, chart: Chart? = nil) {
    self.name = name
    self.symbol = symbol
    self.chart = chart
  }
}
