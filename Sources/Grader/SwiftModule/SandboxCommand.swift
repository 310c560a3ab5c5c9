import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The commands that start one item, or the compiler, under the chosen isolation.
///
/// ```
/// bubblewrap  bwrap --unshare-{net,pid,ipc,uts,cgroup} --die-with-parent --new-session --clearenv
///               /sbx/student, /sbx/inputs/<k>.txt (ro) · /usr/lib, /lib* and the Swift runtime (ro)
///               /sbx/work: a private tmpfs of maxWorkspaceBytes (1777), /tmp → /sbx/work
///               / remounted read-only
///             -- [setpriv --reuid U --regid U --clear-groups --no-new-privs]   (grader is root)
///                prlimit --as --cpu --nproc --fsize --core=0 --nofile -- /sbx/student <item> /sbx/inputs <n>
/// chroot      [unshare --net --ipc --uts] prlimit … -- chroot --userspec=U:U --groups=U <root> /student …
///               (root) <root>: the binary, `inputs/` and the runtime, owned by the grader;
///               `work/` (0700, U) its only writable directory, under a `WriteQuota`
/// limitsOnly  [unshare --user --map-current-user --net --ipc --uts --pid --fork --kill-child
///              --mount-proc -- /bin/sh -c '"$@"; exit $?' grading-item]   (when user namespaces work)
///               prlimit … -- <binary> <item> <inputs directory> <n>       (not root)
/// ```
/// The compiler runs the same way (`compileLaunch`): in bubblewrap with `/usr`, the toolchain,
/// the harness cache and the copied sources read-only, the output and module-cache directories
/// writable and a private tmpfs `/tmp`; with rlimits as `chroot --userspec=U:U / swiftc …` (root)
/// or the user's own processes (not root), with a private temporary directory under a quota.
///
/// `U` is an unused uid per item (and per compile), so RLIMIT_NPROC counts only its processes and
/// `ProcessSweep` can kill them all. One process answers the item at all `n` input sets; `limits`
/// are the ones for the whole process (see `SandboxLimits.scaled(forInputSets:)`). In the
/// no-root plans the sh wrapper is PID 1 of the namespace, so that the item's own process is not
/// (PID 1 ignores the signals it has no handler for, SIGXCPU among them).
enum SandboxPlan: Sendable, Equatable {
  case bubblewrap(bwrap: String, prlimit: String, setpriv: String?, sizedTmpfs: Bool)
  case chroot(prlimit: String, chroot: String, unshare: String?)
  case limitsOnly(prlimit: String, unshare: String?)

  var name: String {
    switch self {
    case .bubblewrap(_, _, let setpriv, _):
      return setpriv == nil ? "bubblewrap (user namespace)" : "bubblewrap (unprivileged uid)"
    case .chroot(_, _, let unshare):
      return unshare == nil
        ? "rlimits (chroot, unprivileged uid; the network is reachable: unshare is not installed)"
        : "rlimits (chroot, unprivileged uid, no network)"
    case .limitsOnly(_, let unshare):
      return unshare == nil
        ? "rlimits (no file-system isolation: the grader is not root; the network is reachable, no user namespace)"
        : "rlimits (no file-system isolation: the grader is not root; no network, own PID namespace)"
    }
  }

  var isBubblewrap: Bool {
    if case .bubblewrap = self { return true }
    return false
  }

  /// Whether the child reports a signal as exit status 128 + signal (bwrap and the sh wrapper do).
  var reportsSignalsAsExitStatus: Bool {
    switch self {
    case .bubblewrap: return true
    case .chroot: return false
    case .limitsOnly(_, let unshare): return unshare != nil
    }
  }

