import Digest
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python submission ready to run on input sets: its files copied into a workspace, the
/// interpreter found, the sandbox chosen.
///
/// Its temporary directory is removed when the value is released. `run` may be called from several
/// threads at once; each call is one sandbox.
public final class PreparedPythonSubmission: @unchecked Sendable {
  /// The isolation items run under, e.g. "bubblewrap (unprivileged uid per item)".
  public internal(set) var isolationUsed = "none"
  /// Sentences about the files used, e.g. "alice.py was run as solution.py."
  public internal(set) var notes: [String] = []
  /// Why nothing can run, when the problem is not the student's code (no interpreter, NumPy
  /// missing, an isolation that cannot be had, a full disk): the submission is then not graded.
  public internal(set) var setupError: String?
  /// The interpreter's version, e.g. "3.11.7".
  public internal(set) var interpreterVersion: String?

  let limits: SandboxLimits
  let assignment: Assignment
  var sandbox: PythonSandbox?
  var workspace: PythonWorkspace?
  /// The module names of the student's files (`solution` first).
  var studentModules: [String] = []
  var isRunnable = false
  private let lock = NSLock()
  private var runCounter = 0

  init(limits: SandboxLimits, assignment: Assignment) {
    self.limits = limits
    self.assignment = assignment
  }

  deinit {
    if let workspace {
      Workspace.remove(workspace.root)
      RunningChildren.release(workspace.root)
    }
  }

  /// True when items can run.
  public var runnable: Bool { isRunnable }

  /// Runs every item of `itemIDs` on `inputs`.
  public func run(itemIDs: [String], itemShapes: [String: [Int]], inputs: [String: Tensor]) -> SwiftModuleRun {
    run(itemIDs: itemIDs, itemShapes: itemShapes, inputSets: [inputs])[0]
  }

