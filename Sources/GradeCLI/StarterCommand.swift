import Foundation
import Grader

/// `grade starter <assignment> --out <dir>`: the starter files generated from the assignment.
enum StarterCommand {
  static let subcommand = GradeCommand.Subcommand(
    name: "starter", abstract: "Write the starter files of an assignment, generated from it.",
    usage: "grade starter <assignment> --out <dir> [--assignments <dir>]",
    help: """
      Writes the Swift starter of an assignment into a folder: Inputs.swift (one field per
      input, in the order assignment.json declares them, and the sizes they show) and
      Solution.swift (one function per item, with its statement and shape, returning nil until
      it is filled in). Both come from assignment.json, so a new assignment needs no hand-written
      starter. The grader always compiles a submission with the generated Inputs.swift.

      OPTIONS:
        --out <dir>         the folder to write (created if needed; required)

      EXAMPLE:
        grade starter rnn-bptt --out MySolution
      """,
    options: GradeCommand.globalOptions + ["--out"], flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 1)
    let name = try Commands.requireAssignment(args)
    let out = try Commands.requireOut(args)
    let (assignment, _) = try Commands.catalog(args).load(name)
    let files = SwiftStarter.files(for: assignment)
    try FileWriteError.writing(out.path) { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true) }
    for file in files {
      let url = out.appendingPathComponent(file.name)
      try FileWriteError.writing(url.path) { try Data(file.contents.utf8).write(to: url, options: .atomic) }
    }
    args.console.print("Wrote the starter of \(assignment.id) to \(out.path): \(files.map(\.name).joined(separator: ", ")).")
    return GradeCommand.ExitCode.success
  }
}
