/// The formula as the evaluator runs it: every product resolved to a matrix product or a scaling,
/// every quantity to its declaration, every shape known in dimension symbols.
indirect enum FormulaProgram: Sendable {
  case constant(Double)
  /// A step used as a number (T, a sum's variable).
  case step(StepIndex)
  /// An unindexed quantity, by its declaration's position in the context.
  case quantity(Int)
  /// A step-indexed quantity at a step; `reference` is its text for messages.
  case stepped(Int, StepIndex, reference: String, span: SourceSpan)
  /// `onehot(k)` of a class index (at a step, when indexed).
  case oneHot(Int, StepIndex?, classes: Dimension, reference: String, span: SourceSpan)
  case add([(negated: Bool, FormulaProgram)])
  case negate(FormulaProgram)
  case matrixProduct(FormulaProgram, FormulaProgram)
  /// `matrix · scalar` (either order as written; the scalar is a 1×1 program).
  case scale(FormulaProgram, by: FormulaProgram)
  case divide(FormulaProgram, by: FormulaProgram)
  case hadamard([FormulaProgram])
  case transpose(FormulaProgram)
  case elementwise(Elementwise, FormulaProgram)
  case softmax(FormulaProgram)
  case diag(FormulaProgram)
  case outer(FormulaProgram, FormulaProgram)
  case summation(variable: String, lower: StepIndex, upper: StepIndex, body: FormulaProgram, shape: SymbolicShape)

  enum Elementwise: Sendable {
    case activation(Activation)
    case derivative(Activation)
    case exp, log
  }
}

import Jacobians

/// Infers the symbolic shape of every node of a parsed formula and compiles it to a
/// `FormulaProgram`, rejecting ill-formed products, sums and calls — and steps outside a
/// quantity's range for every T — before any number is computed.
///
/// ```
/// A B          (m×n)(n×p) = m×p; a 1×1 factor scales instead
/// A / c        c must be 1×1
/// A + B, A ⊙ B equal shapes
/// Aᵀ           n×m for A: m×n
/// σ(A), σ′(A), exp(A), log(A)   shape of A
/// softmax(v)   v a vector, shape of v
/// diag(v)      n×n for v: n×1 or 1×n
/// outer(a, b)  m×n for vectors a, b of lengths m, n
/// onehot(k)    C×1 for a class index k in 0..<C
/// Σ_t body     shape of body
/// ```
struct ShapeInference {
  let context: FormulaContext
  let source: SourceText
  /// Each enclosing sum's variable with the least and greatest value it takes, affine in T.
  var ranges: [String: (lo: Affine, hi: Affine)] = [:]

  init(context: FormulaContext, source: SourceText) {
    self.context = context
    self.source = source
    for (v, r) in context.stepVariables { ranges[v] = (r.first.affine, r.last.affine) }
  }

  func error(_ kind: FormulaError.Kind, _ span: SourceSpan) -> FormulaError {
    FormulaError(kind, at: span, in: source)
  }

  func text(_ span: SourceSpan) -> String { source.snippet(span) }

  var stepSymbol: String { context.stepCount ?? "T" }

  mutating func infer(_ node: FormulaNode) throws(FormulaError) -> (FormulaProgram, SymbolicShape) {
    switch node.kind {
    case .number(let v):
      return (.constant(v), .scalar)

    case .step(let index):
      return (.step(index), .scalar)

    case .quantity(let name, let step):
      guard let slot = context.index(of: name) else { throw error(.unknownName(name, suggestion: nil, known: []), node.span) }
      let q = context.quantities[slot]
      if case .classIndex = q.kind { throw error(.classIndexOutsideOnehot(name: q.name), node.span) }
      if let step {
        try checkRange(step, of: q, node.span)
        return (.stepped(slot, step, reference: text(node.span), span: node.span), q.shape)
      }
      return (.quantity(slot), q.shape)

    case .sum(let terms):
      var programs: [(negated: Bool, FormulaProgram)] = []
      var shape: SymbolicShape?
      for (k, term) in terms.enumerated() {
        let (p, s) = try infer(term.node)
        if let shape, shape != s {
          let span = prefix(node, through: term.node, isLast: k == terms.count - 1)
          throw error(.additionMismatch(expression: text(span), operator: term.negated ? "−" : "+", lhs: shape, rhs: s), span)
        }
        shape = s
        programs.append((term.negated, p))
      }
      return (.add(programs), shape!)

    case .product(let factors):
      var (acc, shape) = try infer(factors[0].node)
      for (k, factor) in factors.enumerated().dropFirst() {
        let (p, s) = try infer(factor.node)
        let span = prefix(node, through: factor.node, isLast: k == factors.count - 1)
        if factor.divides {
          guard s.isScalar else {
            throw error(.divisorNotScalar(expression: text(span), divisor: text(factor.node.span), shape: s), span)
          }
          acc = .divide(acc, by: p)
        } else if shape.isScalar && !s.isScalar {
          acc = .scale(p, by: acc)
          shape = s
        } else if s.isScalar {
          acc = .scale(acc, by: p)
        } else {
          guard shape.cols == s.rows else {
            throw error(.productMismatch(expression: text(span), lhs: shape, rhs: s), span)
          }
          acc = .matrixProduct(acc, p)
          shape = SymbolicShape(shape.rows, s.cols)
        }
      }
      return (acc, shape)

    case .hadamard(let nodes):
      var programs: [FormulaProgram] = []
      var shape: SymbolicShape?
      for (k, n) in nodes.enumerated() {
        let (p, s) = try infer(n)
        if let shape, shape != s {
          let span = prefix(node, through: n, isLast: k == nodes.count - 1)
          throw error(.hadamardMismatch(expression: text(span), lhs: shape, rhs: s), span)
        }
        shape = s
        programs.append(p)
      }
      return (.hadamard(programs), shape!)

    case .negation(let x):
      let (p, s) = try infer(x)
      return (.negate(p), s)

    case .transpose(let x):
      let (p, s) = try infer(x)
      return (.transpose(p), s.transposed)

    case .call(let f, let derivative, let args):
      return try call(f, derivative: derivative, args, node)

    case .summation(let sum):
      let lo = interval(sum.lower).lo, hi = interval(sum.upper).hi
      let saved = ranges[sum.variable]
      ranges[sum.variable] = (lo, hi)
      defer { ranges[sum.variable] = saved }
      let (p, s) = try infer(sum.body)
      return (.summation(variable: sum.variable, lower: sum.lower, upper: sum.upper, body: p, shape: s), s)
    }
  }

