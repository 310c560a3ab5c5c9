/// How a student's Swift process, and the compiler run on the student's files, are confined.
///
/// - `bubblewrap`: `bwrap` gives the process its own network (none), PID, IPC and UTS namespaces,
///   a read-only root file system holding only the student's binary, its inputs and the libraries
///   it loads, a private size-limited tmpfs as its only writable space (`/sbx/work`, also `/tmp`),
///   a scrubbed environment, and, when the grader runs as root, an unused unprivileged uid;
///   `prlimit` then applies `SandboxLimits` inside the sandbox. Every process of the item dies
///   with it (`--die-with-parent` and the PID namespace).
/// - `rlimits`: `prlimit` applies the same resource limits. When the grader runs as root the
///   process is also `chroot`ed into a directory holding only its binary, inputs and runtime,
///   under an unused unprivileged uid, in its own network (none), IPC and UTS namespaces
///   (`unshare`); its writable directory is bounded by RLIMIT_FSIZE per file and a total checked
///   while it runs (`WriteQuota`), and every process of its uid is killed when it ends. Without
///   root it can read and write whatever the grader's user can (the grader's binary, its cache,
///   other students' files): only a user namespace, when the kernel allows one, then gives it no
///   network and a PID namespace that dies with it; without one it can also reach the network,
///   and a process that leaves its process group can outlive the item. The report's isolation
///   note says which.
/// - `auto`: `bubblewrap` when `bwrap` is installed and starts, else `rlimits`.
///
/// The compiler runs under the same isolation and limits (`compileMemoryBytes`, `compileSeconds`,
/// processes, file size), on copies of the submission's regular files, with its own bounded
/// temporary space; its writes outside it are the binary only.
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
/// disk         maxWorkspaceBytes: all the item writes (a tmpfs of that size with bubblewrap, a
///              total checked every 50 ms with rlimits)
/// descriptors  RLIMIT_NOFILE 256; the child starts with 0–2 and its result pipe (3) only
/// compile      compileMemoryBytes of address space, compileSeconds of CPU time (three times
///              as much wall clock, for a loaded machine), the same process limit, 256 MiB per
///              file, 512 MiB of temporary space
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
  /// CPU-time limit of the compiler run, which builds but never executes student code; its
  /// wall clock may run three times as long (`compileWallClockSeconds`).
  public var compileSeconds: Double
  /// Items run at the same time, each in its own process.
  public var parallelItems: Int
  /// Everything an item may write, in bytes: its private tmpfs, or its directory's quota.
  public var maxWorkspaceBytes: Int
  /// Address space of the compiler's processes, in bytes.
  public var compileMemoryBytes: Int

  public init(
    wallClockSeconds: Double = 10,
    cpuSeconds: Int = 10,
    memoryBytes: Int = 2 << 30,
    maxProcesses: Int = 16,
    maxFileBytes: Int = 16 << 20,
    maxOutputBytes: Int = 64 << 10,
    compileSeconds: Double = 120,
    parallelItems: Int = 2,
    maxWorkspaceBytes: Int = 64 << 20,
    compileMemoryBytes: Int = 4 << 30
  ) {
    self.wallClockSeconds = wallClockSeconds
    self.cpuSeconds = cpuSeconds
    self.memoryBytes = memoryBytes
    self.maxProcesses = maxProcesses
    self.maxFileBytes = maxFileBytes
    self.maxOutputBytes = maxOutputBytes
    self.compileSeconds = compileSeconds
    self.parallelItems = parallelItems
    self.maxWorkspaceBytes = maxWorkspaceBytes
    self.compileMemoryBytes = compileMemoryBytes
  }

  public static let `default` = SandboxLimits()

  /// The compiler's wall-clock limit: three times its CPU time, so that on a loaded machine a
  /// compile is stopped by the CPU time it used, not by waiting for a core.
  public var compileWallClockSeconds: Double { 3 * compileSeconds }

  /// The limits of one process that answers `sets` input sets: wall clock and CPU time times `sets`.
  func scaled(forInputSets sets: Int) -> SandboxLimits {
    var limits = self
    let n = max(sets, 1)
    limits.wallClockSeconds = wallClockSeconds * Double(n)
    limits.cpuSeconds = max(cpuSeconds, 1) * n
    return limits
  }
}
