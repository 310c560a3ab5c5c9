import Formulas
import Jacobians
import Testing
import TestSupport

/// Every formula of the evaluation tables, with the step-variable range of its item.
let allSpellings: [(source: String, steps: StepRange, scoring: Bool)] =
  rnnCases.flatMap { c in c.spellings.map { ($0, c.stepRange, false) } }
  + scoringCases.flatMap { c in c.spellings.map { ($0, StepRange.oneThroughT, true) } }

@Suite struct FormulaPrintingTests {
  struct PrintCase: Sendable, CustomStringConvertible {
    var source: String
    var text: String
    var latex: String
    var description: String { source }
  }

  static let printCases: [PrintCase] = [
    PrintCase(source: "(1/T) * sum_t delta1[t] * h[t]^T", text: "(1/T) Σ_t δ1^(t) h^(t)ᵀ",
              latex: #"\frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#),
    PrintCase(source: #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#, text: "(1/T) Σ_t δ1^(t) h^(t)ᵀ",
              latex: #"\frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#),
    PrintCase(source: "(1/T) Σ_t δ1^(t) h^(t)ᵀ", text: "(1/T) Σ_t δ1^(t) h^(t)ᵀ",
              latex: #"\frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#),
    PrintCase(source: "(U^T delta1[t]) .* sigma'(z[t])", text: "(Uᵀ δ1^(t)) ⊙ σ′(z^(t))",
              latex: #"\left(U^\top \delta_1^{(t)}\right) \odot \sigma'\left(z^{(t)}\right)"#),
    PrintCase(source: "U^T(yhat[t] - y[t])", text: "Uᵀ (ŷ^(t) − y^(t))", latex: #"U^\top \left(\hat{y}^{(t)} - y^{(t)}\right)"#),
    PrintCase(source: "softmax(U h[T] + b_2) - onehot(tokens[T+1])", text: "softmax(U h^(T) + b_2) − onehot(tokens^(T+1))",
              latex: #"\operatorname{softmax}\left(U h^{(T)} + b_2\right) - \operatorname{onehot}\left(\mathit{tokens}^{(T+1)}\right)"#),
    PrintCase(source: "diag(f'(z[t])) W_h", text: "diag(f′(z^(t))) W_h", latex: #"\operatorname{diag}\left(f'\left(z^{(t)}\right)\right) W_h"#),
    PrintCase(source: #"\sum_{t=1}^{T}\sum_{i=1}^{t} delta2[i] h[i-1]^T"#, text: "Σ_t Σ_{i=1}^{t} δ2^(i) h^(i−1)ᵀ",
              latex: #"\sum_{t=1}^{T} \sum_{i=1}^{t} \delta_2^{(i)} {h^{(i-1)}}^\top"#),
    PrintCase(source: "(sum_t h[t]) h[0]^T", text: "(Σ_t h^(t)) h^(0)ᵀ", latex: #"\left(\sum_{t=1}^{T} h^{(t)}\right) {h^{(0)}}^\top"#),
    PrintCase(source: "-(h[1] + h[2]) - -h[3]", text: "−(h^(1) + h^(2)) + h^(3)", latex: #"-\left(h^{(1)} + h^{(2)}\right) + h^{(3)}"#),
    PrintCase(source: "h[1] - (-h[3])", text: "h^(1) − (−h^(3))", latex: #"h^{(1)} - \left(-h^{(3)}\right)"#),
    PrintCase(source: "(W_h h[0])^T", text: "(W_h h^(0))ᵀ", latex: #"\left(W_h h^{(0)}\right)^\top"#),
    PrintCase(source: "h[0] / (2 T)", text: "h^(0)/(2 T)", latex: #"\frac{h^{(0)}}{2 T}"#),
    PrintCase(source: "∂J/∂b_2 = (1/T) sum_t delta1[t]", text: "(1/T) Σ_t δ1^(t)", latex: #"\frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)}"#),
  ]

  @Test(arguments: printCases)
  func printsInTheNotesNotation(_ c: PrintCase) throws {
    let f = try Formula(c.source, in: rnnContext())
    #expect(f.text == c.text)
    #expect(f.latex == c.latex)
  }

  /// Printing is stable (text → parse → text is the same text), and the text and LaTeX forms
  /// parse back to the same value.
  @Test func everySpellingRoundTrips() throws {
    let rnnPoint = RNNPoint(seed: 9)
    let scoringPoint = ScoringPoint(seed: 9)
    for (source, steps, scoring) in allSpellings {
      let context = scoring ? scoringContext() : rnnContext(stepVariables: ["t": steps])
      let bindings = scoring ? scoringPoint.bindings : rnnPoint.at(t: 2)
      guard let f = parse(source, context), let value = evaluate(f, bindings) else { continue }
      guard let again = parse(f.text, context) else { continue }
      #expect(again.text == f.text, "`\(source)` prints «\(f.text)», which prints «\(again.text)»")
      guard let fromLaTeX = parse(f.latex, context) else { continue }
      if let v = evaluate(again, bindings) { expectSame(v, value, "text of `\(source)`: «\(f.text)»") }
      if let v = evaluate(fromLaTeX, bindings) { expectSame(v, value, "LaTeX of `\(source)`: «\(f.latex)»") }
      #expect(fromLaTeX.shape == f.shape)
    }
  }

  /// MathML is one well-formed `<math>` element with the expected structure.
  @Test func mathMLIsWellFormed() throws {
    for (source, steps, scoring) in allSpellings {
      let context = scoring ? scoringContext() : rnnContext(stepVariables: ["t": steps])
      guard let f = parse(source, context) else { continue }
      let m = f.mathML
      #expect(m.hasPrefix("<math xmlns=\"http://www.w3.org/1998/Math/MathML\" display=\"block\">"))
      #expect(m.hasSuffix("</math>"))
      #expect(Self.tagsBalance(m), "unbalanced MathML for `\(source)`: \(m)")
    }
    let f = try Formula("(1/T) sum_t delta1[t] h[t]^T", in: rnnContext())
    for element in ["<mfrac>", "<munder><mo>∑</mo><mi>t</mi></munder>", "<msubsup><mi>δ</mi><mn>1</mn>", "<mi mathvariant=\"normal\">T</mi>"] {
      #expect(f.mathML.contains(element), "\(element) missing from \(f.mathML)")
    }
    let hat = try Formula(#"\hat{y}^{(t)} - y^{(t)}"#, in: rnnContext())
    #expect(hat.mathML.contains("<mover accent=\"true\"><mi>y</mi><mo>^</mo></mover>"))
    let nested = try Formula(#"\sum_{i=1}^{t} h[i]"#, in: rnnContext())
    #expect(nested.mathML.contains("<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mrow><mi>t</mi></mrow></munderover>"))
  }

  /// Every `<tag>` closed by its `</tag>` in order; no stray `<` or `&`.
  static func tagsBalance(_ s: String) -> Bool {
    var stack: [Substring] = []
    var rest = Substring(s)
    while let open = rest.firstIndex(of: "<") {
      let text = rest[..<open]
      if text.contains(">") { return false }
      for (k, c) in text.enumerated() where c == "&" {
        let tail = text.dropFirst(k)
        if !(tail.hasPrefix("&amp;") || tail.hasPrefix("&lt;") || tail.hasPrefix("&gt;") || tail.hasPrefix("&quot;") || tail.hasPrefix("&#x")) {
          return false
        }
      }
      guard let close = rest[open...].firstIndex(of: ">") else { return false }
      let tag = rest[rest.index(after: open)..<close]
      if tag.hasPrefix("/") {
        guard stack.popLast() == tag.dropFirst() else { return false }
      } else if !tag.hasSuffix("/") {
        stack.append(tag.split(separator: " ").first ?? tag)
      }
      rest = rest[rest.index(after: close)...]
    }
    return stack.isEmpty && !rest.contains(">")
  }

  /// The symbols a declaration's name stands for.
  @Test(arguments: [
    ("delta1", "δ1", #"\delta_1"#), ("W_h", "W_h", "W_h"), ("yhat", "ŷ", #"\hat{y}"#), ("b_2", "b_2", "b_2"),
    ("h0", "h0", "h_0"), ("tokens", "tokens", #"\mathit{tokens}"#), ("dz", "dz", #"\mathit{dz}"#), ("theta", "θ", #"\theta"#),
    ("W_hh", "W_hh", "W_{hh}"), ("delta_2", "δ_2", #"\delta_2"#),
  ])
  func derivedSymbols(name: String, text: String, latex: String) {
    let s = QuantitySymbol(deriving: name)
    #expect(s.text == text)
    #expect(s.latex == latex)
  }
}
