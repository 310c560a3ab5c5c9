import Foundation

/// Arrays in JSON: an object mapping item ids to arrays.
///
/// ```
/// {
///   "W_h":  [[0.1, 0.2], [0.3, 0.4]],                        nested lists, rectangular
///   "b_1":  {"shape": [2], "data": [0.5, NaN], "dtype": "float32"},   flat row-major data
///   "loss": 2.5                                               a number is a scalar (shape [])
/// }
/// ```
///
/// Nested lists must be rectangular: every list at one depth has as many entries as the first.
/// In the `{"shape", "data"}` form, `data` is flat (or nested with exactly that shape) and
/// `dtype` is optional (`float32`, `float64`, `int32`, `int64` or `f4 f8 i4 i8`). Without a
/// dtype every array is `float64`: JSON has one kind of number, and a gradient that happens to be
/// written with integer literals (`[0, 1, 0]`) is still a gradient. Integer inputs (token
/// indices) are written with an explicit `"dtype": "int64"`.
/// `NaN`, `Infinity` and `-Infinity` are read as written by Python's `json.dump`.
///
/// A document that is not an object but a list, a number, or a single `{"shape", "data"}`
/// object holds one array, named by the caller (the file stem).
///
/// Writing uses the `{"shape", "dtype", "data"}` form, one item per line, keys sorted, with
/// `NaN`, `Infinity` and `-Infinity` for non-finite entries (Python's `json.load` reads them).
///
/// Reading is bounded by `ArrayReadLimits`: nesting depth and the count of numbers while the
/// document is parsed, the number of items after, and each item's shape (a declared shape, or
/// the shape nested lists spell) before its entries are gathered.
public enum JSONArrayFormat {
  /// Reads a JSON array document; an item that is not an array becomes `.unreadable`.
  public static func read(_ data: Data, singleItemName: String, limits: ArrayReadLimits = .default) throws(JSONArrayFormatError) -> ArrayCollection {
    var budget = ArrayReadBudget(limits)
    return try read(data, singleItemName: singleItemName, budget: &budget)
  }

  /// The parse bounds that follow from `limits`: every entry plus each array's shape list, and
  /// four values per number (a column written `[[1], [2]]` has two per entry).
  static func bounds(_ limits: ArrayReadLimits) -> ArrayJSON.Bounds {
    let numbers = ArrayReadLimits.sum(limits.maximumTotalEntries, ArrayReadLimits.product(limits.maximumArrays, limits.maximumNestingDepth))
    return ArrayJSON.Bounds(
      maximumDepth: limits.maximumNestingDepth, maximumNumbers: numbers,
      maximumValues: ArrayReadLimits.sum(ArrayReadLimits.product(4, numbers), ArrayReadLimits.product(8, limits.maximumArrays)),
      rationale: limits.rationale)
  }

  static func read(_ data: Data, singleItemName: String, budget: inout ArrayReadBudget) throws(JSONArrayFormatError) -> ArrayCollection {
    let document: ArrayJSON.Value
    do {
      document = try ArrayJSON.parse(data, bounds: bounds(budget.limits))
    } catch {
      throw error.isLimit ? .beyondLimits(error.description) : .invalidJSON(error.description)
    }
    switch document {
    case .object(let members) where !isSingleArray(members):
      guard members.count <= budget.limits.maximumArrays else {
        throw .tooManyArrays(count: members.count, limit: budget.limits.maximumArrays, rationale: budget.limits.rationale)
      }
      var collection = ArrayCollection()
      var seen: [String: Int] = [:]
      for member in members {
        seen[member.key, default: 0] += 1
      }
      for member in members {
        let location = "key \(ArrayJSON.quote(member.key))"
        if seen[member.key]! > 1 {
          if collection[member.key] == nil {
            collection.items.append(ArrayItem(name: member.key, location: location, entry: .unreadable(JSONArrayFormatError.Item.duplicateKey(item: member.key, count: seen[member.key]!).description)))
          }
          continue
        }
        collection.items.append(ArrayItem(name: member.key, location: location, entry: entry(member.value, item: member.key, budget: &budget)))
      }
      return collection
    case .object, .array, .number:
      return ArrayCollection(items: [ArrayItem(name: singleItemName, location: "", entry: entry(document, item: singleItemName, budget: &budget))])
    case .string, .bool, .null:
      throw .notAnObject(found: document.kindDescription)
    }
  }

