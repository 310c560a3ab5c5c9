import Formulas
import Jacobians

/// A student's formula for one item, read and shape-checked against the model's declarations,
/// ready to be evaluated at any point of the model.
///
/// ```
/// read      every name known (an excluded one named as such), every bracket closed   → unreadable
/// shapes    every product, sum and ⊙ well formed, in the model's size symbols;          → illFormed
///           then the item's shape (a vector as a row or a column)                       → wrongShape
/// value     at a point's bindings: the item's entries (row t at step t, for a
///           per-step item), in the item's shape                                          → evaluation
/// ```
/// Nothing here knows a model: the declarations say what the names, shapes and steps are.
public struct CompiledFormulaItem: Sendable {
  public let item: ItemSpec
  public let spec: FormulaItem
  public let formula: Formula
  public let context: FormulaContext

  /// Reads `source` as the formula of `item`; throws the first problem found.
  public init(_ source: String, item: ItemSpec, declarations: FormulaDeclarations?) throws(FormulaItemError) {
    guard let declarations else { throw .noFormulas }
    guard let spec = declarations.items[item.id] else {
      throw .noClosedForm(reason: declarations.withoutClosedForm[item.id])
    }
    let context: FormulaContext
    do {
      guard let c = try declarations.context(for: item.id) else { throw FormulaItemError.noClosedForm(reason: nil) }
      context = c
    } catch let error as FormulaItemError {
      throw error
    } catch {
      throw .internalError("the model's formula declarations are invalid: \(error)")
    }
    let formula: Formula
    do {
      formula = try Formula(source, in: context)
    } catch {
      if case .unknownName(let name, _, _) = error.kind, let q = declarations.quantity(named: name), spec.excluded.contains(q.name) {
        throw .excludedQuantity(name: name, quantity: q.name, excluded: spec.excluded, column: error.column)
      }
      throw Self.isFinding(error) ? .illFormed(error) : .unreadable(error)
    }
    let comparison = formula.compare(toExpected: spec.shape)
    switch comparison {
    case .matches: break
    case .transposed where spec.acceptsEitherOrientation: break
    default: throw .wrongShape(comparison)
    }
    self.item = item
    self.spec = spec
    self.formula = formula
    self.context = context
  }

  /// Whether a formula error is a wrong derivation (a finding: the item fails) rather than a
  /// formula that cannot be read (an error).
  static func isFinding(_ error: FormulaError) -> Bool {
    switch error.kind {
    case .productMismatch, .additionMismatch, .hadamardMismatch, .divisorNotScalar, .needsVector, .needsClassIndex,
         .classIndexOutsideOnehot, .indexOutOfRange, .shapeMismatch, .transposedShape, .stepOutOfRange:
      return true
    default:
      return false
    }
  }

  /// The item's value at a point: the formula evaluated there (at every step of a per-step
  /// item), its entries laid out in the item's shape.
  public func value(at point: FormulaBindings) throws(FormulaItemError) -> Tensor {
    var bindings = point
    // The point binds every declared quantity; the item's context may leave some out.
    bindings.values = point.values.filter { context.quantity(named: $0.key) != nil }
    var scalars: [Double] = []
    scalars.reserveCapacity(item.shape.reduce(1, *))
    do {
      if let perStep = spec.perStep {
        guard let T = bindings.stepCount, let steps = perStep.range.steps(stepCount: T) else {
          throw FormulaItemError.internalError("the point gives no step count for the per-step item")
        }
        for k in steps {
          bindings.steps[perStep.variable] = k
          scalars += try formula.evaluate(at: bindings).scalars
        }
      } else {
        scalars = try formula.evaluate(at: bindings).scalars
      }
    } catch let error as FormulaItemError {
      throw error
    } catch let error as FormulaError {
      throw Self.isFinding(error) ? .illFormed(error) : .evaluation(error)
    } catch {
      throw .internalError("\(error)")
    }
    guard scalars.count == item.shape.reduce(1, *) else {
      throw .internalError("the formula's value has \(scalars.count) entries, the item \(Tensor.describe(item.shape)) \(item.shape.reduce(1, *))")
    }
    return Tensor(shape: item.shape, scalars: scalars)
  }
}

/// Why a formula cannot answer an item, as a sentence.
public enum FormulaItemError: Error, Sendable, CustomStringConvertible {
  /// The model declares no formulas.
  case noFormulas
  /// The model has no formula for this item (with the reason, when it gives one).
  case noClosedForm(reason: String?)
  /// The formula names a quantity that would give the item away.
  case excludedQuantity(name: String, quantity: String, excluded: [String], column: Int?)
  /// The formula cannot be read: its syntax, a name, a step.
  case unreadable(FormulaError)
  /// A product, sum or ⊙ that does not fit, or a step outside its range: a wrong formula.
  case illFormed(FormulaError)
  /// The formula's shape is not the item's.
  case wrongShape(ShapeComparison)
  /// The formula could not be evaluated at a point.
  case evaluation(FormulaError)
  /// The grader's own declarations do not fit (please report).
  case internalError(String)

  /// True for a wrong formula (the item fails), false for one that cannot be graded (an error).
  public var isFinding: Bool {
    switch self {
    case .illFormed, .wrongShape: return true
    default: return false
    }
  }

  /// The column (in the formula) the problem is at, when there is one.
  public var column: Int? {
    switch self {
    case .excludedQuantity(_, _, _, let column): return column
    case .unreadable(let e), .illFormed(let e), .evaluation(let e): return e.column
    default: return nil
    }
  }

  /// True when the formula's shape is the transpose of the item's.
  public var isTransposed: Bool {
    if case .wrongShape(.transposed) = self { return true }
    if case .illFormed(let e) = self, case .transposedShape = e.kind { return true }
    return false
  }

  public var description: String {
    switch self {
    case .noFormulas:
      return "this assignment's model takes no formulas: submit arrays or code"
    case .noClosedForm(let reason):
      return "this item cannot be answered by a formula\(reason.map { ": \($0)" } ?? ""); submit it as an array or in code"
    case .excludedQuantity(let name, let quantity, let excluded, let column):
      let at = column.map { " at column \($0)" } ?? ""
      let others = excluded.filter { $0 != quantity }
      let also = others.isEmpty ? "" : " (nor \(others.map { "`\($0)`" }.joined(separator: ", ")), computed from it)"
      return "`\(name)`\(at) is what this item asks for, so its formula cannot use it\(also): write it in terms of the other quantities"
    case .unreadable(let e), .illFormed(let e), .evaluation(let e):
      return e.description
    case .wrongShape(let c):
      return c.description
    case .internalError(let message):
      return "the grader could not evaluate the formula (\(message)); please report this formula"
    }
  }
}
