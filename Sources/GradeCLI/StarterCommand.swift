import Foundation
import Grader

/// `grade starter <assignment> [--language swift|python] --out <dir>`: the starter files
/// generated from the assignment.
enum StarterCommand {
  static let languages = ["swift", "python"]

  static let subcommand = GradeCommand.Subcommand(
    name: "starter", abstract: "Write the starter files of an assignment, generated from it.",
    usage: "grade starter <assignment> --out <dir> [--language swift|python] [--assignments <dir>]",
    help: """
      Writes the starter of an assignment into a folder, generated from assignment.json, so a
      new assignment needs no hand-written starter.

      Swift (the default): Inputs.swift (one field per input, in the order assignment.json
      declares them, and the sizes they show) and Solution.swift (one function per item, with
      its statement and shape, returning nil until it is filled in). The grader always compiles
      a submission with the generated Inputs.swift.

      Python: solution.py, one function per item taking the inputs by name in the declared
      order, with the item's statement and shape in its docstring, returning None until it is
      filled in, and a local runner: python3 solution.py inputs.npz [answers.npz].

      OPTIONS:
        --out <dir>         the folder to write (created if needed; required)
        --language <name>   swift (default) or python

      EXAMPLE:
        grade starter rnn-bptt --out MySolution
        grade starter rnn-bptt --language python --out my-solution
      """,
    options: GradeCommand.globalOptions + ["--out", "--language"], flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 1)
    let name = try Commands.requireAssignment(args)
    let out = try Commands.requireOut(args)
    let language = args.option("--language") ?? "swift"
    guard languages.contains(language) else {
      throw UsageError("The value '\(language)' is invalid for '--language <name>': expected one of \(languages.joined(separator: ", "))")
    }
    let (assignment, _) = try Commands.catalog(args).load(name)
    let files = language == "python" ? PythonStarter.files(for: assignment) : SwiftStarter.files(for: assignment)
    try FileWriteError.writing(out.path) { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true) }
    for file in files {
      let url = out.appendingPathComponent(file.name)
      try FileWriteError.writing(url.path) { try Data(file.contents.utf8).write(to: url, options: .atomic) }
    }
    args.console.print("Wrote the starter of \(assignment.id) to \(out.path): \(files.map(\.name).joined(separator: ", ")).")
    return GradeCommand.ExitCode.success
  }
}
