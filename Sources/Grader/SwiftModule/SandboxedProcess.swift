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

/// What a child process left behind: how it ended, whether the wall clock ran out, and the first
/// `maxOutputBytes` of each output stream.
struct ProcessReport: Sendable {
  var termination: ProcessTermination
  var timedOut: Bool
  var stdout: [UInt8]
  var stderr: [UInt8]
  var outputTruncated: Bool
  var seconds: Double

  var stderrText: String { String(decoding: stderr, as: UTF8.self) }
  var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Starts a child with `posix_spawn` in its own process group, with an explicit environment,
/// stdin from `/dev/null`, default signal dispositions and an empty signal mask, then reads its
/// output until it exits or the wall clock runs out, and kills the whole group either way.
///
/// ```
/// standard input    /dev/null, or a pipe holding `standardInput` (at most 4 KiB), then closed
/// deadline reached  → kill(-pgid, SIGKILL), report timedOut
/// streams closed    → check for the exit after 1, 2, 4, … ms (at most 20), not a fixed 20 ms
/// child exited      → kill(-pgid, SIGKILL) for anything it left behind, drain ≤ 0.3 s
/// output            → first maxOutputBytes per stream kept, the rest read and discarded
/// ```
enum SandboxedProcess {
  struct SpawnError: Error, CustomStringConvertible {
    var executable: String
    var code: Int32
    var description: String { "Could not start \(executable): \(String(cString: strerror(code)))." }
  }

  /// Held while a pipe exists without its close-on-exec flag, so that a child spawned at the same
  /// time by another item does not inherit it (and hold the stream open).
  private static let pipeLock = NSLock()

  static func run(
    executable: String, arguments: [String], environment: [String: String],
    wallClockSeconds: Double, maxOutputBytes: Int, standardInput: [UInt8]? = nil
  ) throws -> ProcessReport {
    var outPipe: [Int32] = [0, 0]
    var errPipe: [Int32] = [0, 0]
    var inPipe: [Int32] = [-1, -1]
    try pipeLock.withLock {
      guard pipe(&outPipe) == 0 else { throw SpawnError(executable: executable, code: errno) }
      guard pipe(&errPipe) == 0 else {
        close(outPipe[0]); close(outPipe[1])
        throw SpawnError(executable: executable, code: errno)
      }
      if standardInput != nil {
        guard pipe(&inPipe) == 0 else {
          for fd in outPipe + errPipe { close(fd) }
          throw SpawnError(executable: executable, code: errno)
        }
      }
      for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }
    if let standardInput {
      // A pipe holds 4 KiB at least: the bytes are in it before the child starts, and it sees
      // their end once they are read.
      precondition(standardInput.count <= 4096, "standard input of a sandboxed process is at most 4 KiB")
      _ = standardInput.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
      close(inPipe[1])
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if standardInput != nil {
      posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var all = sigset_t()
    sigfillset(&all)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }

    let start = Date()
    var pid: pid_t = 0
    let spawned = pipeLock.withLock { posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
    close(outPipe[1])
    close(errPipe[1])
    if inPipe[0] >= 0 { close(inPipe[0]) }
    guard spawned == 0 else {
      close(outPipe[0]); close(errPipe[0])
      throw SpawnError(executable: executable, code: spawned)
    }
    _ = fcntl(outPipe[0], F_SETFL, O_NONBLOCK)
    _ = fcntl(errPipe[0], F_SETFL, O_NONBLOCK)

    var streams = [OutputStream(fd: outPipe[0], limit: maxOutputBytes), OutputStream(fd: errPipe[0], limit: maxOutputBytes)]
    var status: Int32 = 0
    var timedOut = false
    // Once both streams are closed the child is usually exiting: wait 1 ms, then 2, 4, … up to 20.
    var idleWait: Int32 = 1
    while true {
      if waitpid(pid, &status, WNOHANG) == pid { break }
      if Date().timeIntervalSince(start) >= wallClockSeconds {
        timedOut = true
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
    while streams.contains(where: { $0.isOpen }) && Date().timeIntervalSince(ended) < 0.3 {
      poll(&streams, milliseconds: 20)
    }
    for i in streams.indices { streams[i].close() }

    let termination: ProcessTermination = (status & 0x7f) == 0
      ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    return ProcessReport(
      termination: termination, timedOut: timedOut, stdout: streams[0].bytes, stderr: streams[1].bytes,
      outputTruncated: streams.contains { $0.truncated }, seconds: ended.timeIntervalSince(start))
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
