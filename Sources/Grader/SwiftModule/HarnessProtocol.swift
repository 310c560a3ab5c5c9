import Foundation

/// One input an assignment declares, as the harness hands it to the student's `Inputs`.
///
/// ```
/// rank 0: Double / Int      rank 1: [Double] / [Int]      rank 2: [[Double]] / [[Int]]
/// rank 3: [[[Double]]]      (Int for dtype int64)
/// ```
struct AssignmentInput: Equatable, Sendable {
  var name: String
  var rank: Int
  var isInteger: Bool

  /// The `GradingHarness` reader that returns this input's Swift type.
  var readerName: String {
    switch (rank, isInteger) {
    case (0, false): return "scalar"
    case (0, true): return "integer"
    case (1, false): return "vector"
    case (1, true): return "integers"
    case (2, false): return "matrix"
    case (2, true): return "integerMatrix"
    default: return "tensor3"
    }
  }

  /// The assignment's inputs, in their declared order (the order of `Inputs`' fields).
  static func declared(in assignment: Assignment) throws(HarnessSetupError) -> [AssignmentInput] {
    try assignment.inputs.map { input throws(HarnessSetupError) in
      guard input.shape.count <= 3 else { throw HarnessSetupError.unsupportedRank(input: input.name, rank: input.shape.count) }
      return AssignmentInput(name: input.name, rank: input.shape.count, isInteger: !input.dtype.isFloatingPoint)
    }
  }
}

/// Why a submission could not be run at all (as opposed to an item failing).
enum HarnessSetupError: Error, CustomStringConvertible, Equatable {
  case unsupportedRank(input: String, rank: Int)
  case missingInput(name: String)
  case inputRank(name: String, given: Int, declared: Int)
  case notAnIdentifier(String)
  case compilerNotFound
  case supportModule(String)
  case bubblewrapUnavailable(String)
  case workspace(String)

  var description: String {
    switch self {
    case .unsupportedRank(let input, let rank):
      return "Input \(input) has rank \(rank); a Swift submission receives inputs of rank 0 to 3."
    case .missingInput(let name):
      return "Input \(name) was not given, so the submission cannot be run."
    case .inputRank(let name, let given, let declared):
      return "Input \(name) was given with rank \(given), but the assignment declares rank \(declared)."
    case .notAnIdentifier(let id):
      return "Item id \(id) is not a Swift identifier, so no function can answer it."
    case .compilerNotFound:
      return "swiftc was not found on PATH, so the Swift submission could not be compiled."
    case .supportModule(let why):
      return "The grading harness module could not be built: \(why)"
    case .bubblewrapUnavailable(let why):
      return "Bubblewrap isolation was requested but is unavailable: \(why)"
    case .workspace(let why):
      return "The sandbox directory could not be prepared: \(why)"
    }
  }
}

/// What the runner and the student's process exchange; the grader never sends a reference
/// value, only inputs, and reads back only what the harness sends on the result pipe, never the
/// process's output or a file it wrote.
///
/// ```
/// inputs/<k>.txt   input set k (0-based), read-only to the item:
///                  grading-inputs 1
///                  tensor <name> <f8|i8> <rank> <d1> … <dr> <hex bit pattern of each scalar> …
/// descriptor 3     the result pipe: one frame per answered set, in order
///                  result <k> <byte count>\n<body>
///                  body: grading-result 1 <item>
///                        value <rank> <d1> … <dr> <hex bit pattern of each scalar> …
///                      | missing
///                      | ragged <sentence>
/// ```
/// The harness reads every set before the student's code runs, answers set 0, then 1, …, and
/// sends each answer as one frame as soon as it is computed, so a crash in set k leaves the
/// answers of the sets before it. A frame cut short (the process died while sending it) is no
/// answer. Nothing the item writes to disk is read: its writable space is private (a tmpfs, or a
/// directory under a quota), so a file there — a link, a FIFO, a huge one — concerns only itself.
/// Scalars travel as the hexadecimal bit pattern of their `Double`, so every value, NaN and ±Inf
/// included, arrives bit for bit.
///
/// Bounds, before anything is allocated: the pipe keeps `resultBytes(expectedShape:sets:)`; a
/// declared shape is multiplied with overflow checks and refused past `maximumEntries(expected:)`.
enum HarnessProtocol {
  static let inputsDirectoryName = "inputs"

  /// The inputs file of set `k` inside the inputs directory.
  static func inputsFileName(set k: Int) -> String { "\(k).txt" }

