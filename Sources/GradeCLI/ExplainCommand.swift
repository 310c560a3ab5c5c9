import Foundation
import Grader

/// `grade explain <assignment> <item> [--student <id>]`: the derivation of one item at a
/// student's inputs, step by step in the notes' notation (`Explainer`, rendered as text).
enum ExplainCommand {
  static let subcommand = GradeCommand.Subcommand(
    name: "explain", abstract: "Print the derivation of an item at a student's inputs.",
    usage: "grade explain <assignment> <item> [--student <id>] [--assignments <dir>]",
    help: """
      Prints the derivation of one item, in the notation of the notes, for the inputs of a
      student (default 'demo'): the chain of Jacobians with their shapes, the error signals δ,
      the outer products and, for BPTT, every per-timestep term ∂J^(t)/∂W_h|_(i) with its
      Frobenius norm, then the item's value. Small values are printed in full.

      OPTIONS:
        --student <id>      whose inputs to use (default: demo)

      EXAMPLE:
        grade explain rnn-bptt dW_h --student alice
        grade explain backprop-basics dCE_dtheta
      """,
    options: GradeCommand.globalOptions + ["--student"], flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 2)
    let name = try Commands.requireAssignment(args)
    guard args.positional.count >= 2 else { throw UsageError("Missing expected argument '<item>'") }
    let item = args.positional[1]
    let student = args.option("--student") ?? "demo"
    if student.isEmpty { throw UsageError("The value '' is invalid for '--student <id>': expected a student id") }
    let (assignment, _) = try Commands.catalog(args).load(name)
    do {
      let explanation = try Explainer.explain(assignment: assignment, item: item, student: student)
      args.console.print(explanation.rendered(), terminator: "")
      return GradeCommand.ExitCode.success
    } catch {
      throw UsageError(error.description)
    }
  }
}
