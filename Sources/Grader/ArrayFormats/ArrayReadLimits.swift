/// How much of a submission of arrays is read before it is refused.
///
/// Every reader checks these bounds before it allocates or recurses, so that a malformed or
/// hostile file gets a sentence, never a crash, a stall or an exhausted memory:
///
/// ```
/// bound                    what it caps, checked before                        default
/// maximumEntriesPerArray   the product of one shape (overflow-safe), before     4 194 304
///                          its entries are decoded or reserved
/// maximumTotalEntries      the entries of every array of the submission        8 388 608
/// maximumArrays            arrays or members in one file, array files in a     1 024
///                          folder
/// maximumHeaderBytes       one .npy header (NumPy itself refuses more)         10 000
/// maximumNestingDepth      JSON lists and objects, the .npy header literal,    64
///                          the dimensions of a shape (NumPy allows 64)
/// maximumMemberBytes       one .npz member, stored or inflated                 8 · entries/array + header
/// maximumInflatedBytes     all .npz members of the submission together         8 · total entries + headers
/// maximumFileBytes         one file, and the array files of a folder together  64 MB
/// ```
///
/// The grader derives them from the assignment with `init(largestItemEntries:itemCount:)` or
/// `init(itemShapes:)`; `ArrayReadLimits.default` bounds readers that have no assignment.
/// A refusal ends with `rationale` ("the most an answer of this assignment can need").
public struct ArrayReadLimits: Sendable, Equatable {
  /// The most entries one array may have (the product of its shape).
  public var maximumEntriesPerArray: Int
  /// The most entries all arrays of the submission may have together.
  public var maximumTotalEntries: Int
  /// The most arrays (or archive members) one file may hold, and array files a folder may hold.
  public var maximumArrays: Int
  /// The most bytes of a `.npy` header (the Python dict after the length field).
  public var maximumHeaderBytes: Int
  /// The deepest nesting of JSON lists and objects and of the `.npy` header literal, and the
  /// most dimensions a shape may have.
  public var maximumNestingDepth: Int
  /// The most bytes one `.npz` member may hold once inflated (or as stored).
  public var maximumMemberBytes: Int
  /// The most bytes all `.npz` members of the submission may hold once inflated.
  public var maximumInflatedBytes: Int
  /// The most bytes read from one file, and from the array files of a folder together.
  public var maximumFileBytes: Int
  /// Why the bounds are what they are, ending every refusal: "the most an answer of this
  /// assignment can need".
  public var rationale: String

  public init(maximumEntriesPerArray: Int, maximumTotalEntries: Int, maximumArrays: Int, maximumHeaderBytes: Int,
              maximumNestingDepth: Int, maximumMemberBytes: Int, maximumInflatedBytes: Int, maximumFileBytes: Int,
              rationale: String) {
    self.maximumEntriesPerArray = max(0, maximumEntriesPerArray)
    self.maximumTotalEntries = max(0, maximumTotalEntries)
    self.maximumArrays = max(0, maximumArrays)
    self.maximumHeaderBytes = max(0, maximumHeaderBytes)
    self.maximumNestingDepth = max(1, maximumNestingDepth)
    self.maximumMemberBytes = max(0, maximumMemberBytes)
    self.maximumInflatedBytes = max(0, maximumInflatedBytes)
    self.maximumFileBytes = max(0, maximumFileBytes)
    self.rationale = rationale
  }

  /// Entries every array may have whatever the assignment, so that small items still leave room
  /// for an answer of the wrong shape to be read and reported as such.
  public static let entriesFloor = 4_096
  /// NumPy's own limit on a `.npy` header (`numpy.lib.format._MAX_HEADER_SIZE`).
  public static let numpyHeaderBytes = 10_000
  /// NumPy's limit on the dimensions of an array, and the nesting accepted in JSON.
  public static let nestingDepth = 64
  /// Bytes of JSON text allowed per entry: `-1.2345678901234567e-308, ` is 26 characters,
  /// and an indented `json.dump` adds a line and its indentation per number.
  public static let textBytesPerEntry = 48
  /// Bytes of a `.npy` file before its header: magic, version and a 4-byte length.
  static let npyPreamble = 12

