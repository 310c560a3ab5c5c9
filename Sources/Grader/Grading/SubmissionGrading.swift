import Foundation

/// Reading a submission from disk and grading it.
///
/// A submission is arrays (a `.json`, `.npz`, `.npy`, `.safetensors` file, or a folder of them),
/// a Python module (a `.py` file, or a folder holding `solution.py`), run item by item in a
/// sandbox with the system's `python3` and NumPy, a Swift module (a `.swift` file, or a folder
/// holding `.swift` files), compiled with a generated harness and run item by item in a sandbox,
/// or formulas (a text, Markdown or LaTeX file of `item: formula` lines, or a JSON object of
/// strings; `FormulaSubmissionReader`). A folder may mix formula files with arrays or with code:
/// each item is graded from what answers it.
///
/// ```
/// the grader concluded something      → a report (exit 0 or 1)
/// an entry is not the student's own   → SubmissionEntryError (a link leaving the folder, a FIFO,
///   regular file                        a device, a socket): the submission is unreadable
/// the files cannot be read as arrays  → SubmissionReadError: unreadable
/// the grader could not do its part    → InfrastructureError (a full disk, a sandbox that cannot
///                                       start): not graded, never a score
/// ```
public enum SubmissionGrading {
  /// How student code is run.
  public struct SwiftOptions: Sendable {
    public var isolation: Isolation = .auto
    public var limits: SandboxLimits = .default
    public init() {}
  }

  /// Grades the submission at `url`, after `SubmissionFiles.check` of everything in it.
  public static func grade(_ url: URL, student: String, with grader: Autograder, swift: SwiftOptions = SwiftOptions()) throws -> GradeReport {
    try SubmissionFiles.check(url)
    let formulas = try FormulaSubmissionReader.read(at: url, items: grader.assignment.items.map(\.id))
    if let python = pythonSubmission(at: url) {
      return try gradePython(python, student: student, with: grader, options: swift, formulas: formulas)
    }
    if let files = swiftFiles(at: url) {
      return try gradeSwift(files, student: student, with: grader, options: swift, root: url, formulas: formulas)
    }
    var answers: [String: SubmittedAnswer] = [:]
    var notes: [String] = []
    var isFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
    if !(exists && !isFolder.boolValue && formulas != nil) {
      do {
        let submission = try ArraySubmissionReader.read(
          at: url, limits: ArrayReadLimits(itemShapes: grader.assignment.items.map(\.shape)), skipping: Set(formulas?.files ?? []))
        for (name, entry) in submission.entries {
          switch entry {
          case .tensor(let t): answers[name] = .value(t)
          case .unreadable(let reason): answers[name] = .unreadable(reason)
          }
        }
        notes = submission.fileProblems
        if !submission.ignored.isEmpty {
          notes.append("Ignored files that hold no arrays: \(submission.ignored.joined(separator: ", ")).")
        }
      } catch {
        // A folder whose only answers are formulas.
        guard formulas != nil else { throw error }
        switch error {
        case .noArrayFiles: break
        case .nothingReadable(_, let problems): notes += problems
        default: throw error
        }
      }
    }
    let kind: SubmissionKind = answers.isEmpty && formulas != nil ? .formulas : .arrays
    if let formulas, answers.isEmpty, formulas.itemNames.isEmpty {
      throw SubmissionReadError.noFormulas(file: formulas.files.joined(separator: ", "), problems: formulas.problems)
    }
    if let formulas {
      merge(formulas, into: &answers, notes: &notes, alsoAnsweredBy: "an array")
    }
    return grader.grade(student: student, answers: answers, notes: notes, kind: kind)
  }

  /// Adds the formula answers (and the reading problems) of a submission; an item also answered
  /// otherwise (`by`) is unreadable when both are arrays or formulas, since neither can be chosen.
  static func merge(_ formulas: FormulaSubmission, into answers: inout [String: SubmittedAnswer], notes: inout [String], alsoAnsweredBy by: String) {
    for (item, answer) in formulas.answers {
      if answers[item] != nil {
        answers[item] = .unreadable("'\(item)' is answered both by \(by) and by a formula (\(answer.origin ?? "a formula file")); keep one")
      } else {
        answers[item] = .formula(answer)
      }
    }
    for (item, conflict) in formulas.conflicts { answers[item] = .unreadable(conflict) }
    notes += formulas.problems
  }

