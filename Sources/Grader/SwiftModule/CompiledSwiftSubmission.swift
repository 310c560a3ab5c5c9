import Foundation

/// A submission compiled with the grading harness, ready to run on input sets.
///
/// Its temporary directory (sources, binary, every run's inputs and item directories) is removed
/// when the value is released. `run` may be called from several threads at once.
public final class CompiledSwiftSubmission: @unchecked Sendable {
  /// The isolation items run under, e.g. "bubblewrap (unprivileged uid)".
  public internal(set) var isolationUsed = "none"
  /// Compiler errors as `Solution.swift:12:5: error: …`; empty when it compiled.
  public internal(set) var compileErrors: [String] = []
  public internal(set) var compileSeconds = 0.0
  /// Sentences about the files used, e.g. "The submitted Inputs.swift was replaced by the starter's copy."
  public internal(set) var notes: [String] = []
  /// Why nothing could be compiled or run, when the problem is not the student's code (an
  /// isolation that cannot be had, a full disk, a compile that outlived its wall clock): the
  /// submission is then not graded.
  public internal(set) var setupError: String?
  /// Why the submission's files could not be read (a link leaving it, a FIFO, a file too large):
  /// nothing was compiled.
  public internal(set) var entryError: SubmissionEntryError?

  let limits: SandboxLimits
  var plan: SandboxPlan?
  var workspace: Workspace?
  var declaredInputs: [AssignmentInput] = []
  var compiledItems: Set<String> = []
  /// Items the harness could not call, with the compiler's message: the rest were compiled
  /// without them.
  var notCallable: [String: String] = [:]
  /// The function the harness calls for each item, `func dU(_ p: Inputs) -> [[Double]]?`.
  var signatures: [String: String] = [:]
  var linkage = HarnessLinkage.staticExecutable
  /// Directories bound read-only into each item's bubblewrap sandbox (the Swift runtime's).
  var libraryDirectories: [String] = []
  /// What places a trap at the student's line (`TrapBacktrace`), if the toolchain has one.
  var symbolizer: String?
  var isRunnable = false
  /// The uid the compiler ran under (tests look for processes it left).
  var compileUID: UInt32?
  private let lock = NSLock()
  private var runCounter = 0

  init(limits: SandboxLimits) {
    self.limits = limits
  }

  deinit {
    if let workspace {
      Workspace.remove(workspace.root)
      RunningChildren.release(workspace.root)
    }
  }

  /// True when the binary was built and items can run.
  public var compiled: Bool { isRunnable }

  /// Runs every item of `itemIDs` on `inputs`, each in its own sandboxed process.
  ///
  /// An item the submission was not compiled for, an input missing or of the wrong rank, or a
  /// compile error makes the items `failed` with the reason; nothing here throws.
  public func run(itemIDs: [String], itemShapes: [String: [Int]], inputs: [String: Tensor]) -> SwiftModuleRun {
    run(itemIDs: itemIDs, itemShapes: itemShapes, inputSets: [inputs])[0]
  }

