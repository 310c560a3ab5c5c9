import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where and how the Python harness of one run starts, under each isolation (`SandboxPlan`).
///
/// ```
/// bubblewrap  bwrap --unshare-{net,pid,ipc,uts,cgroup} --die-with-parent --new-session --clearenv
///               /usr/lib, /lib* (ro) · the interpreter, its libraries and standard library (ro,
///               at their own paths) · every site directory inside them hidden by an empty
///               read-only tmpfs, with only the allowed packages bound back (numpy, numpy.libs, …)
///               /sbx/harness (ro) · /sbx/student (ro) · /sbx/run (ro: config.json, inputs/<k>/)
///               / remounted read-only: the student's code can write nowhere
///             [--cap-drop ALL --cap-add CAP_SETUID,CAP_SETGID,CAP_KILL]   (grader is root)
///             -- python3 -I -S -B /sbx/harness/harness.py /sbx/run
/// chroot      [unshare --net --ipc --uts --pid --fork --kill-child --] chroot <root>
///               /sbx/setpriv --bounding-set=-all,+setuid,+setgid,+kill --inh-caps=-all --no-new-privs
///               -- python3 -I -S -B /sbx/harness/harness.py /sbx/runs/<r>     (grader is root)
///               <root>: `PythonRuntime` and /sbx, every file owned by root, nothing writable
/// limitsOnly  python3 -I -S -B <workspace>/…/harness.py <run directory>      (not root)
/// ```
/// In the root plans the harness keeps only the capabilities to give each item an unused uid of
/// its own and to kill that uid's processes; every item's process drops them with its uid. The
/// item's limits (`SandboxLimits`: memory, CPU time, processes, file size, descriptors) are set
/// by the harness in the item's process before the student's code is imported, and the wall
/// clock is enforced by the harness per item and by the grader for the whole run.
struct PythonSandbox: Sendable {
  var plan: SandboxPlan
  var interpreter: PythonInterpreter
  /// The packages a submission may import, NumPy first.
  var packages: [(name: String, package: PythonInterpreter.Package)]
  /// `unshare`, for a chroot plan whose namespaces work here.
  var unshare: String?
  /// What the report says, e.g. "bubblewrap (unprivileged uid per item)".
  var name: String

  /// Whether each item runs under an unused uid of its own (the grader is root).
  var usesItemUIDs: Bool {
    switch plan {
    case .bubblewrap(_, _, let setpriv): return setpriv != nil
    case .chroot: return true
    case .limitsOnly: return false
    }
  }

