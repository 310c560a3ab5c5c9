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
  /// Why nothing could be compiled or run, when the problem is not the student's code.
  public internal(set) var setupError: String?

  let limits: SandboxLimits
  var plan: SandboxPlan?
  var workspace: Workspace?
  var declaredInputs: [AssignmentInput] = []
  var compiledItems: Set<String> = []
  var linkage = HarnessLinkage.staticExecutable
  /// Directories bound read-only into each item's bubblewrap sandbox (the Swift runtime's).
  var libraryDirectories: [String] = []
  var isRunnable = false
  private let lock = NSLock()
  private var runCounter = 0

  init(limits: SandboxLimits) {
    self.limits = limits
  }

  deinit {
    if let workspace { try? FileManager.default.removeItem(at: workspace.root) }
  }

  /// True when the binary was built and items can run.
  public var compiled: Bool { isRunnable }

  /// Runs every item of `itemIDs` on `inputs`, each in its own sandboxed process.
  ///
  /// An item the submission was not compiled for, an input missing or of the wrong rank, or a
  /// compile error makes the items `failed` with the reason; nothing here throws.
  public func run(itemIDs: [String], itemShapes: [String: [Int]], inputs: [String: Tensor]) -> SwiftModuleRun {
    var result = SwiftModuleRun(
      isolationUsed: isolationUsed, compileErrors: compileErrors, outcomes: [:],
      compileSeconds: compileSeconds, runSeconds: 0, notes: notes)
    func failAll(_ why: String) -> SwiftModuleRun {
      for id in itemIDs where result.outcomes[id] == nil { result.outcomes[id] = .failed(why) }
      return result
    }
    if let setupError { return failAll("not run: \(setupError)") }
    guard isRunnable, let plan, let workspace else {
      return failAll("the submission did not compile: \(compileErrors.first ?? "no diagnostic")")
    }
    for input in declaredInputs {
      guard let given = inputs[input.name] else {
        return failAll("not run: \(HarnessSetupError.missingInput(name: input.name))")
      }
      guard given.shape.count == input.rank else {
        return failAll("not run: \(HarnessSetupError.inputRank(name: input.name, given: given.shape.count, declared: input.rank))")
      }
    }
    for id in itemIDs where !compiledItems.contains(id) {
      result.outcomes[id] = SwiftModuleRunner.isIdentifier(id)
        ? .failed("not run: the submission was compiled without item \(id)")
        : .failed("not run: \(HarnessSetupError.notAnIdentifier(id))")
    }
    let runnable = itemIDs.filter { compiledItems.contains($0) }

    let number: Int = lock.withLock {
      runCounter += 1
      return runCounter
    }
    let runDirectory = workspace.runs.appendingPathComponent(String(number), isDirectory: true)
    let inputsFile = runDirectory.appendingPathComponent(HarnessProtocol.inputsFileName)
    let itemsDirectory = runDirectory.appendingPathComponent("items", isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: itemsDirectory, withIntermediateDirectories: true)
      try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: runDirectory.path)
      try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: itemsDirectory.path)
      try HarnessProtocol.encodeInputs(inputs).write(to: inputsFile, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: inputsFile.path)
    } catch {
      return failAll("not run: \(HarnessSetupError.workspace("\(error)"))")
    }
    defer { try? FileManager.default.removeItem(at: runDirectory) }

    let start = Date()
    let limits = self.limits
    let (linkage, libraryDirectories) = (self.linkage, self.libraryDirectories)
    let outcomes = ItemQueue.map(runnable, width: max(1, limits.parallelItems)) { index, id in
      SwiftModuleRunner.runItem(
        id, directory: itemsDirectory.appendingPathComponent(String(index), isDirectory: true), inputs: inputsFile,
        expectedShape: itemShapes[id], plan: plan, workspace: workspace, limits: limits,
        linkage: linkage, libraryDirectories: libraryDirectories)
    }
    result.runSeconds = Date().timeIntervalSince(start)
    for (id, outcome) in zip(runnable, outcomes) { result.outcomes[id] = outcome }
    return result
  }
}
