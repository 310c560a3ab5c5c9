import Formulas
import Jacobians

/// What a model declares for formula answers: the quantities a formula may name, in the notes'
/// notation with their symbolic shapes, and, for each item a formula may answer, the shape the
/// formula must have.
///
/// ```
/// quantities   U  V×H,  h[t]  H×1 for t = 0…T,  x[t]  V×1 one-hot,  tokens  indices in 0..<V, …
/// items        dU      V×H                        (1/T) Σ_t δ1^(t) h^(t)ᵀ
///              delta1  V×1 for each step t = 1…T  ŷ^(t) − y^(t)      (row t of the T×V item)
/// ```
/// A model computes the values of every quantity at given inputs
/// (`ModelReference.formulaBindings(inputs:)`); the grader evaluates a student's formula there
/// and compares it with the item's reference. An item's formula cannot use the quantities that
/// would give it away (`FormulaItem.excluded`: δ1 in the formula for δ1).
public struct FormulaDeclarations: Sendable {
  /// Every quantity a formula may name (each in all its spellings: `delta1`, `δ1`, `\delta_1`).
  public var quantities: [QuantityDeclaration]
  /// The model's activation: what `f` and `f′` mean.
  public var activation: Activation?
  /// The symbol of the step count (`T`, or `n` for a window's positions), nil without steps.
  public var stepCount: String?
  /// The items a formula may answer.
  public var items: [String: FormulaItem]
  /// The items no formula of the language can write, each with the reason (a sentence).
  public var withoutClosedForm: [String: String]

  public init(
    quantities: [QuantityDeclaration], activation: Activation?, stepCount: String? = "T",
    items: [String: FormulaItem], withoutClosedForm: [String: String] = [:]
  ) {
    self.quantities = quantities
    self.activation = activation
    self.stepCount = stepCount
    self.items = items
    self.withoutClosedForm = withoutClosedForm
  }

  /// The quantity a spelling names (`δ1`, `\delta_1`), among all the declared ones.
  public func quantity(named spelling: String) -> QuantityDeclaration? {
    allQuantitiesContext.quantity(named: spelling)
  }

  /// Every quantity in one context (for looking names up, whatever the item).
  var allQuantitiesContext: FormulaContext {
    // The declarations are the model's own: a failure is a programming error, caught by the
    // tests that build every model's contexts.
    try! FormulaContext(quantities: quantities, activation: activation, stepCount: stepCount)
  }

  /// The context an item's formula is read in: the declared quantities but the item's excluded
  /// ones, and the item's step variable (`t` for a per-step item).
  public func context(for item: String) throws(FormulaContextError) -> FormulaContext? {
    guard let spec = items[item] else { return nil }
    let excluded = Set(spec.excluded)
    return try FormulaContext(
      quantities: quantities.filter { !excluded.contains($0.name) }, activation: activation, stepCount: stepCount,
      stepVariables: spec.perStep.map { [$0.variable: $0.range] } ?? [:])
  }
}

/// One item a formula may answer: the formula's shape in the model's dimension symbols, and how
/// its values fill the item.
///
/// ```
/// dU        shape V×H                   the item is the formula's value
/// de        shape nd×1                  a vector: a row (1×nd) is accepted as well
/// delta1    shape V×1, perStep t 1…T    the item's row t is the formula's value at step t
/// dJ_dwindow shape (window·d)×1         the value's entries fill the window×d item row by row
/// ```
/// The formula's entries, in row-major order (step after step for a per-step item), are the
/// item's entries in row-major order.
public struct FormulaItem: Sendable {
  /// The formula's shape (at one step, for a per-step item).
  public var shape: SymbolicShape
  /// For an item with one slice per step along its first axis: the step variable the formula
  /// uses without a sum, and the steps it runs over (the item's slices, in order).
  public var perStep: PerStep?
  /// Quantities the formula may not name, because they would give the item away.
  public var excluded: [String]

  public struct PerStep: Sendable, Equatable {
    public var variable: String
    public var range: StepRange

    public init(variable: String, range: StepRange) {
      self.variable = variable
      self.range = range
    }
  }

  public init(_ shape: SymbolicShape, perStep: PerStep? = nil, excluding excluded: [String] = []) {
    self.shape = shape
    self.perStep = perStep
    self.excluded = excluded
  }

  /// `FormulaItem("V×H")`: the shape as the notes write it.
  public init(_ shape: String, perStep: PerStep? = nil, excluding excluded: [String] = []) {
    guard let s = SymbolicShape(parsing: shape) else { fatalError("the formula shape of an item must read rows×cols, got \"\(shape)\"") }
    self.init(s, perStep: perStep, excluding: excluded)
  }

  /// A vector formula may be written as a row or as a column: both hold the same entries.
  public var acceptsEitherOrientation: Bool { shape.isVector }
}
