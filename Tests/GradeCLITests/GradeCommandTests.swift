import Foundation
import Testing
import Grader

@Suite("The grade command, end to end")
struct GradeCommandTests {
  static let assignments = ["backprop-basics", "rnn-bptt", "rnn-canonical", "window-lm", "ngram-lm", "lstm-lm", "gru-lm"]

  @Test("grade demo prints a full report and exits 0")
  func demo() throws {
    let r = try GradeBinary.run(["demo"])
    #expect(r.status == 0, "\(r.stderr)")
    for item in ["loss", "dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0", "delta1", "delta2", "dW_h_terms"] {
      #expect(r.stdout.contains(item))
    }
    #expect(r.stdout.contains("11 of 11 items pass"))
    #expect(!r.stdout.contains("\u{1B}["), "no colour codes when not writing to a terminal")
  }

  @Test("grade demo of every assignment passes", arguments: assignments)
  func demoEvery(assignment: String) throws {
    let r = try GradeBinary.run(["demo", assignment])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
  }

  @Test("inputs → a student's own NumPy solution → check passes, for several students", arguments: assignments)
  func numpyRoundTrip(assignment: String) throws {
    guard GradeBinary.hasNumPy else {
      print("skipped: python3 with numpy is not available")
      return
    }
    let dir = temporaryDirectory()
    for student in ["s01", "s02", "s03"] {
      let inputs = dir.appendingPathComponent("\(student)-in.npz").path
      let answers = dir.appendingPathComponent("\(student)-out.npz").path
      #expect(try GradeBinary.run(["inputs", assignment, "--student", student, "--out", inputs]).status == 0)
      let script = GradeBinary.packageRoot.appendingPathComponent("Assignments/\(assignment)/examples/solution.py").path
      #expect(try GradeBinary.python([script, inputs, answers]) == 0)
      let r = try GradeBinary.run(["check", assignment, answers, "--student", student])
      #expect(r.status == 0, "\(r.stdout)")
      // Another student's inputs give other numbers: the same answers fail.
      let copied = try GradeBinary.run(["check", assignment, answers, "--student", student + "-other"])
      #expect(copied.status == 1)
    }
  }

  @Test("ngram-lm: the worked NumPy solution passes every item for 20 students")
  func ngramNumpyTwentyStudents() throws {
    guard GradeBinary.hasNumPy else {
      print("skipped: python3 with numpy is not available")
      return
    }
    let dir = temporaryDirectory()
    let script = GradeBinary.packageRoot.appendingPathComponent("Assignments/ngram-lm/examples/solution.py").path
    for k in 1...20 {
      let student = "ngram-np-\(k)"
      let inputs = dir.appendingPathComponent("\(student)-in.npz").path
      let answers = dir.appendingPathComponent("\(student)-out.npz").path
      #expect(try GradeBinary.run(["inputs", "ngram-lm", "--student", student, "--out", inputs]).status == 0)
      #expect(try GradeBinary.python([script, inputs, answers]) == 0)
      let r = try GradeBinary.run(["check", "ngram-lm", answers, "--student", student])
      #expect(r.status == 0, "\(r.stdout)")
      #expect(r.stdout.contains("9 of 9 items pass"), "\(r.stdout)")
    }
  }

