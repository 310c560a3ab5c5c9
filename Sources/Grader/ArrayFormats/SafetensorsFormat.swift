import Foundation

/// The safetensors file: named tensors behind a JSON header.
///
/// ```
/// offset  size   content
/// 0       8      N, the header size, unsigned little-endian
/// 8       N      JSON header (UTF-8, may end in spaces):
///                  {"__metadata__": {"key": "value", …},                       optional
///                   "W_h": {"dtype": "F32", "shape": [5, 5], "data_offsets": [b, e]}, …}
/// 8+N     …      the data; tensor "W_h" is bytes b..<e of it, row-major, little-endian
///                  e − b = count · size        count = product of the shape
/// ```
///
/// Reading accepts `F32 F64 I32 I64` and, widened, `F16 BF16 I8 I16 U8 U16 U32 U64 BOOL`.
/// Each tensor's range is checked against the data, against its shape and dtype, and against
/// the other tensors' ranges (no two may overlap); a tensor that fails a check is unreadable
/// and the others are still read. Writing uses `F64` for floating-point tensors and `I64` for
/// integer ones, names sorted, data packed in that order, the header padded to 8 bytes.
///
/// Reading is bounded by `ArrayReadLimits`: the header size is checked against the file before
/// the header is read, its JSON is parsed with the nesting and count bounds, the number of
/// tensors is capped, and each shape's entry count (formed without overflow) is checked before
/// its entries are decoded.
public enum SafetensorsFormat {
  /// The largest header read, as in the reference implementation (100 MB).
  static let maximumHeaderSize = 100_000_000

  private static let elements: [String: StoredElement] = [
    "F16": StoredElement(kind: .float, size: 2, bigEndian: false),
    "BF16": StoredElement(kind: .bfloat, size: 2, bigEndian: false),
    "F32": StoredElement(kind: .float, size: 4, bigEndian: false),
    "F64": StoredElement(kind: .float, size: 8, bigEndian: false),
    "I8": StoredElement(kind: .signed, size: 1, bigEndian: false),
    "I16": StoredElement(kind: .signed, size: 2, bigEndian: false),
    "I32": StoredElement(kind: .signed, size: 4, bigEndian: false),
    "I64": StoredElement(kind: .signed, size: 8, bigEndian: false),
    "U8": StoredElement(kind: .unsigned, size: 1, bigEndian: false),
    "U16": StoredElement(kind: .unsigned, size: 2, bigEndian: false),
    "U32": StoredElement(kind: .unsigned, size: 4, bigEndian: false),
    "U64": StoredElement(kind: .unsigned, size: 8, bigEndian: false),
    "BOOL": StoredElement(kind: .boolean, size: 1, bigEndian: false),
  ]

  /// Reads a safetensors file held in memory.
  public static func read(_ data: Data, limits: ArrayReadLimits = .default) throws(SafetensorsFormatError) -> ArrayCollection {
    var budget = ArrayReadBudget(limits)
    return try read(data, budget: &budget)
  }

  /// The header's parse bounds: a shape and two offsets per tensor, a few values more each.
  static func bounds(_ limits: ArrayReadLimits) -> ArrayJSON.Bounds {
    let numbers = ArrayReadLimits.product(ArrayReadLimits.sum(limits.maximumArrays, 1), ArrayReadLimits.sum(limits.maximumNestingDepth, 2))
    return ArrayJSON.Bounds(
      maximumDepth: limits.maximumNestingDepth, maximumNumbers: numbers,
      maximumValues: ArrayReadLimits.sum(ArrayReadLimits.product(4, numbers), 4_096), rationale: limits.rationale)
  }

