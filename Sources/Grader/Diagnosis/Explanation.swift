import Foundation
import Jacobians

/// One line of a derivation: a formula in the notes' notation, the shapes it multiplies, and its
/// value at the student's inputs.
public struct ExplanationStep: Sendable {
  /// The formula, e.g. `∂J^(t)/∂h^(t) = δ1^(t)ᵀ U`.
  public var formula: String
  /// The shapes, e.g. `(1 × |V|)(|V| × H) = 1 × 5`; nil for a scalar statement.
  public var shape: String?
  /// The value at the student's inputs (vectors as `1 × n` rows, stacks as one row per step).
  public var value: Matrix?
  /// What the value's layout is, or what to notice.
  public var note: String?

  public init(formula: String, shape: String? = nil, value: Matrix? = nil, note: String? = nil) {
    self.formula = formula
    self.shape = shape
    self.value = value
    self.note = note
  }
}

/// The derivation of one item at one student's inputs, as structured steps (for the text of
/// `grade explain` and for reports that render their own).
public struct Explanation: Sendable {
  public var title: String
  public var assignment: String
  public var item: String
  public var student: String
  public var steps: [ExplanationStep]
  /// True when the steps carry formulas and shapes but no values (the reference is withheld).
  public var valuesWithheld: Bool = false

  public init(title: String, assignment: String, item: String, student: String, steps: [ExplanationStep], valuesWithheld: Bool = false) {
    self.title = title
    self.assignment = assignment
    self.item = item
    self.student = student
    self.steps = steps
    self.valuesWithheld = valuesWithheld
  }

  /// The sentence an explanation without values ends with.
  public static func withheldNote(assignment: String, item: String) -> String {
    "The values are withheld: they would give away the reference at these inputs. `grade explain \(assignment) \(item)` prints the derivation with every number at the demo inputs (whose answers ship with the assignment)."
  }

  /// Plain text: numbered steps; values with at most `maxEntries` entries printed in full,
  /// larger ones by shape and Frobenius norm.
  public func rendered(maxEntries: Int = 64) -> String {
    var out = "\(title)\n\(assignment), item \(item), student \(student)\n"
    for (k, step) in steps.enumerated() {
      out += "\n\(String(format: "%2d", k + 1)). \(step.formula)\n"
      if let shape = step.shape { out += "    shape: \(shape)\n" }
      if let note = step.note { out += "    \(note)\n" }
      if let value = step.value { out += Explanation.format(value, maxEntries: maxEntries, indent: "    ") }
    }
    if valuesWithheld { out += "\n" + Self.withheldNote(assignment: assignment, item: item) + "\n" }
    return out
  }

  /// A matrix as aligned rows, or its shape and norm when it is large.
  public static func format(_ m: Matrix, maxEntries: Int = 64, indent: String = "") -> String {
    if m.count == 1 { return indent + "= " + Autograder.number(m.scalars[0]) + "\n" }
    if m.count > maxEntries {
      return indent + "(\(m.rows)×\(m.cols), ‖·‖_F = \(Autograder.number(m.frobeniusNorm)); too large to print)\n"
    }
    var out = ""
    for i in 0..<m.rows {
      let cells = (0..<m.cols).map { j -> String in
        let s = Autograder.number(m[i, j])
        return String(repeating: " ", count: Swift.max(0, 11 - s.count)) + s
      }
      out += indent + "[" + cells.joined(separator: " ") + " ]\n"
    }
    return out
  }
}

/// Why an explanation cannot be given.
public enum ExplanationError: Error, Equatable, CustomStringConvertible {
  case unknownItem(item: String, assignment: String, items: [String])

  public var description: String {
    switch self {
    case .unknownItem(let item, let assignment, let items):
      return "'\(item)' is not an item of \(assignment); its items are \(items.joined(separator: ", "))."
    }
  }
}

/// Builds the derivation of an item for a student's inputs.
public enum Explainer {
  /// The id whose inputs `grade explain` uses by default and shows with every number: the inputs
  /// of the shipped example (`examples/demo.*` holds their answers), which are no secret.
  public static let demoStudent = "demo"

  /// The explanation of `item` for `student` (default inputs of the id, as the grader makes them).
  /// Without `values` the steps keep their formulas and shapes only — no value, the item's own
  /// included, and no note (notes hold numbers) — so that it gives away no reference entry.
  public static func explain(assignment: Assignment, item: String, student: String, values: Bool) throws(ExplanationError) -> Explanation {
    var rng = StudentVariant.generator(assignment: assignment.id, student: student)
    let inputs = assignment.model.generateInputs(using: &rng)
    return try explain(assignment: assignment, item: item, inputs: inputs, student: student, values: values)
  }

  /// The explanation of `item` at `inputs`.
  public static func explain(assignment: Assignment, item: String, inputs: [String: Tensor], student: String, values: Bool) throws(ExplanationError) -> Explanation {
    guard let spec = assignment.item(item) else {
      throw .unknownItem(item: item, assignment: assignment.id, items: assignment.items.map(\.id))
    }
    var steps = assignment.model.explanation(item: item, inputs: inputs)
    steps.append(ExplanationStep(
      formula: "\(item) = \(spec.statement)", shape: Tensor.describe(spec.shape),
      value: values ? displayMatrix(assignment.model.reference(inputs: inputs)[item]!) : nil,
      note: spec.shape.count == 3 ? "row i − 1 holds slice i, flattened row-major" : nil))
    if !values {
      // Notes describe values (their layout, a norm, a loss, the numbers around them): all go.
      steps = steps.map { ExplanationStep(formula: $0.formula, shape: $0.shape) }
    }
    return Explanation(title: "The derivation of \(item): \(spec.statement)", assignment: assignment.id, item: item, student: student, steps: steps, valuesWithheld: !values)
  }

  /// A tensor as a matrix for display: vectors as one row, 3-D stacks one slice per row.
  static func displayMatrix(_ t: Tensor) -> Matrix {
    switch t.shape.count {
    case 0: return Matrix(scalar: t.scalars[0])
    case 1: return Matrix(row: t.scalars)
    case 2: return t.matrix
    default: return Matrix(rows: t.shape[0], cols: t.count / Swift.max(t.shape[0], 1), scalars: t.scalars)
    }
  }
}
