/// One token of a formula, with the characters it was read from.
struct FormulaToken: Sendable {
  enum Kind: Equatable, Sendable {
    /// A name: a quantity, a function, a bound variable, T. Greek commands, accents and style
    /// wrappers are already resolved (`\delta` → δ, `\hat{y}` → ŷ, `\mathbf{W}` → W).
    case name(String)
    case number(Double)
    case plus, minus
    /// `*`, `·`, `×`, `\cdot`, `\times`: the matrix product (juxtaposition is one too).
    case times
    case slash
    /// `⊙`, `.*`, `∘`, `\odot`, `\circ`.
    case hadamard
    /// `⊗`, `\otimes`: the outer product.
    case otimes
    case caret, underscore
    /// `'`, `′`, `\prime`.
    case prime
    /// `ᵀ`, `⊤`, `\top`, `\intercal`.
    case transposeMark
    case open(Character), close(Character)
    case comma, equals
    /// `..`, `…`, `\dots`, `\ldots` (plain sum bounds `sum_{t=1..T}`).
    case ellipsis
    /// `sum`, `Σ`, `∑`, `\sum`.
    case sum
    /// `\frac`, `\dfrac`, `\tfrac`.
    case frac
    /// `∂`, `\partial`, `\nabla`: only on the left of `=`.
    case derivative
    case end
  }

  var kind: Kind
  var span: SourceSpan
}

/// Turns a formula into tokens: plain (`U^T delta1[t]`), LaTeX (`U^\top \delta_1^{(t)}`) and
/// Unicode (`Uᵀ δ1^(t)`) spellings all give the same tokens.
///
/// Iterative; the only recursion, into the argument of `\hat{…}` or `\mathbf{…}`, stops at 8
/// levels (deeper content is lexed as an ordinary braced group).
struct FormulaLexer {
  let source: SourceText
  private var chars: [Character] { source.characters }
  private var i = 0
  private var tokens: [FormulaToken] = []

  init(_ source: SourceText) { self.source = source }

  /// Commands that are whitespace or size modifiers: `\,`, `\quad`, `\left`, `\big`, `\displaystyle`, `\limits`.
  static let ignoredCommands: Set<String> = [
    ",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr",
    "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "middle", "displaystyle", "textstyle", "limits", "nolimits",
  ]
  /// Commands whose braced argument is a name in a style: `\mathbf{W}` is W.
  static let styleCommands: Set<String> = [
    "mathbf", "boldsymbol", "bm", "vec", "mathit", "mathrm", "mathsf", "operatorname", "text", "textrm", "textit",
    "textbf", "mathnormal", "pmb",
  ]
  /// Accents: `\hat{y}` is ŷ.
  static let accentCommands: [String: Character] = [
    "hat": "\u{0302}", "widehat": "\u{0302}", "bar": "\u{0304}", "overline": "\u{0304}", "tilde": "\u{0303}",
    "widetilde": "\u{0303}",
  ]
  /// Commands that are functions of the language: `\exp`, `\log`, `\tanh`, `\diag`, …
  static let functionCommands: Set<String> = ["exp", "log", "ln", "tanh", "diag", "softmax", "relu", "sigmoid", "onehot", "outer"]

  /// Every command the lexer knows, for "did you mean …?".
  static var knownCommands: [String] {
    let structural = ["frac", "dfrac", "tfrac", "sum", "cdot", "times", "ast", "odot", "circ", "otimes", "top", "intercal",
                      "prime", "dots", "ldots", "partial", "nabla", "Sigma"]
    return structural + styleCommands.sorted() + accentCommands.keys.sorted() + functionCommands.sorted()
      + NameSpelling.greekLetters.map(\.name) + ignoredCommands.filter { $0.count > 1 }.sorted()
  }

  /// The tokens, ending with `.end`.
  static func tokenize(_ source: SourceText) throws(FormulaError) -> [FormulaToken] {
    var lexer = FormulaLexer(source)
    try lexer.run()
    return lexer.tokens
  }