  /// Whether each item and compile runs under an unused uid of its own (then swept at its end).
  var usesItemUIDs: Bool {
    switch self {
    case .bubblewrap(_, _, let setpriv, _): return setpriv != nil
    case .chroot: return true
    case .limitsOnly: return false
    }
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var bubblewrapProbe: Result<SandboxPlan, HarnessSetupError>?
  nonisolated(unsafe) private static var rlimitsProbe: Result<SandboxPlan, HarnessSetupError>?

  static var isRoot: Bool { geteuid() == 0 }

  /// The plan for `isolation`, or why it cannot be had.
  static func resolve(_ isolation: Isolation) throws -> SandboxPlan {
    switch isolation {
    case .bubblewrap:
      return try probedBubblewrap().get()
    case .rlimits:
      return try probedRlimits().get()
    case .auto:
      if let plan = try? probedBubblewrap().get() { return plan }
      return try probedRlimits().get()
    }
  }

  /// The rlimits plan, with `unshare` when a trial run of it works here.
  private static func probedRlimits() -> Result<SandboxPlan, HarnessSetupError> {
    lock.withLock {
      if let known = rlimitsProbe { return known }
      let result: Result<SandboxPlan, HarnessSetupError>
      if let prlimit = ExecutableLookup.find("prlimit") {
        let unshare = ExecutableLookup.find("unshare")
        if isRoot, let chroot = ExecutableLookup.find("chroot") {
          let plan = SandboxPlan.chroot(prlimit: prlimit, chroot: chroot, unshare: unshare)
          result = .success(unshare != nil && !probe(plan, prlimit: prlimit) ? .chroot(prlimit: prlimit, chroot: chroot, unshare: nil) : plan)
        } else {
          let plan = SandboxPlan.limitsOnly(prlimit: prlimit, unshare: unshare)
          result = .success(unshare != nil && !probe(plan, prlimit: prlimit) ? .limitsOnly(prlimit: prlimit, unshare: nil) : plan)
        }
      } else {
        result = .failure(.workspace("prlimit (util-linux) was not found, so no resource limit can be set."))
      }
      rlimitsProbe = result
      return result
    }
  }

  /// Whether `prlimit --version` runs under the plan's namespaces.
  private static func probe(_ plan: SandboxPlan, prlimit: String) -> Bool {
    let (executable, arguments) = plan.namespaceWrapper(inner: [prlimit, "--version"])
    let report = try? SandboxedProcess.run(
      executable: executable, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
      wallClockSeconds: 20, maxOutputBytes: 1 << 14)
    return report?.termination == .exited(0)
  }

  /// Finds `bwrap` and checks once that it can start a sandbox like the items' here.
  private static func probedBubblewrap() -> Result<SandboxPlan, HarnessSetupError> {
    lock.withLock {
      if let known = bubblewrapProbe { return known }
      let result: Result<SandboxPlan, HarnessSetupError>
      if let bwrap = ExecutableLookup.find("bwrap"), let prlimit = ExecutableLookup.find("prlimit") {
        let setpriv = isRoot ? ExecutableLookup.find("setpriv") : nil
        if isRoot && setpriv == nil {
          result = .failure(.bubblewrapUnavailable("setpriv (util-linux) was not found, so the item could not drop root."))
        } else {
          let help = try? SandboxedProcess.run(
            executable: bwrap, arguments: ["--help"], environment: ["PATH": "/usr/bin:/bin"],
            wallClockSeconds: 20, maxOutputBytes: 1 << 16)
          let sized = help?.stdoutText.contains("--size") ?? false
          let plan = SandboxPlan.bubblewrap(bwrap: bwrap, prlimit: prlimit, setpriv: setpriv, sizedTmpfs: sized)
          let probe = plan.bubblewrapArguments(binds: sized ? plan.workspaceBinds(limits: .default, hostDirectory: "") : [],
                                               environment: [:], inner: ["/sbx/prlimit", "--version"])
          let report = try? SandboxedProcess.run(
            executable: bwrap, arguments: probe, environment: ["PATH": "/usr/bin:/bin"],
            wallClockSeconds: 20, maxOutputBytes: 1 << 14)
          if let report, report.termination == .exited(0) {
            result = .success(plan)
          } else {
            let why = report.map { $0.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "it could not be started"
            result = .failure(.bubblewrapUnavailable("`bwrap` failed to start a sandbox: \(why)"))
          }
        }
      } else {
        result = .failure(.bubblewrapUnavailable("bwrap or prlimit is not installed."))
      }
      bubblewrapProbe = result
      return result
    }
  }

  /// Everything one launch needs.
  struct Launch {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    /// The total bound on the directories it writes, when no size-limited file system holds them.
    var quota: WriteQuota?
  }

  /// Where an item runs: for bubblewrap nothing on the host but the binary and the inputs; for
  /// a chroot its root (`work/` inside it); without root its own directory.
  struct ItemDirectories {
    /// The chroot's root, or the item's working directory (limitsOnly); unused by bubblewrap
    /// unless its tmpfs cannot be sized.
    var root: String
    /// The directory it may write, on the host.
    var work: String
  }

  /// The launch of `item` on the `sets` input sets of the directory `inputs`, with `directories`
  /// prepared by `Workspace.prepareItemDirectory`; `libraryDirectories` are bound read-only into
  /// a bubblewrap sandbox at their own paths. Descriptor 3 is the item's result pipe.
  func launch(
    item: String, binary: String, inputs: String, sets: Int, directories: ItemDirectories, uid: UInt32, limits: SandboxLimits,
    libraryDirectories: [String] = []
  ) -> Launch {
    let limitArguments = Self.limitArguments(
      memory: limits.memoryBytes, cpuSeconds: limits.cpuSeconds, processes: limits.maxProcesses + Self.processAllowance(for: self),
      fileBytes: limits.maxFileBytes, files: 256)
    var environment = [
      "SWIFT_ROOT": "/",
      "SWIFT_BACKTRACE": "enable=no",
      "GRADING_ITEM": item,
      "GRADING_SETS": String(sets),
    ]
    let quota = WriteQuota(directories: [directories.work], maxBytes: limits.maxWorkspaceBytes, maxEntries: 4096)
    switch self {
    case .bubblewrap(let bwrap, _, let setpriv, let sized):
      environment["GRADING_INPUTS"] = "/sbx/inputs"
      environment["GRADING_WORKDIR"] = "/sbx/work"
      var inner: [String] = []
      if setpriv != nil {
        inner += ["/sbx/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs", "--"]
      }
      inner += ["/sbx/prlimit"] + limitArguments + ["--", "/sbx/student", item, "/sbx/inputs", String(sets)]
      let binds = Self.directoryBinds(libraryDirectories.map { ($0, false) })
        + ["--ro-bind", binary, "/sbx/student", "--ro-bind", inputs, "/sbx/inputs"]
        + workspaceBinds(limits: limits, hostDirectory: directories.work) + ["--chdir", "/sbx/work"]
      return Launch(executable: bwrap, arguments: bubblewrapArguments(binds: binds, environment: environment, inner: inner),
                    environment: ["PATH": "/usr/bin:/bin"], quota: sized ? nil : quota)
    case .chroot(let prlimit, let chroot, let unshare):
      environment["GRADING_INPUTS"] = "/\(HarnessProtocol.inputsDirectoryName)"
      environment["GRADING_WORKDIR"] = "/work"
      let command = [prlimit] + limitArguments
        + ["--", chroot, "--userspec=\(uid):\(uid)", "--groups=\(uid)", directories.root, "/student", item,
           "/\(HarnessProtocol.inputsDirectoryName)", String(sets)]
      let wrapped = unshare.map { [$0, "--net", "--ipc", "--uts", "--"] + command } ?? command
      return Launch(executable: wrapped[0], arguments: Array(wrapped.dropFirst()), environment: environment, quota: quota)
    case .limitsOnly(let prlimit, _):
      environment["GRADING_INPUTS"] = inputs
      environment["GRADING_WORKDIR"] = directories.work
      let (executable, arguments) = namespaceWrapper(inner: [prlimit] + limitArguments + ["--", binary, item, inputs, String(sets)])
      return Launch(executable: executable, arguments: arguments, environment: environment, quota: quota)
    }
  }

  /// The launch of `swiftc arguments` under this plan, as `uid` when the plan has item uids.
  ///
  /// `readable` are bound read-only and `writable` read-write into a bubblewrap sandbox at
  /// their own paths; `temporary` is the compiler's private directory for the rlimits plans
  /// (TMPDIR and HOME; bubblewrap gives it a tmpfs `/tmp` instead).
  func compileLaunch(
    swiftc: String, arguments: [String], toolchain: String, readable: [String], writable: [String], temporary: String,
    uid: UInt32, limits: SandboxLimits
  ) -> Launch {
    let seconds = max(Int(limits.compileSeconds.rounded(.up)), 1)
    let limitArguments = Self.limitArguments(
      memory: limits.compileMemoryBytes, cpuSeconds: seconds, processes: limits.maxProcesses + Self.processAllowance(for: self),
      fileBytes: Self.compileFileBytes, files: 4096)
    let path = "\(toolchain)/bin:/usr/bin:/bin"
    let quota = WriteQuota(directories: writable + [temporary], maxBytes: Self.compileTemporaryBytes, maxEntries: 65_536)
    switch self {
    case .bubblewrap(let bwrap, _, let setpriv, let sized):
      var inner: [String] = []
      if setpriv != nil {
        inner += ["/sbx/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs", "--"]
      }
      inner += ["/sbx/prlimit"] + limitArguments + ["--", swiftc] + arguments
      var binds = ["--ro-bind", "/usr", "/usr"]
      binds += sized ? ["--perms", "1777", "--size", String(Self.compileTemporaryBytes), "--tmpfs", "/tmp"] : ["--bind", temporary, "/tmp"]
      binds += Self.directoryBinds([(toolchain, false)] + readable.map { ($0, false) } + writable.map { ($0, true) },
                                   existing: ["/", "/usr", "/sbx", "/tmp"], covered: ["/usr"])
      binds += ["--chdir", "/tmp"]
      let environment = ["PATH": path, "HOME": "/tmp", "TMPDIR": "/tmp", "LC_ALL": "C"]
      return Launch(executable: bwrap, arguments: bubblewrapArguments(binds: binds, environment: environment, inner: inner),
                    environment: ["PATH": "/usr/bin:/bin"],
                    quota: sized ? WriteQuota(directories: writable, maxBytes: Self.compileTemporaryBytes, maxEntries: 65_536) : quota)
    case .chroot(let prlimit, let chroot, let unshare):
      let command = [prlimit] + limitArguments
        + ["--", chroot, "--userspec=\(uid):\(uid)", "--groups=\(uid)", "--skip-chdir", "/", swiftc] + arguments
      let wrapped = unshare.map { [$0, "--net", "--ipc", "--uts", "--"] + command } ?? command
      return Launch(executable: wrapped[0], arguments: Array(wrapped.dropFirst()),
                    environment: ["PATH": path, "HOME": temporary, "TMPDIR": temporary, "LC_ALL": "C"], quota: quota)
    case .limitsOnly(let prlimit, _):
      let (executable, wrapped) = namespaceWrapper(inner: [prlimit] + limitArguments + ["--", swiftc] + arguments)
      return Launch(executable: executable, arguments: wrapped,
                    environment: ["PATH": path, "HOME": temporary, "TMPDIR": temporary, "LC_ALL": "C"], quota: quota)
    }
  }

  /// Largest file the compiler may write (the executable, an object file).
  static let compileFileBytes = 256 << 20
  /// The compiler's temporary space (its tmpfs `/tmp`, or the quota of its directories).
  static let compileTemporaryBytes = 512 << 20

  static func limitArguments(memory: Int, cpuSeconds: Int, processes: Int, fileBytes: Int, files: Int) -> [String] {
    let cpu = max(cpuSeconds, 1)
    return [
      "--as=\(max(memory, 0))",
      "--cpu=\(cpu):\(cpu + 1)",
      "--nproc=\(max(processes, 1))",
      "--fsize=\(max(fileBytes, 0))",
      "--core=0",
      "--nofile=\(files)",
    ]
  }

  /// `inner` run in the plan's namespaces: for limitsOnly with `unshare`, a user namespace
  /// without network, with its own PID namespace (an sh as PID 1) and /proc; for a chroot with
  /// `unshare`, no network; otherwise `inner` itself.
  func namespaceWrapper(inner: [String]) -> (String, [String]) {
    switch self {
    case .limitsOnly(_, let unshare?):
      return (unshare, ["--user", "--map-current-user", "--net", "--ipc", "--uts", "--pid", "--fork", "--kill-child",
                        "--mount-proc", "--", "/bin/sh", "-c", "\"$@\"; exit $?", "grading-item"] + inner)
    case .chroot(_, _, let unshare?):
      return (unshare, ["--net", "--ipc", "--uts", "--"] + inner)
    default:
      return (inner[0], Array(inner.dropFirst()))
    }
  }

  /// The item's writable space in a bubblewrap sandbox: a private tmpfs of `maxWorkspaceBytes`
  /// when bwrap can size one, else `hostDirectory` (under a `WriteQuota`); `/tmp` points to it.
  func workspaceBinds(limits: SandboxLimits, hostDirectory: String) -> [String] {
    guard case .bubblewrap(_, _, _, let sized) = self else { return [] }
    let space = sized
      ? ["--perms", "1777", "--size", String(max(limits.maxWorkspaceBytes, 4096)), "--tmpfs", "/sbx/work"]
      : ["--bind", hostDirectory, "/sbx/work"]
    return space + ["--symlink", "/sbx/work", "/tmp"]
  }

  /// Processes the item's uid already has that RLIMIT_NPROC counts: bwrap's own two in the user
  /// namespace case, the grader user's others without a uid of its own (and the sh wrapper).
  private static func processAllowance(for plan: SandboxPlan) -> Int {
    switch plan {
    case .bubblewrap(_, _, let setpriv, _): return setpriv == nil ? 2 : 0
    case .chroot: return 0
    case .limitsOnly: return processesOfCurrentUser() + 1
    }
  }

  static func processesOfCurrentUser() -> Int {
    let uid = getuid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var count = 0
    for entry in entries where entry.allSatisfy(\.isNumber) {
      var info = stat()
      if stat("/proc/\(entry)", &info) == 0 && info.st_uid == uid { count += 1 }
    }
    return count
  }

  /// The system directories every bubblewrap sandbox binds (read-only, or as the host's symlink).
  static let systemLibraryDirectories = ["/usr/lib", "/usr/lib64", "/lib", "/lib64"]

  /// `--ro-bind d d` for each directory not already inside a system library directory, after
  /// `--perms 0755 --dir` for each new parent (bwrap would make them 0700, which the item's uid
  /// could not cross).
  static func readOnlyDirectoryBinds(_ directories: [String]) -> [String] {
    directoryBinds(directories.map { ($0, false) })
  }

  /// `--ro-bind d d` (or `--bind d d` when writable) for each absolute directory not inside a
  /// `covered` one, after `--perms 0755 --dir` for each parent not `existing` yet.
  static func directoryBinds(
    _ directories: [(path: String, writable: Bool)], existing: Set<String> = ["/", "/usr", "/sbx"],
    covered: [String] = systemLibraryDirectories
  ) -> [String] {
    var arguments: [String] = []
    var made = existing
    for (directory, writable) in directories where directory.hasPrefix("/") {
      let path = (directory as NSString).standardizingPath
      let isCovered = covered.contains { path == $0 || path.hasPrefix($0 + "/") }
      guard !isCovered, !made.contains(path) else { continue }
      var parent = ""
      for component in path.split(separator: "/").dropLast() {
        parent += "/" + component
        if made.insert(parent).inserted { arguments += ["--perms", "0755", "--dir", parent] }
      }
      made.insert(path)
      arguments += [writable ? "--bind" : "--ro-bind", path, path]
    }
    return arguments
  }

  func bubblewrapArguments(binds: [String], environment: [String: String], inner: [String]) -> [String] {
    guard case .bubblewrap(_, let prlimit, let setpriv, _) = self else { return [] }
    var arguments = ["--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid", "--unshare-ipc",
                     "--unshare-uts", "--unshare-cgroup-try"]
    if setpriv == nil { arguments += ["--unshare-user", "--cap-drop", "ALL"] }
    arguments += ["--clearenv"]
    for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["--setenv", key, value] }
    arguments += ["--perms", "0755", "--dir", "/usr", "--perms", "0755", "--dir", "/sbx"]
    let fm = FileManager.default
    for path in Self.systemLibraryDirectories {
      if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
        arguments += ["--symlink", target, path]
      } else if fm.fileExists(atPath: path) {
        arguments += ["--ro-bind", path, path]
      }
    }
    arguments += ["--ro-bind", prlimit, "/sbx/prlimit"]
    if let setpriv { arguments += ["--ro-bind", setpriv, "/sbx/setpriv"] }
    arguments += ["--proc", "/proc", "--dev", "/dev"]
    return arguments + binds + ["--remount-ro", "/", "--"] + inner
  }
}

/// Unused uids, one per item process and per compile, so that process limits, file ownership and
/// the sweep at the end are per item.
enum UnprivilegedIDs {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var counter: UInt32 = 0

  /// 1 900 000 000 + (pid mod 20 000)·4096 + a counter: below 2³¹, far from system and user ids.
  static func next() -> UInt32 {
    lock.withLock {
      counter &+= 1
      return 1_900_000_000 + UInt32(getpid() % 20_000) * 4096 + counter % 4096
    }
  }
}
