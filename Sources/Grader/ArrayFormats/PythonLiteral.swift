/// The subset of Python literals a `.npy` header is written in: a dict of strings, booleans,
/// integers, `None`, tuples and lists, as `repr` prints them.
///
/// ```
/// {'descr': '<f8', 'fortran_order': False, 'shape': (5, 4), }
/// ```
///
/// NumPy reads the header with `ast.literal_eval`; this parser accepts the same spelling for
/// these types (trailing commas, either quote, the `L` suffix of old Python 2 integers) and
/// rejects everything else with the position of the first character it cannot use. Tuples,
/// lists and dicts nest at most `maximumDepth` deep (the parser recurses once per level), so a
/// header of 65 000 `(` is an error, not a stack overflow.
enum PythonLiteral: Sendable, Equatable, CustomStringConvertible {
  case string(String)
  case integer(Int)
  case boolean(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  /// Keys in the order written.
  case dict([(key: PythonLiteral, value: PythonLiteral)])

  static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
    switch (a, b) {
    case let (.string(x), .string(y)): return x == y
    case let (.integer(x), .integer(y)): return x == y
    case let (.boolean(x), .boolean(y)): return x == y
    case (.none, .none): return true
    case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
    case let (.dict(x), .dict(y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  /// The literal as Python's `repr` writes it.
  var description: String {
    switch self {
    case .string(let s): return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    case .integer(let n): return String(n)
    case .boolean(let b): return b ? "True" : "False"
    case .none: return "None"
    case .tuple(let items): return items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
    case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
    case .dict(let pairs): return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }
  }

  /// What went wrong while reading a literal: a reason and the 1-based character position.
  struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String
    var position: Int
    var description: String { "\(reason) at character \(position)" }
  }

  /// Parses one literal that fills `text` (surrounding whitespace allowed), with tuples, lists
  /// and dicts nested at most `maximumDepth` deep.
  static func parse(_ text: String, maximumDepth: Int = ArrayReadLimits.nestingDepth) throws(SyntaxError) -> PythonLiteral {
    var parser = Parser(characters: Array(text.unicodeScalars), maximumDepth: maximumDepth)
    let value = try parser.value()
    parser.skipSpace()
    if parser.index < parser.characters.count {
      throw parser.error("unexpected \(parser.quoted(parser.characters[parser.index])) after the end of the literal")
    }
    return value
  }

  private struct Parser {
    var characters: [Unicode.Scalar]
    let maximumDepth: Int
    var index = 0
    /// Tuples, lists and dicts open around the current position.
    var depth = 0

    func error(_ reason: String) -> SyntaxError { SyntaxError(reason: reason, position: index + 1) }

    func quoted(_ c: Unicode.Scalar) -> String { "'\(Character(c))'" }

    mutating func skipSpace() {
      while index < characters.count, characters[index].properties.isWhitespace { index += 1 }
    }

    mutating func value() throws(SyntaxError) -> PythonLiteral {
      skipSpace()
      guard index < characters.count else { throw error("the text ends where a value was expected") }
      let c = characters[index]
      if c == "(" || c == "[" || c == "{" {
        guard depth < maximumDepth else {
          throw error("tuples, lists or dicts nested \(depth + 1) deep, more than the \(maximumDepth) a header may have")
        }
        depth += 1
      }
      defer { if c == "(" || c == "[" || c == "{" { depth -= 1 } }
      switch c {
      case "'", "\"": return .string(try string(quote: c))
      case "(":
        index += 1
        let (items, sawComma) = try sequence(closing: ")")
        // `(x)` is x itself in Python; only `(x,)` is a one-element tuple.
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
      case "[":
        index += 1
        return .list(try sequence(closing: "]").items)
      case "{":
        index += 1
        return try dict()
      case "-", "+", "0"..."9": return .integer(try integer())
      default:
        var word = ""
        while index < characters.count, characters[index].properties.isAlphabetic || characters[index] == "_" {
          word.unicodeScalars.append(characters[index])
          index += 1
        }
        switch word {
        case "True": return .boolean(true)
        case "False": return .boolean(false)
        case "None": return .none
        case "":
          throw error("unexpected \(quoted(c)) where a value was expected")
        default:
          index -= word.unicodeScalars.count
          throw error("unknown name '\(word)' where a value was expected (only True, False and None are allowed)")
        }
      }
    }

    mutating func string(quote: Unicode.Scalar) throws(SyntaxError) -> String {
      index += 1
      var result = String.UnicodeScalarView()
      while index < characters.count {
        let c = characters[index]
        index += 1
        if c == quote { return String(result) }
        if c == "\\" {
          guard index < characters.count else { break }
          let e = characters[index]
          index += 1
          switch e {
          case "n": result.append("\n")
          case "t": result.append("\t")
          case "0": result.append("\0")
          default: result.append(e)
          }
        } else if c == "\n" {
          break
        } else {
          result.append(c)
        }
      }
      throw error("a string is not closed")
    }

    mutating func integer() throws(SyntaxError) -> Int {
      let start = index
      var digits = ""
      if characters[index] == "-" || characters[index] == "+" {
        digits.unicodeScalars.append(characters[index])
        index += 1
      }
      while index < characters.count, ("0"..."9").contains(characters[index]) {
        digits.unicodeScalars.append(characters[index])
        index += 1
      }
      if index < characters.count, characters[index] == "L" { index += 1 }
      if index < characters.count, characters[index] == "." || characters[index] == "e" || characters[index] == "j" {
        index = start
        throw error("a number that is not an integer")
      }
      guard let n = Int(digits) else {
        index = start
        throw error(digits.count > 2 ? "an integer too large" : "a sign without digits")
      }
      return n
    }

    /// Comma-separated values up to `closing`; reports whether any comma was seen.
    mutating func sequence(closing: Unicode.Scalar) throws(SyntaxError) -> (items: [PythonLiteral], sawComma: Bool) {
      var items: [PythonLiteral] = []
      var sawComma = false
      while true {
        skipSpace()
        guard index < characters.count else { throw error("the text ends before the closing '\(Character(closing))'") }
        if characters[index] == closing {
          index += 1
          return (items, sawComma)
        }
        items.append(try value())
        skipSpace()
        guard index < characters.count else { throw error("the text ends before the closing '\(Character(closing))'") }
        if characters[index] == "," {
          sawComma = true
          index += 1
        } else if characters[index] != closing {
          throw error("expected ',' or '\(Character(closing))' but found \(quoted(characters[index]))")
        }
      }
    }

    mutating func dict() throws(SyntaxError) -> PythonLiteral {
      var pairs: [(key: PythonLiteral, value: PythonLiteral)] = []
      while true {
        skipSpace()
        guard index < characters.count else { throw error("the text ends before the closing '}'") }
        if characters[index] == "}" {
          index += 1
          return .dict(pairs)
        }
        let key = try value()
        skipSpace()
        guard index < characters.count, characters[index] == ":" else {
          throw error(index < characters.count ? "expected ':' after a key but found \(quoted(characters[index]))" : "the text ends before the closing '}'")
        }
        index += 1
        pairs.append((key, try value()))
        skipSpace()
        guard index < characters.count else { throw error("the text ends before the closing '}'") }
        if characters[index] == "," {
          index += 1
        } else if characters[index] != "}" {
          throw error("expected ',' or '}' but found \(quoted(characters[index]))")
        }
      }
    }
  }
}
