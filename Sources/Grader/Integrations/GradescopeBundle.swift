import Foundation

/// A Gradescope autograder for one assignment: a ZIP whose root holds `setup.sh`,
/// `run_autograder`, and the grader's package sources with that assignment and its rubric.
///
/// ```
/// setup.sh          installs a Swift toolchain and builds `grade` (once, when Gradescope
///                   builds the image)
/// run_autograder    grades /autograder/submission, writes /autograder/results/results.json
///                   (always: a score-0 result with the reason when grading fails)
/// Package.swift     generated (`GradescopeManifest`): `grade` and the libraries it is built from
/// Sources/<target>/ the sources of those targets only (no tests, no benchmarks)
/// Assignments/<id>/, Rubrics/<id>.json  the assignment and the rubric in effect
/// course.key        the course key (`CourseKey`): Gradescope's runs are graded runs, with hidden
///                   input sets only the key can compute — so the archive must be kept private
/// ```
/// The two scripts are the templates in the package's `Integrations/gradescope/` folder, with
/// `@ASSIGNMENT@`, `@STUDENT_FIELD@`, `@SWIFT_VERSION@` and the Python packages the rubric allows
/// (`@PYTHON_PACKAGES@`, and `@PYTHON_APT_PACKAGES@` as Ubuntu packages) filled in. Members are sorted and
/// dated 1980-01-01, so the same sources always give the same archive.
public struct GradescopeBundle {
  public var assignment: Assignment
  /// The rubric file in effect (copied as the assignment's rubric).
  public var rubricFile: URL
  /// The package whose sources are bundled.
  public var packageRoot: URL
  /// The Swift release `setup.sh` installs, e.g. "6.3.1".
  public var swiftVersion: String
  /// The field of Gradescope's `submission_metadata.json` users[0] used as the student id.
  public var studentField: String
  /// The course key the bundle carries (as `course.key`).
  public var courseKey: CourseKey
  /// The rubric's `python_packages`, which `setup.sh` installs besides NumPy.
  public var pythonPackages: [String]

  public init(
    assignment: Assignment, rubricFile: URL, packageRoot: URL, swiftVersion: String, studentField: String, courseKey: CourseKey,
    pythonPackages: [String] = []
  ) {
    self.pythonPackages = pythonPackages
    self.assignment = assignment
    self.rubricFile = rubricFile
    self.packageRoot = packageRoot
    self.swiftVersion = swiftVersion
    self.studentField = studentField
    self.courseKey = courseKey
  }

  /// The key's path in the archive (and under /autograder/source).
  public static let keyMember = "course.key"

  /// The student-id fields Gradescope's submission metadata gives for each user.
  public static let studentFields = ["email", "sid", "id", "name"]

  /// Every member: (path in the archive, contents), sorted by path.
  public func members() throws(GradescopeBundleError) -> [(path: String, contents: Data)] {
    var out: [String: Data] = [:]
    let templates = packageRoot.appendingPathComponent("Integrations/gradescope")
    for script in ["setup.sh", "run_autograder"] {
      let url = templates.appendingPathComponent(script)
      guard let data = FileManager.default.contents(atPath: url.path), var text = String(data: data, encoding: .utf8) else {
        throw .missing(url.path, "the script template")
      }
      text = text.replacingOccurrences(of: "@ASSIGNMENT@", with: assignment.id)
        .replacingOccurrences(of: "@STUDENT_FIELD@", with: studentField)
        .replacingOccurrences(of: "@SWIFT_VERSION@", with: swiftVersion)
        .replacingOccurrences(of: "@PYTHON_APT_PACKAGES@", with: pythonPackages.map { "python3-\($0)" }.joined(separator: " "))
        .replacingOccurrences(of: "@PYTHON_PACKAGES@", with: pythonPackages.joined(separator: " "))
      out[script] = Data(text.utf8)
    }
    let manifest = try GradescopeManifest(sources: packageRoot.appendingPathComponent("Sources"))
    out["Package.swift"] = Data(manifest.text.utf8)
    for folder in manifest.sourceFolders {
      try addTree(packageRoot.appendingPathComponent("Sources/\(folder)"), as: "Sources/\(folder)", to: &out)
    }
    let assignmentFolder = "Assignments/\(assignment.id)"
    try addTree(assignment.directory, as: assignmentFolder, to: &out)
    guard let rubric = FileManager.default.contents(atPath: rubricFile.path) else { throw .missing(rubricFile.path, "the rubric") }
    // The assignment's own rubric.json wins over Rubrics/<id>.json: replace it when present.
    if out["\(assignmentFolder)/rubric.json"] != nil {
      out["\(assignmentFolder)/rubric.json"] = rubric
    } else {
      out["Rubrics/\(assignment.id).json"] = rubric
    }
    // Whatever the package folder holds, the bundle carries only the key it was given.
    out = out.filter { !$0.key.hasSuffix(".key") }
    out[Self.keyMember] = Data(courseKey.fileText.utf8)
    return out.keys.sorted().map { ($0, out[$0]!) }
  }

  /// The ZIP archive (deflated members).
  public func archive() throws(GradescopeBundleError) -> Data {
    var writer = ZipArchiveWriter()
    for member in try members() {
      writer.add(name: member.path, contents: member.contents, method: .deflated)
    }
    return writer.finish()
  }

  /// Adds the regular files under `folder` (not hidden ones, not build folders).
  private func addTree(_ folder: URL, as prefix: String, to out: inout [String: Data]) throws(GradescopeBundleError) {
    guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey], options: [.skipsHiddenFiles]) else {
      throw .missing(folder.path, "a folder of the package")
    }
    let base = folder.standardizedFileURL.resolvingSymlinksInPath().path
    for case let url as URL in enumerator {
      let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey])
      if values?.isDirectory == true {
        if url.lastPathComponent.hasPrefix(".build") || url.lastPathComponent == "__pycache__" { enumerator.skipDescendants() }
        continue
      }
      guard values?.isRegularFile == true else { continue }
      let path = url.standardizedFileURL.resolvingSymlinksInPath().path
      guard path.hasPrefix(base + "/") else { continue }
      guard let data = FileManager.default.contents(atPath: path) else { throw .missing(path, "a file of the package") }
      out[prefix + "/" + String(path.dropFirst(base.count + 1))] = data
    }
  }
}

/// Why a bundle cannot be made.
public enum GradescopeBundleError: Error, Sendable, CustomStringConvertible {
  case missing(String, String)

  public var description: String {
    switch self {
    case .missing(let path, let what): return "Cannot read \(what) at \(path); the bundle needs the grader's package sources (see --package)."
    }
  }
}
