import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Compiles a student's Swift files with a generated harness and runs each item in its own
/// sandboxed process.
///
/// ```
/// <tmp>/swift-submission-XXXXXX/
///   src/           copies of the student's regular files, the starter's helper files, main.swift
///   bin/           student                     (one swiftc run in the sandbox; see `HarnessLinkage`)
///   tmp/           the compiler's own temporary directory (rlimits)
///   module-cache/  a private clang module cache, when the shared one lacks a module
///   runtime/       hard links of `HarnessRuntime`   (chroot only: linked again into each item's root)
///   runs/<r>/inputs/<k>.txt                    (input set k only; never a reference value)
///   runs/<r>/items/<n>/                        (chroot: the item's root, `work/` its writable
///                                              directory; rlimits without root: its directory;
///                                              bubblewrap: nothing, the item writes a tmpfs)
/// ```
/// Files: every `.swift` file given (a folder contributes the `.swift` files inside it), read
/// through `SubmissionFiles` — regular files inside the submission only, at most 1 MiB each and
/// 8 MiB together — and copied: the compiler never opens the student's folder. The helper files
/// — `Inputs.swift` generated from the assignment (`SwiftStarter`), and any other `.swift` file
/// of the assignment's `starter/` but `Solution.swift` — always replace submitted files of the
/// same name, so the harness's contract with `Inputs` cannot be broken; a submitted `main.swift`
/// is ignored (the harness provides it). Both are listed in `notes`.
///
/// The compiler runs in the same isolation as the items, under the compile limits of
/// `SandboxLimits`, as a uid of its own (root); it builds but never runs student code.
///
/// Each item runs as `student <item-id>`, one process answering every input set of the run in
/// order: a crash, trap, endless loop, runaway allocation, disk filler or fork loop ends that
/// item's process only, and is reported against that item at the set being computed (earlier
/// sets keep their answers); the other items still run. Every process of the item is gone when
/// it ends (see `Isolation`). The student's output is captured (up to `maxOutputBytes`) but never
/// read as an answer: only the frames the harness sends on the result pipe are
/// (`HarnessProtocol`). State the student's code keeps in global variables carries over from one
/// set to the next within that process.
public enum SwiftModuleRunner {
  /// Largest submitted source file, and all of them together.
  static let maximumSourceBytes = 1 << 20
  static let maximumSourcesBytes = 8 << 20

  /// Compiles the submission and runs `itemIDs` on `inputs`: `compile` then `run` in one call.
  public static func run(
    files: [URL], assignment: Assignment, itemIDs: [String], itemShapes: [String: [Int]],
    inputs: [String: Tensor], limits: SandboxLimits = .default, isolation: Isolation = .auto
  ) -> SwiftModuleRun {
    let submission = compile(files: files, assignment: assignment, itemIDs: itemIDs,
                             limits: limits, isolation: isolation)
    return submission.run(itemIDs: itemIDs, itemShapes: itemShapes, inputs: inputs)
  }

