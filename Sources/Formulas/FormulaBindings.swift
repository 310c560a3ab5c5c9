import Jacobians

/// The values of the quantities at one evaluation point.
///
/// ```swift
/// var point = FormulaBindings(stepCount: 6)
/// point["U"] = .matrix(U)                        // V×H
/// point["h"] = .steps(h)                         // h[0] = h0, h[1] … h[6]: 7 matrices for 0…T
/// point["delta1"] = .steps(delta1)               // δ1^(1) … δ1^(6): 6 matrices for 1…T
/// point["tokens"] = .classIndices(tokens)        // x(1) … x(7)
/// ```
/// A step-indexed quantity is bound to one matrix per step of its declared range, in order:
/// element 0 is the range's first step (`h^(0)` for 0…T, `z^(1)` for 1…T). Names may be given
/// in any spelling of the declaration (`δ1`, `delta_1`). The step count may be left out when a
/// sequence determines it; dimension sizes come from the bound matrices, or from `dimensions`
/// for a size no bound matrix has (the classes of a lone label).
public struct FormulaBindings: Sendable {
  public enum Value: Sendable {
    case matrix(Matrix)
    case steps([Matrix])
    case scalar(Double)
    case classIndex(Int)
    case classIndices([Int])
  }

  public var values: [String: Value]
  /// T; nil to infer it from the length of a step-indexed binding.
  public var stepCount: Int?
  /// Sizes of dimension symbols not determined by a bound matrix.
  public var dimensions: [String: Int]
  /// The values of the context's step variables (`t` = 3 for the item δ2^(t)).
  public var steps: [String: Int]

  public init(stepCount: Int? = nil, values: [String: Value] = [:], dimensions: [String: Int] = [:], steps: [String: Int] = [:]) {
    self.stepCount = stepCount
    self.values = values
    self.dimensions = dimensions
    self.steps = steps
  }

  public subscript(name: String) -> Value? {
    get { values[name] }
    set { values[name] = newValue }
  }
}

/// The bindings checked against a context: each declaration's value, the dimension sizes, T.
struct ResolvedBindings {
  enum Value {
    case matrix(Matrix)
    case steps([Matrix])
    case classIndex(Int)
    case classIndices([Int])
  }

  var values: [Int: Value] = [:]
  var sizes: [String: Int] = [:]
  var stepCount: Int?
  var steps: [String: Int] = [:]