  static func read(_ data: Data, budget: inout ArrayReadBudget) throws(SafetensorsFormatError) -> ArrayCollection {
    let data = data.startIndex == 0 ? data : Data(data)
    guard data.count >= 8 else { throw .tooShort(fileBytes: data.count) }
    var headerSize: UInt64 = 0
    for k in stride(from: 7, through: 0, by: -1) { headerSize = headerSize << 8 | UInt64(data[k]) }
    guard headerSize <= UInt64(data.count - 8) else { throw .headerPastEnd(headerSize: headerSize, fileBytes: data.count) }
    guard headerSize <= UInt64(maximumHeaderSize) else { throw .headerTooLarge(headerSize: Int(headerSize)) }
    let dataStart = 8 + Int(headerSize)
    let header: ArrayJSON.Value
    do {
      header = try ArrayJSON.parse(data.subdata(in: 8..<dataStart), bounds: bounds(budget.limits))
    } catch {
      throw error.isLimit ? .headerBeyondLimits(error.description) : .headerNotJSON(error.description)
    }
    guard case .object(let members) = header else { throw .headerNotObject(found: header.kindDescription) }
    guard members.count <= budget.limits.maximumArrays + 1 else {
      throw .tooManyTensors(count: members.count, limit: budget.limits.maximumArrays, rationale: budget.limits.rationale)
    }
    let bufferSize = data.count - dataStart

    struct Pending {
      var name: String
      var element: StoredElement
      var shape: [Int]
      var count: Int
      var range: Range<Int>
    }
    var collection = ArrayCollection()
    var pending: [Pending] = []
    var problems: [String: String] = [:]
    var seen = Set<String>()
    for member in members {
      if member.key == "__metadata__" {
        collection.ignored.append("__metadata__")
        continue
      }
      let location = "tensor \(member.key)"
      collection.items.append(ArrayItem(name: member.key, location: location, entry: .unreadable("")))
      guard seen.insert(member.key).inserted else {
        problems[member.key] = "the header lists tensor \(member.key) more than once"
        continue
      }
      do {
        let (element, shape, count, range) = try describe(member.value, bufferSize: bufferSize, limits: budget.limits)
        pending.append(Pending(name: member.key, element: element, shape: shape, count: count, range: range))
      } catch {
        problems[member.key] = error.description
      }
    }

    // Overlap: sorted by start, each range must begin at or after the furthest end so far.
    var furthest: (end: Int, name: String)? = nil
    for tensor in pending.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) where !tensor.range.isEmpty {
      if let previous = furthest, tensor.range.lowerBound < previous.end {
        problems[tensor.name] = "its bytes \(tensor.range.lowerBound)..<\(tensor.range.upperBound) overlap those of tensor \(previous.name)"
        if problems[previous.name] == nil {
          problems[previous.name] = "its bytes overlap those of tensor \(tensor.name), which start at \(tensor.range.lowerBound)"
        }
      }
      if furthest == nil || tensor.range.upperBound > furthest!.end { furthest = (tensor.range.upperBound, tensor.name) }
    }

    let tensors = Dictionary(pending.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for index in collection.items.indices {
      let name = collection.items[index].name
      if let problem = problems[name] {
        collection.items[index].entry = .unreadable(problem)
      } else if let tensor = tensors[name] {
        do {
          _ = try budget.admit(shape: tensor.shape)
        } catch {
          collection.items[index].entry = .unreadable(SafetensorsFormatError.TensorProblem.limit(error).description)
          continue
        }
        let scalars = tensor.element.decode(data, offset: dataStart + tensor.range.lowerBound, count: tensor.count)
        collection.items[index].entry = .tensor(Tensor(shape: tensor.shape, scalars: scalars, dtype: tensor.element.dtype))
      }
    }
    // A name listed twice keeps one item, marked unreadable.
    var kept = Set<String>()
    collection.items.removeAll { !kept.insert($0.name).inserted }
    return collection
  }

  /// Checks one header entry: dtype, shape (its entry count within `limits`) and a byte range
  /// that fits the data and the shape.
  private static func describe(_ value: ArrayJSON.Value, bufferSize: Int, limits: ArrayReadLimits) throws(SafetensorsFormatError.TensorProblem) -> (StoredElement, [Int], Int, Range<Int>) {
    guard case .object(let fields) = value else { throw .notAnObject(found: value.kindDescription) }
    func field(_ key: String) throws(SafetensorsFormatError.TensorProblem) -> ArrayJSON.Value {
      guard let found = fields.first(where: { $0.key == key }) else { throw .missingKey(key) }
      return found.value
    }
    guard case .string(let code) = try field("dtype") else { throw .badField(key: "dtype", expected: "a string such as \"F32\"") }
    guard let element = elements[code] else { throw .unsupportedDType(code) }
    guard case .array(let dims) = try field("shape") else { throw .badField(key: "shape", expected: "a list of non-negative integers") }
    var shape: [Int] = []
    for dim in dims {
      guard case .number(let n, true) = dim, n >= 0, n < 1e15 else { throw .badField(key: "shape", expected: "a list of non-negative integers") }
      shape.append(Int(n))
    }
    guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
          case .number(let begin, true) = offsets[0], case .number(let end, true) = offsets[1],
          begin >= 0, end >= 0, begin < 1e18, end < 1e18 else {
      throw .badField(key: "data_offsets", expected: "a list [begin, end] of two non-negative integers")
    }
    let range = (Int(begin), Int(end))
    guard range.0 <= range.1 else { throw .reversedRange(begin: range.0, end: range.1) }
    guard range.1 <= bufferSize else { throw .rangePastEnd(begin: range.0, end: range.1, bufferSize: bufferSize) }
    let count: Int
    do {
      count = try ArrayReadBudget(limits).count(of: shape)
    } catch {
      throw .limit(error)
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: element.size)
    guard !overflow, bytes == range.1 - range.0 else {
      throw .sizeMismatch(dtype: code, shape: shape, entries: count, expectedBytes: overflow ? Int.max : bytes, actualBytes: range.1 - range.0)
    }
    return (element, shape, count, range.0..<range.1)
  }