  /// Runs every item of `itemIDs` on every set of `inputSets`: one sandboxed process per item,
  /// which answers set 0, then set 1, …; returns one `SwiftModuleRun` per set, in order.
  ///
  /// ```
  /// runs/<r>/inputs/<k>.txt   set k, read-only to every item
  /// item process              reads every set, then writes result-<k>.txt after computing set k
  /// ```
  /// A crash or a limit at set k fails the item at set k and at the sets after it (never run);
  /// the sets before keep their answers. The item's process runs under the wall-clock and CPU
  /// limits times the number of sets (`SandboxLimits.scaled(forInputSets:)`). A set with an input
  /// missing or of the wrong rank fails every item at that set and is not run; the other sets are.
  /// `runSeconds` of every run is the time of the whole call.
  public func run(itemIDs: [String], itemShapes: [String: [Int]], inputSets: [[String: Tensor]]) -> [SwiftModuleRun] {
    let empty = SwiftModuleRun(
      isolationUsed: isolationUsed, compileErrors: compileErrors, outcomes: [:],
      compileSeconds: compileSeconds, runSeconds: 0, notes: notes)
    var results = Array(repeating: empty, count: inputSets.count)
    guard !inputSets.isEmpty else { return [] }
    func failAll(_ why: String, set k: Int) {
      for id in itemIDs where results[k].outcomes[id] == nil { results[k].outcomes[id] = .failed(why) }
    }
    func failEverySet(_ why: String) -> [SwiftModuleRun] {
      for k in results.indices { failAll(why, set: k) }
      return results
    }
    if let entryError { return failEverySet("not run: \(entryError)") }
    if let setupError {
      for k in results.indices { results[k].infrastructureError = setupError }
      return failEverySet("not run: \(setupError)")
    }
    guard isRunnable, let plan, let workspace else {
      return failEverySet("the submission did not compile: \(compileErrors.first ?? "no diagnostic")")
    }
    // The sets the process answers, as indices of `inputSets`.
    var sent: [Int] = []
    for (k, inputs) in inputSets.enumerated() {
      if let problem = inputProblem(inputs) {
        failAll("not run: \(problem)", set: k)
      } else {
        sent.append(k)
      }
    }
    for id in itemIDs where !compiledItems.contains(id) {
      if let message = notCallable[id] {
        let expected = signatures[id].map { " (expected `\($0)`)" } ?? ""
        let why: SwiftItemOutcome = message.hasPrefix("cannot find '\(id)' in scope")
          ? .missing("\(id) is not defined in the submission\(expected)")
          : .failed("the grader cannot call \(id) as the assignment asks\(expected): \(message)")
        for k in sent { results[k].outcomes[id] = why }
        continue
      }
      let why: SwiftItemOutcome = SwiftModuleRunner.isIdentifier(id)
        ? .failed("not run: the submission was compiled without item \(id)")
        : .failed("not run: \(HarnessSetupError.notAnIdentifier(id))")
      for k in sent { results[k].outcomes[id] = why }
    }
    let runnable = itemIDs.filter { compiledItems.contains($0) }
    guard !sent.isEmpty else { return results }

    let number: Int = lock.withLock {
      runCounter += 1
      return runCounter
    }
    let runDirectory = workspace.runs.appendingPathComponent(String(number), isDirectory: true)
    let inputsDirectory = runDirectory.appendingPathComponent(HarnessProtocol.inputsDirectoryName, isDirectory: true)
    let itemsDirectory = runDirectory.appendingPathComponent("items", isDirectory: true)
    do {
      let fm = FileManager.default
      try fm.createDirectory(at: runDirectory, withIntermediateDirectories: false)
      for directory in [inputsDirectory, itemsDirectory] {
        try fm.createDirectory(at: directory, withIntermediateDirectories: false)
        try fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: directory.path)
      }
      try fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: runDirectory.path)
      for (position, k) in sent.enumerated() {
        let file = inputsDirectory.appendingPathComponent(HarnessProtocol.inputsFileName(set: position))
        try HarnessProtocol.encodeInputs(inputSets[k]).write(to: file, atomically: true, encoding: .utf8)
        try fm.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file.path)
      }
    } catch {
      Workspace.remove(runDirectory)
      let why = "\(HarnessSetupError.workspace(SystemErrorText.sentence(error)))"
      for k in results.indices { results[k].infrastructureError = why }
      return failEverySet("not run: \(why)")
    }
    defer { Workspace.remove(runDirectory) }

    let start = Date()
    let limits = self.limits
    let (linkage, libraryDirectories, symbolizer) = (self.linkage, self.libraryDirectories, self.symbolizer)
    let itemRuns = ItemQueue.map(runnable, width: max(1, limits.parallelItems)) { index, id in
      SwiftModuleRunner.runItem(
        id, directory: itemsDirectory.appendingPathComponent(String(index), isDirectory: true), inputs: inputsDirectory,
        sets: sent.count, expectedShape: itemShapes[id], plan: plan, workspace: workspace, limits: limits,
        linkage: linkage, libraryDirectories: libraryDirectories, symbolizer: symbolizer)
    }
    let seconds = Date().timeIntervalSince(start)
    for k in results.indices { results[k].runSeconds = seconds }
    for (id, itemRun) in zip(runnable, itemRuns) {
      for (position, k) in sent.enumerated() {
        results[k].outcomes[id] = itemRun.outcomes[position]
        results[k].itemUIDs[id] = itemRun.uid
        if results[k].infrastructureError == nil { results[k].infrastructureError = itemRun.infrastructureError }
      }
    }
    return results
  }

  /// Why `inputs` cannot be run: an input the assignment declares is missing or of another rank.
  private func inputProblem(_ inputs: [String: Tensor]) -> HarnessSetupError? {
    for input in declaredInputs {
      guard let given = inputs[input.name] else { return .missingInput(name: input.name) }
      guard given.shape.count == input.rank else {
        return .inputRank(name: input.name, given: given.shape.count, declared: input.rank)
      }
    }
    return nil
  }
}
