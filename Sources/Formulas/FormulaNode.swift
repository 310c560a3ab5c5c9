/// A step written in a formula: `t`, `t−1`, `i`, `T`, `0`, `T+1` — integers, the variables of
/// enclosing sums and the step count T, added and subtracted.
///
/// ```
/// index = constant + Σ coefficient·variable + stepCountCoefficient·T
/// ```
public struct StepIndex: Hashable, Sendable, CustomStringConvertible {
  public struct Term: Hashable, Sendable {
    public var variable: String
    public var coefficient: Int
  }

  public var constant: Int
  /// The bound variables with their coefficients, in the order written; no zero coefficients.
  public var terms: [Term]
  public var stepCountCoefficient: Int

  public init(constant: Int = 0, terms: [Term] = [], stepCountCoefficient: Int = 0) {
    self.constant = constant
    self.terms = terms
    self.stepCountCoefficient = stepCountCoefficient
  }

  /// The variable `v`.
  public static func variable(_ v: String) -> StepIndex { StepIndex(terms: [Term(variable: v, coefficient: 1)]) }

  /// A step bound of a declaration (`T+1`) as an index.
  init(_ bound: StepBound) { self.init(constant: bound.offset, stepCountCoefficient: bound.stepCountMultiple) }

  /// Adds `k·v` (merging with an existing term of the same variable).
  mutating func add(_ v: String, _ k: Int) {
    if let j = terms.firstIndex(where: { $0.variable == v }) {
      terms[j].coefficient += k
      if terms[j].coefficient == 0 { terms.remove(at: j) }
    } else if k != 0 {
      terms.append(Term(variable: v, coefficient: k))
    }
  }

  /// The value for the given variables and T (every variable of `terms` must be given).
  func value(_ variables: [String: Int], stepCount T: Int) -> Int {
    var v = constant + stepCountCoefficient * T
    for t in terms { v += t.coefficient * (variables[t.variable] ?? 0) }
    return v
  }

  /// A single variable alone (`t`), the usual index.
  var soleVariable: String? {
    constant == 0 && stepCountCoefficient == 0 && terms.count == 1 && terms[0].coefficient == 1 ? terms[0].variable : nil
  }

  public var description: String { text(stepCount: "T", minus: "-") }

  /// `t-1` (plain) or `t−1` (the notes' text, with `minus: "−"`).
  func text(stepCount: String, minus: String) -> String {
    var parts: [(negative: Bool, body: String)] = []
    for t in terms {
      let k = abs(t.coefficient)
      parts.append((t.coefficient < 0, k == 1 ? t.variable : "\(k)\(t.variable)"))
    }
    if stepCountCoefficient != 0 {
      let k = abs(stepCountCoefficient)
      parts.append((stepCountCoefficient < 0, k == 1 ? stepCount : "\(k)\(stepCount)"))
    }
    if constant != 0 || parts.isEmpty { parts.append((constant < 0, String(abs(constant)))) }
    var s = ""
    for (n, part) in parts.enumerated() {
      if n == 0 { s += (part.negative ? minus : "") + part.body } else { s += (part.negative ? minus : "+") + part.body }
    }
    return s
  }
}

/// A parsed formula: an expression tree whose every node knows the characters it came from.
///
/// Sums, products and Hadamard products are n-ary, so a long chain `a + b + c + …` is one node
/// and the tree is only as deep as the formula's nesting.
public struct FormulaNode: Hashable, Sendable {
  public indirect enum Kind: Hashable, Sendable {
    /// A literal number: a scalar.
    case number(Double)
    /// A step used as a number: T in `1/T`, or a sum's variable.
    case step(StepIndex)
    /// A declared quantity by its declared name, with its step when it is step-indexed.
    case quantity(name: String, step: StepIndex?)
    /// `a + b − c`: the terms with their signs (a leading `−a` is a negated first term).
    case sum([Term])
    /// `a b`, `a * b`, `a / c`: factors multiplied left to right; divisors are scalars.
    case product([Factor])
    /// `a ⊙ b ⊙ c`.
    case hadamard([FormulaNode])
    case negation(FormulaNode)
    case transpose(FormulaNode)
    /// A function call: `σ(z)`, `σ′(z)` (derivative), `outer(a, b)` (also `a ⊗ b`).
    case call(FormulaFunction, derivative: Bool, arguments: [FormulaNode])
    /// `Σ_{variable = lower}^{upper} body`.
    case summation(Summation)
  }

  public struct Term: Hashable, Sendable {
    public var negated: Bool
    public var node: FormulaNode
  }

  public struct Factor: Hashable, Sendable {
    public var node: FormulaNode
    /// True for `/ node`.
    public var divides: Bool
  }

  public struct Summation: Hashable, Sendable {
    public var variable: String
    public var lower: StepIndex
    public var upper: StepIndex
    public var body: FormulaNode
    /// False for `sum_t` / `Σ_t` (the context's default range), true for `\sum_{t=1}^{T}`.
    public var explicitBounds: Bool
  }

  public var kind: Kind
  /// The characters the node was read from, with its brackets if it was written in brackets.
  public var span: SourceSpan
  /// The characters without the enclosing brackets (`span` unless the node was bracketed).
  public internal(set) var contentSpan: SourceSpan
  /// 1 for a leaf; 1 + the tallest child otherwise.
  public internal(set) var height: Int

  init(_ kind: Kind, _ span: SourceSpan) {
    self.kind = kind
    self.span = span
    self.contentSpan = span
    var h = 0
    switch kind {
    case .number, .step, .quantity: h = 0
    case .sum(let terms): h = terms.map(\.node.height).max() ?? 0
    case .product(let factors): h = factors.map(\.node.height).max() ?? 0
    case .hadamard(let nodes): h = nodes.map(\.height).max() ?? 0
    case .negation(let n), .transpose(let n): h = n.height
    case .call(_, _, let args): h = args.map(\.height).max() ?? 0
    case .summation(let s): h = s.body.height
    }
    height = h + 1
  }

  /// The declared names the formula uses, each once, in order of first use.
  public var quantityNames: [String] {
    var seen: [String] = []
    var stack = [self]
    while let n = stack.popLast() {
      switch n.kind {
      case .number, .step: break
      case .quantity(let name, _): if !seen.contains(name) { seen.append(name) }
      case .sum(let terms): stack += terms.map(\.node).reversed()
      case .product(let factors): stack += factors.map(\.node).reversed()
      case .hadamard(let nodes): stack += nodes.reversed()
      case .negation(let x), .transpose(let x): stack.append(x)
      case .call(_, _, let args): stack += args.reversed()
      case .summation(let s): stack.append(s.body)
      }
    }
    return seen
  }
}
