import Foundation
import Jacobians

/// Where a part of a formula is: character offsets `start ..< end` (0-based) in the formula.
public struct SourceSpan: Hashable, Sendable {
  public var start: Int
  public var end: Int

  public init(_ start: Int, _ end: Int) {
    self.start = start
    self.end = end
  }

  /// The smallest span covering both.
  func union(_ other: SourceSpan) -> SourceSpan { SourceSpan(min(start, other.start), max(end, other.end)) }
}

/// The formula's characters and lines, for columns and quoted snippets.
struct SourceText: Sendable {
  let characters: [Character]
  /// Offset of the first character of each line.
  let lineStarts: [Int]

  init(_ text: String) {
    characters = Array(text)
    var starts = [0]
    for (i, c) in characters.enumerated() where c.isNewline { starts.append(i + 1) }
    lineStarts = starts
  }

  var isMultiline: Bool { lineStarts.count > 1 }

  /// 1-based line and column of an offset.
  func location(_ offset: Int) -> (line: Int, column: Int) {
    var lo = 0, hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return (lo + 1, offset - lineStarts[lo] + 1)
  }

  /// The text of a span, on one line and shortened to 60 characters.
  func snippet(_ span: SourceSpan) -> String {
    let a = max(0, min(span.start, characters.count)), b = max(a, min(span.end, characters.count))
    var s = String(characters[a..<b].map { $0.isNewline ? " " : $0 })
    s = s.trimmingCharacters(in: .whitespaces)
    if s.count > 60 { s = String(s.prefix(28)) + " … " + String(s.suffix(28)) }
    return s
  }
}