  /// Checks every binding against its declaration: kind, shape (unifying dimension symbols),
  /// sequence length for the step count, one-hot-ness, class range.
  init(_ bindings: FormulaBindings, context: FormulaContext) throws(FormulaError) {
    var sizeSource: [String: String] = [:]
    // Declarations, in a stable order (by the context's order).
    var bySlot: [(Int, String, FormulaBindings.Value)] = []
    for (name, value) in bindings.values {
      guard let slot = context.index(of: name) else {
        let s = NameSpelling.suggestion(for: name, among: context.spellings)
        throw FormulaError(.unknownBinding(name: name, suggestion: s))
      }
      bySlot.append((slot, name, value))
    }
    bySlot.sort { $0.0 < $1.0 }
    let symbol = context.stepCount ?? "T"

    // The step count: given, or from the first sequence whose range grows with T.
    stepCount = bindings.stepCount
    if let T = stepCount, T < 1 { throw FormulaError(.invalidStepCount(T)) }
    if stepCount == nil {
      for (slot, _, value) in bySlot {
        guard let steps = context.quantities[slot].steps else { continue }
        let growth = steps.last.stepCountMultiple - steps.first.stepCountMultiple
        guard growth == 1 else { continue }
        let n: Int
        switch value {
        case .steps(let m): n = m.count
        case .classIndices(let k): n = k.count
        default: continue
        }
        // count = (last.offset − first.offset) + T
        let T = n - 1 - (steps.last.offset - steps.first.offset)
        if T >= 1 { stepCount = T; break }
      }
    }

    for (slot, spelled, value) in bySlot {
      let q = context.quantities[slot]
      let name = q.name
      func wrongKind() -> FormulaError {
        let expected: String
        switch (q.kind, q.steps) {
        case (.classIndex, nil): expected = "an integer (a class index)"
        case (.classIndex, let s?): expected = "one integer per step \(s.description(stepCount: symbol)) (class indices)"
        case (_, nil): expected = q.shape.isScalar ? "a scalar or a 1×1 matrix" : "a single \(q.shape) matrix"
        case (_, let s?): expected = "one \(q.shape) matrix per step \(s.description(stepCount: symbol))"
        }
        return FormulaError(.wrongBindingKind(name: spelled == name ? name : "\(spelled)` (`\(name)", expected: expected))
      }
      func unify(_ m: Matrix, _ label: String) throws(FormulaError) {
        for (d, actual) in [(q.shape.rows, m.rows), (q.shape.cols, m.cols)] {
          switch d {
          case .size(let n) where n != actual:
            throw FormulaError(.bindingShape(name: label, declared: q.shape, actual: m.shape, reason: "needs \(n) there, not \(actual)"))
          case .symbol(let s):
            if let known = sizes[s], known != actual {
              let from = sizeSource[s].map { " from `\($0)`" } ?? ""
              throw FormulaError(.bindingShape(name: label, declared: q.shape, actual: m.shape,
                                               reason: "needs \(s) = \(actual), but \(s) = \(known)\(from)"))
            }
            if actual < 1 { throw FormulaError(.invalidDimension(symbol: s, size: actual)) }
            sizes[s] = actual
            sizeSource[s] = sizeSource[s] ?? label
          default: break
          }
        }
        if q.kind == .oneHot, !Self.isOneHot(m) { throw FormulaError(.notOneHot(reference: label)) }
      }
      func checkCount(_ n: Int) throws(FormulaError) {
        guard let steps = q.steps else { return }
        guard let T = stepCount else { throw FormulaError(.missingStepCount(symbol: symbol)) }
        let expected = steps.count(stepCount: T)
        if n != expected {
          throw FormulaError(.sequenceLength(name: name, steps: steps.description(stepCount: symbol), expected: expected, found: n, stepCount: T))
        }
      }
      switch (value, q.kind, q.steps) {
      case (.matrix(let m), .real, nil), (.matrix(let m), .oneHot, nil):
        try unify(m, name)
        values[slot] = .matrix(m)
      case (.scalar(let x), .real, nil) where q.shape.isScalar:
        values[slot] = .matrix(Matrix(scalar: x))
      case (.steps(let ms), .real, let steps?), (.steps(let ms), .oneHot, let steps?):
        try checkCount(ms.count)
        let first = stepCount.map { steps.first.value(stepCount: $0) } ?? 0
        for (k, m) in ms.enumerated() { try unify(m, "\(name)[\(first + k)]") }
        values[slot] = .steps(ms)
      case (.classIndex(let k), .classIndex, nil):
        values[slot] = .classIndex(k)
      case (.classIndices(let ks), .classIndex, _?):
        try checkCount(ks.count)
        values[slot] = .classIndices(ks)
      default:
        throw wrongKind()
      }
    }

    for (s, n) in bindings.dimensions {
      if n < 1 { throw FormulaError(.invalidDimension(symbol: s, size: n)) }
      if let known = sizes[s], known != n {
        throw FormulaError(.bindingShape(name: sizeSource[s] ?? s, declared: SymbolicShape(.symbol(s), .one), actual: Shape(known, 1),
                                         reason: "needs \(s) = \(known), but the bindings' dimensions set \(s) = \(n)"))
      }
      sizes[s] = n
    }

    // Step variables in their ranges.
    for (v, k) in bindings.steps {
      guard let range = context.stepVariables[v] else {
        throw FormulaError(.unknownStepVariable(name: v, declared: context.stepVariables.keys.sorted()))
      }
      guard let T = stepCount else { throw FormulaError(.missingStepCount(symbol: symbol)) }
      guard let r = range.steps(stepCount: T), r.contains(k) else {
        throw FormulaError(.stepVariableOutOfRange(name: v, value: k, steps: range.description(stepCount: symbol), stepCount: T))
      }
      steps[v] = k
    }

    // Class indices in range, now that every size is known.
    for (slot, value) in values {
      let q = context.quantities[slot]
      guard case .classIndex(let classes) = q.kind else { continue }
      guard let C = classes.resolved(sizes) else { throw FormulaError(.unknownDimension(symbol: classes.description)) }
      let first = q.steps.flatMap { s in stepCount.map { s.first.value(stepCount: $0) } } ?? 0
      let list: [(String, Int)]
      switch value {
      case .classIndex(let k): list = [(q.name, k)]
      case .classIndices(let ks): list = ks.enumerated().map { ("\(q.name)[\(first + $0.offset)]", $0.element) }
      default: list = []
      }
      for (label, k) in list where k < 0 || k >= C {
        throw FormulaError(.classIndexOutOfRange(reference: label, value: k, classes: C, dimension: classes.description))
      }
    }
  }

  static func isOneHot(_ m: Matrix) -> Bool {
    guard m.isVector else { return false }
    var ones = 0
    for x in m.scalars {
      if x == 1 { ones += 1 } else if x != 0 { return false }
    }
    return ones == 1
  }
}