  /// Runs every item of `itemIDs` on every set of `inputSets` in one sandbox: one process per item
  /// answers set 0, then set 1, …; returns one `SwiftModuleRun` per set, in order.
  ///
  /// ```
  /// record of set k             the item's answer (value, missing, error) at set k
  /// first set without a record  how the item's process ended (`PythonItemEnding`)
  /// sets after it               "not run: the item's process ended at input set k+1 …"
  /// no record of the item       "not run: the grading harness stopped …"
  /// ```
  /// A set with an input missing or of the wrong rank fails every item at that set and is not run.
  /// A run the grader could not do its part of — its files not written, the harness not started,
  /// or, when the items have uids of their own (so that the student's code cannot reach it), the
  /// harness stopped before it was done — has an `infrastructureError`: it says nothing about the
  /// submission.
  public func run(itemIDs: [String], itemShapes: [String: [Int]], inputSets: [[String: Tensor]]) -> [SwiftModuleRun] {
    let empty = SwiftModuleRun(isolationUsed: isolationUsed, compileErrors: [], outcomes: [:], compileSeconds: 0, runSeconds: 0, notes: notes)
    var results = Array(repeating: empty, count: inputSets.count)
    guard !inputSets.isEmpty else { return [] }
    func failAll(_ why: String, set k: Int) {
      for id in itemIDs where results[k].outcomes[id] == nil { results[k].outcomes[id] = .failed(why) }
    }
    func failEverySet(_ why: String) -> [SwiftModuleRun] {
      for k in results.indices { failAll(why, set: k) }
      return results
    }
    func notGraded(_ why: String) -> [SwiftModuleRun] {
      for k in results.indices { results[k].infrastructureError = why }
      return failEverySet("not run: \(why)")
    }
    if let setupError { return notGraded(setupError) }
    guard isRunnable, let sandbox, let workspace else { return failEverySet("not run: the submission was not prepared") }

    var sent: [Int] = []
    for (k, inputs) in inputSets.enumerated() {
      if let problem = inputProblem(inputs) { failAll("not run: \(problem)", set: k) } else { sent.append(k) }
    }
    for id in itemIDs where !PythonSubmissionFiles.isIdentifier(id) {
      for k in sent { results[k].outcomes[id] = .failed("not run: item id \(id) is not a Python identifier, so no function can answer it") }
    }
    let runnable = itemIDs.filter(PythonSubmissionFiles.isIdentifier)
    guard !sent.isEmpty, !runnable.isEmpty else { return results }

    let number: Int = lock.withLock {
      runCounter += 1
      return runCounter
    }
    let name = String(number)
    let directory = workspace.runs.appendingPathComponent(name, isDirectory: true)
    let limits = self.limits
    let whole = limits.scaled(forInputSets: sent.count)
    let uids = runnable.map { _ in sandbox.usesItemUIDs ? UnprivilegedIDs.next() : nil }
    let maxEntries = runnable.map { id in
      itemShapes[id].map { ArrayReadLimits(itemShapes: [$0]).maximumEntriesPerArray } ?? ArrayReadLimits.default.maximumEntriesPerArray
    }
    let work = workspace.work(run: name)
    do {
      try PythonWorkspace.makeDirectory(directory, mode: 0o711)
      if sandbox.needsWorkDirectory {
        // Each item's uid makes its own folder in it (the sticky bit keeps the others out).
        try PythonWorkspace.makeDirectory(work, mode: sandbox.usesItemUIDs ? 0o1777 : 0o700)
      }
      try PythonWorkspace.makeDirectory(directory.appendingPathComponent("inputs", isDirectory: true))
      for (position, k) in sent.enumerated() {
        let setDirectory = directory.appendingPathComponent("inputs/\(position)", isDirectory: true)
        try PythonWorkspace.makeDirectory(setDirectory)
        for input in assignment.inputs {
          var tensor = inputSets[k][input.name]!
          tensor.dtype = input.dtype.isFloatingPoint ? .float64 : .int64
          try PythonWorkspace.write(NpyFormat.encode(tensor), to: setDirectory.appendingPathComponent("\(input.name).npy"))
        }
      }
      let config = configuration(items: runnable, uids: uids, maxEntries: maxEntries, sets: sent.count, limits: whole,
                                 sandbox: sandbox, paths: sandbox.paths(workspace: workspace, run: name))
      try PythonWorkspace.write(config, to: directory.appendingPathComponent("config.json"))
    } catch {
      Workspace.remove(directory)
      Workspace.remove(work)
      return notGraded("\(HarnessSetupError.workspace(SystemErrorText.sentence(error)))")
    }
    defer {
      Workspace.remove(directory)
      Workspace.remove(work)
    }

    let nonce = PythonResultChannel.nonce()
    let launch = sandbox.launch(workspace: workspace, run: name, items: runnable.count, limits: limits)
    let waves = (runnable.count + max(1, limits.parallelItems) - 1) / max(1, limits.parallelItems)
    let outerSeconds = Self.startupSeconds + Double(waves) * (whole.wallClockSeconds + 2)
    let outputBytes = maxEntries.reduce(1 << 16) { $0 + sent.count * (8 * $1 + 1024) + (16 << 10) }
    let start = Date()
    let report: ProcessReport
    do {
      report = try SandboxedProcess.run(
        executable: launch.executable, arguments: launch.arguments, environment: launch.environment,
        wallClockSeconds: outerSeconds, maxOutputBytes: max(outputBytes, limits.maxOutputBytes), quota: launch.quota,
        sweepUIDs: Set(uids.compactMap { $0 }), standardInput: Array((Hex.string(nonce) + "\n").utf8))
    } catch {
      return notGraded("\(error)")
    }
    let seconds = Date().timeIntervalSince(start)
    let channel = PythonResultChannel.records(in: report.stdout, nonce: nonce)
    let studentDirectories = ["/sbx/student", workspace.student.path]
    var byItem: [String: [Int: PythonResultChannel.Record]] = [:]
    var endings: [String: PythonResultChannel.Record] = [:]
    var done = false
    for record in channel.records {
      switch record.kind {
      case "ended": endings[record.item] = record
      case "done": done = true
      default: if byItem[record.item]?[record.set] == nil { byItem[record.item, default: [:]][record.set] = record }
      }
    }
    let harnessStopped = Self.harnessStopped(report, done: done, outerSeconds: outerSeconds, studentDirectories: studentDirectories)
    // Without uids of their own the items could have stopped the harness (a signal to their own
    // uid); with them, and without a quota passed, only the grader's side can have.
    let harnessFailed = sandbox.usesItemUIDs && report.quotaExceeded == nil
    for k in results.indices { results[k].runSeconds = seconds }
    if channel.forged > 0 {
      for k in results.indices {
        results[k].notes.append("\(channel.forged) record\(channel.forged == 1 ? "" : "s") on the harness's channel did not carry this run's seal and \(channel.forged == 1 ? "was" : "were") ignored.")
      }
    }
    for (index, id) in runnable.enumerated() {
      var ended: (position: Int, why: String)?
      for (position, k) in sent.enumerated() {
        if let uid = uids[index] { results[k].itemUIDs[id] = uid }
        if let record = byItem[id]?[position] {
          results[k].outcomes[id] = outcome(of: record, item: id, expectedShape: itemShapes[id], maxEntries: maxEntries[index])
          continue
        }
        if let ended {
          results[k].outcomes[id] = .failed("not run: the item's process ended at input set \(ended.position + 1) of \(sent.count) (\(ended.why))")
          continue
        }
        let why: String
        if let record = endings[id] {
          let text = record.text
          let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
          let output = String(text.dropFirst(firstLine.count))
          why = PythonItemEnding.sentence(ending: firstLine, output: output, limits: limits, inputSets: sent.count,
                                          studentDirectories: studentDirectories)
        } else if let quota = report.quotaExceeded {
          why = "stopped: \(quota)"
        } else {
          why = "not run: \(harnessStopped)"
          if harnessFailed && results[k].infrastructureError == nil {
            for j in results.indices { results[j].infrastructureError = harnessStopped }
          }
        }
        results[k].outcomes[id] = .failed(why)
        ended = (position, why)
      }
    }
    return results
  }

