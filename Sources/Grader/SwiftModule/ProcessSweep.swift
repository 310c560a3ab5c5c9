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