  static func encodeInputs(_ inputs: [String: Tensor]) -> String {
    var text = "grading-inputs 1\n"
    for name in inputs.keys.sorted() {
      let t = inputs[name]!
      var line = "tensor \(name) \(t.dtype.isFloatingPoint ? "f8" : "i8") \(t.shape.count)"
      for n in t.shape { line += " \(n)" }
      for x in t.scalars { line += " " + String(x.bitPattern, radix: 16) }
      text += line + "\n"
    }
    return text
  }

  /// What a result says.
  enum Result: Equatable {
    case value(Tensor)
    case missing
    case ragged(String)
    /// A value whose declared shape has more entries than an item of the expected shape may
    /// return; nothing was allocated for it.
    case oversized(shape: [String], limit: Int)
  }

  /// Entries a returned value may declare: 16 times the expected count, and at least 65 536, so
  /// that a wrong shape is still reported as one; 4 194 304 when the shape is not known.
  static func maximumEntries(expected: [Int]?) -> Int {
    guard let expected else { return 1 << 22 }
    let count = entryCount(expected.map(String.init)) ?? Int.max
    let (scaled, overflow) = count.multipliedReportingOverflow(by: 16)
    return overflow ? 1 << 22 : min(max(scaled, 1 << 16), 1 << 22)
  }

  /// Bytes of results the grader keeps from one item process: `sets` values of
  /// `maximumEntries` scalars (at most 17 bytes each) and their headers, at most 96 MiB.
  static func resultBytes(expectedShape: [Int]?, sets: Int) -> Int {
    let perSet = maximumEntries(expected: expectedShape) * 17 + 4096
    let (total, overflow) = perSet.multipliedReportingOverflow(by: max(sets, 1))
    return overflow ? 96 << 20 : min(total, 96 << 20)
  }

  /// The product of `dimensions`, or nil when one is not a whole number ≥ 0 that fits in an
  /// `Int` or the product overflows.
  static func entryCount(_ dimensions: [String]) -> Int? {
    var count = 1
    for word in dimensions {
      guard let n = Int(word), n >= 0 else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: n)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// The frame bodies of a result stream by set, the last frame of a set winning; parsing stops
  /// at the first malformed or incomplete frame (the process died while sending it).
  static func frames(_ bytes: [UInt8]) -> [Int: String] {
    var bodies: [Int: String] = [:]
    var position = 0
    while position < bytes.count {
      guard let newline = bytes[position...].prefix(64).firstIndex(of: 10) else { break }
      let header = String(decoding: bytes[position..<newline], as: UTF8.self).split(separator: " ")
      guard header.count == 3, header[0] == "result", let k = Int(header[1]), k >= 0,
            let length = Int(header[2]), length >= 0, length <= bytes.count - (newline + 1) else { break }
      bodies[k] = String(decoding: bytes[(newline + 1)..<(newline + 1 + length)], as: UTF8.self)
      position = newline + 1 + length
    }
    return bodies
  }

  /// Reads a result for `item`; nil when it is not a well-formed answer for that item. A value
  /// declaring more than `maximumEntries(expected: expectedShape)` entries is `.oversized`.
  static func decodeResult(_ text: String, item: String, expectedShape: [Int]? = nil) -> Result? {
    var words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })[...]
    guard words.popFirst() == "grading-result", words.popFirst() == "1",
          let named = words.popFirst(), named == item, let kind = words.popFirst() else { return nil }
    switch kind {
    case "missing":
      return words.isEmpty ? .missing : nil
    case "ragged":
      return .ragged(words.joined(separator: " "))
    case "value":
      guard let rankWord = words.popFirst(), let rank = Int(rankWord), (0...3).contains(rank), words.count >= rank else { return nil }
      let dimensions = words.prefix(rank).map(String.init)
      words = words.dropFirst(rank)
      let limit = maximumEntries(expected: expectedShape)
      guard dimensions.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }) else { return nil }
      guard let count = entryCount(dimensions), count <= limit else { return .oversized(shape: dimensions, limit: limit) }
      guard words.count == count else { return nil }
      var scalars: [Double] = []
      scalars.reserveCapacity(count)
      for w in words {
        guard let bits = UInt64(w, radix: 16) else { return nil }
        scalars.append(Double(bitPattern: bits))
      }
      return .value(Tensor(shape: dimensions.map { Int($0)! }, scalars: scalars, dtype: .float64))
    default:
      return nil
    }
  }
}
