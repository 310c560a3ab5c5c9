import Foundation
import Testing
@testable import Grader

/// `ResidentWorker` with a shell script for a worker: answers are read whole and matched to the
/// job sent; a worker that answers another job, writes garbage, exits or hangs is gone, never
/// reused; it runs with the batch's pid in GRADE_PARENT_PID and a scratch folder removed after.
@Suite("A resident worker of a batch")
struct ResidentWorkerTests {
  /// Reads one job per line: a number n is answered (exit 1, output "out-<n>", error "err"),
  /// "env <n>" with the worker's GRADE_PARENT_PID and GRADE_SCRATCH_DIR; the other words misbehave.
  static let script = #"""
    while read -r line; do
      case "$line" in
        hang) sleep 60 ;;
        die) exit 3 ;;
        wrong) printf 'answer 99 0 0 0\n' >&3 ;;
        garbage) printf 'hello there\n' >&3 ;;
        endless) while :; do printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >&3 || exit 0; done ;;
        env\ *) out="$GRADE_PARENT_PID $GRADE_SCRATCH_DIR"; printf 'answer %s 0 %d 0\n%s' "${line#env }" "${#out}" "$out" >&3 ;;
        *) out="out-$line"; printf 'answer %s 1 %d 3\n%serr' "$line" "${#out}" "$out" >&3 ;;
      esac
    done
    """#

  static func start() throws -> (ResidentWorker, scratch: URL) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("resident-worker-\(UUID().uuidString)")
    let scratch = root.appendingPathComponent("scratch")
    let worker = try ResidentWorker(
      executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"],
      standardError: root.appendingPathComponent("stderr"), scratch: scratch)
    return (worker, scratch)
  }

  static func line(_ text: String) -> Data { Data(text.utf8) }

  @Test("answers job after job, each read whole; stopped, its scratch folder is gone")
  func answersJobs() throws {
    let (worker, scratch) = try Self.start()
    for n in 1...20 {
      let reply = worker.run(job: n, line: Self.line("\(n)"), timeout: 30)
      #expect(reply == .answered(exit: 1, output: Data("out-\(n)".utf8), error: Data("err".utf8)), "job \(n): \(reply)")
    }
    #expect(FileManager.default.fileExists(atPath: scratch.path))
    worker.stop()
    #expect(!FileManager.default.fileExists(atPath: scratch.path))
    #expect(kill(worker.pid, 0) != 0, "the worker has ended")
  }

  @Test("its environment names the batch (GRADE_PARENT_PID) and its scratch folder")
  func environment() throws {
    let (worker, scratch) = try Self.start()
    defer { worker.stop() }
    let reply = worker.run(job: 1, line: Self.line("env 1"), timeout: 30)
    #expect(reply == .answered(exit: 0, output: Data("\(getpid()) \(scratch.path)".utf8), error: Data()), "\(reply)")
  }

  @Test("a worker that answers another job, writes garbage or no end of line, exits, or hangs is gone, not reused",
        arguments: ["wrong", "garbage", "endless", "die", "hang"])
  func brokenWorkers(fault: String) throws {
    let (worker, scratch) = try Self.start()
    #expect(worker.run(job: 1, line: Self.line("1"), timeout: 30) == .answered(exit: 1, output: Data("out-1".utf8), error: Data("err".utf8)))
    let reply = worker.run(job: 2, line: Self.line(fault), timeout: fault == "hang" ? 0.5 : 30)
    switch (fault, reply) {
    case ("hang", .timedOut): break
    case ("wrong", .died(let reason)): #expect(reason.contains("answered job 99 when asked job 2"), "\(reason)")
    case ("garbage", .died(let reason)), ("endless", .died(let reason)): #expect(reason.contains("malformed"), "\(reason)")
    case ("die", .died(let reason)): #expect(reason.contains("exit") || reason.contains("closed"), "\(reason)")
    default: Issue.record("\(fault): \(reply)")
    }
    #expect(kill(worker.pid, 0) != 0, "the worker was stopped")
    #expect(!FileManager.default.fileExists(atPath: scratch.path))
    guard case .died = worker.run(job: 3, line: Self.line("3"), timeout: 30) else { Issue.record("a gone worker was reused"); return }
  }
}
