import Foundation

/// NumPy's `.npy` file: one array with its dtype, shape and memory order.
///
/// ```
/// offset  size        content
/// 0       6           magic  \x93NUMPY
/// 6       2           version major, minor: 1.0, 2.0 or 3.0
/// 8       2 (v1.0)    header length H, little-endian (4 bytes from v2.0 on)
/// 10|12   H           header: a Python dict literal, latin-1 (UTF-8 from v3.0), padded with
///                     spaces and a final '\n' so the data starts on a multiple of 64
///                       {'descr': '<f8', 'fortran_order': False, 'shape': (5, 4), }
/// 10+H    count·size  the entries, C (row-major) or Fortran (column-major) order
/// ```
///
/// Reading accepts every version, byte order (`<`, `>`, `|`, `=`), the dtypes `f4 f8 i4 i8`
/// and, widened, `f2 i1 i2 u1 u2 u4 u8 b1`; Fortran-ordered data is reordered to row-major.
/// Writing produces version 1.0 in C order, `<f8` for floating-point tensors and `<i8` for
/// integer ones, with the header NumPy 2 writes.
///
/// Reading is bounded by `ArrayReadLimits`: the header length is checked before the header is
/// read, the header literal's nesting while it is parsed, and the shape's entry count (formed
/// without overflow) before any entry is decoded.
public enum NpyFormat {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

  /// Reads a `.npy` file held in memory.
  public static func read(_ data: Data, limits: ArrayReadLimits = .default) throws(NpyFormatError) -> Tensor {
    var budget = ArrayReadBudget(limits)
    return try read(data, budget: &budget)
  }

  /// Reads a `.npy` file, charging its entries to `budget` before decoding them.
  static func read(_ data: Data, budget: inout ArrayReadBudget) throws(NpyFormatError) -> Tensor {
    let data = data.startIndex == 0 ? data : Data(data)
    let header = try readHeader(data, limits: budget.limits)
    let count: Int
    do {
      count = try budget.check(shape: header.shape)
    } catch {
      throw .limit(error)
    }
    let dataBytes = data.count - header.dataOffset
    let expected = count * header.element.size
    guard dataBytes == expected else {
      throw .dataSizeMismatch(shape: header.shape, entries: count, expectedBytes: expected, actualBytes: dataBytes)
    }
    do {
      _ = try budget.admit(shape: header.shape)
    } catch {
      throw .limit(error)
    }
    var scalars = header.element.decode(data, offset: header.dataOffset, count: count)
    if header.fortranOrder {
      scalars = rowMajor(fromColumnMajor: scalars, shape: header.shape)
    }
    return Tensor(shape: header.shape, scalars: scalars, dtype: header.element.dtype)
  }

