import Formulas
import Jacobians
import Testing
import TestSupport

/// Seeded random formulas from pieces of the language: none may crash, and every one that is
/// accepted must print to text and LaTeX that are accepted again with the same value.
@Suite struct FormulaFuzzTests {
  static let pieces: [String] = [
    "h", "[", "]", "(", ")", "{", "}", "t", "T", "1", "0", "2", "+", "-", "−", "*", "/", "^", "_", "'", "ᵀ", "⊙", ".*",
    "Σ_t ", "sum_t ", #"\sum_{i=1}^{t} "#, #"\frac"#, "U", "W_h", "W_e", "delta1", "δ2", "σ", "sigma'", "f", "softmax",
    "outer", ",", " ", #"\hat{y}"#, "yhat", #"\left("#, #"\right)"#, "=", "x", "e", "z", "tokens", "onehot(", "diag(", "i",
    #"\mathbf{"#, ".", "…", "b_1", "b_2", "E", "h0", "[t]", "[t-1]", "^{(t)}", "^T", #"^\top"#, "dz", "tanh", "exp(", "log(",
    "⊗", "∂", "\\", "sum", "Σ",
  ]

  /// Balanced, well-typed fragments, so that many random formulas are accepted too.
  static let valid: [String] = [
    "h[t]", "U h[t]", "(U^T delta1[t])", "σ′(z[t])", "W_h h[t-1]", "b_1", "dz[t]", "e[t]", "W_e e[t]", "delta2[t]",
    "(1/T) W_h^T dz[t]", "diag(f'(z[t])) W_h^T dz[t]", "sum_{i=1}^{t} dz[i]",
  ]

  static func randomFormula(_ rng: inout SplitMix64) -> String {
    if rng.int(below: 2) == 0 {
      // Valid H×1 fragments joined by + and ⊙, sometimes in a sum.
      let n = 1 + rng.int(below: 4)
      var s = (0..<n).map { _ in
        let v = valid[rng.int(below: valid.count)]
        return v.hasPrefix("U ") || v.hasPrefix("(U^T") ? "W_h h[t]" : v
      }.joined(separator: rng.int(below: 2) == 0 ? " + " : " ⊙ ")
      if rng.int(below: 3) == 0 { s = "sum_t (\(s))" }
      if rng.int(below: 3) == 0 { s = "(\(s))^T" }
      return s
    }
    let n = 1 + rng.int(below: 14)
    return (0..<n).map { _ in pieces[rng.int(below: pieces.count)] }.joined()
  }

  @Test(arguments: randomSeeds)
  func randomFormulasNeverCrashAndPrintBack(_ seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let context = rnnContext()
    let point = RNNPoint(seed: seed).at(t: 2)
    var accepted = 0
    for _ in 0..<120 {
      let source = Self.randomFormula(&rng)
      guard let f = try? Formula(source, in: context) else { continue }
      accepted += 1
      let value = try? f.evaluate(at: point)
      for (form, printed) in [("text", f.text), ("LaTeX", f.latex)] {
        guard let again = parse(printed, context) else {
          Issue.record("the \(form) «\(printed)» of `\(source)` is not accepted")
          continue
        }
        #expect(again.shape == f.shape, "`\(source)`: \(form) «\(printed)» has shape \(again.shape), not \(f.shape)")
        if let value, let v = try? again.evaluate(at: point) {
          expectSame(v, value, "`\(source)` printed as \(form) «\(printed)»")
        }
      }
      _ = f.mathML
    }
    #expect(accepted > 20, "only \(accepted) random formulas were accepted; the generator should produce more")
  }

  /// Inputs that used to be easy to get wrong: long runs of one piece.
  @Test(arguments: ["sum_", "Σ_", "((", "))", "^", "'", "-", "\\frac", "\\hat{", "h[", "_", "\\mathbf{"])
  func longRunsGiveAMessage(_ piece: String) {
    let source = String(repeating: piece, count: 20_000)
    do {
      _ = try Formula(source, in: rnnContext())
      Issue.record("\(piece) × 20 000 was accepted")
    } catch {
      #expect(!error.description.isEmpty)
    }
  }
}