/// Why a formula cannot be read, shape-checked or evaluated, as a sentence naming the place.
///
/// "unknown name `W_hh` at column 12 — did you mean `W_h`?"
/// "`U * h[t]^T` at column 1: (V×H)(1×H) — the inner sizes H and 1 differ"
/// "your formula has shape H×V, the transpose of the expected V×H"
///
/// `column` (1-based, in characters) and `span` locate the part of the formula at fault; `line`
/// is 1 unless the formula spans several lines (then the message names the line too).
public struct FormulaError: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Kind: Hashable, Sendable {
    // Input
    case empty
    case tooLong(length: Int, limit: Int)
    case tooDeep(limit: Int)
    case tooManyNestedSums(limit: Int)
    // Characters and LaTeX commands
    case unexpectedCharacter(String)
    case unknownCommand(String, suggestion: String?)
    case unsupportedCommand(String, reason: String)
    case accentOnExpression(accent: String, content: String)
    // Brackets
    case unclosedBracket(String)
    case unmatchedClosingBracket(String)
    case mismatchedBracket(open: String, close: String, openColumn: Int)
    // Structure
    case missingOperand(operator: String)
    case missingLeftOperand(operator: String)
    case unexpectedToken(found: String, expected: String)
    case unknownName(String, suggestion: String?, known: [String])
    case unknownFunction(String, suggestion: String?)
    case wrongArity(function: String, expected: Int, found: Int)
    case missingArgument(function: String)
    case derivativeOfNonActivation(function: String)
    case noModelActivation
    case indexOnUnindexedQuantity(name: String)
    case missingIndex(name: String, steps: String)
    case unboundVariable(name: String, bound: [String])
    case variableAlreadyBound(name: String)
    case missingExponent
    case unsupportedExponent(String)
    case malformedIndex(String, reason: String)
    case malformedSum(reason: String)
    case misplacedIndex(String)
    // Shapes
    case productMismatch(expression: String, lhs: SymbolicShape, rhs: SymbolicShape)
    case additionMismatch(expression: String, operator: String, lhs: SymbolicShape, rhs: SymbolicShape)
    case hadamardMismatch(expression: String, lhs: SymbolicShape, rhs: SymbolicShape)
    case divisorNotScalar(expression: String, divisor: String, shape: SymbolicShape)
    case needsVector(function: String, expression: String, shape: SymbolicShape)
    case needsClassIndex(function: String, expression: String)
    case classIndexOutsideOnehot(name: String)
    case indexOutOfRange(reference: String, name: String, reaches: String, steps: String)
    case shapeMismatch(expected: SymbolicShape, actual: SymbolicShape)
    case transposedShape(expected: SymbolicShape, actual: SymbolicShape)
    // Evaluation
    case missingBinding(name: String)
    case unknownBinding(name: String, suggestion: String?)
    case wrongBindingKind(name: String, expected: String)
    case bindingShape(name: String, declared: SymbolicShape, actual: Shape, reason: String)
    case sequenceLength(name: String, steps: String, expected: Int, found: Int, stepCount: Int)
    case unknownDimension(symbol: String)
    case invalidDimension(symbol: String, size: Int)
    case missingStepCount(symbol: String)
    case missingStepVariable(name: String, reference: String)
    case unknownStepVariable(name: String, declared: [String])
    case stepVariableOutOfRange(name: String, value: Int, steps: String, stepCount: Int)
    case invalidStepCount(Int)
    case classIndexOutOfRange(reference: String, value: Int, classes: Int, dimension: String)
    case notOneHot(reference: String)
    case stepOutOfRange(reference: String, step: Int, name: String, steps: String, at: String)
    case evaluationTooLong(limit: Int)
    case internalShapeError(String)
  }

  public var kind: Kind
  /// The part of the formula at fault, nil when the whole formula is (too long, empty, a shape).
  public var span: SourceSpan?
  /// 1-based line of `span.start`.
  public var line: Int?
  /// 1-based column of `span.start`, in characters.
  public var column: Int?
  /// Whether the formula has several lines (the message then names the line).
  var multiline: Bool

  public init(_ kind: Kind, span: SourceSpan? = nil, line: Int? = nil, column: Int? = nil) {
    self.kind = kind
    self.span = span
    self.line = line
    self.column = column
    multiline = (line ?? 1) > 1
  }

  init(_ kind: Kind, at span: SourceSpan?, in source: SourceText?) {
    self.kind = kind
    self.span = span
    multiline = source?.isMultiline ?? false
    if let span, let source {
      let (l, c) = source.location(span.start)
      line = l
      column = c
    }
  }

  /// " at column 12" (" at line 2, column 3" in a formula of several lines), or "".
  var place: String {
    guard let column else { return "" }
    if multiline, let line { return " at line \(line), column \(column)" }
    return " at column \(column)"
  }

  public var description: String {
    let at = place
    func didYouMean(_ s: String?) -> String { s.map { " — did you mean `\($0)`?" } ?? "" }
    switch kind {
    case .empty:
      return "the formula is empty: write an expression such as `U^T delta1[t]`"
    case .tooLong(let n, let limit):
      return "the formula is \(n) characters long, more than the limit of \(limit)"
    case .tooDeep(let limit):
      return "the formula nests deeper than \(limit) levels\(at): brackets, operators and calls inside one another"
    case .tooManyNestedSums(let limit):
      return "sums are nested more than \(limit) deep\(at)"
    case .unexpectedCharacter(let c):
      return "unexpected character `\(c)`\(at)"
    case .unknownCommand(let c, let s):
      return "unknown LaTeX command `\(c)`\(at)\(didYouMean(s))"
    case .unsupportedCommand(let c, let reason):
      return "`\(c)`\(at) \(reason)"
    case .accentOnExpression(let accent, let content):
      return "`\(accent)`\(at) puts an accent on `\(content)`; accents apply to a single name such as \\hat{y}"
    case .unclosedBracket(let b):
      return "unclosed `\(b)`\(at): add the matching `\(Self.closing(b))`"
    case .unmatchedClosingBracket(let b):
      return "`\(b)`\(at) closes no open bracket"
    case .mismatchedBracket(let open, let close, let openColumn):
      return "`\(close)`\(at) does not match the `\(open)` at column \(openColumn) (expected `\(Self.closing(open))`)"
    case .missingOperand(let op):
      return "`\(op)`\(at) has no right operand"
    case .missingLeftOperand(let op):
      return "`\(op)`\(at) has no left operand"
    case .unexpectedToken(let found, let expected):
      return "expected \(expected)\(at), found `\(found)`"
    case .unknownName(let name, let s, let known):
      if s != nil { return "unknown name `\(name)`\(at)\(didYouMean(s))" }
      let list = known.prefix(16).joined(separator: ", ") + (known.count > 16 ? ", …" : "")
      return "unknown name `\(name)`\(at)" + (known.isEmpty ? "" : "; the formula may use \(list)")
    case .unknownFunction(let name, let s):
      return "unknown function `\(name)`\(at)\(didYouMean(s))"
    case .wrongArity(let f, let expected, let found):
      return "`\(f)` takes \(expected) argument\(expected == 1 ? "" : "s"), got \(found)\(at)"
    case .missingArgument(let f):
      return "`\(f)`\(at) needs its argument, e.g. \(f)(z)"
    case .derivativeOfNonActivation(let f):
      return "`\(f)′`\(at): only activations have a derivative in the language (σ′, tanh′, relu′, f′, …)"
    case .noModelActivation:
      return "`f`\(at) is the model's activation, but this model declares none: name the function (σ, tanh, relu, …)"
    case .indexOnUnindexedQuantity(let name):
      return "`\(name)`\(at) is not indexed by a step, so it takes no index"
    case .missingIndex(let name, let steps):
      return "`\(name)`\(at) is indexed by the step (\(steps)): write \(name)[t] or \(name)^{(t)}"
    case .unboundVariable(let name, let bound):
      let here = bound.isEmpty ? "no sum encloses it" : "bound here: " + bound.joined(separator: ", ")
      return "`\(name)`\(at) is not bound by an enclosing sum (\(here)): write sum_\(name) or \\sum_{\(name)=1}^{T} around it"
    case .variableAlreadyBound(let name):
      return "`\(name)`\(at) is already bound by an enclosing sum: use another letter for the inner sum"
    case .missingExponent:
      return "`^`\(at) has no exponent: write ^T for the transpose or ^{(t)} for step t"
    case .unsupportedExponent(let e):
      return "`^\(e)`\(at): the only exponents are ^T (transpose) and ^{(t)} (a step index)"
    case .malformedIndex(let index, let reason):
      return "the index `\(index)`\(at) \(reason)"
    case .malformedSum(let reason):
      return "the sum\(at) \(reason)"
    case .misplacedIndex(let index):
      return "the index `\(index)`\(at) must follow a quantity's name directly (h[t]ᵀ, not hᵀ[t])"
    case .productMismatch(let e, let a, let b):
      return "`\(e)`\(at): (\(a))(\(b)) — the inner sizes \(a.cols) and \(b.rows) differ"
    case .additionMismatch(let e, let op, let a, let b):
      let verb = op == "+" ? "add" : "subtract"
      let hint = a == b.transposed ? " (one is the transpose of the other)" : ""
      return "`\(e)`\(at): cannot \(verb) \(a) and \(b)\(hint)"
    case .hadamardMismatch(let e, let a, let b):
      let hint = a == b.transposed ? " (one is the transpose of the other)" : ""
      return "`\(e)`\(at): ⊙ needs equal shapes, got \(a) and \(b)\(hint)"
    case .divisorNotScalar(let e, let d, let shape):
      return "`\(e)`\(at): the divisor `\(d)` must be a scalar, but it is \(shape)"
    case .needsVector(let f, let e, let shape):
      return "`\(e)`\(at): \(f) needs a vector (n×1 or 1×n), got \(shape)"
    case .needsClassIndex(let f, let e):
      return "`\(e)`\(at): \(f) needs a class index (an integer quantity such as a token or a label)"
    case .classIndexOutsideOnehot(let name):
      return "`\(name)`\(at) is a class index (an integer): use it as onehot(\(name))"
    case .indexOutOfRange(let r, let name, let reaches, let steps):
      return "`\(r)`\(at) asks for step \(reaches), outside the steps \(steps) of \(name)"
    case .shapeMismatch(let expected, let actual):
      return "your formula has shape \(actual), but the expected shape is \(expected)"
    case .transposedShape(let expected, let actual):
      return "your formula has shape \(actual), the transpose of the expected \(expected)"
    case .missingBinding(let name):
      return "no value is bound for `\(name)`, which the formula uses"
    case .unknownBinding(let name, let s):
      return "the binding `\(name)` names no declared quantity\(didYouMean(s))"
    case .wrongBindingKind(let name, let expected):
      return "`\(name)` must be bound to \(expected)"
    case .bindingShape(let name, let declared, let actual, let reason):
      return "`\(name)` is bound to a \(actual) matrix, but its declared shape \(declared) \(reason)"
    case .sequenceLength(let name, let steps, let expected, let found, let T):
      return "`\(name)` is bound to \(found) matrices, but its steps \(steps) need \(expected) at T = \(T)"
    case .unknownDimension(let d):
      return "the size of dimension \(d) is unknown at this evaluation: bind a quantity of that size or set it in the bindings' dimensions"
    case .invalidDimension(let d, let n):
      return "dimension \(d) has size \(n); sizes must be at least 1"
    case .missingStepCount(let symbol):
      return "the formula uses steps, but the bindings give no step count \(symbol)"
    case .missingStepVariable(let v, let r):
      let user = r.isEmpty ? "the formula" : "`\(r)`\(at)"
      return "\(user) uses the step `\(v)`, but the bindings give no value for it"
    case .unknownStepVariable(let v, let declared):
      let list = declared.isEmpty ? "none" : declared.joined(separator: ", ")
      return "the bindings give a value for the step `\(v)`, which the context does not declare (its step variables: \(list))"
    case .stepVariableOutOfRange(let v, let k, let steps, let T):
      return "the step `\(v)` is bound to \(k), outside its range \(steps) at T = \(T)"
    case .invalidStepCount(let T):
      return "the step count is \(T); it must be at least 1"
    case .classIndexOutOfRange(let r, let v, let classes, let d):
      return "`\(r)` is \(v), outside 0..<\(classes) (\(d) = \(classes))"
    case .notOneHot(let r):
      return "`\(r)` is declared one-hot, but its bound value is not a single 1 among zeros"
    case .stepOutOfRange(let r, let step, let name, let steps, let where_):
      return "`\(r)`\(at)\(where_.isEmpty ? "" : " at " + where_) asks for step \(step), but \(name) is bound for steps \(steps)"
    case .evaluationTooLong(let limit):
      return "evaluating the formula takes more than \(limit) operations: its sums' ranges are too large"
    case .internalShapeError(let message):
      return "the evaluation met an unexpected shape (\(message)); please report this formula"
    }
  }

  static func closing(_ open: String) -> String {
    switch open {
    case "(": return ")"
    case "[": return "]"
    case "{": return "}"
    default: return ")"
    }
  }
}
