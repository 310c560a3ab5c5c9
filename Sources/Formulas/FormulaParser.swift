/// Reads the tokens of a formula into a `FormulaNode` tree, resolving names against a context.
///
/// Grammar, loosest first (every level is a loop, so long chains do not recurse):
/// ```
/// formula   = [left-hand side "="] sum
/// sum       = ["+" | "−"] hadamard { ("+" | "−") hadamard }
/// hadamard  = product { ("⊙" | "⊗") product }          ⊙ binds looser than the product:
///                                                        σ′(z) ⊙ Uᵀ δ1 is σ′(z) ⊙ (Uᵀ δ1)
/// product   = unary { ("*" | "/") unary | postfix }       juxtaposition is a product
/// unary     = "−" unary | postfix
/// postfix   = primary { "ᵀ" | "'" | "^T" | "^{(t)}" | "[t]" }
/// primary   = number | name [subscripts] | function [′] argument | "(" sum ")" | "{" sum "}"
///           | \frac{sum}{sum} | Σ_t hadamard | \sum_{t=a}^{b} hadamard
/// ```
/// The body of a sum runs to the next `+`, `−` or closing bracket at its level.
/// Nesting is counted: beyond `FormulaLimits.maximumDepth` the parser stops with `tooDeep`
/// instead of recursing further.
struct FormulaParser {
  let context: FormulaContext
  let source: SourceText
  var tokens: [FormulaToken]
  var p = 0
  var depth = 0
  /// The variables of the enclosing sums, innermost last.
  var bound: [String] = []

  init(tokens: [FormulaToken], source: SourceText, context: FormulaContext) {
    self.tokens = tokens
    self.source = source
    self.context = context
    free = Set(context.stepVariables.keys)
  }

  /// The context's step variables (a sum may rebind them).
  var free: Set<String> = []

  func isBound(_ v: String) -> Bool { bound.contains(v) || free.contains(v) }

  /// Every variable in scope, for messages.
  var inScope: [String] { free.subtracting(bound).sorted() + bound }

  // MARK: Tokens

  var current: FormulaToken { tokens[p] }
  var kind: FormulaToken.Kind { tokens[p].kind }

  func peekKind(_ k: Int) -> FormulaToken.Kind { tokens[min(p + k, tokens.count - 1)].kind }

  @discardableResult
  mutating func advance() -> FormulaToken {
    let t = tokens[p]
    if p < tokens.count - 1 { p += 1 }
    return t
  }

  func error(_ kind: FormulaError.Kind, _ span: SourceSpan) -> FormulaError {
    FormulaError(kind, at: span, in: source)
  }

  func text(_ span: SourceSpan) -> String { source.snippet(span) }

  func tokenText(_ t: FormulaToken) -> String {
    if case .end = t.kind { return "the end of the formula" }
    return source.snippet(t.span)
  }

  mutating func enter(_ span: SourceSpan) throws(FormulaError) {
    depth += 1
    if depth > context.limits.maximumDepth { throw error(.tooDeep(limit: context.limits.maximumDepth), span) }
  }

  mutating func leave() { depth -= 1 }

  func checkHeight(_ node: FormulaNode) throws(FormulaError) -> FormulaNode {
    if node.height > context.limits.maximumDepth {
      throw error(.tooDeep(limit: context.limits.maximumDepth), node.span)
    }
    return node
  }

  /// Tokens that can begin an operand, after a binary operator or at the start.
  func canStartOperand(_ k: FormulaToken.Kind) -> Bool {
    switch k {
    case .plus, .minus: return true
    default: return canStartJuxtaposed(k)
    }
  }

  /// Tokens that begin a factor written right after another (`U h`, `2 h`, `(1/T) Σ_t …`).
  func canStartJuxtaposed(_ k: FormulaToken.Kind) -> Bool {
    switch k {
    case .name, .number, .sum, .frac: return true
    case .open: return true
    default: return false
    }
  }

  mutating func requireOperand(after op: FormulaToken) throws(FormulaError) {
    if !canStartOperand(kind) { throw error(.missingOperand(operator: tokenText(op)), op.span) }
  }

  // MARK: Formula

