import Formulas
import Jacobians
import Testing
import TestSupport

/// Which context a malformed formula is read in.
enum ContextKind: Sendable {
  /// The RNN-LM with the step variable t (1…T).
  case rnn
  /// The RNN-LM without step variables: every step must be bound by a sum.
  case rnnWithoutSteps
  /// The scoring network with no activation declared.
  case withoutActivation

  var context: FormulaContext {
    switch self {
    case .rnn: return rnnContext()
    case .rnnWithoutSteps: return rnnContext(stepVariables: [:])
    case .withoutActivation: return scoringContext(activation: nil)
    }
  }
}

/// A formula that must be rejected, the words its message must contain, and the column it must
/// name (nil when the message is about the whole formula).
struct MalformedCase: Sendable, CustomStringConvertible {
  var name: String
  var source: String
  var keywords: [String]
  var column: Int?
  var line: Int? = nil
  var context: ContextKind = .rnn

  var description: String { name }
}

let deepNesting = String(repeating: "(", count: 10_000) + "h[0]" + String(repeating: ")", count: 10_000)
let megabyte = String(repeating: "h[0] + ", count: 150_000) + "h[0]"

let malformedCases: [MalformedCase] = [
  // Brackets
  MalformedCase(name: "unclosed bracket", source: "((U h[0])", keywords: ["unclosed `(`", "add the matching `)`"], column: 1),
  MalformedCase(name: "stray closing bracket", source: "U h[0]))", keywords: ["`)`", "closes no open bracket"], column: 7),
  MalformedCase(name: "mismatched brackets", source: "(U h[0]]", keywords: ["`]`", "does not match the `(` at column 1"], column: 8),
  MalformedCase(name: "unclosed call", source: "(U^T delta1[1]) ⊙ sigma'(z[1]", keywords: ["unclosed `(`"], column: 25),
  MalformedCase(name: "empty brackets", source: "()", keywords: ["expected an expression inside the brackets"], column: 1),
  // Names and functions
  MalformedCase(name: "unknown name with a suggestion", source: "W_hh h[0]", keywords: ["unknown name `W_hh`", "did you mean `W_h`?"], column: 1),
  MalformedCase(name: "unknown name, the declared names listed", source: "foo", keywords: ["unknown name `foo`", "the formula may use", "W_h", "h[t]"], column: 1),
  MalformedCase(name: "unknown name on line 2", source: "U h[0]\n + W_hh", keywords: ["unknown name `W_hh` at line 2, column 4", "`W_h`"], column: 4, line: 2),
  MalformedCase(name: "unknown function", source: "sigm(z[1])", keywords: ["unknown function `sigm`", "did you mean `sigma`?"], column: 1),
  MalformedCase(name: "outer with one argument", source: "outer(delta1[1])", keywords: ["`outer` takes 2 arguments, got 1"], column: 1),
  MalformedCase(name: "outer with three arguments", source: "outer(h[0], h[1], h[2])", keywords: ["`outer` takes 2 arguments, got 3"], column: 1),
  MalformedCase(name: "function without argument", source: "sigma", keywords: ["`sigma`", "needs its argument"], column: 1),
  MalformedCase(name: "derivative of softmax", source: "softmax'(z[1])", keywords: ["only activations have a derivative"], column: 1),
  MalformedCase(name: "f without a model activation", source: "f(z)", keywords: ["`f`", "declares none"], column: 1, context: .withoutActivation),
  // LaTeX and characters
  MalformedCase(name: "unknown LaTeX command", source: #"\foo h[0]"#, keywords: ["unknown LaTeX command `\\foo`"], column: 1),
  MalformedCase(name: "misspelt LaTeX command", source: #"\sigm(z[1])"#, keywords: ["unknown LaTeX command `\\sigm`", "did you mean `\\sigma`?"], column: 1),
  MalformedCase(name: "unsupported LaTeX command", source: #"\mathbb{R}"#, keywords: ["unknown LaTeX command `\\mathbb`"], column: 1),
  MalformedCase(name: "accent on an expression", source: #"\hat{x + y}"#, keywords: ["`\\hat`", "puts an accent on `x + y`"], column: 1),
  MalformedCase(name: "unexpected character", source: "h[0] $ 2", keywords: ["unexpected character `$`"], column: 6),
  MalformedCase(name: "derivative sign", source: "∂h[0]", keywords: ["`∂`", "derivative sign"], column: 1),
  // Operators and operands
  MalformedCase(name: "empty input", source: "", keywords: ["the formula is empty"], column: nil),
  MalformedCase(name: "blank input", source: "  \t ", keywords: ["the formula is empty"], column: nil),
  MalformedCase(name: "lone plus", source: "+", keywords: ["`+`", "has no right operand"], column: 1),
  MalformedCase(name: "lone star", source: "*", keywords: ["`*`", "has no left operand"], column: 1),
  MalformedCase(name: "trailing plus", source: "U h[0] +", keywords: ["`+` at column 8 has no right operand"], column: 8),
  MalformedCase(name: "trailing Hadamard", source: "U^T delta1[1] .* ", keywords: ["`.*`", "has no right operand"], column: 15),
  MalformedCase(name: "nothing after =", source: "∂J/∂U =", keywords: ["`=`", "has no right operand"], column: 7),
  MalformedCase(name: "stray comma", source: "h[0] ,h[1]", keywords: ["found `,`"], column: 6),
  MalformedCase(name: "^ without exponent", source: "h[0]^", keywords: ["`^`", "has no exponent", "^T"], column: 5),
  MalformedCase(name: "a power", source: "h[0]^2", keywords: ["`^2`", "the only exponents are ^T"], column: 5),
  MalformedCase(name: "an inverse", source: "U^{-1}", keywords: ["`^{-1}`", "the only exponents"], column: 2),
  MalformedCase(name: "\\frac without denominator", source: #"\frac{1}"#, keywords: ["the denominator of \\frac"], column: 9),
  // Steps and sums
  MalformedCase(name: "index on an unindexed quantity", source: "W_h[1] h[0]", keywords: ["`W_h`", "is not indexed by a step"], column: 1),
  MalformedCase(name: "missing index", source: "U h", keywords: ["`h`", "is indexed by the step (0…T)", "h[t]"], column: 3),
  MalformedCase(name: "bound variable out of scope", source: "h[i]", keywords: ["`i`", "not bound by an enclosing sum"], column: 3),
  MalformedCase(name: "subscript step out of scope", source: "h_{i}", keywords: ["`i`", "not bound by an enclosing sum"], column: 4),
  MalformedCase(name: "a sum's variable after the sum", source: "(sum_t h[t]) + h[t]", keywords: ["`t`", "not bound by an enclosing sum"],
                column: 18, context: .rnnWithoutSteps),
  MalformedCase(name: "one-letter slip", source: "u h[0]", keywords: ["unknown name `u`", "did you mean `U`?"], column: 1),
  MalformedCase(name: "one-letter name without a near match", source: "a + h[0]", keywords: ["unknown name `a`", "the formula may use"], column: 1),
  MalformedCase(name: "t without a sum or step variable", source: "h^(t)", keywords: ["`t`", "not bound"], column: 4, context: .rnnWithoutSteps),
  MalformedCase(name: "h[t+1] at t = T", source: "sum_t h[t+1]", keywords: ["`h[t+1]`", "step T+1 (at t = T)", "steps 0…T of h"], column: 7),
  MalformedCase(name: "z[t−1] at t = 1", source: "sum_t z[t-1]", keywords: ["`z[t-1]`", "step 0 (at t = 1)", "steps 1…T of z"], column: 7),
  MalformedCase(name: "dz[t+1] for the step variable t = T", source: "dz[t+1]", keywords: ["step T+1", "steps 1…T of dz"], column: 1),
  MalformedCase(name: "fractional index", source: "h[1.5]", keywords: ["the index `1.5`", "must be a step"], column: 3),
  MalformedCase(name: "product in an index", source: "sum_t h[2 t]", keywords: ["the index", "must be a step"], column: 9),
  MalformedCase(name: "sum without variable", source: "sum h[1]", keywords: ["the sum at column 1", "needs its variable"], column: 1),
  MalformedCase(name: "sum without body", source: "sum_t", keywords: ["the sum at column 1", "has no body"], column: 1),
  MalformedCase(name: "sum without upper bound", source: #"\sum_{t=1} h[t]"#, keywords: ["lower bound but no upper bound"], column: 1),
  MalformedCase(name: "variable bound twice", source: "sum_t sum_t h[t]", keywords: ["`t` at column 11 is already bound"], column: 11),
  MalformedCase(name: "sums nested too deep",
                source: "sum_{t=1}^{T} sum_{i=1}^{t} sum_{j=1}^{i} sum_{k=1}^{j} sum_{l=1}^{k} h[l]",
                keywords: ["sums are nested more than 4 deep"], column: 57),
  // Shapes
  MalformedCase(name: "inner sizes differ", source: "U * h[1]^T", keywords: ["`U * h[1]^T`", "(V×H)(1×H)", "the inner sizes H and 1 differ"], column: 1),
  MalformedCase(name: "two columns multiplied", source: "h[0] h[0]", keywords: ["(H×1)(H×1)", "the inner sizes 1 and H differ"], column: 1),
  MalformedCase(name: "Hadamard of different shapes", source: "h[0] ⊙ b_2", keywords: ["⊙ needs equal shapes", "H×1 and V×1"], column: 1),
  MalformedCase(name: "sum of different shapes", source: "h[0] + b_2", keywords: ["cannot add H×1 and V×1"], column: 1),
  MalformedCase(name: "sum of transposes", source: "h[0] - h[1]^T", keywords: ["cannot subtract H×1 and 1×H", "transpose of the other"], column: 1),
  MalformedCase(name: "divisor not scalar", source: "h[0] / h[1]", keywords: ["the divisor `h[1]` must be a scalar", "H×1"], column: 1),
  MalformedCase(name: "softmax of a matrix", source: "softmax(W_h)", keywords: ["softmax needs a vector", "H×H"], column: 1),
  MalformedCase(name: "diag of a matrix", source: "diag(U)", keywords: ["diag needs a vector", "V×H"], column: 1),
  MalformedCase(name: "onehot of a real vector", source: "onehot(h[1])", keywords: ["onehot needs a class index"], column: 1),
  MalformedCase(name: "class index as a matrix", source: "tokens[1]", keywords: ["`tokens`", "is a class index", "onehot(tokens)"], column: 1),
  // Limits
  MalformedCase(name: "10 000-deep nesting", source: deepNesting, keywords: ["nests deeper than 64 levels"], column: 65),
  MalformedCase(name: "10 000 transposes", source: "h[0]" + String(repeating: "ᵀ", count: 10_000), keywords: ["nests deeper than 64 levels"], column: 1),
  MalformedCase(name: "10 000 nested calls", source: String(repeating: #"\tanh "#, count: 10_000) + "z[1]", keywords: ["nests deeper than 64 levels"], column: 391),
  MalformedCase(name: "a 1 MB formula", source: megabyte, keywords: ["1050004 characters long", "limit of 100000"], column: nil),
]

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