  /// The safetensors bytes of `arrays`, with an optional `__metadata__` object of strings.
  public static func encode(_ arrays: [String: Tensor], metadata: [String: String] = [:]) -> Data {
    var body = Data()
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(ArrayJSON.quote($0)):\(ArrayJSON.quote(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    for name in arrays.keys.sorted() {
      let tensor = arrays[name]!
      let element = StoredElement.written(for: tensor.dtype)
      let begin = body.count
      element.encode(tensor.scalars, into: &body)
      let code = element.kind == .float ? "F64" : "I64"
      entries.append("\(ArrayJSON.quote(name)):{\"dtype\":\"\(code)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(body.count)]}")
    }
    var header = "{" + entries.joined(separator: ",") + "}"
    header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
    var file = Data()
    file.appendLE(UInt64(header.utf8.count))
    file.append(contentsOf: Array(header.utf8))
    file.append(body)
    return file
  }
}

/// Why a safetensors file, or one tensor in it, cannot be read.
public enum SafetensorsFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  case tooShort(fileBytes: Int)
  case headerPastEnd(headerSize: UInt64, fileBytes: Int)
  case headerTooLarge(headerSize: Int)
  case headerNotJSON(String)
  case headerNotObject(found: String)
  /// The header nests deeper, or holds more numbers, than `ArrayReadLimits` allow.
  case headerBeyondLimits(String)
  /// The header lists more tensors than `ArrayReadLimits.maximumArrays`.
  case tooManyTensors(count: Int, limit: Int, rationale: String)

  /// True when the file passes a bound of `ArrayReadLimits` rather than being malformed.
  public var isLimit: Bool {
    switch self {
    case .headerBeyondLimits, .tooManyTensors: return true
    default: return false
    }
  }

  public var description: String {
    switch self {
    case .tooShort(let bytes):
      return "it is \(bytes) bytes long, too short to hold the 8-byte header size"
    case let .headerPastEnd(headerSize, fileBytes):
      return "its header size field says \(headerSize) bytes, but only \(max(0, fileBytes - 8)) bytes follow it"
    case .headerTooLarge(let size):
      return "its header size field says \(size) bytes, more than the \(SafetensorsFormat.maximumHeaderSize) a safetensors header may have"
    case .headerNotJSON(let reason):
      return "its header is not valid JSON: \(reason)"
    case .headerNotObject(let found):
      return "its header is \(found); expected a JSON object mapping tensor names to {dtype, shape, data_offsets}"
    case .headerBeyondLimits(let reason):
      return "in its header, \(reason)"
    case let .tooManyTensors(count, limit, rationale):
      return "its header lists \(count) tensors; expected at most \(limit), \(rationale)"
    }
  }

  /// Why one tensor cannot be read.
  public enum TensorProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case notAnObject(found: String)
    case missingKey(String)
    case badField(key: String, expected: String)
    case unsupportedDType(String)
    case reversedRange(begin: Int, end: Int)
    case rangePastEnd(begin: Int, end: Int, bufferSize: Int)
    case sizeMismatch(dtype: String, shape: [Int], entries: Int, expectedBytes: Int, actualBytes: Int)
    /// The shape passes a bound of `ArrayReadLimits`.
    case limit(ArrayLimitError)

    public var description: String {
      switch self {
      case .notAnObject(let found):
        return "its header entry is \(found); expected {\"dtype\", \"shape\", \"data_offsets\"}"
      case .missingKey(let key):
        return "its header entry has no \"\(key)\"; expected \"dtype\", \"shape\" and \"data_offsets\""
      case let .badField(key, expected):
        return "its \"\(key)\" is not \(expected)"
      case .unsupportedDType(let code):
        return "unsupported dtype \"\(code)\"; expected F32, F64, I32 or I64"
      case let .reversedRange(begin, end):
        return "its data_offsets [\(begin), \(end)] end before they begin"
      case let .rangePastEnd(begin, end, bufferSize):
        return "its data_offsets [\(begin), \(end)] run past the end of the \(bufferSize) bytes of data"
      case let .sizeMismatch(dtype, shape, entries, expectedBytes, actualBytes):
        return "its shape \(shape) of \(dtype) needs \(entries) \(entries == 1 ? "entry" : "entries"), \(expectedBytes) bytes, but its data_offsets span \(actualBytes) bytes"
      case .limit(let problem):
        return "its \(problem)"
      }
    }
  }
}
