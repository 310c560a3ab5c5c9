import BPTTReference
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
  public var model: ModelSpec
  public var inputs: [InputSpec]
  public var items: [ItemSpec]
  /// The folder the assignment was read from (its starter and examples live there).
  public var directory: URL

  public func item(_ id: String) -> ItemSpec? { items.first { $0.id == id } }
  public func input(_ name: String) -> InputSpec? { inputs.first { $0.name == name } }
}

/// Which reference computes the items, and with which options.
public struct ModelSpec: Sendable {
  public enum Reference: String, Sendable, CaseIterable {
    /// The column-form RNN language model of notes 000/002/003 (`BPTT`).
    case rnnLM = "rnn-lm"
    /// The canonical min-char-rnn of note 001 (`CanonicalRNN`).
    case rnnCanonical = "rnn-canonical"
    /// The feed-forward references of note 003 (`Jacobians`).
    case backpropBasics = "backprop-basics"
  }

  public var reference: Reference
  public var sizes: [String: Int]
  public var options: RNNOptions
  public var convention: VectorConvention
  /// The L2 factor of the softmax classifier: `full` is λΣW², `half` is ½λΣW².
  public var regularization: String

  public func size(_ name: String) -> Int { sizes[name] ?? 0 }
}

/// One input every student receives (generated per student).
public struct InputSpec: Sendable {
  public var name: String
  public var shape: [Int]
  public var dtype: DType
  public var statement: String
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

    let modelObject = try root.object("model")
    let model = try ModelSpec.decode(modelObject)

    var inputs: [InputSpec] = []
    for object in try root.objects("inputs") {
      try object.allowOnly(["name", "shape", "dtype", "statement"])
      let dtypeName = try object.optionalString("dtype") ?? "float64"
      guard let dtype = DType(rawValue: dtypeName) else {
        throw DataFileError(file: file, path: object.child("dtype"), problem: "unknown dtype '\(dtypeName)'; expected float64 or int64")
      }
      inputs.append(InputSpec(
        name: try object.string("name"),
        shape: try resolveShape(object, sizes: model.sizes),
        dtype: dtype,
        statement: try object.optionalString("statement") ?? ""))
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
      items.append(ItemSpec(id: id, statement: try object.string("statement"), shape: try resolveShape(object, sizes: model.sizes), checks: checks))
    }

    let assignment = Assignment(
      id: try root.string("id"),
      title: try root.string("title"),
      description: try root.optionalString("description") ?? "",
      model: model, inputs: inputs, items: items, directory: directory)
    try AssignmentTasks.validate(assignment, file: file)
    return assignment
  }

  /// Resolves `"shape": [2, "H", "T+1", "window*d"]` against the model's sizes.
  static func resolveShape(_ object: StrictObject, sizes: [String: Int]) throws(DataFileError) -> [Int] {
    var shape: [Int] = []
    for (k, entry) in try object.array("shape").enumerated() {
      let where_ = "\(object.child("shape"))[\(k)]"
      if let n = entry as? NSNumber, !StrictObject.isBool(n), n.doubleValue == n.doubleValue.rounded(), n.intValue >= 0 {
        shape.append(n.intValue)
      } else if let s = entry as? String, let value = evaluateSize(s, sizes: sizes) {
        shape.append(value)
      } else {
        throw DataFileError(file: object.file, path: where_, problem: "cannot read dimension \(entry); expected a whole number, a size name of model.sizes (\(sizes.keys.sorted().joined(separator: ", "))), or 'name+k' / 'name*name'")
      }
    }
    return shape
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

extension ModelSpec {
  static func decode(_ object: StrictObject) throws(DataFileError) -> ModelSpec {
    try object.allowOnly(["reference", "sizes", "activation", "convention", "reduction", "truncation", "biases", "regularization"])
    let referenceName = try object.string("reference")
    guard let reference = Reference(rawValue: referenceName) else {
      throw DataFileError(file: object.file, path: object.child("reference"), problem: "unknown reference '\(referenceName)'; expected one of \(Reference.allCases.map { $0.rawValue }.joined(separator: ", "))")
    }
    let sizesObject = try object.object("sizes")
    var sizes: [String: Int] = [:]
    for key in sizesObject.values.keys {
      let v = try sizesObject.number(key)
      guard v >= 1, v == v.rounded() else {
        throw DataFileError(file: object.file, path: sizesObject.child(key), problem: "expected a whole number ≥ 1, found \(v)")
      }
      sizes[key] = Int(v)
    }

    var options = RNNOptions()
    if let name = try object.optionalString("activation") {
      guard let f = Activation(name: name) else {
        throw DataFileError(file: object.file, path: object.child("activation"), problem: "unknown activation '\(name)'; expected sigmoid, tanh, relu, hardtanh, leakyrelu or swish")
      }
      options.activation = f
    }
    if let name = try object.optionalString("reduction") {
      guard let r = LossReduction(rawValue: name) else {
        throw DataFileError(file: object.file, path: object.child("reduction"), problem: "unknown reduction '\(name)'; expected 'mean' or 'sum'")
      }
      options.reduction = r
    }
    if let name = try object.optionalString("truncation") {
      guard let t = parseTruncation(name) else {
        throw DataFileError(file: object.file, path: object.child("truncation"), problem: "unknown truncation '\(name)'; expected 'full', 'window(k)' or 'chunks(k)'")
      }
      options.truncation = t
    }
    if let b = try object.optionalBool("biases") { options.useBiases = b }

    var convention = VectorConvention.column
    if let name = try object.optionalString("convention") {
      guard let c = VectorConvention(rawValue: name) else {
        throw DataFileError(file: object.file, path: object.child("convention"), problem: "unknown convention '\(name)'; expected 'column' or 'row'")
      }
      convention = c
    }
    let regularization = try object.optionalString("regularization") ?? "full"
    guard regularization == "full" || regularization == "half" else {
      throw DataFileError(file: object.file, path: object.child("regularization"), problem: "unknown regularization '\(regularization)'; expected 'full' (λΣW²) or 'half' (½λΣW²)")
    }
    return ModelSpec(reference: reference, sizes: sizes, options: options, convention: convention, regularization: regularization)
  }

  static func parseTruncation(_ text: String) -> Truncation? {
    if text == "full" { return .full }
    for (prefix, make) in [("window(", Truncation.window), ("chunks(", Truncation.chunks)] {
      if text.hasPrefix(prefix), text.hasSuffix(")"), let k = Int(text.dropFirst(prefix.count).dropLast()), k >= 1 {
        return make(k)
      }
    }
    return nil
  }
}
