import Foundation
import Grader

/// The `grade` command line: parses the arguments, calls the library, prints, returns the exit code.
///
/// ```
/// exit codes   0  every item passes        1  some item does not
///             64  usage error             65  unreadable assignment or submission
///             75  not graded (infrastructure): a full disk, an I/O error, a sandbox that
///                 could not start; nothing was concluded about the submission, try again
/// ```
public enum GradeCommand {
  public enum ExitCode {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    /// The grader could not do its part (EX_TEMPFAIL): never a statement about the submission.
    public static let infrastructure: Int32 = 75
  }

  /// A subcommand: its name, one line of abstract, its usage and help, and what it runs.
  struct Subcommand {
    var name: String
    var abstract: String
    var usage: String
    var help: String
    var options: [String]
    var flags: [String]
    var run: (Arguments) throws -> Int32
  }

  static let globalOptions = ["--assignments"]

  static var subcommands: [Subcommand] {
    [
      Subcommand(
        name: "list", abstract: "List the assignments and their items.",
        usage: "grade list [--assignments <dir>]",
        help: """
          Lists every assignment under the assignments folder, with its items and points.

          EXAMPLE:
            grade list
          """,
        options: globalOptions, flags: [], run: Commands.list),
      Subcommand(
        name: "inputs", abstract: "Write a student's inputs for an assignment.",
        usage: "grade inputs <assignment> --student <id> --out <file.npz|file.json|file.safetensors|folder/> [--hidden-set <k> --key-file <file>]",
        help: """
          Writes the inputs of one student. Every student gets different numbers; the same id
          always gets the same ones. The format follows the extension of --out.

          OPTIONS:
            --hidden-set <k>    hidden input set k (1, 2, …) instead: the inputs students' code
                                is also run on in graded runs; needs the course key
            --key-file <file>   the course key (default: $\(CourseKey.environmentVariable))

          EXAMPLE:
            grade inputs rnn-bptt --student alice --out alice-inputs.npz
          """,
        options: globalOptions + ["--student", "--out", "--hidden-set", "--key-file"], flags: [], run: Commands.inputs),
      Subcommand(
        name: "reference", abstract: "Write the reference value of every item for a student.",
        usage: "grade reference <assignment> --student <id> --out <file.npz|file.json|file.safetensors|folder/> --key-file <file> [--hidden-set <k>]",
        help: """
          Writes every item of the assignment, under its item id, computed by the reference
          libraries at the student's inputs (or at hidden input set k). For the course staff:
          the reference at a student's inputs is the answer of an array submission, so this
          command needs the course key.

          OPTIONS:
            --key-file <file>   the course key (default: $\(CourseKey.environmentVariable); required)
            --hidden-set <k>    at hidden input set k (1, 2, …) of the student

          EXAMPLE:
            grade reference rnn-bptt --student alice --out alice-reference.json --key-file course.key
          """,
        options: globalOptions + ["--student", "--out", "--key-file", "--hidden-set"], flags: [], run: Commands.reference),
      Subcommand(
        name: "check", abstract: "Grade a submission and print a report per item.",
        usage: "grade check <assignment> <submission> --student <id> [--key-file <file>] [--format text|json|markdown|html|junit|gradescope|prairielearn|record] [--out <file>] [--rubric <file>] [--show-hidden] [--show-reference] [--timing] [--no-timing] [--other-ids <a,b>]",
        help: """
          Grades a submission: a file or folder of arrays named by item id (.json, .npz, .npy,
          .safetensors), the student's Python code (a solution.py, or a folder holding one,
          filled in from the assignment's starter-python/), run with python3 and NumPy, the
          student's Swift code (a Solution.swift, or a folder of .swift files filled in from the
          assignment's starter), compiled, or formulas (answers.md, answers.tex or answers.txt
          with one 'item: formula' per line, or a JSON object of strings; 'grade formulas
          <assignment>' lists the names they may use). Code runs item by item in a sandbox. A
          folder may mix formulas with arrays or code. Every item is compared with the reference
          and with a numeric gradient at the student's inputs; a formula also at random points of
          the model that the student never sees. A self-check of a file of formulas may leave out
          --student.

          Without the course key this is a self-check, and every report says so: the code runs
          at the student's own inputs only, and the score is not a grade. With the key
          (--key-file, or $\(CourseKey.environmentVariable)) it is a graded run: the code also
          runs on the hidden input sets the key derives, and an item counts only if it is right
          there too. Reports show no reference value unless the rubric says "feedback": "full".

          OPTIONS:
            --student <id>      whose inputs the submission was computed from (required)
            --format <format>   text (default), json, markdown, html (one page with
                                pictures), junit (JUnit XML for CI), gradescope
                                (results.json), prairielearn (external grader results),
                                or record (every field and value, as grade batch stores it)
            --out <file>        write the report there instead of standard output
            --rubric <file>     a rubric other than the assignment's own
            --key-file <file>   the course key: a graded run instead of a self-check
            --show-hidden       show hidden items' details (for instructors)
            --show-reference    show reference values whatever the rubric (needs the key)
            --timing            print the time grading took to standard error
            --no-timing         write 0 for the time grading took, so that the same
                                submission gives the same bytes in every format
            --isolation <mode>  for code: auto (default: bubblewrap when installed,
                                else resource limits), bubblewrap or rlimits
            --timeout <seconds> for code: wall-clock limit per item (default 10)
            --other-ids <a,b>   other ids the student may have made the inputs with: when
                                nothing passes and no known mistake matches, the report
                                says which of them the answers match (or to check --student)
            --other-ids-file <file>  the same, one id per line (a roster; grade batch
                                passes its own)

          EXIT CODES: 0 every item passes, 1 some item does not, 64 usage error,
          65 unreadable assignment or submission (also: a file that is a link leaving
          the submission, a FIFO, a device or a socket), 75 not graded for a reason of
          the grader's (a full disk, an I/O error, a sandbox that could not start).

          EXAMPLE:
            grade check rnn-bptt my-gradients.npz --student alice
            grade check rnn-bptt MySolution/ --student alice --format json
            grade check backprop-basics answers.md
            grade check rnn-bptt solution.py --student alice
          """,
        options: globalOptions + ["--student", "--format", "--out", "--rubric", "--numeric-seed", "--isolation", "--timeout", "--key-file", "--other-ids", "--other-ids-file"],
        flags: ["--show-hidden", "--show-reference", "--timing", "--no-timing"], run: Commands.check),
      Subcommand(
        name: "demo", abstract: "Grade the bundled example submission and print its report.",
        usage: "grade demo [<assignment>]",
        help: """
          Grades the worked example shipped with an assignment (rnn-bptt by default), for the
          student id 'demo', and prints the report.

          EXAMPLE:
            grade demo
            grade demo backprop-basics
          """,
        options: globalOptions + ["--format"], flags: [], run: Commands.demo),
      ExplainCommand.subcommand,
      FormulasCommand.subcommand,
      StarterCommand.subcommand,
      BatchCommand.subcommand,
      MergeCommand.subcommand,
      RegradeCommand.subcommand,
      GradescopeBundleCommand.subcommand,
      KeyCommand.subcommand,
    ]
  }

