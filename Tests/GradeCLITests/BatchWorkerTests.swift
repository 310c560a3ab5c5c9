import Foundation
import Testing
@testable import GradeCLI
import Grader

/// `grade batch` with long-lived workers (`grade worker`, `WorkerPool`) against the batch of one
/// child per student (`--one-process-per-student`): the same files byte for byte on a mixed
/// class — graded, wrong, missing, malformed, a grading that crashes and one that hangs (faults a
/// test injects, `BatchFaultsForTests`) — in any order; a worker killed midway is replaced and
/// costs nothing; a batch killed with SIGKILL leaves no worker or child running.
@Suite("grade batch with workers", .serialized)
struct BatchWorkerTests {
  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  static let theClass = Result { try BatchClass.make() }
  /// crash-00, crash-01 die of SIGSEGV and loop-00, loop-01 hang, in a worker and alone alike.
  static let faults = [BatchFaultsForTests.variable: "crash-:crash,loop-:hang"]

  /// Every file under `folder`, by relative path.
  static func tree(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for path in try FileManager.default.subpathsOfDirectory(atPath: folder.path) {
      var isFolder: ObjCBool = false
      let url = folder.appendingPathComponent(path)
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
        files[path] = try Data(contentsOf: url)
      }
    }
    return files
  }

  static func batch(_ submissions: URL, out: URL, extra: [String] = [], environment: [String: String] = faults) throws -> GradeBinary.Output {
    try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--timeout", "2", "--no-timing", "--quiet",
                         "--key-file", GradeBinary.keyFile.path] + extra, environment: environment)
  }

  /// The batch of one child per student, made once.
  static let singleUse = Result { () throws -> URL in
    let c = try theClass.get()
    let out = temporaryDirectory().appendingPathComponent("single-use")
    let r = try batch(c.submissions, out: out, extra: ["--one-process-per-student"])
    guard r.status == 1 else { throw Failure("the single-use batch: \(r.stdout)\(r.stderr)") }
    return out
  }

  static func differences(_ a: [String: Data], _ b: [String: Data]) -> [String] {
    Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
  }

  @Test("workers write the files of one child per student, byte for byte: gradebook, summaries, feedback, results, logs")
  func sameFilesAsSingleUseChildren() throws {
    let c = try Self.theClass.get()
    let reference = try Self.singleUse.get()
    let out = temporaryDirectory().appendingPathComponent("workers")
    let r = try Self.batch(c.submissions, out: out)
    #expect(r.status == 1, "the crashes and hangs are not graded: \(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("crash-00, crash-01, loop-00, loop-01"), "\(r.stdout)")
    #expect(try BatchTests.gradebook(out) == c.expected)
    let a = try Self.tree(reference), b = try Self.tree(out)
    #expect(a.keys.filter { $0.hasPrefix("feedback/") }.count == 100 && a.keys.filter { $0.hasPrefix("results/") }.count == 50)
    #expect(Self.differences(a, b).isEmpty, "\(Self.differences(a, b))")
    let crash = try String(contentsOf: out.appendingPathComponent("feedback/crash-00.md"), encoding: .utf8)
    #expect(crash.contains("not graded (infrastructure): the grading process crashed (signal 11"), "\(crash)")
    let loop = try String(contentsOf: out.appendingPathComponent("feedback/loop-01.md"), encoding: .utf8)
    #expect(loop.contains("took longer than 2 s"), "\(loop)")
  }

  @Test("one worker for the whole class, the students in a shuffled order (3 seeds): the same files")
  func shuffledOrderOneWorker() throws {
    let c = try Self.theClass.get()
    let reference = try Self.tree(try Self.singleUse.get())
    let catalog = AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments"))
    let (assignment, rubric) = try catalog.load("rnn-bptt")
    let key = try CourseKey.load(GradeBinary.keyFile)
    let submissions = try BatchRoster.scan(c.submissions)
    for seed in ["shuffle-1", "shuffle-2", "shuffle-3"] {
      var rng = StudentVariant.generator(assignment: "batch-worker-tests", student: seed)
      let shuffled = submissions.shuffled(using: &rng)
      let child = BatchChild(
        executable: GradeBinary.url, assignmentArgument: assignment.directory.standardizedFileURL.path,
        sharedOptions: ["--assignments", catalog.root.standardizedFileURL.path, "--key-file", GradeBinary.keyFile.standardizedFileURL.path, "--no-timing"],
        timeout: 2, extraEnvironment: Self.faults)
      let pool = WorkerPool(single: child, executable: GradeBinary.url, assignment: assignment.id)
      let out = temporaryDirectory().appendingPathComponent("shuffled")
      var runner = BatchRunner(grader: Autograder(assignment: assignment, rubric: rubric, courseKey: key), output: out, jobs: 1, timeout: 2, grading: pool)
      runner.submissionsFolder = c.submissions.standardizedFileURL   // as `grade batch` does: batch.json and rubrics/ too
      let outcome = try runner.run(shuffled, progressStyle: .silent)
      pool.shutdown()
      #expect(outcome.ungraded == BatchClass.notGraded)
      // One worker graded every student but the four whose gradings crash or hang: each of these
      // cost its worker (replaced for the next student) and was graded again alone.
      #expect(pool.regradedAlone == 4 && pool.workersStarted == 5, "\(pool.regradedAlone) alone, \(pool.workersStarted) workers")
      let b = try Self.tree(out)
      #expect(Self.differences(reference, b).isEmpty, "seed \(seed): \(Self.differences(reference, b))")
    }
  }

  @Test("a worker whose answer carries a record cut short, or another student's, is refused: the student is graded alone, as one child per student grades them")
  func cutAndForgedRecordsAreRefused() throws {
    // cut-00's worker answers half its record, forge-00's a record naming someone else; a
    // single-use child, which writes its record as it always does, grades both in full.
    let students = ["cut-00", "forge-00", "ok-00", "ok-01"]
    let submissions = try Self.roster(students)
    let faults = [BatchFaultsForTests.variable: "cut-:cut,forge-:forge"]
    let reference = temporaryDirectory().appendingPathComponent("single-use")
    let single = try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", reference.path, "--jobs", "2", "--timeout", "60", "--no-timing",
                                      "--quiet", "--key-file", GradeBinary.keyFile.path, "--one-process-per-student"], environment: faults)
    #expect(single.status == 0, "\(single.stdout)\(single.stderr)")

    let catalog = AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments"))
    let (assignment, rubric) = try catalog.load("rnn-bptt")
    let child = BatchChild(
      executable: GradeBinary.url, assignmentArgument: assignment.directory.standardizedFileURL.path,
      sharedOptions: ["--assignments", catalog.root.standardizedFileURL.path, "--key-file", GradeBinary.keyFile.standardizedFileURL.path, "--no-timing"],
      timeout: 60, extraEnvironment: faults)
    let pool = WorkerPool(single: child, executable: GradeBinary.url, assignment: assignment.id)
    let out = temporaryDirectory().appendingPathComponent("workers")
    var runner = BatchRunner(grader: Autograder(assignment: assignment, rubric: rubric, courseKey: try CourseKey.load(GradeBinary.keyFile)),
                             output: out, jobs: 1, timeout: 60, grading: pool)
    runner.submissionsFolder = submissions.standardizedFileURL
    let outcome = try runner.run(try BatchRoster.scan(submissions), progressStyle: .silent)
    pool.shutdown()
    #expect(outcome.ungraded.isEmpty && outcome.gradedNow == 4)
    // Each refusal cost its worker (replaced for the next student) and one grading alone.
    #expect(pool.regradedAlone == 2 && pool.workersStarted == 3, "\(pool.regradedAlone) alone, \(pool.workersStarted) workers")
    let full = ItemResult.points(rubric.maxScore)
    for row in try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
      let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      #expect(fields[1] == full && fields[3] == "graded", "\(row)")
    }
    for student in ["cut-00", "forge-00"] {
      let stored = try GradeRecord.decode(try Data(contentsOf: out.appendingPathComponent("results/\(student).json")))
      #expect(stored.student == student && stored.score == rubric.maxScore)
    }
    let a = try Self.tree(reference), b = try Self.tree(out)
    #expect(Self.differences(a, b).isEmpty, "\(Self.differences(a, b))")
    #expect(BatchFaultsForTests.answer(student: "cut-00", record: Data("{}".utf8)) == Data("{}".utf8), "no fault outside a batch's child")
  }

  /// The pids of the live processes whose environment names `parent` as their batch.
  static func processes(ofBatch parent: pid_t, named: String? = nil) -> [pid_t] {
    let mark = Data("\(WorkerProcess.parentVariable)=\(parent)".utf8)
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> pid_t? in
      guard let pid = pid_t(name) else { return nil }
      guard let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first, state != "Z" else { return nil }
      guard let environ = FileManager.default.contents(atPath: "/proc/\(name)/environ"),
            environ.split(separator: 0).contains(where: { Data($0) == mark }) else { return nil }
      if let named {
        let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") ?? Data()
        guard cmdline.split(separator: 0).dropFirst().first.map({ Data($0) == Data(named.utf8) }) == true else { return nil }
      }
      return pid
    }
  }

  static func waitFor(_ seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      usleep(20_000)
    }
    return condition()
  }

  /// A folder of `grade reference` submissions (full marks) for `students`.
  static func roster(_ students: [String]) throws -> URL {
    let dir = temporaryDirectory().appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for student in students {
      let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", dir.appendingPathComponent("\(student).json").path,
                                      "--key-file", GradeBinary.keyFile.path])
      guard made.status == 0 else { throw Failure(made.stderr) }
    }
    return dir
  }

  static func start(_ arguments: [String], environment: [String: String]) throws -> Process {
    let process = Process()
    process.executableURL = GradeBinary.url
    process.arguments = arguments
    process.currentDirectoryURL = GradeBinary.packageRoot
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  @Test("both workers killed with SIGKILL mid-batch: new workers take over, every student graded once with full marks")
  func killedWorkersAreReplaced() throws {
    // a-slow-00 and a-slow-01 come first and take 5 s each: the two workers are killed on them.
    let students = ["a-slow-00", "a-slow-01"] + (0..<16).map { String(format: "ok-%02d", $0) }
    let submissions = try Self.roster(students)
    let out = temporaryDirectory().appendingPathComponent("graded")
    let batch = try Self.start(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--timeout", "60", "--no-timing", "--quiet",
                                "--key-file", GradeBinary.keyFile.path], environment: [BatchFaultsForTests.variable: "a-slow-:slow"])
    let parent = batch.processIdentifier
    var first: [pid_t] = []
    #expect(Self.waitFor(60) { first = Self.processes(ofBatch: parent, named: WorkerCommand.name); return first.count == 2 }, "two workers: \(first)")
    usleep(500_000)
    for pid in first { kill(pid, SIGKILL) }
    var later: [pid_t] = []
    _ = Self.waitFor(60) {
      later = Self.processes(ofBatch: parent, named: WorkerCommand.name).filter { !first.contains($0) }
      return !later.isEmpty || !batch.isRunning
    }
    batch.waitUntilExit()
    #expect(!later.isEmpty, "a new worker took over")
    #expect(batch.terminationStatus == 0)
    let rows = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(rows.map { String($0.split(separator: ",")[0]) } == students, "one row per student")
    let full = ItemResult.points(try BatchHardeningTests.rubric.maxScore)
    for row in rows {
      let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      #expect(fields[1] == full && fields[3] == "graded", "\(row)")
    }
    let results = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("results").path)
    #expect(results.sorted() == students.map { "\($0).json" })
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("logs").path), "no student was not graded")
  }

  @Test("a batch killed with SIGKILL leaves no worker and no single-use child running", arguments: [false, true])
  func noOrphans(singleUse: Bool) throws {
    let submissions = try Self.roster(["loop-00", "loop-01", "ok-00"])
    let out = temporaryDirectory().appendingPathComponent("graded")
    let batch = try Self.start(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--timeout", "120", "--quiet",
                                "--key-file", GradeBinary.keyFile.path] + (singleUse ? ["--one-process-per-student"] : []),
                               environment: [BatchFaultsForTests.variable: "loop-:hang"])
    let parent = batch.processIdentifier
    var running: [pid_t] = []
    #expect(Self.waitFor(60) { running = Self.processes(ofBatch: parent); return running.count == 2 }, "two gradings hang: \(running)")
    let named = singleUse ? "check" : WorkerCommand.name
    #expect(running.allSatisfy { Self.processes(ofBatch: parent, named: named).contains($0) }, "\(running) are \(named) processes")
    kill(parent, SIGKILL)
    batch.waitUntilExit()
    #expect(Self.waitFor(30) { Self.processes(ofBatch: parent).isEmpty }, "left running: \(Self.processes(ofBatch: parent))")
    for pid in Self.processes(ofBatch: parent) { kill(pid, SIGKILL) }
  }
}
