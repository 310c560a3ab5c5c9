import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Grader

/// A class of 50 submissions for rnn-bptt, made with `grade reference` and mutated here:
///
/// ```
/// ok-json-00…14, ok-npz-00…14   the reference at the student's inputs          19 points
/// wrong-00…09                   one item scaled by 1.5 (item k mod 11)         19 − its points
/// missing-00, missing-01        one item removed                               19 − its points
/// bad-text, bad-empty, bad-ext, bad-npz   not JSON, an empty folder, a .csv, half an .npz   0
/// crash-00, crash-01            the grading process dies of SIGSEGV             no score, not graded
/// loop-00, loop-01              the grading process never finishes              no score, not graded
/// ```
/// Crashing and looping gradings are stood in for by a worker script (GRADE_BATCH_WORKER) that
/// runs the real `grade` for every other student.
struct BatchClass {
  let submissions: URL
  let worker: URL
  /// The expected score of every student graded (the not-graded have none).
  let expected: [String: Double]
  /// The students the grader cannot grade (their grading crashes or never ends).
  static let notGraded = ["crash-00", "crash-01", "loop-00", "loop-01"]

  static func make() throws -> BatchClass {
    let root = temporaryDirectory()
    let dir = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let (assignment, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let items = assignment.items.map(\.id)
    let full = rubric.maxScore
    var expected: [String: Double] = [:]

    func reference(_ student: String, ext: String) throws -> URL {
      let url = dir.appendingPathComponent("\(student).\(ext)")
      let r = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", url.path, "--key-file", GradeBinary.keyFile.path])
      precondition(r.status == 0, r.stderr)
      return url
    }
    func mutateJSON(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
      var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
      change(&object)
      try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    for k in 0..<15 {
      let a = String(format: "ok-json-%02d", k), b = String(format: "ok-npz-%02d", k)
      _ = try reference(a, ext: "json")
      _ = try reference(b, ext: "npz")
      expected[a] = full
      expected[b] = full
    }
    for k in 0..<10 {
      let student = String(format: "wrong-%02d", k), item = items[k % items.count]
      try mutateJSON(try reference(student, ext: "json")) { object in
        var entry = object[item] as! [String: Any]
        entry["data"] = (entry["data"] as! [Double]).map { $0 * 1.5 + 0.01 }
        object[item] = entry
      }
      expected[student] = full - rubric.entry(item).points
    }
    for k in 0..<2 {
      let student = String(format: "missing-%02d", k), item = items[3 + k]
      try mutateJSON(try reference(student, ext: "json")) { $0[item] = nil }
      expected[student] = full - rubric.entry(item).points
    }
    try Data("this is not JSON".utf8).write(to: dir.appendingPathComponent("bad-text.json"))
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("bad-empty"), withIntermediateDirectories: true)
    try Data("dU = [[1, 2]]".utf8).write(to: dir.appendingPathComponent("bad-ext.csv"))
    let npz = try Data(contentsOf: try reference("bad-npz", ext: "npz"))
    try npz.prefix(npz.count / 2).write(to: dir.appendingPathComponent("bad-npz.npz"))
    for student in ["bad-text", "bad-empty", "bad-ext", "bad-npz"] { expected[student] = 0 }
    for student in notGraded {
      _ = try reference(student, ext: "json")
    }

    let worker = root.appendingPathComponent("worker.sh")
    try """
      #!/bin/bash
      # Arguments: check <assignment> <submission> --student <id> …
      case "$5" in
        crash-*) kill -SEGV $$ ;;
        loop-*) exec sleep 60 ;;
      esac
      exec "\(GradeBinary.url.path)" "$@"
      """.write(to: worker, atomically: true, encoding: .utf8)
    chmod(worker.path, 0o755)
    return BatchClass(submissions: dir, worker: worker, expected: expected)
  }

  /// Runs `grade batch` to the end.
  func run(out: URL) throws -> GradeBinary.Output {
    try GradeBinary.run(["batch", "rnn-bptt", submissions.path, "--out", out.path, "--jobs", "2", "--timeout", "2", "--key-file", GradeBinary.keyFile.path], environment: ["GRADE_BATCH_WORKER": worker.path])
  }
}

@Suite("grade batch, end to end", .serialized)
struct BatchTests {
  static let theClass = Result { try BatchClass.make() }

