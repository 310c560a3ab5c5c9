import Foundation

/// How one student of a batch is graded: in a child process by the command line (`BatchChild`),
/// so that a submission which crashes or hangs the grading costs only its own result.
public protocol StudentGrading: Sendable {
  /// Grades `submission` with the numeric `seed`, the complete result written to `record`;
  /// `scratch` is a folder for the grading's own files.
  func grade(_ submission: BatchSubmission, seed: UInt64, record: URL, scratch: URL) -> StudentGradingOutcome
  /// The same, told the `provenance` results/ will record: a grading that encodes the record
  /// itself puts it there and answers `.recorded`, so that the batch need not encode it again.
  func grade(_ submission: BatchSubmission, seed: UInt64, provenance: GradeProvenance, record: URL, scratch: URL) -> StudentGradingOutcome
}

extension StudentGrading {
  public func grade(_ submission: BatchSubmission, seed: UInt64, provenance: GradeProvenance, record: URL, scratch: URL) -> StudentGradingOutcome {
    grade(submission, seed: seed, record: record, scratch: scratch)
  }
}

/// What grading one student of a batch gave.
///
/// ```
/// graded       the student's report (their record is complete)
/// recorded     the same, with its record encoded as results/ stores it, the provenance given
///              included: written as it is (`GradeRecord.encode` of the report)
/// unreadable   the submission could not be read: every item an error "could not be read"
/// ungraded     the grader could not do its part — an I/O error, a full disk, a sandbox that
///              could not start, a grading process that crashed, was killed or outlived its
///              time: "not graded (infrastructure): <reason>"; `log` is its error output
/// ```
/// Only `graded` and `unreadable` are conclusions about the submission. An `ungraded` student is
/// never given a score (the gradebook's status is `not-graded`, its score cells empty) and is
/// graded again when the batch runs again.
public enum StudentGradingOutcome: Sendable {
  case graded(GradeReport)
  case recorded(GradeReport, record: Data)
  case unreadable(String)
  case ungraded(String, log: String)
}

/// Grades every submission of a folder in parallel (one `StudentGrading` each) and writes the
/// results.
///
/// ```
/// <out>/gradebook.csv          student, score, max_score, one column per item (sorted rows)
/// <out>/summary.md, .json      pass rate per item, the most common findings
/// <out>/results/<id>.json      each student's complete result (`GradeRecord`)
/// <out>/feedback/<id>.md, .html  each student's report
/// <out>/logs/<id>.log          the grading process's error output, for students not graded
/// ```
/// One batch at a time writes a folder (`OutputLock`: a second is refused, naming the first's
/// pid); its scratch space is `<out>/.work-<pid>/`, removed at the end, and a scratch folder an
/// interrupted batch left is removed by the next.
///
/// Every file is written atomically (a temporary file, then a rename). A student whose result
/// file is complete is not graded again, so a batch interrupted at any point and run again
/// finishes the rest and writes the same gradebook, byte for byte: the sampled numeric checks use
/// a fixed seed per student (`BatchNumericSeed`, from the course key). A stored result of the
/// other kind of run (a self-check's, when the grader has the key, or the other way round) is not
/// reused: that student is graded again.
public struct BatchRunner {
  public var grader: Autograder
  public var output: URL
  /// Child processes at once.
  public var jobs: Int
  /// Seconds one student's grading may take.
  public var timeout: TimeInterval
  /// How each student is graded.
  public var grading: any StudentGrading
  /// The slice of the roster this run grades (`--shard i/N`): only its students, and no
  /// gradebook or summary (`grade merge` writes them from every shard's folder).
  public var shard: BatchShard?
  /// The submissions folder `batch.json` names; nil writes no manifest (a regrade's re-runs).
  public var submissionsFolder: URL?
  /// Whether the run writes gradebook.csv and summary.md/.json (not a shard's, not a regrade's re-runs).
  public var writesClassFiles = true
  /// The grader, assignment and rubric every result records (`GradeProvenance`).
  public var provenance: GradeProvenance.Base

  public init(grader: Autograder, output: URL, jobs: Int, timeout: TimeInterval, grading: any StudentGrading) {
    self.grader = grader
    self.output = output
    self.jobs = Swift.max(1, jobs)
    self.timeout = timeout
    self.grading = grading
    self.provenance = GradeProvenance.Base(grader)
  }

  /// The start of the message of an item whose student could not be graded.
  public static func ungradedPrefix(_ item: String) -> String { "'\(item)': \(InfrastructureError.prefix)" }

  /// What a batch did.
  public struct Outcome: Sendable {
    /// Every student's report, sorted by student id.
    public var reports: [GradeReport]
    public var gradedNow: Int
    public var resumed: Int
    /// Students whose grading crashed or ran out of time.
    public var ungraded: [String]
    public var summary: BatchSummary
    public var seconds: Double
  }

