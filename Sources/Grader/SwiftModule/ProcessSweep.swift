import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Every process of one of the item uids (`UnprivilegedIDs`), found in `/proc` and killed: what
/// the end of an item or a compile does when the grader is root, so that a process that left its
/// process group (`setsid`, a double fork, a daemon) does not outlive it.
///
/// ```
/// /proc/<pid>/status   Uid: <real> <effective> <saved> <fs>   any of them the item's → SIGKILL
/// repeat               until no live process has it (a fork loop forks between two scans), ≤ 2 s
/// ```
/// The uid is used by one item only, so nothing else is touched. Zombies (state Z) are dead and
/// only wait for their parent; they are not counted.
enum ProcessSweep {
  /// The live processes that have `uid` as one of their user ids.
  static func processes(ofUID uid: UInt32) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var found: [pid_t] = []
    for entry in entries where entry.allSatisfy(\.isNumber) {
      guard let pid = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
      var uids: [UInt32] = []
      var zombie = false
      for line in status.split(separator: "\n") {
        if line.hasPrefix("Uid:") { uids = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { UInt32($0) } }
        if line.hasPrefix("State:") { zombie = line.contains("Z") }
      }
      if !zombie && uids.contains(uid) { found.append(pid) }
    }
    return found
  }

  /// Kills every process of `uid` and returns those still alive after 2 s of trying (none, unless
  /// the grader may not signal them).
  @discardableResult
  static func killAll(uid: UInt32) -> [pid_t] {
    let start = Date()
    while true {
      let left = processes(ofUID: uid)
      if left.isEmpty || Date().timeIntervalSince(start) > 2 { return left }
      for pid in left { kill(pid, SIGKILL) }
      usleep(2_000)
    }
  }
}

/// The children `SandboxedProcess` is running (their process groups, and uids when they have
/// their own), so that a grader stopped by SIGTERM, SIGINT or SIGHUP — a batch's timeout, a
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
  nonisolated(unsafe) private static var children: [pid_t: UInt32?] = [:]
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

  static func started(_ pid: pid_t, uid: UInt32?) {
    lock.withLock {
      if sources.isEmpty { installHandlers() }
      children[pid] = uid
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
    for case let uid? in running.values { ProcessSweep.killAll(uid: uid) }
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
