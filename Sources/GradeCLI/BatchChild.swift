import Foundation
import Grader

/// Grades one student in a child process — `grade check … --format record --out <record>` — so
/// that a submission which crashes the grader, exhausts its memory or never finishes costs only
/// its own result: the batch goes on.
///
/// ```
/// child exits 0 or 1, record complete   → the student's report
/// child exits 65 (unreadable)           → every item an error "could not be read: <reason>"
/// child exits 75, crashes, is killed,   → not graded: the reason and the child's standard error
/// exits otherwise, or outlives `timeout`  as a log; never a score, graded again next run
/// ```
/// The child is a `WorkerProcess`: no descriptor of the batch reaches it, it is waited for by its
/// exit (a process it left behind holding a pipe delays nothing), and its temporary files live in
/// a scratch folder removed when it ends.
struct BatchChild: StudentGrading {
  /// The `grade` executable the child runs.
  var executable: URL
  /// The assignment as the child names it (its folder's absolute path) and the options it shares.
  var assignmentArgument: String
  var sharedOptions: [String]
  /// Seconds a student's grading may take before the child is stopped.
  var timeout: TimeInterval
  /// Variables set for the child beyond the batch's own environment (a test's faults).
  var extraEnvironment: [String: String] = [:]

  /// Grades `submission`, the child writing its record to `record`; `scratch` is a folder for the
  /// child's standard error.
  func grade(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome {
    let log = scratch.appendingPathComponent("\(submission.student).stderr", isDirectory: false)
    defer { try? FileManager.default.removeItem(at: log) }
    let arguments = ["check", assignmentArgument, submission.url.path, "--student", submission.student,
                     "--format", "record", "--out", record.path, "--numeric-seed", String(seed)] + sharedOptions
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    // The key, when there is one, is among `sharedOptions`: a self-check batch must not pick one
    // up from the environment.
    environment[CourseKey.environmentVariable] = nil
    environment.merge(extraEnvironment) { $1 }
    let temporary = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(Self.scratchPrefix)\(getpid())-\(UUID().uuidString)", isDirectory: true)
    let ending: WorkerProcess.Ending
    do {
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      ending = try WorkerProcess.run(
        executable: executable, arguments: arguments, environment: environment, standardError: log, scratch: temporary,
        timeout: timeout)
    } catch {
      return .ungraded("the grading process could not be started (\(SystemErrorText.sentence(error)))", log: "")
    }
    let stderr = Self.readLog(log)

    switch ending {
    case .timedOut:
      return .ungraded("its grading took longer than \(Int(timeout)) s and was stopped", log: stderr)
    case .signaled(let signal):
      return .ungraded("the grading process crashed (signal \(signal)\(Self.signalName(signal).map { ", \($0)" } ?? ""))", log: stderr)
    case .exited(let status):
      return Self.outcome(exit: status, record: { FileManager.default.contents(atPath: record.path) }, stderr: stderr)
    }
  }

  /// What a grading that exited with `status` gave, as `grade check` reports it: its record (read
  /// by `record`, only when the status says there is one) and its error output.
  static func outcome(exit status: Int32, record: () -> Data?, stderr: String) -> StudentGradingOutcome {
    switch status {
    case GradeCommand.ExitCode.success, GradeCommand.ExitCode.failure:
      guard let data = record() else {
        return .ungraded("the grading process wrote no result", log: stderr)
      }
      do {
        return .graded(try GradeRecord.decode(data))
      } catch {
        return .ungraded("the grading process wrote an unusable result (\(error))", log: stderr)
      }
    case GradeCommand.ExitCode.dataError:
      return .unreadable(Self.firstError(stderr) ?? "the submission could not be read")
    case GradeCommand.ExitCode.infrastructure:
      let reason = Self.firstError(stderr) ?? "the grading process could not do its part"
      let prefix = InfrastructureError.prefix + ": "
      return .ungraded(reason.hasPrefix(prefix) ? String(reason.dropFirst(prefix.count)) : reason, log: stderr)
    default:
      return .ungraded("the grading process stopped with exit code \(status)", log: stderr)
    }
  }

  /// The start of the name of each child's scratch folder in the temporary directory, before
  /// the batch's pid.
  static let scratchPrefix = "grade-batch-"

  /// The child's first `Error: …` line, without the prefix.
  static func firstError(_ stderr: String) -> String? {
    let line = stderr.split(separator: "\n").first { $0.hasPrefix("Error: ") } ?? stderr.split(separator: "\n").first
    return line.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : String($0) }
  }

  /// The first 1 MiB of the log.
  static func readLog(_ url: URL) -> String {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
    defer { try? handle.close() }
    return String(decoding: (try? handle.read(upToCount: 1 << 20)) ?? Data(), as: UTF8.self)
  }

  static func signalName(_ signal: Int32) -> String? {
    switch signal {
    case SIGSEGV: return "segmentation fault"
    case SIGBUS: return "bus error"
    case SIGILL: return "illegal instruction, such as a failed precondition"
    case SIGTRAP: return "trap, such as a failed precondition"
    case SIGABRT: return "abort"
    case SIGKILL: return "killed, perhaps for using too much memory"
    case SIGTERM: return "terminated"
    case SIGFPE: return "arithmetic error"
    default: return nil
    }
  }
}
