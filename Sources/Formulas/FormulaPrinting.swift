import Foundation

/// Prints a parsed formula in the notes' notation, as LaTeX, or as MathML.
///
/// ```
/// text     (1/T) Σ_t δ1^(t) h^(t)ᵀ              (Uᵀ δ1^(t)) ⊙ σ′(z^(t))
/// LaTeX    \frac{1}{T} \sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top
/// MathML   <math xmlns="http://www.w3.org/1998/Math/MathML" display="block">…</math>
/// ```
/// Parentheses appear only where the grammar needs them, so printing, parsing and printing
/// again gives the same text; the text and LaTeX forms parse back to the same values.
struct FormulaPrinter {
  enum Style { case text, latex, mathML }

  let style: Style
  let context: FormulaContext

  var stepSymbol: String { context.stepCount ?? "T" }

  // MARK: Precedence

  /// 1 sum and negation, 2 Hadamard and Σ (which extends to the right), 3 product, 4 transpose,
  /// 5 atoms.
  func precedence(_ n: FormulaNode) -> Int {
    switch n.kind {
    case .sum, .negation: return 1
    case .hadamard, .summation: return 2
    case .product: return 3
    case .transpose: return 4
    case .step(let index):
      // t, T or a non-negative integer stand alone; T−i+1 needs brackets inside a product.
      let alone = index.soleVariable != nil || isStepCountAlone(index)
        || index.terms.isEmpty && index.stepCountCoefficient == 0 && index.constant >= 0
      return alone ? 5 : 1
    case .number, .quantity, .call: return 5
    }
  }

  func isStepCountAlone(_ i: StepIndex) -> Bool { i.constant == 0 && i.terms.isEmpty && i.stepCountCoefficient == 1 }

  func hasDivisor(_ n: FormulaNode) -> Bool {
    if case .product(let fs) = n.kind { return fs.contains(where: \.divides) }
    return false
  }

  func isSummation(_ n: FormulaNode) -> Bool {
    if case .summation = n.kind { return true }
    return false
  }

  // MARK: Pieces by style

  func parens(_ s: String) -> String {
    switch style {
    case .text: return "(\(s))"
    case .latex: return "\\left(\(s)\\right)"
    case .mathML: return "<mrow><mo>(</mo>\(s)<mo>)</mo></mrow>"
    }
  }

  func op(_ text: String, latex: String, mathML: String? = nil) -> String {
    switch style {
    case .text: return " \(text) "
    case .latex: return " \(latex) "
    case .mathML: return "<mo>\(mathML ?? Self.escape(text))</mo>"
    }
  }

  func wrap(_ child: FormulaNode, when needed: Bool) -> String {
    needed ? parens(render(child)) : render(child)
  }

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  func number(_ v: Double) -> String {
    let s: String
    if v == v.rounded(), abs(v) < 1e15 {
      s = String(Int(v))
    } else if v.description.contains("e") {
      var d = String(format: "%.20f", v)
      while d.hasSuffix("0") { d.removeLast() }
      if d.hasSuffix(".") { d.removeLast() }
      s = d
    } else {
      s = v.description
    }
    return style == .mathML ? "<mn>\(s)</mn>" : s
  }

  func index(_ i: StepIndex) -> String {
    switch style {
    case .text: return i.text(stepCount: stepSymbol, minus: "−")
    case .latex: return i.text(stepCount: stepSymbol, minus: "-")
    case .mathML:
      // t−1 as <mi>t</mi><mo>−</mo><mn>1</mn>.
      var out = ""
      var token = ""
      func flush() {
        guard !token.isEmpty else { return }
        out += token.allSatisfy(\.isNumber) ? "<mn>\(token)</mn>" : "<mi>\(Self.escape(token))</mi>"
        token = ""
      }
      for c in i.text(stepCount: stepSymbol, minus: "−") {
        if c == "+" || c == "−" {
          flush()
          out += "<mo>\(c)</mo>"
        } else {
          token.append(c)
        }
      }
      flush()
      return out
    }
  }