  /// Reads and checks the header only, its shape included against `limits.maximumEntriesPerArray`.
  public static func readHeader(_ data: Data, limits: ArrayReadLimits = .default) throws(NpyFormatError) -> NpyHeader {
    let data = data.startIndex == 0 ? data : Data(data)
    let bytes = [UInt8](data.prefix(12))
    guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
      throw .magicMissing(firstBytes: Array(bytes.prefix(6)))
    }
    guard bytes.count >= 8 else { throw .truncatedHeader(fileBytes: data.count, headerEnd: 10) }
    let (major, minor) = (bytes[6], bytes[7])
    guard minor == 0, (1...3).contains(major) else { throw .unsupportedVersion(major: major, minor: minor) }
    let lengthBytes = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthBytes else { throw .truncatedHeader(fileBytes: data.count, headerEnd: 8 + lengthBytes) }
    var length = 0
    for k in stride(from: lengthBytes - 1, through: 0, by: -1) { length = length << 8 | Int(bytes[8 + k]) }
    guard length <= limits.maximumHeaderBytes else { throw .headerTooLong(bytes: length, limit: limits.maximumHeaderBytes) }
    let dataOffset = 8 + lengthBytes + length
    guard data.count >= dataOffset else { throw .truncatedHeader(fileBytes: data.count, headerEnd: dataOffset) }
    let headerBytes = data.subdata(in: (8 + lengthBytes)..<dataOffset)
    let text: String
    if major == 3 {
      guard let utf8 = String(data: headerBytes, encoding: .utf8) else { throw .headerNotText }
      text = utf8
    } else if !headerBytes.contains(where: { $0 >= 0x80 }) {
      // ASCII, as NumPy writes it: the same text as the Latin-1 reading below, without a
      // Character per byte.
      text = String(decoding: headerBytes, as: UTF8.self)
    } else {
      text = String(headerBytes.map { Character(Unicode.Scalar($0)) })
    }
    return try parseHeader(text, version: NpyHeader.Version(major: Int(major), minor: Int(minor)), dataOffset: dataOffset, limits: limits)
  }

  static func parseHeader(_ text: String, version: NpyHeader.Version, dataOffset: Int, limits: ArrayReadLimits = .default) throws(NpyFormatError) -> NpyHeader {
    let literal: PythonLiteral
    do {
      literal = try PythonLiteral.parse(text, maximumDepth: limits.maximumNestingDepth)
    } catch {
      throw .malformedHeader(reason: error.description, header: text)
    }
    guard case .dict(let pairs) = literal else {
      throw .malformedHeader(reason: "it is \(literal), not a dict", header: text)
    }
    var fields: [String: PythonLiteral] = [:]
    for (key, value) in pairs {
      guard case .string(let name) = key, ["descr", "fortran_order", "shape"].contains(name) else {
        throw .unexpectedKey(key.description)
      }
      fields[name] = value
    }
    for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
      throw .missingKey(key)
    }
    let element: StoredElement
    switch fields["descr"]! {
    case .string(let descr): element = try parseDescr(descr)
    case .list(let fields): throw .unsupportedDType(descr: PythonLiteral.list(fields).description, kind: "a structured dtype with named fields")
    case let other: throw .badValue(key: "descr", found: other.description, expected: "a dtype string such as '<f8'")
    }
    guard case .boolean(let fortranOrder) = fields["fortran_order"]! else {
      throw .badValue(key: "fortran_order", found: fields["fortran_order"]!.description, expected: "True or False")
    }
    guard case .tuple(let dims) = fields["shape"]! else {
      throw .badValue(key: "shape", found: fields["shape"]!.description, expected: "a tuple of non-negative integers")
    }
    var shape: [Int] = []
    for dim in dims {
      guard case .integer(let n) = dim, n >= 0 else {
        throw .badValue(key: "shape", found: fields["shape"]!.description, expected: "a tuple of non-negative integers")
      }
      shape.append(n)
    }
    // The entry count, formed without overflow and held to the limits, before anything else.
    let count: Int
    do {
      count = try ArrayReadBudget(limits).count(of: shape)
    } catch {
      throw .limit(error)
    }
    guard !count.multipliedReportingOverflow(by: element.size).overflow else {
      throw .badValue(key: "shape", found: fields["shape"]!.description, expected: "a shape whose byte count fits in memory")
    }
    return NpyHeader(version: version, descr: { if case .string(let s) = fields["descr"]! { return s } else { return "" } }(),
                     fortranOrder: fortranOrder, shape: shape, dataOffset: dataOffset, element: element)
  }

  /// `'<f8'` → little-endian 8-byte float, and so on.
  static func parseDescr(_ descr: String) throws(NpyFormatError) -> StoredElement {
    var scalars = Substring(descr)
    var bigEndian = false
    if let first = scalars.first, "<>|=".contains(first) {
      bigEndian = first == ">"
      scalars = scalars.dropFirst()
    }
    guard let code = scalars.first else { throw .unsupportedDType(descr: descr, kind: "an empty type code") }
    let size = Int(scalars.dropFirst()) ?? -1
    let kinds: [Character: String] = [
      "c": "complex", "O": "Python objects, saved with pickle", "U": "unicode strings", "S": "byte strings",
      "a": "byte strings", "V": "raw bytes", "M": "datetimes", "m": "timedeltas",
    ]
    switch (code, size) {
    case ("f", 2), ("f", 4), ("f", 8): return StoredElement(kind: .float, size: size, bigEndian: bigEndian)
    case ("i", 1), ("i", 2), ("i", 4), ("i", 8): return StoredElement(kind: .signed, size: size, bigEndian: bigEndian)
    case ("u", 1), ("u", 2), ("u", 4), ("u", 8): return StoredElement(kind: .unsigned, size: size, bigEndian: bigEndian)
    case ("b", 1): return StoredElement(kind: .boolean, size: 1, bigEndian: false)
    case ("f", _): throw .unsupportedDType(descr: descr, kind: size > 0 ? "a \(size * 8)-bit float" : "a float without a width")
    default: throw .unsupportedDType(descr: descr, kind: kinds[code] ?? "an unknown type code '\(code)'")
    }
  }

  /// Reorders column-major (Fortran) entries to row-major (C) order.
  ///
  /// ```
  /// row-major index (i₀, …, iₙ₋₁)  ←  column-major offset Σₖ iₖ · Πⱼ<ₖ dⱼ
  /// ```
  static func rowMajor(fromColumnMajor values: [Double], shape: [Int]) -> [Double] {
    guard shape.count > 1, !values.isEmpty else { return values }
    var strides = [Int](repeating: 1, count: shape.count)
    for k in 1..<shape.count { strides[k] = strides[k - 1] * shape[k - 1] }
    var result = [Double]()
    result.reserveCapacity(values.count)
    var index = [Int](repeating: 0, count: shape.count)
    for _ in 0..<values.count {
      var offset = 0
      for k in 0..<shape.count { offset += index[k] * strides[k] }
      result.append(values[offset])
      var k = shape.count - 1
      while k >= 0 {
        index[k] += 1
        if index[k] < shape[k] { break }
        index[k] = 0
        k -= 1
      }
    }
    return result
  }

  /// The `.npy` bytes of `tensor`: version 1.0, C order, `<f8` or `<i8`.
  ///
  /// The header matches NumPy 2's `np.save` byte for byte: keys sorted, spare spaces after the
  /// dict so the first axis can grow in place, then padding to a multiple of 64 and `'\n'`.
  public static func encode(_ tensor: Tensor) -> Data {
    let element = StoredElement.written(for: tensor.dtype)
    let descr = element.kind == .float ? "<f8" : "<i8"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(pythonShape(tensor.shape)), }"
    // NumPy's GROWTH_AXIS_MAX_DIGITS: room for the first axis to reach 21 digits.
    if let first = tensor.shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
    let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data(magic)
    data.append(contentsOf: [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    element.encode(tensor.scalars, into: &data)
    return data
  }

  /// A shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
  public static func pythonShape(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }
}

