import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where and how the Python harness of one run starts, under each isolation (`SandboxPlan`, the
/// plans of the Swift items: the same namespaces, writable space and quotas).
///
/// ```
/// bubblewrap  bwrap --unshare-{net,pid,ipc,uts,cgroup} --die-with-parent --new-session --clearenv
///               /usr/lib, /lib* (ro) · the interpreter, its libraries and standard library (ro,
///               at their own paths) · every site directory inside them hidden by an empty
///               read-only tmpfs, with only the allowed packages bound back (numpy, numpy.libs, …)
///               /sbx/harness (ro) · /sbx/student (ro) · /sbx/run (ro: config.json, inputs/<k>/)
///               /sbx/work: a private tmpfs of the run's bytes (1777), /tmp → /sbx/work
///               / remounted read-only
///             [--cap-drop ALL --cap-add CAP_SETUID,CAP_SETGID,CAP_KILL]   (grader is root)
///             -- python3 -I -S -B /sbx/harness/harness.py /sbx/run
/// chroot      [unshare --net --ipc --uts --] chroot <root>
///               /sbx/setpriv --bounding-set=-all,+setuid,+setgid,+kill --inh-caps=-all --no-new-privs
///               -- python3 -I -S -B /sbx/harness/harness.py /sbx/runs/<r>     (grader is root)
///               <root>: `PythonRuntime` and /sbx, every file owned by root; /sbx/work/<r> (1777,
///               under a `WriteQuota`) the only writable folder
/// limitsOnly  [unshare --user --net --ipc --uts --pid … -- /bin/sh -c '"$@"; exit $?' grading-item]
///               python3 -I -S -B <workspace>/…/harness.py <run directory>    (not root)
/// ```
/// Each item's process makes `<work>/<n>` (0700) as its own and gets it as `TMPDIR`; the harness
/// removes it when the item ends, so the run's space — `maxWorkspaceBytes` per item running at
/// once — is what the items running at the same time have written.
///
/// In the root plans the harness keeps only the capabilities to give each item an unused uid of
/// its own and to kill that uid's processes; every item's process drops them with its uid, and the
/// grader sweeps those uids when the run ends or the grader is stopped (`RunningChildren`). The
/// item's limits (`SandboxLimits`: memory, CPU time, processes, file size, descriptors) are set
/// by the harness in the item's process before the student's code is imported, and the wall
/// clock is enforced by the harness per item and by the grader for the whole run.
struct PythonSandbox: Sendable {
  var plan: SandboxPlan
  var interpreter: PythonInterpreter
  /// The packages a submission may import, NumPy first.
  var packages: [(name: String, package: PythonInterpreter.Package)]

  /// What the report says, e.g. "bubblewrap (unprivileged uid)": the plan's name.
  var name: String { plan.name }

  /// Whether each item runs under an unused uid of its own (the grader is root).
  var usesItemUIDs: Bool { plan.usesItemUIDs }

  /// Whether the interpreter and packages must be installed into the workspace's root.
  var needsRuntime: Bool {
    if case .chroot = plan { return true }
    return false
  }

  /// Whether the run's writable space is a folder of the workspace (not a sized tmpfs).
  var needsWorkDirectory: Bool {
    if case .bubblewrap(_, _, _, true) = plan { return false }
    return true
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var probes: [String: Bool] = [:]

  /// The sandbox for `isolation`: bubblewrap when asked or, for `auto`, when a trial run of the
  /// interpreter in it works; rlimits otherwise.
  static func resolve(
    _ isolation: Isolation, interpreter: PythonInterpreter, packages: [(name: String, package: PythonInterpreter.Package)]
  ) throws -> PythonSandbox {
    let made = { (plan: SandboxPlan) in PythonSandbox(plan: plan, interpreter: interpreter, packages: packages) }
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
    guard case .bubblewrap(let bwrap, _, _, _) = plan else { return nil }
    let key = ([bwrap, interpreter.executable] + packages.map(\.package.directory)).joined(separator: "\u{0}")
    if let known = Self.lock.withLock({ Self.probes[key] }) { return known ? nil : "python3 does not start in the sandbox" }
    let arguments = plan.bubblewrapArguments(
      binds: bubblewrapBinds() + rootCapabilities, environment: Self.environment(home: "/", temporary: "/"),
      inner: [interpreter.executable, "-I", "-S", "-B", "-c", "import sys"])
    let report = try? SandboxedProcess.run(
      executable: bwrap, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"], wallClockSeconds: 60, maxOutputBytes: 1 << 14)
    let works = report?.termination == .exited(0)
    Self.lock.withLock { Self.probes[key] = works }
    if works { return nil }
    let why = report.map { $0.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    return "python3 does not start in the sandbox" + (why.isEmpty ? "" : ": \(why)")
  }

  /// The capabilities the harness keeps in a root bubblewrap sandbox.
  private var rootCapabilities: [String] {
    guard usesItemUIDs, plan.isBubblewrap else { return [] }
    return ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
  }

  /// The environment of the harness and its items: no thread pools (one core per item), a UTF-8
  /// locale, `HOME` the student's folder, `TMPDIR` the run's writable space.
  static func environment(home: String, temporary: String) -> [String: String] {
    ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": home, "TMPDIR": temporary,
     "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"]
  }

  /// Where the harness finds its files, as the harness sees them.
  struct Paths {
    var harness: String
    var student: String
    var run: String
    /// The run's writable space, in which each item makes its own folder.
    var work: String
  }

  /// The paths of `workspace`'s run `run` as the harness sees them under this plan.
  func paths(workspace: PythonWorkspace, run: String) -> Paths {
    let harness = "/sbx/harness/\(PythonHarnessSource.fileName)"
    switch plan {
    case .bubblewrap:
      return Paths(harness: harness, student: "/sbx/student", run: "/sbx/run", work: "/sbx/work")
    case .chroot:
      return Paths(harness: harness, student: "/sbx/student", run: "/sbx/runs/\(run)", work: "/sbx/work/\(run)")
    case .limitsOnly:
      return Paths(harness: workspace.harness.appendingPathComponent(PythonHarnessSource.fileName).path,
                   student: workspace.student.path, run: workspace.runs.appendingPathComponent(run).path,
                   work: workspace.work(run: run).path)
    }
  }

  /// The bound on what a run's items may have on disk at once: `maxWorkspaceBytes` (and 4096
  /// entries) per item running at the same time.
  static func runSpace(_ limits: SandboxLimits, items: Int) -> (bytes: Int, entries: Int) {
    let width = max(1, min(limits.parallelItems, items))
    return (max(limits.maxWorkspaceBytes, 0) * width, 4096 * width)
  }

  /// The launch of the harness for run `run` of `workspace`, whose `items` run under `limits`.
  func launch(workspace: PythonWorkspace, run: String, items: Int, limits: SandboxLimits) -> SandboxPlan.Launch {
    let paths = paths(workspace: workspace, run: run)
    let python = [interpreter.executable, "-I", "-S", "-B", paths.harness, paths.run]
    let environment = Self.environment(home: paths.student, temporary: paths.work)
    let space = Self.runSpace(limits, items: items)
    let host = workspace.work(run: run).path
    let quota = WriteQuota(directories: [host], maxBytes: space.bytes, maxEntries: space.entries,
                           owner: "the run's quota for its items' working directories")
    switch plan {
    case .bubblewrap(let bwrap, _, _, let sized):
      var spaceLimits = limits
      spaceLimits.maxWorkspaceBytes = space.bytes
      let binds = bubblewrapBinds()
        + ["--ro-bind", workspace.harness.path, "/sbx/harness", "--ro-bind", workspace.student.path, "/sbx/student",
           "--ro-bind", workspace.runs.appendingPathComponent(run).path, "/sbx/run"]
        + plan.workspaceBinds(limits: spaceLimits, hostDirectory: host) + ["--chdir", "/sbx/student"]
        + rootCapabilities
      return SandboxPlan.Launch(
        executable: bwrap, arguments: plan.bubblewrapArguments(binds: binds, environment: environment, inner: python),
        environment: ["PATH": "/usr/bin:/bin"], quota: sized ? nil : quota)
    case .chroot(_, let chroot, _):
      let inner = [chroot, workspace.tree.path, PythonRuntime.setprivPath, "--bounding-set=-all,+setuid,+setgid,+kill",
                   "--inh-caps=-all", "--no-new-privs", "--"] + python
      let (executable, arguments) = plan.namespaceWrapper(inner: inner)
      return SandboxPlan.Launch(executable: executable, arguments: arguments, environment: environment, quota: quota)
    case .limitsOnly:
      let (executable, arguments) = plan.namespaceWrapper(inner: python)
      return SandboxPlan.Launch(executable: executable, arguments: arguments, environment: environment, quota: quota)
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
///     sbx/work/<r>/                          the run's writable space (1777 with item uids,
///                                            else 0700), unless bubblewrap gives it a tmpfs
/// ```
/// Like a Swift submission's `Workspace`, it is kept by `RunningChildren` (removed if the grader
/// is stopped) and nothing in it is made with its parents.
struct PythonWorkspace {
  var root: URL
  var tree: URL { root.appendingPathComponent("root", isDirectory: true) }
  var sandbox: URL { tree.appendingPathComponent("sbx", isDirectory: true) }
  var harness: URL { sandbox.appendingPathComponent("harness", isDirectory: true) }
  var student: URL { sandbox.appendingPathComponent("student", isDirectory: true) }
  var runs: URL { sandbox.appendingPathComponent("runs", isDirectory: true) }
  var workRoot: URL { sandbox.appendingPathComponent("work", isDirectory: true) }

  /// The writable space of run `run`, on the host.
  func work(run: String) -> URL { workRoot.appendingPathComponent(run, isDirectory: true) }

  /// Makes the folders (owned by the grader, readable by every item's uid) and writes the harness.
  init(root: URL) throws {
    self.root = root
    try Workspace.keep(root)
    do {
      try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: root.path)
      for (directory, mode) in [(tree, 0o755), (sandbox, 0o755), (harness, 0o755), (student, 0o755), (runs, 0o711), (workRoot, 0o711)]
        as [(URL, mode_t)] {
        try Self.makeDirectory(directory, mode: mode)
      }
      try Self.write(Data(PythonHarnessSource.text.utf8), to: harness.appendingPathComponent(PythonHarnessSource.fileName))
    } catch {
      Workspace.remove(root)
      RunningChildren.release(root)
      throw error
    }
  }

  /// Writes a file readable by everyone and writable by nobody.
  static func write(_ data: Data, to url: URL) throws {
    try data.write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: url.path)
  }

  /// A folder (readable and searchable by everyone unless `mode` says otherwise), made without
  /// its parents.
  static func makeDirectory(_ url: URL, mode: mode_t = 0o755) throws {
    guard mkdir(url.path, 0o700) == 0, chmod(url.path, mode) == 0 else {
      throw HarnessSetupError.workspace("could not make \(url.lastPathComponent): \(String(cString: strerror(errno)))")
    }
  }
}