  /// The whole formula; `lhs` is the text before the last top-level `=` (e.g. `∂J/∂U`).
  mutating func parseFormula() throws(FormulaError) -> (lhs: String?, node: FormulaNode) {
    var lhs: String?
    var level = 0
    var lastEquals: Int?
    for (k, t) in tokens.enumerated() {
      switch t.kind {
      case .open: level += 1
      case .close: level -= 1
      case .equals where level == 0: lastEquals = k
      default: break
      }
    }
    if let e = lastEquals {
      lhs = source.snippet(SourceSpan(0, tokens[e].span.start))
      p = e + 1
      if case .end = kind { throw error(.missingOperand(operator: "="), tokens[e].span) }
    }
    let node = try parseSum()
    guard case .end = kind else {
      switch kind {
      case .close: throw error(.unmatchedClosingBracket(tokenText(current)), current.span)
      case .equals: throw error(.unexpectedToken(found: "=", expected: "a single `=` after the left-hand side"), current.span)
      case .comma: throw error(.unexpectedToken(found: ",", expected: "an operator (commas separate the arguments of outer(a, b))"), current.span)
      case .underscore: throw error(.misplacedIndex("_"), current.span)
      default: throw error(.unexpectedToken(found: tokenText(current), expected: "an operator or the end of the formula"), current.span)
      }
    }
    return (lhs, node)
  }

  // MARK: Levels

  mutating func parseSum() throws(FormulaError) -> FormulaNode {
    let start = current.span.start
    var terms: [FormulaNode.Term] = []
    var negated = false
    // Leading signs, possibly several (`− −a`), without recursion.
    while kind == .plus || kind == .minus {
      let sign = advance()
      if sign.kind == .minus { negated.toggle() }
      try requireOperand(after: sign)
    }
    terms.append(FormulaNode.Term(negated: negated, node: try parseHadamard()))
    while kind == .plus || kind == .minus {
      let op = advance()
      try requireOperand(after: op)
      var neg = op.kind == .minus
      while kind == .plus || kind == .minus {
        let sign = advance()
        if sign.kind == .minus { neg.toggle() }
        try requireOperand(after: sign)
      }
      terms.append(FormulaNode.Term(negated: neg, node: try parseHadamard()))
    }
    let span = SourceSpan(start, terms.last!.node.span.end)
    if terms.count == 1 {
      return terms[0].negated ? try checkHeight(FormulaNode(.negation(terms[0].node), span)) : terms[0].node
    }
    return try checkHeight(FormulaNode(.sum(terms), span))
  }

  mutating func parseHadamard() throws(FormulaError) -> FormulaNode {
    var group = [try parseProduct()]
    func finish(_ group: [FormulaNode]) -> FormulaNode {
      group.count == 1 ? group[0] : FormulaNode(.hadamard(group), group[0].span.union(group.last!.span))
    }
    while kind == .hadamard || kind == .otimes {
      let op = advance()
      try requireOperand(after: op)
      let rhs = try parseProduct()
      if op.kind == .hadamard {
        group.append(rhs)
      } else {
        let lhs = finish(group)
        group = [try checkHeight(FormulaNode(.call(.outer, derivative: false, arguments: [lhs, rhs]), lhs.span.union(rhs.span)))]
      }
    }
    return try checkHeight(finish(group))
  }

  mutating func parseProduct() throws(FormulaError) -> FormulaNode {
    var factors = [FormulaNode.Factor(node: try parseUnary(), divides: false)]
    while true {
      if kind == .times || kind == .slash {
        let op = advance()
        try requireOperand(after: op)
        factors.append(FormulaNode.Factor(node: try parseUnary(), divides: op.kind == .slash))
      } else if canStartJuxtaposed(kind) {
        factors.append(FormulaNode.Factor(node: try parsePostfix(), divides: false))
      } else {
        break
      }
    }
    if factors.count == 1 { return factors[0].node }
    return try checkHeight(FormulaNode(.product(factors), factors[0].node.span.union(factors.last!.node.span)))
  }

  mutating func parseUnary() throws(FormulaError) -> FormulaNode {
    if kind == .minus || kind == .plus {
      let sign = advance()
      try requireOperand(after: sign)
      try enter(sign.span)
      defer { leave() }
      let operand = try parseUnary()
      if sign.kind == .plus { return operand }
      return try checkHeight(FormulaNode(.negation(operand), sign.span.union(operand.span)))
    }
    return try parsePostfix()
  }

  // MARK: Postfix: transpose, step index