  /// Seconds the harness may take to start and import NumPy, besides the items' own limits.
  static let startupSeconds = 60.0

  /// What an item's record says.
  func outcome(of record: PythonResultChannel.Record, item id: String, expectedShape: [Int]?, maxEntries: Int) -> SwiftItemOutcome {
    switch record.kind {
    case "value":
      let readLimits = expectedShape.map { ArrayReadLimits(itemShapes: [$0]) } ?? .default
      do {
        return .value(try NpyFormat.read(Data(record.body), limits: readLimits))
      } catch {
        return .failed("returned an answer the grader could not read: \(error)")
      }
    case "missing":
      let expected = expectedShape.map { " (expected \(Tensor.describe($0)))" } ?? ""
      return .missing("\(id) \(record.text): not answered yet\(expected)")
    default:
      return .failed(record.text)
    }
  }

  /// Why the harness produced no ending for an item: the whole run's wall clock, the harness's own
  /// error, or how its process ended.
  static func harnessStopped(_ report: ProcessReport, done: Bool, outerSeconds: Double, studentDirectories: [String]) -> String {
    if report.timedOut {
      return "the grading harness was stopped after \(Int(outerSeconds)) s, the limit of the whole run"
    }
    let stderr = PythonItemEnding.strip(report.stderrText, studentDirectories: studentDirectories)
    let last = PythonItemEnding.lastLines(stderr)
    switch report.termination {
    case .exited(0) where done:
      return "the grading harness finished without running this item"
    case .exited(let status):
      return "the grading harness stopped (status \(status))" + (last.isEmpty ? "" : ": \(last)")
    case .signaled(let signal):
      return "the grading harness was killed with \(ItemEnding.name(signal))" + (last.isEmpty ? "" : ": \(last)")
    }
  }

  /// Why `inputs` cannot be run: an input the assignment declares is missing or of another rank.
  private func inputProblem(_ inputs: [String: Tensor]) -> HarnessSetupError? {
    for input in assignment.inputs {
      guard let given = inputs[input.name] else { return .missingInput(name: input.name) }
      guard given.shape.count == input.shape.count else {
        return .inputRank(name: input.name, given: given.shape.count, declared: input.shape.count)
      }
    }
    return nil
  }

  /// `config.json` of one run (see `PythonHarnessSource`).
  private func configuration(
    items: [String], uids: [UInt32?], maxEntries: [Int], sets: Int, limits: SandboxLimits, sandbox: PythonSandbox,
    paths: PythonSandbox.Paths
  ) -> Data {
    let parallel = max(1, limits.parallelItems)
    // Processes the item's uid already has, when it has none of its own: the grader's user's
    // (without a user namespace), the harness, its sealer, the other items, bwrap's own two.
    let allowance = sandbox.usesItemUIDs ? 0 : SandboxPlan.processesOfCurrentUser() + parallel + 6
    let object: [String: Any] = [
      "items": zip(items, zip(uids, maxEntries)).map { id, rest -> [String: Any] in
        ["id": id, "uid": rest.0.map { NSNumber(value: $0) } ?? NSNull(), "max_entries": rest.1]
      },
      "sets": sets,
      "limits": [
        "wall_seconds": limits.wallClockSeconds, "cpu_seconds": max(1, limits.cpuSeconds), "memory_bytes": max(0, limits.memoryBytes),
        "file_bytes": max(0, limits.maxFileBytes), "processes": max(1, limits.maxProcesses) + allowance,
      ],
      "parallel": parallel,
      "inputs": assignment.inputs.map { ["name": $0.name, "rank": $0.shape.count, "integer": !$0.dtype.isFloatingPoint] as [String: Any] },
      "student_dir": paths.student,
      "work_dir": paths.work,
      "module": PythonSubmissionFiles.moduleName,
      "student_modules": studentModules,
      "allowed_packages": sandbox.packages.map(\.name),
      "package_paths": Array(Set(sandbox.packages.map(\.package.site))).sorted(),
      "stdlib_names": sandbox.interpreter.standardLibraryNames,
      "stdlib_paths": sandbox.interpreter.standardLibrary,
      "site_paths": sandbox.interpreter.siteDirectories,
    ]
    return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
  }
}