  /// Compiles the submission once, with a harness that can answer `itemIDs`; the result runs on
  /// any number of input sets (the student's own, hidden ones) without compiling again.
  ///
  /// Resolving the isolation may start a probe sandbox (once per grading process); it runs on
  /// another thread while the harness is prepared and the sources copied. The compile assumes
  /// the linkage of a bubblewrap or no-root plan (dynamic whenever the toolchain names its
  /// runtime directory), a static executable for a chroot that cannot hold the runtime.
  ///
  /// `root` is the submission the files belong to (a file's own folder when not given): what
  /// counts as inside it for `SubmissionFiles`.
  public static func compile(
    files: [URL], assignment: Assignment, itemIDs: [String], limits: SandboxLimits = .default,
    isolation: Isolation = .auto, root: URL? = nil
  ) -> CompiledSwiftSubmission {
    let submission = CompiledSwiftSubmission(limits: limits)
    let planned = BackgroundResult { try SandboxPlan.resolve(isolation) }
    do {
      submission.declaredInputs = try AssignmentInput.declared(in: assignment)
      submission.signatures = Dictionary(assignment.items.map { ($0.id, SwiftStarter.signature(of: $0)) }, uniquingKeysWith: { a, _ in a })
      let toolchain = try HarnessToolchain.prepared()
      var workspace = try Workspace(root: makeTemporaryDirectory())
      submission.workspace = workspace
      var runnable = itemIDs.filter(isIdentifier)
      submission.compiledItems = Set(runnable)
      var main = HarnessSupportSource.main(inputs: submission.declaredInputs, itemIDs: runnable)
      let sources: [URL]
      do {
        sources = try workspace.collectSources(
          files: files, root: root, helpers: helperFiles(assignment), main: main, notes: &submission.notes)
      } catch let error as SubmissionEntryError {
        submission.entryError = error
        _ = planned.wait()
        return submission
      }

      let plan = try planned.wait().get()
      submission.plan = plan
      submission.isolationUsed = plan.name
      submission.linkage = workspace.prepareRuntime(for: plan, toolchain: toolchain)
      submission.workspace = workspace
      if submission.linkage == .dynamic { submission.libraryDirectories = toolchain.runtimeLibraryDirectories }
      submission.symbolizer = toolchain.symbolizer

      let compileStart = Date()
      let uid = UnprivilegedIDs.next()
      submission.compileUID = uid
      try workspace.prepareCompile(plan: plan, uid: uid)
      let build = { (moduleCache: URL) in
        let launch = plan.compileLaunch(
          swiftc: toolchain.swiftc,
          arguments: toolchain.compileArguments(
            sources: sources.map(\.path), output: workspace.binary.path, linkage: submission.linkage, moduleCache: moduleCache.path),
          toolchain: toolchain.toolchainDirectory, readable: [toolchain.cacheDirectory.path, workspace.sources.path],
          writable: [workspace.binary.deletingLastPathComponent().path] + (moduleCache == toolchain.moduleCache ? [] : [moduleCache.path]),
          temporary: workspace.compilerTemporary.path, uid: uid, limits: limits)
        return try SandboxedProcess.run(
          executable: launch.executable, arguments: launch.arguments, environment: launch.environment,
          wallClockSeconds: limits.compileWallClockSeconds, maxOutputBytes: 1 << 20, quota: launch.quota,
          sweepUIDs: plan.usesItemUIDs ? [uid] : [], stallWatch: StallWatch(seconds: compileStallSeconds))
      }
      var moduleCache = toolchain.moduleCache
      var compiled = try build(moduleCache)
      if compiled.termination != .exited(0), compiled.stderrText.contains(toolchain.moduleCache.path) {
        // The shared cache lacks a module the submission imports: build it in a private one.
        try workspace.preparePrivateModuleCache(plan: plan, uid: uid)
        moduleCache = workspace.moduleCache
        compiled = try build(moduleCache)
      }
      if compiled.termination != .exited(0), compileLimit(compiled, limits: limits, plan: plan) == nil,
         let notCallable = HarnessSupportSource.itemsNotCallable(
           errors: CompilerDiagnostics.errors(in: compiled.stderrText + compiled.stdoutText, sourceDirectory: workspace.sources.path),
           main: main),
         notCallable.count < runnable.count {
        // Only the harness's calls of some items fail (a function not written yet, or of another
        // signature): those items are answered as such, and the others compiled without them.
        submission.notCallable = notCallable
        runnable.removeAll { notCallable[$0] != nil }
        submission.compiledItems = Set(runnable)
        main = HarnessSupportSource.main(inputs: submission.declaredInputs, itemIDs: runnable)
        try workspace.rewriteMain(main)
        compiled = try build(moduleCache)
      }
      submission.compileSeconds = Date().timeIntervalSince(compileStart)
      if let problem = compileLimit(compiled, limits: limits, plan: plan) {
        if problem.infrastructure {
          submission.setupError = problem.sentence
        } else {
          submission.compileErrors = [problem.sentence]
        }
        return submission
      }
      if compiled.termination != .exited(0) {
        submission.compileErrors = CompilerDiagnostics.errors(in: compiled.stderrText + compiled.stdoutText, sourceDirectory: workspace.sources.path)
        return submission
      }
      try workspace.takeBinary()
      submission.isRunnable = true
    } catch {
      // Without an isolation nothing runs, whatever else went wrong: that is the reason given.
      switch planned.wait() {
      case .failure(let planError):
        submission.setupError = "\(planError)"
      case .success(let plan):
        if submission.plan == nil {
          submission.plan = plan
          submission.isolationUsed = plan.name
        }
        submission.setupError = SystemErrorText.sentence(error)
      }
    }
    return submission
  }

