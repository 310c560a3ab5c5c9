import Foundation

/// A JSON reader and number writer for array files.
///
/// Standard JSON (RFC 8259) plus the three tokens Python's `json.dump` writes for non-finite
/// floats — `NaN`, `Infinity`, `-Infinity` — so that a NaN in a submission is read as NaN and
/// graded as a wrong value instead of making the file unreadable. Objects keep their keys in
/// the order written, duplicates included; numbers remember whether they were written as
/// integers. Errors give the line and column (both 1-based, columns counted in characters).
///
/// The parser recurses once per list or object, so nesting is capped (`Bounds.maximumDepth`),
/// and it counts what it builds, so a document of more numbers or values than the caller can
/// use is refused while it is read, not after.
enum ArrayJSON {
  indirect enum Value: Sendable, Equatable {
    case number(Double, isInteger: Bool)
    case string(String)
    case bool(Bool)
    case null
    case array([Value])
    case object([Member])

    /// "a string", "an object", … for messages.
    var kindDescription: String {
      switch self {
      case .number: return "a number"
      case .string(let s): return "a string (\"\(s.count > 20 ? String(s.prefix(20)) + "…" : s)\")"
      case .bool(let b): return "\(b)"
      case .null: return "null"
      case .array: return "a list"
      case .object: return "an object"
      }
    }
  }

  struct Member: Sendable, Equatable {
    var key: String
    var value: Value
  }

