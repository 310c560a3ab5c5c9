import Digest
import Foundation

/// `batch.json`: what a batch folder holds and what it was graded from — the shard manifest of a
/// `--shard` run, which `grade merge` reads, and the record `grade regrade` starts from.
///
/// ```
/// {"format": "grade-batch-1",
///  "assignment": "rnn-bptt", "assignment_directory": "/…/Assignments/rnn-bptt",
///  "assignment_sha256", "rubric_file", "rubric_sha256", "grader_version",
///  "mode": "graded" | "self-check", "submissions": "/…/submissions",
///  "roster": {"students": 50000, "sha256": SHA-256 of the roster's ids, each followed by "\n"},
///  "shard": {"index": 3, "count": 64} (absent: the whole roster),
///  "students": ["…", …]   the students of this folder (of its shard), sorted
///  "complete": true        false while the batch runs, or when it was interrupted}
/// ```
/// The rubric a folder was graded with is kept beside it, `rubrics/<rubric_sha256>.json`, so that
/// a regrade can tell which items a new rubric changes. No timestamps: the same batch writes the
/// same bytes.
public struct BatchManifest: Codable, Sendable, Equatable {
  public struct Roster: Codable, Sendable, Equatable {
    public var students: Int
    public var sha256: String

    public init(_ students: [String]) {
      self.students = students.count
      self.sha256 = Hex.string(SHA256.hash(Array(students.sorted().map { $0 + "\n" }.joined().utf8)))
    }
  }

  public struct Shard: Codable, Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
      self.index = index
      self.count = count
    }
  }

  public static let format = "grade-batch-1"
  public static let fileName = "batch.json"

  public var format: String = BatchManifest.format
  public var assignment: String
  public var assignmentDirectory: String
  public var assignmentSHA256: String
  public var rubricFile: String
  public var rubricSHA256: String
  public var graderVersion: String
  public var mode: GradingMode
  public var submissions: String
  public var roster: Roster
  public var shard: Shard?
  public var students: [String]
  public var complete: Bool

  enum CodingKeys: String, CodingKey {
    case format, assignment, assignmentDirectory = "assignment_directory", assignmentSHA256 = "assignment_sha256"
    case rubricFile = "rubric_file", rubricSHA256 = "rubric_sha256", graderVersion = "grader_version", mode, submissions
    case roster, shard, students, complete
  }

  public init(grader: Autograder, base: GradeProvenance.Base, submissions: URL, roster: [String], shard: BatchShard?, students: [String], complete: Bool) {
    assignment = grader.assignment.id
    assignmentDirectory = grader.assignment.directory.standardizedFileURL.path
    assignmentSHA256 = base.assignmentSHA256
    rubricFile = URL(fileURLWithPath: grader.rubric.file).standardizedFileURL.path
    rubricSHA256 = base.rubricSHA256
    graderVersion = base.graderVersion
    mode = grader.courseKey == nil ? .selfCheck : .graded
    self.submissions = submissions.standardizedFileURL.path
    self.roster = Roster(roster)
    self.shard = shard.map { Shard(index: $0.index, count: $0.count) }
    self.students = students.sorted()
    self.complete = complete
  }

  public var base: GradeProvenance.Base {
    GradeProvenance.Base(graderVersion: graderVersion, assignmentSHA256: assignmentSHA256, rubricSHA256: rubricSHA256)
  }

  /// "shard 3 of 64" or "the whole roster".
  public var what: String { shard.map { "shard \($0.index) of \($0.count)" } ?? "the whole roster" }

  public func write(to folder: URL) throws {
    try AtomicFile.write(ReportJSON.encode(self), to: folder.appendingPathComponent(Self.fileName))
  }

  /// The manifest of `folder`.
  public static func read(_ folder: URL) throws(BatchManifestError) -> BatchManifest {
    let url = folder.appendingPathComponent(fileName)
    guard let data = FileManager.default.contents(atPath: url.path) else { throw .missing(folder: folder.path) }
    do {
      let manifest = try ReportJSON.decode(BatchManifest.self, from: data)
      guard manifest.format == format else { throw BatchManifestError.unreadable(file: url.path, reason: "its format is '\(manifest.format)', expected '\(format)'") }
      return manifest
    } catch let error as BatchManifestError {
      throw error
    } catch {
      throw .unreadable(file: url.path, reason: "\(error)")
    }
  }

  /// Keeps a copy of the rubric file at `<folder>/rubrics/<sha256>.json`.
  public static func keepRubric(_ rubric: Rubric, sha256: String, in folder: URL) throws {
    let url = rubricCopy(sha256, in: folder)
    guard !FileManager.default.fileExists(atPath: url.path), let data = FileManager.default.contents(atPath: rubric.file) else { return }
    try AtomicFile.write(data, to: url)
  }

  public static func rubricCopy(_ sha256: String, in folder: URL) -> URL {
    folder.appendingPathComponent("rubrics").appendingPathComponent("\(sha256).json")
  }
}

/// Why a batch folder's manifest cannot be used.
public enum BatchManifestError: Error, Sendable, Equatable, CustomStringConvertible {
  case missing(folder: String)
  case unreadable(file: String, reason: String)

  public var description: String {
    switch self {
    case .missing(let folder):
      return "\(folder) holds no \(BatchManifest.fileName); expected the --out folder of a 'grade batch' run."
    case .unreadable(let file, let reason):
      return "\(file) cannot be read as a batch manifest: \(reason)."
    }
  }
}
