import Foundation
import Grader

/// `grade key new`: a new course key, and how every command finds the key it is given.
enum KeyCommand {
  static let subcommand = GradeCommand.Subcommand(
    name: "key", abstract: "Make a new course key (for instructors).",
    usage: "grade key new [--out <file>]",
    help: """
      Writes a new course key: 256 random bits from the system's cryptographically secure
      generator, in hexadecimal, after comment lines saying what it is. The key makes grading
      trustworthy: the hidden input sets students' code is also run on, and the seed of the
      sampled numeric checks, are derived from it (HMAC-SHA256), so nobody without it can
      compute them. Without a key, 'grade check' is a self-check, not a grade.

      Give it to the commands that grade with --key-file <file> or the environment variable
      \(CourseKey.environmentVariable): check, batch, reference, inputs --hidden-set, explain,
      gradescope-bundle.

      Keep it private: readable by you only (chmod 600; the grader refuses a key file others may
      read), outside the course repository, and backed up — without the same key, a batch cannot
      be resumed or graded again with the same hidden sets. A Gradescope bundle carries a copy, so
      keep the bundle private too. Make one key per course (or per term); share it only with the
      course staff.

      OPTIONS:
        --out <file>   write the key there, readable by you only (default: standard output)

      EXAMPLE:
        grade key new > course.key && chmod 600 course.key
        grade key new --out ~/.config/grade/course.key
      """,
    options: ["--out"], flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    guard let action = args.positional.first else { throw UsageError("Missing expected argument '<action>' (new)") }
    guard action == "new" else { throw UsageError("Unknown action '\(action)'; expected 'new'") }
    try Commands.rejectExtraPositionals(args, expected: 1)
    let key = CourseKey.generate()
    guard let out = args.option("--out") else {
      args.console.print(key.fileText, terminator: "")
      args.console.error("A new course key. Keep the file private (chmod 600 <file>): the grader refuses a key file that group or others may read.")
      return GradeCommand.ExitCode.success
    }
    let path = URL(fileURLWithPath: out).standardizedFileURL.path
    if FileManager.default.fileExists(atPath: path) {
      args.console.error("Error: \(path) exists already; a course key is never overwritten (remove it first if you mean to replace it — every hidden set derived from it changes).")
      return GradeCommand.ExitCode.dataError
    }
    // Created readable and writable by the owner only, before a byte of the key is written.
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
      args.console.error("Error: \(path) could not be created: \(String(cString: strerror(errno))).")
      return GradeCommand.ExitCode.dataError
    }
    let bytes = Array(key.fileText.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count else {
      args.console.error("Error: \(path) could not be written.")
      return GradeCommand.ExitCode.dataError
    }
    args.console.print("Wrote a new course key to \(path) (readable by you only). Keep it private and out of the course repository.")
    return GradeCommand.ExitCode.success
  }
}

extension Commands {
  /// The course key of a command: `--key-file`, else `GRADE_COURSE_KEY_FILE`; nil when neither
  /// is given. A key file that cannot be read, is malformed or may be read by others is an error.
  static func courseKey(_ args: Arguments) throws -> CourseKey? {
    guard let url = CourseKey.locate(option: args.option("--key-file")) else { return nil }
    return try CourseKey.load(url)
  }

  /// The course key, which `what` cannot do without.
  static func requireCourseKey(_ args: Arguments, for what: String) throws -> CourseKey {
    guard let key = try courseKey(args) else {
      throw UsageError("\(what) needs the course key: give --key-file <file> or set \(CourseKey.environmentVariable) (make a key with 'grade key new')")
    }
    return key
  }
}
