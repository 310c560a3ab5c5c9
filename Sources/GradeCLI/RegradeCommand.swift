import Foundation
import Grader

/// `grade regrade`: grades a batch folder again after its rubric, assignment or grader changed.
enum RegradeCommand {
  static var subcommand: GradeCommand.Subcommand {
    GradeCommand.Subcommand(
      name: "regrade", abstract: "Grade a batch again after a rubric change, and list what changed.",
      usage: "grade regrade <graded-dir> (--key-file <file> | --self-check) [--never-lower] [--rubric <file>] [--submissions <dir>] [--jobs <n>] [--timeout <seconds>] [--quiet] [--no-timing]",
      help: """
        Grades the --out folder of 'grade batch' (or of 'grade merge') again with the current
        rubric (the file batch.json names, or --rubric), assignment and grader, touching only
        the results a change can affect. Each result records what it was graded from (the
        SHA-256 of the assignment, the rubric and the submission, and the grader's version):

          unchanged                       not run again
          an item's points or hidden flag re-scored from the stored result, without a run
          an item's tolerance             run again when some item fails (or, unless the
                                          tolerance only widened, a changed item passes);
                                          re-scored otherwise
          other rubric settings, the      run again
          assignment or the grader
          the submission changed since    not graded again, the graded result kept and listed
          it was graded, or is gone       in changes.csv with the reason (exit code 1): never
                                          a silent old score, never new bytes after grading

        Writes changes.csv beside the gradebook (student, old_score, new_score, items_changed,
        reason; a row per student whose score or an item changed, or who was kept), and
        gradebook.csv, summary.md, summary.json, feedback/ and results/ as a fresh batch with
        the new rubric would.

        OPTIONS:
          --key-file <file>     the course key (default: $\(CourseKey.environmentVariable))
          --self-check          regrade a --self-check batch (no key)
          --never-lower         a student whose new score is lower keeps the old result
          --rubric <file>       the new rubric (default: the file the batch was graded with,
                                as it is now)
          --submissions <dir>   the submissions folder (default: the one batch.json names)
          --jobs, --timeout, --quiet, --no-timing   as for grade batch

        EXIT CODES: 0 regraded, 1 some submission changed since grading or is gone, or some
        student not graded, 64 usage error, 65 unreadable folder, rubric or assignment.

        EXAMPLE:
          grade regrade graded/ --key-file course.key
          grade regrade graded/ --key-file course.key --never-lower --rubric Rubrics/rnn-bptt-v2.json
        """,
      options: GradeCommand.globalOptions + ["--rubric", "--submissions", "--jobs", "--timeout", "--key-file"],
      flags: ["--never-lower", "--self-check", "--quiet", "--no-timing"], run: run)
  }

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 1)
    guard let path = args.positional.first else { throw UsageError("Missing expected argument '<graded-dir>'") }
    let folder = URL(fileURLWithPath: path).standardizedFileURL
    let manifest: BatchManifest
    do { manifest = try BatchManifest.read(folder) } catch {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    }
    let jobs = try BatchCommand.positiveNumber(args, "--jobs", default: ProcessInfo.processInfo.activeProcessorCount)
    let timeout = try BatchCommand.positiveNumber(args, "--timeout", default: 300)
    if args.flag("--self-check") && args.option("--key-file") != nil {
      throw UsageError("--self-check runs without the course key, but --key-file was given; choose one")
    }
    let keyURL = args.flag("--self-check") ? nil : CourseKey.locate(option: args.option("--key-file"))
    if (manifest.mode == .graded) != (keyURL != nil) {
      throw UsageError(manifest.mode == .graded
        ? "\(folder.path) was graded with the course key, and a regrade needs it too: give --key-file <file> or set \(CourseKey.environmentVariable)"
        : "\(folder.path) is a --self-check batch: regrade it with --self-check")
    }
    let key = try keyURL.map { url in try CourseKey.load(url) }
    let catalog = Commands.catalog(args)
    let directory = URL(fileURLWithPath: manifest.assignmentDirectory)
    let name = FileManager.default.fileExists(atPath: directory.appendingPathComponent("assignment.json").path) ? directory.path : manifest.assignment
    let rubricURL = URL(fileURLWithPath: args.option("--rubric") ?? manifest.rubricFile).standardizedFileURL
    let (assignment, rubric) = try catalog.load(name, rubric: rubricURL)
    let grader = Autograder(assignment: assignment, rubric: rubric, courseKey: key)
    // The whole roster, as the batch gave its children (a re-run then reads as a fresh grading).
    let submissionsFolder = URL(fileURLWithPath: args.option("--submissions") ?? manifest.submissions).standardizedFileURL
    let roster = (try? BatchRoster.scan(submissionsFolder, excluding: [folder])).flatMap { try? BatchCommand.writeRoster($0) }
    defer { roster.map { try? FileManager.default.removeItem(at: $0) } }
    let child = BatchCommand.makeChild(catalog: catalog, assignment: assignment, rubric: rubricURL, key: keyURL, timing: !args.flag("--no-timing"), timeout: timeout, roster: roster)
    let runner = BatchRunner(grader: grader, output: folder, jobs: jobs, timeout: TimeInterval(timeout), grading: child)
    let regrade = Regrade(runner: runner, submissions: args.option("--submissions").map { URL(fileURLWithPath: $0).standardizedFileURL },
                          neverLower: args.flag("--never-lower"))
    let outcome: Regrade.Outcome
    do {
      outcome = try regrade.run(progressStyle: args.flag("--quiet") ? .silent : .automatic)
    } catch let error as RegradeError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    } catch let error as BatchError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    } catch let error as BatchManifestError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    }
    var lines = ["Regraded \(outcome.decisions.count) students of \(assignment.id): \(outcome.reran.count) run again, \(outcome.rescored.count) re-scored, \(outcome.unchanged) unchanged, \(outcome.kept.count) kept; \(outcome.changes.count) in changes.csv."]
    if !outcome.kept.isEmpty {
      lines.append("Kept as graded (the submission changed since it was graded, or is gone; see changes.csv): \(outcome.kept.joined(separator: ", ")).")
    }
    if !outcome.newStudents.isEmpty {
      lines.append("Not in the graded folder (not graded here; run grade batch): \(outcome.newStudents.joined(separator: ", ")).")
    }
    let ungraded = outcome.reports.filter { GradebookStatus($0) == .notGraded }.map(\.student)
    if !ungraded.isEmpty { lines.append("Not graded (infrastructure; run grade regrade again): \(ungraded.joined(separator: ", ")).") }
    lines.append("Wrote \(folder.appendingPathComponent("changes.csv").path), gradebook.csv, summary.md and feedback/ in \(folder.path).")
    args.console.print(lines.joined(separator: "\n"))
    return outcome.kept.isEmpty && ungraded.isEmpty ? GradeCommand.ExitCode.success : GradeCommand.ExitCode.failure
  }
}