  /// True for `{"shape": …, "data": …}` (with optional `"dtype"`): one array, not a mapping.
  private static func isSingleArray(_ members: [ArrayJSON.Member]) -> Bool {
    let keys = Set(members.map(\.key))
    return keys.contains("shape") && keys.contains("data") && keys.isSubset(of: ["shape", "data", "dtype"])
  }

  private static func entry(_ value: ArrayJSON.Value, item: String, budget: inout ArrayReadBudget) -> ArrayEntry {
    let tensor: Tensor
    do {
      tensor = try self.tensor(from: value, item: item, budget: budget)
    } catch {
      return .unreadable(error.description)
    }
    do {
      _ = try budget.admit(shape: tensor.shape)
    } catch {
      return .unreadable(JSONArrayFormatError.Item.limit(item: item, error).description)
    }
    return .tensor(tensor)
  }

  /// The tensor a JSON value spells: a number, rectangular nested lists, or `{"shape", "data"}`;
  /// its shape is held to the bounds left in `budget` before its entries are gathered.
  static func tensor(from value: ArrayJSON.Value, item: String, budget: ArrayReadBudget = ArrayReadBudget(.default)) throws(JSONArrayFormatError.Item) -> Tensor {
    switch value {
    case .number, .array:
      let nested = try flatten(value, item: item, budget: budget)
      return Tensor(shape: nested.shape, scalars: nested.scalars, dtype: .float64)
    case .object(let members):
      return try shapedTensor(members, item: item, budget: budget)
    default:
      throw .notAnArray(item: item, found: value.kindDescription)
    }
  }

  private struct Flattened {
    var shape: [Int]
    var scalars: [Double]
  }

  /// Row-major entries of rectangular nested lists. The first entry at each depth sets the
  /// expected length and kind; every other list at that depth is compared with it. The shape
  /// so found is held to the limits before any room is reserved for the entries.
  private static func flatten(_ value: ArrayJSON.Value, item: String, budget: ArrayReadBudget) throws(JSONArrayFormatError.Item) -> Flattened {
    var shape: [Int] = []
    var probe = value
    while case .array(let items) = probe {
      shape.append(items.count)
      guard let first = items.first else { break }
      probe = first
    }
    let count: Int
    do {
      count = try budget.check(shape: shape)
    } catch {
      throw .limit(item: item, error)
    }
    var result = Flattened(shape: shape, scalars: [])
    result.scalars.reserveCapacity(count)
    var path: [Int] = []
    try walk(value, depth: 0, path: &path, into: &result, item: item)
    return result
  }

  private static func walk(_ value: ArrayJSON.Value, depth: Int, path: inout [Int], into result: inout Flattened, item: String) throws(JSONArrayFormatError.Item) {
    let shape = result.shape
    func reference() -> String { item + String(repeating: "[0]", count: depth) }
    func here() -> String { item + path.map { "[\($0)]" }.joined() }
    switch value {
    case .array(let items):
      guard depth < shape.count else {
        throw .mixedNesting(item: item, path: here(), found: "a list", reference: reference(), referenceKind: "a number")
      }
      guard items.count == shape[depth] else {
        throw .ragged(item: item, depth: depth, path: here(), count: items.count, reference: reference(), referenceCount: shape[depth])
      }
      for (i, child) in items.enumerated() {
        path.append(i)
        try walk(child, depth: depth + 1, path: &path, into: &result, item: item)
        path.removeLast()
      }
    case .number(let x, _):
      guard depth == shape.count else {
        throw .mixedNesting(item: item, path: here(), found: "a number", reference: reference(), referenceKind: "a list of \(shape[depth]) \(shape[depth] == 1 ? "entry" : "entries")")
      }
      result.scalars.append(x)
    default:
      throw .notANumber(item: item, path: here(), found: value.kindDescription)
    }
  }

