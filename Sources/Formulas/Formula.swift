import Jacobians

/// How a formula's shape compares with the shape an item expects.
public enum ShapeComparison: Hashable, Sendable, CustomStringConvertible {
  case matches
  /// The formula has the transposed shape (`H×V` for an expected `V×H`).
  case transposed(expected: SymbolicShape, actual: SymbolicShape)
  case differs(expected: SymbolicShape, actual: SymbolicShape)

  public var isMatch: Bool { self == .matches }

  /// "your formula has shape H×V, the transpose of the expected V×H".
  public var description: String {
    switch self {
    case .matches: return "the shapes match"
    case .transposed(let e, let a): return FormulaError(.transposedShape(expected: e, actual: a)).description
    case .differs(let e, let a): return FormulaError(.shapeMismatch(expected: e, actual: a)).description
    }
  }
}

/// A student's formula, parsed and shape-checked against a model's declarations, ready to be
/// evaluated at any number of points and printed in three notations.
///
/// ```swift
/// let formula = try Formula("(1/T) \\sum_{t=1}^{T} \\delta_1^{(t)} {h^{(t)}}^\\top", in: context)
/// formula.shape                                   // V×H
/// try formula.checkShape(expected: SymbolicShape("V", "H"))
/// let dU = try formula.evaluate(at: point)        // a V×H Matrix
/// formula.text                                    // (1/T) Σ_t δ1^(t) h^(t)ᵀ
/// ```
/// Everything that can be decided without numbers is decided here, once: the syntax, every
/// name, the shape of every subexpression, every step that leaves its quantity's range for every
/// T. An optional left-hand side (`∂J/∂U = …`) is kept as text and not checked.
public struct Formula: Sendable, CustomStringConvertible {
  /// The formula as written.
  public let source: String
  /// The text before the last top-level `=`, if any (`∂J/∂U`).
  public let leftHandSide: String?
  /// The parsed right-hand side.
  public let root: FormulaNode
  /// Its shape in the context's dimension symbols.
  public let shape: SymbolicShape
  public let context: FormulaContext
  let program: FormulaProgram
  let sourceText: SourceText

  /// Parses and shape-checks `source`; throws the first problem found, with its column.
  public init(_ source: String, in context: FormulaContext) throws(FormulaError) {
    let limit = context.limits.maximumLength
    // The byte count bounds the character count from above, so a huge input is rejected
    // before its characters are counted.
    if source.utf8.count > 4 * limit { throw FormulaError(.tooLong(length: source.count, limit: limit)) }
    let length = source.count
    if length > limit { throw FormulaError(.tooLong(length: length, limit: limit)) }
    if source.allSatisfy(\.isWhitespace) { throw FormulaError(.empty) }
    let text = SourceText(source)
    let tokens = try FormulaLexer.tokenize(text)
    try FormulaParser.checkBrackets(tokens, source: text, limit: context.limits.maximumDepth)
    let split = FormulaParser.splitJoinedNames(tokens, context: context)
    var parser = FormulaParser(tokens: split, source: text, context: context)
    let (lhs, root) = try parser.parseFormula()
    var inference = ShapeInference(context: context, source: text)
    let (program, shape) = try inference.infer(root)
    self.source = source
    self.leftHandSide = lhs
    self.root = root
    self.shape = shape
    self.context = context
    self.program = program
    self.sourceText = text
  }

  /// `.matches`, `.transposed` or `.differs` — a finding, not an error.
  public func compare(toExpected expected: SymbolicShape) -> ShapeComparison {
    if shape == expected { return .matches }
    if shape == expected.transposed { return .transposed(expected: expected, actual: shape) }
    return .differs(expected: expected, actual: shape)
  }

  /// Throws `transposedShape` or `shapeMismatch` unless the formula has the expected shape.
  public func checkShape(expected: SymbolicShape) throws(FormulaError) {
    switch compare(toExpected: expected) {
    case .matches: return
    case .transposed(let e, let a): throw FormulaError(.transposedShape(expected: e, actual: a))
    case .differs(let e, let a): throw FormulaError(.shapeMismatch(expected: e, actual: a))
    }
  }

  /// The formula's value at one point. The bindings are checked against the declarations first
  /// (kinds, shapes, sequence lengths); a step outside its quantity's bound range is an error
  /// naming the reference, the step and the range.
  public func evaluate(at bindings: FormulaBindings) throws(FormulaError) -> Matrix {
    let resolved = try ResolvedBindings(bindings, context: context)
    var evaluator = FormulaEvaluator(context: context, source: sourceText, bindings: resolved)
    let value = try evaluator.run(program)
    if let expected = shape.resolved(resolved.sizes), expected != value.shape {
      throw FormulaError(.internalShapeError("the value is \(value.shape), the inferred shape \(shape) is \(expected)"))
    }
    return value
  }

  /// The declared names the formula uses.
  public var quantityNames: [String] { root.quantityNames }

  /// The notes' notation: `(1/T) Σ_t δ1^(t) h^(t)ᵀ`.
  public var text: String { FormulaPrinter(style: .text, context: context).render(root) }

  /// LaTeX: `\frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top`.
  public var latex: String { FormulaPrinter(style: .latex, context: context).render(root) }

  /// A self-contained MathML `<math>` element (display block), for an HTML report.
  public var mathML: String {
    let body = FormulaPrinter(style: .mathML, context: context).render(root)
    return "<math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\"><mrow>\(body)</mrow></math>"
  }

  public var description: String { text }
}