  /// The `.swift` files of a submission: the file itself, or the `.swift` files of a folder that
  /// holds any; nil for an array submission.
  public static func swiftFiles(at url: URL) -> [URL]? {
    if url.pathExtension == "swift" { return [url] }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue,
          let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return nil }
    let swift = names.filter { $0.hasSuffix(".swift") }.sorted().map { url.appendingPathComponent($0) }
    return swift.isEmpty ? nil : swift
  }

  /// Compiles and runs the student's Swift files on the student's inputs and, in a graded run, on
  /// the hidden input sets (`hiddenInputSetCount`; one process per item answers every set), then
  /// grades what each item returned. The student's process sees only inputs, never a reference
  /// value.
  ///
  /// Throws `SubmissionEntryError` when a file is not the student's own regular file, and
  /// `InfrastructureError` when the grader could not compile or run it for a reason of its own;
  /// `root` is the submission (the files' folder when not given); `formulas` answer the items
  /// they name, in place of the code's.
  public static func gradeSwift(
    _ files: [URL], student: String, with grader: Autograder, options: SwiftOptions, root: URL? = nil,
    formulas: FormulaSubmission? = nil
  ) throws -> GradeReport {
    let assignment = grader.assignment
    let itemIDs = assignment.items.map(\.id)
    let shapes = Dictionary(uniqueKeysWithValues: assignment.items.map { ($0.id, $0.shape) })
    let compiled = SwiftModuleRunner.compile(
      files: files, assignment: assignment, itemIDs: itemIDs,
      limits: options.limits, isolation: options.isolation, root: root)
    if let entryError = compiled.entryError { throw entryError }
    if let setupError = compiled.setupError { throw InfrastructureError(setupError) }
    let (runs, hiddenInputs) = try runOnEverySet(student: student, with: grader) {
      compiled.run(itemIDs: itemIDs, itemShapes: shapes, inputSets: $0)
    }
    let run = runs[0]
    var notes = run.notes + (formulas?.problems ?? [])
    if !run.compileErrors.isEmpty {
      // The compiler's errors once, as the report's first note; each item says only where.
      let shown = run.compileErrors.prefix(20).joined(separator: "\n")
      notes.insert("\(compileFailureHeading)\n\(shown)", at: 0)
      let location = run.compileErrors.lazy.compactMap(errorLocation).first.map { " at \($0)" } ?? ""
      var answers = Dictionary(uniqueKeysWithValues: itemIDs.map { ($0, SubmittedAnswer.failed("not run: the submission did not compile (first error\(location); the compiler's errors are in the report's notes)")) })
      if let formulas { overlay(formulas, on: &answers, notes: &notes) }
      return grader.grade(student: student, answers: answers, notes: notes, isolation: run.isolationUsed, kind: .code)
    }
    return gradeCode(runs, hiddenInputs: hiddenInputs, notes: notes, formulas: formulas, student: student, with: grader)
  }

  /// Runs code (through `run`, given the input sets) on the student's inputs and the hidden
  /// sets of a graded run; a reason of the grader's on any set is thrown, never graded.
  static func runOnEverySet(
    student: String, with grader: Autograder, _ run: ([[String: Tensor]]) -> [SwiftModuleRun]
  ) throws -> (runs: [SwiftModuleRun], hiddenInputs: [[String: Tensor]]) {
    let hiddenInputs = (0..<grader.hiddenInputSetCount).compactMap { grader.hiddenInputs(for: student, set: $0) }
    let runs = run([grader.inputs(for: student)] + hiddenInputs)
    if let why = runs.lazy.compactMap(\.infrastructureError).first { throw InfrastructureError(why) }
    return (runs, hiddenInputs)
  }

  /// The report of code that ran, whatever its language: what each item returned at the
  /// student's inputs (`runs[0]`), formulas in place of the items they answer, and — when
  /// something passes — the same items at the hidden sets (`runs[1…]`, at `hiddenInputs`).
  static func gradeCode(
    _ runs: [SwiftModuleRun], hiddenInputs: [[String: Tensor]], notes: [String], formulas: FormulaSubmission?,
    student: String, with grader: Autograder
  ) -> GradeReport {
    let itemIDs = grader.assignment.items.map(\.id)
    var notes = notes
    var codeAnswers = answers(of: runs[0], items: itemIDs)
    if let formulas { overlay(formulas, on: &codeAnswers, notes: &notes) }
    var report = grader.grade(student: student, answers: codeAnswers, notes: notes, isolation: runs[0].isolationUsed, kind: .code)
    if !hiddenInputs.isEmpty && report.items.contains(where: { $0.status == .pass }) {
      let hidden = zip(hiddenInputs, runs.dropFirst()).map { (inputs: $0, answers: answers(of: $1, items: itemIDs)) }
      grader.applyHiddenChecks(to: &report, runs: hidden)
    }
    return report
  }

  /// Formulas beside code: an item the code leaves unfilled (or could not compute) takes its
  /// formula; one the code also answers is graded by its formula, with a note.
  static func overlay(_ formulas: FormulaSubmission, on answers: inout [String: SubmittedAnswer], notes: inout [String]) {
    var both: [String] = []
    for (item, answer) in formulas.answers {
      if case .value? = answers[item] { both.append(item) }
      answers[item] = .formula(answer)
    }
    for (item, conflict) in formulas.conflicts { answers[item] = .unreadable(conflict) }
    if !both.isEmpty {
      notes.append("Answered both by your code and by a formula: \(both.sorted().joined(separator: ", ")); the formula was graded.")
    }
  }

  /// The Python submission at `url`: a `.py` file, or a folder that holds `solution.py`; nil
  /// otherwise.
  public static func pythonSubmission(at url: URL) -> URL? {
    if url.pathExtension == "py" { return url }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
    var info = stat()
    return lstat(url.appendingPathComponent(PythonSubmissionFiles.solutionFileName).path, &info) == 0 ? url : nil
  }

  /// Runs the student's Python functions on the student's inputs and, in a graded run, on the
  /// hidden input sets (`hiddenInputSetCount`; one process per item answers every set), then grades
  /// what each item returned. The student's code sees only inputs, never a reference value; it
  /// may import the standard library, NumPy and the rubric's `python_packages`.
  ///
  /// Throws `PythonSubmissionError` when the student's files cannot be read, and
  /// `InfrastructureError` when the grader could not run them for a reason of its own (no
  /// interpreter or NumPy, a sandbox that cannot start, a full disk, a harness that stopped);
  /// `formulas` answer the items they name, in place of the code's.
  public static func gradePython(
    _ url: URL, student: String, with grader: Autograder, options: SwiftOptions, formulas: FormulaSubmission? = nil
  ) throws -> GradeReport {
    let assignment = grader.assignment
    let itemIDs = assignment.items.map(\.id)
    let shapes = Dictionary(uniqueKeysWithValues: assignment.items.map { ($0.id, $0.shape) })
    let prepared = try PythonModuleRunner.prepare(
      url, assignment: assignment, allowedPackages: grader.rubric.pythonPackages, limits: options.limits, isolation: options.isolation)
    if let setupError = prepared.setupError { throw InfrastructureError(setupError) }
    let (runs, hiddenInputs) = try runOnEverySet(student: student, with: grader) {
      prepared.run(itemIDs: itemIDs, itemShapes: shapes, inputSets: $0)
    }
    let run = runs[0]
    var notes = run.notes + (formulas?.problems ?? [])
    let failures = itemIDs.compactMap { id -> String? in
      if case .failed(let why)? = run.outcomes[id] { return why }
      return nil
    }
    if failures.count == itemIDs.count, let first = failures.first, first.contains(".py could not be imported"), Set(failures).count == 1 {
      notes.append("The submission could not be imported, so no item ran: \(first)")
    }
    return gradeCode(runs, hiddenInputs: hiddenInputs, notes: notes, formulas: formulas, student: student, with: grader)
  }

  /// The first line of the note that holds the compiler's errors (`GradeReport.compileFailure`).
  public static let compileFailureHeading = "The submission did not compile:"

  /// `Solution.swift:12:5` of a compiler line `Solution.swift:12:5: error: …`; nil for a line
  /// without a location (a linker error).
  static func errorLocation(_ line: String) -> String? {
    let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0].hasSuffix(".swift"), Int(parts[1]) != nil, Int(parts[2]) != nil,
          parts[3].trimmingCharacters(in: .whitespaces).hasPrefix("error") else { return nil }
    return "\(parts[0]):\(parts[1]):\(parts[2])"
  }

  /// What each item of a run returned, as the grader's answers.
  static func answers(of run: SwiftModuleRun, items: [String]) -> [String: SubmittedAnswer] {
    var answers: [String: SubmittedAnswer] = [:]
    for id in items {
      switch run.outcomes[id] {
      case .value(let t)?: answers[id] = .value(t)
      case .missing?: answers[id] = .unfilled
      case .failed(let why)?: answers[id] = .failed(why)
      case nil: answers[id] = .failed("the harness produced no outcome for this item")
      }
    }
    return answers
  }

  /// The example an assignment ships for `grade demo`.
  public static func demoSubmission(in assignment: Assignment) -> URL? {
    let examples = assignment.directory.appendingPathComponent("examples")
    for name in ["demo.npz", "demo.json", "demo.safetensors", "demo"] {
      let url = examples.appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    return nil
  }
}

extension GradeReport {
  /// The note holding the compiler's errors, when the submission did not compile: reports show
  /// it once, first.
  public var compileFailure: String? {
    notes.first { $0.hasPrefix(SubmissionGrading.compileFailureHeading) }
  }
}