  /// The limits of an assignment whose largest item has `largestItemEntries` entries and which
  /// has `itemCount` items, with these multiples (all sums and products saturate at `Int.max`):
  ///
  /// ```
  /// maximumEntriesPerArray = 4 · largestItemEntries + 4 096
  /// maximumTotalEntries    = 4 · itemCount · largestItemEntries + 16 · 4 096
  /// maximumArrays          = 4 · itemCount + 64
  /// maximumHeaderBytes     = 10 000                       (NumPy's own limit)
  /// maximumNestingDepth    = 64                           (NumPy's 64 dimensions)
  /// maximumMemberBytes     = 8 · maximumEntriesPerArray + 10 000 + 12
  /// maximumInflatedBytes   = 8 · maximumTotalEntries + maximumArrays · (10 000 + 12)
  /// maximumFileBytes       = 48 · maximumTotalEntries + 1 MiB
  /// ```
  ///
  /// 8 bytes is the widest entry (`f8`, `i8`), 48 bytes generous JSON text for one number.
  public init(largestItemEntries: Int, itemCount: Int) {
    let largest = max(0, largestItemEntries)
    let items = max(0, itemCount)
    let perArray = Self.sum(Self.product(4, largest), Self.entriesFloor)
    let total = Self.sum(Self.product(Self.product(4, items), largest), 16 * Self.entriesFloor)
    let arrays = Self.sum(Self.product(4, items), 64)
    let header = Self.numpyHeaderBytes + Self.npyPreamble
    self.init(
      maximumEntriesPerArray: perArray, maximumTotalEntries: total, maximumArrays: arrays,
      maximumHeaderBytes: Self.numpyHeaderBytes, maximumNestingDepth: Self.nestingDepth,
      maximumMemberBytes: Self.sum(Self.product(8, perArray), header),
      maximumInflatedBytes: Self.sum(Self.product(8, total), Self.product(arrays, header)),
      maximumFileBytes: Self.sum(Self.product(Self.textBytesPerEntry, total), 1 << 20),
      rationale: "the most an answer of this assignment can need")
  }

  /// The limits of an assignment whose items have these shapes: `init(largestItemEntries:itemCount:)`
  /// with the largest product of a shape (a scalar, shape `[]`, has 1 entry).
  public init(itemShapes: [[Int]]) {
    let largest = itemShapes.map { shape in shape.reduce(1) { Self.product($0, max(0, $1)) } }.max() ?? 1
    self.init(largestItemEntries: largest, itemCount: itemShapes.count)
  }

  /// The limits of a reader that has no assignment to go by: arrays up to 4 194 304 entries
  /// (32 MiB as `f8`), 8 388 608 entries in all, files up to 64 MiB.
  public static let `default` = ArrayReadLimits(
    maximumEntriesPerArray: 1 << 22, maximumTotalEntries: 1 << 23, maximumArrays: 1_024,
    maximumHeaderBytes: numpyHeaderBytes, maximumNestingDepth: nestingDepth,
    maximumMemberBytes: 8 << 22 + numpyHeaderBytes + npyPreamble,
    maximumInflatedBytes: 8 << 23 + 1_024 * (numpyHeaderBytes + npyPreamble),
    maximumFileBytes: 64 << 20,
    rationale: "the most a submission of arrays may hold")

  static func product(_ a: Int, _ b: Int) -> Int {
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? .max : p
  }

