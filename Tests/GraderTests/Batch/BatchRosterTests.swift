import Foundation
import Testing
@testable import Grader

@Suite("Finding the students of a batch")
struct BatchRosterTests {
  @Test("one file or folder per student, named by the id without its extension; dot files skipped")
  func names() throws {
    let dir = temporaryDirectory()
    for name in ["bob.npz", "alice.json", ".DS_Store", "carol.v2.json"] {
      _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data("{}".utf8))
    }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("dave"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
    let roster = try BatchRoster.scan(dir, excluding: [dir.appendingPathComponent("out")])
    #expect(roster.map(\.student) == ["alice", "bob", "carol.v2", "dave"])
    #expect(roster[1].url.lastPathComponent == "bob.npz")
  }

  @Test("two submissions for one student, an empty folder, or a file are refused")
  func refusals() throws {
    let dir = temporaryDirectory()
    #expect(throws: BatchError.noSubmissions(path: dir.path)) { try BatchRoster.scan(dir) }
    for name in ["eve.npz", "eve.json"] {
      _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data())
    }
    #expect(throws: BatchError.duplicateStudent(student: "eve", files: ["eve.json", "eve.npz"])) { try BatchRoster.scan(dir) }
    let file = dir.appendingPathComponent("eve.npz")
    #expect(throws: BatchError.notAFolder(path: file.path)) { try BatchRoster.scan(file) }
  }

  @Test("the numeric seed is fixed per student and differs between students")
  func seeds() {
    let a = BatchNumericSeed.seed(assignment: "rnn-bptt", student: "alice")
    #expect(a == BatchNumericSeed.seed(assignment: "rnn-bptt", student: "alice"))
    #expect(a != BatchNumericSeed.seed(assignment: "rnn-bptt", student: "bob"))
    #expect(a != BatchNumericSeed.seed(assignment: "rnn-canonical", student: "alice"))
  }

  @Test("files are written whole: the destination is replaced, no temporary file is left")
  func atomicWrite() throws {
    let dir = temporaryDirectory().appendingPathComponent("nested")
    let url = dir.appendingPathComponent("gradebook.csv")
    try AtomicFile.write("first\n", to: url)
    try AtomicFile.write("second\n", to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == "second\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["gradebook.csv"])
  }

  @Test("a large file is written whole with the umask's permissions; a folder that cannot hold it is a sentence, and leaves nothing")
  func atomicWriteLargeAndRefused() throws {
    let dir = temporaryDirectory()
    let url = dir.appendingPathComponent("results/big.json")
    let bytes = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
    try AtomicFile.write(bytes, to: url)
    #expect(try Data(contentsOf: url) == bytes)
    let mask = umask(0o022)
    umask(mask)
    let mode = (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue
    #expect(mode == 0o666 & ~Int(mask))

    // A file where the folder should be: no folder can be made, nothing is left behind.
    let blocked = dir.appendingPathComponent("blocked")
    try AtomicFile.write("x", to: blocked)
    let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write("y", to: blocked.appendingPathComponent("inside.txt")) }
    #expect(error?.description == "Could not write \(blocked.path)/inside.txt: Not a directory.", "\(String(describing: error))")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["blocked", "results"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("results").path) == ["big.json"])
  }
}
