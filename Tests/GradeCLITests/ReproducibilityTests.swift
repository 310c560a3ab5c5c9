import Foundation
import Testing
import Grader

/// With `--no-timing`, grading the same submission twice writes the same bytes, in every format
/// of `check` and in every file of `batch`: golden files can be compared byte for byte.
@Suite("Same submission, same bytes", .serialized)
struct ReproducibilityTests {
  static let formats = ["text", "json", "markdown", "html", "junit", "gradescope", "prairielearn", "record"]

  static func submissions() -> [(name: String, path: String)] {
    var cases = [("arrays", GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path)]
    if SwiftSubmissionTests.hasSwiftc {
      cases.append(("swift", SwiftSubmissionTests.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution").path))
    }
    return cases
  }

  @Test("grade check --no-timing gives identical bytes on two runs, in every format")
  func checkIsReproducible() throws {
    for (name, path) in Self.submissions() {
      for format in Self.formats {
        let dir = temporaryDirectory()
        var outputs: [Data] = []
        for run in 0..<2 {
          let out = dir.appendingPathComponent("\(run).\(format)")
          let r = try GradeBinary.run(["check", "rnn-bptt", path, "--student", "demo", "--format", format, "--out", out.path, "--no-timing"])
          #expect(r.status == 0 || r.status == 1, "\(name) \(format): \(r.stderr)")
          outputs.append(try Data(contentsOf: out))
        }
        #expect(outputs[0] == outputs[1], "\(name) in \(format) differs between two runs")
        #expect(!outputs[0].isEmpty)
      }
    }
  }

  @Test("without --no-timing only the timing differs: the record's seconds")
  func timingIsTheOnlyDifference() throws {
    let path = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path
    let timed = try GradeBinary.run(["check", "rnn-bptt", path, "--student", "demo", "--format", "record"]).stdout
    let untimed = try GradeBinary.run(["check", "rnn-bptt", path, "--student", "demo", "--format", "record", "--no-timing"]).stdout
    let seconds = try #require(timed.range(of: #""seconds": [0-9.e+-]+"#, options: .regularExpression))
    #expect(untimed.contains(#""seconds": 0,"#) || untimed.contains(#""seconds": 0}"#), "\(untimed.prefix(400))")
    var aligned = timed
    aligned.replaceSubrange(seconds, with: #""seconds": 0"#)
    #expect(aligned == untimed)
  }
}
