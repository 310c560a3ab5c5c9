import Foundation
import Testing
import Grader

/// Students' Python code graded end to end by the built binary: the worked solutions pass, the
/// starters are incomplete, broken and hostile code costs only the items it breaks — in `check`
/// and in `batch`, beside Swift code and arrays.
@Suite("Python submissions, end to end", .serialized, .enabled(if: GradeBinary.hasNumPy, "python3 with NumPy is not available"))
struct PythonSubmissionTests {
  static func assignment(_ id: String) -> URL {
    GradeBinary.packageRoot.appendingPathComponent("Assignments/\(id)")
  }

  static func worked(_ id: String) -> URL {
    assignment(id).appendingPathComponent("examples/python-solution/solution.py")
  }

  /// The worked rnn-bptt solution with `definitions` appended (a later `def` replaces an earlier one).
  static func edited(_ definitions: String, to url: URL) throws -> URL {
    let source = try String(contentsOf: worked("rnn-bptt"), encoding: .utf8)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try (source + "\n\n" + definitions + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  @Test("every worked Python solution passes every item, also graded with the key; every starter is incomplete (exit 1)",
        arguments: ["backprop-basics", "rnn-bptt", "rnn-canonical", "window-lm", "ngram-lm"])
  func workedAndStarter(id: String) throws {
    let worked = try GradeBinary.run(["check", id, Self.worked(id).deletingLastPathComponent().path, "--student", "py-1"])
    #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
    #expect(worked.stdout.contains("Self-check, not a grade"))
    let graded = try GradeBinary.run(["check", id, Self.worked(id).path, "--student", "py-2", "--key-file", GradeBinary.keyFile.path])
    #expect(graded.status == 0, "\(graded.stdout)\(graded.stderr)")
    #expect(graded.stdout.contains("also run on 1 hidden input set."), "\(graded.stdout)")
    let starter = try GradeBinary.run(["check", id, Self.assignment(id).appendingPathComponent("starter-python/solution.py").path,
                                       "--student", "py-1", "--format", "json"])
    #expect(starter.status == 1, "\(starter.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(starter.stdout.utf8)) as? [String: Any])
    let items = try #require(report["items"] as? [[String: Any]])
    #expect(items.allSatisfy { $0["status"] as? String == "missing" })
    #expect(report["isolation"] is String)
  }

  @Test("grade starter --language python writes the shipped starter; another language is a usage error")
  func starterCommand() throws {
    let out = temporaryDirectory().appendingPathComponent("starter")
    let made = try GradeBinary.run(["starter", "window-lm", "--language", "python", "--out", out.path])
    #expect(made.status == 0, "\(made.stderr)")
    #expect(made.stdout.contains("solution.py"))
    let written = try String(contentsOf: out.appendingPathComponent("solution.py"), encoding: .utf8)
    let shipped = try String(contentsOf: Self.assignment("window-lm").appendingPathComponent("starter-python/solution.py"), encoding: .utf8)
    #expect(written == shipped)
    let wrong = try GradeBinary.run(["starter", "window-lm", "--language", "rust", "--out", out.path])
    #expect(wrong.status == 64)
    #expect(wrong.stderr.contains("The value 'rust' is invalid for '--language <name>': expected one of swift, python"))
  }

  @Test("the starter's local runner reads the inputs grade inputs wrote and saves what the functions return")
  func localRunner() throws {
    let dir = temporaryDirectory()
    let inputs = dir.appendingPathComponent("inputs.npz"), answers = dir.appendingPathComponent("answers.npz")
    #expect(try GradeBinary.run(["inputs", "rnn-canonical", "--student", "runner", "--out", inputs.path]).status == 0)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Self.worked("rnn-canonical").path, inputs.path, answers.path]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let checked = try GradeBinary.run(["check", "rnn-canonical", answers.path, "--student", "runner"])
    #expect(checked.status == 0, "\(checked.stdout)")
  }

  @Test("a solution.py that is a symbolic link is not read: the submission is unreadable (exit 65)")
  func symbolicLink() throws {
    let dir = temporaryDirectory().appendingPathComponent("linked")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("solution.py").path, withDestinationPath: Self.worked("rnn-bptt").path)
    let r = try GradeBinary.run(["check", "rnn-bptt", dir.path, "--student", "py-3"])
    #expect(r.status == 65)
    // Refused by `SubmissionFiles.check` before anything of the submission is read.
    #expect(r.stderr.contains("solution.py is a symbolic link") && r.stderr.contains("a submission may hold only its own files"), "\(r.stderr)")
  }

  @Test("a batch of Python files and folders beside arrays: worked, helper modules, starter, an exception, a loop and a fork loop")
  func batch() throws {
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    let fm = FileManager.default
    try fm.createDirectory(at: submissions, withIntermediateDirectories: true)
    try fm.copyItem(at: Self.worked("rnn-bptt"), to: submissions.appendingPathComponent("worked.py"))
    let helpers = submissions.appendingPathComponent("helpers")
    try fm.createDirectory(at: helpers, withIntermediateDirectories: true)
    try fm.copyItem(at: Self.worked("rnn-bptt"), to: helpers.appendingPathComponent("bptt.py"))
    try "from bptt import *  # noqa: F401,F403\n".write(to: helpers.appendingPathComponent("solution.py"), atomically: true, encoding: .utf8)
    try fm.copyItem(at: Self.assignment("rnn-bptt").appendingPathComponent("starter-python/solution.py"), to: submissions.appendingPathComponent("starter.py"))
    _ = try Self.edited("def dW_h(W_h):\n    return np.linalg.inv(np.zeros_like(W_h))", to: submissions.appendingPathComponent("exception.py"))
    _ = try Self.edited("""
      def db_2(b_2):
          while True:
              pass


      def dh0(h0):
          import os
          while True:
              try:
                  os.fork()
              except OSError:
                  pass
      """, to: submissions.appendingPathComponent("hostile.py"))
    #expect(try GradeBinary.run(["reference", "rnn-bptt", "--student", "arrays", "--out", submissions.appendingPathComponent("arrays.npz").path,
                                 "--key-file", GradeBinary.keyFile.path]).status == 0)

    let out = root.appendingPathComponent("graded")
    let r = try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--key-file", GradeBinary.keyFile.path])
    #expect(r.status == 0, "every submission was graded, whatever its score: \(r.stdout)\(r.stderr)")
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let full = rubric.maxScore
    let text = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8)
    var scores: [String: Double] = [:]
    var statuses: [String: String] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      scores[String(fields[0])] = Double(fields[1])
      statuses[String(fields[0])] = String(fields[3])
    }
    #expect(scores == [
      "worked": full, "helpers": full, "starter": 0, "exception": full - rubric.entry("dW_h").points,
      "hostile": full - rubric.entry("db_2").points - rubric.entry("dh0").points, "arrays": full,
    ], "\(text)")
    #expect(Set(statuses.values) == ["graded"], "\(text)")
    let exception = try String(contentsOf: out.appendingPathComponent("feedback/exception.md"), encoding: .utf8)
    #expect(exception.contains("LinAlgError") && exception.contains("solution.py, line"), "\(exception)")
    let hostile = try String(contentsOf: out.appendingPathComponent("feedback/hostile.md"), encoding: .utf8)
    #expect(hostile.contains("wall-clock limit"), "\(hostile)")
    let record = try String(contentsOf: out.appendingPathComponent("results/worked.json"), encoding: .utf8)
    #expect(record.contains("worked.py was run as solution.py."))
  }
}