  mutating func parsePostfix() throws(FormulaError) -> FormulaNode {
    var node = try parsePrimary()
    /// True while `node` is a quantity reference that may still take its step index.
    var bare: Bool = { if case .quantity(_, nil) = node.kind { return true } else { return false } }()
    loop: while true {
      switch kind {
      case .transposeMark, .prime:
        let t = advance()
        try checkIndexed(node)
        node = try checkHeight(FormulaNode(.transpose(node), node.span.union(t.span)))
        bare = false
      case .caret:
        let caret = advance()
        node = try caretSuffix(node, caret: caret, bare: bare)
        bare = false
      case .open("[") where current.span.start == node.span.end:
        // `h[t]`: an index written right after the name (with a space, `[` opens a group).
        node = try bracketIndex(node, bare: bare)
        bare = false
      case .underscore:
        throw error(.misplacedIndex("_"), current.span)
      default:
        break loop
      }
    }
    try checkIndexed(node)
    return node
  }

  /// A step-indexed quantity must have its step by the time anything else is applied to it.
  func checkIndexed(_ node: FormulaNode) throws(FormulaError) {
    guard case .quantity(let name, nil) = node.kind, let q = context.quantity(named: name), let steps = q.steps else { return }
    throw error(.missingIndex(name: q.name, steps: steps.description(stepCount: context.stepCount ?? "T")), node.span)
  }

  mutating func attachIndex(_ node: FormulaNode, _ index: StepIndex, span: SourceSpan, bare: Bool) throws(FormulaError) -> FormulaNode {
    guard bare, case .quantity(let name, nil) = node.kind else {
      throw error(.misplacedIndex(text(span)), span)
    }
    guard context.quantity(named: name)?.steps != nil else {
      throw error(.indexOnUnindexedQuantity(name: name), node.span)
    }
    return FormulaNode(.quantity(name: name, step: index), node.span.union(span))
  }

  mutating func bracketIndex(_ node: FormulaNode, bare: Bool) throws(FormulaError) -> FormulaNode {
    let open = advance()
    if bare, case .quantity(let name, nil) = node.kind, context.quantity(named: name)?.steps == nil {
      throw error(.indexOnUnindexedQuantity(name: name), node.span)
    }
    let index = try parseIndex(until: "]", opening: open)
    let close = advance()
    return try attachIndex(node, index, span: open.span.union(close.span), bare: bare)
  }

  /// After `^`: `T`, `\top`, `{\top}`, `'` (transpose); `(t)`, `{(t)}`, `{t−1}`, `t` (step).
  mutating func caretSuffix(_ node: FormulaNode, caret: FormulaToken, bare: Bool) throws(FormulaError) -> FormulaNode {
    func transpose(_ end: SourceSpan) throws(FormulaError) -> FormulaNode {
      try checkIndexed(node)
      return try checkHeight(FormulaNode(.transpose(node), node.span.union(end)))
    }
    switch kind {
    case .transposeMark, .prime:
      return try transpose(advance().span)
    case .name(let n) where n == "T":
      return try transpose(advance().span)
    case .name(let n) where n.hasPrefix("T") && isBoundOrStepName(String(n.dropFirst())) == false:
      // `U^Th`: LaTeX reads one character after `^`; the rest is the next factor.
      let t = current
      tokens[p] = FormulaToken(kind: .name(String(n.dropFirst())), span: SourceSpan(t.span.start + 1, t.span.end))
      return try transpose(SourceSpan(t.span.start, t.span.start + 1))
    case .name(let n) where isBound(n):
      let t = advance()
      return try attachIndex(node, .variable(n), span: caret.span.union(t.span), bare: bare)
    case .name(let n) where n.count == 1 && n.first!.isLowercase && isStepIndexed(node, bare):
      throw error(.unboundVariable(name: n, bound: inScope), current.span)
    case .open("("):
      let open = advance()
      let index = try parseIndex(until: ")", opening: open)
      let close = advance()
      return try attachIndex(node, index, span: caret.span.union(close.span), bare: bare)
    case .open("{"):
      let open = advance()
      switch kind {
      case .transposeMark, .prime:
        advance()
        return try transpose(try expectClose("}", opening: open).span)
      case .name("T") where peekKind(1) == .close("}"):
        advance()
        return try transpose(try expectClose("}", opening: open).span)
      case .open("("):
        let inner = advance()
        let index = try parseIndex(until: ")", opening: inner)
        advance()
        let close = try expectClose("}", opening: open)
        return try attachIndex(node, index, span: caret.span.union(close.span), bare: bare)
      case .close("}"):
        throw error(.missingExponent, caret.span)
      default:
        if case .name(let n) = kind, n.count == 1, n.first!.isLowercase, !isBound(n), isStepIndexed(node, bare) {
          throw error(.unboundVariable(name: n, bound: inScope), current.span)
        }
        if bare, case .quantity(let name, nil) = node.kind, context.quantity(named: name)?.steps != nil, startsIndex() {
          let index = try parseIndex(until: "}", opening: open)
          let close = advance()
          return try attachIndex(node, index, span: caret.span.union(close.span), bare: bare)
        }
        let end = closingIndex(from: p - 1) ?? tokens.count - 1
        let content = source.snippet(SourceSpan(open.span.start, tokens[end].span.end))
        throw error(.unsupportedExponent(content), caret.span.union(tokens[end].span))
      }
    case .number:
      let t = advance()
      throw error(.unsupportedExponent(text(t.span)), caret.span.union(t.span))
    case .minus:
      throw error(.unsupportedExponent(text(current.span.union(tokens[min(p + 1, tokens.count - 1)].span))), caret.span)
    case .name(let n):
      throw error(.unsupportedExponent(n), caret.span.union(current.span))
    default:
      throw error(.missingExponent, caret.span)
    }
  }

