import Formulas
import Jacobians
import Testing
import TestSupport

/// The context each kind of malformed case (`TestSupport.malformedCases`) is read in.
extension MalformedFormulaContext {
  var context: FormulaContext {
    switch self {
    case .rnn: return rnnContext()
    case .rnnWithoutSteps: return rnnContext(stepVariables: [:])
    case .withoutActivation: return scoringContext(activation: nil)
    }
  }
}

@Suite struct FormulaErrorTests {
  @Test func thereAreAtLeastThirtyMalformedCases() {
    #expect(malformedCases.count >= 30)
  }

  @Test(arguments: malformedCases)
  func malformedFormulaGivesItsMessage(_ c: MalformedCase) {
    guard let e = formulaError(c.source, { () throws(FormulaError) in _ = try Formula(c.source, in: c.context.context) }) else { return }
    let message = e.description
    for k in c.keywords {
      #expect(message.contains(k), "message «\(message)» lacks «\(k)»")
    }
    #expect(e.column == c.column, "column \(String(describing: e.column)), expected \(String(describing: c.column)): \(message)")
    if let column = c.column {
      let place = c.line.map { "at line \($0), column \(column)" } ?? "at column \(column)"
      #expect(message.contains(place), "message «\(message)» does not say «\(place)»")
    }
    if let line = c.line { #expect(e.line == line) }
  }

  /// Long flat chains within the length limit parse without deep recursion.
  @Test func longFlatChainsParse() throws {
    let context = rnnContext()
    let sum = try Formula(String(repeating: "h[0] + ", count: 1_400) + "h[0]", in: context)
    let point = RNNPoint(seed: 1)
    expectSame(try sum.evaluate(at: point.bindings), 1_401 * point.steps("h")[0], "1 401 terms", tolerance: 1e-12)
    let signs = try Formula(String(repeating: "- ", count: 4_000) + "h[0]", in: context)
    expectSame(try signs.evaluate(at: point.bindings), point.steps("h")[0], "an even number of minus signs")
  }

  /// The shape against the item's expected shape: a finding with a sentence.
  @Test func shapeComparisonNamesTheTranspose() throws {
    let context = rnnContext()
    let transposed = try Formula("sum_t h[t] delta1[t]^T", in: context)
    let expected = SymbolicShape("V", "H")
    #expect(transposed.compare(toExpected: expected) == .transposed(expected: expected, actual: SymbolicShape("H", "V")))
    let e1 = formulaError("checkShape") { () throws(FormulaError) in try transposed.checkShape(expected: expected) }
    #expect(e1?.description == "your formula has shape H×V, the transpose of the expected V×H")
    let other = try Formula("h[0]", in: context)
    let e2 = formulaError("checkShape") { () throws(FormulaError) in try other.checkShape(expected: expected) }
    #expect(e2?.description == "your formula has shape H×1, but the expected shape is V×H")
    #expect(other.compare(toExpected: SymbolicShape("H", "1")).isMatch)
    #expect(other.compare(toExpected: expected).description == "your formula has shape H×1, but the expected shape is V×H")
  }
}

/// A formula that parses but cannot be evaluated at a point.
struct EvaluationErrorCase: Sendable, CustomStringConvertible {
  var name: String
  var source: String
  var keywords: [String]
  var column: Int?
  var T: Int = 6
  var limits = FormulaLimits()
  var change: @Sendable (inout FormulaBindings) -> Void = { _ in }

