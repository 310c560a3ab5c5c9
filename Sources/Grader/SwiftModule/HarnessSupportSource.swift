/// The Swift source of `SwiftGradingHarness`, the small support module every submission is linked
/// against, and the generator of the per-assignment `main.swift`.
///
/// The module is the student's side of the protocol in `HarnessProtocol`: it reads every input
/// set's file, turns tensors into plain Swift arrays, and sends the item's answer at set k as one
/// frame on the result pipe (descriptor 3), set after set. It imports only the C library, never Foundation or a reference library, so
/// it adds next to nothing to a link, and it is compiled once per toolchain (`HarnessToolchain`).
enum HarnessSupportSource {
  static let moduleName = "SwiftGradingHarness"
  /// The module name the submission is compiled under; runtime messages read `Submission/…`.
  static let submissionModuleName = "Submission"

  static let text: String = #"""
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The student's side of the grading protocol: reads every input set, then, set by set, hands the
/// set's inputs to one item and sends its answer on the result pipe (descriptor 3, which the
/// runner opened and nothing else uses) as `result <k> <length>` and the body. It never sees a
/// reference value.
public final class GradingHarness {
  public let item: String
  /// How many input sets the item answers, in order.
  public let setCount: Int
  private var sets: [[String: (shape: [Int], scalars: [Double])]] = []
  private var current = 0
  /// The result pipe the runner gave the process.
  private static let resultDescriptor: Int32 = 3

