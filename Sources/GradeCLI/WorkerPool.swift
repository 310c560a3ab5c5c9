import Foundation
import Grader
#if canImport(Glibc)
import Glibc
#endif

/// Grades a batch's students in long-lived workers (`grade worker`, one `ResidentWorker` per
/// grading thread of the batch, so ≈ one per core), each grading student after student in the
/// code path of `grade check`; a submission of code, and any student whose worker failed, is
/// graded alone in a single-use child (`BatchChild`), as every student was before.
///
/// ```
/// arrays, formulas      the thread's worker: one job, one answer, its record read from the answer
///                       (the batch writes results/ from it: no file passes between them)
/// code (Swift, Python)  a single-use child: the code runs in the per-item sandbox either way, and
///                       compiling or starting it dwarfs starting a process
/// the worker dies,      the worker is stopped (its group killed) and replaced by the next job;
/// hangs past the        the student it was grading is graded again alone in a single-use child,
/// timeout, or answers   which gives the reason (the crash, the time limit) a batch of
/// another job           single-use children would have given, and its log
/// ```
/// The answer is the batch's to trust, not the worker's: it must carry the number of the job sent,
/// and its record must be whole (a complete `GradeRecord`, whenever the exit code says the student
/// was graded), of that job's student and of this assignment, or the worker is broken and the
/// student graded again alone. Nothing of one student stays in a worker for the next: it keeps
/// only the assignment, the rubric, the key and the roster it read (`WorkerCommand.loads`), the
/// same for every student.
///
/// A worker is spawned by the thread that uses it and dies with it (PR_SET_PDEATHSIG follows the
/// spawning thread), with the batch (`WorkerProcess.dieWithParent`, GRADE_PARENT_PID), or at
/// `shutdown`.
final class WorkerPool: StudentGrading, @unchecked Sendable {
  /// How a student is graded alone: code, and a worker's victim.
  let single: BatchChild
  /// The `grade` executable the workers run.
  let executable: URL
  let assignment: String
  let timeout: TimeInterval

  private let lock = NSLock()
  private var workers: [pthread_t: ResidentWorker] = [:]
  private var nextJob = 0
  private var started = 0

  /// How many workers were started, and how many students were graded again alone after their
  /// worker failed (for the batch's figures and the tests).
  private(set) var workersStarted = 0
  private(set) var regradedAlone = 0

  init(single: BatchChild, executable: URL, assignment: String) {
    self.single = single
    self.executable = executable
    self.assignment = assignment
    self.timeout = single.timeout
    // A worker that died leaves a pipe without a reader: a job sent to it must fail, not kill the batch.
    signal(SIGPIPE, SIG_IGN)
  }

  func grade(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome {
    grade(submission, seed: seed, provenance: nil, record: record, scratch: scratch)
  }

  func grade(_ submission: BatchSubmission, seed: UInt64, provenance: GradeProvenance, record: URL, scratch: URL) -> StudentGradingOutcome {
    grade(submission, seed: seed, provenance: Optional(provenance), record: record, scratch: scratch)
  }

  /// With a `provenance`, the worker puts it in the record it answers, which the batch then
  /// writes as it is (`.recorded`) once it has checked it carries that provenance.
  private func grade(_ submission: BatchSubmission, seed: UInt64, provenance: GradeProvenance?, record: URL, scratch: URL) -> StudentGradingOutcome {
    if Self.isCode(submission.url) {
      return single.grade(submission, seed: seed, record: record, scratch: scratch)
    }
    guard let worker = worker(scratch: scratch) else {
      return single.grade(submission, seed: seed, record: record, scratch: scratch)
    }
    let number: Int = lock.withLock {
      nextJob += 1
      return nextJob
    }
    let job = WorkerCommand.Job(job: number, student: submission.student, submission: submission.url.path, seed: String(seed), provenance: provenance)
    let line = (try? JSONEncoder().encode(job)) ?? Data()
    switch worker.run(job: number, line: line, timeout: timeout) {
    case .answered(let exit, let output, let error):
      let stderr = String(decoding: error, as: UTF8.self)
      let outcome = BatchChild.outcome(exit: exit, record: { output.isEmpty ? nil : output }, stderr: stderr)
      switch outcome {
      case .graded(let report):
        guard report.student == submission.student, report.assignment == assignment, report.provenance == provenance else {
          retire(worker)
          return alone(submission, seed: seed, record: record, scratch: scratch)
        }
        if provenance != nil { return .recorded(report, record: output) }
      case .ungraded where exit == GradeCommand.ExitCode.success || exit == GradeCommand.ExitCode.failure:
        // A grading that says it graded, with no record or one cut short: the worker is broken.
        retire(worker)
        return alone(submission, seed: seed, record: record, scratch: scratch)
      case .unreadable, .ungraded, .recorded:
        break
      }
      return outcome
    case .died, .timedOut:
      retire(worker)
      return alone(submission, seed: seed, record: record, scratch: scratch)
    }
  }

  /// A student whose worker failed, graded again alone.
  private func alone(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome {
    lock.withLock { regradedAlone += 1 }
    return single.grade(submission, seed: seed, record: record, scratch: scratch)
  }

  /// The calling thread's worker, started if it has none; nil when none can be started.
  private func worker(scratch: URL) -> ResidentWorker? {
    let thread = pthread_self()
    if let worker = lock.withLock({ workers[thread] }) { return worker }
    let n: Int = lock.withLock {
      started += 1
      return started
    }
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment[CourseKey.environmentVariable] = nil
    environment.merge(single.extraEnvironment) { $1 }
    let temporary = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(BatchChild.scratchPrefix)\(getpid())-worker-\(n)-\(UUID().uuidString)", isDirectory: true)
    let log = scratch.appendingPathComponent("worker-\(n).stderr")
    guard let worker = try? ResidentWorker(
      executable: executable, arguments: [WorkerCommand.name, single.assignmentArgument] + single.sharedOptions,
      environment: environment, standardError: log, scratch: temporary)
    else { return nil }
    lock.withLock {
      workers[thread] = worker
      workersStarted += 1
    }
    return worker
  }

  /// Stops `worker` and forgets it: the thread's next job starts another.
  private func retire(_ worker: ResidentWorker) {
    worker.terminate()
    lock.withLock {
      if let entry = workers.first(where: { $0.value === worker }) { workers[entry.key] = nil }
    }
  }

  /// Stops every worker (each ends at the end of its jobs, or is killed 2 s later).
  func shutdown() {
    let all = lock.withLock {
      defer { workers = [:] }
      return Array(workers.values)
    }
    for worker in all { worker.stop() }
  }

  /// Whether the submission is code (Swift or Python), which a single-use child grades.
  static func isCode(_ url: URL) -> Bool {
    SubmissionGrading.pythonSubmission(at: url) != nil || SubmissionGrading.swiftFiles(at: url) != nil
  }
}
