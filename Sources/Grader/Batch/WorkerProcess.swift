import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One grading child of a batch: started with `posix_spawn` in its own process group, standard
/// error into a file, no other descriptor of the batch, and a scratch folder of its own; waited
/// for by its exit alone.
///
/// ```
/// descriptors   0 /dev/null · 1 /dev/null · 2 the log file · nothing else (closefrom(3))
/// environment   as given, plus GRADE_SCRATCH_DIR=<scratch> (its temporary files go there) and
///               GRADE_PARENT_PID (the child dies with the batch: `dieWithParent`)
/// waiting       waitpid on the child only, every 10 ms: a process it left behind that holds a
///               pipe or socket of its own delays nothing (none of the batch's reaches it)
/// timeout       SIGTERM to its group, SIGKILL 2 s later
/// afterwards    SIGKILL to its group (anything it left there); the scratch folder removed
/// ```
public enum WorkerProcess {
  /// How the child ended.
  public enum Ending: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// It outlived the timeout and was stopped.
    case timedOut
  }

  /// Runs `executable arguments`, its standard error appended to `standardError`, and returns
  /// how it ended once it exited or the `timeout` ran out; `scratch` is made (0711) before and
  /// removed after.
  public static func run(
    executable: URL, arguments: [String], environment: [String: String], standardError: URL, scratch: URL,
    timeout: TimeInterval
  ) throws -> Ending {
    let fm = FileManager.default
    try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
    _ = chmod(scratch.path, 0o711)
    defer { Workspace.remove(scratch) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, standardError.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    let closes = ChildDescriptors.closeFrom(&actions, 3)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    ChildDescriptors.startsInOwnGroup(&attributes)

    var env = environment
    env["GRADE_SCRATCH_DIR"] = scratch.path
    env[parentVariable] = String(getpid())
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
    guard spawned == 0 else { throw SandboxedProcess.SpawnError(executable: executable.path, code: spawned) }

    var status: Int32 = 0
    var ending: Ending?
    var terminatedAt: Date?
    while ending == nil {
      let waited = waitpid(pid, &status, WNOHANG)
      if waited == pid {
        if terminatedAt != nil {
          ending = .timedOut
        } else {
          ending = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        }
        break
      }
      if waited == -1 && errno != EINTR { ending = .signaled(SIGKILL); break }
      let now = Date()
      if terminatedAt == nil && now.timeIntervalSince(start) >= timeout {
        terminatedAt = now
        kill(-pid, SIGTERM)
      } else if let terminatedAt, now.timeIntervalSince(terminatedAt) >= 2 {
        kill(-pid, SIGKILL)
      }
      usleep(10_000)
    }
    kill(-pid, SIGKILL)
    return ending ?? .timedOut
  }

  /// The variable naming the batch that started a child.
  public static let parentVariable = "GRADE_PARENT_PID"

  private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32

  /// In a child a batch started: asks the kernel to kill this process when the batch dies
  /// (PR_SET_PDEATHSIG; through a wrapper that does not exec, when the wrapper dies), and exits
  /// at once if the batch is gone, so that a killed batch leaves no
  /// grading running that could write into the folder of the next.
  public static func dieWithParent() {
    guard let text = ProcessInfo.processInfo.environment[parentVariable], let parent = pid_t(text) else { return }
    if let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "prctl") {
      let prctl = unsafeBitCast(address, to: Prctl.self)
      // SIGTERM, not SIGKILL: the child then stops its own items first (`RunningChildren`).
      _ = prctl(1 /* PR_SET_PDEATHSIG */, UInt(SIGTERM), 0, 0, 0)
    }
    if kill(parent, 0) != 0 && errno == ESRCH { exit(75) }
  }

  /// Removes the scratch folders (`<prefix><pid>-…`) under `folder` of batches no longer running.
  public static func removeStaleScratch(in folder: URL, prefix: String) {
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = pid_t(name.dropFirst(prefix.count).prefix { $0.isNumber }), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { Workspace.remove(folder.appendingPathComponent(name)) }
    }
  }
}
