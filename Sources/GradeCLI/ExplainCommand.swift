import Foundation
import Grader

/// `grade explain <assignment> <item> [--student <id>]`: the derivation of one item at a
/// student's inputs, step by step in the notes' notation (`Explainer`, rendered as text).
enum ExplainCommand {
  static let subcommand = GradeCommand.Subcommand(
    name: "explain", abstract: "Print the derivation of an item at a student's inputs.",
    usage: "grade explain <assignment> <item> [--student <id>] [--key-file <file>] [--assignments <dir>]",
    help: """
      Prints the derivation of one item, in the notation of the notes, for the inputs of a
      student (default 'demo'): the chain of Jacobians with their shapes, the error signals δ,
      the outer products and, for BPTT, every per-timestep term ∂J^(t)/∂W_h|_(i) with its
      Frobenius norm, then the item's value. Small values are printed in full.

      The numbers are printed at the demo inputs, whose answers ship with the assignment. At
      another student's inputs they would be that student's reference, so the derivation shows
      formulas and shapes only — unless the rubric says "feedback": "full", or the course key is
      given (the course staff's view).

      OPTIONS:
        --student <id>      whose inputs to use (default: demo)
        --key-file <file>   the course key: every number at any student's inputs

      EXAMPLE:
        grade explain rnn-bptt dW_h --student alice
        grade explain backprop-basics dCE_dtheta
      """,
    options: GradeCommand.globalOptions + ["--student", "--key-file"], flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 2)
    let name = try Commands.requireAssignment(args)
    guard args.positional.count >= 2 else { throw UsageError("Missing expected argument '<item>'") }
    let item = args.positional[1]
    let student = args.option("--student") ?? "demo"
    if student.isEmpty { throw UsageError("The value '' is invalid for '--student <id>': expected a student id") }
    let key = try Commands.courseKey(args)
    let (assignment, rubric) = try Commands.catalog(args).load(name)
    let values = student == Explainer.demoStudent || rubric.feedback == .full || key != nil
    do {
      let explanation = try Explainer.explain(assignment: assignment, item: item, student: student, values: values)
      let text = explanation.rendered()
      let width = args.console === Console.standard ? TerminalWrapping.outputWidth() : nil
      args.console.print(width.map { wrapped(text, width: $0) } ?? text, terminator: "")
      return GradeCommand.ExitCode.success
    } catch {
      throw UsageError(error.description)
    }
  }

  /// The derivation for a terminal: prose lines wrapped under their own indent, matrix rows
  /// (`[ … ]`, aligned in columns) kept whole.
  static func wrapped(_ text: String, width: Int) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      let trimmed = line.drop { $0 == " " }
      if trimmed.hasPrefix("[") || trimmed.hasPrefix("⎡") || trimmed.hasPrefix("⎢") || trimmed.hasPrefix("⎣") { return String(line) }
      return TerminalWrapping.wrap(String(line), width: width, indent: line.count - trimmed.count + 3)
    }.joined(separator: "\n")
  }
}
