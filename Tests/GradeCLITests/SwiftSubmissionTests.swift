import Foundation
import Testing
import Grader

/// Students' Swift code graded end to end by the built binary: the worked solutions pass, the
/// starters are incomplete, and broken code costs only the items it breaks — in `check` and in
/// `batch`.
@Suite("Swift submissions, end to end", .serialized)
struct SwiftSubmissionTests {
  static let hasSwiftc: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["swiftc", "--version"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  static func assignment(_ id: String) -> URL {
    GradeBinary.packageRoot.appendingPathComponent("Assignments/\(id)")
  }

  @Test("every worked Swift solution passes every item; every starter grades as incomplete (exit 1)",
        arguments: ["backprop-basics", "rnn-bptt", "rnn-canonical", "ngram-lm", "lstm-lm", "gru-lm"])
  func workedAndStarter(id: String) throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let worked = try GradeBinary.run(["check", id, Self.assignment(id).appendingPathComponent("examples/swift-solution").path, "--student", "sw-1"])
    #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
    let starter = try GradeBinary.run(["check", id, Self.assignment(id).appendingPathComponent("starter").path, "--student", "sw-1", "--format", "json"])
    #expect(starter.status == 1, "\(starter.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(starter.stdout.utf8)) as? [String: Any])
    let items = try #require(report["items"] as? [[String: Any]])
    #expect(items.allSatisfy { $0["status"] as? String == "missing" })
    #expect(report["isolation"] is String)
  }

  /// The worked rnn-bptt solution with one function body replaced.
  static func brokenSolution(replacing function: String, with body: String, in dir: URL) throws -> URL {
    let source = try String(contentsOf: assignment("rnn-bptt").appendingPathComponent("examples/swift-solution/Solution.swift"), encoding: .utf8)
    let header = "func \(function)(_ p: Inputs) -> "
    let start = try #require(source.range(of: header))
    let open = try #require(source.range(of: "{", range: start.upperBound..<source.endIndex))
    let returnType = source[start.upperBound..<open.lowerBound]
    var edited = source
    edited.replaceSubrange(start.lowerBound..<open.upperBound, with: "func \(function)(_ p: Inputs) -> \(returnType){\n  \(body)\n}\nfunc __unused_\(function)(_ p: Inputs) -> \(returnType){")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try edited.write(to: dir.appendingPathComponent("Solution.swift"), atomically: true, encoding: .utf8)
    return dir
  }

