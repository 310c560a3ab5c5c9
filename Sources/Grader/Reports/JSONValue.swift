import Foundation

/// A JSON value with ordered keys, for reports whose field order a reader relies on.
///
/// Non-finite numbers have no JSON spelling; they are written as the strings "NaN", "Infinity"
/// and "-Infinity".
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

  public static func number(_ x: Int) -> JSONValue { .number(Double(x)) }

  /// Renders with two-space indentation (or compactly).
  public func rendered(pretty: Bool = true) -> String {
    var out = ""
    write(to: &out, indent: pretty ? 0 : nil)
    return out
  }

  private func write(to out: inout String, indent: Int?) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let x):
      if x.isNaN { out += "\"NaN\"" }
      else if x.isInfinite { out += x > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
      else if x == x.rounded(), Swift.abs(x) < 1e15 { out += String(Int64(x)) }
      else { out += "\(x)" }
    case .string(let s): out += JSONValue.quote(s)
    case .array(let values):
      if values.isEmpty { out += "[]"; return }
      let inline = values.allSatisfy { if case .number = $0 { return true } else { return false } }
      out += "["
      for (k, v) in values.enumerated() {
        if k > 0 { out += "," }
        if let indent, !inline { out += "\n" + String(repeating: "  ", count: indent + 1) } else if k > 0, indent != nil { out += " " }
        v.write(to: &out, indent: indent.map { $0 + 1 })
      }
      if let indent, !inline { out += "\n" + String(repeating: "  ", count: indent) }
      out += "]"
    case .object(let fields):
      if fields.isEmpty { out += "{}"; return }
      out += "{"
      for (k, (key, v)) in fields.enumerated() {
        if k > 0 { out += "," }
        if let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
        out += JSONValue.quote(key) + (indent == nil ? ":" : ": ")
        v.write(to: &out, indent: indent.map { $0 + 1 })
      }
      if let indent { out += "\n" + String(repeating: "  ", count: indent) }
      out += "}"
    }
  }

  /// A string literal with the escapes JSON requires (shared with the array writer).
  static func quote(_ s: String) -> String { ArrayJSON.quote(s) }
}
