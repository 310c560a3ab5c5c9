import Foundation

/// Grades a batch folder again after its rubric, assignment or grader changed (`grade regrade`),
/// touching only the results the change can affect, and writes what changed to `changes.csv`.
///
/// Each stored result is compared with what it was graded from (`GradeProvenance`):
///
/// ```
/// submission gone, or its SHA-256 differs   kept, and listed: the submission changed after it
///                                           was graded (never graded again from new bytes, and
///                                           never kept silently)
/// no provenance, not graded, other mode     re-run
/// grader version or assignment changed      re-run
/// rubric changed                            by what changed (the rubric it was graded with is
///                                           kept in rubrics/<sha256>.json):
///   hidden_inputs, credit, feedback,          re-run
///   python_packages, or the old rubric lost
///   an item's tolerance                       re-run if some item fails or is in review, or —
///                                             unless every changed tolerance only widened — a
///                                             changed item passes; otherwise re-scored (a
///                                             wider tolerance accepts every entry it accepted)
///   an item's points or hidden flag only      re-scored from the result: no run
/// nothing                                   unchanged: not re-run
/// ```
/// A re-scored result is what grading again would give, so a regraded folder holds the same
/// gradebook, summary and feedback as a fresh batch with the new rubric. With `neverLower`, a
/// student whose new score is below the old keeps the old result.
///
/// ```
/// changes.csv   student,old_score,new_score,items_changed,reason    (sorted by student)
///               one row per student whose score or any item changed, or who was kept or is new;
///               items_changed: "dU:2->3;dW_h:fail->pass" (points, else the status)
/// ```
public struct Regrade {
  /// Grades the re-runs, with the new grader, into the graded folder.
  public var runner: BatchRunner
  /// The submissions folder (default: the one batch.json names).
  public var submissions: URL?
  public var neverLower: Bool

  public init(runner: BatchRunner, submissions: URL? = nil, neverLower: Bool = false) {
    self.runner = runner
    self.submissions = submissions
    self.neverLower = neverLower
  }

  public enum Action: String, Sendable, Equatable {
    case unchanged, rescore, rerun, keep
  }

  public struct Decision: Sendable, Equatable {
    public var student: String
    public var action: Action
    public var reason: String
  }

  public struct Change: Sendable, Equatable {
    public var student: String
    public var oldScore: String
    public var newScore: String
    public var items: String
    public var reason: String
  }

  public struct Outcome: Sendable {
    public var decisions: [Decision]
    public var changes: [Change]
    public var reports: [GradeReport]
    public var summary: BatchSummary
    /// Students graded again (a child process each).
    public var reran: [String] { decisions.filter { $0.action == .rerun }.map(\.student) }
    public var rescored: [String] { decisions.filter { $0.action == .rescore }.map(\.student) }
    public var kept: [String] { decisions.filter { $0.action == .keep }.map(\.student) }
    public var unchanged: Int { decisions.filter { $0.action == .unchanged }.count }
    /// In the submissions folder but not in the graded folder: not graded here.
    public var newStudents: [String]
  }

  /// What changed between the rubric a result was graded with and the current one.
  public struct RubricChange: Sendable, Equatable {
    public var settings: [String] = []
    public var points: [String] = []
    public var hidden: [String] = []
    public var tolerance: [String] = []
    /// Every changed tolerance is at least as wide as before, in both its parts.
    public var onlyWidened = true

    public init(old: Rubric, new: Rubric, items: [String]) {
      if old.hiddenInputSets != new.hiddenInputSets { settings.append("hidden_inputs") }
      if old.credit != new.credit { settings.append("credit") }
      if old.feedback != new.feedback { settings.append("feedback") }
      if old.pythonPackages != new.pythonPackages { settings.append("python_packages") }
      for id in items {
        let a = old.entry(id), b = new.entry(id)
        if a.points != b.points { points.append(id) }
        if a.hidden != b.hidden { hidden.append(id) }
        if a.tolerance != b.tolerance {
          tolerance.append(id)
          if !(b.tolerance.relative >= a.tolerance.relative && b.tolerance.absolute >= a.tolerance.absolute) { onlyWidened = false }
        }
      }
    }

