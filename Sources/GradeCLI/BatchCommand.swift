import Foundation
import Grader

/// `grade batch`: grades a folder of submissions, one per student.
enum BatchCommand {
  static var subcommand: GradeCommand.Subcommand {
    GradeCommand.Subcommand(
      name: "batch", abstract: "Grade a folder of submissions, one per student, in parallel.",
      usage: "grade batch <assignment> <submissions-dir> --out <dir> (--key-file <file> | --self-check) [--jobs <n>] [--timeout <seconds>] [--rubric <file>] [--quiet] [--no-timing] [--shard <i/N|auto/N>] [--one-process-per-student]",
      help: """
        Grades every submission in a folder: one file or sub-folder per student, named by the
        student id: arrays (alice.npz), Python code (carol.py, or dave/solution.py), Swift code
        (bob/ with .swift files). Students are graded several at once, each in a process of
        its own, so a submission that crashes the grader or never finishes costs only its own
        result: arrays and formulas by long-lived workers (about one per --jobs), each grading
        student after student as 'grade check … --format record' would, and replaced when one
        dies or outlives the timeout (its student then graded again alone); code by a child
        process per student, whose items run in the sandbox.

        A batch grades: it needs the course key (--key-file, or $\(CourseKey.environmentVariable)),
        from which the hidden input sets of students' code and the numeric seeds are derived.
        --self-check runs it without a key (\(CourseKey.environmentVariable) is then ignored), for
        practice: nothing it writes is a grade.

        Writes to the --out folder:
          gradebook.csv          student, score, max_score, status (graded, needs-review,
                                 unreadable, not-graded, practice, self-check), one column per item
          summary.md, .json      pass rate per item, the items that need review, the most
                                 common findings
          feedback/<id>.md       each student's report, in Markdown (no reference values unless
                                 the rubric says "feedback": "full")
          feedback/<id>.html     and as one self-contained page with pictures
          results/<id>.json      each student's complete result, reference values included: for
                                 the course staff only
          logs/<id>.log          the error output of gradings that crashed or timed out
          batch.json             what the folder was graded from (see below)
          rubrics/<sha256>.json  the rubric it was graded with, for 'grade regrade'

        Run it again after an interruption and it grades only the students without a complete
        result, writing the same gradebook byte for byte (the numeric checks use a fixed seed
        per student). Every file is written whole or not at all. A student the grader could
        not grade (a full disk, an I/O error, a grading that crashed or timed out) is marked
        not-graded with no score, and graded again by the next run. One batch at a time may
        write an --out folder: a second is refused, naming the first's pid. batch.json in the
        folder records what it was graded from (assignment, rubric and grader, by SHA-256), and
        every result the SHA-256 of its submission, for 'grade regrade'.

        SHARDS (a class too large for one machine):
          --shard i/N grades only the i-th of N slices of the roster (0 ≤ i < N), on as many
          machines as you like; 'grade merge' then writes the gradebook, summaries and feedback
          exactly as one run would. A student's shard is fixed by their id alone (SHA-256 of the
          id, mod N), so adding students moves nobody else. --shard auto/N (or --shard N) reads
          i from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), else SLURM_ARRAY_TASK_ID minus
          SLURM_ARRAY_TASK_MIN (a Slurm job array). A shard's folder holds its students' results/,
          feedback/ and logs/ and batch.json (which shard, of how many, which students, the
          hashes), no gradebook. A shard killed midway is resumed by running it again.

        OPTIONS:
          --out <dir>           where to write (created if needed; required)
          --key-file <file>     the course key (default: $\(CourseKey.environmentVariable))
          --self-check          no key: a practice run, not a grade
          --jobs <n>            students graded at once (default: the number of cores)
          --timeout <seconds>   stop a student's grading after this long (default: 300)
          --rubric <file>       a rubric other than the assignment's own
          --quiet               no progress (a bar on a terminal, else a line per student)
          --no-timing           write 0 for every time taken (results/, the last line), so
                                that two runs write the same bytes
          --shard <i/N|auto/N>  grade shard i of N only (see SHARDS)
          --one-process-per-student
                                no workers: a child process for every student (slower for
                                arrays; the same results, byte for byte)

        EXIT CODES: 0 every student graded (whatever their scores), 1 some student not graded,
        64 usage error, 65 unreadable assignment or submissions folder, or --out in use by
        another batch, 75 the batch itself could not write (a full disk, an I/O error).

        EXAMPLE:
          grade batch rnn-bptt submissions/ --out graded/ --key-file course.key --jobs 4
          grade batch rnn-bptt submissions/ --out shard-3/ --key-file course.key --shard 3/64
          JOB_COMPLETION_INDEX=3 grade batch rnn-bptt submissions/ --out shard-3/ --shard auto/64 …
        """,
      options: GradeCommand.globalOptions + ["--out", "--jobs", "--timeout", "--rubric", "--key-file", "--shard"],
      flags: ["--quiet", "--self-check", "--no-timing", "--one-process-per-student"], run: run)
  }

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 2)
    let name = try Commands.requireAssignment(args)
    guard args.positional.count >= 2 else { throw UsageError("Missing expected argument '<submissions-dir>'") }
    guard let outPath = args.option("--out") else { throw UsageError("Missing expected argument '--out <dir>'") }
    let jobs = try positiveNumber(args, "--jobs", default: ProcessInfo.processInfo.activeProcessorCount)
    let timeout = try positiveNumber(args, "--timeout", default: 300)
    // --self-check runs without a key: it ignores GRADE_COURSE_KEY_FILE, and refuses --key-file.
    if args.flag("--self-check") && args.option("--key-file") != nil {
      throw UsageError("--self-check runs without the course key, but --key-file was given; choose one")
    }
    let keyURL = args.flag("--self-check") ? nil : CourseKey.locate(option: args.option("--key-file"))
    if !args.flag("--self-check") && keyURL == nil {
      throw UsageError("grade batch grades a class and needs the course key: give --key-file <file> or set \(CourseKey.environmentVariable) (make a key with 'grade key new'), or --self-check for a practice run that grades nothing")
    }
    let key = try keyURL.map { url in try CourseKey.load(url) }
    let shard: BatchShard?
    do {
      shard = try args.option("--shard").map { spec throws(BatchShardError) in try BatchShard.parse(spec, environment: ProcessInfo.processInfo.environment) }
    } catch {
      throw UsageError(error.description)
    }

    let catalog = Commands.catalog(args)
    let rubricURL = args.option("--rubric").map { URL(fileURLWithPath: $0).standardizedFileURL }
    let (assignment, rubric) = try catalog.load(name, rubric: rubricURL)
    let grader = Autograder(assignment: assignment, rubric: rubric, courseKey: key)
    let folder = URL(fileURLWithPath: args.positional[1]).standardizedFileURL
    let out = URL(fileURLWithPath: outPath).standardizedFileURL

    let submissions: [BatchSubmission]
    do {
      submissions = try BatchRoster.scan(folder, excluding: [out])
    } catch {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    }
    let timing = !args.flag("--no-timing")
    // The roster's ids: a submission made with another student's inputs names that student.
    let roster = try? writeRoster(submissions)
    defer { roster.map { try? FileManager.default.removeItem(at: $0) } }
    let child = makeChild(catalog: catalog, assignment: assignment, rubric: rubricURL, key: keyURL, timing: timing, timeout: timeout, roster: roster)
    WorkerProcess.removeStaleScratch(in: FileManager.default.temporaryDirectory, prefix: BatchChild.scratchPrefix)
    // A stand-in for each student's grading (GRADE_BATCH_WORKER) replaces single-use children.
    let pool = args.flag("--one-process-per-student") || ProcessInfo.processInfo.environment["GRADE_BATCH_WORKER"].map { !$0.isEmpty } == true
      ? nil
      : WorkerPool(single: child, executable: ownExecutable(), assignment: assignment.id)
    defer { pool?.shutdown() }
    // The batch renders and writes student after student: it keeps its freed memory too.
    WorkerCommand.keepFreedMemory()
    var runner = BatchRunner(grader: grader, output: out, jobs: jobs, timeout: TimeInterval(timeout), grading: pool ?? child)
    runner.shard = shard
    runner.submissionsFolder = folder
    let outcome = try runner.run(submissions, progressStyle: args.flag("--quiet") ? .silent : .automatic)

    let s = outcome.summary
    let took = timing ? " in \(String(format: "%.1f", outcome.seconds)) s" : ""
    let of = shard.map { " (shard \($0.index) of \($0.count), of \(submissions.count) in the roster)" } ?? ""
    var lines = ["\(key == nil ? "Self-checked (not graded)" : "Graded") \(outcome.reports.count) students of \(assignment.id)\(of)\(took) (\(outcome.gradedNow) now, \(outcome.resumed) from an earlier run, \(jobs) at a time)."]
    lines.append("Mean score \(BatchSummary.decimal(s.meanScore))/\(ItemResult.points(s.maxScore)), median \(BatchSummary.decimal(s.medianScore)); \(s.fullMarks) with full marks.")
    if !outcome.ungraded.isEmpty {
      lines.append("Not graded (infrastructure: a crash, a time limit or an I/O error; see logs/; run the batch again to grade them): \(outcome.ungraded.joined(separator: ", ")).")
    }
    if !s.needsReview.isEmpty {
      lines.append("Needs review (the grader could not verify these items; 0 points until you look): \(s.needsReview.map { "\($0.student) \($0.item)" }.joined(separator: ", ")).")
    }
    if let shard {
      lines.append("Wrote results/, feedback/ and batch.json of shard \(shard.index) of \(shard.count) in \(out.path); 'grade merge' joins the shards' folders into the gradebook.")
    } else {
      lines.append("Wrote \(runner.gradebookURL.path), summary.md, and feedback/ (Markdown and HTML) in \(out.path).")
    }
    args.console.print(lines.joined(separator: "\n"))
    return outcome.ungraded.isEmpty ? GradeCommand.ExitCode.success : GradeCommand.ExitCode.failure
  }

  /// How each student of a batch (or a regrade) is graded: a `grade check` child with the
  /// batch's assignment, rubric, key and timing.
  static func makeChild(catalog: AssignmentCatalog, assignment: Assignment, rubric: URL?, key: URL?, timing: Bool, timeout: Int, roster: URL?) -> BatchChild {
    var shared = ["--assignments", catalog.root.standardizedFileURL.path]
    if let rubric { shared += ["--rubric", rubric.path] }
    if let key { shared += ["--key-file", key.standardizedFileURL.path] }
    if !timing { shared.append("--no-timing") }
    if let roster { shared += ["--other-ids-file", roster.path] }
    return BatchChild(
      executable: workerExecutable(), assignmentArgument: assignment.directory.standardizedFileURL.path,
      sharedOptions: shared, timeout: TimeInterval(timeout))
  }

  /// The ids of the whole roster, one a line, in a temporary file the children read
  /// (`--other-ids-file`); the caller removes it.
  static func writeRoster(_ submissions: [BatchSubmission]) throws -> URL {
    let roster = FileManager.default.temporaryDirectory.appendingPathComponent("\(BatchChild.scratchPrefix)\(getpid())-roster.txt")
    try submissions.map(\.student).joined(separator: "\n").write(to: roster, atomically: true, encoding: .utf8)
    return roster
  }

  static func positiveNumber(_ args: Arguments, _ name: String, default value: Int) throws -> Int {
    guard let text = args.option(name) else { return value }
    guard let n = Int(text), n > 0 else {
      throw UsageError("The value '\(text)' is invalid for '\(name) <n>': expected a whole number above 0")
    }
    return n
  }

  /// The executable each student's grading runs: this `grade` itself, or `GRADE_BATCH_WORKER`
  /// when set (a stand-in used to test how a batch survives crashing and looping gradings).
  static func workerExecutable() -> URL {
    if let path = ProcessInfo.processInfo.environment["GRADE_BATCH_WORKER"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    return ownExecutable()
  }

  /// This `grade` executable.
  static func ownExecutable() -> URL {
    let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    if FileManager.default.isExecutableFile(atPath: own.path), own.path != "/proc/self/exe" { return own }
    if let main = Bundle.main.executableURL { return main }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
  }
}