  /// A compile whose tree holds a dead process its parent has not collected for this long has
  /// stalled (`StallWatch`): its driver waits for nothing.
  static let compileStallSeconds = 15.0

  /// The sentence for a compile stopped by a limit, and whether the limit says more about the
  /// machine than the submission (the wall clock: the CPU-time, memory and disk limits are the
  /// submission's).
  static func compileLimit(_ report: ProcessReport, limits: SandboxLimits, plan: SandboxPlan) -> (sentence: String, infrastructure: Bool)? {
    let seconds = ItemEnding.seconds(limits.compileSeconds)
    if report.timedOut {
      let wall = ItemEnding.seconds(limits.compileWallClockSeconds)
      return ("the compiler did not finish within the \(wall) s wall-clock limit of the compile (the machine may be overloaded)", true)
    }
    if let quota = report.quotaExceeded {
      return ("the compiler was stopped: \(quota)", false)
    }
    if report.stalled {
      return ("the compiler stopped responding after one of its processes died (uncollected for \(ItemEnding.seconds(compileStallSeconds)) s), "
                + "most likely out of the \(ByteCount.text(limits.compileMemoryBytes)) of memory the compile may use", false)
    }
    let text = report.stderrText + report.stdoutText
    if text.contains("No space left on device") {
      return ("the compiler could not write its output: no space left on device", true)
    }
    var signal: Int32?
    switch report.termination {
    case .signaled(let s): signal = s
    case .exited(let code) where plan.reportsSignalsAsExitStatus && code > 128 && code < 128 + 65: signal = code - 128
    default: break
    }
    if text.contains("out of memory") || text.contains("bad_alloc") || text.contains("Cannot allocate memory")
        || text.contains("failed to allocate") {
      return ("the compiler ran out of memory under the \(ByteCount.text(limits.compileMemoryBytes)) limit of the compile", false)
    }
    switch signal {
    case SIGXCPU?, SIGKILL?:
      return ("the compiler was stopped at the \(seconds) s CPU-time limit of the compile", false)
    case SIGXFSZ?:
      return ("the compiler was stopped at the \(ByteCount.text(SandboxPlan.compileFileBytes)) file-size limit of the compile", false)
    default:
      break
    }
    // A frontend that dies of a signal (the driver reports it) under a memory limit has most
    // likely run out of it: an allocation the limit refused is not always reported as such.
    let crashes = ["jobFailedWithNonzeroExitCode", "due to signal", "Stack dump:", "PLEASE submit a bug report"]
    if crashes.contains(where: text.contains) {
      let line = text.split(separator: "\n").first { $0.contains("error:") }.map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? ""
      return ("the compiler crashed, most likely out of the \(ByteCount.text(limits.compileMemoryBytes)) of memory the compile may use\(line)", false)
    }
    return nil
  }

  /// The files the harness supplies: `Inputs.swift` generated from the assignment, then any other
  /// `.swift` file of its `starter/` folder but `Solution.swift`, by name.
  static func helperFiles(_ assignment: Assignment) -> [(name: String, contents: Data)] {
    let fm = FileManager.default
    let starter = assignment.directory.appendingPathComponent("starter", isDirectory: true)
    let generated = [(name: SwiftStarter.inputsFileName, contents: Data(SwiftStarter.inputs(for: assignment).utf8))]
    let others = ((try? fm.contentsOfDirectory(at: starter, includingPropertiesForKeys: nil)) ?? [])
      .filter { $0.pathExtension == "swift" && ![SwiftStarter.solutionFileName, SwiftStarter.inputsFileName].contains($0.lastPathComponent) }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
      .compactMap { url in fm.contents(atPath: url.path).map { (name: url.lastPathComponent, contents: $0) } }
    return (generated + others).sorted { $0.name < $1.name }
  }

  // MARK: - One item

  /// What one item's process gave: one outcome per set, in order, and the reason when it could
  /// not be run for a reason of the grader's (then every outcome says so).
  struct ItemRun {
    var outcomes: [SwiftItemOutcome]
    var infrastructureError: String?
    var uid: UInt32
  }

