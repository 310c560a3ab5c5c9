import Formulas
import Jacobians
import Testing
import TestSupport

/// Every spelling of an operator, a function or a sum reads the same: each row evaluates to the
/// value of its first entry.
@Suite struct FormulaSyntaxTests {
  static let rows: [[String]] = [
    ["U h[1]", "U * h[1]", "U · h[1]", #"U \cdot h[1]"#, "U × h[1]", #"U\times h[1]"#, "Uh[1]", "U (h[1])", "U h_1", #"U h^{(1)}"#],
    ["h[1] ⊙ h[2]", "h[1] .* h[2]", #"h[1] \odot h[2]"#, "h[1] ∘ h[2]", #"h[1] \circ h[2]"#],
    ["h[1]^T", "h[1]ᵀ", "h[1]'", #"h[1]^\top"#, #"h[1]^{\top}"#, "h[1]^{T}", #"{h^{(1)}}^\intercal"#, "h[1]^⊤",
     #"h[1]^{\mathsf{T}}"#, #"h[1]^{\mathrm{T}}"#, "h[1]′", "(h[1])^T"],
    ["h[1] - h[2]", "h[1] − h[2]", "h[1] – h[2]", "-h[2] + h[1]", "h[1] + -h[2]", "h[1] + (-1) h[2]"],
    ["sum_t h[t]", "Σ_t h[t]", "∑_t h[t]", #"\sum_t h[t]"#, #"\sum_{t=1}^{T} h[t]"#, #"\sum\limits_{t=1}^{T} h[t]"#, "Σₜ h[t]",
     "sum_{t=1..T} h[t]", #"\Sigma_t h[t]"#, "sum_{t=1}^T h_t", "sum_{t=1}^{T} h^(t)"],
    ["sigma'(z[1])", "σ′(z[1])", #"\sigma'(z[1])"#, #"\sigma^\prime(z[1])"#, #"\sigma^{\prime}(z[1])"#, "sigmoid'(z[1])", "f'(z[1])",
     "f′(z[1])", "logistic'(z[1])", #"\sigma'\left(z^{(1)}\right)"#, #"\sigma'\bigl(z^{(1)}\bigr)"#],
    ["tanh(z[1])", #"\tanh(z[1])"#, #"\tanh z^{(1)}"#, "tanh{z[1]}"],
    ["(1/T) h[1]", #"\frac{1}{T} h[1]"#, #"\frac1T h[1]"#, "h[1]/T", #"\dfrac{h[1]}{T}"#, "1/T * h[1]", "h[1] / T"],
    ["diag(h[1]) h[2]", #"\mathrm{diag}(h[1]) h[2]"#, #"\operatorname{diag}(h[1])\,h[2]"#, #"\text{diag}(h[1]) h[2]"#, #"\diag(h[1]) h[2]"#,
     "h[1] ⊙ h[2]"],
    ["outer(h[1], h[2])", "h[1] ⊗ h[2]", #"h[1] \otimes h[2]"#, "h[1] h[2]^T", "(h[2] h[1]^T)^T"],
    ["exp(log(h[1] ⊙ h[1]))", #"\exp(\log(h[1] \odot h[1]))"#, "exp(ln(h[1] .* h[1]))", "h[1] ⊙ h[1]"],
    ["softmax(b_2)", #"\operatorname{softmax}(\mathbf{b}_2)"#, "softmax(b_2^T)^T", "softmax(b_2 + 3 onehot(tokens[1])) + 0 * b_2 - softmax(b_2 + 3 onehot(tokens[1])) + softmax(b_2)"],
  ]

  @Test(arguments: 0..<rows.count)
  func spellingsAgree(_ row: Int) throws {
    let context = rnnContext()
    let point = RNNPoint(seed: 6)
    let spellings = Self.rows[row]
    guard let first = parse(spellings[0], context), let expected = evaluate(first, point.bindings) else { return }
    for s in spellings.dropFirst() {
      guard let f = parse(s, context), let v = evaluate(f, point.bindings) else { continue }
      expectSame(v, expected, "`\(s)` vs `\(spellings[0])`", tolerance: 1e-14)
    }
  }

  /// Bindings may use any spelling of a declared name.
  @Test func bindingsAcceptEverySpelling() throws {
    let point = RNNPoint(seed: 8)
    var b = point.bindings
    b["delta1"] = nil
    b["δ_1"] = point.bindings["delta1"]
    let f = try Formula("(1/T) sum_t delta1[t] h[t]^T", in: rnnContext())
    expectSame(try f.evaluate(at: b), point.gradients.dU, "δ_1 bound, delta1 used")
  }

  /// NaN never passes: `log` of a negative entry gives NaN (a value, not an error), and the
  /// comparison the grader makes rejects it (`!(err <= tol)`).
  @Test func nanNeverPasses() throws {
    let point = RNNPoint(seed: 8)
    let f = try Formula("log(-exp(h[1]))", in: rnnContext())
    let v = try f.evaluate(at: point.bindings)
    #expect(!v.isFinite)
    let err = Discrepancy.relative(v, point.steps("h")[1])
    #expect(!(err <= 1e-6))
    let zero = try Formula("h[1] / (T - T)", in: rnnContext())
    #expect(!(Discrepancy.relative(try zero.evaluate(at: point.bindings), point.steps("h")[1]) <= 1e-6))
  }
}
