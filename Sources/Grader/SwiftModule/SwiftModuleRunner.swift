import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Compiles a student's Swift files with a generated harness and runs each item in its own
/// sandboxed process.
///
/// ```
/// <tmp>/swift-submission-XXXXXX/
///   src/      the student's files, the starter's helper files, the generated main.swift
///   bin/      student                          (one swiftc invocation; see `HarnessLinkage`)
///   runtime/  hard links of `HarnessRuntime`   (chroot only: linked again into each item's root)
///   runs/<r>/inputs/<k>.txt                    (input set k only; never a reference value)
///   runs/<r>/items/<n>/                        (an item's only writable directory; result-<k>.txt)
/// ```
/// Files: every `.swift` file given (a folder contributes the `.swift` files inside it). The
/// helper files — `Inputs.swift` generated from the assignment (`SwiftStarter`), and any other
/// `.swift` file of the assignment's `starter/` but `Solution.swift` — always replace submitted
/// files of the same name, so the harness's contract with `Inputs` cannot be broken; a submitted
/// `main.swift` is ignored (the harness provides it). Both are listed in `notes`.
///
/// Each item runs as `student <item-id>`, one process answering every input set of the run in
/// order: a crash, trap, endless loop, runaway allocation or fork loop ends that item's process
/// only, and is reported against that item at the set being computed (earlier sets keep their
/// answers); the other items still run. The student's output is captured (up to
/// `maxOutputBytes`) but never read as an answer: only the `result-<k>.txt` files the harness
/// writes in the item's directory are. State the student's code keeps in global variables
/// carries over from one set to the next within that process.
public enum SwiftModuleRunner {
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
  /// another thread while the compiler does. The compile assumes the linkage of a bubblewrap or
  /// no-root plan (dynamic whenever the toolchain names its runtime directory) and is repeated
  /// only when the plan it ends with needs the other one (a chroot that cannot hold the runtime).
  public static func compile(
    files: [URL], assignment: Assignment, itemIDs: [String], limits: SandboxLimits = .default,
    isolation: Isolation = .auto
  ) -> CompiledSwiftSubmission {
    let submission = CompiledSwiftSubmission(limits: limits)
    let planned = BackgroundResult { try SandboxPlan.resolve(isolation) }
    do {
      submission.declaredInputs = try AssignmentInput.declared(in: assignment)
      let toolchain = try HarnessToolchain.prepared()
      var workspace = try Workspace(root: makeTemporaryDirectory())
      submission.workspace = workspace
      let runnable = itemIDs.filter(isIdentifier)
      submission.compiledItems = Set(runnable)
      let sources = try workspace.collectSources(
        files: files, helpers: helperFiles(assignment),
        main: HarnessSupportSource.main(inputs: submission.declaredInputs, itemIDs: runnable), notes: &submission.notes)

      let compileStart = Date()
      let build = { (linkage: HarnessLinkage) in
        try SandboxedProcess.run(
          executable: toolchain.swiftc,
          arguments: toolchain.compileArguments(
            sources: sources.map(\.path), output: workspace.binary.path, linkage: linkage),
          environment: ProcessInfo.processInfo.environment,
          wallClockSeconds: limits.compileSeconds, maxOutputBytes: 1 << 20)
      }
      let presumed: HarnessLinkage = toolchain.runtimeLibraryDirectories.isEmpty ? .staticExecutable : .dynamic
      var compiled = try build(presumed)
      let plan = try planned.wait().get()
      submission.plan = plan
      submission.isolationUsed = plan.name
      submission.linkage = workspace.prepareRuntime(for: plan, toolchain: toolchain)
      submission.workspace = workspace
      if submission.linkage != presumed { compiled = try build(submission.linkage) }
      if submission.linkage == .dynamic { submission.libraryDirectories = toolchain.runtimeLibraryDirectories }
      submission.compileSeconds = Date().timeIntervalSince(compileStart)
      if compiled.termination != .exited(0) || compiled.timedOut {
        submission.compileErrors = compiled.timedOut
          ? ["the compiler was stopped after the \(Int(limits.compileSeconds)) s compile limit"]
          : CompilerDiagnostics.errors(in: compiled.stderrText + compiled.stdoutText, sourceDirectory: workspace.sources.path)
        return submission
      }
      try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: workspace.binary.path)
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
        if case HarnessSetupError.compilerNotFound = error { submission.compileErrors = ["\(error)"] }
        submission.setupError = "\(error)"
      }
    }
    return submission
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

  /// Runs item `id` on the `sets` input sets of the directory `inputs` in one sandboxed process,
  /// and returns one outcome per set, in order.
  ///
  /// ```
  /// result-<k>.txt present   the answer at set k, however the process ended afterwards
  /// first set without one    how the process ended: a crash, a limit, an exit (`ItemEnding`)
  /// sets after it            "not run: the item's process ended at input set k+1 …"
  /// ```
  static func runItem(
    _ id: String, directory: URL, inputs: URL, sets: Int, expectedShape: [Int]?, plan: SandboxPlan, workspace: Workspace,
    limits: SandboxLimits, linkage: HarnessLinkage, libraryDirectories: [String]
  ) -> [SwiftItemOutcome] {
    let uid = UnprivilegedIDs.next()
    do {
      try workspace.prepareItemDirectory(directory, inputs: inputs, sets: sets, plan: plan, uid: uid, linkage: linkage)
    } catch {
      return Array(repeating: .failed("not run: \(HarnessSetupError.workspace("\(error)"))"), count: sets)
    }
    let whole = limits.scaled(forInputSets: sets)
    let launch = plan.launch(
      item: id, binary: workspace.binary.path, inputs: inputs.path, sets: sets, itemDirectory: directory.path,
      uid: uid, limits: whole, libraryDirectories: libraryDirectories)
    let report: ProcessReport
    do {
      report = try SandboxedProcess.run(
        executable: launch.executable, arguments: launch.arguments, environment: launch.environment,
        wallClockSeconds: whole.wallClockSeconds, maxOutputBytes: limits.maxOutputBytes)
    } catch {
      return Array(repeating: .failed("not run: \(error)"), count: sets)
    }
    var outcomes: [SwiftItemOutcome] = []
    for k in 0..<sets {
      guard let text = readResult(directory.appendingPathComponent(HarnessProtocol.resultFileName(set: k)), limit: limits.maxFileBytes) else {
        let stderr = CompilerDiagnostics.strip(report.stderrText, directory: workspace.sources.path)
        let ending = ItemEnding.sentence(
          termination: report.termination, timedOut: report.timedOut, stderr: stderr, limits: limits, inputSets: sets,
          signalsAsExitStatus: plan.reportsSignalsAsExitStatus)
        outcomes.append(.failed(ending))
        let later = "not run: the item's process ended at input set \(k + 1) of \(sets) (\(ending))"
        outcomes += Array(repeating: .failed(later), count: sets - k - 1)
        break
      }
      outcomes.append(outcome(of: text, item: id, expectedShape: expectedShape))
    }
    return outcomes
  }

  /// What a result file says about item `id`.
  static func outcome(of text: String, item id: String, expectedShape: [Int]?) -> SwiftItemOutcome {
    guard let result = HarnessProtocol.decodeResult(text, item: id) else {
      return .failed("left a result file that is not a well-formed answer for \(id)")
    }
    switch result {
    case .value(let tensor):
      return .value(tensor)
    case .missing:
      let expected = expectedShape.map { " (expected \(Tensor.describe($0)))" } ?? ""
      return .missing("\(id) returned nil: not answered yet\(expected)")
    case .ragged(let why):
      return .failed("returned a ragged array, which is not a tensor: \(why)")
    }
  }

  /// The result file's text, read without following a symbolic link the item may have left there.
  private static func readResult(_ url: URL, limit: Int) -> String? {
    let fd = open(url.path, O_RDONLY | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= limit + 1 else { return nil }
    guard let data = try? handle.readToEnd() else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  static func isIdentifier(_ id: String) -> Bool {
    guard let first = id.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
    return id.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
  }

  /// Where each submission's temporary directory is made (tests point it at a per-process folder).
  nonisolated(unsafe) static var workspaceParent = FileManager.default.temporaryDirectory

  static func makeTemporaryDirectory() throws -> URL {
    var template = Array(workspaceParent.appendingPathComponent("swift-submission-XXXXXX").path.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw HarnessSetupError.workspace("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    return URL(fileURLWithPath: String(cString: made), isDirectory: true)
  }
}

/// The temporary directory of one run.
struct Workspace {
  var root: URL
  var sources: URL { root.appendingPathComponent("src", isDirectory: true) }
  var binary: URL { root.appendingPathComponent("bin/student") }
  var runs: URL { root.appendingPathComponent("runs", isDirectory: true) }
  /// The chroot's copy of `HarnessRuntime`, hard-linked from the toolchain and the system.
  var runtime: URL { root.appendingPathComponent("runtime", isDirectory: true) }
  /// The files of `runtime`, when it was made.
  var runtimeFiles: HarnessRuntime?

  init(root: URL) throws {
    self.root = root
    let fm = FileManager.default
    for dir in [sources, binary.deletingLastPathComponent(), runs] {
      try fm.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    // Items running under their own uid must reach the binary and inputs (bwrap binds them by
    // path from outside, so only the chroot copies need to be readable).
    try fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: root.path)
  }

  /// Copies the sources into `src/` and returns their paths, in compile order.
  func collectSources(files: [URL], helpers: [(name: String, contents: Data)], main: String, notes: inout [String]) throws -> [URL] {
    let fm = FileManager.default
    let helperNames = Set(helpers.map(\.name))

    var submitted: [URL] = []
    for file in files {
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
        notes.append("\(file.lastPathComponent) does not exist and was skipped.")
        continue
      }
      if isDirectory.boolValue {
        let found = fm.enumerator(at: file, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        submitted += found.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
      } else if file.pathExtension == "swift" {
        submitted.append(file)
      } else {
        notes.append("\(file.lastPathComponent) is not a .swift file and was skipped.")
      }
    }

    var paths: [URL] = []
    var used = Set<String>()
    for file in submitted {
      let name = file.lastPathComponent
      if name == "main.swift" {
        notes.append("The submitted main.swift was ignored: the grading harness provides main.swift.")
        continue
      }
      if helperNames.contains(name) {
        // An unchanged copy of a helper file is what the starter asks for; only a changed one is news.
        let starterCopy = helpers.first { $0.name == name }?.contents
        if starterCopy != fm.contents(atPath: file.path) {
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
      try fm.copyItem(at: file, to: destination)
      paths.append(destination)
    }
    for helper in helpers {
      let destination = sources.appendingPathComponent(helper.name)
      try helper.contents.write(to: destination)
      paths.append(destination)
    }
    let mainURL = sources.appendingPathComponent("main.swift")
    try main.write(to: mainURL, atomically: true, encoding: .utf8)
    return [mainURL] + paths
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

  /// A fresh directory the item may write to, owned by its uid when the grader is root; for a
  /// chroot it also holds hard links (or copies) of the binary, an `inputs/` directory the grader
  /// owns (0755) with hard links of the `sets` inputs files and, for a dynamically linked binary,
  /// of `runtime/`.
  func prepareItemDirectory(_ directory: URL, inputs: URL, sets: Int, plan: SandboxPlan, uid: UInt32, linkage: HarnessLinkage) throws {
    let fm = FileManager.default
    try fm.createDirectory(at: directory, withIntermediateDirectories: false)
    if case .chroot = plan {
      let inputsCopy = directory.appendingPathComponent(HarnessProtocol.inputsDirectoryName, isDirectory: true)
      guard mkdir(inputsCopy.path, 0o755) == 0, chmod(inputsCopy.path, 0o755) == 0 else {
        throw HarnessSetupError.workspace("could not make \(inputsCopy.lastPathComponent): \(String(cString: strerror(errno)))")
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
    }
    if SandboxPlan.isRoot {
      guard chown(directory.path, uid, uid) == 0 else {
        throw HarnessSetupError.workspace("chown of \(directory.lastPathComponent) failed: \(String(cString: strerror(errno)))")
      }
    }
    try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
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