  /// Runs `grade <arguments>`, writing to `console`, and returns the exit code.
  /// The process's exit status for `code`: a grader being stopped by a signal does not exit on its
  /// own (its handler removes the workspaces, then the signal ends it), so this waits there.
  public static func exitCode(_ code: Int32) -> Int32 {
    StoppingGrader.waitIfStopping()
    return code
  }

  public static func run(arguments: [String], console: Console = .standard) -> Int32 {
    // A worker's jobs run in a process that has done so already.
    if WorkerCommand.loads == nil { WorkerProcess.dieWithParent() }
    guard let first = arguments.first else {
      console.print(overview)
      return ExitCode.success
    }
    if first == "--help" || first == "-h" || first == "help" {
      if first == "help", arguments.count > 1, let sub = subcommands.first(where: { $0.name == arguments[1] }) {
        console.print(help(sub))
      } else {
        console.print(overview)
      }
      return ExitCode.success
    }
    if first == WorkerCommand.name {
      return WorkerCommand.run(Array(arguments.dropFirst()))
    }
    if first == "--version" {
      console.print("grade \(GraderVersion.current)")
      return ExitCode.success
    }
    guard let sub = subcommands.first(where: { $0.name == first }) else {
      var message = "Unknown command '\(first)'"
      if let close = subcommands.map(\.name).min(by: { editDistance($0, first) < editDistance($1, first) }), editDistance(close, first) <= 3 {
        message += "\nDid you mean '\(close)'?"
      }
      console.error("Error: \(message)\nUsage: grade <command> [<arguments>]\nSee 'grade --help' for more information.")
      return ExitCode.usage
    }
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
      console.print(help(sub))
      return ExitCode.success
    }
    do {
      var parsed = try Arguments(rest, options: sub.options, flags: sub.flags)
      parsed.console = console
      return try sub.run(parsed)
    } catch let error as UsageError {
      console.error("Error: \(error.message)\nUsage: \(sub.usage)\nSee 'grade \(sub.name) --help' for more information.")
      return ExitCode.usage
    } catch let error as DataFileError {
      console.error("Error: \(error)")
      return ExitCode.dataError
    } catch let error as InfrastructureError {
      console.error("Error: \(error)")
      return ExitCode.infrastructure
    } catch let error as FileWriteError {
      console.error("Error: \(error)")
      return ExitCode.infrastructure
    } catch let error as AtomicFileError {
      console.error("Error: \(error)")
      return ExitCode.infrastructure
    } catch {
      // A file that could not be written, a full disk: the system's, not the input's fault.
      if SystemErrorText.isSystemError(error) {
        console.error("Error: \(SystemErrorText.sentence(error))")
        return ExitCode.infrastructure
      }
      console.error("Error: \(error)")
      return ExitCode.dataError
    }
  }

  static var overview: String {
    let width = subcommands.map(\.name.count).max() ?? 8
    let list = subcommands.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.abstract)" }.joined(separator: "\n")
    return """
      OVERVIEW: Check gradient derivations and grade deep-learning homework.

      USAGE: grade <command> [<arguments>]

      COMMANDS:
      \(list)

      OPTIONS:
        --assignments <dir>   the folder of assignments (default: ./Assignments, or the package's)
        -h, --help            show help for grade or a command
        --version             show the version

      EXAMPLES:
        grade demo
        grade inputs rnn-bptt --student alice --out alice.npz
        grade check rnn-bptt my-gradients.npz --student alice

      See 'grade <command> --help' for a command's options.
      """
  }

  static func help(_ sub: Subcommand) -> String {
    "OVERVIEW: \(sub.abstract)\n\nUSAGE: \(sub.usage)\n\n\(sub.help)"
  }
}