  /// True for a step-indexed quantity that has not yet taken its step.
  func isStepIndexed(_ node: FormulaNode, _ bare: Bool) -> Bool {
    guard bare, case .quantity(let name, nil) = node.kind else { return false }
    return context.quantity(named: name)?.steps != nil
  }

  func isBoundOrStepName(_ n: String) -> Bool {
    isBound(n) || context.isStepCount(n)
  }

  /// True when the tokens from here look like a step (`t`, `t-1`, `T`, `0`), before a `}`.
  func startsIndex() -> Bool {
    var k = p
    while k < tokens.count {
      switch tokens[k].kind {
      case .close("}"): return k > p
      case .number, .plus, .minus: break
      case .name(let n): if !(isBound(n) || context.isStepCount(n)) { return false }
      default: return false
      }
      k += 1
    }
    return false
  }

  /// The token index of the bracket closing the one at `open`.
  func closingIndex(from open: Int) -> Int? {
    var level = 0
    for k in open..<tokens.count {
      switch tokens[k].kind {
      case .open: level += 1
      case .close:
        level -= 1
        if level == 0 { return k }
      default: break
      }
    }
    return nil
  }

  mutating func expectClose(_ c: Character, opening: FormulaToken) throws(FormulaError) -> FormulaToken {
    guard kind == .close(c) else {
      throw error(.unexpectedToken(found: tokenText(current), expected: "`\(c)` closing the `\(tokenText(opening))` at column \(source.location(opening.span.start).column)"), current.span)
    }
    return advance()
  }

  // MARK: Steps

  /// `t`, `t-1`, `T`, `0`, `i+1`, `T-1` up to (not including) the closing `c`.
  mutating func parseIndex(until c: Character, opening: FormulaToken, alsoStopAt stop: FormulaToken.Kind? = nil) throws(FormulaError) -> StepIndex {
    let start = current.span.start
    var index = StepIndex()
    var first = true
    func malformed(_ reason: String, _ me: FormulaParser) -> FormulaError {
      var k = me.p
      while k < me.tokens.count - 1, me.tokens[k].kind != .close(c) { k += 1 }
      let span = SourceSpan(start, max(start, me.tokens[k].span.start))
      return me.error(.malformedIndex(me.text(span), reason: reason), span)
    }
    let stepRule = "must be a step: an integer, a sum's variable or \(context.stepCount ?? "T"), plus or minus integers (t-1, T, 0)"
    if kind == .close(c) { throw malformed("is empty: write a step such as t, t-1 or T", self) }
    while true {
      var sign = 1
      if kind == .plus || kind == .minus {
        sign = kind == .minus ? -1 : 1
        advance()
      } else if !first {
        throw malformed(stepRule, self)
      }
      first = false
      switch kind {
      case .number(let v):
        guard v == v.rounded(), abs(v) < 1e9 else { throw malformed(stepRule, self) }
        advance()
        index.constant += sign * Int(v)
      case .name(let n):
        let t = advance()
        if isBound(n) {
          index.add(n, sign)
        } else if context.isStepCount(n) {
          index.stepCountCoefficient += sign
        } else if let q = context.quantity(named: n) {
          throw error(.malformedIndex(n, reason: "names the quantity \(q.name); an index \(stepRule)"), t.span)
        } else {
          throw error(.unboundVariable(name: n, bound: inScope), t.span)
        }
      default:
        throw malformed(stepRule, self)
      }
      if kind == .close(c) { return index }
      if let stop, kind == stop { return index }
      if kind == .end { throw error(.unclosedBracket(tokenText(opening)), opening.span) }
    }
  }

  // MARK: Primaries