  /// The scores of the gradebook; a row with an empty score (not graded) has none.
  static func gradebook(_ out: URL) throws -> [String: Double] {
    let text = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8)
    var scores: [String: Double] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      if let score = Double(fields[1]) { scores[String(fields[0])] = score }
    }
    return scores
  }

  @Test("50 mixed submissions grade completely with the right scores; crashes and loops cost only their own")
  func wholeClass() throws {
    let c = try Self.theClass.get()
    #expect(c.expected.count + BatchClass.notGraded.count == 50)
    let out = temporaryDirectory().appendingPathComponent("graded")
    let r = try c.run(out: out)
    #expect(r.status == 1, "some gradings crashed, so the exit code is 1: \(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("Graded 50 students"))
    #expect(r.stdout.contains("crash-00, crash-01, loop-00, loop-01"))
    #expect(try Self.gradebook(out) == c.expected)

    let header = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8).split(separator: "\n")[0]
    #expect(header == "student,score,max_score,status,loss,dU,db_2,dW_h,dW_e,db_1,dE,dh0,delta1,delta2,dW_h_terms")
    // The status tells a crash or an unreadable file from a real 0.
    let rows = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
    let status = Dictionary(uniqueKeysWithValues: rows.map { line in
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      return (String(fields[0]), String(fields[3]))
    })
    for (student, s) in status {
      let expected = student.hasPrefix("crash") || student.hasPrefix("loop") ? "not-graded" : student.hasPrefix("bad") ? "unreadable" : "graded"
      #expect(s == expected, "\(student): \(s)")
    }
    // A student not graded has no score, not a 0: the score and item cells are empty.
    for line in rows where BatchClass.notGraded.contains(where: { line.hasPrefix($0 + ",") }) {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      #expect(fields[1].isEmpty && fields.dropFirst(4).allSatisfy(\.isEmpty), "\(line)")
    }
    for student in Array(c.expected.keys) + BatchClass.notGraded {
      for file in ["feedback/\(student).md", "feedback/\(student).html", "results/\(student).json"] {
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
      }
    }
    let crash = try String(contentsOf: out.appendingPathComponent("feedback/crash-00.md"), encoding: .utf8)
    #expect(crash.contains("not graded (infrastructure): the grading process crashed (signal 11"), "\(crash)")
    let loop = try String(contentsOf: out.appendingPathComponent("feedback/loop-00.md"), encoding: .utf8)
    #expect(loop.contains("took longer than 2 s"))
    let unreadable = try String(contentsOf: out.appendingPathComponent("feedback/bad-text.md"), encoding: .utf8)
    #expect(unreadable.contains("could not be read"))
    let summary = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
    #expect(summary.contains("**Students:** 50"))
    #expect(summary.contains("| 4 | `(whole submission)` | the submission could not be read at all |"))
    #expect(summary.contains("**Full marks:** 30 of 50"))
    // Nothing half-written or temporary is left behind.
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") || $0.contains(".work") }
    #expect(leftovers.isEmpty, "\(leftovers)")
  }

  @Test("killed midway and run again, a batch resumes and writes the same gradebook byte for byte")
  func resume() throws {
    let c = try Self.theClass.get()
    let reference = temporaryDirectory().appendingPathComponent("clean")
    _ = try c.run(out: reference)

    let out = temporaryDirectory().appendingPathComponent("interrupted")
    let process = Process()
    process.executableURL = GradeBinary.url
    process.arguments = ["batch", "rnn-bptt", c.submissions.path, "--out", out.path, "--jobs", "2", "--timeout", "2", "--quiet", "--key-file", GradeBinary.keyFile.path]
    var env = ProcessInfo.processInfo.environment
    env["GRADE_BATCH_WORKER"] = c.worker.path
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let results = out.appendingPathComponent("results")
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      let done = ((try? FileManager.default.contentsOfDirectory(atPath: results.path)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
      if done.count >= 16 { break }   // at least 12 of them graded: the 4 not graded are graded again
      usleep(5_000)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("gradebook.csv").path), "killed before the end")
    // Every result file present is complete.
    for name in try FileManager.default.contentsOfDirectory(atPath: results.path) where name.hasSuffix(".json") && !name.hasPrefix(".") {
      #expect(throws: Never.self) { try GradeRecord.decode(Data(contentsOf: results.appendingPathComponent(name))) }
    }

    let again = try c.run(out: out)
    #expect(again.stdout.contains("from an earlier run"), "\(again.stdout)")
    let resumed = again.stdout.components(separatedBy: " now, ").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
    #expect(resumed >= 12)
    let a = try Data(contentsOf: reference.appendingPathComponent("gradebook.csv"))
    let b = try Data(contentsOf: out.appendingPathComponent("gradebook.csv"))
    #expect(a == b)
    #expect(try Data(contentsOf: reference.appendingPathComponent("summary.md")) == Data(contentsOf: out.appendingPathComponent("summary.md")))
    // A third run grades only the students not graded, again, and changes nothing.
    let third = try c.run(out: out)
    #expect(third.stdout.contains("(4 now, 46 from an earlier run"), "\(third.stdout)")
    #expect(try Data(contentsOf: out.appendingPathComponent("gradebook.csv")) == a)
  }

  @Test("usage and data errors: no --out, no key (nor --self-check), both, two files for one student")
  func errors() throws {
    let dir = temporaryDirectory()
    let noOut = try GradeBinary.run(["batch", "rnn-bptt", dir.path])
    #expect(noOut.status == 64 && noOut.stderr.contains("--out"))
    let out = dir.appendingPathComponent("out").path
    let noKey = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out])
    #expect(noKey.status == 64 && noKey.stderr.contains("needs the course key") && noKey.stderr.contains("--self-check"), "\(noKey.stderr)")
    let both = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out, "--self-check", "--key-file", GradeBinary.keyFile.path])
    #expect(both.status == 64 && both.stderr.contains("choose one"))
    for name in ["amy.json", "amy.npz"] { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data()) }
    let duplicate = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out, "--key-file", GradeBinary.keyFile.path])
    #expect(duplicate.status == 65 && duplicate.stderr.contains("Student 'amy' has 2 submissions"))
  }

  @Test("--self-check grades nothing: every row says self-check; a graded run of the same folder regrades everyone")
  func selfCheckBatch() throws {
    let root = temporaryDirectory()
    let dir = root.appendingPathComponent("submissions")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for student in ["ada", "bo"] {
      let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", dir.appendingPathComponent("\(student).json").path, "--key-file", GradeBinary.keyFile.path])
      #expect(made.status == 0, "\(made.stderr)")
    }
    let out = root.appendingPathComponent("graded")
    let practice = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out.path, "--self-check", "--quiet"], environment: [CourseKey.environmentVariable: GradeBinary.keyFile.path])
    #expect(practice.status == 0, "\(practice.stderr)")
    #expect(practice.stdout.contains("Self-checked (not graded) 2 students"))
    func statuses() throws -> [String] {
      try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        .map { String($0.split(separator: ",")[3]) }
    }
    #expect(try statuses() == ["self-check", "self-check"])
    let feedback = try String(contentsOf: out.appendingPathComponent("feedback/ada.md"), encoding: .utf8)
    #expect(feedback.contains("Self-check, not a grade"))
    let graded = try GradeBinary.run(["batch", "rnn-bptt", dir.path, "--out", out.path, "--key-file", GradeBinary.keyFile.path, "--quiet"])
    #expect(graded.stdout.contains("(2 now, 0 from an earlier run"), "\(graded.stdout)")
    #expect(try statuses() == ["graded", "graded"])
  }
}

