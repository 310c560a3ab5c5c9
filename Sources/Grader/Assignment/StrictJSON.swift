import Foundation

/// A JSON object read strictly: every key must be known, every required key present, every value
/// of the expected type. Errors name the file, the key path and what was expected.
///
/// Assignment and rubric files are data written by instructors; a misspelt key ("point" for
/// "points") must be caught, not silently ignored.
public struct StrictObject {
  public let file: String
  public let path: String
  let values: [String: Any]

  init(file: String, path: String = "", value: Any) throws(DataFileError) {
    guard let dict = value as? [String: Any] else {
      throw DataFileError(file: file, path: path, problem: "expected an object, found \(StrictObject.kind(of: value))")
    }
    self.file = file
    self.path = path
    self.values = dict
  }

  /// Parses `data` as JSON and returns the top-level object.
  static func parse(_ data: Data, file: String) throws(DataFileError) -> StrictObject {
    let value: Any
    do {
      value = try JSONSerialization.jsonObject(with: data, options: [])
    } catch {
      throw DataFileError(file: file, path: "", problem: "is not valid JSON (\(StrictObject.describe(error)))")
    }
    return try StrictObject(file: file, value: value)
  }

  /// Rejects any key not in `known`.
  public func allowOnly(_ known: [String]) throws(DataFileError) {
    for key in values.keys.sorted() where !known.contains(key) {
      let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }
      var problem = "unknown key '\(key)'"
      if let s = suggestion, editDistance(s, key) <= 2 { problem += " (did you mean '\(s)'?)" }
      problem += "; allowed keys are \(known.map { "'\($0)'" }.joined(separator: ", "))"
      throw DataFileError(file: file, path: path, problem: problem)
    }
  }

  public func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

  private func required(_ key: String) throws(DataFileError) -> Any {
    guard let v = values[key], !(v is NSNull) else {
      throw DataFileError(file: file, path: path, problem: "missing required key '\(key)'")
    }
    return v
  }

  private func typeError(_ key: String, _ expected: String, _ value: Any) -> DataFileError {
    DataFileError(file: file, path: child(key), problem: "expected \(expected), found \(StrictObject.kind(of: value))")
  }

  public func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  public func string(_ key: String) throws(DataFileError) -> String {
    let v = try required(key)
    guard let s = v as? String else { throw typeError(key, "a string", v) }
    return s
  }

  public func optionalString(_ key: String) throws(DataFileError) -> String? {
    has(key) ? try string(key) : nil
  }

  public func number(_ key: String) throws(DataFileError) -> Double {
    let v = try required(key)
    guard let n = v as? NSNumber, !StrictObject.isBool(n) else { throw typeError(key, "a number", v) }
    return n.doubleValue
  }

  public func optionalNumber(_ key: String) throws(DataFileError) -> Double? {
    has(key) ? try number(key) : nil
  }

  public func bool(_ key: String) throws(DataFileError) -> Bool {
    let v = try required(key)
    guard let n = v as? NSNumber, StrictObject.isBool(n) else { throw typeError(key, "true or false", v) }
    return n.boolValue
  }

  public func optionalBool(_ key: String) throws(DataFileError) -> Bool? {
    has(key) ? try bool(key) : nil
  }

  public func object(_ key: String) throws(DataFileError) -> StrictObject {
    try StrictObject(file: file, path: child(key), value: try required(key))
  }

  public func optionalObject(_ key: String) throws(DataFileError) -> StrictObject? {
    has(key) ? try object(key) : nil
  }

  public func array(_ key: String) throws(DataFileError) -> [Any] {
    let v = try required(key)
    guard let a = v as? [Any] else { throw typeError(key, "a list", v) }
    return a
  }

  public func objects(_ key: String) throws(DataFileError) -> [StrictObject] {
    var out: [StrictObject] = []
    for (i, v) in try array(key).enumerated() {
      out.append(try StrictObject(file: file, path: "\(child(key))[\(i)]", value: v))
    }
    return out
  }

  public func strings(_ key: String) throws(DataFileError) -> [String] {
    var out: [String] = []
    for (i, v) in try array(key).enumerated() {
      guard let s = v as? String else {
        throw DataFileError(file: file, path: "\(child(key))[\(i)]", problem: "expected a string, found \(StrictObject.kind(of: v))")
      }
      out.append(s)
    }
    return out
  }

  static func isBool(_ n: NSNumber) -> Bool {
    // JSONSerialization gives booleans as NSNumbers of type `char` (objCType "c").
    String(cString: n.objCType) == "c"
  }

  static func kind(of value: Any) -> String {
    switch value {
    case is NSNull: return "null"
    case let n as NSNumber: return isBool(n) ? "a boolean" : "a number"
    case is String: return "a string"
    case is [Any]: return "a list"
    case is [String: Any]: return "an object"
    default: return "a value of type \(type(of: value))"
    }
  }

  static func describe(_ error: Error) -> String {
    let ns = error as NSError
    if let detail = ns.userInfo["NSDebugDescription"] as? String { return detail }
    return ns.localizedDescription
  }
}

/// A data file (assignment, rubric) that cannot be used, with the file, the key and the reason.
public struct DataFileError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var path: String
  public var problem: String

  public init(file: String, path: String, problem: String) {
    self.file = file
    self.path = path
    self.problem = problem
  }

  public var description: String {
    path.isEmpty ? "\(file): \(problem)" : "\(file): at '\(path)': \(problem)"
  }
}

/// The Levenshtein distance, for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
