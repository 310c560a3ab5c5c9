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

/// The files the runner and the student's process exchange; the grader never sends a reference
/// value, only inputs, and reads back only the result files, never the process's output.
///
/// ```
/// inputs/<k>.txt   input set k (0-based), read-only to the item:
///                  grading-inputs 1
///                  tensor <name> <f8|i8> <rank> <d1> … <dr> <hex bit pattern of each scalar> …
/// result-<k>.txt   the item's answer at set k, in its writable directory:
///                  grading-result 1 <item>
///                  value <rank> <d1> … <dr> <hex bit pattern of each scalar> …
///                | missing
///                | ragged <sentence>
/// ```
/// The harness reads every set before the student's code runs, answers set 0, then 1, …, and
/// writes each result as `result-<k>.partial` renamed to `result-<k>.txt`, so a result file is
/// whole and a crash in set k leaves the results of the sets before it. Scalars travel as the
/// hexadecimal bit pattern of their `Double`, so every value, NaN and ±Inf included, arrives bit
/// for bit.
enum HarnessProtocol {
  static let inputsDirectoryName = "inputs"

  /// The inputs file of set `k` inside the inputs directory.
  static func inputsFileName(set k: Int) -> String { "\(k).txt" }

  /// The result file of set `k` in the item's directory.
  static func resultFileName(set k: Int) -> String { "result-\(k).txt" }

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

  /// What a result file says.
  enum Result: Equatable {
    case value(Tensor)
    case missing
    case ragged(String)
  }

  /// Reads a result file for `item`; nil when it is not a well-formed answer for that item.
  static func decodeResult(_ text: String, item: String) -> Result? {
    var words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })[...]
    guard words.popFirst() == "grading-result", words.popFirst() == "1",
          let named = words.popFirst(), named == item, let kind = words.popFirst() else { return nil }
    switch kind {
    case "missing":
      return words.isEmpty ? .missing : nil
    case "ragged":
      return .ragged(words.joined(separator: " "))
    case "value":
      guard let rankWord = words.popFirst(), let rank = Int(rankWord), (0...3).contains(rank) else { return nil }
      var shape: [Int] = []
      for _ in 0..<rank {
        guard let w = words.popFirst(), let n = Int(w), n >= 0 else { return nil }
        shape.append(n)
      }
      let count = shape.reduce(1, *)
      guard words.count == count else { return nil }
      var scalars: [Double] = []
      scalars.reserveCapacity(count)
      for w in words {
        guard let bits = UInt64(w, radix: 16) else { return nil }
        scalars.append(Double(bitPattern: bits))
      }
      return .value(Tensor(shape: shape, scalars: scalars, dtype: .float64))
    default:
      return nil
    }
  }
}
