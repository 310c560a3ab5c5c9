import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended.
enum ProcessTermination: Equatable, Sendable {
  case exited(Int32)
  case signaled(Int32)
}

/// What a child process left behind: how it ended, whether the wall clock ran out or its
/// directories passed their quota, the first `maxOutputBytes` of each output stream and what it
/// sent on its result channel.
struct ProcessReport: Sendable {
  var termination: ProcessTermination
  var timedOut: Bool
  var stdout: [UInt8]
  var stderr: [UInt8]
  var outputTruncated: Bool
  var seconds: Double
  /// The bytes written to descriptor 3, when the child was given a result channel.
  var results: [UInt8] = []
  var resultsTruncated = false
  /// Why the child was stopped for what it wrote to disk (`WriteQuota`), if it was.
  var quotaExceeded: String?
  /// Whether the child was stopped because its tree had stalled (`StallWatch`).
  var stalled = false

  var stderrText: String { String(decoding: stderr, as: UTF8.self) }
  var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Starts a child with `posix_spawn` in its own process group, with an explicit environment,
/// stdin from `/dev/null` (or a pipe holding `standardInput`), default signal dispositions, an
/// empty signal mask and no descriptor of the grader but its pipes, then reads its output until
/// it exits or the wall clock runs out, and kills the whole group either way.
///
/// ```
/// standard input    /dev/null, or a pipe holding `standardInput` (at most 4 KiB), then closed
/// descriptors       0 /dev/null · 1, 2 pipes · 3 the result pipe (when asked) · nothing else:
///                   every other descriptor is closed in the child before exec (closefrom)
/// deadline reached  → kill(-pgid, SIGKILL), report timedOut
/// quota passed      → kill(-pgid, SIGKILL), report quotaExceeded (checked every 50 ms)
/// tree stalled      → kill(-pgid, SIGKILL), report stalled (`StallWatch`, when given one)
/// streams closed    → check for the exit after 1, 2, 4, … ms (at most 20), not a fixed 20 ms
/// child exited      → kill(-pgid, SIGKILL), then every process of `sweepUIDs` (`ProcessSweep`),
///                     drain ≤ 0.3 s
/// grader stopped    → SIGTERM, SIGINT or SIGHUP to the grader kills every running child's group
///                     and uid first (`RunningChildren`), then the grader as the signal would
/// output            → first maxOutputBytes per stream kept, the rest read and discarded
/// ETXTBSY on exec   → spawned again, up to 1 s (another thread's child still held the file)
/// ```
/// The parent waits on the child's exit (`waitpid`), never on its streams: a process the child
/// left behind that keeps a pipe open delays the result by at most the 0.3 s drain.
enum SandboxedProcess {
  struct SpawnError: Error, CustomStringConvertible {
    var executable: String
    var code: Int32
    var description: String { "Could not start \(executable): \(String(cString: strerror(code)))." }
  }

  /// Held while a pipe exists without its close-on-exec flag, when `pipe2` cannot be had.
  private static let pipeLock = NSLock()