  var description: String { name }
}

let evaluationErrorCases: [EvaluationErrorCase] = [
  EvaluationErrorCase(name: "h[5] at T = 4", source: "h[5]", keywords: ["`h[5]`", "asks for step 5", "h is bound for steps 0…4"], column: 1, T: 4),
  EvaluationErrorCase(name: "h[i+1] at i = 4, T = 4", source: "sum_{i=1}^{5} h[i+1]",
                      keywords: ["`h[i+1]`", "at i = 4", "asks for step 5", "steps 0…4"], column: 15, T: 4),
  EvaluationErrorCase(name: "dz[T-3] at T = 2", source: "dz[T-3]", keywords: ["asks for step -1", "T = 2", "steps 1…2"], column: 1, T: 2),
  EvaluationErrorCase(name: "missing binding", source: "U h[1]", keywords: ["no value is bound for `U`"], column: nil,
                      change: { $0["U"] = nil }),
  EvaluationErrorCase(name: "a binding of the wrong shape", source: "W_h h[1]", keywords: ["`W_h` is bound to a 5×4 matrix", "H×H", "H = 4, but H = 5"],
                      column: nil, change: { $0["W_h"] = .matrix(Matrix(rows: 5, cols: 4)) }),
  EvaluationErrorCase(name: "sizes that disagree", source: "W_h h[1]", keywords: ["`b_1`", "needs H = 3, but H = 5 from `W_h`"],
                      column: nil, change: { $0["b_1"] = .matrix(Matrix(rows: 3, cols: 1)) }),
  EvaluationErrorCase(name: "unknown binding", source: "h[1]", keywords: ["the binding `W_hh` names no declared quantity", "did you mean `W_h`?"],
                      column: nil, change: { $0["W_hh"] = .matrix(Matrix(rows: 5, cols: 5)) }),
  EvaluationErrorCase(name: "a sequence too short", source: "h[1]", keywords: ["`h` is bound to 6 matrices", "steps 0…T need 7 at T = 6"],
                      column: nil, change: { if case .steps(let m)? = $0["h"] { $0["h"] = .steps(Array(m.dropLast())) } }),
  EvaluationErrorCase(name: "a single matrix for a sequence", source: "h[1]", keywords: ["`h` must be bound to one H×1 matrix per step 0…T"],
                      column: nil, change: { $0["h"] = .matrix(Matrix(rows: 5, cols: 1)) }),
  EvaluationErrorCase(name: "step variable not bound", source: "h[t]", keywords: ["`h[t]` at column 1 uses the step `t`", "no value for it"], column: 1),
  EvaluationErrorCase(name: "step variable out of its range", source: "h[t]", keywords: ["the step `t` is bound to 9", "outside its range 1…T at T = 6"],
                      column: nil, change: { $0.steps["t"] = 9 }),
  EvaluationErrorCase(name: "a one-hot that is not", source: "x[1]", keywords: ["`x[1]` is declared one-hot"], column: nil,
                      change: { if case .steps(var m)? = $0["x"] { m[0] = Matrix(rows: 10, cols: 1, repeating: 0.1); $0["x"] = .steps(m) } }),
  EvaluationErrorCase(name: "a class index out of range", source: "onehot(tokens[3])", keywords: ["`tokens[3]` is 12, outside 0..<10 (V = 10)"],
                      column: nil, change: { if case .classIndices(var k)? = $0["tokens"] { k[2] = 12; $0["tokens"] = .classIndices(k) } }),
  EvaluationErrorCase(name: "too many operations", source: #"\sum_{i=1}^{100000} h[0]"#, keywords: ["more than 1000 operations"], column: nil,
                      limits: FormulaLimits(maximumEvaluationSteps: 1_000)),
  EvaluationErrorCase(name: "no step count", source: "h[T]", keywords: ["no step count T"], column: nil,
                      change: { b in b.stepCount = nil; b.values = b.values.filter { ["W_h", "U"].contains($0.key) } ; b["h"] = .steps([]) }),
]

@Suite struct FormulaEvaluationErrorTests {
  @Test(arguments: evaluationErrorCases)
  func evaluationErrorGivesItsMessage(_ c: EvaluationErrorCase) throws {
    var context = rnnContext()
    context.limits = c.limits
    let f = try Formula(c.source, in: context)
    var b = RNNPoint(seed: 4, T: c.T).bindings
    c.change(&b)
    guard let e = formulaError(c.source, { () throws(FormulaError) in _ = try f.evaluate(at: b) }) else { return }
    for k in c.keywords {
      #expect(e.description.contains(k), "message «\(e.description)» lacks «\(k)»")
    }
    #expect(e.column == c.column, "column \(String(describing: e.column)), expected \(String(describing: c.column)): \(e.description)")
  }
}
