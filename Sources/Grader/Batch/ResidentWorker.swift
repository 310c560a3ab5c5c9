import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-lived grading process of a batch: started once, it grades one job after another — a
/// line on its standard input in, one framed answer on descriptor 3 out — so that a batch pays
/// for starting a process (exec, dynamic linking, the runtime) once per worker, not per student.
///
/// ```
/// descriptors   0 the job pipe · 1 /dev/null · 2 the log file · 3 the answer pipe · nothing else
/// environment   as given, plus GRADE_SCRATCH_DIR=<scratch> and GRADE_PARENT_PID (the worker
///               dies with the batch: `WorkerProcess.dieWithParent`)
/// a job         one line (no newline inside), sent when the worker is idle: one job at a time
/// an answer     "answer <job> <exit> <output bytes> <error bytes>\n", then the output, then the
///               error output; read until complete, the worker's exit, or the timeout
/// timeout       SIGTERM to its group, SIGKILL 2 s later: the worker is gone and is not reused
/// afterwards    SIGKILL to its group (anything it left there); the scratch folder removed
/// ```
/// Like `WorkerProcess` it runs in a process group of its own, with no descriptor of the batch
/// but its two pipes (each close-on-exec on the batch's side, so no other child inherits them).
/// A worker answers for the job it was given, by its number: anything else — another number, a
/// malformed frame, an answer larger than `maximumAnswerBytes` — is a broken worker, and the
/// caller grades that student again without it.
public final class ResidentWorker: @unchecked Sendable {
  public let pid: pid_t
  private let jobs: Int32
  private let answers: Int32
  private let scratch: URL
  private var buffer = Data()
  private var ended = false

  /// The largest answer read (output and error output together).
  public static let maximumAnswerBytes = 1 << 28

  /// What a job gave.
  public enum Reply: Sendable, Equatable {
    /// The worker's answer: the exit code the job would have given as a command, and what it
    /// wrote to its standard output and standard error.
    case answered(exit: Int32, output: Data, error: Data)
    /// The worker died (or answered something other than this job) before it answered; it is gone.
    case died(String)
    /// The job outlived the timeout; the worker was stopped.
    case timedOut
  }

  /// Starts `executable arguments`; `scratch` is made (0711) for it and removed when it ends.
  public init(executable: URL, arguments: [String], environment: [String: String], standardError: URL, scratch: URL) throws {
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    _ = chmod(scratch.path, 0o711)
    self.scratch = scratch
    let input = try ChildDescriptors.pipe(executable: executable.path)
    let output: [Int32]
    do { output = try ChildDescriptors.pipe(executable: executable.path) } catch {
      input.forEach { close($0) }
      throw error
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, standardError.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, output[1], 3)
    let closes = ChildDescriptors.closeFrom(&actions, 4)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    ChildDescriptors.startsInOwnGroup(&attributes)

    var env = environment
    env["GRADE_SCRATCH_DIR"] = scratch.path
    env[WorkerProcess.parentVariable] = String(getpid())
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable.path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let start = Date()
    var spawned: Int32 = 0
    while true {
      spawned = closes
        ? posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        : ChildDescriptors.withEveryDescriptorClosedOnExec { posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp) }
      guard spawned == ETXTBSY, Date().timeIntervalSince(start) < 1 else { break }
      usleep(10_000)
    }
    close(input[0])
    close(output[1])
    guard spawned == 0 else {
      close(input[1])
      close(output[0])
      Workspace.remove(scratch)
      throw SandboxedProcess.SpawnError(executable: executable.path, code: spawned)
    }
    self.pid = pid
    jobs = input[1]
    answers = output[0]
  }

  deinit { stop() }

  /// Sends job `number` (`line`, without its newline) and waits for its answer.
  public func run(job number: Int, line: Data, timeout: TimeInterval) -> Reply {
    guard !ended else { return .died("the worker had already ended") }
    let start = Date()
    var message = line
    message.append(UInt8(ascii: "\n"))
    let sent = message.withUnsafeBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = write(jobs, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
      }
      return true
    }
    guard sent else { return died("it no longer read jobs") }

    var header: (job: Int, exit: Int32, output: Int, error: Int)?
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      if header == nil, let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let fields = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self).split(separator: " ")
        guard fields.count == 5, fields[0] == "answer", let job = Int(fields[1]), let exit = Int32(fields[2]),
              let output = Int(fields[3]), let error = Int(fields[4]), output >= 0, error >= 0,
              output + error <= Self.maximumAnswerBytes
        else { return died("it wrote a malformed answer") }
        guard job == number else { return died("it answered job \(job) when asked job \(number)") }
        header = (job, exit, output, error)
        buffer.removeSubrange(buffer.startIndex...newline)
      }
      if header == nil && buffer.count > 4096 { return died("it wrote a malformed answer") }
      if let header, buffer.count >= header.output + header.error {
        let output = Data(buffer.prefix(header.output))
        let error = Data(buffer.dropFirst(header.output).prefix(header.error))
        buffer.removeFirst(header.output + header.error)
        guard buffer.isEmpty else { return died("it wrote more than its answer") }
        return .answered(exit: header.exit, output: output, error: error)
      }
      let left = timeout - Date().timeIntervalSince(start)
      if left <= 0 {
        terminate()
        return .timedOut
      }
      var descriptor = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(Swift.min(left, 0.05) * 1000) + 1)
      if ready < 0 && errno != EINTR { return died("its answer could not be read (\(String(cString: strerror(errno))))") }
      if ready > 0 {
        let n = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress!, $0.count) }
        if n > 0 {
          buffer.append(contentsOf: chunk[0..<n])
          continue
        }
        if n < 0 && errno == EINTR { continue }
        return died("it closed its answers")
      }
      // Nothing to read: a worker that has exited (even one whose leftover holds the pipe) is gone.
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        ended = true
        let how = (status & 0x7f) == 0 ? "exited with code \((status >> 8) & 0xff)" : "died of signal \(status & 0x7f)"
        return died(how)
      }
    }
  }

  private func died(_ reason: String) -> Reply {
    terminate()
    return .died(reason)
  }

  /// Ends the worker now: SIGTERM to its group, SIGKILL 2 s later, then its scratch removed.
  public func terminate() {
    guard !closed else { return }
    if !ended {
      kill(-pid, SIGTERM)
      reap(within: 2)
    }
    finish()
  }

  /// Ends the worker when it is done: its job pipe closed (it exits when it reads the end), then
  /// as `terminate` if it is still there 2 s later.
  public func stop() {
    guard !closed else { return }
    if !ended {
      closeJobs()
      reap(within: 2)
    }
    finish()
  }

  private var closed = false
  private var jobsClosed = false

  private func closeJobs() {
    guard !jobsClosed else { return }
    jobsClosed = true
    close(jobs)
  }

  private func reap(within seconds: TimeInterval) {
    let deadline = Date().addingTimeInterval(seconds)
    var status: Int32 = 0
    while true {
      let waited = waitpid(pid, &status, WNOHANG)
      if waited == pid || (waited == -1 && errno != EINTR) { break }
      if Date() >= deadline {
        kill(-pid, SIGKILL)
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        break
      }
      usleep(5_000)
    }
    ended = true
  }

  private func finish() {
    guard !closed else { return }
    closed = true
    kill(-pid, SIGKILL)
    if !ended { reap(within: 0) }
    closeJobs()
    close(answers)
    Workspace.remove(scratch)
  }
}
