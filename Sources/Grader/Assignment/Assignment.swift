import Foundation
import Jacobians

/// An assignment, as read from `Assignments/<id>/assignment.json`.
///
/// ```json
/// { "id": "rnn-bptt", "title": "…", "description": "…",
///   "model":  { "reference": "rnn-lm", "sizes": {"T": 6, "V": 10, "d": 4, "H": 5},
///               "activation": "sigmoid", "convention": "column", "reduction": "mean",
///               "truncation": "full", "biases": true },
///   "inputs": [ { "name": "W_h", "shape": ["H", "H"], "statement": "…" }, … ],
///   "items":  [ { "id": "dW_h", "statement": "∂J/∂W_h = …", "shape": ["H", "H"],
///                 "checks": ["reference", "numeric"] }, … ] }
/// ```
/// A shape entry is a whole number, a size name (`"H"`), or a size name with `+k` or `*name`
/// (`"T+1"`, `"window*d"`). Unknown keys and missing fields are rejected, naming the key and file.
public struct Assignment: Sendable {
  public var id: String
  public var title: String
  public var description: String
  /// The model that computes the items (`ModelRegistry`), with its sizes and options.
  public var model: any ModelReference
  public var inputs: [InputSpec]
  public var items: [ItemSpec]
  /// The folder the assignment was read from (its starter and examples live there).
  public var directory: URL

  public func item(_ id: String) -> ItemSpec? { items.first { $0.id == id } }
  public func input(_ name: String) -> InputSpec? { inputs.first { $0.name == name } }
}

/// One input every student receives (generated per student).
public struct InputSpec: Sendable {
  public var name: String
  public var shape: [Int]
  public var dtype: DType
  public var statement: String
  /// The shape as `assignment.json` writes it (`["T+1"]`, `["H", "H"]`), for starters.
  public var symbolicShape: [String]
}

/// One graded item.
public struct ItemSpec: Sendable {
  public enum Check: String, Sendable, CaseIterable {
    /// Compared entry by entry with the reference.
    case reference
    /// Compared with a numeric (central-difference) gradient at the student's inputs.
    case numeric
  }

  public var id: String
  /// One line in the notes' notation.
  public var statement: String
  public var shape: [Int]
  public var checks: [Check]
  /// The shape as `assignment.json` writes it, for starters.
  public var symbolicShape: [String]
}

extension Assignment {
  /// Reads `<directory>/assignment.json`.
  public static func load(from directory: URL) throws(DataFileError) -> Assignment {
    let url = directory.appendingPathComponent("assignment.json")
    let file = url.path
    guard let data = FileManager.default.contents(atPath: file) else {
      throw DataFileError(file: file, path: "", problem: "cannot be read (no such file, or not readable); an assignment folder holds an assignment.json")
    }
    let root = try StrictObject.parse(data, file: file)
    try root.allowOnly(["id", "title", "description", "model", "inputs", "items"])

    let model = try ModelRegistry.decode(try root.object("model"))

    var inputs: [InputSpec] = []
    for object in try root.objects("inputs") {
      try object.allowOnly(["name", "shape", "dtype", "statement"])
      let dtypeName = try object.optionalString("dtype") ?? "float64"
      guard let dtype = DType(rawValue: dtypeName) else {
        throw DataFileError(file: file, path: object.child("dtype"), problem: "unknown dtype '\(dtypeName)'; expected float64 or int64")
      }
      let (shape, symbolic) = try resolveShape(object, sizes: model.sizes)
      inputs.append(InputSpec(
        name: try object.string("name"), shape: shape, dtype: dtype,
        statement: try object.optionalString("statement") ?? "", symbolicShape: symbolic))
    }

    var items: [ItemSpec] = []
    for object in try root.objects("items") {
      try object.allowOnly(["id", "statement", "shape", "checks"])
      var checks: [ItemSpec.Check] = []
      for (k, name) in try object.strings("checks").enumerated() {
        guard let check = ItemSpec.Check(rawValue: name) else {
          throw DataFileError(file: file, path: "\(object.child("checks"))[\(k)]", problem: "unknown check '\(name)'; expected 'reference' or 'numeric'")
        }
        checks.append(check)
      }
      let id = try object.string("id")
      if items.contains(where: { $0.id == id }) {
        throw DataFileError(file: file, path: object.child("id"), problem: "item '\(id)' is defined twice")
      }
      let (shape, symbolic) = try resolveShape(object, sizes: model.sizes)
      items.append(ItemSpec(id: id, statement: try object.string("statement"), shape: shape, checks: checks, symbolicShape: symbolic))
    }

    let assignment = Assignment(
      id: try root.string("id"),
      title: try root.string("title"),
      description: try root.optionalString("description") ?? "",
      model: model, inputs: inputs, items: items, directory: directory)
    try assignment.validate(file: file)
    return assignment
  }

  /// The most entries one input or item may have: 2²⁶ (512 MB of float64).
  public static let maximumEntries = 1 << 26

