import Foundation
import Testing
@testable import Grader

@Suite("The course key")
struct CourseKeyTests {
  @Test("a new key is 256 bits, new every time, and its file text reads back")
  func generate() throws {
    let a = CourseKey.generate(), b = CourseKey.generate()
    #expect(a.bytes.count == 32)
    #expect(a != b)
    #expect(Set(a.bytes).count > 8, "not a constant")
    let text = a.fileText
    #expect(text.hasPrefix("# GradientGrader course key"))
    #expect(text.contains("chmod 600") && text.contains("never commit it"))
    #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.count } == [64])
    #expect(try CourseKey.parse(text) == a)
  }

  @Test("comments and blank lines are skipped; upper-case hexadecimal is accepted")
  func parse() throws {
    let hex = String(repeating: "0A", count: 32)
    #expect(try CourseKey.parse("# a comment\n\n\(hex)\n# another\n").bytes == [UInt8](repeating: 10, count: 32))
  }

  struct Malformed: Sendable, CustomStringConvertible {
    var text: String
    var error: CourseKeyError
    var description: String { "\(error)" }
  }

  static let malformed: [Malformed] = [
    Malformed(text: "", error: .empty(file: nil)),
    Malformed(text: "# only a comment\n", error: .empty(file: nil)),
    Malformed(text: String(repeating: "ab", count: 31), error: .wrongLength(file: nil, digits: 62)),
    Malformed(text: String(repeating: "ab", count: 33), error: .wrongLength(file: nil, digits: 66)),
    Malformed(text: String(repeating: "zz", count: 32), error: .notHexadecimal(file: nil)),
    Malformed(text: String(repeating: "a", count: 63), error: .notHexadecimal(file: nil)),
  ]

  @Test("a malformed key is refused with a sentence", arguments: malformed)
  func refused(c: Malformed) {
    #expect(throws: c.error) { try CourseKey.parse(c.text) }
    #expect(c.error.description.hasSuffix(".") && c.error.description.contains("64"))
  }

  @Test("a key file that group or others may read is refused; the owner's own is read")
  func permissions() throws {
    let dir = temporaryDirectory()
    let url = dir.appendingPathComponent("course.key")
    try Data(testKey.fileText.utf8).write(to: url)
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
      chmod(url.path, mode_t(mode))
      #expect(throws: CourseKeyError.tooOpen(file: url.path, mode: mode)) { try CourseKey.load(url) }
    }
    chmod(url.path, 0o600)
    #expect(try CourseKey.load(url) == testKey)
    chmod(url.path, 0o400)
    #expect(try CourseKey.load(url) == testKey)
    let message = CourseKeyError.tooOpen(file: url.path, mode: 0o644).description
    #expect(message.contains("mode 644") && message.contains("chmod 600 \(url.path)"))
    #expect(throws: CourseKeyError.notAFile(file: dir.path)) { try CourseKey.load(dir) }
    let absent = dir.appendingPathComponent("absent.key")
    #expect(throws: CourseKeyError.self) { try CourseKey.load(absent) }
  }

  @Test("--key-file wins over GRADE_COURSE_KEY_FILE; without either there is no key")
  func locate() {
    let env = [CourseKey.environmentVariable: "/from/env.key"]
    #expect(CourseKey.locate(option: "/given.key", environment: env)?.path == "/given.key")
    #expect(CourseKey.locate(option: nil, environment: env)?.path == "/from/env.key")
    #expect(CourseKey.locate(option: nil, environment: [:]) == nil)
    #expect(CourseKey.locate(option: nil, environment: [CourseKey.environmentVariable: ""]) == nil)
  }

  @Test("with the key, the numeric seed is derived per student; a batch uses the same one")
  func numericSeed() throws {
    var g = try grader("rnn-bptt", key: testKey)
    g.numericSeed = nil
    let a = g.numericSeed(for: "ada")
    #expect(a == testKey.numericSeed(assignment: "rnn-bptt", student: "ada"))
    #expect(a == BatchNumericSeed.seed(assignment: "rnn-bptt", student: "ada", key: testKey))
    #expect(a != g.numericSeed(for: "bo"))
    #expect(a != BatchNumericSeed.seed(assignment: "rnn-bptt", student: "ada"), "the public practice seed")
    #expect(a != otherTestKey.numericSeed(assignment: "rnn-bptt", student: "ada"))
  }
}