  @Test("reference output graded as a submission passes, in every writable format", arguments: ["json", "npz", "safetensors"])
  func referenceFormats(ext: String) throws {
    let file = temporaryDirectory().appendingPathComponent("ref.\(ext)").path
    #expect(try GradeBinary.run(["reference", "rnn-bptt", "--student", "zed", "--out", file, "--key-file", GradeBinary.keyFile.path]).status == 0)
    let r = try GradeBinary.run(["check", "rnn-bptt", file, "--student", "zed"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
  }

  @Test("--format json carries the documented fields")
  func jsonReport() throws {
    let sub = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path
    let r = try GradeBinary.run(["check", "rnn-bptt", sub, "--student", "demo", "--format", "json"])
    #expect(r.status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    for key in ["assignment", "student", "score", "max_score", "items"] { #expect(object[key] != nil, "\(key)") }
    let items = try #require(object["items"] as? [[String: Any]])
    #expect(items.count == 11)
    for item in items {
      for key in ["id", "status", "points", "max_points", "message"] { #expect(item[key] != nil, "\(key)") }
      let reference = try #require(item["reference"] as? [String: Any])
      for key in ["max_abs_error", "max_rel_error", "worst_index"] { #expect(reference[key] != nil) }
      if item["id"] as? String != "loss" {
        let numeric = try #require(item["numeric"] as? [String: Any])
        #expect(numeric["method"] is String)
      }
    }
  }

  @Test("a wrong submission exits 1 and --out writes the report")
  func wrongSubmission() throws {
    let dir = temporaryDirectory()
    let file = dir.appendingPathComponent("wrong.json")
    try Data(#"{"loss": 1.5, "dU": [[1, 2], [3, 4]]}"#.utf8).write(to: file)
    let report = dir.appendingPathComponent("report.md").path
    let r = try GradeBinary.run(["check", "rnn-bptt", file.path, "--student", "amy", "--format", "markdown", "--out", report])
    #expect(r.status == 1)
    let text = try String(contentsOfFile: report, encoding: .utf8)
    #expect(text.contains("| `dU` | fail |"))
    #expect(text.contains("| `dW_h` | missing |"))
  }

  @Test("usage errors exit 64 and read like swift-argument-parser's", arguments: [
    ["check", "rnn-bptt"],
    ["check", "rnn-bptt", "x.npz"],
    ["check", "rnn-bptt", "x.npz", "--student", "a", "--fromat", "json"],
    ["check", "rnn-bptt", "x.npz", "--student", "a", "--format", "yaml"],
    ["chekc"],
    ["inputs", "rnn-bptt", "--student", "a"],
  ])
  func usageErrors(arguments: [String]) throws {
    let r = try GradeBinary.run(arguments)
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("Error: "))
    #expect(r.stderr.contains("Usage: grade"))
    #expect(r.stderr.contains("See 'grade"))
    #expect(r.stderr.contains("--help' for more information."))
  }

  @Test("an unknown option gets a suggestion")
  func suggestion() throws {
    let r = try GradeBinary.run(["check", "rnn-bptt", "x.npz", "--studnet", "a"])
    #expect(r.stderr.contains("Did you mean '--student'?"))
  }

  @Test("an unreadable submission or assignment exits 65 with a sentence")
  func unreadable() throws {
    let dir = temporaryDirectory()
    let bad = dir.appendingPathComponent("bad.json")
    try Data("{ not json".utf8).write(to: bad)
    let r1 = try GradeBinary.run(["check", "rnn-bptt", bad.path, "--student", "a"])
    #expect(r1.status == 65)
    #expect(r1.stderr.contains("bad.json"))
    let r2 = try GradeBinary.run(["check", "rnn-bptt", dir.appendingPathComponent("absent.npz").path, "--student", "a"])
    #expect(r2.status == 65)
    let r3 = try GradeBinary.run(["check", "rnn-btpt", bad.path, "--student", "a"])
    #expect(r3.status == 65)
    #expect(r3.stderr.contains("did you mean 'rnn-bptt'"))
  }

  @Test("--help on every command exits 0 with an example", arguments: ["list", "inputs", "reference", "check", "demo", "explain", "formulas", "batch", "gradescope-bundle", "key"])
  func help(command: String) throws {
    let r = try GradeBinary.run([command, "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("USAGE: grade \(command)"))
    #expect(r.stdout.contains("EXAMPLE"))
  }

  @Test("grade --help and grade list")
  func overviewAndList() throws {
    let help = try GradeBinary.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("COMMANDS:"))
    let list = try GradeBinary.run(["list"])
    #expect(list.status == 0)
    for a in Self.assignments { #expect(list.stdout.contains(a)) }
  }

  @Test("--timing reports a time for one rnn-bptt submission")
  func timing() throws {
    let sub = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path
    let r = try GradeBinary.run(["check", "rnn-bptt", sub, "--student", "demo", "--timing"])
    #expect(r.stderr.contains("graded rnn-bptt for demo in"))
  }
}
