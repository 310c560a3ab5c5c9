import Foundation

/// Joins the folders of a sharded batch (`grade batch … --shard i/N`, one per shard) into the
/// folder one unsharded run would have written: the same gradebook.csv, summary.md,
/// summary.json, feedback/, results/ and logs/, byte for byte (`grade merge`).
///
/// ```
/// refused   a folder without batch.json, or of a batch that did not finish (its students
///           without a result are named)
///           shards of different assignments, rubrics, graders, modes, rosters or counts N
///           (the shards and their values are named)
///           a shard given twice, or a student in two shards (the students are named)
///           a shard missing (named, with its students when the submissions folder is at hand)
/// ```
/// Results are never graded again here: each student's files are copied from their shard, and
/// the class files are computed from the results as a batch computes them.
public enum ShardMerge {
  public struct Outcome: Sendable {
    public var reports: [GradeReport]
    public var summary: BatchSummary
    public var shards: Int
    public var manifest: BatchManifest
  }

  /// Merges `shards` into `output`. The assignment is read from the folder each manifest names
  /// (`catalog` when it is not there) and must hash as it did when graded; `submissions`, when
  /// given, names the students of a missing shard (else the manifest's folder, when readable).
  public static func merge(_ shards: [URL], into output: URL, catalog: AssignmentCatalog, submissions: URL? = nil) throws -> Outcome {
    guard !shards.isEmpty else { throw ShardMergeError.noShards }
    var manifests: [(folder: URL, manifest: BatchManifest)] = []
    for folder in shards {
      do { manifests.append((folder, try BatchManifest.read(folder))) } catch { throw ShardMergeError.manifest(error) }
    }
    let first = manifests[0].manifest
    // The same batch, cut the same way.
    let facets: [(String, (BatchManifest) -> String)] = [
      ("assignment", { $0.assignment }), ("assignment SHA-256", { $0.assignmentSHA256 }), ("rubric SHA-256", { $0.rubricSHA256 }),
      ("grader version", { $0.graderVersion }), ("mode", { $0.mode.rawValue }),
      ("roster", { "\($0.roster.students) students, SHA-256 \($0.roster.sha256.prefix(12))…" }),
      ("shard count", { $0.shard.map { String($0.count) } ?? "none (the whole roster)" }),
    ]
    for (name, value) in facets {
      let groups = Dictionary(grouping: manifests, by: { value($0.manifest) })
      if groups.count > 1 {
        throw ShardMergeError.inconsistent(facet: name, values: groups.keys.sorted().map { v in (v, groups[v]!.map(\.folder.path)) })
      }
    }
    let count = first.shard?.count ?? 1
    // Each shard once.
    let byIndex = Dictionary(grouping: manifests, by: { $0.manifest.shard?.index ?? 0 })
    if let (index, twice) = byIndex.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
      let common = twice.map { Set($0.manifest.students) }.reduce(Set(twice[0].manifest.students)) { $0.intersection($1) }
      throw ShardMergeError.duplicateShard(index: index, count: count, folders: twice.map(\.folder.path), students: common.sorted())
    }
    // Each student once, in the shard their id hashes to.
    var owner: [String: String] = [:]
    var twice: [(student: String, folders: [String])] = []
    for (folder, manifest) in manifests {
      for student in manifest.students {
        if let other = owner[student] { twice.append((student, [other, folder.path])) } else { owner[student] = folder.path }
        if let shard = manifest.shard, BatchShard.of(student, count: shard.count) != shard.index {
          throw ShardMergeError.misplaced(student: student, folder: folder.path, index: shard.index, count: shard.count)
        }
      }
    }
    if !twice.isEmpty { throw ShardMergeError.duplicateStudents(twice) }
    // Every shard finished, every student of it with a result.
    var unfinished: [(folder: String, students: [String])] = []
    var reports: [GradeReport] = []
    for (folder, manifest) in manifests {
      var lacking: [String] = []
      for student in manifest.students {
        let record = folder.appendingPathComponent("results/\(student).json")
        guard let data = FileManager.default.contents(atPath: record.path), let report = try? GradeRecord.decode(data), report.student == student,
              ["md", "html"].allSatisfy({ FileManager.default.fileExists(atPath: folder.appendingPathComponent("feedback/\(student).\($0)").path) })
        else { lacking.append(student); continue }
        reports.append(report)
      }
      if !manifest.complete || !lacking.isEmpty { unfinished.append((folder.path, lacking)) }
    }
    if !unfinished.isEmpty { throw ShardMergeError.unfinished(unfinished) }
    let missing = (0..<count).filter { byIndex[$0] == nil }
    if !missing.isEmpty {
      var students: [String]?
      let folder = submissions ?? URL(fileURLWithPath: first.submissions)
      if let roster = try? BatchRoster.scan(folder, excluding: [output]), BatchManifest.Roster(roster.map(\.student)) == first.roster {
        students = roster.map(\.student).filter { missing.contains(BatchShard.of($0, count: count)) }
      }
      throw ShardMergeError.missingShards(missing, count: count, students: students,
                                          studentCount: first.roster.students - owner.count)
    }
    guard owner.count == first.roster.students else {
      throw ShardMergeError.rosterMismatch(expected: first.roster.students, found: owner.count)
    }

