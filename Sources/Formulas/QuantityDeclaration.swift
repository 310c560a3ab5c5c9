/// What kind of value a quantity holds.
public enum QuantityKind: Hashable, Sendable {
  /// A real matrix (a vector or a scalar when its shape says so).
  case real
  /// A real vector with a single 1 and zeros elsewhere (`x^(t)`, `y^(t)`); checked when bound.
  case oneHot
  /// An integer class index in `0..<classes` (a token, a label): usable only inside
  /// `onehot(…)`, which makes it the `classes × 1` one-hot vector.
  case classIndex(classes: Dimension)
}

/// How a quantity is printed: its base letter, an optional subscript and accent.
///
/// ```
/// name     text   LaTeX        MathML
/// delta1   δ1     \delta_1     <msub><mi>δ</mi><mn>1</mn></msub>
/// W_h      W_h    W_h          <msub><mi>W</mi><mi>h</mi></msub>
/// yhat     ŷ      \hat{y}      <mover><mi>y</mi><mo>^</mo></mover>
/// tokens   tokens \mathit{tokens}
/// ```
public struct QuantitySymbol: Hashable, Sendable {
  public enum Accent: String, Hashable, Sendable { case hat, bar, tilde }

  /// The base letter(s): `δ`, `W`, `y`, `tokens`.
  public var base: String
  /// The subscript: `1` in δ1, `h` in W_h.
  public var subscriptText: String?
  public var accent: Accent?
  /// Whether the text form writes `_` before the subscript (`W_h`, `b_1`) or not (`δ1`, `h0`).
  public var underscoreInText: Bool

  public init(base: String, subscriptText: String? = nil, accent: Accent? = nil, underscoreInText: Bool = true) {
    self.base = base
    self.subscriptText = subscriptText
    self.accent = accent
    self.underscoreInText = underscoreInText
  }

  /// The symbol a declared name stands for: Greek names become letters (`delta1` → δ1), a `hat`
  /// suffix an accent (`yhat` → ŷ), the part after `_` or trailing digits a subscript.
  public init(deriving name: String) {
    var stem = name
    var accent: Accent?
    for a in [Accent.hat, .bar, .tilde] {
      for suffix in ["_" + a.rawValue, a.rawValue] where stem.count > suffix.count && stem.hasSuffix(suffix) && accent == nil {
        stem = String(stem.dropLast(suffix.count))
        accent = a
      }
    }
    var base = stem, sub: String?, underscore = false
    if let u = stem.firstIndex(of: "_"), u != stem.startIndex, stem.index(after: u) != stem.endIndex {
      base = String(stem[..<u])
      sub = String(stem[stem.index(after: u)...])
      underscore = true
    } else if let firstDigit = stem.firstIndex(where: \.isNumber), firstDigit != stem.startIndex,
              stem[firstDigit...].allSatisfy(\.isNumber) {
      base = String(stem[..<firstDigit])
      sub = String(stem[firstDigit...])
    }
    if let letter = NameSpelling.letterByName[base] { base = String(letter) }
    self.init(base: base, subscriptText: sub, accent: accent, underscoreInText: underscore)
  }

  /// The notes' plain-text form: `δ1`, `W_h`, `ŷ`.
  public var text: String {
    var s = base
    if let a = accent, base.count == 1 {
      s += a == .hat ? "\u{0302}" : (a == .bar ? "\u{0304}" : "\u{0303}")
    } else if let a = accent {
      s += "_" + a.rawValue
    }
    if let sub = subscriptText { s += (underscoreInText ? "_" : "") + sub }
    return s
  }

  /// The LaTeX form: `\delta_1`, `W_h`, `\hat{y}`, `\mathit{tokens}`.
  public var latex: String {
    var s: String
    if base.count == 1, let c = base.first, let name = NameSpelling.nameByLetter[c] {
      s = "\\" + (NameSpelling.letterByName[name] == c ? name : "var" + name)
    } else if base.count == 1 {
      s = base
    } else {
      s = "\\mathit{\(base)}"
    }
    if let a = accent { s = "\\\(a == .hat ? "hat" : (a == .bar ? "bar" : "tilde")){\(s)}" }
    if let sub = subscriptText {
      let latexSub = NameSpelling.letterByName[sub] != nil ? "\\" + sub : sub
      s += sub.count == 1 || NameSpelling.letterByName[sub] != nil ? "_\(latexSub)" : "_{\(latexSub)}"
    }
    return s
  }
}