  /// The part of an n-ary node from its start through one operand, without the node's brackets.
  func prefix(_ node: FormulaNode, through operand: FormulaNode, isLast: Bool) -> SourceSpan {
    SourceSpan(node.contentSpan.start, isLast ? node.contentSpan.end : operand.span.end)
  }

  mutating func call(_ f: FormulaFunction, derivative: Bool, _ args: [FormulaNode], _ node: FormulaNode) throws(FormulaError) -> (FormulaProgram, SymbolicShape) {
    let name = f.name
    switch f {
    case .onehot:
      let arg = args[0]
      guard case .quantity(let qname, let step) = arg.kind, let slot = context.index(of: qname),
            case .classIndex(let classes) = context.quantities[slot].kind else {
        throw error(.needsClassIndex(function: name, expression: text(node.span)), node.span)
      }
      if let step { try checkRange(step, of: context.quantities[slot], arg.span) }
      return (.oneHot(slot, step, classes: classes, reference: text(arg.span), span: arg.span), .column(classes))
    case .softmax:
      let (p, s) = try infer(args[0])
      guard s.isVector else { throw error(.needsVector(function: name, expression: text(node.span), shape: s), node.span) }
      return (.softmax(p), s)
    case .diag:
      let (p, s) = try infer(args[0])
      guard let n = s.vectorLength else { throw error(.needsVector(function: name, expression: text(node.span), shape: s), node.span) }
      return (.diag(p), SymbolicShape(n, n))
    case .outer:
      let (a, sa) = try infer(args[0])
      guard let m = sa.vectorLength else { throw error(.needsVector(function: name, expression: text(node.span), shape: sa), node.span) }
      let (b, sb) = try infer(args[1])
      guard let n = sb.vectorLength else { throw error(.needsVector(function: name, expression: text(node.span), shape: sb), node.span) }
      return (.outer(a, b), SymbolicShape(m, n))
    case .exp, .log:
      let (p, s) = try infer(args[0])
      return (.elementwise(f == .exp ? .exp : .log, p), s)
    case .activation(let a):
      let (p, s) = try infer(args[0])
      return (.elementwise(derivative ? .derivative(a) : .activation(a), p), s)
    case .modelActivation:
      guard let a = context.activation else { throw error(.noModelActivation, node.span) }
      let (p, s) = try infer(args[0])
      return (.elementwise(derivative ? .derivative(a) : .activation(a), p), s)
    }
  }

  // MARK: Static range check

  /// The least and greatest value of a step over the enclosing sums, affine in T.
  func interval(_ index: StepIndex) -> (lo: Affine, hi: Affine) {
    var lo = Affine(constant: index.constant, stepCount: index.stepCountCoefficient)
    var hi = lo
    for term in index.terms {
      guard let r = ranges[term.variable] else { continue }
      if term.coefficient > 0 {
        lo = lo + term.coefficient * r.lo
        hi = hi + term.coefficient * r.hi
      } else {
        lo = lo + term.coefficient * r.hi
        hi = hi + term.coefficient * r.lo
      }
    }
    return (lo, hi)
  }

  /// Rejects a step that leaves the quantity's range for every T ≥ 1 (`h[t+1]` in Σ_t with h
  /// defined for 0…T reaches T+1 at t = T). Steps that leave it only for some T are caught when
  /// evaluated.
  func checkRange(_ index: StepIndex, of q: QuantityDeclaration, _ span: SourceSpan) throws(FormulaError) {
    guard let steps = q.steps else { return }
    let (lo, hi) = interval(index)
    func at(_ high: Bool) -> String {
      let parts = index.terms.compactMap { term -> String? in
        guard let r = ranges[term.variable] else { return nil }
        let end = (term.coefficient > 0) == high ? r.hi : r.lo
        return "\(term.variable) = \(end.description(stepCount: stepSymbol))"
      }
      return parts.isEmpty ? "" : " (at \(parts.joined(separator: ", ")))"
    }
    if hi.exceedsForEveryStepCount(steps.last.affine) {
      throw error(.indexOutOfRange(reference: text(span), name: q.name, reaches: hi.description(stepCount: stepSymbol) + at(true),
                                   steps: steps.description(stepCount: stepSymbol)), span)
    }
    if steps.first.affine.exceedsForEveryStepCount(lo) {
      throw error(.indexOutOfRange(reference: text(span), name: q.name, reaches: lo.description(stepCount: stepSymbol) + at(false),
                                   steps: steps.description(stepCount: stepSymbol)), span)
    }
  }
}
