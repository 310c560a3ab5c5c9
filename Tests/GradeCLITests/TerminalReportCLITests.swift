import Foundation
import Testing
import Grader

@Suite("grade check on a terminal: wrapped to COLUMNS, file errors as sentences, another student's answers")
struct TerminalReportCLITests {
  static let demo = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path

  @Test("the same failing report at 40, 80 and 200 columns: no line past the width but a lone long token", arguments: ["40", "80", "200"])
  func widths(columns: String) throws {
    // demo.npz graded as alice: every item fails, with long findings and hints.
    let environment = ["COLUMNS": columns]
    let r = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "alice"], environment: environment)
    #expect(r.status == 1, "\(r.stderr)")
    let width = Int(columns)!
    for line in r.stdout.split(separator: "\n") where line.count > width {
      #expect(line.split(separator: " ").count == 1, "\(line.count) > \(width): \(line)")
    }
    #expect(r.stdout.split(separator: "\n").contains { $0.count > width - 10 }, "lines are filled, not cut short")
    // JSON and Markdown are never wrapped.
    let json = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "alice", "--format", "markdown"], environment: environment)
    #expect(json.stdout.split(separator: "\n").contains { $0.count > 200 })
  }

  @Test("into a pipe without COLUMNS, one finding per line; on a terminal without COLUMNS, 80 columns")
  func pipe() throws {
    let r = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "alice"])
    #expect(r.stdout.split(separator: "\n").contains { $0.count > 200 }, "not wrapped")
    #expect(TerminalWrapping.outputWidth(environment: [:], isTerminal: true) == 80)
    #expect(TerminalWrapping.outputWidth(environment: [:], isTerminal: false) == nil)
    #expect(TerminalWrapping.outputWidth(environment: ["COLUMNS": "120"], isTerminal: false) == 120)
  }

  @Test("a report that cannot be written is a sentence naming the path and the reason", arguments: ["missing-folder", "file-as-folder", "folder"])
  func unwritable(kind: String) throws {
    let dir = temporaryDirectory()
    let file = dir.appendingPathComponent("plain")
    try Data("x".utf8).write(to: file)
    let out: String, reason: String
    switch kind {
    case "missing-folder":
      // A folder that cannot be created (its parent is read-only to everyone, root included only through a file).
      out = file.appendingPathComponent("sub/r.json").path
      reason = "\(file.path) is a file, not a folder"
    case "file-as-folder":
      out = file.appendingPathComponent("r.json").path
      reason = "\(file.path) is a file, not a folder"
    default:
      out = dir.path
      reason = "it is a folder"
    }
    // (inputs --out <folder> writes a folder of .npy files, and starter --out <folder> fills it.)
    let commands = [["check", "rnn-bptt", Self.demo, "--student", "demo", "--out", out]]
      + (kind == "folder" ? [] : [["inputs", "rnn-bptt", "--student", "demo", "--out", out + ".npz"], ["starter", "rnn-bptt", "--out", out]])
    for args in commands {
      let r = try GradeBinary.run(args)
      #expect(r.status != 0)
      #expect(r.stderr.hasPrefix("Error: Could not write "), "\(args[0]): \(r.stderr)")
      #expect(!r.stderr.contains("Domain=") && !r.stderr.contains("(null)"), "\(args[0]): \(r.stderr)")
      #expect(r.stderr.contains(reason), "\(args[0]): \(r.stderr)")
    }
  }

  @Test("answers made for another id: the report names the id among --other-ids, or asks to check --student")
  func otherID() throws {
    let named = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "alice", "--other-ids", "bob,demo"])
    #expect(named.status == 1)
    #expect(named.stdout.contains("match the inputs of 'demo', not of") && named.stdout.contains("'alice'"), "\(named.stdout)")
    let asked = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "alice", "--format", "gradescope"])
    #expect(asked.stdout.contains("check that --student 'alice' is the id your inputs were made for"), "\(asked.stdout)")
    let right = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "demo", "--other-ids", "alice"])
    #expect(right.status == 0 && !right.stdout.contains("--student"))
  }
}
