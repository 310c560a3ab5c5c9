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
    #expect(!paths.contains { $0.hasPrefix("Tests/") || $0.hasPrefix("Benchmarks/") || $0.hasPrefix("Sources/Formulas/") })
    let run = String(decoding: members.first { $0.path == "run_autograder" }!.contents, as: UTF8.self)
    #expect(run.contains("ASSIGNMENT=\"rnn-bptt\"") && run.contains("STUDENT_FIELD=\"email\""))
    for placeholder in ["@ASSIGNMENT@", "@STUDENT_FIELD@", "@SWIFT_VERSION@"] { #expect(!run.contains(placeholder)) }
    #expect(run.contains("--key-file \"$KEY\"") && run.contains("chmod 600 \"$KEY\""))
    let key = String(decoding: members.first { $0.path == "course.key" }!.contents, as: UTF8.self)
    #expect(try CourseKey.parse(key) == testKey)
    let setup = String(decoding: members.first { $0.path == "setup.sh" }!.contents, as: UTF8.self)
    #expect(setup.contains("SWIFT_VERSION:-6.3.1") && setup.contains("swift build -c release --product grade"))
  }

  @Test("the archive is a ZIP the project's reader opens, the same bytes every time")
  func archive() throws {
    let data = try bundle().archive()
    let zip = try ZipArchive(data)
    let member = try #require(zip.members.first { $0.name == "run_autograder" })
    #expect(String(decoding: try zip.contents(of: member), as: UTF8.self).hasPrefix("#!/usr/bin/env bash"))
    #expect(try bundle().archive() == data)
  }

  @Test("the bundled manifest is generated: every target's folder is in the bundle, every import a declared dependency")
  func manifest() throws {
    let members = try bundle().members()
    let manifest = String(decoding: try #require(members.first { $0.path == "Package.swift" }).contents, as: UTF8.self)
    #expect(manifest == GradescopeManifest.text)
    #expect(!manifest.contains("Benchmarks") && !manifest.contains("testTarget") && !manifest.contains("unsafeFlags"))
    #expect(manifest.contains(".executableTarget(name: \"grade\", dependencies: [\"GradeCLI\"])"))
    let byName = Dictionary(uniqueKeysWithValues: GradescopeManifest.targets.map { ($0.name, $0) })
    let system: Set<String> = ["Foundation", "FoundationEssentials", "Glibc", "Darwin", "Musl", "Dispatch", "_Differentiation"]
    for target in GradescopeManifest.targets {
      // Each target's folder is bundled, and is in the package's own manifest with the same name.
      #expect(members.contains { $0.path.hasPrefix("Sources/\(target.name)/") }, "Sources/\(target.name)")
      for dependency in target.dependencies { #expect(byName[dependency] != nil, "\(target.name) → \(dependency)") }
      // Every module a bundled file imports is a dependency of its target (or the system's).
      let files = members.filter { $0.path.hasPrefix("Sources/\(target.name)/") && $0.path.hasSuffix(".swift") }
      for file in files {
        let imports = String(decoding: file.contents, as: UTF8.self).split(separator: "\n")
          .compactMap { line -> String? in
            guard !line.hasPrefix(" ") else { return nil }   // top-level imports, not code in strings
            let words = line.split(separator: " ")
            guard let k = words.firstIndex(of: "import"), k + 1 < words.count, words[..<k].allSatisfy({ $0.hasPrefix("@") }) else { return nil }
            return String(words[k + 1])
          }
        for module in imports where !system.contains(module) {
          #expect(target.dependencies.contains(module), "\(file.path) imports \(module), not a dependency of \(target.name)")
        }
      }
    }
    // Every source folder the bundle carries has its target; nothing else of Sources/ is carried.
    let folders = Set(members.compactMap { m -> String? in
      let parts = m.path.split(separator: "/")
      return parts.count > 2 && parts[0] == "Sources" ? String(parts[1]) : nil
    })
    #expect(folders == Set(GradescopeManifest.sourceFolders))
    // The package's own manifest declares these targets with the same dependencies.
    let own = try String(contentsOf: AssignmentCatalog.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
    for target in GradescopeManifest.targets where target.kind != .systemLibrary {
      let deps = target.dependencies.map { "\"\($0)\"" }.joined(separator: ", ")
      #expect(own.contains("(name: \"\(target.name)\"") && (target.dependencies.isEmpty || own.contains("name: \"\(target.name)\", dependencies: [\(deps)]")), "\(target.name)")
    }
  }
}