  /// Checks that the inputs are exactly the model's, with its shapes and dtypes, and that every
  /// item is one the model computes, with its shape.
  func validate(file: String) throws(DataFileError) {
    let reference = model.name
    var total = 0
    for (what, quantities) in [("input", model.inputs), ("item", model.items)] {
      for q in quantities {
        guard let n = Tensor.entryCount(q.shape), n <= Self.maximumEntries else {
          throw DataFileError(file: file, path: "model.sizes", problem: "the \(what) '\(q.name)' would have shape \(Tensor.describe(q.shape)), more than \(Self.maximumEntries) entries (\(Self.maximumEntries / (1 << 17)) MB); choose smaller sizes")
        }
        total += n
      }
    }
    guard total <= 4 * Self.maximumEntries else {
      throw DataFileError(file: file, path: "model.sizes", problem: "the inputs and items would hold \(total) entries in all, more than \(4 * Self.maximumEntries); choose smaller sizes")
    }
    let declared = Set(inputs.map(\.name))
    for input in model.inputs where !declared.contains(input.name) {
      throw DataFileError(file: file, path: "inputs", problem: "missing input '\(input.name)' needed by reference '\(reference)'")
    }
    for spec in inputs {
      guard let input = model.input(spec.name) else {
        throw DataFileError(file: file, path: "inputs", problem: "unknown input '\(spec.name)' for reference '\(reference)'; it knows \(model.inputs.map(\.name).joined(separator: ", "))")
      }
      if input.shape != spec.shape {
        throw DataFileError(file: file, path: "inputs", problem: "input '\(spec.name)' is declared with shape \(Tensor.describe(spec.shape)), but the model's sizes give \(Tensor.describe(input.shape))")
      }
      if input.dtype != spec.dtype {
        throw DataFileError(file: file, path: "inputs", problem: "input '\(spec.name)' is declared with dtype \(spec.dtype), but the model gives \(input.dtype)")
      }
    }
    for spec in items {
      guard let item = model.item(spec.id) else {
        throw DataFileError(file: file, path: "items", problem: "unknown item '\(spec.id)' for reference '\(reference)'; it computes \(model.items.map(\.name).joined(separator: ", "))")
      }
      if item.shape != spec.shape {
        throw DataFileError(file: file, path: "items", problem: "item '\(spec.id)' is declared with shape \(Tensor.describe(spec.shape)), but the reference computes \(Tensor.describe(item.shape))")
      }
    }
    try validateChecks(file: file)
  }

  /// Every item must be checked by something the grader can carry out: an item without checks,
  /// or with a numeric check the model has no probe for (a loss value is not a derivative),
  /// would pass whatever was submitted, so it is refused.
  func validateChecks(file: String) throws(DataFileError) {
    var probed: Set<String>?
    for spec in items {
      if spec.checks.isEmpty {
        throw DataFileError(file: file, path: "items", problem: "item '\(spec.id)' has no checks, so any answer would pass; expected \"checks\": [\"reference\"] or [\"reference\", \"numeric\"]")
      }
      guard spec.checks.contains(.numeric) else { continue }
      if probed == nil {
        // Which items have probes does not depend on the inputs' values: zeros of the declared
        // shapes cost no random draws (the probes' work is done only when they are evaluated).
        let zeros = Dictionary(uniqueKeysWithValues: model.inputs.map { q in
          (q.name, Tensor(shape: q.shape, scalars: [Double](repeating: 0, count: Tensor.entryCount(q.shape) ?? 0), dtype: q.dtype))
        })
        probed = Set(model.numericProbes(inputs: zeros).keys)
      }
      if !probed!.contains(spec.id) {
        throw DataFileError(file: file, path: "items", problem: "item '\(spec.id)' asks for a numeric check, but reference '\(model.name)' has no numeric probe for it (it is not a derivative the grader can estimate), so the check could verify nothing; use \"checks\": [\"reference\"]")
      }
    }
  }

  /// Resolves `"shape": [2, "H", "T+1", "window*d"]` against the model's sizes; also returns the
  /// entries as written.
  static func resolveShape(_ object: StrictObject, sizes: [String: Int]) throws(DataFileError) -> ([Int], [String]) {
    var shape: [Int] = []
    var symbolic: [String] = []
    for (k, entry) in try object.array("shape").enumerated() {
      let where_ = "\(object.child("shape"))[\(k)]"
      if let n = entry as? NSNumber, !StrictObject.isBool(n), n.doubleValue == n.doubleValue.rounded(), n.intValue >= 0, n.doubleValue <= Double(ModelRegistry.maximumSize) {
        shape.append(n.intValue)
        symbolic.append(String(n.intValue))
      } else if let s = entry as? String, let value = evaluateSize(s, sizes: sizes) {
        shape.append(value)
        symbolic.append(s.replacingOccurrences(of: " ", with: ""))
      } else {
        throw DataFileError(file: object.file, path: where_, problem: "cannot read dimension \(entry); expected a whole number, a size name of model.sizes (\(sizes.keys.sorted().joined(separator: ", "))), or 'name+k' / 'name*name'")
      }
    }
    return (shape, symbolic)
  }

  static func evaluateSize(_ text: String, sizes: [String: Int]) -> Int? {
    let t = text.replacingOccurrences(of: " ", with: "")
    func atom(_ a: Substring) -> Int? { Int(a) ?? sizes[String(a)] }
    if let plus = t.firstIndex(of: "+") {
      guard let x = atom(t[..<plus]), let y = atom(t[t.index(after: plus)...]) else { return nil }
      return x + y
    }
    if let times = t.firstIndex(of: "*") {
      guard let x = atom(t[..<times]), let y = atom(t[t.index(after: times)...]) else { return nil }
      return x * y
    }
    return atom(Substring(t))
  }
}
