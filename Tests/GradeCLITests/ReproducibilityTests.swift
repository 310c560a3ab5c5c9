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
    let pattern = #""seconds" ?: ?[0-9.e+-]+"#
    let seconds = try #require(timed.range(of: pattern, options: .regularExpression))
    let zero = try #require(untimed.range(of: pattern, options: .regularExpression))
    #expect(untimed[zero].hasSuffix(" 0") || untimed[zero].hasSuffix(":0"), "\(untimed[zero])")
    var aligned = timed
    aligned.replaceSubrange(seconds, with: untimed[zero])
    #expect(aligned == untimed)
  }

  @Test("two batches with --no-timing write the same bytes in every file")
  func batchIsReproducible() throws {
    let root = temporaryDirectory()
    let submissions = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
    for student in ["hal", "ida"] {
      let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", submissions.appendingPathComponent("\(student).json").path,
                                      "--key-file", GradeBinary.keyFile.path])
      #expect(made.status == 0, "\(made.stderr)")
    }
    try Data("not JSON".utf8).write(to: submissions.appendingPathComponent("joe.json"))
    if SwiftSubmissionTests.hasSwiftc {
      try FileManager.default.copyItem(at: SwiftSubmissionTests.assignment("rnn-bptt").appendingPathComponent("examples/swift-solution"),
                                       to: submissions.appendingPathComponent("kim"))
    }
    var outputs: [[String: Data]] = []
    var lines: [String] = []
    for run in 0..<2 {
      let out = root.appendingPathComponent("out-\(run)")
      let r = try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--key-file", GradeBinary.keyFile.path,
                                   "--quiet", "--no-timing"])
      #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
      lines.append(r.stdout.replacingOccurrences(of: out.path, with: "<out>"))
      var files: [String: Data] = [:]
      for path in try FileManager.default.subpathsOfDirectory(atPath: out.path) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue {
          files[path] = try Data(contentsOf: out.appendingPathComponent(path))
        }
      }
      outputs.append(files)
    }
    #expect(Set(outputs[0].keys) == Set(outputs[1].keys))
    #expect(outputs[0].keys.contains("gradebook.csv") && outputs[0].keys.contains("results/hal.json"))
    for (path, data) in outputs[0] {
      #expect(outputs[1][path] == data, "\(path) differs between two runs")
    }
    #expect(lines[0] == lines[1], "\(lines)")
  }
}
