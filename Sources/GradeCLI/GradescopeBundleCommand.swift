import Foundation
import Grader

/// `grade gradescope-bundle`: writes a Gradescope autograder ZIP for one assignment.
enum GradescopeBundleCommand {
  /// The Swift release `setup.sh` installs unless told otherwise: the one this package is built
  /// and tested with.
  static let defaultSwiftVersion = "6.3.1"

  static var subcommand: GradeCommand.Subcommand {
    GradeCommand.Subcommand(
      name: "gradescope-bundle", abstract: "Write a Gradescope autograder (.zip) for an assignment.",
      usage: "grade gradescope-bundle <assignment> --out <autograder.zip> --key-file <file> [--student-field email|sid|id|name] [--swift-version <x.y.z>] [--rubric <file>] [--package <dir>]",
      help: """
        Writes the ZIP to upload as a Gradescope "programming assignment" autograder. It holds
        setup.sh, run_autograder and the grader's package sources with the assignment and rubric,
        and the course key (course.key): every Gradescope run is a graded run, with the hidden
        input sets the key derives. Keep the ZIP private, like the key itself.

        On Gradescope, setup.sh runs once when the image is built: it downloads the Swift
        toolchain for the image's Ubuntu release from download.swift.org, builds 'grade', and
        installs python3 with NumPy (and the rubric's python_packages) for Python submissions.
        run_autograder runs per submission: it grades the uploaded file (or the folder of
        uploaded files) with 'grade check --format gradescope', taking the student id from
        submission_metadata.json, and always writes /autograder/results/results.json — a score
        of 0 with the reason when grading fails. Hidden items are shown after publication.

        Students must compute their answers from the inputs of the same id:
          grade inputs <assignment> --student <their email> --out inputs.npz

        OPTIONS:
          --out <file>             the ZIP to write (required)
          --key-file <file>        the course key (default: $\(CourseKey.environmentVariable); required)
          --student-field <field>  users[0] field used as the student id (default: email)
          --swift-version <x.y.z>  the Swift release setup.sh installs (default: \(defaultSwiftVersion))
          --rubric <file>          a rubric other than the assignment's own
          --package <dir>          the grader package to bundle (default: the one grade was built from)

        The bundle's Package.swift is generated: 'grade' and the libraries it is built from,
        no tests or benchmarks. To try it as Gradescope would: unzip into <dir>/source, run
        AUTOGRADER_ROOT=<dir> GRADE_TOOLCHAIN=present bash <dir>/source/setup.sh (it builds
        <dir>/source/.build/release/grade with the Swift already installed), put a submission
        in <dir>/submission, then AUTOGRADER_ROOT=<dir> GRADE_STUDENT=<id>
        bash <dir>/source/run_autograder. Scripts/gradescope-bundle-check.sh does all of it.

        EXAMPLE:
          grade gradescope-bundle rnn-bptt --out autograder.zip --key-file course.key
        """,
      options: GradeCommand.globalOptions + ["--out", "--student-field", "--swift-version", "--rubric", "--package", "--key-file"],
      flags: [], run: run)
  }

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 1)
    let name = try Commands.requireAssignment(args)
    let out = try Commands.requireOut(args)
    let field = args.option("--student-field") ?? "email"
    guard GradescopeBundle.studentFields.contains(field) else {
      throw UsageError("The value '\(field)' is invalid for '--student-field <field>': expected one of \(GradescopeBundle.studentFields.joined(separator: ", "))")
    }
    let version = args.option("--swift-version") ?? defaultSwiftVersion
    guard version.split(separator: ".").count >= 2, version.allSatisfy({ $0.isNumber || $0 == "." }) else {
      throw UsageError("The value '\(version)' is invalid for '--swift-version <x.y.z>': expected a release number such as \(defaultSwiftVersion)")
    }
    let key = try Commands.requireCourseKey(args, for: "A Gradescope autograder grades, so it")
    let rubricOverride = args.option("--rubric").map { URL(fileURLWithPath: $0) }
    let (assignment, rubric) = try Commands.catalog(args).load(name, rubric: rubricOverride)
    let package = args.option("--package").map { URL(fileURLWithPath: $0) } ?? AssignmentCatalog.packageRoot
    let bundle = GradescopeBundle(
      assignment: assignment, rubricFile: rubricOverride ?? URL(fileURLWithPath: rubric.file),
      packageRoot: package, swiftVersion: version, studentField: field, courseKey: key, pythonPackages: rubric.pythonPackages)
    let members = try bundle.members()
    let archive = try bundle.archive()
    try FileWriteError.writing(out.path) { try AtomicFile.write(archive, to: out) }
    chmod(out.path, 0o600)   // it holds the key: readable by its owner only
    args.console.print("Wrote \(out.path): a Gradescope autograder for \(assignment.id) (\(members.count) files; Swift \(version); student id from submission metadata '\(field)'). It holds the course key: keep it private.")
    return GradeCommand.ExitCode.success
  }
}