    public var description: String {
      var parts = settings
      if !points.isEmpty { parts.append("points of \(points.joined(separator: ", "))") }
      if !hidden.isEmpty { parts.append("hidden flag of \(hidden.joined(separator: ", "))") }
      if !tolerance.isEmpty { parts.append("tolerance of \(tolerance.joined(separator: ", "))") }
      return "rubric: " + (parts.isEmpty ? "reformatted, no change" : parts.joined(separator: "; "))
    }

    /// Whether `report` must be graded again, or can be re-scored from its items.
    public func needsRerun(_ report: GradeReport) -> Bool {
      if !settings.isEmpty { return true }
      guard !tolerance.isEmpty else { return false }
      // A failing item's message names its tolerance, and its diagnosis weighs the other items'.
      if report.items.contains(where: { $0.status == .fail || $0.status == .review }) { return true }
      if !onlyWidened && report.items.contains(where: { tolerance.contains($0.id) && $0.status == .pass }) { return true }
      return false
    }
  }

  var folder: URL { runner.output }
  var grader: Autograder { runner.grader }

  /// What to do with `stored`, graded from `provenance`, whose submission now hashes to `current`
  /// (nil: no longer there).
  public func decide(_ stored: GradeReport, current: String?) -> Decision {
    let student = stored.student
    guard let current else {
      return Decision(student: student, action: .keep, reason: "the submission is no longer in the submissions folder; the graded result stands")
    }
    guard let p = stored.provenance else {
      return Decision(student: student, action: .rerun, reason: "no provenance recorded: graded again from the submission as it is now")
    }
    if p.submissionSHA256 != current {
      return Decision(student: student, action: .keep, reason: "the submission changed after it was graded (SHA-256 \(current.prefix(12))…, graded \(p.submissionSHA256.prefix(12))…): not graded again; the graded result stands until the course staff decides (to grade the new files, delete results/\(student).json and run grade batch again)")
    }
    if GradebookStatus(stored) == .notGraded {
      return Decision(student: student, action: .rerun, reason: "not graded before (infrastructure)")
    }
    if (stored.mode == .selfCheck) != (grader.courseKey == nil) {
      return Decision(student: student, action: .rerun, reason: stored.mode == .selfCheck ? "a self-check before, graded now" : "graded before, a self-check now")
    }
    let base = runner.provenance
    var reasons: [String] = []
    if p.graderVersion != base.graderVersion { reasons.append("grader \(p.graderVersion) -> \(base.graderVersion)") }
    if p.assignmentSHA256 != base.assignmentSHA256 { reasons.append("assignment changed") }
    if !reasons.isEmpty {
      if p.rubricSHA256 != base.rubricSHA256 { reasons.append("rubric changed") }
      return Decision(student: student, action: .rerun, reason: reasons.joined(separator: "; "))
    }
    guard p.rubricSHA256 != base.rubricSHA256 else { return Decision(student: student, action: .unchanged, reason: "") }
    guard let old = oldRubric(p.rubricSHA256) else {
      return Decision(student: student, action: .rerun, reason: "rubric changed (the rubric it was graded with is not kept in rubrics/)")
    }
    let change = RubricChange(old: old, new: grader.rubric, items: grader.assignment.items.map(\.id))
    return Decision(student: student, action: change.needsRerun(stored) ? .rerun : .rescore, reason: change.description)
  }

  private func oldRubric(_ sha256: String) -> Rubric? {
    try? Rubric.load(from: BatchManifest.rubricCopy(sha256, in: folder), for: grader.assignment)
  }

