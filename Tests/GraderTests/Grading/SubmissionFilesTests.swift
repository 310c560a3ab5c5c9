import Foundation
import Testing
@testable import Grader

/// A submission is the student's own regular files: links that leave it, FIFOs, devices and
/// sockets are refused with the entry's name, before anything is read.
@Suite struct SubmissionFilesTests {
  /// `submissions/alice` and `submissions/bob`, each with a Solution.swift.
  static func twoStudents() throws -> (alice: URL, bob: URL) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("submission-files-\(UUID().uuidString)")
    let alice = root.appendingPathComponent("alice"), bob = root.appendingPathComponent("bob")
    for folder in [alice, bob] {
      try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
      try "func loss() -> Double { 1 }\n".write(to: folder.appendingPathComponent("Solution.swift"), atomically: true, encoding: .utf8)
    }
    return (alice, bob)
  }

  struct EntryCase: Sendable, CustomTestStringConvertible {
    var name: String
    var make: @Sendable (_ alice: URL, _ bob: URL) throws -> Void
    var expected: @Sendable (SubmissionEntryError) -> Bool
    var testDescription: String { name }
  }

  static let refused: [EntryCase] = [
    EntryCase(name: "a link to another student's file", make: { alice, bob in
      try FileManager.default.removeItem(at: alice.appendingPathComponent("Solution.swift"))
      try FileManager.default.createSymbolicLink(at: alice.appendingPathComponent("Solution.swift"), withDestinationURL: bob.appendingPathComponent("Solution.swift"))
    }, expected: { if case .linkLeavesSubmission("Solution.swift", _) = $0 { return true }; return false }),
    EntryCase(name: "a relative link out through ..", make: { alice, _ in
      try FileManager.default.createSymbolicLink(atPath: alice.appendingPathComponent("lib/Other.swift").path, withDestinationPath: "../../bob/Solution.swift")
    }, expected: { if case .linkLeavesSubmission("lib/Other.swift", _) = $0 { return true }; return false }),
    EntryCase(name: "a link to /dev/zero", make: { alice, _ in
      try FileManager.default.createSymbolicLink(atPath: alice.appendingPathComponent("Zero.swift").path, withDestinationPath: "/dev/zero")
    }, expected: { if case .linkLeavesSubmission("Zero.swift", "/dev/zero") = $0 { return true }; return false }),
    EntryCase(name: "a FIFO", make: { alice, _ in
      #expect(mkfifo(alice.appendingPathComponent("answers.json").path, 0o644) == 0)
    }, expected: { $0 == .notARegularFile(entry: "answers.json", kind: "a FIFO (named pipe)") }),
    EntryCase(name: "a socket", make: { alice, _ in
      let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      let path = alice.appendingPathComponent("lib/s.sock").path
      withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (k, byte) in path.utf8.enumerated() where k < raw.count - 1 { raw[k] = byte }
      }
      _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
      close(fd)
    }, expected: { $0 == .notARegularFile(entry: "lib/s.sock", kind: "a socket") }),
    EntryCase(name: "a dangling link", make: { alice, _ in
      try FileManager.default.createSymbolicLink(atPath: alice.appendingPathComponent("Gone.swift").path, withDestinationPath: "nowhere.swift")
    }, expected: { $0 == .danglingLink(entry: "Gone.swift", target: "nowhere.swift") }),
  ]

  @Test("an entry that is not the student's own regular file is refused, by name", arguments: refused)
  func refusedEntries(c: EntryCase) throws {
    let (alice, bob) = try Self.twoStudents()
    try c.make(alice, bob)
    do {
      try SubmissionFiles.check(alice)
      Issue.record("\(c.name) was accepted")
    } catch {
      #expect(c.expected(error), "\(error)")
      #expect(error.description.hasSuffix("."), "a sentence: \(error)")
    }
  }

  @Test("links that stay inside the submission are read, as the file they name")
  func linksInside() throws {
    let (alice, _) = try Self.twoStudents()
    try "let x = 1\n".write(to: alice.appendingPathComponent("lib/Real.swift"), atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: alice.appendingPathComponent("Helpers.swift").path, withDestinationPath: "lib/Real.swift")
    try SubmissionFiles.check(alice)
    let data = try SubmissionFiles.read(alice.appendingPathComponent("Helpers.swift"), root: alice, limit: 1 << 20)
    #expect(String(decoding: data, as: UTF8.self) == "let x = 1\n")
  }

  @Test("reading stats first: a FIFO is refused at once, not waited on; a file past the limit is not read")
  func readRefusesFIFOAndLargeFiles() throws {
    let (alice, _) = try Self.twoStudents()
    let fifo = alice.appendingPathComponent("Pipe.swift")
    #expect(mkfifo(fifo.path, 0o644) == 0)
    let start = Date()
    #expect(throws: SubmissionEntryError.notARegularFile(entry: "Pipe.swift", kind: "a FIFO (named pipe)")) {
      try SubmissionFiles.read(fifo, root: alice, limit: 1 << 20)
    }
    #expect(Date().timeIntervalSince(start) < 5)
    let big = alice.appendingPathComponent("Big.swift")
    #expect(FileManager.default.createFile(atPath: big.path, contents: Data(count: 2048)))
    #expect(throws: SubmissionEntryError.tooLarge(entry: "Big.swift", bytes: 2048, limit: 1024)) {
      try SubmissionFiles.read(big, root: alice, limit: 1024)
    }
  }

  @Test("an array folder whose file links to another student's is unreadable, not graded as theirs")
  func arrayFolderLink() throws {
    let (alice, bob) = try Self.twoStudents()
    let (assignment, rubric) = try AssignmentCatalog(root: SwiftModuleFixtures.repository.appendingPathComponent("Assignments")).load("rnn-bptt")
    let grader = Autograder(assignment: assignment, rubric: rubric)
    try ArrayFileWriter.write(grader.reference(for: "bob"), to: bob.appendingPathComponent("answers.npz"))
    try FileManager.default.removeItem(at: alice.appendingPathComponent("Solution.swift"))
    try FileManager.default.createSymbolicLink(at: alice.appendingPathComponent("answers.npz"), withDestinationURL: bob.appendingPathComponent("answers.npz"))
    #expect(throws: SubmissionEntryError.self) { try SubmissionGrading.grade(alice, student: "bob", with: grader) }
  }
}
