import Grader

/// A parsed command line: positional arguments, `--option value` pairs and `--flag`s, and the
/// console the command writes to.
///
/// Errors read like swift-argument-parser's and end in exit code 64.
struct Arguments {
  var positional: [String] = []
  var options: [String: String] = [:]
  var flags: Set<String> = []
  var console = Console.standard

  /// Parses `arguments` given the options that take a value and the flags of one command.
  init(_ arguments: [String], options valued: [String], flags known: [String]) throws(UsageError) {
    var k = 0
    while k < arguments.count {
      let a = arguments[k]
      if a == "--" {
        positional += arguments[(k + 1)...]
        break
      }
      if a.hasPrefix("-") && a.count > 1 && Double(a) == nil {
        var name = a
        var inlineValue: String?
        if let eq = a.firstIndex(of: "=") {
          name = String(a[..<eq])
          inlineValue = String(a[a.index(after: eq)...])
        }
        if valued.contains(name) {
          if let inlineValue {
            options[name] = inlineValue
          } else {
            guard k + 1 < arguments.count else { throw UsageError("Missing value for '\(name) <\(name.dropFirst(2))>'") }
            options[name] = arguments[k + 1]
            k += 1
          }
        } else if known.contains(name) {
          flags.insert(name)
        } else {
          let all = valued + known
          var message = "Unknown option '\(name)'"
          if let close = all.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 3 {
            message += "\nDid you mean '\(close)'?"
          }
          throw UsageError(message)
        }
      } else {
        positional.append(a)
      }
      k += 1
    }
  }

  func option(_ name: String) -> String? { options[name] }
  func flag(_ name: String) -> Bool { flags.contains(name) }
}

/// A mistake on the command line: printed as `Error: …`, the usage, and exit code 64.
struct UsageError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