  /// `report` with the current rubric's points and hidden flags: what grading again gives when
  /// only those changed.
  public func rescored(_ report: GradeReport) -> GradeReport {
    var report = report
    for k in report.items.indices {
      let entry = grader.rubric.entry(report.items[k].id)
      report.items[k].maxPoints = entry.points
      report.items[k].hidden = entry.hidden
      report.items[k].points = report.items[k].status == .pass && report.mode != .practice ? entry.points : 0
    }
    report.provenance?.rubricSHA256 = runner.provenance.rubricSHA256
    return report
  }

  /// Regrades the folder and writes its gradebook, summary, feedback, changes.csv and batch.json.
  public func run(progressStyle: BatchProgressStyle = .automatic) throws -> Outcome {
    let manifest = try BatchManifest.read(folder)
    if let shard = manifest.shard {
      throw RegradeError.shardFolder(folder: folder.path, shard: "\(shard.index) of \(shard.count)")
    }
    guard manifest.complete else { throw RegradeError.unfinished(folder: folder.path) }
    guard manifest.assignment == grader.assignment.id else {
      throw RegradeError.otherAssignment(folder: folder.path, graded: manifest.assignment, given: grader.assignment.id)
    }
    let submissionsFolder = submissions ?? URL(fileURLWithPath: manifest.submissions)
    let roster = try BatchRoster.scan(submissionsFolder, excluding: [folder])
    let byStudent = Dictionary(uniqueKeysWithValues: roster.map { ($0.student, $0) })
    let results = folder.appendingPathComponent("results")

    var stored: [String: GradeReport] = [:]
    var decisions: [Decision] = []
    for student in manifest.students {
      guard let data = FileManager.default.contents(atPath: results.appendingPathComponent("\(student).json").path),
            let report = try? GradeRecord.decode(data), report.student == student
      else {
        decisions.append(Decision(student: student, action: byStudent[student] == nil ? .keep : .rerun, reason: "no complete result in results/"))
        continue
      }
      stored[student] = report
      let current = byStudent[student].map { GradeProvenance.submissionSHA256($0.url) }
      decisions.append(decide(report, current: current))
    }
    let newStudents = roster.map(\.student).filter { !Set(manifest.students).contains($0) }

    // Re-runs: graded as a batch grades, into the same folder.
    let reruns = decisions.filter { $0.action == .rerun }.compactMap { byStudent[$0.student] }
    var feedbackBackup: [String: [Data?]] = [:]
    if neverLower {
      for s in reruns {
        feedbackBackup[s.student] = ["md", "html"].map { FileManager.default.contents(atPath: folder.appendingPathComponent("feedback/\(s.student).\($0)").path) }
      }
    }
    var rerunner = runner
    rerunner.shard = nil
    rerunner.submissionsFolder = nil
    rerunner.writesClassFiles = false
    var fresh: [String: GradeReport] = [:]
    if !reruns.isEmpty {
      for report in try rerunner.run(reruns, progressStyle: progressStyle).reports { fresh[report.student] = report }
    }

    let lock = try OutputLock(folder)
    defer { lock.release() }
    var final: [GradeReport] = []
    var changes: [Change] = []
    for k in decisions.indices {
      let d = decisions[k]
      let old = stored[d.student]
      var now = old
      var reason = d.reason
      var keptOld = false
      switch d.action {
      case .unchanged, .keep: break
      case .rescore:
        now = rescored(old!)
      case .rerun:
        now = fresh[d.student]
        if let graded = old?.provenance?.submissionSHA256, let regraded = now?.provenance?.submissionSHA256, graded != regraded, d.reason != "no provenance recorded: graded again from the submission as it is now" {
          reason += "; the submission changed while it was regraded (SHA-256 \(regraded.prefix(12))…, graded \(graded.prefix(12))…)"
        }
      }
      if neverLower, let o = old, var n = now, d.action == .rescore || d.action == .rerun,
         GradebookStatus(o) != .notGraded, GradebookStatus(n) != .notGraded, n.score < o.score {
        reason += "; the regrade gives \(ItemResult.points(n.score)), the old \(ItemResult.points(o.score)) stands (--never-lower)"
        n = o
        now = n
        keptOld = true
        if d.action == .rerun {
          try AtomicFile.write(GradeRecord.encode(o), to: runner.recordURL(d.student))
          for (ext, data) in zip(["md", "html"], feedbackBackup[d.student] ?? []) {
            if let data { try AtomicFile.write(data, to: folder.appendingPathComponent("feedback/\(d.student).\(ext)")) }
          }
        }
      } else if d.action == .rescore, let n = now {
        try AtomicFile.write(GradeRecord.encode(n), to: runner.recordURL(d.student))
        try runner.writeFeedback(n, onlyIfMissing: false)
      }
      if let now { final.append(now) }
      let items = Self.itemChanges(old, now)
      if d.action == .keep || keptOld || !items.isEmpty || old?.score != now?.score {
        changes.append(Change(student: d.student, oldScore: Self.score(old), newScore: Self.score(now), items: items, reason: reason))
      }
    }
    for student in newStudents {
      changes.append(Change(student: student, oldScore: "", newScore: "", items: "", reason: "a new submission, not in the graded folder: not graded here (grade it with grade batch)"))
    }
    changes.sort { $0.student < $1.student }
    final.sort { $0.student < $1.student }
    try AtomicFile.write(Gradebook.csv(final, items: grader.assignment.items.map(\.id)), to: runner.gradebookURL)
    let summary = BatchSummary(reports: final, assignment: grader.assignment)
    try AtomicFile.write(summary.markdown, to: folder.appendingPathComponent("summary.md"))
    try AtomicFile.write(summary.json, to: folder.appendingPathComponent("summary.json"))
    try AtomicFile.write(Self.csv(changes), to: folder.appendingPathComponent("changes.csv"))
    try BatchManifest.keepRubric(grader.rubric, sha256: runner.provenance.rubricSHA256, in: folder)
    try BatchManifest(
      grader: grader, base: runner.provenance, submissions: submissionsFolder, roster: manifest.students, shard: nil,
      students: manifest.students, complete: true
    ).write(to: folder)
    return Outcome(decisions: decisions, changes: changes, reports: final, summary: summary, newStudents: newStudents)
  }