  // Every name says whether it is a folder: Foundation would otherwise ask the file system (a
  // stat per name, several per student).
  var resultsFolder: URL { output.appendingPathComponent("results", isDirectory: true) }
  var feedbackFolder: URL { output.appendingPathComponent("feedback", isDirectory: true) }
  var logsFolder: URL { output.appendingPathComponent("logs", isDirectory: true) }
  public var gradebookURL: URL { output.appendingPathComponent("gradebook.csv") }

  func recordURL(_ student: String) -> URL { resultsFolder.appendingPathComponent("\(student).json", isDirectory: false) }

  /// The stored, complete result of `student`, when there is one for this assignment; a record
  /// of a student not graded (infrastructure) is no result: that student is graded again.
  func storedReport(_ student: String) -> GradeReport? {
    guard let data = FileManager.default.contents(atPath: recordURL(student).path),
          let report = try? GradeRecord.decode(data),
          report.student == student, report.assignment == grader.assignment.id,
          report.items.map(\.id) == grader.assignment.items.map(\.id),
          (report.mode == .selfCheck) == (grader.courseKey == nil),
          GradebookStatus(report) != .notGraded,
          report.provenance.map(provenance.matches) == true
    else { return nil }
    return report
  }

  /// Grades `submissions` (resuming from stored results) and writes every output.
  public func run(_ roster: [BatchSubmission], progressStyle: BatchProgressStyle = .automatic) throws -> Outcome {
    let submissions = shard.map { shard in roster.filter { shard.contains($0.student) } } ?? roster
    let start = Date()
    let fm = FileManager.default
    try fm.createDirectory(at: output, withIntermediateDirectories: true)
    let lock = try OutputLock(output)
    defer { lock.release() }
    // Holding the lock, every scratch folder here is an interrupted batch's.
    for name in (try? fm.contentsOfDirectory(atPath: output.path)) ?? [] where name.hasPrefix(".work") {
      Workspace.remove(output.appendingPathComponent(name))
    }
    let scratch = output.appendingPathComponent(".work-\(getpid())")
    defer { Workspace.remove(scratch) }
    for folder in [resultsFolder, feedbackFolder, scratch] {
      try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try writeManifest(roster: roster, students: submissions, complete: false)
    let style: BatchProgress.Style
    switch progressStyle {
    case .automatic: style = BatchProgress.defaultStyle()
    case .lines: style = .lines
    case .silent: style = .silent
    }
    let progress = BatchProgress(total: submissions.count, style: style)
    progress.started()

    let mutex = NSLock()
    var reports: [String: GradeReport] = [:]
    var ungraded: Set<String> = []
    var gradedNow = 0, resumed = 0
    var firstError: Error?
    var next = 0

    let work = {
      while true {
        mutex.lock()
        guard next < submissions.count, firstError == nil else { mutex.unlock(); return }
        let submission = submissions[next]
        next += 1
        mutex.unlock()
        do {
          let (report, wasResumed, notGraded) = try self.gradeOne(submission, scratch: scratch)
          mutex.lock()
          reports[submission.student] = report
          if wasResumed { resumed += 1 } else { gradedNow += 1 }
          if notGraded { ungraded.insert(submission.student) }
          mutex.unlock()
          progress.finished(report, resumed: wasResumed, ungraded: notGraded)
        } catch {
          mutex.lock()
          if firstError == nil { firstError = error }
          mutex.unlock()
        }
      }
    }
    let group = DispatchGroup()
    var threads: [Thread] = []
    for _ in 0..<Swift.min(jobs, Swift.max(submissions.count, 1)) {
      group.enter()
      let thread = Thread { work(); group.leave() }
      thread.stackSize = 4 << 20
      threads.append(thread)
      thread.start()
    }
    group.wait()
    progress.ended()
    if let firstError { throw firstError }

    let sorted = submissions.map { reports[$0.student]! }.sorted { $0.student < $1.student }
    let summary = BatchSummary(reports: sorted, assignment: grader.assignment)
    if writesClassFiles && shard == nil {
      try AtomicFile.write(Gradebook.csv(sorted, items: grader.assignment.items.map(\.id)), to: gradebookURL)
      try AtomicFile.write(summary.markdown, to: output.appendingPathComponent("summary.md"))
      try AtomicFile.write(summary.json, to: output.appendingPathComponent("summary.json"))
    }
    try writeManifest(roster: roster, students: submissions, complete: true)
    return Outcome(
      reports: sorted, gradedNow: gradedNow, resumed: resumed, ungraded: ungraded.sorted(),
      summary: summary, seconds: Date().timeIntervalSince(start))
  }

  /// One student: the stored result, or a grading in a child process; then its feedback files.
  func gradeOne(_ submission: BatchSubmission, scratch: URL) throws -> (GradeReport, resumed: Bool, ungraded: Bool) {
    let student = submission.student
    if let stored = storedReport(student) {
      try writeFeedback(stored, onlyIfMissing: true)
      return (stored, true, stored.items.allSatisfy { $0.message.hasPrefix(Self.ungradedPrefix($0.id)) })
    }
    let seed = BatchNumericSeed.seed(assignment: grader.assignment.id, student: student, key: grader.courseKey)
    // Hashed before grading: the record names the bytes that were graded. The grading writes its
    // record in the scratch folder; results/ receives it whole, with its provenance.
    let submissionHash = GradeProvenance.submissionSHA256(submission.url)
    let scratchRecord = scratch.appendingPathComponent("\(student).record.json", isDirectory: false)
    // Only a single-use child writes it: most students leave nothing to remove.
    defer { if unlink(scratchRecord.path) != 0 && errno != ENOENT { try? FileManager.default.removeItem(at: scratchRecord) } }
    var report: GradeReport
    var notGraded = false
    let recorded = provenance.with(submission: submissionHash)
    let outcome = Self.linkedEntry(submission.url).map { StudentGradingOutcome.unreadable($0) }
      ?? grading.grade(submission, seed: seed, provenance: recorded, record: scratchRecord, scratch: scratch)
    switch outcome {
    case .recorded(let graded, let record) where graded.provenance == recorded:
      // Encoded once, by the grading: the bytes `GradeRecord.encode(graded)` gives.
      try AtomicFile.write(record, to: recordURL(student))
      try writeFeedback(graded, onlyIfMissing: false)
      return (graded, false, false)
    case .graded(let graded), .recorded(let graded, _):
      report = graded
    case .unreadable(let reason):
      report = grader.grade(student: student, answers: Dictionary(uniqueKeysWithValues: grader.assignment.items.map { ($0.id, SubmittedAnswer.unreadable(reason)) }),
                            notes: ["The submission could not be read: \(reason)"])
      report.seconds = 0
    case .ungraded(let reason, let log):
      notGraded = true
      report = Self.ungradedReport(grader: grader, student: student, reason: reason)
      if !log.isEmpty { try AtomicFile.write(log, to: logsFolder.appendingPathComponent("\(student).log", isDirectory: false)) }
    }
    report.provenance = recorded
    try AtomicFile.write(GradeRecord.encode(report), to: recordURL(student))
    try writeFeedback(report, onlyIfMissing: false)
    return (report, false, notGraded)
  }

  /// Why a submission that is a symbolic link (to another student's file, or anywhere) is not
  /// graded as that file: a batch grades each student's own file or folder.
  static func linkedEntry(_ url: URL) -> String? {
    var info = stat()
    guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return nil }
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) else { return nil }
    return "\(url.lastPathComponent) is a symbolic link to \(target); a batch grades each student's own file or folder, not a link."
  }

  /// The report of a student the grader could not grade: every item an error "not graded
  /// (infrastructure)", which the gradebook and the summary do not count as a score.
  static func ungradedReport(grader: Autograder, student: String, reason: String) -> GradeReport {
    let items = grader.assignment.items.map { item in
      let entry = grader.rubric.entry(item.id)
      return ItemResult(
        id: item.id, statement: item.statement, status: .error, points: 0, maxPoints: entry.points,
        message: "\(Self.ungradedPrefix(item.id)): \(reason). Nothing was concluded about the submission; it is graded again when the batch runs again.",
        hidden: entry.hidden, expectedShape: item.shape)
    }
    return GradeReport(
      assignment: grader.assignment.id, title: grader.assignment.title, student: student, items: items,
      notes: ["This submission was \(InfrastructureError.prefix): \(reason). It is graded again when the batch runs again; the course staff has the log."],
      seconds: 0, isolation: nil,
      mode: grader.courseKey == nil ? .selfCheck : .graded, revealsReference: grader.revealsReference)
  }

  /// `feedback/<student>.md` and `.html`, with the rubric's policy: the report's own
  /// `revealsReference`, whatever the record keeps.
  func writeFeedback(_ report: GradeReport, onlyIfMissing: Bool) throws {
    let markdown = feedbackFolder.appendingPathComponent("\(report.student).md", isDirectory: false)
    let html = feedbackFolder.appendingPathComponent("\(report.student).html", isDirectory: false)
    if onlyIfMissing && FileManager.default.fileExists(atPath: markdown.path) && FileManager.default.fileExists(atPath: html.path) { return }
    try AtomicFile.write(report.rendered(.markdown), to: markdown)
    let context = HTMLReportContext.make(for: grader, student: report.student, report: report)
    try AtomicFile.write(report.htmlReport(context: context), to: html)
  }
}

/// How a batch shows its progress.
public enum BatchProgressStyle: Sendable {
  /// A bar on a terminal, plain lines otherwise.
  case automatic
  case lines
  case silent
}

extension BatchRunner {
  /// `batch.json` (when `submissionsFolder` is set) and the rubric's copy under `rubrics/`.
  func writeManifest(roster: [BatchSubmission], students: [BatchSubmission], complete: Bool) throws {
    guard let submissionsFolder else { return }
    try BatchManifest.keepRubric(grader.rubric, sha256: provenance.rubricSHA256, in: output)
    try BatchManifest(
      grader: grader, base: provenance, submissions: submissionsFolder, roster: roster.map(\.student), shard: shard,
      students: students.map(\.student), complete: complete
    ).write(to: output)
  }
}
