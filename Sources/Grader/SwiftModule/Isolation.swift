/// How a student's Swift process is confined.
///
/// - `bubblewrap`: `bwrap` gives the process its own network (none), PID, IPC and UTS namespaces,
///   a root file system holding only the student's binary, its inputs (read-only) and an empty
///   working directory, a scrubbed environment, and, when the grader runs as root, an unused
///   unprivileged uid; `prlimit` then applies `SandboxLimits` inside the sandbox.
/// - `rlimits`: no namespaces; `prlimit` applies the same resource limits to the child. When the
///   grader runs as root the child is also `chroot`ed into its working directory under an unused
///   unprivileged uid, so it cannot read files outside it. Without root it can read whatever the
///   grader's user can, and it can use the network.
/// - `auto`: `bubblewrap` when `bwrap` is installed and starts, else `rlimits`.
public enum Isolation: String, Sendable, CaseIterable {
  case auto, bubblewrap, rlimits
}

/// The limits every item process runs under.
///
/// ```
/// wall clock   parent kills the whole process group (and the sandbox) after wallClockSeconds
/// CPU time     RLIMIT_CPU: SIGXCPU at cpuSeconds, SIGKILL one second later
/// memory       RLIMIT_AS: address space, in bytes
/// processes    RLIMIT_NPROC: processes of the item's own uid (see `Isolation`)
/// file size    RLIMIT_FSIZE: largest file the item may write, in bytes
/// output       bytes of stdout and of stderr kept; the rest is read and discarded
/// ```
///
/// One process answers an item at every input set of a run (the student's, then the hidden ones),
/// so the wall-clock and CPU-time limits of that process are these limits times the number of sets
/// (`scaled(forInputSets:)`): each set gets the time one set alone would, but a set may use time
/// an earlier one left. Memory, processes, file size and output are limits of the process, whatever
/// the number of sets.
///
/// Edge cases: RLIMIT_NPROC is not enforced for root, so it only holds when the item runs under
/// an unprivileged uid: always with bubblewrap (an unused uid when the grader is root, a user
/// namespace otherwise) and, with rlimits, when the grader is root (an unused uid) or a user
/// whose other processes it then counts too.
public struct SandboxLimits: Sendable, Equatable {
  public var wallClockSeconds: Double
  public var cpuSeconds: Int
  public var memoryBytes: Int
  public var maxProcesses: Int
  public var maxFileBytes: Int
  public var maxOutputBytes: Int
  /// Wall-clock limit of the compiler run, which builds but never executes student code.
  public var compileSeconds: Double
  /// Items run at the same time, each in its own process.
  public var parallelItems: Int

  public init(
    wallClockSeconds: Double = 10,
    cpuSeconds: Int = 10,
    memoryBytes: Int = 2 << 30,
    maxProcesses: Int = 16,
    maxFileBytes: Int = 16 << 20,
    maxOutputBytes: Int = 64 << 10,
    compileSeconds: Double = 120,
    parallelItems: Int = 2
  ) {
    self.wallClockSeconds = wallClockSeconds
    self.cpuSeconds = cpuSeconds
    self.memoryBytes = memoryBytes
    self.maxProcesses = maxProcesses
    self.maxFileBytes = maxFileBytes
    self.maxOutputBytes = maxOutputBytes
    self.compileSeconds = compileSeconds
    self.parallelItems = parallelItems
  }

  public static let `default` = SandboxLimits()

  /// The limits of one process that answers `sets` input sets: wall clock and CPU time times `sets`.
  func scaled(forInputSets sets: Int) -> SandboxLimits {
    var limits = self
    let n = max(sets, 1)
    limits.wallClockSeconds = wallClockSeconds * Double(n)
    limits.cpuSeconds = max(cpuSeconds, 1) * n
    return limits
  }
}