  static func run(
    executable: String, arguments: [String], environment: [String: String],
    wallClockSeconds: Double, maxOutputBytes: Int, resultBytes: Int? = nil, quota: WriteQuota? = nil,
    sweepUIDs: Set<UInt32> = [], standardInput: [UInt8]? = nil, stallWatch: StallWatch? = nil
  ) throws -> ProcessReport {
    var pipes: [[Int32]] = []
    var input: [Int32] = [-1, -1]
    defer { for fd in pipes.joined() + input where fd >= 0 { close(fd) } }
    for _ in 0..<(resultBytes == nil ? 2 : 3) {
      pipes.append(try ChildDescriptors.pipe(executable: executable))
    }
    if let standardInput {
      // A pipe holds 4 KiB at least: the bytes are in it before the child starts, and it sees
      // their end once they are read.
      precondition(standardInput.count <= 4096, "standard input of a sandboxed process is at most 4 KiB")
      input = try ChildDescriptors.pipe(executable: executable)
      _ = standardInput.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
      close(input[1])
      input[1] = -1
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if input[0] >= 0 {
      posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, pipes[0][1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 2)
    if resultBytes != nil { posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 3) }
    let keepsClosedFrom = ChildDescriptors.closeFrom(&actions, resultBytes == nil ? 3 : 4)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    ChildDescriptors.startsInOwnGroup(&attributes)

    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }

    let start = Date()
    var pid: pid_t = 0
    var spawned: Int32 = 0
    while true {
      RunningChildren.parkIfStopping()
      spawned = keepsClosedFrom
        ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        : ChildDescriptors.withEveryDescriptorClosedOnExec { posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
      guard spawned == ETXTBSY, Date().timeIntervalSince(start) < 1 else { break }
      usleep(10_000)
    }
    for k in pipes.indices {
      close(pipes[k][1])
      pipes[k][1] = -1
    }
    if input[0] >= 0 {
      close(input[0])
      input[0] = -1
    }
    guard spawned == 0 else { throw SpawnError(executable: executable, code: spawned) }
    RunningChildren.started(pid, uids: sweepUIDs)
    defer { RunningChildren.ended(pid) }

    var streams = pipes.enumerated().map { k, pair in
      OutputStream(fd: pair[0], limit: k == 2 ? (resultBytes ?? 0) : maxOutputBytes)
    }
    for k in pipes.indices { pipes[k][0] = -1 }   // the streams own the read ends now
    for stream in streams { _ = fcntl(stream.fd, F_SETFL, O_NONBLOCK) }

    var status: Int32 = 0
    var timedOut = false
    var quotaExceeded: String?
    var lastQuotaCheck = start
    var watch = stallWatch
    var stalled = false
    // Once every stream is closed the child is usually exiting: wait 1 ms, then 2, 4, … up to 20.
    var idleWait: Int32 = 1
    while true {
      if waitpid(pid, &status, WNOHANG) == pid { break }
      let now = Date()
      if now.timeIntervalSince(start) >= wallClockSeconds {
        timedOut = true
        kill(-pid, SIGKILL)
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        break
      }
      if let quota, now.timeIntervalSince(lastQuotaCheck) >= 0.05 {
        lastQuotaCheck = now
        if let why = quota.exceeded() {
          quotaExceeded = why
          kill(-pid, SIGKILL)
          while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
          break
        }
      }
      if watch?.stalled(root: pid, now: now) == true {
        stalled = true
        kill(-pid, SIGKILL)
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        break
      }
      if streams.contains(where: { $0.isOpen }) {
        poll(&streams, milliseconds: 20)
      } else {
        poll(&streams, milliseconds: idleWait)
        idleWait = min(2 * idleWait, 20)
      }
    }
    let ended = Date()
    killGroup(pid)
    if !sweepUIDs.isEmpty { ProcessSweep.killAll(uids: sweepUIDs) }
    while streams.contains(where: { $0.isOpen }) && Date().timeIntervalSince(ended) < 0.3 {
      poll(&streams, milliseconds: 20)
    }
    for i in streams.indices { streams[i].close() }
    if quotaExceeded == nil, let quota { quotaExceeded = quota.exceeded() }

    let termination: ProcessTermination = (status & 0x7f) == 0
      ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    return ProcessReport(
      termination: termination, timedOut: timedOut, stdout: streams[0].bytes, stderr: streams[1].bytes,
      outputTruncated: streams[0].truncated || streams[1].truncated, seconds: ended.timeIntervalSince(start),
      results: streams.count > 2 ? streams[2].bytes : [], resultsTruncated: streams.count > 2 && streams[2].truncated,
      quotaExceeded: quotaExceeded, stalled: stalled)
  }

  /// Kills every process left in the group (a fork loop's children), retrying briefly until the
  /// group is empty; processes already dead but not yet reaped by init still answer, so the
  /// retries stop after 0.3 s.
  private static func killGroup(_ pgid: pid_t) {
    let start = Date()
    while kill(-pgid, SIGKILL) == 0 && Date().timeIntervalSince(start) < 0.3 {
      usleep(5_000)
    }
  }

  private struct OutputStream {
    var fd: Int32
    var limit: Int
    var bytes: [UInt8] = []
    var truncated = false
    var isOpen = true

    init(fd: Int32, limit: Int) {
      self.fd = fd
      self.limit = limit
    }

    mutating func drain() {
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while isOpen {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 {
          let room = max(0, limit - bytes.count)
          bytes.append(contentsOf: buffer[0..<min(n, room)])
          if n > room { truncated = true }
        } else if n == 0 {
          close()
        } else {
          if errno == EINTR { continue }
          if errno != EAGAIN && errno != EWOULDBLOCK { close() }
          return
        }
      }
    }

    mutating func close() {
      if isOpen {
        _ = Glibc.close(fd)
        isOpen = false
      }
    }
  }

  private static func poll(_ streams: inout [OutputStream], milliseconds: Int32) {
    let open = streams.indices.filter { streams[$0].isOpen }
    var fds = open.map { pollfd(fd: streams[$0].fd, events: Int16(POLLIN), revents: 0) }
    let ready = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), milliseconds) }
    guard ready > 0 else { return }
    for (k, i) in open.enumerated() where fds[k].revents != 0 {
      streams[i].drain()
    }
  }
}

