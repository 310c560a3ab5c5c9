import Foundation
import Testing
@testable import Grader

@Suite("The Gradescope autograder bundle")
struct GradescopeBundleTests {
  func bundle() throws -> GradescopeBundle {
    let (assignment, rubric) = try shipped("rnn-bptt")
    return GradescopeBundle(
      assignment: assignment, rubricFile: URL(fileURLWithPath: rubric.file),
      packageRoot: AssignmentCatalog.packageRoot, swiftVersion: "6.3.1", studentField: "email", courseKey: testKey)
  }

  @Test("setup.sh and run_autograder at the root, filled in; the package, the assignment and its rubric")
  func members() throws {
    let members = try bundle().members()
    let paths = members.map(\.path)
    #expect(paths == paths.sorted())
    for required in ["setup.sh", "run_autograder", "course.key", "Package.swift", "Assignments/rnn-bptt/assignment.json", "Rubrics/rnn-bptt.json", "Sources/Grader/Grading/Autograder.swift", "Sources/grade/main.swift"] {
      #expect(paths.contains(required), "\(required)")
    }
    #expect(!paths.contains { $0.contains(".build") || $0.hasPrefix("Assignments/backprop-basics") || $0.split(separator: "/").contains { $0.hasPrefix(".") } })
    // Only what grading needs: no tests, no benchmarks, no library `grade` is not built from.
    #expect(!paths.contains { $0.hasPrefix("Tests/") || $0.hasPrefix("Benchmarks/") || $0.hasPrefix("Sources/TestSupport/") })
    let run = String(decoding: members.first { $0.path == "run_autograder" }!.contents, as: UTF8.self)
    #expect(run.contains("ASSIGNMENT=\"rnn-bptt\"") && run.contains("STUDENT_FIELD=\"email\""))
    for placeholder in ["@ASSIGNMENT@", "@STUDENT_FIELD@", "@SWIFT_VERSION@"] { #expect(!run.contains(placeholder)) }
    #expect(run.contains("--key-file \"$KEY\"") && run.contains("chmod 600 \"$KEY\""))
    let key = String(decoding: members.first { $0.path == "course.key" }!.contents, as: UTF8.self)
    #expect(try CourseKey.parse(key) == testKey)
    let setup = String(decoding: members.first { $0.path == "setup.sh" }!.contents, as: UTF8.self)
    #expect(setup.contains("SWIFT_VERSION:-6.3.1") && setup.contains("swift build -c release --product grade"))
    #expect(setup.contains("python3-numpy") && !setup.contains("@PYTHON"), "setup.sh installs NumPy for Python submissions")
  }

  @Test("the archive is a ZIP the project's reader opens, the same bytes every time")
  func archive() throws {
    let data = try bundle().archive()
    let zip = try ZipArchive(data)
    let member = try #require(zip.members.first { $0.name == "run_autograder" })
    #expect(String(decoding: try zip.contents(of: member), as: UTF8.self).hasPrefix("#!/usr/bin/env bash"))
    #expect(try bundle().archive() == data)
  }

  @Test("the bundled manifest is generated: grade's targets by their imports, the same dependencies as the package's manifest")
  func manifest() throws {
    let members = try bundle().members()
    let generated = try GradescopeManifest(sources: AssignmentCatalog.packageRoot.appendingPathComponent("Sources"))
    let manifest = String(decoding: try #require(members.first { $0.path == "Package.swift" }).contents, as: UTF8.self)
    #expect(manifest == generated.text)
    #expect(!manifest.contains("Benchmarks") && !manifest.contains("testTarget") && !manifest.contains("unsafeFlags"))
    #expect(manifest.contains(".executableTarget(name: \"grade\", dependencies: [\"GradeCLI\"])"))
    #expect(manifest.contains(".systemLibrary(name: \"CZlib\", path: \"Sources/CZlib\")"))
    let names = generated.targets.map(\.name)
    for required in ["grade", "GradeCLI", "Grader", "Jacobians", "CZlib", "Digest"] { #expect(names.contains(required), "\(required)") }
    #expect(!names.contains("TestSupport") && !names.contains { $0.hasSuffix("-benchmark") }, "test support and benchmarks stay out")
    // Each target after what it imports, and its folder in the bundle; nothing else of Sources/.
    for (k, target) in generated.targets.enumerated() {
      for dependency in target.dependencies { #expect(names.firstIndex(of: dependency).map { $0 < k } == true, "\(target.name) → \(dependency)") }
      #expect(members.contains { $0.path.hasPrefix("Sources/\(target.name)/") }, "Sources/\(target.name)")
    }
    let folders = Set(members.compactMap { m -> String? in
      let parts = m.path.split(separator: "/")
      return parts.count > 2 && parts[0] == "Sources" ? String(parts[1]) : nil
    })
    #expect(folders == Set(names))
    // An independent reading: the package's own manifest declares each target with these dependencies.
    let own = try String(contentsOf: AssignmentCatalog.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
    for target in generated.targets where target.kind != .systemLibrary {
      let kind = target.kind == .executable ? ".executableTarget" : ".target"
      let start = try #require(own.range(of: "\(kind)(name: \"\(target.name)\""), "\(target.name) is a target of Package.swift")
      let rest = own[start.upperBound...].prefix { $0 != ")" }
      var declared = Set<String>()
      if let open = rest.range(of: "dependencies: ["), let close = rest[open.upperBound...].firstIndex(of: "]") {
        declared = Set(rest[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"\n")) }.filter { !$0.isEmpty })
      }
      #expect(declared == Set(target.dependencies), "\(target.name): Package.swift says \(declared.sorted()), its imports \(target.dependencies)")
    }
  }

  @Test("top-level imports are read; code in strings is not", arguments: [
    ("import Foundation\n@testable import Grader\nimport struct Jacobians.Matrix\n  import NotThis\nlet s = \"import X\"\n", ["Foundation", "Grader", "Jacobians"]),
    ("#if canImport(Glibc)\nimport Glibc\n#endif\n", ["Glibc"]),
  ] as [(String, [String])])
  func imports(source: String, expected: [String]) {
    #expect(GradescopeManifest.imports(in: source) == expected)
  }

  @Test("setup.sh installs the rubric's python_packages besides NumPy")
  func pythonPackages() throws {
    let (assignment, rubric) = try shipped("rnn-bptt")
    let bundle = GradescopeBundle(
      assignment: assignment, rubricFile: URL(fileURLWithPath: rubric.file), packageRoot: AssignmentCatalog.packageRoot,
      swiftVersion: "6.3.1", studentField: "email", courseKey: testKey, pythonPackages: ["scipy"])
    let setup = String(decoding: try bundle.members().first { $0.path == "setup.sh" }!.contents, as: UTF8.self)
    #expect(setup.contains("python3-numpy util-linux python3-scipy"), "\(setup)")
    #expect(setup.contains("for package in numpy scipy; do"))
  }
}