    // The assignment, as it was when graded.
    let directory = URL(fileURLWithPath: first.assignmentDirectory)
    let assignment: Assignment
    do {
      assignment = FileManager.default.fileExists(atPath: directory.appendingPathComponent("assignment.json").path)
        ? try Assignment.load(from: directory) : try catalog.load(first.assignment).0
    }
    let hash = GradeProvenance.fileSHA256(assignment.directory.appendingPathComponent("assignment.json"))
    guard hash == first.assignmentSHA256 else {
      throw ShardMergeError.assignmentChanged(file: assignment.directory.appendingPathComponent("assignment.json").path)
    }

    let fm = FileManager.default
    try fm.createDirectory(at: output, withIntermediateDirectories: true)
    let lock = try OutputLock(output)
    defer { lock.release() }
    for (folder, manifest) in manifests {
      var files = ["rubrics/\(manifest.rubricSHA256).json"]
      for student in manifest.students {
        files += ["results/\(student).json", "feedback/\(student).md", "feedback/\(student).html", "logs/\(student).log"]
      }
      for file in files {
        guard let data = fm.contents(atPath: folder.appendingPathComponent(file).path) else { continue }
        try AtomicFile.write(data, to: output.appendingPathComponent(file))
      }
    }
    reports.sort { $0.student < $1.student }
    try AtomicFile.write(Gradebook.csv(reports, items: assignment.items.map(\.id)), to: output.appendingPathComponent("gradebook.csv"))
    let summary = BatchSummary(reports: reports, assignment: assignment)
    try AtomicFile.write(summary.markdown, to: output.appendingPathComponent("summary.md"))
    try AtomicFile.write(summary.json, to: output.appendingPathComponent("summary.json"))
    var merged = first
    merged.shard = nil
    merged.students = reports.map(\.student)
    merged.complete = true
    try merged.write(to: output)
    return Outcome(reports: reports, summary: summary, shards: manifests.count, manifest: merged)
  }
}

/// Why shard folders cannot be merged.
public enum ShardMergeError: Error, Sendable, CustomStringConvertible {
  case noShards
  case manifest(BatchManifestError)
  case inconsistent(facet: String, values: [(value: String, folders: [String])])
  case duplicateShard(index: Int, count: Int, folders: [String], students: [String])
  case duplicateStudents([(student: String, folders: [String])])
  case misplaced(student: String, folder: String, index: Int, count: Int)
  case unfinished([(folder: String, students: [String])])
  case missingShards([Int], count: Int, students: [String]?, studentCount: Int)
  case rosterMismatch(expected: Int, found: Int)
  case assignmentChanged(file: String)

  static func list(_ names: [String], limit: Int = 20) -> String {
    names.count <= limit ? names.joined(separator: ", ") : names.prefix(limit).joined(separator: ", ") + " and \(names.count - limit) more"
  }

  public var description: String {
    switch self {
    case .noShards:
      return "No shard folders given; expected the --out folders of 'grade batch … --shard i/N', one per shard."
    case .manifest(let error):
      return "\(error)"
    case .inconsistent(let facet, let values):
      let parts = values.map { "\($0.value) in \(Self.list($0.folders, limit: 4))" }
      return "The shards differ in their \(facet) (\(parts.joined(separator: "; "))); merge only the shards of one batch, graded with one assignment, rubric and grader."
    case .duplicateShard(let index, let count, let folders, let students):
      let both = students.isEmpty ? "" : ", with \(students.count) student\(students.count == 1 ? "" : "s") in both (\(Self.list(students)))"
      return "Shard \(index) of \(count) is given twice (\(folders.joined(separator: " and ")))\(both); give each shard once."
    case .duplicateStudents(let pairs):
      return "\(pairs.count) student\(pairs.count == 1 ? " is" : "s are") in two shards: \(Self.list(pairs.map { "\($0.student) (\($0.folders.joined(separator: " and ")))" }, limit: 10)); give each shard once."
    case .misplaced(let student, let folder, let index, let count):
      return "Student '\(student)' in \(folder) does not belong to shard \(index) of \(count) (the id hashes to shard \(BatchShard.of(student, count: count))); the folder's batch.json has been edited or is of another grader."
    case .unfinished(let shards):
      let parts = shards.map { s in s.students.isEmpty ? "\(s.folder) did not finish" : "\(s.folder) has no complete result for \(s.students.count) student\(s.students.count == 1 ? "" : "s") (\(Self.list(s.students)))" }
      return "Some shards are incomplete: \(parts.joined(separator: "; ")). Run their 'grade batch … --shard' command again: it grades only the students not yet done."
    case .missingShards(let missing, let count, let students, let studentCount):
      let which = "shard\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(count)"
      let who = students.map { "its \($0.count) student\($0.count == 1 ? "" : "s") (\(Self.list($0))) would be left out" }
        ?? "\(studentCount) student\(studentCount == 1 ? "" : "s") would be left out (give --submissions <dir> to name them)"
      return "The set of shards is incomplete: \(which) \(missing.count == 1 ? "is" : "are") missing, so \(who). Grade \(missing.count == 1 ? "it" : "them") with 'grade batch … --shard i/\(count)' and give every shard's folder."
    case .rosterMismatch(let expected, let found):
      return "The shards hold \(found) students, but the roster they were cut from has \(expected); merge the folders of one batch."
    case .assignmentChanged(let file):
      return "\(file) has changed since the shards were graded (its SHA-256 differs from the one in batch.json); regrade the shards, or merge with the assignment as it was."
    }
  }
}