  func symbol(_ q: QuantityDeclaration, step: StepIndex?) -> String {
    let s = q.symbol
    switch style {
    case .text:
      return s.text + (step.map { "^(\(index($0)))" } ?? "")
    case .latex:
      return s.latex + (step.map { "^{(\(index($0)))}" } ?? "")
    case .mathML:
      var base = "<mi>\(Self.escape(s.base))</mi>"
      if let a = s.accent {
        let mark = a == .hat ? "^" : (a == .bar ? "¯" : "~")
        base = "<mover accent=\"true\">\(base)<mo>\(mark)</mo></mover>"
      }
      let sub = s.subscriptText.map { $0.allSatisfy(\.isNumber) ? "<mn>\($0)</mn>" : "<mi>\(Self.escape($0))</mi>" }
      let sup = step.map { "<mrow><mo>(</mo>\(index($0))<mo>)</mo></mrow>" }
      switch (sub, sup) {
      case (nil, nil): return base
      case (let b?, nil): return "<msub>\(base)\(b)</msub>"
      case (nil, let p?): return "<msup>\(base)\(p)</msup>"
      case (let b?, let p?): return "<msubsup>\(base)\(b)\(p)</msubsup>"
      }
    }
  }

  // MARK: Nodes

  func render(_ n: FormulaNode) -> String {
    switch n.kind {
    case .number(let v):
      return number(v)

    case .step(let i):
      return index(i)

    case .quantity(let name, let step):
      guard let q = context.quantity(named: name) else { return name }
      return symbol(q, step: step)

    case .sum(let terms):
      var out = ""
      for (k, term) in terms.enumerated() {
        let needs = precedence(term.node) <= 1 && !(k == 0 && !term.negated && isNegation(term.node))
        let body = wrap(term.node, when: needs)
        if k == 0 {
          out += term.negated ? negationSign() + body : body
        } else {
          out += term.negated ? op("−", latex: "-") : op("+", latex: "+")
          out += body
        }
      }
      return out

    case .negation(let x):
      return negationSign() + wrap(x, when: precedence(x) <= 1)

    case .hadamard(let nodes):
      return nodes.enumerated().map { k, x in
        // Products are bracketed although ⊙ binds looser, as the notes write (Uᵀ δ1) ⊙ σ′(z).
        wrap(x, when: precedence(x) <= 1 || precedence(x) == 3 || isSummation(x) && k < nodes.count - 1)
      }.joined(separator: op("⊙", latex: "\\odot"))

    case .product(let factors):
      return product(factors)

    case .transpose(let x):
      let needs = precedence(x) <= 3
      switch style {
      case .text:
        return wrap(x, when: needs) + "ᵀ"
      case .latex:
        // Braces around an indexed or transposed base: {h^{(t)}}^\top, {U^\top}^\top.
        var base = wrap(x, when: needs)
        if !needs, hasSuperscript(x) { base = "{\(base)}" }
        return base + "^\\top"
      case .mathML:
        return "<msup><mrow>\(wrap(x, when: needs))</mrow><mi mathvariant=\"normal\">T</mi></msup>"
      }

    case .call(let f, let derivative, let args):
      let inner = args.map { render($0) }
      switch style {
      case .text:
        return f.textName + (derivative ? "′" : "") + "(" + inner.joined(separator: ", ") + ")"
      case .latex:
        return f.latexName + (derivative ? "'" : "") + "\\left(" + inner.joined(separator: ", ") + "\\right)"
      case .mathML:
        var name = "<mi>\(Self.escape(f.textName))</mi>"
        if derivative { name = "<msup>\(name)<mo>′</mo></msup>" }
        return name + "<mo>&#x2061;</mo><mrow><mo>(</mo>" + inner.joined(separator: "<mo>,</mo>") + "<mo>)</mo></mrow>"
      }

    case .summation(let s):
      let body = wrap(s.body, when: precedence(s.body) <= 1 && !isNegation(s.body))
      let isDefault = s.lower == StepIndex(context.defaultSumRange.first) && s.upper == StepIndex(context.defaultSumRange.last)
      switch style {
      case .text:
        let head = isDefault ? "Σ_\(s.variable)" : "Σ_{\(s.variable)=\(index(s.lower))}^{\(index(s.upper))}"
        return head + " " + body
      case .latex:
        return "\\sum_{\(s.variable)=\(index(s.lower))}^{\(index(s.upper))} " + body
      case .mathML:
        let v = "<mi>\(Self.escape(s.variable))</mi>"
        let head = isDefault
          ? "<munder><mo>∑</mo>\(v)</munder>"
          : "<munderover><mo>∑</mo><mrow>\(v)<mo>=</mo>\(index(s.lower))</mrow><mrow>\(index(s.upper))</mrow></munderover>"
        return head + "<mrow>\(body)</mrow>"
      }
    }
  }