  private mutating func emit(_ kind: FormulaToken.Kind, _ start: Int, _ end: Int) {
    tokens.append(FormulaToken(kind: kind, span: SourceSpan(start, end)))
  }

  private func error(_ kind: FormulaError.Kind, _ start: Int, _ end: Int) -> FormulaError {
    FormulaError(kind, at: SourceSpan(start, end), in: source)
  }

  private func peek(_ k: Int = 0) -> Character? { i + k < chars.count ? chars[i + k] : nil }

  // Character properties are slow; ASCII, nearly every character of a formula, is classified
  // from its byte.

  static func isNameStart(_ c: Character) -> Bool {
    if let a = c.asciiValue { return isASCIILetter(a) }
    return c.isLetter && c != "ᵀ" && c != "Σ" && !isSubscript(c)
  }

  static func isNameContinuation(_ c: Character) -> Bool {
    if let a = c.asciiValue { return isASCIILetter(a) || isASCIIDigit(a) }
    return (c.isLetter || c.isNumber) && c != "ᵀ" && c != "Σ" && !isSubscript(c) && !isSuperscriptDigit(c)
  }

  @inline(__always) static func isASCIILetter(_ a: UInt8) -> Bool { (a >= 65 && a <= 90) || (a >= 97 && a <= 122) }
  @inline(__always) static func isASCIIDigit(_ a: UInt8) -> Bool { a >= 48 && a <= 57 }
  @inline(__always) static func isDigit(_ c: Character?) -> Bool { c?.asciiValue.map(isASCIIDigit) ?? false }