  mutating func parsePrimary() throws(FormulaError) -> FormulaNode {
    let t = current
    switch t.kind {
    case .number(let v):
      advance()
      return FormulaNode(.number(v), t.span)
    case .open(let c):
      advance()
      try enter(t.span)
      defer { leave() }
      let closing = Character(FormulaError.closing(String(c)))
      if kind == .close(closing) {
        throw error(.unexpectedToken(found: tokenText(t) + tokenText(current), expected: "an expression inside the brackets"), t.span.union(current.span))
      }
      var inner = try parseSum()
      let close = try expectClose(closing, opening: t)
      inner.span = t.span.union(close.span)
      return inner
    case .frac:
      advance()
      try enter(t.span)
      defer { leave() }
      let numerator = try fracArgument(of: t, "numerator")
      let denominator = try fracArgument(of: t, "denominator")
      let span = t.span.union(denominator.span)
      return try checkHeight(FormulaNode(.product([.init(node: numerator, divides: false), .init(node: denominator, divides: true)]), span))
    case .sum:
      return try parseSummation()
    case .name:
      return try parseName()
    case .derivative:
      throw error(.unsupportedCommand(tokenText(t), reason: "is a derivative sign: write the formula itself (a left-hand side such as ∂J/∂U = … is allowed)"), t.span)
    case .times, .slash, .hadamard, .otimes, .caret, .transposeMark, .prime:
      throw error(.missingLeftOperand(operator: tokenText(t)), t.span)
    case .close:
      throw error(.unexpectedToken(found: tokenText(t), expected: "an operand"), t.span)
    case .end:
      throw error(.unexpectedToken(found: tokenText(t), expected: "an operand"), t.span)
    default:
      throw error(.unexpectedToken(found: tokenText(t), expected: "an operand"), t.span)
    }
  }

  /// A `\frac` argument: `{…}` or a single name or number.
  mutating func fracArgument(of frac: FormulaToken, _ which: String) throws(FormulaError) -> FormulaNode {
    switch kind {
    case .open("{"):
      return try parsePrimary()
    case .name, .number:
      return try parsePrimary()
    default:
      throw error(.unexpectedToken(found: tokenText(current), expected: "the \(which) of \\frac in braces, \\frac{1}{T}"), current.span)
    }
  }

  /// `Σ_t body`, `sum_t body`, `\sum_{t=1}^{T} body`, `\sum_{i=1}^{t} body`, `sum_{t=1..T} body`.
  mutating func parseSummation() throws(FormulaError) -> FormulaNode {
    let sigma = advance()
    if bound.count >= context.limits.maximumNestedSums {
      throw error(.tooManyNestedSums(limit: context.limits.maximumNestedSums), sigma.span)
    }
    let stepSymbol = context.stepCount ?? "T"
    guard kind == .underscore else {
      throw error(.malformedSum(reason: "needs its variable: write sum_t, Σ_t or \\sum_{t=1}^{\(stepSymbol)}"), sigma.span)
    }
    advance()
    var variable: String
    var variableSpan: SourceSpan
    var lower: StepIndex?
    var upper: StepIndex?
    switch kind {
    case .name(let v):
      variableSpan = advance().span
      variable = v
    case .open("{"):
      let open = advance()
      guard case .name(let v) = kind else {
        throw error(.malformedSum(reason: "needs a variable after `_{`, as in \\sum_{t=1}^{\(stepSymbol)}"), current.span)
      }
      variableSpan = advance().span
      variable = v
      if kind == .equals {
        advance()
        lower = try parseIndex(until: "}", opening: open, alsoStopAt: .ellipsis)
        if kind == .ellipsis {
          advance()
          upper = try parseIndex(until: "}", opening: open)
        }
      }
      _ = try expectClose("}", opening: open)
    default:
      throw error(.malformedSum(reason: "needs its variable: write sum_t, Σ_t or \\sum_{t=1}^{\(stepSymbol)}"), current.span)
    }
    if kind == .caret {
      let caret = advance()
      if upper != nil { throw error(.malformedSum(reason: "has two upper bounds"), caret.span) }
      switch kind {
      case .open("{"):
        let open = advance()
        upper = try parseIndex(until: "}", opening: open)
        advance()
      case .name(let n):
        let t = advance()
        if isBound(n) { upper = .variable(n) } else if context.isStepCount(n) { upper = StepIndex(stepCountCoefficient: 1) } else {
          throw error(.unboundVariable(name: n, bound: inScope), t.span)
        }
      case .number(let v) where v == v.rounded() && abs(v) < 1e9:
        advance()
        upper = StepIndex(constant: Int(v))
      default:
        throw error(.malformedSum(reason: "needs an upper bound after `^`, as in \\sum_{t=1}^{\(stepSymbol)}"), caret.span)
      }
    }
    if bound.contains(variable) { throw error(.variableAlreadyBound(name: variable), variableSpan) }
    if context.isStepCount(variable) || context.quantity(named: variable) != nil {
      throw error(.malformedSum(reason: "cannot use `\(variable)` as its variable: it already names \(context.isStepCount(variable) ? "the step count" : "a quantity")"), variableSpan)
    }
    if upper != nil && lower == nil {
      throw error(.malformedSum(reason: "has an upper bound but no lower bound: write \\sum_{\(variable)=1}^{\(stepSymbol)}"), sigma.span)
    }
    if lower != nil && upper == nil {
      throw error(.malformedSum(reason: "has a lower bound but no upper bound: write \\sum_{\(variable)=1}^{\(stepSymbol)}"), sigma.span)
    }
    let explicit = lower != nil
    let range = context.defaultSumRange
    let headerEnd = tokens[p - 1].span
    if !canStartOperand(kind) {
      throw error(.malformedSum(reason: "has no body: write the summand after it, as in Σ_\(variable) δ1[\(variable)]"), sigma.span.union(headerEnd))
    }
    try enter(sigma.span)
    defer { leave() }
    bound.append(variable)
    defer { bound.removeLast() }
    let body = try parseSumBody()
    let s = FormulaNode.Summation(
      variable: variable, lower: lower ?? StepIndex(range.first), upper: upper ?? StepIndex(range.last), body: body,
      explicitBounds: explicit)
    return try checkHeight(FormulaNode(.summation(s), sigma.span.union(body.span)))
  }

