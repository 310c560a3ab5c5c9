import Foundation
import Grader

/// Grades one student in a child process — `grade check … --format record --out <record>` — so
/// that a submission which crashes the grader, exhausts its memory or never finishes costs only
/// its own result: the batch goes on.
///
/// ```
/// child exits 0 or 1, record complete   → the student's report
/// child exits 65 (unreadable)           → every item an error "could not be read: <reason>"
/// child crashes, is killed, exits else  → every item an error "could not be graded: …",
/// or outlives `timeout`                   0 points; the child's standard error kept as a log
/// ```
struct BatchChild: StudentGrading {
  /// The `grade` executable the child runs.
  var executable: URL
  /// The assignment as the child names it (its folder's absolute path) and the options it shares.
  var assignmentArgument: String
  var sharedOptions: [String]
  /// Seconds a student's grading may take before the child is stopped.
  var timeout: TimeInterval

  /// Grades `submission`, the child writing its record to `record`; `scratch` is a folder for the
  /// child's standard error.
  func grade(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome {
    let log = scratch.appendingPathComponent("\(submission.student).stderr")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)   // opened below; a failure shows there
    defer { try? FileManager.default.removeItem(at: log) }
    let process = Process()
    process.executableURL = executable
    process.arguments = ["check", assignmentArgument, submission.url.path, "--student", submission.student,
                         "--format", "record", "--out", record.path, "--numeric-seed", String(seed)] + sharedOptions
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    // The key, when there is one, is among `sharedOptions`: a self-check batch must not pick one
    // up from the environment.
    environment[CourseKey.environmentVariable] = nil
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    guard let errorHandle = try? FileHandle(forWritingTo: log) else {
      return .ungraded("its log file \(log.path) could not be created", log: "")
    }
    process.standardError = errorHandle
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    do {
      try process.run()
    } catch {
      try? errorHandle.close()
      return .ungraded("the grading process could not be started (\(error))", log: "")
    }
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
      timedOut = true
      process.terminate()
      if finished.wait(timeout: .now() + 2) == .timedOut {
        kill(process.processIdentifier, SIGKILL)
        finished.wait()
      }
    }
    try? errorHandle.close()
    let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""

    if timedOut {
      return .ungraded("its grading took longer than \(Int(timeout)) s and was stopped (an endless loop?)", log: stderr)
    }
    let status = process.terminationStatus
    if process.terminationReason == .uncaughtSignal {
      return .ungraded("the grading process crashed (signal \(status)\(Self.signalName(status).map { ", \($0)" } ?? ""))", log: stderr)
    }
    switch status {
    case GradeCommand.ExitCode.success, GradeCommand.ExitCode.failure:
      guard let data = FileManager.default.contents(atPath: record.path) else {
        return .ungraded("the grading process wrote no result", log: stderr)
      }
      do {
        return .graded(try GradeRecord.decode(data))
      } catch {
        return .ungraded("the grading process wrote an unusable result (\(error))", log: stderr)
      }
    case GradeCommand.ExitCode.dataError:
      let reason = stderr.split(separator: "\n").first.map { String($0) } ?? "the submission could not be read"
      return .unreadable(reason.hasPrefix("Error: ") ? String(reason.dropFirst(7)) : reason)
    default:
      return .ungraded("the grading process stopped with exit code \(status)", log: stderr)
    }
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
