import Foundation
import Testing
import Jacobians
@testable import Grader

/// Shared setup of the Swift submission tests: assignment specs with resolved shapes, seeded
/// random inputs, temporary submissions, and compiled submissions reused across tests.
enum SwiftModuleFixtures {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let assignmentIDs = ["rnn-bptt", "rnn-canonical", "backprop-basics", "window-lm", "ngram-lm", "lstm-lm", "gru-lm"]

  static func assignmentDirectory(_ id: String) -> URL {
    repository.appendingPathComponent("Assignments/\(id)", isDirectory: true)
  }

  /// The assignment, loaded as the grader loads it.
  static func assignment(_ id: String) throws -> Assignment {
    try Assignment.load(from: assignmentDirectory(id))
  }

  static let swiftcAvailable = ExecutableLookup.find("swiftc") != nil
  static let swiftcMissingMessage: Comment = "swiftc is not on PATH, so Swift submissions cannot be compiled here"
  static let bubblewrapAvailable = (try? SandboxPlan.resolve(.bubblewrap)) != nil
  /// Both isolation paths when bwrap works here, else rlimits only.
  static let isolations: [Isolation] = bubblewrapAvailable ? [.bubblewrap, .rlimits] : [.rlimits]

  // MARK: Assignment specs

  struct Spec {
    var assignment: String
    var sizes: [String: Int]
    var inputs: [(name: String, shape: [Int], isInteger: Bool)]
    var items: [(id: String, shape: [Int])]
    var itemIDs: [String] { items.map(\.id) }
    var itemShapes: [String: [Int]] { Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.shape) }) }
  }

  static func spec(_ id: String) throws -> Spec {
    let data = try Data(contentsOf: assignmentDirectory(id).appendingPathComponent("assignment.json"))
    let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let model = object["model"] as! [String: Any]
    let sizes = (model["sizes"] as! [String: Any]).mapValues { ($0 as! NSNumber).intValue }
    func resolve(_ entry: Any) -> Int {
      if let n = entry as? NSNumber { return n.intValue }
      let text = entry as! String
      if text.contains("+") { return text.split(separator: "+").map { resolve(String($0)) }.reduce(0, +) }
      if text.contains("*") { return text.split(separator: "*").map { resolve(String($0)) }.reduce(1, *) }
      if let n = Int(text) { return n }
      return sizes[text]!
    }
    let inputs = (object["inputs"] as! [[String: Any]]).map { entry in
      (name: entry["name"] as! String, shape: (entry["shape"] as! [Any]).map(resolve),
       isInteger: (entry["dtype"] as? String ?? "float64").hasPrefix("int"))
    }
    let items = (object["items"] as! [[String: Any]]).map { entry in
      (id: entry["id"] as! String, shape: (entry["shape"] as! [Any]).map(resolve))
    }
    return Spec(assignment: id, sizes: sizes, inputs: inputs, items: items)
  }

  /// Assignments whose inputs must follow a convention (corpora of sentences <s> … </s>): their
  /// random inputs come from the model's own generator.
  static let modelGeneratedInputs: Set<String> = ["ngram-lm"]

  /// Uniform weights in [−1, 1) (scaled down for the RNNs), tokens in 0..<V, labels in range; or
  /// the model's own inputs (`modelGeneratedInputs`).
  static func randomInputs(_ spec: Spec, seed: UInt64) -> [String: Tensor] {
    var rng = SplitMix64(seed: seed)
    if modelGeneratedInputs.contains(spec.assignment), let a = try? assignment(spec.assignment) {
      return a.model.generateInputs(using: &rng)
    }
    let bounds = ["tokens": spec.sizes["V"] ?? 1, "label": spec.sizes["K"] ?? 1, "y": spec.sizes["C"] ?? 1]
    var result: [String: Tensor] = [:]
    for input in spec.inputs {
      let count = input.shape.reduce(1, *)
      if input.isInteger {
        let bound = bounds[input.name] ?? 2
        result[input.name] = Tensor(shape: input.shape, scalars: (0..<count).map { _ in Double(rng.int(below: bound)) }, dtype: .int64)
      } else {
        let scale = input.name == "reg" ? 0.1 : 1.0
        result[input.name] = Tensor(shape: input.shape, scalars: (0..<count).map { _ in scale * rng.uniform(-1, 1) })
      }
    }
    return result
  }

  // MARK: Submissions

  /// This test process's folder for submissions and their workspaces. Compiled submissions live
  /// as long as the process, so folders left by earlier, finished test processes are removed here.
  static let scratch: URL = {
    let parent = FileManager.default.temporaryDirectory
    let fm = FileManager.default
    for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix("swift-module-tests-") {
      if let pid = Int32(name.dropFirst("swift-module-tests-".count)), kill(pid, 0) != 0, errno == ESRCH {
        try? fm.removeItem(at: parent.appendingPathComponent(name))
      }
    }
    let mine = parent.appendingPathComponent("swift-module-tests-\(getpid())", isDirectory: true)
    try? fm.createDirectory(at: mine, withIntermediateDirectories: true)
    try? fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: mine.path)
    SwiftModuleRunner.workspaceParent = mine
    return mine
  }()

  /// Writes `files` (name → text) into a fresh directory and returns their URLs.
  static func writeSubmission(_ files: [String: String]) throws -> [URL] {
    let directory = scratch.appendingPathComponent("submission-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return try files.keys.sorted().map { name in
      let url = directory.appendingPathComponent(name)
      try files[name]!.write(to: url, atomically: true, encoding: .utf8)
      return url
    }
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var compiled: [String: CompiledSwiftSubmission] = [:]

  /// Compiles a submission once per (key, isolation) for the whole test run.
  static func compiledOnce(
    key: String, isolation: Isolation, assignment: String, limits: SandboxLimits = .default,
    files: () throws -> [URL]
  ) throws -> CompiledSwiftSubmission {
    lock.lock()
    defer { lock.unlock() }
    let fullKey = "\(key)/\(isolation.rawValue)"
    if let known = compiled[fullKey] { return known }
    _ = scratch
    let spec = try spec(assignment)
    let submission = SwiftModuleRunner.compile(
      files: try files(), assignment: try Self.assignment(assignment), itemIDs: spec.itemIDs,
      limits: limits, isolation: isolation)
    compiled[fullKey] = submission
    return submission
  }

  /// The worked solution of `assignment`, compiled once.
  static func workedSolution(_ assignment: String, isolation: Isolation = .auto) throws -> CompiledSwiftSubmission {
    try compiledOnce(key: "solution-\(assignment)", isolation: isolation, assignment: assignment) {
      [assignmentDirectory(assignment).appendingPathComponent("examples/swift-solution", isDirectory: true)]
    }
  }
}