  /// Where and why a document is not JSON, or is JSON beyond the bounds it was read with.
  struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String
    var line: Int
    var column: Int
    /// The document passes a bound of `Bounds` there (it may be valid JSON).
    var isLimit = false
    var description: String { isLimit ? "at line \(line), column \(column), \(reason)" : "\(reason) at line \(line), column \(column)" }
  }

  /// The deepest nesting accepted by default; deeper documents are rejected rather than risk the stack.
  static let maximumDepth = 256

  /// How much one document may hold.
  struct Bounds: Sendable {
    /// Lists and objects open at once.
    var maximumDepth = ArrayJSON.maximumDepth
    /// Numbers in the whole document.
    var maximumNumbers = Int.max
    /// Values of every kind (numbers, strings, lists, objects, …) in the whole document.
    var maximumValues = Int.max
    /// Ends the message when a count bound is passed.
    var rationale = "the most this reader accepts"
  }

  static func parse(_ data: Data, bounds: Bounds = Bounds()) throws(SyntaxError) -> Value {
    var parser = Parser(bytes: [UInt8](data), bounds: bounds)
    if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
    parser.skipSpace()
    let value = try parser.value(depth: 0)
    parser.skipSpace()
    if parser.index < parser.bytes.count {
      throw parser.error("unexpected \(parser.describeCurrent()) after the end of the document")
    }
    return value
  }

  /// A number as Python's `json.dump` would accept it back: shortest round-trip digits, and the
  /// bare tokens `NaN`, `Infinity`, `-Infinity` for non-finite values.
  static func format(_ x: Double, asInteger: Bool = false) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
    if asInteger, x == x.rounded(), abs(x) < 9.2e18 { return String(Int64(x)) }
    return "\(x)"
  }

  /// A string literal with the escapes JSON requires.
  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  private struct Parser {
    var bytes: [UInt8]
    let bounds: Bounds
    var index = 0
    var numbers = 0
    var values = 0

    func limitError(_ reason: String) -> SyntaxError {
      var e = error(reason)
      e.isLimit = true
      return e
    }

    func error(_ reason: String) -> SyntaxError {
      var line = 1
      var lineStart = 0
      for i in 0..<min(index, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
        line += 1
        lineStart = i + 1
      }
      // Count characters, not bytes: skip UTF-8 continuation bytes.
      let column = 1 + bytes[lineStart..<min(index, bytes.count)].filter { $0 & 0xC0 != 0x80 }.count
      return SyntaxError(reason: reason, line: line, column: column)
    }

    func describeCurrent() -> String {
      guard index < bytes.count else { return "end of file" }
      let b = bytes[index]
      if b >= 0x20 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
      return String(format: "byte 0x%02X", b)
    }

    mutating func skipSpace() {
      while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// The value at `index`, inside `depth` open lists and objects.
    mutating func value(depth: Int) throws(SyntaxError) -> Value {
      guard index < bytes.count else { throw error("unexpected end of file where a value was expected") }
      values += 1
      guard values <= bounds.maximumValues else {
        throw limitError("the document holds more than \(bounds.maximumValues) values, \(bounds.rationale)")
      }
      if bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") {
        guard depth < bounds.maximumDepth else {
          throw limitError("lists or objects are nested \(depth + 1) deep, more than the \(bounds.maximumDepth) levels accepted")
        }
      }
      switch bytes[index] {
      case UInt8(ascii: "{"): return try object(depth: depth)
      case UInt8(ascii: "["): return try array(depth: depth)
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
      default:
        for (word, value) in [("true", Value.bool(true)), ("false", .bool(false)), ("null", .null),
                              ("NaN", .number(.nan, isInteger: false)), ("Infinity", .number(.infinity, isInteger: false))]
        where bytes[index...].starts(with: word.utf8) {
          if case .number = value { try countNumber() }
          index += word.utf8.count
          return value
        }
        throw error("unexpected \(describeCurrent()) where a value was expected")
      }
    }

    mutating func object(depth: Int) throws(SyntaxError) -> Value {
      index += 1
      var members: [Member] = []
      skipSpace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      }
      while true {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
          throw error("unexpected \(describeCurrent()) where a key in double quotes was expected")
        }
        let key = try string()
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
          throw error("unexpected \(describeCurrent()) where ':' was expected after the key \"\(key)\"")
        }
        index += 1
        skipSpace()
        members.append(Member(key: key, value: try value(depth: depth + 1)))
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end of file inside an object") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
        } else if bytes[index] == UInt8(ascii: "}") {
          index += 1
          return .object(members)
        } else {
          throw error("unexpected \(describeCurrent()) where ',' or '}' was expected")
        }
      }
    }

    mutating func array(depth: Int) throws(SyntaxError) -> Value {
      index += 1
      var items: [Value] = []
      skipSpace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      }
      while true {
        skipSpace()
        items.append(try value(depth: depth + 1))
        skipSpace()
        guard index < bytes.count else { throw error("unexpected end of file inside a list") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
        } else if bytes[index] == UInt8(ascii: "]") {
          index += 1
          return .array(items)
        } else {
          throw error("unexpected \(describeCurrent()) where ',' or ']' was expected")
        }
      }
    }

    mutating func countNumber() throws(SyntaxError) {
      numbers += 1
      guard numbers <= bounds.maximumNumbers else {
        throw limitError("the document holds more than \(bounds.maximumNumbers) numbers, \(bounds.rationale)")
      }
    }

    mutating func number() throws(SyntaxError) -> Value {
      try countNumber()
      let start = index
      if bytes[index] == UInt8(ascii: "-") {
        index += 1
        if bytes[index...].starts(with: "Infinity".utf8) {
          index += 8
          return .number(-.infinity, isInteger: false)
        }
      }
      func digits() -> Int {
        let first = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - first
      }
      let integerDigits = digits()
      guard integerDigits > 0 else { throw error("unexpected \(describeCurrent()) in a number") }
      if integerDigits > 1, bytes[index - integerDigits] == UInt8(ascii: "0") {
        index -= integerDigits - 1
        throw error("a number with a leading zero")
      }
      var isInteger = true
      if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        isInteger = false
        guard digits() > 0 else { throw error("unexpected \(describeCurrent()) after a decimal point") }
      }
      if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
        index += 1
        isInteger = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digits() > 0 else { throw error("unexpected \(describeCurrent()) in an exponent") }
      }
      if let x = DecimalNumber.exactValue(bytes[start..<index]) { return .number(x, isInteger: isInteger) }
      let text = String(decoding: bytes[start..<index], as: UTF8.self)
      guard let x = Double(text) else { throw error("the number \(text) cannot be read") }
      return .number(x, isInteger: isInteger)
    }

    mutating func string() throws(SyntaxError) -> String {
      index += 1
      var utf8: [UInt8] = []
      while index < bytes.count {
        let b = bytes[index]
        switch b {
        case UInt8(ascii: "\""):
          index += 1
          guard let s = String(bytes: utf8, encoding: .utf8) else {
            throw error("a string that is not valid UTF-8")
          }
          return s
        case UInt8(ascii: "\\"):
          index += 1
          guard index < bytes.count else { break }
          let e = bytes[index]
          index += 1
          switch e {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
          case UInt8(ascii: "b"): utf8.append(0x08)
          case UInt8(ascii: "f"): utf8.append(0x0C)
          case UInt8(ascii: "n"): utf8.append(0x0A)
          case UInt8(ascii: "r"): utf8.append(0x0D)
          case UInt8(ascii: "t"): utf8.append(0x09)
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code), bytes[index...].starts(with: "\\u".utf8) {
              index += 2
              let low = try hex4()
              if (0xDC00..<0xE000).contains(low) { code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00) }
            }
            utf8.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
          default:
            index -= 1
            throw error("unknown escape '\\\(Character(Unicode.Scalar(e)))' in a string")
          }
        case 0..<0x20:
          throw error("a control character inside a string (strings cannot span lines)")
        default:
          utf8.append(b)
          index += 1
        }
      }
      throw error("unexpected end of file inside a string")
    }

    mutating func hex4() throws(SyntaxError) -> UInt32 {
      guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
        throw error("a \\u escape without four hexadecimal digits")
      }
      index += 4
      return code
    }
  }
}