  func isNegation(_ n: FormulaNode) -> Bool {
    if case .negation = n.kind { return true }
    return false
  }

  func negationSign() -> String {
    switch style {
    case .text: return "−"
    case .latex: return "-"
    case .mathML: return "<mo>−</mo>"
    }
  }

  /// An indexed quantity or a transpose already carries a superscript.
  func hasSuperscript(_ n: FormulaNode) -> Bool {
    switch n.kind {
    case .quantity(_, .some): return true
    case .transpose: return true
    case .call(_, let derivative, _): return derivative
    default: return false
    }
  }

  func factor(_ x: FormulaNode, isLast: Bool, isDivisor: Bool) -> String {
    var needs = precedence(x) <= 2
    if isSummation(x) && isLast && !isDivisor { needs = false }
    if hasDivisor(x) && style == .text { needs = true }
    if isDivisor && precedence(x) < 4 { needs = true }
    return wrap(x, when: needs)
  }

  func isNumber(_ n: FormulaNode) -> Bool {
    if case .number = n.kind { return true }
    return false
  }

  func product(_ factors: [FormulaNode.Factor]) -> String {
    let times: String
    switch style {
    case .text: times = " "
    case .latex: times = " "
    case .mathML: times = "<mo>&#x2062;</mo>"
    }
    func join(_ fs: [FormulaNode.Factor], divisorContext: Bool) -> String {
      var out = ""
      for (k, f) in fs.enumerated() {
        let piece = factor(f.node, isLast: k == fs.count - 1, isDivisor: divisorContext)
        if k > 0 {
          if isNumber(fs[k - 1].node) && isNumber(f.node) {
            out += op("·", latex: "\\cdot", mathML: "&#x22C5;")
          } else {
            out += times
          }
        }
        out += piece
      }
      return out
    }
    if style == .text || !factors.contains(where: \.divides) {
      var out = ""
      for (k, f) in factors.enumerated() {
        let piece = factor(f.node, isLast: k == factors.count - 1, isDivisor: f.divides)
        if k > 0 {
          if f.divides {
            out += style == .mathML ? "<mo>/</mo>" : "/"
          } else if isNumber(factors[k - 1].node) && isNumber(f.node) {
            out += op("·", latex: "\\cdot", mathML: "&#x22C5;")
          } else {
            out += times
          }
        }
        out += piece
      }
      return out
    }
    // LaTeX and MathML: divisors as a fraction, \frac{numerators}{divisors} (the divisors are scalars).
    let numerators = factors.filter { !$0.divides }
    let divisors = factors.filter(\.divides).map { FormulaNode.Factor(node: $0.node, divides: false) }
    let num = join(numerators, divisorContext: false)
    let den = join(divisors, divisorContext: false)
    if style == .latex { return "\\frac{\(num)}{\(den)}" }
    return "<mfrac><mrow>\(num)</mrow><mrow>\(den)</mrow></mfrac>"
  }
}
