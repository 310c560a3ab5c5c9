import Foundation
import Testing
@testable import Grader

/// The student's files are read before anything runs, without following links, and copied.
@Suite("The files of a Python submission")
struct PythonSubmissionFilesTests {
  static func folder(_ files: [String: String]) throws -> URL {
    let url = temporaryDirectory()
    for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return url
  }

  @Test("a folder gives solution.py and its helper modules; a single file of any name is solution.py")
  func solutionAndHelpers() throws {
    let url = try Self.folder(["solution.py": "import helpers\n", "helpers.py": "x = 1\n", "notes.txt": "no"])
    let read = try PythonSubmissionFiles.read(url, reserved: [])
    #expect(read.files.map(\.name) == ["solution.py", "helpers.py"])
    #expect(read.notes.isEmpty)
    let single = try PythonSubmissionFiles.read(url.appendingPathComponent("helpers.py"), reserved: [])
    #expect(single.files.map(\.name) == ["solution.py"])
    #expect(single.notes == ["helpers.py was run as solution.py."])
  }

  @Test("a helper named like a standard-library module or an allowed package, or not a module name, is left out with a note")
  func shadowingHelpersAreLeftOut() throws {
    let url = try Self.folder(["solution.py": "", "numpy.py": "", "random.py": "", "my-helpers.py": "", "fine.py": ""])
    let read = try PythonSubmissionFiles.read(url, reserved: ["numpy", "random"])
    #expect(read.files.map(\.name) == ["solution.py", "fine.py"])
    #expect(read.notes.contains { $0.contains("numpy.py was not used: it would hide the module numpy") })
    #expect(read.notes.contains { $0.contains("random.py was not used") })
    #expect(read.notes.contains { $0.contains("my-helpers.py was not used: its name is not a Python module name") })
  }

  @Test("a symbolic link is not followed: as solution.py it makes the submission unreadable, as a helper it is left out")
  func symbolicLinks() throws {
    let url = try Self.folder(["other.txt": "secret = 1\n"])
    try FileManager.default.createSymbolicLink(atPath: url.appendingPathComponent("solution.py").path, withDestinationPath: "/etc/passwd")
    #expect(throws: PythonSubmissionError.self) { try PythonSubmissionFiles.read(url, reserved: []) }
    do {
      _ = try PythonSubmissionFiles.read(url, reserved: [])
    } catch {
      #expect(error.description.contains("is a symbolic link; submit the file itself"), "\(error)")
    }
    let second = try Self.folder(["solution.py": "x = 1\n"])
    try FileManager.default.createSymbolicLink(atPath: second.appendingPathComponent("helper.py").path, withDestinationPath: url.appendingPathComponent("other.txt").path)
    let read = try PythonSubmissionFiles.read(second, reserved: [])
    #expect(read.files.map(\.name) == ["solution.py"])
    #expect(read.notes.contains { $0.contains("helper.py was not used: it is a symbolic link") })
  }

  @Test("no solution.py, a FIFO, and a file over 1 MiB are refused with a sentence")
  func refusals() throws {
    let empty = try Self.folder(["helper.py": ""])
    #expect(throws: PythonSubmissionError.noSolution(folder: empty.path)) { try PythonSubmissionFiles.read(empty, reserved: []) }
    let fifo = temporaryDirectory().appendingPathComponent("solution.py")
    #expect(mkfifo(fifo.path, 0o644) == 0)
    #expect(throws: PythonSubmissionError.notRegular(file: fifo.path, what: "not a regular file")) { try PythonSubmissionFiles.read(fifo, reserved: []) }
    let big = temporaryDirectory().appendingPathComponent("solution.py")
    try Data(count: (1 << 20) + 1).write(to: big)
    do {
      _ = try PythonSubmissionFiles.read(big, reserved: [])
      Issue.record("a 1 MiB + 1 file was read")
    } catch {
      #expect(error.description.contains("holds 1048577 bytes, more than the 1048576 a Python submission may hold"), "\(error)")
    }
  }

  @Test("identifiers: ASCII letters, digits and underscores, not a keyword", arguments: [
    ("dW_h", true), ("delta1", true), ("_x", true), ("1x", false), ("d-W", false), ("lambda", false), ("None", false), ("", false), ("ŷ", false),
  ])
  func identifiers(name: String, ok: Bool) {
    #expect(PythonSubmissionFiles.isIdentifier(name) == ok)
  }
}
