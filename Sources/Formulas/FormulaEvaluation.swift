import Foundation
import Jacobians

/// Runs a compiled formula at checked bindings.
///
/// Every operation uses the throwing, shape-checked `Matrix` operations, so even a shape that
/// slipped past inference is an error, never a stop. A step outside its quantity's bound range
/// names the reference, the step, the range and the sums' variables.
struct FormulaEvaluator {
  let context: FormulaContext
  let source: SourceText
  let bindings: ResolvedBindings
  /// The sums' variables, innermost last.
  var variables: [String: Int] = [:]
  var steps = 0

  init(context: FormulaContext, source: SourceText, bindings: ResolvedBindings) {
    self.context = context
    self.source = source
    self.bindings = bindings
    variables = bindings.steps
  }

  var symbol: String { context.stepCount ?? "T" }

  func stepCount(_ span: SourceSpan? = nil) throws(FormulaError) -> Int {
    guard let T = bindings.stepCount else { throw FormulaError(.missingStepCount(symbol: symbol), at: span, in: source) }
    return T
  }

  func checked(_ body: () throws(ShapeError) -> Matrix) throws(FormulaError) -> Matrix {
    do { return try body() } catch { throw FormulaError(.internalShapeError(error.description)) }
  }

  func value(_ index: StepIndex, _ span: SourceSpan? = nil) throws(FormulaError) -> Int {
    for t in index.terms where variables[t.variable] == nil {
      throw FormulaError(.missingStepVariable(name: t.variable, reference: span.map { source.snippet($0) } ?? ""), at: span, in: source)
    }
    let T = index.stepCountCoefficient != 0 ? try stepCount(span) : (bindings.stepCount ?? 0)
    return index.value(variables, stepCount: T)
  }

  /// The bound matrices of a step-indexed quantity and the step of the first one.
  func sequence(_ slot: Int, span: SourceSpan) throws(FormulaError) -> (first: Int, count: Int) {
    let q = context.quantities[slot]
    let T = try stepCount(span)
    return (q.steps!.first.value(stepCount: T), q.steps!.count(stepCount: T))
  }

  func outOfRange(_ slot: Int, _ index: StepIndex, step: Int, reference: String, span: SourceSpan) throws(FormulaError) -> FormulaError {
    let q = context.quantities[slot]
    let T = try stepCount(span)
    var at = index.terms.compactMap { t in variables[t.variable].map { "\(t.variable) = \($0)" } }
    if index.stepCountCoefficient != 0 { at.append("\(symbol) = \(T)") }
    let range = q.steps!.steps(stepCount: T).map { "\($0.lowerBound)…\($0.upperBound)" } ?? "(none)"
    return FormulaError(.stepOutOfRange(reference: reference, step: step, name: q.name, steps: range, at: at.joined(separator: ", ")),
                        at: span, in: source)
  }

  mutating func run(_ program: FormulaProgram) throws(FormulaError) -> Matrix {
    steps += 1
    if steps > context.limits.maximumEvaluationSteps {
      throw FormulaError(.evaluationTooLong(limit: context.limits.maximumEvaluationSteps))
    }
    switch program {
    case .constant(let v):
      return Matrix(scalar: v)

    case .step(let index):
      return Matrix(scalar: Double(try value(index)))

    case .quantity(let slot):
      guard case .matrix(let m)? = bindings.values[slot] else {
        throw FormulaError(.missingBinding(name: context.quantities[slot].name))
      }
      return m

    case .stepped(let slot, let index, let reference, let span):
      guard case .steps(let ms)? = bindings.values[slot] else {
        throw FormulaError(.missingBinding(name: context.quantities[slot].name))
      }
      let (first, count) = try sequence(slot, span: span)
      let step = try value(index, span)
      let k = step - first
      guard k >= 0, k < count, k < ms.count else {
        throw try outOfRange(slot, index, step: step, reference: reference, span: span)
      }
      return ms[k]

    case .oneHot(let slot, let index, let classes, let reference, let span):
      guard let C = classes.resolved(bindings.sizes) else { throw FormulaError(.unknownDimension(symbol: classes.description)) }
      let k: Int
      switch (bindings.values[slot], index) {
      case (.classIndex(let c)?, nil):
        k = c
      case (.classIndices(let cs)?, let index?):
        let (first, count) = try sequence(slot, span: span)
        let step = try value(index, span)
        guard step - first >= 0, step - first < count, step - first < cs.count else {
          throw try outOfRange(slot, index, step: step, reference: reference, span: span)
        }
        k = cs[step - first]
      default:
        throw FormulaError(.missingBinding(name: context.quantities[slot].name))
      }
      var m = Matrix(rows: C, cols: 1)
      m.scalars[k] = 1
      return m

    case .add(let terms):
      var acc = try run(terms[0].1)
      if terms[0].negated { acc = -acc }
      for (negated, p) in terms.dropFirst() {
        let x = try run(p)
        acc = try checked { () throws(ShapeError) in negated ? try acc.subtracting(x) : try acc.adding(x) }
      }
      return acc

    case .negate(let p):
      return -(try run(p))

    case .matrixProduct(let a, let b):
      let x = try run(a), y = try run(b)
      return try checked { () throws(ShapeError) in try x.multiplied(by: y) }

    case .scale(let a, let c):
      let x = try run(a), s = try run(c)
      return x * s.scalars[0]

    case .divide(let a, let c):
      let x = try run(a), s = try run(c)
      return x / s.scalars[0]

    case .hadamard(let ps):
      var acc = try run(ps[0])
      for p in ps.dropFirst() {
        let x = try run(p)
        acc = try checked { () throws(ShapeError) in try acc.hadamard(x) }
      }
      return acc

    case .transpose(let p):
      return try run(p).transposed

    case .elementwise(let f, let p):
      let x = try run(p)
      switch f {
      case .activation(let a): return a(x)
      case .derivative(let a): return a.derivative(x)
      case .exp: return x.map { Foundation.exp($0) }
      case .log: return x.map { Foundation.log($0) }
      }

    case .softmax(let p):
      let x = try run(p)
      guard x.isVector, x.count > 0 else { throw FormulaError(.internalShapeError("softmax of \(x.shape)")) }
      return Softmax.probabilities(x)

    case .diag(let p):
      let x = try run(p)
      guard x.isVector else { throw FormulaError(.internalShapeError("diag of \(x.shape)")) }
      return Matrix.diag(x.scalars)

    case .outer(let a, let b):
      let x = try run(a), y = try run(b)
      guard x.isVector, y.isVector else { throw FormulaError(.internalShapeError("outer of \(x.shape) and \(y.shape)")) }
      return Matrix.outer(x, y)

    case .summation(let v, let lower, let upper, let body, let shape):
      let a = try value(lower), b = try value(upper)
      guard let s = shape.resolved(bindings.sizes) else {
        let unknown = [shape.rows, shape.cols].first { $0.resolved(bindings.sizes) == nil }!
        throw FormulaError(.unknownDimension(symbol: unknown.description))
      }
      var acc = Matrix(shape: s)
      if a > b { return acc }
      let saved = variables[v]
      for t in a...b {
        variables[v] = t
        let x = try run(body)
        guard x.shape == acc.shape else { throw FormulaError(.internalShapeError("sum of \(x.shape) into \(acc.shape)")) }
        acc += x
      }
      variables[v] = saved
      return acc
    }
  }
}