  /// Runs item `id` on the `sets` input sets of the directory `inputs` in one sandboxed process,
  /// and returns one outcome per set, in order.
  ///
  /// ```
  /// frame for set k      the answer at set k, however the process ended afterwards
  /// first set without    how the process ended: a crash, a limit, an exit (`ItemEnding`)
  /// sets after it        "not run: the item's process ended at input set k+1 …"
  /// ```
  static func runItem(
    _ id: String, directory: URL, inputs: URL, sets: Int, expectedShape: [Int]?, plan: SandboxPlan, workspace: Workspace,
    limits: SandboxLimits, linkage: HarnessLinkage, libraryDirectories: [String], symbolizer: String? = nil
  ) -> ItemRun {
    let uid = UnprivilegedIDs.next()
    let notRun = { (why: String) in
      ItemRun(outcomes: Array(repeating: .failed("not run: \(why)"), count: sets), infrastructureError: why, uid: uid)
    }
    let directories: SandboxPlan.ItemDirectories
    do {
      directories = try workspace.prepareItemDirectory(directory, inputs: inputs, sets: sets, plan: plan, uid: uid, linkage: linkage)
    } catch {
      return notRun("\(HarnessSetupError.workspace(SystemErrorText.sentence(error)))")
    }
    defer { try? FileManager.default.removeItem(at: directory) }
    let whole = limits.scaled(forInputSets: sets)
    let launch = plan.launch(
      item: id, binary: workspace.binary.path, inputs: inputs.path, sets: sets, directories: directories,
      uid: uid, limits: whole, libraryDirectories: libraryDirectories)
    let report: ProcessReport
    do {
      report = try SandboxedProcess.run(
        executable: launch.executable, arguments: launch.arguments, environment: launch.environment,
        wallClockSeconds: whole.wallClockSeconds, maxOutputBytes: limits.maxOutputBytes,
        resultBytes: HarnessProtocol.resultBytes(expectedShape: expectedShape, sets: sets), quota: launch.quota,
        sweepUIDs: plan.usesItemUIDs ? [uid] : [])
    } catch {
      return notRun("\(error)")
    }
    let frames = HarnessProtocol.frames(report.results)
    var outcomes: [SwiftItemOutcome] = []
    for k in 0..<sets {
      guard let text = frames[k] else {
        let binary = workspace.binary.path
        let traced = symbolizer.map {
          TrapBacktrace.symbolicated(report.stderrText, binary: binary, modules: [(binary as NSString).lastPathComponent, "student"], symbolizer: $0)
        } ?? report.stderrText
        let stderr = CompilerDiagnostics.strip(traced, directory: workspace.sources.path)
        let ending = report.quotaExceeded.map { "stopped: \($0)" } ?? ItemEnding.sentence(
          termination: report.termination, timedOut: report.timedOut, stderr: stderr, limits: limits, inputSets: sets,
          signalsAsExitStatus: plan.reportsSignalsAsExitStatus)
        outcomes.append(.failed(report.resultsTruncated ? "sent more than \(ByteCount.text(report.results.count)) of results" : ending))
        let later = "not run: the item's process ended at input set \(k + 1) of \(sets) (\(ending))"
        outcomes += Array(repeating: .failed(later), count: sets - k - 1)
        break
      }
      outcomes.append(outcome(of: text, item: id, expectedShape: expectedShape))
    }
    return ItemRun(outcomes: outcomes, infrastructureError: nil, uid: uid)
  }

  /// What a result says about item `id`.
  static func outcome(of text: String, item id: String, expectedShape: [Int]?) -> SwiftItemOutcome {
    guard let result = HarnessProtocol.decodeResult(text, item: id, expectedShape: expectedShape) else {
      return .failed("sent a result that is not a well-formed answer for \(id)")
    }
    switch result {
    case .value(let tensor):
      return .value(tensor)
    case .missing:
      let expected = expectedShape.map { " (expected \(Tensor.describe($0)))" } ?? ""
      return .missing("\(id) returned nil: not answered yet\(expected)")
    case .ragged(let why):
      return .failed("returned a ragged array, which is not a tensor: \(why)")
    case .oversized(let shape, let limit):
      let expected = expectedShape.map { " for an item of shape \(Tensor.describe($0))" } ?? ""
      return .failed("declared a value of shape \(shape.joined(separator: "×")), more than the \(limit) entries allowed\(expected); it was not read")
    }
  }

  static func isIdentifier(_ id: String) -> Bool {
    guard let first = id.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
    return id.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
  }

