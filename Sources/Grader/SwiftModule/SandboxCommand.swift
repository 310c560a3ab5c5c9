import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The command that starts one item under the chosen isolation, and the directory layout it needs.
///
/// ```
/// bubblewrap  bwrap --unshare-{net,pid,ipc,uts,cgroup} --die-with-parent --new-session --clearenv
///               /sbx/student (ro)  /sbx/inputs/<k>.txt (ro)  /sbx/work (rw, the item's directory)
///               /usr/lib, /lib* (ro): the C library, for the tools below and the student binary
///               the toolchain's Swift runtime directory (ro), at its own path, when dynamically linked
///             -- [setpriv --reuid U --regid U --clear-groups --no-new-privs]   (grader is root)
///                prlimit --as --cpu --nproc --fsize --core=0 --nofile -- /sbx/student <item> /sbx/inputs <n>
/// rlimits     prlimit … -- chroot --userspec=U:U --groups=U <item dir> /student <item> /inputs <n>   (root)
///               the item directory holds the binary, `inputs/` (a directory the grader owns) and,
///               when dynamically linked, hard links of `HarnessRuntime` at their own paths
///             prlimit … -- <binary> <item> <run's inputs directory> <n>                   (not root)
/// ```
/// `U` is an unused uid per item, so RLIMIT_NPROC counts only that item's processes. One process
/// answers the item at all `n` input sets; `limits` are the ones for the whole process (see
/// `SandboxLimits.scaled(forInputSets:)`).
enum SandboxPlan: Sendable, Equatable {
  case bubblewrap(bwrap: String, prlimit: String, setpriv: String?)
  case chroot(prlimit: String, chroot: String)
  case limitsOnly(prlimit: String)

  var name: String {
    switch self {
    case .bubblewrap(_, _, let setpriv):
      return setpriv == nil ? "bubblewrap (user namespace)" : "bubblewrap (unprivileged uid)"
    case .chroot: return "rlimits (chroot, unprivileged uid)"
    case .limitsOnly: return "rlimits (no file-system isolation: the grader is not root)"
    }
  }

  var isBubblewrap: Bool {
    if case .bubblewrap = self { return true }
    return false
  }

  /// Whether the child reports a signal as exit status 128 + signal (bwrap does).
  var reportsSignalsAsExitStatus: Bool { isBubblewrap }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var bubblewrapProbe: Result<SandboxPlan, HarnessSetupError>?

  static var isRoot: Bool { geteuid() == 0 }

  /// The plan for `isolation`, or why it cannot be had.
  static func resolve(_ isolation: Isolation) throws -> SandboxPlan {
    switch isolation {
    case .bubblewrap:
      return try probedBubblewrap().get()
    case .rlimits:
      return try rlimits()
    case .auto:
      if let plan = try? probedBubblewrap().get() { return plan }
      return try rlimits()
    }
  }

