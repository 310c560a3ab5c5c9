import Foundation
import Testing
import GradeCLI
import Grader

/// `GradeCommand.run(arguments:console:)` in-process: every line a command writes goes through the
/// console it is given, so another tool can run `grade` commands and keep their output.
@Suite("grade commands in-process, through an injected console")
struct InProcessCommandTests {
  static let assignmentsRoot = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")

  /// Runs `grade <arguments>` and returns the exit code and both streams.
  static func run(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    final class Box: @unchecked Sendable { var out = "", err = "" }
    let box = Box()
    let console = Console(out: { box.out += $0 }, error: { box.err += $0 })
    let status = GradeCommand.run(arguments: arguments, console: console)
    return (status, box.out, box.err)
  }

  @Test("`grade explain` prints the derivation; its help has USAGE and EXAMPLE; a bad item is a usage error")
  func explain() {
    let help = Self.run(["explain", "--help"])
    #expect(help.status == 0)
    #expect(help.out.contains("USAGE: grade explain"))
    #expect(help.out.contains("EXAMPLE"))
    let ok = Self.run(["explain", "backprop-basics", "dCE_dtheta", "--student", "ada", "--assignments", Self.assignmentsRoot.path])
    #expect(ok.status == 0, "\(ok.err)")
    #expect(ok.out.contains("∂CE/∂θ"))
    #expect(ok.err.isEmpty)
    let bad = Self.run(["explain", "rnn-bptt", "nope", "--assignments", Self.assignmentsRoot.path])
    #expect(bad.status == 64)
    #expect(bad.err.contains("'nope' is not an item of rnn-bptt"))
    #expect(bad.out.isEmpty)
  }

  @Test("`grade list` and a usage error write only to the console given")
  func listAndUsage() {
    let list = Self.run(["list", "--assignments", Self.assignmentsRoot.path])
    #expect(list.status == 0, "\(list.err)")
    for id in ["backprop-basics", "rnn-bptt", "rnn-canonical", "ngram-lm"] { #expect(list.out.contains(id)) }
    let usage = Self.run(["check"])
    #expect(usage.status == 64)
    #expect(usage.err.contains("Missing expected argument '<assignment>'"))
    #expect(usage.out.isEmpty)
  }
}