  private static func shapedTensor(_ members: [ArrayJSON.Member], item: String, budget: ArrayReadBudget) throws(JSONArrayFormatError.Item) -> Tensor {
    var fields: [String: ArrayJSON.Value] = [:]
    for member in members {
      guard ["shape", "data", "dtype"].contains(member.key) else { throw .unexpectedKey(item: item, key: member.key) }
      fields[member.key] = member.value
    }
    guard let shapeValue = fields["shape"] else { throw .missingKey(item: item, key: "shape") }
    guard let dataValue = fields["data"] else { throw .missingKey(item: item, key: "data") }
    var shape: [Int] = []
    guard case .array(let dims) = shapeValue else { throw .badShape(item: item, found: shapeValue.kindDescription) }
    for dim in dims {
      guard case .number(let n, true) = dim, n >= 0, n < 1e15 else { throw .badShape(item: item, found: "a list containing \(describe(dim))") }
      shape.append(Int(n))
    }
    let count: Int
    do {
      count = try budget.check(shape: shape)
    } catch {
      throw .limit(item: item, error)
    }
    let data = try flatten(dataValue, item: item + ".data", budget: budget)
    guard data.scalars.count == count else {
      throw .shapeDataMismatch(item: item, shape: shape, entries: count, dataCount: data.scalars.count)
    }
    guard data.shape.count <= 1 || data.shape == shape else {
      throw .dataShapeMismatch(item: item, shape: shape, dataShape: data.shape)
    }
    var dtype = DType.float64
    if let dtypeValue = fields["dtype"] {
      guard case .string(let name) = dtypeValue, let named = parseDType(name) else {
        throw .badDType(item: item, found: describe(dtypeValue))
      }
      dtype = named
    }
    return Tensor(shape: shape, scalars: data.scalars, dtype: dtype)
  }

  private static func describe(_ value: ArrayJSON.Value) -> String {
    switch value {
    case .number(let x, let isInteger): return ArrayJSON.format(x, asInteger: isInteger)
    case .string(let s): return ArrayJSON.quote(s)
    default: return value.kindDescription
    }
  }

  /// `float64`, `f8`, `<f8`, `double`, … → the dtype.
  static func parseDType(_ name: String) -> DType? {
    var key = name.lowercased()
    if let first = key.first, "<>|=".contains(first) { key.removeFirst() }
    switch key {
    case "float32", "f4", "single", "f32": return .float32
    case "float64", "f8", "double", "float", "f64": return .float64
    case "int32", "i4", "i32": return .int32
    case "int64", "i8", "int", "i64": return .int64
    default: return nil
    }
  }

  /// The JSON text of `arrays`: `{"shape", "dtype", "data"}` per item, keys sorted.
  public static func encode(_ arrays: [String: Tensor]) -> Data {
    var text = "{"
    for (index, name) in arrays.keys.sorted().enumerated() {
      let tensor = arrays[name]!
      let integral = !tensor.dtype.isFloatingPoint
      let data = tensor.scalars.map { ArrayJSON.format($0, asInteger: integral) }.joined(separator: ", ")
      text += index == 0 ? "\n" : ",\n"
      text += "  \(ArrayJSON.quote(name)): {\"shape\": [\(tensor.shape.map(String.init).joined(separator: ", "))], \"dtype\": \"\(tensor.dtype.rawValue)\", \"data\": [\(data)]}"
    }
    text += arrays.isEmpty ? "}\n" : "\n}\n"
    return Data(text.utf8)
  }
}