  /// Whether the interpreter and packages must be installed into the workspace's root.
  var needsRuntime: Bool {
    if case .chroot = plan { return true }
    return false
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var probes: [String: Bool] = [:]

  /// The sandbox for `isolation`: bubblewrap when asked or, for `auto`, when a trial run of the
  /// interpreter in it works; rlimits otherwise.
  static func resolve(
    _ isolation: Isolation, interpreter: PythonInterpreter, packages: [(name: String, package: PythonInterpreter.Package)]
  ) throws -> PythonSandbox {
    func made(_ plan: SandboxPlan) -> PythonSandbox {
      var sandbox = PythonSandbox(plan: plan, interpreter: interpreter, packages: packages, unshare: nil, name: plan.name)
      switch plan {
      case .bubblewrap(_, _, let setpriv):
        sandbox.name = setpriv == nil ? "bubblewrap (user namespace)" : "bubblewrap (unprivileged uid per item)"
      case .chroot:
        sandbox.unshare = workingUnshare()
        sandbox.name = sandbox.unshare == nil
          ? "rlimits (chroot, unprivileged uid per item; the network is reachable: unshare is unavailable)"
          : "rlimits (chroot, unprivileged uid per item, no network)"
      case .limitsOnly:
        break
      }
      return sandbox
    }
    switch isolation {
    case .rlimits:
      return made(try SandboxPlan.resolve(.rlimits))
    case .bubblewrap:
      let sandbox = made(try SandboxPlan.resolve(.bubblewrap))
      if let why = sandbox.trialFailure() { throw HarnessSetupError.bubblewrapUnavailable(why) }
      return sandbox
    case .auto:
      if let plan = try? SandboxPlan.resolve(.bubblewrap) {
        let sandbox = made(plan)
        if sandbox.trialFailure() == nil { return sandbox }
      }
      return made(try SandboxPlan.resolve(.rlimits))
    }
  }

  /// Why the interpreter does not start in this bubblewrap sandbox (checked once per process).
  private func trialFailure() -> String? {
    guard case .bubblewrap(let bwrap, _, _) = plan else { return nil }
    let key = ([bwrap, interpreter.executable] + packages.map(\.package.directory)).joined(separator: "\u{0}")
    if let known = Self.lock.withLock({ Self.probes[key] }) { return known ? nil : "python3 does not start in the sandbox" }
    let arguments = plan.bubblewrapArguments(
      binds: bubblewrapBinds() + rootCapabilities, environment: Self.environment(home: "/"),
      inner: [interpreter.executable, "-I", "-S", "-B", "-c", "import sys"])
    let report = try? SandboxedProcess.run(
      executable: bwrap, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"], wallClockSeconds: 60, maxOutputBytes: 1 << 14)
    let works = report?.termination == .exited(0)
    Self.lock.withLock { Self.probes[key] = works }
    if works { return nil }
    let why = report.map { $0.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    return "python3 does not start in the sandbox" + (why.isEmpty ? "" : ": \(why)")
  }

  /// `unshare` when `unshare --net --ipc --uts --pid --fork --kill-child` works here.
  private static func workingUnshare() -> String? {
    guard let unshare = ExecutableLookup.find("unshare"), let truePath = ExecutableLookup.find("true") else { return nil }
    let key = "unshare\u{0}" + unshare
    if let known = lock.withLock({ probes[key] }) { return known ? unshare : nil }
    let report = try? SandboxedProcess.run(
      executable: unshare, arguments: namespaceOptions + [truePath], environment: ["PATH": "/usr/bin:/bin"],
      wallClockSeconds: 20, maxOutputBytes: 1 << 14)
    let works = report?.termination == .exited(0)
    lock.withLock { probes[key] = works }
    return works ? unshare : nil
  }

  static let namespaceOptions = ["--net", "--ipc", "--uts", "--pid", "--fork", "--kill-child", "--"]

  /// The capabilities the harness keeps in a root bubblewrap sandbox.
  private var rootCapabilities: [String] {
    guard usesItemUIDs, plan.isBubblewrap else { return [] }
    return ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
  }

  /// The environment of the harness and its items: no thread pools (one core per item), a UTF-8
  /// locale, `HOME` the student's folder.
  static func environment(home: String) -> [String: String] {
    ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": home,
     "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"]
  }

  /// Where the harness finds its files, as the harness sees them.
  struct Paths {
    var harness: String
    var student: String
    var run: String
  }

  /// The paths of `workspace`'s run `run` as the harness sees them under this plan.
  func paths(workspace: PythonWorkspace, run: String) -> Paths {
    switch plan {
    case .bubblewrap:
      return Paths(harness: "/sbx/harness/\(PythonHarnessSource.fileName)", student: "/sbx/student", run: "/sbx/run")
    case .chroot:
      return Paths(harness: "/sbx/harness/\(PythonHarnessSource.fileName)", student: "/sbx/student", run: "/sbx/runs/\(run)")
    case .limitsOnly:
      return Paths(harness: workspace.harness.appendingPathComponent(PythonHarnessSource.fileName).path,
                   student: workspace.student.path, run: workspace.runs.appendingPathComponent(run).path)
    }
  }

  /// The launch of the harness for run `run` of `workspace`.
  func launch(workspace: PythonWorkspace, run: String) -> SandboxPlan.Launch {
    let paths = paths(workspace: workspace, run: run)
    let python = [interpreter.executable, "-I", "-S", "-B", paths.harness, paths.run]
    let environment = Self.environment(home: paths.student)
    switch plan {
    case .bubblewrap(let bwrap, _, _):
      let binds = bubblewrapBinds()
        + ["--ro-bind", workspace.harness.path, "/sbx/harness", "--ro-bind", workspace.student.path, "/sbx/student",
           "--ro-bind", workspace.runs.appendingPathComponent(run).path, "/sbx/run", "--chdir", "/sbx/student", "--remount-ro", "/"]
        + rootCapabilities
      return SandboxPlan.Launch(
        executable: bwrap, arguments: plan.bubblewrapArguments(binds: binds, environment: environment, inner: python),
        environment: ["PATH": "/usr/bin:/bin"])
    case .chroot(_, let chroot):
      let inner = [chroot, workspace.tree.path, PythonRuntime.setprivPath, "--bounding-set=-all,+setuid,+setgid,+kill",
                   "--inh-caps=-all", "--no-new-privs", "--"] + python
      let command = unshare.map { [$0] + Self.namespaceOptions + inner } ?? inner
      return SandboxPlan.Launch(executable: command[0], arguments: Array(command.dropFirst()), environment: environment)
    case .limitsOnly:
      return SandboxPlan.Launch(executable: python[0], arguments: Array(python.dropFirst()), environment: environment)
    }
  }

  /// The bubblewrap arguments that make the interpreter and the allowed packages visible, and
  /// nothing else of the site directories.
  ///
  /// ```
  /// --ro-bind <path> <path>        the executable, its libraries, the standard library
  /// --tmpfs <site>                 a site directory inside one of those (or inside /usr/lib)
  /// --ro-bind <package> <package>  numpy, numpy.libs, … (their parents made 0755 when new)
  /// --remount-ro <site>            the tmpfs, so nothing can be written there
  /// ```
  func bubblewrapBinds() -> [String] {
    var arguments: [String] = []
    var made: Set<String> = ["/", "/usr", "/sbx"]
    var bound = SandboxPlan.systemLibraryDirectories
    func inside(_ path: String, _ roots: [String]) -> Bool { roots.contains { path == $0 || path.hasPrefix($0 + "/") } }
    func makeParents(of path: String) {
      var parent = ""
      for component in path.split(separator: "/").dropLast() {
        parent += "/" + component
        if inside(parent, bound) { continue }
        if made.insert(parent).inserted { arguments += ["--perms", "0755", "--dir", parent] }
      }
    }
    func bind(_ path: String, evenIfCovered: Bool = false) {
      let path = (path as NSString).standardizingPath
      guard path.hasPrefix("/"), evenIfCovered || !inside(path, bound), FileManager.default.fileExists(atPath: path) else { return }
      makeParents(of: path)
      arguments += ["--ro-bind", path, path]
      bound.append(path)
      made.insert(path)
    }
    bind(interpreter.executable)
    for library in interpreter.libraries { bind(library) }
    for directory in interpreter.standardLibrary { bind(directory) }
    var masks: [String] = []
    for site in interpreter.siteDirectories where inside(site, bound) {
      arguments += ["--tmpfs", site]
      masks.append(site)
      made.insert(site)
    }
    for (_, package) in packages {
      for path in [package.directory] + (package.libraries.map { [$0] } ?? []) {
        let masked = inside(path, masks)
        if masked {
          arguments += ["--ro-bind", path, path]
        } else {
          bind(path)
        }
      }
    }
    for mask in masks { arguments += ["--remount-ro", mask] }
    return arguments
  }
}

/// The temporary directory of one Python submission.
///
/// ```
/// <tmp>/python-submission-XXXXXX/           0711
///   root/                                    0755: a chroot's root (`PythonRuntime` inside it)
///     sbx/harness/harness.py                 0444, the grader's
///     sbx/student/solution.py, <helpers>.py  0444, copies of the student's files
///     sbx/runs/<r>/config.json               0444, the run's items, limits and uids
///     sbx/runs/<r>/inputs/<k>/<name>.npy     0444, input set k (never a reference value)
/// ```
struct PythonWorkspace {
  var root: URL
  var tree: URL { root.appendingPathComponent("root", isDirectory: true) }
  var sandbox: URL { tree.appendingPathComponent("sbx", isDirectory: true) }
  var harness: URL { sandbox.appendingPathComponent("harness", isDirectory: true) }
  var student: URL { sandbox.appendingPathComponent("student", isDirectory: true) }
  var runs: URL { sandbox.appendingPathComponent("runs", isDirectory: true) }

  /// Makes the folders (owned by the grader, readable by every item's uid) and writes the harness.
  init(root: URL) throws {
    self.root = root
    try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: root.path)
    for (directory, mode) in [(tree, 0o755), (sandbox, 0o755), (harness, 0o755), (student, 0o755), (runs, 0o711)] as [(URL, Int)] {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: directory.path)
    }
    try Self.write(Data(PythonHarnessSource.text.utf8), to: harness.appendingPathComponent(PythonHarnessSource.fileName))
  }

  /// Writes a file readable by everyone and writable by nobody.
  static func write(_ data: Data, to url: URL) throws {
    try data.write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: url.path)
  }

  /// A folder readable and searchable by everyone.
  static func makeDirectory(_ url: URL) throws {
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
  }
}
