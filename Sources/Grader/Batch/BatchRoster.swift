import Foundation

/// One student's submission in a batch: the student id and the file or folder handed in.
public struct BatchSubmission: Sendable, Equatable {
  public var student: String
  public var url: URL

  public init(student: String, url: URL) {
    self.student = student
    self.url = url
  }
}

/// The submissions of a batch: one file or sub-folder per student, named by the student id.
///
/// ```
/// submissions/alice.npz        → alice
/// submissions/bob/             → bob      (a folder of arrays, or of code)
/// submissions/dave.py          → dave     (Python code: the student's solution.py)
/// submissions/carol.tar.json   → carol.tar
/// submissions/.DS_Store        skipped (names starting with a dot)
/// ```
public enum BatchRoster {
  /// The submissions under `folder`, sorted by student id; `excluding` (the output folder, when it
  /// lies inside) is skipped.
  public static func scan(_ folder: URL, excluding: [URL] = []) throws(BatchError) -> [BatchSubmission] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
      throw .notAFolder(path: folder.path)
    }
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
      throw .cannotRead(path: folder.path, reason: (error as NSError).localizedDescription)
    }
    let skipped = Set(excluding.map { $0.standardizedFileURL.resolvingSymlinksInPath().path })
    var byStudent: [String: [String]] = [:]
    for name in names where !name.hasPrefix(".") {
      let url = folder.appendingPathComponent(name)
      if skipped.contains(url.standardizedFileURL.resolvingSymlinksInPath().path) { continue }
      let student = (name as NSString).deletingPathExtension
      guard !student.isEmpty else { continue }
      byStudent[student, default: []].append(name)
    }
    if let (student, files) = byStudent.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
      throw .duplicateStudent(student: student, files: files.sorted())
    }
    guard !byStudent.isEmpty else { throw .noSubmissions(path: folder.path) }
    return byStudent.keys.sorted().map { BatchSubmission(student: $0, url: folder.appendingPathComponent(byStudent[$0]![0])) }
  }
}

/// Why a batch cannot start.
public enum BatchError: Error, Sendable, Equatable, CustomStringConvertible {
  case notAFolder(path: String)
  case cannotRead(path: String, reason: String)
  case noSubmissions(path: String)
  case duplicateStudent(student: String, files: [String])
  case outputBusy(path: String, holder: Int32?)

  public var description: String {
    switch self {
    case .notAFolder(let path):
      return "\(path) is not a folder; expected a folder with one file or sub-folder per student, named by the student id."
    case .cannotRead(let path, let reason):
      return "The folder \(path) cannot be read: \(reason)."
    case .noSubmissions(let path):
      return "The folder \(path) holds no submissions; expected one file or sub-folder per student, named by the student id."
    case .duplicateStudent(let student, let files):
      return "Student '\(student)' has \(files.count) submissions (\(files.joined(separator: ", "))); keep one file or folder per student."
    case .outputBusy(let path, let holder):
      let who = holder.map { "Another batch (pid \($0))" } ?? "Another batch"
      return "\(who) is writing to \(path); wait for it to finish, or give another --out."
    }
  }
}