/// The parsed header of a `.npy` file.
public struct NpyHeader: Sendable, Equatable {
  public struct Version: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var description: String { "\(major).\(minor)" }
  }

  public var version: Version
  /// The dtype string as written, e.g. `<f8`.
  public var descr: String
  public var fortranOrder: Bool
  public var shape: [Int]
  /// Where the entries start, in bytes from the beginning of the file.
  public var dataOffset: Int
  var element: StoredElement

  /// The dtype the tensor will report.
  public var dtype: DType { element.dtype }
}

/// Why a `.npy` file cannot be read.
public enum NpyFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  case magicMissing(firstBytes: [UInt8])
  case unsupportedVersion(major: UInt8, minor: UInt8)
  case truncatedHeader(fileBytes: Int, headerEnd: Int)
  case headerNotText
  case malformedHeader(reason: String, header: String)
  case missingKey(String)
  case unexpectedKey(String)
  case badValue(key: String, found: String, expected: String)
  case unsupportedDType(descr: String, kind: String)
  case dataSizeMismatch(shape: [Int], entries: Int, expectedBytes: Int, actualBytes: Int)
  /// The header length field exceeds `ArrayReadLimits.maximumHeaderBytes`.
  case headerTooLong(bytes: Int, limit: Int)
  /// The shape exceeds an entry bound of `ArrayReadLimits`.
  case limit(ArrayLimitError)

  public var description: String {
    switch self {
    case .magicMissing(let first):
      let shown = first.isEmpty ? "the file is empty" : "it starts with " + first.map { String(format: "%02X", $0) }.joined(separator: " ")
      return "not a .npy file: magic bytes missing (\(shown); expected 93 4E 55 4D 50 59, \"\\x93NUMPY\")"
    case let .unsupportedVersion(major, minor):
      return "unsupported .npy format version \(major).\(minor); expected 1.0, 2.0 or 3.0"
    case let .truncatedHeader(fileBytes, headerEnd):
      return "the file ends after \(fileBytes) bytes, inside its header, which runs to byte \(headerEnd)"
    case .headerNotText:
      return "the header of a version 3.0 file is not UTF-8 text"
    case let .malformedHeader(reason, header):
      let shown = header.trimmingCharacters(in: .whitespacesAndNewlines)
      return "the header is not a Python dict literal: \(reason) (header: \(shown.count > 200 ? shown.prefix(200) + "…" : shown))"
    case .missingKey(let key):
      return "the header has no '\(key)' key; expected 'descr', 'fortran_order' and 'shape'"
    case .unexpectedKey(let key):
      return "the header has an unexpected key \(key); expected only 'descr', 'fortran_order' and 'shape'"
    case let .badValue(key, found, expected):
      return "the header's '\(key)' is \(found); expected \(expected)"
    case let .unsupportedDType(descr, kind):
      return "unsupported dtype '\(descr)' (\(kind)); expected f4, f8, i4 or i8"
    case let .dataSizeMismatch(shape, entries, expectedBytes, actualBytes):
      return "header declares shape \(NpyFormat.pythonShape(shape)) (\(entries) \(entries == 1 ? "entry" : "entries"), \(expectedBytes) bytes) but the file holds \(actualBytes) bytes of data"
    case let .headerTooLong(bytes, limit):
      return "the header length field says \(bytes) bytes; expected at most \(limit) (NumPy refuses longer headers too)"
    case .limit(let problem):
      return "the header's \(problem)"
    }
  }
}