/// The descriptors a child starts with: pipes made close-on-exec atomically, and every other
/// descriptor of the grader closed before exec.
///
/// ```
/// pipe2(O_CLOEXEC)                                  else pipe + FD_CLOEXEC under a lock
/// posix_spawn_file_actions_addclosefrom_np(n)       else FD_CLOEXEC set on every open
///                                                   descriptor ≥ 3 of the grader, under a lock
/// ```
/// Both are glibc ≥ 2.34 functions the Swift Glibc module does not declare, so they are looked up
/// once with `dlsym`.
enum ChildDescriptors {
  private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
  private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

  private static let lock = NSLock()
  nonisolated(unsafe) private static let pipe2: Pipe2? = symbol("pipe2")
  nonisolated(unsafe) private static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

  private static func symbol<T>(_ name: String) -> T? {
    guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
    return unsafeBitCast(address, to: T.self)
  }

  /// A pipe whose two ends are close-on-exec and numbered 10 or above (so that a `dup2` onto
  /// 0–3 never meets a descriptor of the same number).
  static func pipe(executable: String) throws -> [Int32] {
    var fds: [Int32] = [-1, -1]
    let made: Int32 = lock.withLock {
      if let pipe2 { return pipe2(&fds, O_CLOEXEC) }
      let result = Glibc.pipe(&fds)
      if result == 0 { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
      return result
    }
    guard made == 0 else { throw SandboxedProcess.SpawnError(executable: executable, code: errno) }
    return fds.map { fd in
      let high = fcntl(fd, F_DUPFD_CLOEXEC, 10)
      guard high >= 0 else { return fd }
      close(fd)
      return high
    }
  }

  /// Sets `attributes` (initialized) so the child starts in a process group of its own (killed
  /// as a whole), with every signal at its default action and none blocked, whatever the
  /// grader's own dispositions and mask.
  static func startsInOwnGroup(_ attributes: inout posix_spawnattr_t) {
    var all = sigset_t()
    sigfillset(&all)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
  }

  /// Adds "close every descriptor from `low` up" to `actions`; false when the C library cannot.
  static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ low: Int32) -> Bool {
    guard let closeFrom else { return false }
    return closeFrom(&actions, low) == 0
  }

  /// Runs `spawn` with FD_CLOEXEC set on every descriptor ≥ 3 of this process (the fallback of
  /// `closeFrom`; a descriptor the spawn dup2s onto 1–3 is a fresh one without the flag).
  static func withEveryDescriptorClosedOnExec<R>(_ spawn: () -> R) -> R {
    lock.withLock {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
      for name in names {
        if let fd = Int32(name), fd > 2 { _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) }
      }
      return spawn()
    }
  }
}

/// A bound on what a child may leave on disk in directories it can write: total bytes (blocks
/// in use, so a sparse file counts what it occupies) and entries, checked while it runs.
///
/// RLIMIT_FSIZE bounds each file; this bounds their sum where no size-limited file system holds
/// the directory (the rlimits isolation). The walk stops counting at the first bound passed.
struct WriteQuota: Sendable {
  var directories: [String]
  var maxBytes: Int
  var maxEntries: Int
  /// Whose bound it is, as the sentence names it.
  var owner = "the item's quota for its working directory"

  /// The sentence for a directory past its bound, or nil while within it.
  func exceeded() -> String? {
    var bytes = 0
    var entries = 0
    for directory in directories {
      walk(directory, depth: 0, bytes: &bytes, entries: &entries)
      if bytes > maxBytes {
        return "it wrote more than \(ByteCount.text(maxBytes)) to disk (\(owner))"
      }
      if entries > maxEntries {
        return "it made more than \(maxEntries) files (\(owner))"
      }
    }
    return nil
  }

  private func walk(_ path: String, depth: Int, bytes: inout Int, entries: inout Int) {
    guard depth < 64, bytes <= maxBytes, entries <= maxEntries, let directory = opendir(path) else { return }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
      if name == "." || name == ".." { continue }
      entries += 1
      let child = path + "/" + name
      var info = stat()
      guard lstat(child, &info) == 0 else { continue }
      bytes += Int(info.st_blocks) * 512
      if (info.st_mode & S_IFMT) == S_IFDIR { walk(child, depth: depth + 1, bytes: &bytes, entries: &entries) }
      if bytes > maxBytes || entries > maxEntries { return }
    }
  }
}

/// Byte counts as people read them: "64 MiB", "2 GiB", "1500 bytes".
enum ByteCount {
  static func text(_ n: Int) -> String {
    if n >= 1 << 30 && n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
    if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
    if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
    return "\(n) bytes"
  }
}