@Suite("check --format junit, gradescope, prairielearn, html")
struct IntegrationFormatCLITests {
  static let demo = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path

  @Test("JUnit XML parses with Foundation's XMLParser, one testcase per item")
  func junit() throws {
    let r = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "demo", "--format", "junit"])
    #expect(r.status == 0)
    final class Count: NSObject, XMLParserDelegate {
      var testcases = 0
      func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        if name == "testcase" { testcases += 1 }
      }
    }
    let count = Count()
    let parser = XMLParser(data: Data(r.stdout.utf8))
    parser.delegate = count
    #expect(parser.parse())
    #expect(count.testcases == 11)
  }

  @Test("results.json and PrairieLearn results carry their fields")
  func jsonFormats() throws {
    let gs = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "demo", "--format", "gradescope"])
    let g = try #require(try JSONSerialization.jsonObject(with: Data(gs.stdout.utf8)) as? [String: Any])
    #expect(g["score"] as? Double == 19)
    #expect(g["execution_time"] != nil && g["output"] is String)
    let tests = try #require(g["tests"] as? [[String: Any]])
    #expect(tests.count == 11 && tests.allSatisfy { $0["status"] as? String == "passed" && $0["visibility"] as? String == "visible" && $0["number"] is String })
    let pl = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "demo", "--format", "prairielearn"])
    let p = try #require(try JSONSerialization.jsonObject(with: Data(pl.stdout.utf8)) as? [String: Any])
    #expect(p["score"] as? Double == 1 && p["gradable"] as? Bool == true && (p["format_errors"] as? [Any])?.isEmpty == true)
    #expect((p["tests"] as? [[String: Any]])?.count == 11)
  }

  @Test("--format html writes one page with the BPTT pictures")
  func html() throws {
    let file = temporaryDirectory().appendingPathComponent("demo.html")
    let r = try GradeBinary.run(["check", "rnn-bptt", Self.demo, "--student", "demo", "--format", "html", "--out", file.path])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: file, encoding: .utf8)
    #expect(html.contains("How the gradient travels back through time") && html.contains("‖∂J^(T)/∂W_h|_(i)‖_F"))
  }
}

