import Foundation
import Grader

/// What each subcommand does, between parsing and printing.
enum Commands {
  static func catalog(_ args: Arguments) -> AssignmentCatalog {
    AssignmentCatalog(root: args.option("--assignments").map { URL(fileURLWithPath: $0) })
  }

  static func requireAssignment(_ args: Arguments) throws -> String {
    guard let name = args.positional.first else { throw UsageError("Missing expected argument '<assignment>'") }
    return name
  }

  static func requireStudent(_ args: Arguments) throws -> String {
    guard let student = args.option("--student"), !student.isEmpty else {
      throw UsageError("Missing expected argument '--student <id>'")
    }
    return student
  }

  static func requireOut(_ args: Arguments) throws -> URL {
    guard let out = args.option("--out") else { throw UsageError("Missing expected argument '--out <file>'") }
    return URL(fileURLWithPath: out)
  }

  static func rejectExtraPositionals(_ args: Arguments, expected: Int) throws {
    if args.positional.count > expected {
      throw UsageError("Unexpected argument '\(args.positional[expected])'")
    }
  }

  // MARK: list

  static func list(_ args: Arguments) throws -> Int32 {
    try rejectExtraPositionals(args, expected: 0)
    let catalog = catalog(args)
    let ids = catalog.ids()
    if ids.isEmpty {
      args.console.print("No assignments under \(catalog.root.path).")
      return GradeCommand.ExitCode.success
    }
    for id in ids {
      let (assignment, rubric) = try catalog.load(id)
      args.console.print("\(assignment.id) — \(assignment.title) (\(ItemResult.points(rubric.maxScore)) points; model \(assignment.model.name))")
      let idWidth = max(17, assignment.items.map(\.id.count).max() ?? 0)
      let shapeWidth = max(9, assignment.items.map { Tensor.describe($0.shape).count }.max() ?? 0)
      for item in assignment.items {
        let entry = rubric.entry(item.id)
        let shape = Tensor.describe(item.shape)
        args.console.print("  \(pad(item.id, idWidth)) \(pad(shape, shapeWidth)) \(ItemResult.points(entry.points)) pt\(entry.hidden ? " (hidden)" : "")  \(item.statement)")
      }
      args.console.print("")
    }
    return GradeCommand.ExitCode.success
  }

