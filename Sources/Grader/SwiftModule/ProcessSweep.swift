import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every process of the item uids (`UnprivilegedIDs`) of one child, found in `/proc` and
/// killed: what the end of an item, a compile or a Python run (whose harness gives each item a
/// uid) does when the grader is root, so that a process that left its process group (`setsid`, a
/// double fork, a daemon) does not outlive it.
///
/// ```
/// /proc/<pid>/status   Uid: <real> <effective> <saved> <fs>   any of them one of the uids → SIGKILL
/// repeat               until no live process has one (a fork loop forks between two scans), ≤ 2 s
/// ```
/// Each uid is used by one item only, so nothing else is touched. Zombies (state Z) and dead
/// processes (X) only wait for their parent; they are not counted.
enum ProcessSweep {
  /// The live processes that have `uid` as one of their user ids.
  static func processes(ofUID uid: UInt32) -> [pid_t] {
    processes(ofUIDs: [uid])
  }

  /// The live processes that have one of `uids` as one of their user ids.
  static func processes(ofUIDs uids: Set<UInt32>) -> [pid_t] {
    guard !uids.isEmpty else { return [] }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var found: [pid_t] = []
    for entry in entries where entry.allSatisfy(\.isNumber) {
      guard let pid = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
      var ids: [UInt32] = []
      var dead = false
      for line in status.split(separator: "\n") {
        if line.hasPrefix("Uid:") { ids = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { UInt32($0) } }
        if line.hasPrefix("State:") { dead = line.dropFirst(6).contains(where: "ZX".contains) }
      }
      if !dead && ids.contains(where: uids.contains) { found.append(pid) }
    }
    return found
  }

  /// Kills every process of `uid` and returns those still alive after 2 s of trying (none, unless
  /// the grader may not signal them).
  @discardableResult
  static func killAll(uid: UInt32) -> [pid_t] {
    killAll(uids: [uid])
  }

  /// Kills every process of any of `uids` and returns those still alive after 2 s of trying.
  @discardableResult
  static func killAll(uids: Set<UInt32>) -> [pid_t] {
    let start = Date()
    while true {
      let left = processes(ofUIDs: uids)
      if left.isEmpty || Date().timeIntervalSince(start) > 2 { return left }
      for pid in left { kill(pid, SIGKILL) }
      usleep(2_000)
    }
  }
}

/// The children `SandboxedProcess` is running (their process groups, and the item uids of their
/// processes when they have any), so that a grader stopped by SIGTERM, SIGINT or SIGHUP — a batch's timeout, a
/// Ctrl-C — kills them before it goes: a process in a chroot under an item uid is not in the
/// grader's process group and would otherwise outlive it.
///
/// The signals are taken with dispatch sources (the handler runs on a queue, not in the signal's
/// context), installed with the first child; the handler forbids new children (a thread about to
/// start one waits for the end), kills every group and sweeps every uid, removes the submissions'
/// temporary directories (`workspaces`), then restores the default action and sends the signal to
/// the grader again.
enum RunningChildren {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var children: [pid_t: Set<UInt32>] = [:]
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  nonisolated(unsafe) private static var workspaces: Set<URL> = []
  nonisolated(unsafe) private static var stopping = false

  /// Once the grader is being stopped no child may start: the calling thread waits there for the
  /// signal's handler to end the process (which it does after removing the workspaces), so that no
  /// refused start becomes an error, a report or an early exit.
  static func parkIfStopping() {
    guard lock.withLock({ stopping }) else { return }
    while true { sleep(3600) }
  }

  /// A submission's temporary directory, removed if the grader is stopped while it exists; false
  /// (and nothing kept) when the grader is being stopped already.
  static func keep(_ workspace: URL) -> Bool {
    lock.withLock {
      guard !stopping else { return false }
      workspaces.insert(workspace)
      return true
    }
  }

  static func release(_ workspace: URL) {
    _ = lock.withLock { workspaces.remove(workspace) }
  }

  /// `uids`: the item uids whose processes are the child's (none when it has no uid of its own).
  static func started(_ pid: pid_t, uids: Set<UInt32>) {
    lock.withLock {
      if sources.isEmpty { installHandlers() }
      children[pid] = uids
    }
  }

  static func ended(_ pid: pid_t) {
    _ = lock.withLock { children.removeValue(forKey: pid) }
  }

  private static func installHandlers() {
    for signal in [SIGTERM, SIGINT, SIGHUP] {
      Glibc.signal(signal, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
      source.setEventHandler { stopEverything(then: signal) }
      source.resume()
      sources.append(source)
    }
  }

  private static func stopEverything(then signal: Int32) {
    let (running, directories) = lock.withLock {
      stopping = true
      return (children, workspaces)
    }
    for (pid, _) in running { kill(-pid, SIGKILL) }
    ProcessSweep.killAll(uids: running.values.reduce(into: Set<UInt32>()) { $0.formUnion($1) })
    // Nothing in a workspace is made with its parents (`Workspace`), so once its root is gone no
    // thread of the grader can make it again; until then a thread still at work may add a folder
    // while it is being removed, so the removal is repeated until the root is gone (≤ 1 s).
    for directory in directories {
      for _ in 0..<100 where FileManager.default.fileExists(atPath: directory.path) {
        Workspace.remove(directory)
        usleep(10_000)
      }
    }
    // Dies of the signal, as it would have: its default action, unblocked on this thread (the
    // grader's parent may have started it with the signal blocked, and dispatch's threads block
    // signals), raised here; should it be survived, the shell's 128 + signal.
    Glibc.signal(signal, SIG_DFL)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    raise(signal)
    _exit(128 + signal)
  }
}

/// What the command line needs of `RunningChildren`: a grader being stopped by a signal waits for
/// the signal's handler to end it, rather than exit meanwhile and cut its clean-up short.
public enum StoppingGrader {
  public static func waitIfStopping() { RunningChildren.parkIfStopping() }
}