  /// The summand: a Hadamard-level expression, possibly with a leading sign.
  mutating func parseSumBody() throws(FormulaError) -> FormulaNode {
    if kind == .minus || kind == .plus {
      let sign = advance()
      try requireOperand(after: sign)
      let body = try parseHadamard()
      return sign.kind == .plus ? body : try checkHeight(FormulaNode(.negation(body), sign.span.union(body.span)))
    }
    return try parseHadamard()
  }

  // MARK: Names

  /// A subscript after `_`: its tokens, and its text when it is a plain name or number.
  struct Subscript {
    var tokens: [FormulaToken]
    var simpleText: String?
    var span: SourceSpan
  }

  mutating func parseSubscript(after underscore: FormulaToken) throws(FormulaError) -> Subscript {
    switch kind {
    case .name(let n):
      let t = advance()
      return Subscript(tokens: [t], simpleText: n, span: underscore.span.union(t.span))
    case .number(let v) where v == v.rounded() && v >= 0 && v < 1e9:
      let t = advance()
      return Subscript(tokens: [t], simpleText: String(Int(v)), span: underscore.span.union(t.span))
    case .open("{"):
      let open = advance()
      var inner: [FormulaToken] = []
      var simple = ""
      var isSimple = true
      while kind != .close("}") {
        if kind == .end { throw error(.unclosedBracket("{"), open.span) }
        let t = advance()
        inner.append(t)
        switch t.kind {
        case .name(let n): simple += n
        case .number(let v): simple += v == v.rounded() && v >= 0 && v < 1e9 ? String(Int(v)) : text(t.span)
        default: isSimple = false
        }
      }
      let close = advance()
      if inner.isEmpty { throw error(.unexpectedToken(found: "_{}", expected: "a subscript"), underscore.span.union(close.span)) }
      return Subscript(tokens: inner, simpleText: isSimple && inner.count == 1 ? simple : nil, span: underscore.span.union(close.span))
    default:
      throw error(.unexpectedToken(found: tokenText(current), expected: "a subscript after `_`"), current.span)
    }
  }