  private static func rlimits() throws -> SandboxPlan {
    guard let prlimit = ExecutableLookup.find("prlimit") else {
      throw HarnessSetupError.workspace("prlimit (util-linux) was not found, so no resource limit can be set.")
    }
    if isRoot, let chroot = ExecutableLookup.find("chroot") { return .chroot(prlimit: prlimit, chroot: chroot) }
    return .limitsOnly(prlimit: prlimit)
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
          let plan = SandboxPlan.bubblewrap(bwrap: bwrap, prlimit: prlimit, setpriv: setpriv)
          let probe = plan.bubblewrapArguments(binds: [], environment: [:], inner: ["/sbx/prlimit", "--version"])
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

  /// Everything one item launch needs.
  struct Launch {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
  }

  /// The launch of `item` on the `sets` input sets of the directory `inputs`, working in
  /// `itemDirectory`; `libraryDirectories` are bound read-only into a bubblewrap sandbox at their
  /// own paths.
  func launch(
    item: String, binary: String, inputs: String, sets: Int, itemDirectory: String, uid: UInt32, limits: SandboxLimits,
    libraryDirectories: [String] = []
  ) -> Launch {
    let count = { (bytes: Int) in String(max(bytes, 0)) }
    let limitArguments = [
      "--as=\(count(limits.memoryBytes))",
      "--cpu=\(max(limits.cpuSeconds, 1)):\(max(limits.cpuSeconds, 1) + 1)",
      "--nproc=\(max(limits.maxProcesses, 1) + SandboxPlan.processAllowance(for: self))",
      "--fsize=\(count(limits.maxFileBytes))",
      "--core=0",
      "--nofile=256",
    ]
    var environment = [
      "SWIFT_ROOT": "/",
      "SWIFT_BACKTRACE": "enable=no",
      "GRADING_ITEM": item,
      "GRADING_SETS": String(sets),
    ]
    switch self {
    case .bubblewrap(let bwrap, _, let setpriv):
      environment["GRADING_INPUTS"] = "/sbx/inputs"
      environment["GRADING_WORKDIR"] = "/sbx/work"
      var inner: [String] = []
      if setpriv != nil {
        inner += ["/sbx/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs", "--"]
      }
      inner += ["/sbx/prlimit"] + limitArguments + ["--", "/sbx/student", item, "/sbx/inputs", String(sets)]
      let binds = Self.readOnlyDirectoryBinds(libraryDirectories)
        + ["--ro-bind", binary, "/sbx/student", "--ro-bind", inputs, "/sbx/inputs",
           "--bind", itemDirectory, "/sbx/work", "--chdir", "/sbx/work"]
      return Launch(executable: bwrap, arguments: bubblewrapArguments(binds: binds, environment: environment, inner: inner),
                    environment: ["PATH": "/usr/bin:/bin"])
    case .chroot(let prlimit, let chroot):
      environment["GRADING_INPUTS"] = "/\(HarnessProtocol.inputsDirectoryName)"
      environment["GRADING_WORKDIR"] = "/"
      return Launch(
        executable: prlimit,
        arguments: limitArguments + ["--", chroot, "--userspec=\(uid):\(uid)", "--groups=\(uid)", itemDirectory, "/student", item,
                                            "/\(HarnessProtocol.inputsDirectoryName)", String(sets)],
        environment: environment)
    case .limitsOnly(let prlimit):
      environment["GRADING_INPUTS"] = inputs
      environment["GRADING_WORKDIR"] = itemDirectory
      return Launch(executable: prlimit, arguments: limitArguments + ["--", binary, item, inputs, String(sets)], environment: environment)
    }
  }

  /// Processes the item's uid already has that RLIMIT_NPROC counts: bwrap's own two in the user
  /// namespace case, the grader user's others without a uid of its own.
  private static func processAllowance(for plan: SandboxPlan) -> Int {
    switch plan {
    case .bubblewrap(_, _, let setpriv): return setpriv == nil ? 2 : 0
    case .chroot: return 0
    case .limitsOnly: return processesOfCurrentUser()
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
    var arguments: [String] = []
    var made: Set<String> = ["/", "/usr", "/sbx"]
    for directory in directories where directory.hasPrefix("/") {
      let path = (directory as NSString).standardizingPath
      let covered = systemLibraryDirectories.contains { path == $0 || path.hasPrefix($0 + "/") }
      guard !covered, !made.contains(path) else { continue }
      var parent = ""
      for component in path.split(separator: "/").dropLast() {
        parent += "/" + component
        if made.insert(parent).inserted { arguments += ["--perms", "0755", "--dir", parent] }
      }
      made.insert(path)
      arguments += ["--ro-bind", path, path]
    }
    return arguments
  }

  func bubblewrapArguments(binds: [String], environment: [String: String], inner: [String]) -> [String] {
    guard case .bubblewrap(_, let prlimit, let setpriv) = self else { return [] }
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
    return arguments + binds + ["--"] + inner
  }
}

/// Unused uids, one per item process, so that process limits and file ownership are per item.
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