  static func score(_ report: GradeReport?) -> String {
    guard let report, GradebookStatus(report) != .notGraded else { return "" }
    return ItemResult.points(report.score)
  }

  /// "dU:2->3;dW_h:fail->pass": points where they differ, else the status.
  static func itemChanges(_ old: GradeReport?, _ new: GradeReport?) -> String {
    guard let old, let new else { return "" }
    var parts: [String] = []
    for item in new.items {
      guard let before = old.item(item.id) else { continue }
      if before.points != item.points {
        parts.append("\(item.id):\(ItemResult.points(before.points))->\(ItemResult.points(item.points))")
      } else if before.status != item.status {
        parts.append("\(item.id):\(before.status.rawValue)->\(item.status.rawValue)")
      }
    }
    return parts.joined(separator: ";")
  }

  public static let changesHeader = "student,old_score,new_score,items_changed,reason"

  static func csv(_ changes: [Change]) -> String {
    var out = changesHeader + "\n"
    for c in changes {
      out += [c.student, c.oldScore, c.newScore, c.items, c.reason].map(Gradebook.field).joined(separator: ",") + "\n"
    }
    return out
  }
}

/// Why a folder cannot be regraded.
public enum RegradeError: Error, Sendable, Equatable, CustomStringConvertible {
  case shardFolder(folder: String, shard: String)
  case unfinished(folder: String)
  case otherAssignment(folder: String, graded: String, given: String)

  public var description: String {
    switch self {
    case .shardFolder(let folder, let shard):
      return "\(folder) holds shard \(shard) only; merge the shards first ('grade merge … --out <dir>') and regrade the merged folder."
    case .unfinished(let folder):
      return "The batch that wrote \(folder) did not finish; run it again to the end before regrading."
    case .otherAssignment(let folder, let graded, let given):
      return "\(folder) was graded for assignment '\(graded)', not '\(given)'."
    }
  }
}
