import Foundation
import Grader

/// `grade worker <assignment> <shared options>…` (hidden: started by `grade batch`, never by hand):
/// a long-lived grading process that grades one student after another, as the single-use child
/// `grade check <assignment> <submission> --student <id> --format record --numeric-seed <n>
/// <shared options>…` would, each in the same code path; nothing is kept from one student to the
/// next but the assignment, rubric and key read once (`loads`).
///
/// ```
/// standard input   one job per line: {"job": 7, "student": "alice", "submission": "/…/alice.npz",
///                  "seed": "1234", "provenance": {…}} (the seed a decimal string: a UInt64 is
///                  not a JSON double; the provenance, optional, is the record's)
/// descriptor 3     one answer per job (`ResidentWorker`): "answer <job> <exit> <n> <m>\n", then
///                  the record (what check writes with --format record: n bytes) and its error
///                  output (m bytes); exit is check's exit code
/// end              at the end of standard input (exit 0), when descriptor 3 is closed (75), or
///                  with the batch (`WorkerProcess.dieWithParent`)
/// ```
/// The worker never writes a result file: the batch matches each answer to the job it sent and
/// writes the record itself, so a worker cannot put anything in another student's results.
enum WorkerCommand {
  static let name = "worker"

  /// In a worker, the assignment, rubric, course key and roster its jobs name, read at the first
  /// job that names them and kept for the next: the same files for every student (the batch passes the
  /// same options to every job), and values read from them, which no grading changes. Nil outside
  /// a worker: every command reads its files.
  nonisolated(unsafe) static var loads: Loads?

  /// What a worker has read, by the options that named it.
  final class Loads {
    private var assignments: [String: (Assignment, Rubric)] = [:]
    private var keys: [String: CourseKey] = [:]
    private var rosters: [String: [String]] = [:]

    /// The ids of the roster file at `path` (`--other-ids-file`: the batch's, the same for every
    /// job), read once.
    func ids(_ path: String) throws -> [String] {
      if let ids = rosters[path] { return ids }
      let ids = try Commands.idsFile(URL(fileURLWithPath: path))
      rosters[path] = ids
      return ids
    }

    /// The course key `args` name (nil when they name none), read once; looked up by the option
    /// as given (the same in every job), so that a job reads neither the file nor the environment.
    func key(_ args: Arguments) throws -> CourseKey? {
      let option = args.option("--key-file")
      if let known = located[option ?? ""] { return known }
      guard let url = CourseKey.locate(option: option) else {
        located[option ?? ""] = .some(nil)
        return nil
      }
      let key = try keys[url.path] ?? CourseKey.load(url)
      keys[url.path] = key
      located[option ?? ""] = key
      return key
    }

    /// The key (or none) of each `--key-file` option seen ("" for none given).
    private var located: [String: CourseKey?] = [:]

    /// The assignment `name` of `args`' catalog, with the rubric `args` name (else its own), read once.
    func assignment(_ name: String, _ args: Arguments) throws -> (Assignment, Rubric) {
      let given = [name, args.option("--assignments") ?? "", args.option("--rubric") ?? ""].joined(separator: "\u{0}")
      if let loaded = byOptions[given] { return loaded }
      let loaded = try load(name, args)
      byOptions[given] = loaded
      return loaded
    }

    /// Each assignment by its name and options as given (the same in every job).
    private var byOptions: [String: (Assignment, Rubric)] = [:]

    private func load(_ name: String, _ args: Arguments) throws -> (Assignment, Rubric) {
      let catalog = Commands.catalog(args)
      let memo = [catalog.root.standardizedFileURL.path, name, args.option("--rubric") ?? ""].joined(separator: "\u{0}")
      if let loaded = assignments[memo] { return loaded }
      let loaded = try catalog.load(name, rubric: args.option("--rubric").map { URL(fileURLWithPath: $0) })
      assignments[memo] = loaded
      return loaded
    }
  }

  /// What the batch sends for one student; `provenance`, when given, is put in the record the
  /// worker answers (as results/ stores it), so that the batch writes it without encoding it again.
  struct Job: Codable, Equatable {
    var job: Int
    var student: String
    var submission: String
    var seed: String
    var provenance: GradeProvenance? = nil
  }

  /// The provenance the record of the job being graded carries (`Job.provenance`); nil outside a job.
  nonisolated(unsafe) static var jobProvenance: GradeProvenance?

  static func run(_ arguments: [String]) -> Int32 {
    guard let assignment = arguments.first else {
      FileHandle.standardError.write(Data("Error: grade worker is started by grade batch: grade worker <assignment> <shared options>…\n".utf8))
      return GradeCommand.ExitCode.usage
    }
    let shared = Array(arguments.dropFirst())
    loads = Loads()
    // Student after student allocates the same buffers: glibc keeps up to 64 MiB it freed, and
    // maps only blocks above 16 MiB, instead of giving memory back and faulting it in again.
    keepFreedMemory()
    // The batch gone, an answer cannot be written: the write fails (EPIPE) and the worker ends.
    signal(SIGPIPE, SIG_IGN)
    let decoder = JSONDecoder()
    while let line = readLine(strippingNewline: true) {
      guard let job = try? decoder.decode(Job.self, from: Data(line.utf8)) else {
        FileHandle.standardError.write(Data("Error: grade worker read a job that is not one: \(line.prefix(200))\n".utf8))
        return GradeCommand.ExitCode.dataError
      }
      let captured = Captured()
      let console = Console(out: { captured.output.append(contentsOf: $0.utf8) }, error: { captured.error.append(contentsOf: $0.utf8) })
      jobProvenance = job.provenance
      defer { jobProvenance = nil }
      let code = GradeCommand.run(
        arguments: ["check", assignment, job.submission, "--student", job.student, "--format", "record", "--numeric-seed", job.seed] + shared,
        console: console)
      let record = BatchFaultsForTests.answer(student: job.student, record: captured.output)
      var frame = Data("answer \(job.job) \(code) \(record.count) \(captured.error.count)\n".utf8)
      frame.append(record)
      frame.append(captured.error)
      guard writeAll(frame, to: 3) else { return GradeCommand.ExitCode.infrastructure }
    }
    return GradeCommand.ExitCode.success
  }

  private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32

  /// glibc's `mallopt(M_TRIM_THRESHOLD, 64 MiB)` and `mallopt(M_MMAP_THRESHOLD, 16 MiB)` (-1 and
  /// -3 in malloc.h, which Swift's Glibc module does not import); nothing where there is none.
  static func keepFreedMemory() {
    guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "mallopt") else { return }
    let mallopt = unsafeBitCast(address, to: Mallopt.self)
    _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 64 << 20)
    _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 16 << 20)
  }

  /// What one job wrote.
  final class Captured: @unchecked Sendable {
    var output = Data()
    var error = Data()
  }

  static func writeAll(_ data: Data, to descriptor: Int32) -> Bool {
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
      }
      return true
    }
  }
}