/// A quantity a formula may name: a parameter, an input, an intermediate of the forward or
/// backward pass, or a scalar constant.
///
/// ```
/// W_h      H×H                       .matrix("W_h", "H×H")
/// x[t]     V×1 one-hot, t = 1…T       .oneHot("x", "V×1", steps: .oneThroughT)
/// h[t]     H×1, t = 0…T (h[0] = h0)   .matrix("h", "H×1", steps: .zeroThroughT)
/// tokens   integers in 0..<V, 1…T+1   .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1))
/// λ        a scalar                   .scalar("lambda")
/// ```
public struct QuantityDeclaration: Hashable, Sendable {
  /// The name bindings use; also accepted in formulas in all its spellings (see `aliases`).
  public var name: String
  /// Other names for the same quantity (`ŷ` for `yhat` need not be listed: Greek letters, accents
  /// and the underscore before digits are spelling variants of every name already).
  public var aliases: [String]
  /// The shape in dimension symbols; `1×1` for a scalar or a class index.
  public var shape: SymbolicShape
  /// The steps the quantity is defined at, nil when it is not indexed by a step.
  public var steps: StepRange?
  public var kind: QuantityKind
  /// How the quantity is printed.
  public var symbol: QuantitySymbol
  /// A few words for messages and reports ("the hidden state").
  public var summary: String?

  public init(
    name: String, shape: SymbolicShape, steps: StepRange? = nil, kind: QuantityKind = .real,
    aliases: [String] = [], symbol: QuantitySymbol? = nil, summary: String? = nil
  ) {
    self.name = name
    self.aliases = aliases
    self.shape = shape
    self.steps = steps
    self.kind = kind
    self.symbol = symbol ?? QuantitySymbol(deriving: name)
    self.summary = summary
  }

  /// A real matrix, e.g. `.matrix("U", "V×H")`; stops with a message when `shape` is not of the
  /// form `rows×cols` (a programming error in the model's declaration).
  public static func matrix(
    _ name: String, _ shape: String, steps: StepRange? = nil, aliases: [String] = [], summary: String? = nil
  ) -> QuantityDeclaration {
    QuantityDeclaration(name: name, shape: parsedShape(shape, name), steps: steps, aliases: aliases, summary: summary)
  }

  /// A one-hot real vector, e.g. `.oneHot("x", "V×1", steps: .oneThroughT)`.
  public static func oneHot(
    _ name: String, _ shape: String, steps: StepRange? = nil, aliases: [String] = [], summary: String? = nil
  ) -> QuantityDeclaration {
    QuantityDeclaration(name: name, shape: parsedShape(shape, name), steps: steps, kind: .oneHot, aliases: aliases, summary: summary)
  }

  /// An integer class index in `0..<classes`, usable as `onehot(name)` (`classes × 1`).
  public static func classIndex(
    _ name: String, classes: Dimension, steps: StepRange? = nil, aliases: [String] = [], summary: String? = nil
  ) -> QuantityDeclaration {
    QuantityDeclaration(name: name, shape: .scalar, steps: steps, kind: .classIndex(classes: classes), aliases: aliases, summary: summary)
  }

  /// A real scalar constant (`1×1`), e.g. a regularization strength.
  public static func scalar(_ name: String, aliases: [String] = [], summary: String? = nil) -> QuantityDeclaration {
    QuantityDeclaration(name: name, shape: .scalar, aliases: aliases, summary: summary)
  }

  static func parsedShape(_ text: String, _ name: String) -> SymbolicShape {
    guard let s = SymbolicShape(parsing: text) else {
      fatalError("the shape of \(name) must read rows×cols (e.g. \"V×H\"), got \"\(text)\"")
    }
    return s
  }

  /// `h[t]` for a step-indexed quantity, `W_h` otherwise.
  var plainReference: String { steps == nil ? name : "\(name)[t]" }
}