  /// Reads the item, the inputs directory and the number of sets from `GRADING_ITEM`,
  /// `GRADING_INPUTS` and `GRADING_SETS` (set by the runner; the environment survives a `chroot`
  /// without `/proc`), else from the arguments `student <item-id> <inputs-directory> <sets>`.
  /// Every set (`<inputs-directory>/<k>.txt`) is read here, before the student's code runs.
  public init(arguments: [String]) {
    let fromEnvironment = (getenv("GRADING_ITEM"), getenv("GRADING_INPUTS"), getenv("GRADING_SETS"))
    let itemID: String
    let inputsPath: String
    let countWord: String
    if let i = fromEnvironment.0, let p = fromEnvironment.1, let n = fromEnvironment.2 {
      (itemID, inputsPath, countWord) = (String(cString: i), String(cString: p), String(cString: n))
    } else if arguments.count == 4 {
      (itemID, inputsPath, countWord) = (arguments[1], arguments[2], arguments[3])
    } else {
      GradingHarness.stop("usage: student <item-id> <inputs-directory> <sets>", code: 64)
    }
    guard let count = Int(countWord), count >= 1 else { GradingHarness.stop("the number of input sets is not a positive integer", code: 64) }
    item = itemID
    setCount = count
    if let workdir = getenv("GRADING_WORKDIR"), chdir(workdir) != 0 {
      GradingHarness.stop("cannot enter the working directory", code: 73)
    }
    var info = stat()
    guard fstat(GradingHarness.resultDescriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else {
      GradingHarness.stop("the result pipe (descriptor 3) is missing", code: 71)
    }
    // Programs the student's code starts do not get it.
    _ = fcntl(GradingHarness.resultDescriptor, F_SETFD, FD_CLOEXEC)
    sets = (0..<count).map { k in GradingHarness.readSet(inputsPath + "/\(k).txt") }
  }

  /// Makes set `k` the one the readers below return.
  public func select(set k: Int) { current = k }

  private static func readSet(_ path: String) -> [String: (shape: [Int], scalars: [Double])] {
    guard let bytes = GradingHarness.readFile(path) else {
      GradingHarness.stop("cannot read the inputs file", code: 66)
    }
    var tokens = GradingHarness.split(bytes)[...]
    guard tokens.popFirst() == "grading-inputs", tokens.popFirst() == "1" else {
      GradingHarness.stop("the inputs file has an unknown format", code: 65)
    }
    var tensors: [String: (shape: [Int], scalars: [Double])] = [:]
    while let word = tokens.popFirst() {
      guard word == "tensor", let name = tokens.popFirst(), tokens.popFirst() != nil,
            let rankWord = tokens.popFirst(), let rank = Int(rankWord), rank >= 0 else {
        GradingHarness.stop("the inputs file is malformed", code: 65)
      }
      var shape: [Int] = []
      for _ in 0..<rank {
        guard let w = tokens.popFirst(), let n = Int(w), n >= 0 else {
          GradingHarness.stop("the inputs file is malformed", code: 65)
        }
        shape.append(n)
      }
      let count = shape.reduce(1, *)
      var scalars: [Double] = []
      scalars.reserveCapacity(count)
      for _ in 0..<count {
        guard let w = tokens.popFirst(), let bits = UInt64(w, radix: 16) else {
          GradingHarness.stop("the inputs file is malformed", code: 65)
        }
        scalars.append(Double(bitPattern: bits))
      }
      tensors[name] = (shape, scalars)
    }
    return tensors
  }

  // MARK: Inputs, by rank

  private func tensor(_ name: String, rank: Int) -> (shape: [Int], scalars: [Double]) {
    guard let t = sets[current][name] else { GradingHarness.stop("input \(name) is missing", code: 65) }
    guard t.shape.count == rank else { GradingHarness.stop("input \(name) has rank \(t.shape.count), expected \(rank)", code: 65) }
    return t
  }

  public func scalar(_ name: String) -> Double { tensor(name, rank: 0).scalars[0] }
  public func integer(_ name: String) -> Int { Int(tensor(name, rank: 0).scalars[0]) }
  public func vector(_ name: String) -> [Double] { tensor(name, rank: 1).scalars }
  public func integers(_ name: String) -> [Int] { tensor(name, rank: 1).scalars.map { Int($0) } }

  public func matrix(_ name: String) -> [[Double]] {
    let t = tensor(name, rank: 2)
    let cols = t.shape[1]
    return (0..<t.shape[0]).map { r in Array(t.scalars[(r * cols)..<((r + 1) * cols)]) }
  }

  public func integerMatrix(_ name: String) -> [[Int]] { matrix(name).map { $0.map { Int($0) } } }

  public func tensor3(_ name: String) -> [[[Double]]] {
    let t = tensor(name, rank: 3)
    let (a, b, c) = (t.shape[0], t.shape[1], t.shape[2])
    return (0..<a).map { i in (0..<b).map { j in Array(t.scalars[((i * b + j) * c)..<((i * b + j + 1) * c)]) } }
  }

  // MARK: Answers

  public func submit(_ value: Double?) {
    guard let x = value else { return missing() }
    finish(shape: [], [x])
  }

  public func submit(_ value: [Double]?) {
    guard let v = value else { return missing() }
    finish(shape: [v.count], v)
  }

  public func submit(_ value: [[Double]]?) {
    guard let rows = value else { return missing() }
    let cols = rows.first?.count ?? 0
    if let bad = rows.firstIndex(where: { $0.count != cols }) {
      return ragged("row \(bad) has \(rows[bad].count) entries but row 0 has \(cols)")
    }
    finish(shape: [rows.count, cols], rows.flatMap { $0 })
  }

  public func submit(_ value: [[[Double]]]?) {
    guard let blocks = value else { return missing() }
    let rows = blocks.first?.count ?? 0
    let cols = blocks.first?.first?.count ?? 0
    for (i, block) in blocks.enumerated() {
      if block.count != rows { return ragged("block \(i) has \(block.count) rows but block 0 has \(rows)") }
      for (j, row) in block.enumerated() where row.count != cols {
        return ragged("block \(i) row \(j) has \(row.count) entries but block 0 row 0 has \(cols)")
      }
    }
    finish(shape: [blocks.count, rows, cols], blocks.flatMap { $0.flatMap { $0 } })
  }

  public func submit(_ value: Double) { submit(Optional(value)) }
  public func submit(_ value: [Double]) { submit(Optional(value)) }
  public func submit(_ value: [[Double]]) { submit(Optional(value)) }
  public func submit(_ value: [[[Double]]]) { submit(Optional(value)) }

  public func unknownItem() -> Never { GradingHarness.stop("no function for item \(item)", code: 65) }

  /// Every set was answered.
  public func done() -> Never { exit(0) }

  private func missing() { record("missing\n") }
  private func ragged(_ why: String) { record("ragged \(why)\n") }

  private func finish(shape: [Int], _ scalars: [Double]) {
    var text = "value \(shape.count)"
    for n in shape { text += " \(n)" }
    for x in scalars { text += " " + String(x.bitPattern, radix: 16) }
    record(text + "\n")
  }

  /// Sends `result <k> <length>` and the body on the result pipe: a frame is whole or, when the
  /// process is stopped while sending it, ignored.
  private func record(_ body: String) {
    let text = "grading-result 1 \(item)\n" + body
    let payload = Array(text.utf8)
    let bytes = Array("result \(current) \(payload.count)\n".utf8) + payload
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { write(GradingHarness.resultDescriptor, $0.baseAddress, $0.count) }
      if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else {
        GradingHarness.stop("cannot send the result of input set \(current + 1)", code: 74)
      }
    }
  }