  static func sum(_ a: Int, _ b: Int) -> Int {
    let (s, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : s
  }

  /// A byte count for messages: `812 bytes`, `9.8 KB`, `8.4 MB`, `1.1 GB` (powers of 1000).
  static func describe(bytes: Int) -> String {
    if bytes < 1_000 { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
    let units = ["KB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes) / 1_000
    var unit = 0
    while value >= 999.95 && unit < units.count - 1 {
      value /= 1_000
      unit += 1
    }
    let rounded = (value * 10).rounded() / 10
    let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    return "\(text) \(units[unit])"
  }
}

/// Why an array is refused for its size: checked before any of its entries is read.
public enum ArrayLimitError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The shape's entries exceed `maximumEntriesPerArray`; `entries` is nil when their product
  /// overflows a 64-bit integer.
  case tooManyEntries(shape: [Int], entries: Int?, limit: Int, rationale: String)
  /// The array fits on its own, but not with the entries already read.
  case submissionTooLarge(shape: [Int], entries: Int, alreadyRead: Int, limit: Int, rationale: String)
  /// The shape has more dimensions than `maximumNestingDepth`.
  case tooManyDimensions(count: Int, limit: Int)

  /// A sentence whose subject is the shape: "shape 3000×3000 has 9000000 entries; …".
  public var description: String {
    switch self {
    case let .tooManyEntries(shape, entries, limit, rationale):
      let count = entries.map { "has \($0) entries" } ?? "has more entries than a 64-bit integer can count"
      return "shape \(Self.describe(shape)) \(count); expected at most \(limit) \(limit == 1 ? "entry" : "entries"), \(rationale)"
    case let .submissionTooLarge(shape, entries, alreadyRead, limit, rationale):
      return "shape \(Self.describe(shape)) (\(entries) entries) would bring the submission to \(ArrayReadLimits.sum(entries, alreadyRead)) entries, more than \(limit) in all, \(rationale)"
    case let .tooManyDimensions(count, limit):
      return "shape has \(count) dimensions; expected at most \(limit)"
    }
  }

  /// `5×5`, or for more than 8 dimensions `2×2×2×…×2×2 (64 dimensions)`.
  static func describe(_ shape: [Int]) -> String {
    guard shape.count > 8 else { return Tensor.describe(shape) }
    let shown = shape.prefix(3).map(String.init) + ["…"] + shape.suffix(2).map(String.init)
    return shown.joined(separator: "×") + " (\(shape.count) dimensions)"
  }
}

/// What one submission has used of its limits so far; every reader charges it before it
/// allocates, and a charge that would pass a bound is refused with the bound named.
struct ArrayReadBudget: Sendable {
  let limits: ArrayReadLimits
  /// Entries of the arrays admitted so far.
  private(set) var entries = 0
  /// Bytes of `.npz` members admitted so far (inflated or stored).
  private(set) var memberBytes = 0

  init(_ limits: ArrayReadLimits) { self.limits = limits }

  /// The entry count of `shape` (non-negative dimensions), checked against the per-array bound
  /// alone: the product is formed step by step with overflow detection, as `Tensor` forms it.
  func count(of shape: [Int]) throws(ArrayLimitError) -> Int {
    guard shape.count <= limits.maximumNestingDepth else {
      throw .tooManyDimensions(count: shape.count, limit: limits.maximumNestingDepth)
    }
    var count = 1
    for dim in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow else {
        throw .tooManyEntries(shape: shape, entries: nil, limit: limits.maximumEntriesPerArray, rationale: limits.rationale)
      }
      count = product
    }
    guard count <= limits.maximumEntriesPerArray else {
      throw .tooManyEntries(shape: shape, entries: count, limit: limits.maximumEntriesPerArray, rationale: limits.rationale)
    }
    return count
  }

  /// The entry count of `shape`, checked against the per-array bound and against what is left
  /// of the submission's total (no charge).
  func check(shape: [Int]) throws(ArrayLimitError) -> Int {
    let count = try count(of: shape)
    guard count <= limits.maximumTotalEntries - entries else {
      throw .submissionTooLarge(shape: shape, entries: count, alreadyRead: entries, limit: limits.maximumTotalEntries, rationale: limits.rationale)
    }
    return count
  }

  /// Admits an array of `shape`: checks both entry bounds and charges its entries.
  mutating func admit(shape: [Int]) throws(ArrayLimitError) -> Int {
    let count = try check(shape: shape)
    entries += count
    return count
  }

  /// Admits an archive member of `bytes` bytes (as the directory gives its inflated size), or
  /// returns the clause saying why not.
  mutating func admitMember(bytes: Int) -> String? {
    guard bytes <= limits.maximumMemberBytes else {
      return "it inflates to \(ArrayReadLimits.describe(bytes: bytes)), beyond \(ArrayReadLimits.describe(bytes: limits.maximumMemberBytes)), \(limits.rationale)"
    }
    guard bytes <= limits.maximumInflatedBytes - memberBytes else {
      return "its \(ArrayReadLimits.describe(bytes: bytes)) would bring the inflated members of the submission beyond \(ArrayReadLimits.describe(bytes: limits.maximumInflatedBytes)) in all, \(limits.rationale)"
    }
    memberBytes += bytes
    return nil
  }
}