  /// A name with its subscripts: a quantity (possibly indexed by a subscript, `h_t`, `h_{t-1}`),
  /// T or a sum's variable as a number, or a function call.
  mutating func parseName() throws(FormulaError) -> FormulaNode {
    let nameToken = advance()
    guard case .name(let base) = nameToken.kind else {
      throw error(.unexpectedToken(found: tokenText(nameToken), expected: "a name"), nameToken.span)
    }
    var subscripts: [Subscript] = []
    while kind == .underscore {
      let u = advance()
      subscripts.append(try parseSubscript(after: u))
    }
    let span = nameToken.span.union(subscripts.last?.span ?? nameToken.span)
    let simple = subscripts.allSatisfy { $0.simpleText != nil }
    let full = base + subscripts.map { "_" + ($0.simpleText ?? "") }.joined()

    if simple, let q = context.quantity(named: full) {
      return FormulaNode(.quantity(name: q.name, step: nil), span)
    }
    if simple, subscripts.isEmpty {
      if isBound(base) { return FormulaNode(.step(.variable(base)), span) }
      if context.isStepCount(base) { return FormulaNode(.step(StepIndex(stepCountCoefficient: 1)), span) }
      if let f = FormulaFunction.named(base) { return try parseCall(f, nameToken: nameToken) }
    }
    // The last subscript as a step: `h_t`, `h_{t-1}`, `\delta_1_{t}`, or plain `h_t`.
    if let last = subscripts.last {
      let stem = base + subscripts.dropLast().map { "_" + ($0.simpleText ?? "") }.joined()
      if let q = context.quantity(named: stem), subscripts.dropLast().allSatisfy({ $0.simpleText != nil }) {
        if q.steps == nil {
          if last.tokens.contains(where: { if case .name(let n) = $0.kind { return isBound(n) } else { return false } }) {
            throw error(.indexOnUnindexedQuantity(name: q.name), span)
          }
        } else {
          let index = try indexFromTokens(last)
          return FormulaNode(.quantity(name: q.name, step: index), span)
        }
      }
    } else if let u = base.lastIndex(of: "_"), u != base.startIndex {
      let stem = String(base[..<u]), sub = String(base[base.index(after: u)...])
      if let q = context.quantity(named: stem), q.steps != nil {
        if isBound(sub) { return FormulaNode(.quantity(name: q.name, step: .variable(sub)), span) }
        if context.isStepCount(sub) { return FormulaNode(.quantity(name: q.name, step: StepIndex(stepCountCoefficient: 1)), span) }
        if let n = Int(sub) { return FormulaNode(.quantity(name: q.name, step: StepIndex(constant: n)), span) }
        if sub.count == 1, sub.first!.isLowercase {
          let at = nameToken.span.start + stem.count + 1
          throw error(.unboundVariable(name: sub, bound: inScope), SourceSpan(at, at + 1))
        }
      }
    }
    // Unknown.
    let spelled = source.snippet(span)
    if kind == .open("(") && current.span.start == span.end || FormulaFunction.named(base) != nil {
      let s = NameSpelling.suggestion(for: spelled, among: FormulaFunction.spellings + context.spellings)
      throw error(.unknownFunction(spelled, suggestion: s), span)
    }
    let s = NameSpelling.suggestion(for: spelled, among: context.spellings + FormulaFunction.spellings)
    throw error(.unknownName(spelled, suggestion: s, known: context.quantities.map(\.plainReference)), span)
  }

  /// `Wx`, `Uh`: declared names written together, as LaTeX reads them, become separate name
  /// tokens (multiplied by juxtaposition) — one pass over the tokens, before parsing.
  static func splitJoinedNames(_ tokens: [FormulaToken], context: FormulaContext) -> [FormulaToken] {
    var out: [FormulaToken] = []
    out.reserveCapacity(tokens.count)
    for (k, t) in tokens.enumerated() {
      guard case .name(let text) = t.kind, text.count >= 2, tokens[k + 1].kind != .underscore,
            context.index(of: text) == nil, FormulaFunction.named(text) == nil, !context.isStepCount(text),
            let pieces = splitIntoNames(text, context: context) else {
        out.append(t)
        continue
      }
      // Each piece its own characters, unless the name was spelled otherwise (`\\mathbf{Wx}`).
      let literal = t.span.end - t.span.start == text.count
      var offset = t.span.start
      for piece in pieces {
        out.append(FormulaToken(kind: .name(piece), span: literal ? SourceSpan(offset, offset + piece.count) : t.span))
        offset += piece.count
      }
    }
    return out
  }

  /// `Wx` → [W, x] when every piece is a declared name (fewest pieces, at least two); letters
  /// and digits only, so `W_hh` stays one (unknown) name.
  static func splitIntoNames(_ text: String, context: FormulaContext) -> [String]? {
    let chars = Array(text)
    guard chars.count >= 2, chars.count <= 64, chars.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
    // best[i]: the fewest pieces covering chars[0..<i].
    var best: [[String]?] = Array(repeating: nil, count: chars.count + 1)
    best[0] = []
    for end in 1...chars.count {
      for start in 0..<end {
        guard let prefix = best[start], chars[start].isLetter else { continue }
        let piece = String(chars[start..<end])
        guard context.index(of: piece) != nil else { continue }
        if best[end] == nil || best[end]!.count > prefix.count + 1 { best[end] = prefix + [piece] }
      }
    }
    guard let pieces = best[chars.count], pieces.count >= 2 else { return nil }
    return pieces
  }