  // MARK: Plumbing

  private static func stop(_ message: String, code: Int32) -> Never {
    fputs("grading harness: \(message)\n", stderr)
    exit(code)
  }

  private static func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = fread(&chunk, 1, chunk.count, file)
      if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
      if n < chunk.count { break }
    }
    return bytes
  }

  private static func split(_ bytes: [UInt8]) -> [String] {
    var words: [String] = []
    var start: Int? = nil
    for (i, b) in bytes.enumerated() {
      let space = b == 32 || b == 10 || b == 9 || b == 13
      if space, let s = start { words.append(String(decoding: bytes[s..<i], as: UTF8.self)); start = nil }
      else if !space && start == nil { start = i }
    }
    if let s = start { words.append(String(decoding: bytes[s...], as: UTF8.self)) }
    return words
  }
}
"""#

  /// `main.swift` for one assignment: for each input set in turn, builds `Inputs` from that set in
  /// the order the assignment declares them, calls the requested item's function and records its
  /// answer; then exits.
  ///
  /// ```
  /// for __gradingSet in 0..<__gradingHarness.setCount {
  ///   __gradingHarness.select(set: __gradingSet)
  ///   let __gradingInputs = Inputs(tokens: __gradingHarness.integers("tokens"), E: …)
  ///   switch __gradingHarness.item { case "dU": __gradingHarness.submit(dU(__gradingInputs)) … }
  /// }
  /// __gradingHarness.done()
  /// ```
  static func main(inputs: [AssignmentInput], itemIDs: [String]) -> String {
    var lines = [
      "import \(moduleName)",
      "",
      "let __gradingHarness = GradingHarness(arguments: CommandLine.arguments)",
      "for __gradingSet in 0..<__gradingHarness.setCount {",
      "__gradingHarness.select(set: __gradingSet)",
    ]
    let arguments = inputs.map { "  \($0.name): __gradingHarness.\($0.readerName)(\"\($0.name)\")" }
    lines.append("let __gradingInputs = Inputs(")
    lines.append(arguments.joined(separator: ",\n"))
    lines.append(")")
    lines.append("switch __gradingHarness.item {")
    for id in itemIDs {
      lines.append("case \"\(id)\": __gradingHarness.submit(\(id)(__gradingInputs))")
    }
    lines.append("default: __gradingHarness.unknownItem()")
    lines.append("}")
    lines.append("}")
    lines.append("__gradingHarness.done()")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The items whose call in `main` (the generated `main.swift`) does not compile, each with the
  /// compiler's message (`cannot find 'db_2' in scope` for a function not written), when every
  /// error of `errors` is on such a call; nil when any error lies elsewhere (then it is the
  /// student's code that does not compile).
  static func itemsNotCallable(errors: [String], main: String) -> [String: String]? {
    let lines = main.split(separator: "\n", omittingEmptySubsequences: false)
    var found: [String: String] = [:]
    for error in errors {
      let parts = error.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
      guard parts.count == 4, parts[0] == "main.swift", let line = Int(parts[1]), lines.indices.contains(line - 1),
            let message = error.range(of: "error: ").map({ String(error[$0.upperBound...]) })
      else { return nil }
      let call = lines[line - 1]
      guard call.hasPrefix("case \""), let end = call.dropFirst(6).firstIndex(of: "\"") else { return nil }
      let id = String(call[call.index(call.startIndex, offsetBy: 6)..<end])
      if found[id] == nil { found[id] = message }
    }
    return found.isEmpty ? nil : found
  }
}
