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
