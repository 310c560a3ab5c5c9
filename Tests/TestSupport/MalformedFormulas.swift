// Malformed formulas and the words and column their message must have, in the RNN language
// model's notation (notes 002/003): read by the formula library's tests and, through the grader,
// by the tests of formula items.

/// Which context a malformed formula is read in (each test target maps it to its own context).
public enum MalformedFormulaContext: Sendable {
  /// The RNN-LM with the step variable t (1…T).
  case rnn
  /// The RNN-LM without step variables: every step must be bound by a sum.
  case rnnWithoutSteps
  /// The scoring network with no activation declared.
  case withoutActivation
}

/// A formula that must be rejected, the words its message must contain, and the column it must
/// name (nil when the message is about the whole formula).
public struct MalformedCase: Sendable, CustomStringConvertible {
  public var name: String
  public var source: String
  public var keywords: [String]
  public var column: Int?
  public var line: Int?
  public var context: MalformedFormulaContext

  public init(name: String, source: String, keywords: [String], column: Int?, line: Int? = nil, context: MalformedFormulaContext = .rnn) {
    self.name = name
    self.source = source
    self.keywords = keywords
    self.column = column
    self.line = line
    self.context = context
  }

  public var description: String { name }
}

public let deepNesting = String(repeating: "(", count: 10_000) + "h[0]" + String(repeating: ")", count: 10_000)
public let megabyte = String(repeating: "h[0] + ", count: 150_000) + "h[0]"

public let malformedCases: [MalformedCase] = [
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
