import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child's process tree that has stopped for good: a process in it has ended and its parent,
/// still alive, has not collected it for `seconds`.
///
/// Under an address-space limit the Swift compiler's driver can stop like that: its frontend
/// runs out of memory and dies, and the driver's thread that would collect it could not be
/// started (no address space left for its stack), so the driver waits forever. It uses no CPU,
/// so the CPU-time limit never comes; only the wall clock (three times the CPU limit) would end
/// it. A healthy parent collects its child within microseconds.
///
/// ```
/// every 0.5 s   /proc/<pid>/stat of every process: its state and parent; the child's tree is
///               the child and every process whose chain of parents reaches it
/// stalled       a process of the tree other than the child itself in state Z (ended, not
///               collected) for `seconds` without interruption
/// ```
/// The child itself is the grader's to collect (`waitpid`), so it never counts.
struct StallWatch: Sendable {
  var seconds: Double
  private var zombiesSince: [pid_t: Date] = [:]
  private var lastCheck = Date.distantPast

  init(seconds: Double) {
    self.seconds = seconds
  }

  /// Whether the tree of `root` has stalled at `now` (checked at most every 0.5 s).
  mutating func stalled(root: pid_t, now: Date) -> Bool {
    guard now.timeIntervalSince(lastCheck) >= 0.5 else { return false }
    lastCheck = now
    let zombies = Self.uncollected(in: root)
    zombiesSince = zombiesSince.filter { zombies.contains($0.key) }
    for pid in zombies where zombiesSince[pid] == nil { zombiesSince[pid] = now }
    return zombiesSince.values.contains { now.timeIntervalSince($0) >= seconds }
  }

  /// The processes of `root`'s tree, `root` excepted, that have ended and wait for their parent.
  static func uncollected(in root: pid_t) -> Set<pid_t> {
    var parent: [pid_t: pid_t] = [:]
    var zombie: Set<pid_t> = []
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard let pid = pid_t(name), let (state, ppid) = stat(of: pid) else { continue }
      parent[pid] = ppid
      if state == UInt8(ascii: "Z") { zombie.insert(pid) }
    }
    return zombie.filter { pid in
      guard pid != root else { return false }
      var p = pid
      for _ in 0..<64 {
        guard let up = parent[p], up > 0 else { return false }
        if up == root { return true }
        p = up
      }
      return false
    }
  }

  /// The state letter and the parent of `pid`, from `/proc/<pid>/stat`: "pid (comm) S ppid …",
  /// read after the last ')' (the command may hold any character).
  static func stat(of pid: pid_t) -> (state: UInt8, parent: pid_t)? {
    let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 512)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0, let close = buffer[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
    let fields = buffer[(close + 1)..<n].split(separator: UInt8(ascii: " "))
    guard fields.count >= 2, let state = fields[0].first, let ppid = pid_t(String(decoding: fields[1], as: UTF8.self)) else { return nil }
    return (state, ppid)
  }
}