  /// Where each submission's temporary directory is made: `GRADE_SCRATCH_DIR` when set (a batch
  /// gives each grading a folder it removes afterwards), else the temporary directory; tests
  /// point it at a per-process folder.
  nonisolated(unsafe) static var workspaceParent: URL = {
    if let path = ProcessInfo.processInfo.environment["GRADE_SCRATCH_DIR"], !path.isEmpty {
      return URL(fileURLWithPath: path, isDirectory: true)
    }
    return FileManager.default.temporaryDirectory
  }()

  /// A new private folder `<prefix>-XXXXXX` under `workspaceParent` (0700, the grader's).
  static func makeTemporaryDirectory(prefix: String = "swift-submission") throws -> URL {
    var template = Array(workspaceParent.appendingPathComponent("\(prefix)-XXXXXX").path.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw HarnessSetupError.workspace("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return URL(fileURLWithPath: String(cString: made), isDirectory: true)
  }
}

/// The temporary directory of one submission.
struct Workspace {
  var root: URL
  var sources: URL { root.appendingPathComponent("src", isDirectory: true) }
  var binary: URL { root.appendingPathComponent("bin/student") }
  var runs: URL { root.appendingPathComponent("runs", isDirectory: true) }
  /// The compiler's TMPDIR and HOME under the rlimits plans.
  var compilerTemporary: URL { root.appendingPathComponent("tmp", isDirectory: true) }
  /// The private clang module cache, when the shared one is not enough.
  var moduleCache: URL { root.appendingPathComponent("module-cache", isDirectory: true) }
  /// The chroot's copy of `HarnessRuntime`, hard-linked from the toolchain and the system.
  var runtime: URL { root.appendingPathComponent("runtime", isDirectory: true) }
  /// The files of `runtime`, when it was made.
  var runtimeFiles: HarnessRuntime?

  /// Every folder inside `root` is made without its parents, so that a workspace removed while
  /// the grader is being stopped (`RunningChildren`) is never made again by a thread still at work.
  init(root: URL) throws {
    self.root = root
    try Self.keep(root)
    let fm = FileManager.default
    for dir in [sources, binary.deletingLastPathComponent(), runs, compilerTemporary] {
      try fm.createDirectory(at: dir, withIntermediateDirectories: false)
    }
    // Items and compiles running under their own uid must reach the binary, sources and inputs
    // (bwrap binds them by path from outside, so only the chroot copies need to be readable).
    for dir in [root, binary.deletingLastPathComponent(), runs] {
      try fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: dir.path)
    }
    try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sources.path)
    try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: compilerTemporary.path)
  }

  /// Copies the sources into `src/` and returns their paths, in compile order. Submitted files
  /// are read through `SubmissionFiles` (regular files inside `root`, or inside each file's own
  /// folder when there is none), at most `maximumSourceBytes` each and `maximumSourcesBytes`
  /// together.
  func collectSources(
    files: [URL], root: URL?, helpers: [(name: String, contents: Data)], main: String, notes: inout [String]
  ) throws -> [URL] {
    let fm = FileManager.default
    let helperNames = Set(helpers.map(\.name))

    var submitted: [(url: URL, root: URL)] = []
    for file in files {
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
        notes.append("\(file.lastPathComponent) does not exist and was skipped.")
        continue
      }
      if isDirectory.boolValue {
        try SubmissionFiles.check(file)
        let found = fm.enumerator(at: file, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        submitted += found.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }.map { ($0, root ?? file) }
      } else if file.pathExtension == "swift" {
        submitted.append((file, root ?? file.deletingLastPathComponent()))
      } else {
        notes.append("\(file.lastPathComponent) is not a .swift file and was skipped.")
      }
    }

    var paths: [URL] = []
    var used = Set<String>()
    var total = 0
    for (file, base) in submitted {
      let name = file.lastPathComponent
      if name == "main.swift" {
        notes.append("The submitted main.swift was ignored: the grading harness provides main.swift.")
        continue
      }
      let contents = try SubmissionFiles.read(file, root: base, limit: SwiftModuleRunner.maximumSourceBytes)
      total += contents.count
      guard total <= SwiftModuleRunner.maximumSourcesBytes else {
        throw SubmissionEntryError.tooLarge(entry: "The submission's .swift files", bytes: total, limit: SwiftModuleRunner.maximumSourcesBytes)
      }
      if helperNames.contains(name) {
        // An unchanged copy of a helper file is what the starter asks for; only a changed one is news.
        if helpers.first(where: { $0.name == name })?.contents != contents {
          notes.append("The submitted \(name) was replaced by the starter's copy.")
        }
        continue
      }
      guard !used.contains(name) else {
        notes.append("A second file named \(name) was skipped (\(file.deletingLastPathComponent().lastPathComponent)/\(name)).")
        continue
      }
      used.insert(name)
      let destination = sources.appendingPathComponent(name)
      try contents.write(to: destination, options: .withoutOverwriting)
      paths.append(destination)
    }
    for helper in helpers {
      let destination = sources.appendingPathComponent(helper.name)
      try helper.contents.write(to: destination)
      paths.append(destination)
    }
    try rewriteMain(main)
    for url in paths { try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path) }
    return [sources.appendingPathComponent("main.swift")] + paths
  }

  /// Writes the harness's `main.swift` into the sources, readable by the compile.
  func rewriteMain(_ main: String) throws {
    let mainURL = sources.appendingPathComponent("main.swift")
    try main.write(to: mainURL, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: mainURL.path)
  }

  /// Gives the compile's uid the output folder and its temporary directory.
  func prepareCompile(plan: SandboxPlan, uid: UInt32) throws {
    guard plan.usesItemUIDs else { return }
    for directory in [binary.deletingLastPathComponent(), compilerTemporary] {
      guard chown(directory.path, uid, uid) == 0 else {
        throw HarnessSetupError.workspace("chown of \(directory.lastPathComponent) failed: \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Makes `module-cache/`, the compile's own.
  func preparePrivateModuleCache(plan: SandboxPlan, uid: UInt32) throws {
    try FileManager.default.createDirectory(at: moduleCache, withIntermediateDirectories: false)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: moduleCache.path)
    if plan.usesItemUIDs && chown(moduleCache.path, uid, uid) != 0 {
      throw HarnessSetupError.workspace("chown of module-cache failed: \(String(cString: strerror(errno)))")
    }
  }

  /// Takes the compiled binary back from the compile's uid: a regular file (not a link), owned
  /// by the grader, 0555, in a folder the grader owns again; the compiler's directories are
  /// emptied.
  func takeBinary() throws {
    let fm = FileManager.default
    var info = stat()
    guard lstat(binary.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      throw HarnessSetupError.workspace("the compiler left no executable")
    }
    let folder = binary.deletingLastPathComponent().path
    guard chown(binary.path, geteuid(), getegid()) == 0, chmod(binary.path, 0o555) == 0,
          chown(folder, geteuid(), getegid()) == 0, chmod(folder, 0o711) == 0 else {
      throw HarnessSetupError.workspace("could not take the executable back: \(String(cString: strerror(errno)))")
    }
    for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where name != binary.lastPathComponent {
      try? fm.removeItem(atPath: folder + "/" + name)
    }
    try? fm.removeItem(at: compilerTemporary)
    try? fm.removeItem(at: moduleCache)
  }

  /// How the submission should be linked under `plan`: dynamically, unless the plan is a chroot
  /// into which the runtime cannot be hard-linked (then it is a static executable). For a chroot,
  /// `runtime/` receives the hard links each item's root is then given.
  mutating func prepareRuntime(for plan: SandboxPlan, toolchain: HarnessToolchain) -> HarnessLinkage {
    switch plan {
    case .bubblewrap:
      return toolchain.runtimeLibraryDirectories.isEmpty ? .staticExecutable : .dynamic
    case .limitsOnly:
      return .dynamic
    case .chroot:
      guard let files = HarnessRuntime.listed(for: toolchain) else { return .staticExecutable }
      do {
        try files.link(into: runtime)
        runtimeFiles = files
        return .dynamic
      } catch {
        try? FileManager.default.removeItem(at: runtime)
        return .staticExecutable
      }
    }
  }

  /// The item's directories under `plan`:
  ///
  /// ```
  /// bubblewrap (sized tmpfs)   nothing on the host
  /// bubblewrap (no size)       <directory> (0700, the item's uid), bound at /sbx/work
  /// chroot                     <directory> (0755, the grader): the binary, inputs/ (hard links of
  ///                            the sets' files), the runtime for a dynamic binary; work/ (0700, uid)
  /// limitsOnly                 <directory> (0700): the item's working directory
  /// ```
  func prepareItemDirectory(
    _ directory: URL, inputs: URL, sets: Int, plan: SandboxPlan, uid: UInt32, linkage: HarnessLinkage
  ) throws -> SandboxPlan.ItemDirectories {
    let fm = FileManager.default
    if case .bubblewrap(_, _, _, true) = plan { return .init(root: directory.path, work: directory.path) }
    try fm.createDirectory(at: directory, withIntermediateDirectories: false)
    guard case .chroot = plan else {
      if plan.usesItemUIDs { try Self.own(directory, uid: uid) }
      try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
      return .init(root: directory.path, work: directory.path)
    }
    try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    let inputsCopy = directory.appendingPathComponent(HarnessProtocol.inputsDirectoryName, isDirectory: true)
    let work = directory.appendingPathComponent("work", isDirectory: true)
    for (folder, mode) in [(inputsCopy, mode_t(0o755)), (work, 0o700)] {
      guard mkdir(folder.path, mode) == 0, chmod(folder.path, mode) == 0 else {
        throw HarnessSetupError.workspace("could not make \(folder.lastPathComponent): \(String(cString: strerror(errno)))")
      }
    }
    var files = [(binary, directory.appendingPathComponent("student"))]
    for k in 0..<sets {
      let name = HarnessProtocol.inputsFileName(set: k)
      files.append((inputs.appendingPathComponent(name), inputsCopy.appendingPathComponent(name)))
    }
    for (source, destination) in files {
      if link(source.path, destination.path) != 0 { try fm.copyItem(at: source, to: destination) }
    }
    if linkage == .dynamic {
      guard let runtimeFiles else { throw HarnessSetupError.workspace("the runtime libraries were not prepared") }
      try runtimeFiles.link(into: directory, from: runtime)
    }
    try Self.own(work, uid: uid)
    return .init(root: directory.path, work: work.path)
  }

  /// Hands a submission's temporary directory to `RunningChildren`, which removes it if the
  /// grader is stopped; when it is being stopped already the directory is removed at once and
  /// nothing may be made in it. Its owner calls `RunningChildren.release` once it removed it.
  static func keep(_ root: URL) throws {
    guard RunningChildren.keep(root) else {
      remove(root)
      throw HarnessSetupError.workspace("the grader is being stopped")
    }
  }

  /// Removes `url` and everything under it, first giving the grader back every folder an item
  /// may have made unreadable (chmod 000) so that nothing is left behind.
  static func remove(_ url: URL) {
    let fm = FileManager.default
    if (try? fm.removeItem(at: url)) != nil || !fm.fileExists(atPath: url.path) { return }
    var stack = [url.path]
    while let path = stack.popLast() {
      var info = stat()
      guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
      _ = chmod(path, 0o700)
      for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { stack.append(path + "/" + name) }
    }
    try? fm.removeItem(at: url)
  }

  private static func own(_ directory: URL, uid: UInt32) throws {
    guard chown(directory.path, uid, uid) == 0 else {
      throw HarnessSetupError.workspace("chown of \(directory.lastPathComponent) failed: \(String(cString: strerror(errno)))")
    }
  }
}

/// A value computed on another thread from the moment it is made, waited for when needed.
final class BackgroundResult<T>: @unchecked Sendable {
  private let finished = DispatchSemaphore(value: 0)
  private var result: Result<T, Error>?

  init(_ body: @escaping () throws -> T) {
    DispatchQueue.global().async {
      self.result = Result(catching: body)
      self.finished.signal()
    }
  }

  /// The result, once the closure has returned (at once on later calls).
  func wait() -> Result<T, Error> {
    finished.wait()
    defer { finished.signal() }
    return result!
  }
}

/// Runs a closure over a list on a few threads at once, keeping the results in order.
enum ItemQueue {
  static func map<T, R>(_ elements: [T], width: Int, _ body: @escaping (Int, T) -> R) -> [R] {
    guard !elements.isEmpty else { return [] }
    let lock = NSLock()
    var next = 0
    var results = [R?](repeating: nil, count: elements.count)
    DispatchQueue.concurrentPerform(iterations: min(width, elements.count)) { _ in
      while true {
        let index: Int? = lock.withLock {
          guard next < elements.count else { return nil }
          defer { next += 1 }
          return next
        }
        guard let index else { return }
        let result = body(index, elements[index])
        lock.withLock { results[index] = result }
      }
    }
    return results.map { $0! }
  }
}