@Suite("The Gradescope bundle, run locally", .serialized)
struct GradescopeBundleCLITests {
  /// Lays the bundle out as Gradescope would (/autograder/source), with a submission.
  static func autograder(student: String?, submission: (URL) throws -> Void) throws -> URL {
    let root = temporaryDirectory().appendingPathComponent("autograder")
    let (assignment, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    let key = try CourseKey.load(GradeBinary.keyFile)
    let bundle = GradescopeBundle(assignment: assignment, rubricFile: URL(fileURLWithPath: rubric.file), packageRoot: GradeBinary.packageRoot, swiftVersion: "6.3.1", studentField: "email", courseKey: key)
    for member in try bundle.members() where member.path == "run_autograder" || member.path == GradescopeBundle.keyMember || member.path.hasPrefix("Assignments/") || member.path.hasPrefix("Rubrics/") {
      let url = root.appendingPathComponent("source").appendingPathComponent(member.path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try member.contents.write(to: url)
    }
    let sub = root.appendingPathComponent("submission")
    try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
    try submission(sub)
    if let student {
      try Data(#"{"id": 1, "users": [{"email": "\#(student)", "id": 7, "name": "A Student"}], "assignment": {"title": "BPTT"}}"#.utf8)
        .write(to: root.appendingPathComponent("submission_metadata.json"))
    }
    return root
  }

  static func runAutograder(_ root: URL, grade: URL = GradeBinary.url) throws -> [String: Any] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [root.appendingPathComponent("source/run_autograder").path]
    var env = ProcessInfo.processInfo.environment
    env["AUTOGRADER_ROOT"] = root.path
    env["GRADE_BIN"] = grade.path
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    let data = try Data(contentsOf: root.appendingPathComponent("results/results.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  @Test("run_autograder grades the submission as the student of submission_metadata.json")
  func grades() throws {
    let student = "ann@example.edu"
    let root = try Self.autograder(student: student) { sub in
      let made = try GradeBinary.run(["reference", "rnn-bptt", "--student", student, "--out", sub.appendingPathComponent("answers.npz").path, "--key-file", GradeBinary.keyFile.path])
      precondition(made.status == 0, made.stderr)
    }
    let results = try Self.runAutograder(root)
    #expect(results["score"] as? Double == 19)
    for key in ["execution_time", "output", "tests"] { #expect(results[key] != nil, "\(key)") }
    #expect((results["tests"] as? [[String: Any]])?.count == 11)
    // A graded run: the output does not call it a self-check.
    #expect((results["output"] as? String)?.contains("Self-check") == false, "\(results)")
  }

  @Test("run_autograder always writes results: unreadable file, crashing grader, no student id")
  func failures() throws {
    let unreadable = try Self.autograder(student: "bo@example.edu") { sub in
      try Data("not arrays".utf8).write(to: sub.appendingPathComponent("answers.json"))
    }
    let a = try Self.runAutograder(unreadable)
    #expect(a["score"] as? Double == 0)
    #expect((a["output"] as? String)?.contains("could not be read") == true)

    let crashing = try Self.autograder(student: "cy@example.edu") { sub in
      try Data("{}".utf8).write(to: sub.appendingPathComponent("answers.json"))
    }
    let fake = crashing.appendingPathComponent("crashing-grade")
    try "#!/bin/bash\nkill -SEGV $$\n".write(to: fake, atomically: true, encoding: .utf8)
    chmod(fake.path, 0o755)
    let b = try Self.runAutograder(crashing, grade: fake)
    #expect(b["score"] as? Double == 0)
    #expect((b["output"] as? String)?.contains("exit status 139") == true, "\(b)")

    let anonymous = try Self.autograder(student: nil) { sub in
      try Data("{}".utf8).write(to: sub.appendingPathComponent("answers.json"))
    }
    let c = try Self.runAutograder(anonymous)
    #expect(c["score"] as? Double == 0 && (c["output"] as? String)?.contains("No student id") == true)
  }

  @Test("grade gradescope-bundle writes a ZIP Python's zipfile accepts")
  func zip() throws {
    let file = temporaryDirectory().appendingPathComponent("autograder.zip")
    let noKey = try GradeBinary.run(["gradescope-bundle", "rnn-bptt", "--out", file.path])
    #expect(noKey.status == 64 && noKey.stderr.contains("needs the course key"), "\(noKey.stderr)")
    let r = try GradeBinary.run(["gradescope-bundle", "rnn-bptt", "--out", file.path, "--key-file", GradeBinary.keyFile.path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("a Gradescope autograder for rnn-bptt") && r.stdout.contains("keep it private"))
    let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
    #expect(mode == 0o600, "the bundle holds the key: \(String(mode ?? 0, radix: 8))")
    let status = try GradeBinary.python(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; n = z.namelist(); assert 'setup.sh' in n and 'run_autograder' in n and 'course.key' in n, n; assert z.read('course.key') == open(sys.argv[2], 'rb').read()", file.path, GradeBinary.keyFile.path])
    #expect(status == 0)
  }
}