  @Test("a fatalError in one item fails that item only, with the signal and the line")
  func fatalErrorInOneItem() throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let dir = try Self.brokenSolution(replacing: "dW_h", with: "fatalError(\"not today\")", in: temporaryDirectory().appendingPathComponent("crash"))
    let r = try GradeBinary.run(["check", "rnn-bptt", dir.path, "--student", "sw-2", "--format", "json"])
    #expect(r.status == 1)
    let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let items = try #require(report["items"] as? [[String: Any]])
    let failing = items.filter { $0["status"] as? String != "pass" }
    #expect(failing.map { $0["id"] as? String } == ["dW_h"])
    let message = failing.first?["message"] as? String ?? ""
    #expect(message.contains("SIGILL") || message.contains("SIGTRAP"), "\(message)")
    #expect(message.contains("not today"), "\(message)")
    #expect(failing.first?["status"] as? String == "error")
  }

  @Test("code that reproduces its own student's numbers fails at the hidden inputs")
  func hardCodedAnswerFailsHiddenInputs() throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let dir = temporaryDirectory()
    let reference = dir.appendingPathComponent("ref.json")
    #expect(try GradeBinary.run(["reference", "rnn-bptt", "--student", "sw-4", "--out", reference.path, "--key-file", GradeBinary.keyFile.path]).status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: reference)) as? [String: Any])
    let loss = try #require(((object["loss"] as? [String: Any])?["data"] as? [Double])?.first)
    let code = try Self.brokenSolution(replacing: "loss", with: "return \(loss)", in: dir.appendingPathComponent("hard-coded"))
    let r = try GradeBinary.run(["check", "rnn-bptt", code.path, "--student", "sw-4", "--key-file", GradeBinary.keyFile.path])
    #expect(r.status == 1)
    #expect(r.stdout.contains("'loss' is right at your inputs but not at the hidden input set"), "\(r.stdout)")
    #expect(r.stdout.contains("also run on 1 hidden input set."))
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let kept = Int(rubric.maxScore - rubric.entry("loss").points)   // the shipped points are whole numbers
    #expect(r.stdout.contains("score: \(kept)/"), "only the points of loss are lost")
  }

  @Test("a crash only at the hidden input set fails that item with the crash, and keeps the others' points")
  func crashAtTheHiddenSetOnly() throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    // The item's process answers the student's set, then the hidden one; the working directory
    // is the item's own, so a marker file left at the first set is there at the second.
    let body = """
      if FileManager.default.fileExists(atPath: "answered-once") { fatalError("only at the second set") }
        FileManager.default.createFile(atPath: "answered-once", contents: nil)
        return __unused_loss(p)
      """
    let dir = try Self.brokenSolution(replacing: "loss", with: body, in: temporaryDirectory().appendingPathComponent("second-set"))
    let r = try GradeBinary.run(["check", "rnn-bptt", dir.path, "--student", "sw-5", "--key-file", GradeBinary.keyFile.path])
    #expect(r.status == 1)
    #expect(r.stdout.contains("'loss' is right at your inputs but not at the hidden input set: crashed with SIG"), "\(r.stdout)")
    #expect(r.stdout.contains("only at the second set"), "\(r.stdout)")
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let kept = Int(rubric.maxScore - rubric.entry("loss").points)   // the shipped points are whole numbers
    #expect(r.stdout.contains("score: \(kept)/"), "only the points of loss are lost")
  }

  @Test("a compile error is reported with the student's file and line; every item is an error")
  func compileError() throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let dir = try Self.brokenSolution(replacing: "dU", with: "return undefinedName", in: temporaryDirectory().appendingPathComponent("typo"))
    let r = try GradeBinary.run(["check", "rnn-bptt", dir.path, "--student", "sw-3"])
    #expect(r.status == 1)
    #expect(r.stdout.contains("Solution.swift:"), "\(r.stdout)")
    #expect(r.stdout.contains("cannot find 'undefinedName' in scope"))
    #expect(!r.stdout.contains("/tmp/"), "no temporary path leaks into the report")
  }

  @Test("a batch mixing Swift code with arrays: worked, starter, crashing, not compiling")
  func batch() throws {
    guard Self.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    let fm = FileManager.default
    try fm.copyItem(at: Self.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution"), to: submissions.appendingPathComponent("worked"))
    try fm.copyItem(at: Self.assignment("rnn-bptt").appendingPathComponent("starter"), to: submissions.appendingPathComponent("starter"))
    _ = try Self.brokenSolution(replacing: "dW_h", with: "let a: [Int] = []; _ = a[3]; return nil", in: submissions.appendingPathComponent("crash"))
    _ = try Self.brokenSolution(replacing: "dU", with: "return undefinedName", in: submissions.appendingPathComponent("typo"))
    #expect(try GradeBinary.run(["reference", "rnn-bptt", "--student", "arrays", "--out", submissions.appendingPathComponent("arrays.npz").path, "--key-file", GradeBinary.keyFile.path]).status == 0)

    let out = root.appendingPathComponent("graded")
    let r = try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--key-file", GradeBinary.keyFile.path])
    #expect(r.status == 0, "every submission was graded, whatever its score: \(r.stdout)\(r.stderr)")
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let full = rubric.maxScore
    let text = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8)
    var scores: [String: Double] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      scores[String(fields[0])] = Double(fields[1])
    }
    #expect(text.contains("\nworked,\(ItemResult.points(full)),\(ItemResult.points(full)),graded,"), "\(text)")
    #expect(scores == ["worked": full, "starter": 0, "crash": full - rubric.entry("dW_h").points, "typo": 0, "arrays": full])
    let crash = try String(contentsOf: out.appendingPathComponent("feedback/crash.md"), encoding: .utf8)
    #expect(crash.contains("dW_h"))
    #expect(crash.contains("Index out of range") || crash.contains("SIGILL") || crash.contains("SIGTRAP"), "\(crash)")
  }
}
