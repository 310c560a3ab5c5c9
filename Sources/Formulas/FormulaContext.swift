import Jacobians

/// The limits that keep a malformed or hostile formula from crashing or hanging the grader.
public struct FormulaLimits: Hashable, Sendable {
  /// The longest formula accepted, in characters.
  public var maximumLength: Int
  /// The deepest nesting of brackets, operators and function calls.
  public var maximumDepth: Int
  /// The most sums nested inside one another (`Σ_t Σ_{i=1}^{t}` is 2).
  public var maximumNestedSums: Int
  /// The most operations one evaluation may perform (a product of sum ranges can be large).
  public var maximumEvaluationSteps: Int

  public init(maximumLength: Int = 100_000, maximumDepth: Int = 64, maximumNestedSums: Int = 4,
              maximumEvaluationSteps: Int = 5_000_000) {
    self.maximumLength = maximumLength
    self.maximumDepth = maximumDepth
    self.maximumNestedSums = maximumNestedSums
    self.maximumEvaluationSteps = maximumEvaluationSteps
  }
}

/// A declaration that cannot be part of a context.
public struct FormulaContextError: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Kind: Hashable, Sendable {
    /// Two declarations (or a declaration and an alias) are spellings of one name.
    case duplicateName(spelling: String, first: String, second: String)
    /// The name is a function or keyword of the language (`f`, `exp`, `sum`, the step count T).
    case reservedName(String)
    /// The name is not a name the parser can read (empty, or with operators or spaces).
    case invalidName(String)
  }

  public var kind: Kind

  public init(_ kind: Kind) { self.kind = kind }

  public var description: String {
    switch kind {
    case .duplicateName(let s, let a, let b):
      return "the spelling `\(s)` of `\(b)` already names `\(a)`: every name and alias must be distinct (Greek letters, accents and the underscore before digits do not distinguish names)"
    case .reservedName(let s):
      return "`\(s)` is a function or keyword of the formula language and cannot name a quantity"
    case .invalidName(let s):
      return "`\(s)` is not a valid quantity name: use letters, digits and underscores, starting with a letter"
    }
  }
}

/// Everything a formula may refer to: the model's quantities with their symbolic shapes, the
/// model's activation `f`, and the step count T.
///
/// ```swift
/// let context = try FormulaContext(quantities: [
///   .matrix("U", "V×H"),
///   .matrix("h", "H×1", steps: .zeroThroughT),                      // h[0] … h[T]
///   .matrix("delta1", "V×1", steps: .oneThroughT),                  // also δ1, \delta_1, delta_1
/// ], activation: .sigmoid)
/// ```
/// Every name is accepted in all its spellings (`NameSpelling`); the step count T is a scalar in
/// expressions (`1/T`) and the upper bound of `sum_t`.
public struct FormulaContext: Sendable {
  public private(set) var quantities: [QuantityDeclaration]
  /// The model's activation, what `f` and `f′` mean; nil when the model has none.
  public var activation: Activation?
  /// The symbol of the step count (`T`), nil for models without steps.
  public private(set) var stepCount: String?
  /// The range of `sum_t`, `Σ_t` and `\sum_t` written without bounds: t = 1…T.
  public var defaultSumRange: StepRange
  /// The steps a formula may use without a sum, with their ranges: `t` in an item
  /// `δ2^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t))`. Their values come from `FormulaBindings.steps`.
  public var stepVariables: [String: StepRange]
  public var limits: FormulaLimits

  /// Declaration index by name key.
  private var indexByKey: [String: Int]

  public init(
    quantities: [QuantityDeclaration], activation: Activation? = nil, stepCount: String? = "T",
    defaultSumRange: StepRange = .oneThroughT, stepVariables: [String: StepRange] = [:],
    limits: FormulaLimits = FormulaLimits()
  ) throws(FormulaContextError) {
    self.quantities = quantities
    self.activation = activation
    self.stepCount = stepCount
    self.defaultSumRange = defaultSumRange
    self.stepVariables = stepVariables
    self.limits = limits
    indexByKey = [:]
    var reserved = Set(FormulaFunction.byKey.keys).union(["sum", "f"])
    if let s = stepCount { reserved.insert(NameSpelling.key(s)) }
    for (i, q) in quantities.enumerated() {
      for spelling in [q.name] + q.aliases {
        guard let key = Self.nameKey(spelling) else { throw FormulaContextError(.invalidName(spelling)) }
        if reserved.contains(key) || FormulaFunction.named(spelling) != nil {
          throw FormulaContextError(.reservedName(spelling))
        }
        if let j = indexByKey[key], j != i {
          throw FormulaContextError(.duplicateName(spelling: spelling, first: quantities[j].name, second: q.name))
        }
        indexByKey[key] = i
      }
    }
  }

  /// The declaration a spelling names (`δ1`, `\delta_1`, `delta1`, an alias), if any.
  public func quantity(named spelling: String) -> QuantityDeclaration? {
    index(of: spelling).map { quantities[$0] }
  }

  func index(of spelling: String) -> Int? { Self.nameKey(spelling).flatMap { indexByKey[$0] } }

  /// True when the spelling is the step count symbol (T).
  func isStepCount(_ spelling: String) -> Bool {
    guard let s = stepCount else { return false }
    return NameSpelling.key(spelling) == NameSpelling.key(s)
  }

  /// The key of a spelling that is one name (`W_h`, `δ1`, `\hat{y}`, `\delta_{1}`), nil for
  /// anything else (`a b`, `1x`, `W_h h`).
  static func nameKey(_ spelling: String) -> String? {
    if let first = spelling.first, FormulaLexer.isNameStart(first),
       spelling.allSatisfy({ FormulaLexer.isNameContinuation($0) || $0 == "_" }) {
      return NameSpelling.key(spelling)
    }
    guard let tokens = try? FormulaLexer.tokenize(SourceText(spelling)) else { return nil }
    var k = 0
    guard case .name(var full) = tokens[k].kind else { return nil }
    k += 1
    while tokens[k].kind == .underscore {
      k += 1
      var braced = false
      if tokens[k].kind == .open("{") { braced = true; k += 1 }
      switch tokens[k].kind {
      case .name(let s): full += "_" + s
      case .number(let v) where v == v.rounded() && v >= 0 && v < 1e9: full += "_" + String(Int(v))
      default: return nil
      }
      k += 1
      if braced {
        guard tokens[k].kind == .close("}") else { return nil }
        k += 1
      }
    }
    guard tokens[k].kind == .end else { return nil }
    return NameSpelling.key(full)
  }

  /// Every declared name and alias, for "did you mean …?".
  var spellings: [String] { quantities.flatMap { [$0.name] + $0.aliases } }
}
