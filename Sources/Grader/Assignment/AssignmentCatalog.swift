import Foundation

/// Where assignments are found: an assignment is named by its id (a folder of the assignments
/// root) or by the path of its folder, which may lie outside the package.
///
/// The root is, in order: `--assignments DIR`, the `GRADE_ASSIGNMENTS` environment variable,
/// `./Assignments` when it exists, and the package's own `Assignments/` folder.
public struct AssignmentCatalog: Sendable {
  public var root: URL

  public init(root: URL? = nil) {
    if let root {
      self.root = root
    } else if let env = ProcessInfo.processInfo.environment["GRADE_ASSIGNMENTS"], !env.isEmpty {
      self.root = URL(fileURLWithPath: env)
    } else if FileManager.default.fileExists(atPath: "Assignments/rnn-bptt/assignment.json") {
      self.root = URL(fileURLWithPath: "Assignments")
    } else {
      self.root = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments")
    }
  }

  /// The package this library was built from (its sources' location).
  public static var packageRoot: URL {
    URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }

  /// The ids of the assignments under the root, sorted.
  public func ids() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("assignment.json").path) }.sorted()
  }

  /// The folder of `name`: a path to a folder holding assignment.json, or an id under the root.
  public func directory(for name: String) -> URL {
    let asPath = URL(fileURLWithPath: name)
    if FileManager.default.fileExists(atPath: asPath.appendingPathComponent("assignment.json").path) { return asPath }
    return root.appendingPathComponent(name)
  }

  /// Loads the assignment and its rubric.
  public func load(_ name: String, rubric: URL? = nil) throws(DataFileError) -> (Assignment, Rubric) {
    let dir = directory(for: name)
    if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("assignment.json").path) {
      let known = ids()
      var problem = "no assignment '\(name)'"
      if let close = known.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 3 {
        problem += " (did you mean '\(close)'?)"
      }
      problem += "; known assignments: \(known.isEmpty ? "none" : known.joined(separator: ", ")), or give the path of a folder holding assignment.json"
      throw DataFileError(file: root.path, path: "", problem: problem)
    }
    let assignment = try Assignment.load(from: dir)
    return (assignment, try Rubric.locate(for: assignment, override: rubric))
  }
}