  /// A subscript's tokens read as a step (`t`, `t-1`, `T`, `0`).
  mutating func indexFromTokens(_ sub: Subscript) throws(FormulaError) -> StepIndex {
    var inner = FormulaParser(tokens: sub.tokens + [FormulaToken(kind: .close("}"), span: SourceSpan(sub.span.end, sub.span.end))],
                              source: source, context: context)
    inner.bound = bound
    inner.free = free
    let open = FormulaToken(kind: .open("{"), span: sub.span)
    return try inner.parseIndex(until: "}", opening: open)
  }

  /// `σ(z)`, `σ′(z)`, `f'(z)`, `\sigma^\prime(z)`, `\tanh z`, `outer(a, b)`.
  mutating func parseCall(_ f: FormulaFunction, nameToken: FormulaToken) throws(FormulaError) -> FormulaNode {
    var derivative = false
    var end = nameToken.span
    if kind == .prime {
      end = advance().span
      derivative = true
    } else if kind == .caret, peekKind(1) == .prime {
      advance()
      end = advance().span
      derivative = true
    } else if kind == .caret, peekKind(1) == .open("{"), peekKind(2) == .prime, peekKind(3) == .close("}") {
      advance(); advance(); advance()
      end = advance().span
      derivative = true
    }
    if derivative && kind == .prime {
      throw error(.unsupportedExponent("′′ (a second derivative)"), current.span)
    }
    let name = text(nameToken.span)
    if derivative && !f.isActivation { throw error(.derivativeOfNonActivation(function: name), nameToken.span.union(end)) }
    if f == .modelActivation && context.activation == nil { throw error(.noModelActivation, nameToken.span) }
    var args: [FormulaNode] = []
    var span = nameToken.span.union(end)
    if case .open(let c) = kind, c == "(" || c == "{" || c == "[" && current.span.start == end.end {
      let open = advance()
      try enter(open.span)
      defer { leave() }
      let closing = Character(FormulaError.closing(String(c)))
      if kind != .close(closing) {
        args.append(try parseSum())
        while kind == .comma {
          let comma = advance()
          try requireOperand(after: comma)
          args.append(try parseSum())
        }
      }
      span = span.union(try expectClose(closing, opening: open).span)
    } else if f.arity == 1, canStartJuxtaposed(kind) {
      // `\tanh z`, `\log \hat{y}`: a single factor as LaTeX writes it.
      try enter(current.span)
      defer { leave() }
      let arg = try parsePostfix()
      args.append(arg)
      span = span.union(arg.span)
    } else {
      throw error(.missingArgument(function: name + (derivative ? "′" : "")), nameToken.span.union(end))
    }
    if args.count != f.arity {
      throw error(.wrongArity(function: name + (derivative ? "′" : ""), expected: f.arity, found: args.count), span)
    }
    return try checkHeight(FormulaNode(.call(f, derivative: derivative, arguments: args), span))
  }
}

// MARK: - Brackets

extension FormulaParser {
  /// Checks that brackets balance and nest no deeper than the limit, before parsing: iterative,
  /// so 10 000 open brackets get a message rather than 10 000 stack frames.
  static func checkBrackets(_ tokens: [FormulaToken], source: SourceText, limit: Int) throws(FormulaError) {
    var stack: [FormulaToken] = []
    for t in tokens {
      switch t.kind {
      case .open:
        stack.append(t)
        if stack.count > limit { throw FormulaError(.tooDeep(limit: limit), at: t.span, in: source) }
      case .close(let c):
        guard let open = stack.popLast() else {
          throw FormulaError(.unmatchedClosingBracket(String(c)), at: t.span, in: source)
        }
        guard case .open(let o) = open.kind, FormulaError.closing(String(o)) == String(c) else {
          if case .open(let o) = open.kind {
            throw FormulaError(.mismatchedBracket(open: String(o), close: String(c), openColumn: source.location(open.span.start).column),
                               at: t.span, in: source)
          }
          continue
        }
      default: break
      }
    }
    if let open = stack.last, case .open(let o) = open.kind {
      throw FormulaError(.unclosedBracket(String(o)), at: open.span, in: source)
    }
  }
}
