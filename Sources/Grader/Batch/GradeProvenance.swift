import Digest
import Foundation

/// What a batch result was graded from, recorded in `results/<id>.json` (`"provenance"`), so
/// that `grade regrade` knows which results a changed rubric, assignment or grader affects, and
/// notices a submission changed after it was graded.
///
/// ```
/// grader_version      GraderVersion.current (a committed constant)
/// assignment_sha256   SHA-256 of the assignment's assignment.json, as bytes
/// rubric_sha256       SHA-256 of the rubric file, as bytes
/// submission_sha256   SHA-256 over the submission's files (`submissionSHA256`)
/// ```
public struct GradeProvenance: Sendable, Equatable, Codable {
  public var graderVersion: String
  public var assignmentSHA256: String
  public var rubricSHA256: String
  public var submissionSHA256: String

  enum CodingKeys: String, CodingKey {
    case graderVersion = "grader_version", assignmentSHA256 = "assignment_sha256", rubricSHA256 = "rubric_sha256"
    case submissionSHA256 = "submission_sha256"
  }

  public init(graderVersion: String, assignmentSHA256: String, rubricSHA256: String, submissionSHA256: String) {
    self.graderVersion = graderVersion
    self.assignmentSHA256 = assignmentSHA256
    self.rubricSHA256 = rubricSHA256
    self.submissionSHA256 = submissionSHA256
  }

  /// The part shared by every student of a run: the grader, the assignment and the rubric.
  public struct Base: Sendable, Equatable {
    public var graderVersion: String
    public var assignmentSHA256: String
    public var rubricSHA256: String

    public init(graderVersion: String = GraderVersion.current, assignmentSHA256: String, rubricSHA256: String) {
      self.graderVersion = graderVersion
      self.assignmentSHA256 = assignmentSHA256
      self.rubricSHA256 = rubricSHA256
    }

    /// The hashes of `grader`'s assignment.json and rubric file.
    public init(_ grader: Autograder) {
      self.init(
        assignmentSHA256: GradeProvenance.fileSHA256(grader.assignment.directory.appendingPathComponent("assignment.json")),
        rubricSHA256: GradeProvenance.fileSHA256(URL(fileURLWithPath: grader.rubric.file)))
    }

    public func with(submission: String) -> GradeProvenance {
      GradeProvenance(graderVersion: graderVersion, assignmentSHA256: assignmentSHA256, rubricSHA256: rubricSHA256, submissionSHA256: submission)
    }

    /// Whether `p` was graded by this grader, assignment and rubric.
    public func matches(_ p: GradeProvenance) -> Bool {
      p.graderVersion == graderVersion && p.assignmentSHA256 == assignmentSHA256 && p.rubricSHA256 == rubricSHA256
    }
  }

  /// SHA-256 of a file's bytes, in hex; of nothing when it cannot be read.
  public static func fileSHA256(_ url: URL) -> String {
    Hex.string(SHA256.hash(FileManager.default.contents(atPath: url.path).map { [UInt8]($0) } ?? []))
  }

  /// SHA-256 over a submission, a file or a folder, in hex:
  ///
  /// ```
  /// entries    the file itself (path: its name), or every file, folder and symbolic link inside
  ///            the folder (paths relative to it, '/'-separated), depth first, the names of each
  ///            folder sorted by their UTF-8 bytes
  /// per entry  kind ("file", "folder", "link" or "unreadable") · path · 0x00 ·
  ///            length of the contents (8 bytes, big-endian) · contents (a link: its target)
  /// ```
  /// Links are not followed. Any change to a file's bytes, a name, or a file added or removed
  /// changes the hash.
  public static func submissionSHA256(_ url: URL) -> String {
    var hash = SHA256()
    func header(_ kind: String, _ path: String, _ n: UInt64) {
      hash.update(Array(kind.utf8) + Array(path.utf8) + [0])
      hash.update((0..<8).map { UInt8(truncatingIfNeeded: n >> (56 - 8 * $0)) })
    }
    func add(_ kind: String, _ path: String, _ contents: [UInt8]) {
      header(kind, path, UInt64(contents.count))
      hash.update(contents)
    }
    /// A regular file (no link), streamed through one descriptor; false for anything else,
    /// which `entry` reads as before.
    func regularFile(_ url: URL, path: String) -> Bool {
      var info = stat()
      guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
      // No link followed, no pipe waited on, if the entry changed since lstat: then `entry` reads it.
      let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
      guard descriptor >= 0 else { return false }
      defer { close(descriptor) }
      guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
      let size = UInt64(info.st_size)
      header("file", path.isEmpty ? url.lastPathComponent : path, size)
      var left = size
      var part = [UInt8](repeating: 0, count: Int(min(size, 1 << 20)))
      while left > 0 {
        let n = part.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, Int(min(UInt64($0.count), left))) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        hash.update(part[0..<n])
        left -= UInt64(n)
      }
      if left > 0 { hash.update(Array("\u{0}cut short".utf8)) }
      return true
    }
    func entry(_ url: URL, path: String) {
      if regularFile(url, path: path) { return }
      let fm = FileManager.default
      if let target = try? fm.destinationOfSymbolicLink(atPath: url.path) {
        add("link", path, Array(target.utf8))
        return
      }
      var isFolder: ObjCBool = false
      guard fm.fileExists(atPath: url.path, isDirectory: &isFolder) else { add("unreadable", path, []); return }
      if isFolder.boolValue {
        if !path.isEmpty { add("folder", path, []) }
        let names = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names { entry(url.appendingPathComponent(name), path: path.isEmpty ? name : path + "/" + name) }
      } else if let handle = try? FileHandle(forReadingFrom: url),
                let size = (try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber {
        // Streamed in 1 MiB parts: a huge file in a submission costs time, never the batch's memory.
        defer { try? handle.close() }
        header("file", path.isEmpty ? url.lastPathComponent : path, size.uint64Value)
        var left = size.uint64Value
        while left > 0, let part = try? handle.read(upToCount: 1 << 20), !part.isEmpty {
          let used = part.prefix(Int(min(UInt64(part.count), left)))
          hash.update(used)
          left -= UInt64(used.count)
        }
        // A file cut short while it was read: marked, so the hash differs from the whole file's.
        if left > 0 { hash.update(Array("\u{0}cut short".utf8)) }
      } else {
        add("unreadable", path.isEmpty ? url.lastPathComponent : path, [])
      }
    }
    entry(url, path: "")
    return Hex.string(hash.finalize())
  }
}