  static let subscriptLetters: [Character: String] = [
    "₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9",
    "ₜ": "t", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₙ": "n", "ₕ": "h", "ₑ": "e",
  ]
  static func isSubscript(_ c: Character) -> Bool { c.asciiValue == nil && subscriptLetters[c] != nil }
  static func isSuperscriptDigit(_ c: Character) -> Bool { "⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c) }

  private mutating func run() throws(FormulaError) {
    while i < chars.count {
      let c = chars[i]
      let start = i
      if c == " " || c == "~" || c.asciiValue == nil && c.isWhitespace || c.asciiValue.map({ $0 >= 9 && $0 <= 13 }) == true {
        i += 1
        continue
      }
      if c == "\\" {
        try command()
        continue
      }
      if Self.isDigit(c) || c == "." && Self.isDigit(peek(1)) {
        number()
        continue
      }
      if Self.isSubscript(c) {
        // A run of Unicode subscripts, Σₜ or δ₁: `_` and the run as one name or number.
        var run = ""
        while let d = peek(), let s = Self.subscriptLetters[d] { run += s; i += 1 }
        emit(.underscore, start, start)
        if let n = Double(run), run.allSatisfy(\.isNumber) { emit(.number(n), start, i) } else { emit(.name(run), start, i) }
        continue
      }
      if Self.isNameStart(c) {
        name()
        continue
      }
      i += 1
      switch c {
      case "+": emit(.plus, start, i)
      case "-", "−", "–": emit(.minus, start, i)
      case "*", "·", "⋅", "×", "∗": emit(.times, start, i)
      case "/", "÷": emit(.slash, start, i)
      case "⊙", "∘", "○", "◦": emit(.hadamard, start, i)
      case "⊗": emit(.otimes, start, i)
      case "^": emit(.caret, start, i)
      case "_": emit(.underscore, start, i)
      case "'", "′", "’", "ʹ": emit(.prime, start, i)
      case "ᵀ", "⊤": emit(.transposeMark, start, i)
      case "(", "[", "{": emit(.open(c), start, i)
      case ")", "]", "}": emit(.close(c), start, i)
      case ",": emit(.comma, start, i)
      case "=": emit(.equals, start, i)
      case "…": emit(.ellipsis, start, i)
      case "Σ", "∑": emit(.sum, start, i)
      case "∂", "∇": emit(.derivative, start, i)
      case ".":
        if peek() == "*" {
          i += 1
          emit(.hadamard, start, i)
        } else if peek() == "." {
          while peek() == "." { i += 1 }
          emit(.ellipsis, start, i)
        } else {
          throw error(.unexpectedCharacter("."), start, i)
        }
      default:
        throw error(.unexpectedCharacter(String(c)), start, i)
      }
    }
    emit(.end, chars.count, chars.count)
  }

  private mutating func number() {
    let start = i
    while Self.isDigit(peek()) { i += 1 }
    if peek() == ".", Self.isDigit(peek(1)) {
      i += 1
      while Self.isDigit(peek()) { i += 1 }
    }
    let text = String(chars[start..<i])
    emit(.number(Double(text) ?? 0), start, i)
  }

  /// A plain name: letters, digits and `_` joining letters or digits (`W_h`, `delta_1`, `h0`).
  /// `sum_t` is the sum keyword followed by `_t`.
  private mutating func name() {
    // A loop rather than recursion: `sum_sum_sum_…` yields one sum after another.
    while true {
      let start = i
      // `sum` followed by `_` or by no more of a name is the keyword, read without scanning on
      // (so that `sum_sum_sum_…` stays linear).
      if start + 3 <= chars.count, chars[start] == "s", chars[start + 1] == "u", chars[start + 2] == "m",
         start + 3 == chars.count || chars[start + 3] == "_" || !Self.isNameContinuation(chars[start + 3]) {
        emit(.sum, start, start + 3)
        i = start + 3
        guard i + 1 < chars.count, chars[i] == "_", Self.isNameContinuation(chars[i + 1]) else { return }
        emit(.underscore, i, i + 1)
        i += 1
        continue
      }
      i += 1
      while let c = peek() {
        if Self.isNameContinuation(c) {
          i += 1
        } else if c == "_", let d = peek(1), Self.isNameContinuation(d) {
          i += 2
        } else {
          break
        }
      }
      emit(.name(String(chars[start..<i])), start, i)
      return
    }
  }

  /// `\name` (letters) or `\` and one symbol.
  private mutating func command() throws(FormulaError) {
    let start = i
    i += 1
    guard let first = peek() else { throw error(.unexpectedCharacter("\\"), start, i) }
    var name = ""
    if first.isLetter && first.isASCII {
      while let c = peek(), c.isLetter, c.isASCII { name.append(c); i += 1 }
    } else {
      name = String(first)
      i += 1
    }
    if Self.ignoredCommands.contains(name) { return }
    switch name {
    case "frac", "dfrac", "tfrac": emit(.frac, start, i)
    case "sum", "Sigma": emit(.sum, start, i)
    case "cdot", "times", "ast": emit(.times, start, i)
    case "odot", "circ": emit(.hadamard, start, i)
    case "otimes": emit(.otimes, start, i)
    case "top", "intercal": emit(.transposeMark, start, i)
    case "prime": emit(.prime, start, i)
    case "dots", "ldots", "cdots": emit(.ellipsis, start, i)
    case "partial", "nabla": emit(.derivative, start, i)
    case "{", "}":
      throw error(.unsupportedCommand("\\" + name, reason: "is not a bracket of the language: group with ( ), [ ] or { }"), start, i)
    case "\\":
      throw error(.unsupportedCommand("\\\\", reason: "starts a new line: write the formula on one line, without \\\\"), start, i)
    default:
      if let letter = NameSpelling.letterByName[name] {
        // `\delta1` is δ1: digits written right after a Greek letter belong to the name.
        var text = String(letter)
        while let c = peek(), Self.isDigit(c) { text.append(c); i += 1 }
        emit(.name(text), start, i)
      } else if Self.functionCommands.contains(name) {
        emit(.name(name), start, i)
      } else if Self.styleCommands.contains(name) || Self.accentCommands[name] != nil {
        try wrapped(name, start: start)
      } else {
        let suggestion = NameSpelling.suggestion(for: name, among: Self.knownCommands).map { "\\" + $0 }
        throw error(.unknownCommand("\\" + name, suggestion: suggestion), start, i)
      }
    }
  }

  /// `\hat{y}`, `\hat y`, `\mathbf{W}`, `\vec{\hat{y}}`, `\mathrm{diag}`: one name token when the
  /// argument is a name; a style wrapper around anything else is dropped (its braces group);
  /// an accent on anything else is an error.
  private mutating func wrapped(_ command: String, start: Int) throws(FormulaError) {
    while let c = peek(), c == " " { i += 1 }
    let accent = Self.accentCommands[command]
    if peek() == "{" {
      if let (text, end) = simpleName(from: i, depth: 0) {
        i = end
        emit(.name(accented(text, accent)), start, i)
        return
      }
      if accent != nil {
        let close = matchingBrace(from: i) ?? chars.count
        let content = String(chars[min(i + 1, chars.count)..<min(close, chars.count)])
        throw error(.accentOnExpression(accent: "\\" + command, content: content), start, min(close + 1, chars.count))
      }
      return  // the style is dropped; `{` opens an ordinary group
    }
    if let c = peek(), Self.isNameStart(c) {
      // `\hat y`: one letter, as LaTeX reads it.
      i += 1
      emit(.name(accented(String(c), accent)), start, i)
      return
    }
    if peek() == "\\", let (text, end) = simpleCommandName(from: i) {
      i = end
      emit(.name(accented(text, accent)), start, i)
      return
    }
    throw error(.unsupportedCommand("\\" + command, reason: "needs a name as its argument, e.g. \\\(command){y}"), start, i)
  }

  private func accented(_ text: String, _ accent: Character?) -> String {
    guard let accent else { return text }
    return text + String(accent)
  }

  /// The offset of the `}` matching the `{` at `open`.
  private func matchingBrace(from open: Int) -> Int? {
    var depth = 0
    var k = open
    while k < chars.count {
      if chars[k] == "{" { depth += 1 }
      if chars[k] == "}" {
        depth -= 1
        if depth == 0 { return k }
      }
      k += 1
    }
    return nil
  }

  /// `{W}`, `{delta_1}`, `{\delta}`, `{\hat{y}}` at `open`: the name and the offset after `}`.
  private func simpleName(from open: Int, depth: Int) -> (String, Int)? {
    guard depth < 8, open < chars.count, chars[open] == "{" else { return nil }
    var k = open + 1
    while k < chars.count, chars[k] == " " { k += 1 }
    var text = ""
    if k < chars.count, chars[k] == "\\" {
      guard let (inner, end) = simpleCommandName(from: k, depth: depth + 1) else { return nil }
      text = inner
      k = end
    }
    while k < chars.count, Self.isNameContinuation(chars[k]) || chars[k] == "_" { text.append(chars[k]); k += 1 }
    while k < chars.count, chars[k] == " " { k += 1 }
    guard k < chars.count, chars[k] == "}", let f = text.first, Self.isNameStart(f) else { return nil }
    return (text, k + 1)
  }

  /// `\delta` or `\hat{y}` or `\mathbf{W}` at `k` as a name, and the offset after it.
  private func simpleCommandName(from k: Int, depth: Int = 0) -> (String, Int)? {
    var j = k + 1
    var name = ""
    while j < chars.count, chars[j].isLetter, chars[j].isASCII { name.append(chars[j]); j += 1 }
    if let letter = NameSpelling.letterByName[name] { return (String(letter), j) }
    guard depth < 8, Self.styleCommands.contains(name) || Self.accentCommands[name] != nil else { return nil }
    while j < chars.count, chars[j] == " " { j += 1 }
    guard let (inner, end) = simpleName(from: j, depth: depth + 1) else { return nil }
    return (accented(inner, Self.accentCommands[name]), end)
  }
}