  /// `text` padded with spaces to `width` (never cut).
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }

  // MARK: inputs, reference

  static func inputs(_ args: Arguments) throws -> Int32 {
    try writeArrays(args, what: "inputs") { grader, student, set in
      try set.map { k in try hiddenSet(grader, student: student, set: k) } ?? grader.inputs(for: student)
    }
  }

  /// `grade reference` needs the course key: the reference at a student's inputs is the answer
  /// of an array submission, so it is for the course staff.
  static func reference(_ args: Arguments) throws -> Int32 {
    try writeArrays(args, what: "reference", needsKey: true) { grader, student, set in
      guard let k = set else { return grader.reference(for: student) }
      return grader.model.reference(inputs: try hiddenSet(grader, student: student, set: k))
    }
  }

  static func hiddenSet(_ grader: Autograder, student: String, set k: Int) throws -> [String: Tensor] {
    guard let inputs = grader.hiddenInputs(for: student, set: k) else {
      throw UsageError("--hidden-set needs the course key: give --key-file <file> or set \(CourseKey.environmentVariable)")
    }
    return inputs
  }

  /// `grade inputs|reference <assignment> --student <id> [--hidden-set <k>] --out <file>`: one
  /// student's arrays (of hidden set k, 1-based on the command line, with the course key).
  static func writeArrays(_ args: Arguments, what: String, needsKey: Bool = false, arrays: (Autograder, String, Int?) throws -> [String: Tensor]) throws -> Int32 {
    try rejectExtraPositionals(args, expected: 1)
    let name = try requireAssignment(args)
    let student = try requireStudent(args)
    let out = try requireOut(args)
    var set: Int?
    if let text = args.option("--hidden-set") {
      guard let k = Int(text), k >= 1 else { throw UsageError("The value '\(text)' is invalid for '--hidden-set <k>': expected a whole number from 1") }
      set = k - 1
    }
    let key = needsKey || set != nil
      ? try requireCourseKey(args, for: set != nil ? "--hidden-set" : "grade \(what)")
      : try courseKey(args)
    let (assignment, rubric) = try catalog(args).load(name)
    let values = try arrays(Autograder(assignment: assignment, rubric: rubric, courseKey: key), student, set)
    try FileWriteError.writing(out.path) { try ArrayFileWriter.write(values, to: out) }
    let names = values.keys.sorted().map { "\($0) (\(Tensor.describe(values[$0]!.shape)))" }
    let of = set.map { "hidden input set \($0 + 1) of \(student)" } ?? student
    args.console.print("Wrote the \(what) of \(of) for \(assignment.id) to \(out.path): \(names.joined(separator: ", ")).")
    return GradeCommand.ExitCode.success
  }

  // MARK: check, demo

  /// The student id of a self-check of formulas given without `--student`.
  static let anonymousStudent = "anonymous"

  static func check(_ args: Arguments) throws -> Int32 {
    try rejectExtraPositionals(args, expected: 2)
    let name = try requireAssignment(args)
    guard args.positional.count >= 2 else { throw UsageError("Missing expected argument '<submission>'") }
    let submission = URL(fileURLWithPath: args.positional[1])
    let format = try reportFormat(args)
    let key = try WorkerCommand.loads?.key(args) ?? courseKey(args)
    // A self-check of a file of formulas needs no inputs of its own: its points are random.
    let student = args.option("--student") == nil && key == nil && FormulaSubmissionReader.isTextFile(submission)
      ? anonymousStudent : try requireStudent(args)
    BatchFaultsForTests.apply(student: student)
    if args.flag("--show-reference") && key == nil {
      throw UsageError("--show-reference is for the course staff and needs the course key: give --key-file <file> or set \(CourseKey.environmentVariable)")
    }
    let (assignment, rubric) = try WorkerCommand.loads?.assignment(name, args) ?? catalog(args).load(name, rubric: args.option("--rubric").map { URL(fileURLWithPath: $0) })
    var grader = Autograder(assignment: assignment, rubric: rubric, courseKey: key)
    grader.instructorView = args.flag("--show-reference")
    if let seed = args.option("--numeric-seed") {
      guard let value = UInt64(seed) else { throw UsageError("The value '\(seed)' is invalid for '--numeric-seed <n>': expected a whole number") }
      grader.numericSeed = value
    }
    let swift = try swiftOptions(args)
    let start = Date()
    var report: GradeReport
    do {
      report = try SubmissionGrading.grade(submission, student: student, with: grader, swift: swift)
    } catch let error as SubmissionReadError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    } catch let error as SubmissionEntryError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    } catch let error as InfrastructureError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.infrastructure
    }
    // Answers made for another id fail everywhere with no known mistake: say so, naming ids only.
    var otherIDs = (args.option("--other-ids") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    if let roster = args.option("--other-ids-file") { otherIDs += try WorkerCommand.loads?.ids(roster) ?? Self.idsFile(URL(fileURLWithPath: roster)) }
    if let note = StudentIDCheck.note(for: report, grader: grader, candidates: otherIDs) { report.notes.insert(note, at: 0) }
    if args.flag("--no-timing") { report.seconds = 0 }
    if let provenance = WorkerCommand.jobProvenance { report.provenance = provenance }
    try emit(report, format: format, grader: grader, args: args)
    if args.flag("--timing") {
      args.console.error(String(format: "graded %@ for %@ in %.3f s", assignment.id, student, Date().timeIntervalSince(start)))
    }
    return report.allPassed ? GradeCommand.ExitCode.success : GradeCommand.ExitCode.failure
  }

  /// The ids of a roster file: one per line, blank lines and `#` comments skipped.
  static func idsFile(_ url: URL) throws -> [String] {
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw UsageError("Could not read the ids file \(url.path) given to --other-ids-file: \(SystemErrorText.sentence(error)) (expected a text file with one student id per line)")
    }
    return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && !$0.hasPrefix("#") }
  }

  static func demo(_ args: Arguments) throws -> Int32 {
    try rejectExtraPositionals(args, expected: 1)
    let name = args.positional.first ?? "rnn-bptt"
    let format = try reportFormat(args)
    let (assignment, rubric) = try catalog(args).load(name)
    guard let example = SubmissionGrading.demoSubmission(in: assignment) else {
      args.console.error("Error: \(assignment.id) ships no example submission (expected examples/demo.npz, demo.json or a demo/ folder in \(assignment.directory.path)).")
      return GradeCommand.ExitCode.dataError
    }
    let grader = Autograder(assignment: assignment, rubric: rubric)
    args.console.print("Grading \(example.path) as student 'demo':\n")
    let report: GradeReport
    do {
      report = try SubmissionGrading.grade(example, student: "demo", with: grader)
    } catch let error as SubmissionReadError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    } catch let error as SubmissionEntryError {
      args.console.error("Error: \(error)")
      return GradeCommand.ExitCode.dataError
    }
    try emit(report, format: format, grader: grader, args: args)
    return report.allPassed ? GradeCommand.ExitCode.success : GradeCommand.ExitCode.failure
  }

  static func swiftOptions(_ args: Arguments) throws -> SubmissionGrading.SwiftOptions {
    var options = SubmissionGrading.SwiftOptions()
    if let mode = args.option("--isolation") {
      guard let isolation = Isolation(rawValue: mode) else {
        throw UsageError("The value '\(mode)' is invalid for '--isolation <mode>': expected one of \(Isolation.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      options.isolation = isolation
    }
    if let text = args.option("--timeout") {
      guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
        throw UsageError("The value '\(text)' is invalid for '--timeout <seconds>': expected a positive number")
      }
      options.limits.wallClockSeconds = seconds
      options.limits.cpuSeconds = max(1, Int(seconds.rounded(.up)))
    }
    return options
  }

  static func reportFormat(_ args: Arguments) throws -> ReportFormat {
    guard let name = args.option("--format") else { return .text }
    guard let format = ReportFormat(rawValue: name) else {
      throw UsageError("The value '\(name)' is invalid for '--format <format>': expected one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return format
  }

  static func emit(_ report: GradeReport, format: ReportFormat, grader: Autograder, args: Arguments) throws {
    if let out = args.option("--out") {
      // A record (what a batch's worker writes for every student) goes out as the encoder's bytes.
      let bytes = format == .record ? Data(GradeRecord.encodedBytes(report))
        : Data(rendered(report, format: format, color: false, grader: grader, args: args).utf8)
      try FileWriteError.writing(out) { try AtomicFile.write(bytes, to: URL(fileURLWithPath: out)) }
    } else {
      // The text report is for a terminal: wrapped to COLUMNS (else 80 columns on a terminal).
      let width = args.console === Console.standard ? TerminalWrapping.outputWidth() : nil
      args.console.print(rendered(report, format: format, color: format == .text && args.console.isColorTerminal, grader: grader, args: args, width: width), terminator: "")
    }
  }
}