/// Why a JSON array document, or one item of it, cannot be read.
public enum JSONArrayFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The document is not JSON; the reason gives the line and column.
  case invalidJSON(String)
  /// The document is a string, boolean or null.
  case notAnObject(found: String)
  /// The document nests deeper, or holds more numbers, than `ArrayReadLimits` allow; the
  /// reason gives the line and column.
  case beyondLimits(String)
  /// The document's object holds more items than `ArrayReadLimits.maximumArrays`.
  case tooManyArrays(count: Int, limit: Int, rationale: String)

  public var description: String { sentence(about: "it") }

  /// The sentence with `subject` (a file name, or "it") as its subject.
  func sentence(about subject: String) -> String {
    switch self {
    case .invalidJSON(let reason):
      return "\(subject) is not valid JSON: \(reason); expected an object mapping item ids to arrays"
    case .notAnObject(let found):
      return "\(subject) holds \(found); expected an object mapping item ids to arrays"
    case .beyondLimits(let reason):
      return "\(subject) is refused: \(reason)"
    case let .tooManyArrays(count, limit, rationale):
      return "\(subject) holds \(count) items; expected at most \(limit), \(rationale)"
    }
  }

  /// Why one item cannot be read.
  public enum Item: Error, Sendable, Equatable, CustomStringConvertible {
    case ragged(item: String, depth: Int, path: String, count: Int, reference: String, referenceCount: Int)
    case mixedNesting(item: String, path: String, found: String, reference: String, referenceKind: String)
    case notANumber(item: String, path: String, found: String)
    case notAnArray(item: String, found: String)
    case unexpectedKey(item: String, key: String)
    case missingKey(item: String, key: String)
    case badShape(item: String, found: String)
    case badDType(item: String, found: String)
    case shapeDataMismatch(item: String, shape: [Int], entries: Int, dataCount: Int)
    case dataShapeMismatch(item: String, shape: [Int], dataShape: [Int])
    case duplicateKey(item: String, count: Int)
    /// The shape (declared, or spelt by nested lists) passes a bound of `ArrayReadLimits`.
    case limit(item: String, ArrayLimitError)

    public var description: String {
      switch self {
      case let .ragged(item, depth, path, count, reference, referenceCount):
        return "\(item) is a ragged list at depth \(depth): \(path) has \(count) \(count == 1 ? "entry" : "entries") but \(reference) has \(referenceCount); expected a rectangular nested list"
      case let .mixedNesting(item, path, found, reference, referenceKind):
        return "\(item) mixes numbers and lists: \(path) is \(found) but \(reference) is \(referenceKind); expected a rectangular nested list"
      case let .notANumber(item, path, found):
        return "\(path) is \(found); expected a number (\(item) must hold only numbers, NaN or Infinity)"
      case let .notAnArray(item, found):
        return "\(item) is \(found); expected a number, a nested list or {\"shape\": [...], \"data\": [...]}"
      case let .unexpectedKey(item, key):
        return "\(item) has an unexpected key \(ArrayJSON.quote(key)); expected \"shape\", \"data\" and optionally \"dtype\""
      case let .missingKey(item, key):
        return "\(item) has no \(ArrayJSON.quote(key)) key; expected \"shape\", \"data\" and optionally \"dtype\""
      case let .badShape(item, found):
        return "\(item) has a shape that is \(found); expected a list of non-negative integers"
      case let .badDType(item, found):
        return "\(item) has dtype \(found); expected \"float32\", \"float64\", \"int32\" or \"int64\""
      case let .shapeDataMismatch(item, shape, entries, dataCount):
        return "\(item) declares shape \(shape) (\(entries) \(entries == 1 ? "entry" : "entries")) but its data holds \(dataCount) \(dataCount == 1 ? "number" : "numbers")"
      case let .dataShapeMismatch(item, shape, dataShape):
        return "\(item) declares shape \(shape) but its data is nested with shape \(dataShape); expected flat data or the declared shape"
      case let .duplicateKey(item, count):
        return "\(item) appears \(count) times in the object; expected each item once"
      case let .limit(item, problem):
        return "\(item) is refused: its \(problem)"
      }
    }
  }
}
