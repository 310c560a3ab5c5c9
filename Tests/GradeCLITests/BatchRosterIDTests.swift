import Foundation
import Testing
import Grader

/// A batch compares a submission that fails everywhere with the inputs of the other students of
/// its roster: answers made with a classmate's inputs name the classmate.
@Suite("A batch names the classmate whose inputs a submission was made with")
struct BatchRosterIDTests {
  @Test("bob handed in answers made at ann's inputs: bob's feedback names ann, ann's says nothing")
  func namesTheClassmate() throws {
    let root = temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let dir = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (file, madeFor) in [("ann.json", "ann"), ("bob.json", "ann"), ("carl.json", "carl")] {
      let r = try GradeBinary.run(["reference", "rnn-bptt", "--student", madeFor, "--out", dir.appendingPathComponent(file).path,
                                   "--key-file", GradeBinary.keyFile.path])
      try #require(r.status == 0, "\(r.stderr)")
    }
    let out = root.appendingPathComponent("graded")
    let batch = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out.path, "--key-file", GradeBinary.keyFile.path, "--quiet", "--jobs", "2"])
    #expect(batch.status == 0, "\(batch.stdout)\(batch.stderr)")
    let feedback = { (student: String) in try String(contentsOf: out.appendingPathComponent("feedback/\(student).md"), encoding: .utf8) }
    let bob = try feedback("bob")
    #expect(bob.contains("match the inputs of 'ann', not of 'bob'"), "\(bob)")
    for student in ["ann", "carl"] { #expect(!(try feedback(student)).contains("match the inputs of"), "\(student)") }
    // The roster file lived only while the batch ran.
    let left = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
      .filter { $0.hasSuffix("-roster.txt") && $0.hasPrefix("grade-batch-") }
    #expect(left.allSatisfy { name in
      guard let pid = Int32(name.dropFirst("grade-batch-".count).prefix { $0.isNumber }) else { return true }
      return kill(pid, 0) == 0
    }, "\(left)")
  }
}
