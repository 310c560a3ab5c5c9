import Foundation
import Grader
#if canImport(Glibc)
import Glibc
#endif

/// Faults a test of `grade batch` injects into the gradings of chosen students, to see that a
/// grading which crashes or hangs costs that student only — in a worker (`grade worker`) and in
/// a single-use child (`grade check` started by a batch) alike.
///
/// ```
/// GRADE_BATCH_TEST_FAULTS="crash-:crash,loop-:hang"   <student-id prefix>:<fault>, comma separated
///   crash   the grading process dies of SIGSEGV before grading the student
///   hang    it sleeps until it is stopped
///   slow    it sleeps 5 s, then grades
///   cut     in a worker only: its answer carries the first half of the record
///   forge   in a worker only: its answer carries a record whose student is another's
/// ```
/// Read only in a process a batch started (GRADE_PARENT_PID set) and only from the batch's
/// environment, which the course staff sets; nothing a student hands in reaches it.
enum BatchFaultsForTests {
  static let variable = "GRADE_BATCH_TEST_FAULTS"

  /// The rules of this process, read once (a worker grades many students): nil when it has none.
  static let rules: String? = {
    let environment = ProcessInfo.processInfo.environment
    guard environment[WorkerProcess.parentVariable] != nil, let text = environment[variable], !text.isEmpty else { return nil }
    return text
  }()

  static func apply(student: String) {
    guard let text = rules else { return }
    for rule in text.split(separator: ",") {
      let parts = rule.split(separator: ":", maxSplits: 1).map(String.init)
      guard parts.count == 2, student.hasPrefix(parts[0]) else { continue }
      switch parts[1] {
      case "crash":
        signal(SIGSEGV, SIG_DFL)
        raise(SIGSEGV)
      case "hang":
        while true { sleep(60) }
      case "slow":
        sleep(5)
      default:
        continue
      }
    }
  }

  /// The record a worker answers for `student`: `record` itself, or what the fault makes of it.
  static func answer(student: String, record: Data) -> Data {
    guard let text = rules else { return record }
    for rule in text.split(separator: ",") {
      let parts = rule.split(separator: ":", maxSplits: 1).map(String.init)
      guard parts.count == 2, student.hasPrefix(parts[0]) else { continue }
      switch parts[1] {
      case "cut":
        return record.prefix(record.count / 2)
      case "forge":
        let forged = String(decoding: record, as: UTF8.self).replacingOccurrences(of: "\"\(student)\"", with: "\"someone-else\"")
        return Data(forged.utf8)
      default:
        continue
      }
    }
    return record
  }
}
