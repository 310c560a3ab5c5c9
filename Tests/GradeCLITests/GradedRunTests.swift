import Foundation
import Testing
import Grader

/// The course key on the command line: making one, the commands that need it, self-check and
/// graded runs of code, and code that recognises the hidden sets the old public seeds gave.
@Suite("Graded runs and the course key, end to end", .serialized)
struct GradedRunTests {
  static let keyArguments = ["--key-file", GradeBinary.keyFile.path]

  @Test("grade key new: 64 hexadecimal digits after comments, new each time; --out is readable by its owner only and never overwritten")
  func keyNew() throws {
    let a = try GradeBinary.run(["key", "new"]), b = try GradeBinary.run(["key", "new"])
    #expect(a.status == 0 && b.status == 0)
    #expect(a.stdout != b.stdout)
    let key = try CourseKey.parse(a.stdout)
    #expect(key.bytes.count == 32)
    #expect(a.stdout.hasPrefix("#") && a.stderr.contains("chmod 600"))
    let file = temporaryDirectory().appendingPathComponent("course.key")
    let made = try GradeBinary.run(["key", "new", "--out", file.path])
    #expect(made.status == 0, "\(made.stderr)")
    let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let before = try Data(contentsOf: file)
    #expect(try GradeBinary.run(["key", "new", "--out", file.path]).status == 65)
    #expect(try Data(contentsOf: file) == before)
    #expect(try GradeBinary.run(["key", "old"]).status == 64)
  }

  @Test("grade reference needs the key (exit 64) and refuses a key file others may read (exit 65); with it, it works")
  func referenceNeedsTheKey() throws {
    let out = temporaryDirectory().appendingPathComponent("ref.json").path
    let bare = try GradeBinary.run(["reference", "rnn-bptt", "--student", "ada", "--out", out])
    #expect(bare.status == 64)
    #expect(bare.stderr.contains("grade reference needs the course key") && bare.stderr.contains(CourseKey.environmentVariable))
    #expect(!FileManager.default.fileExists(atPath: out))
    let open = temporaryDirectory().appendingPathComponent("open.key")
    try Data(try String(contentsOf: GradeBinary.keyFile, encoding: .utf8).utf8).write(to: open)
    chmod(open.path, 0o644)
    let refused = try GradeBinary.run(["reference", "rnn-bptt", "--student", "ada", "--out", out, "--key-file", open.path])
    #expect(refused.status == 65 && refused.stderr.contains("chmod 600"), "\(refused.stderr)")
    let withKey = try GradeBinary.run(["reference", "rnn-bptt", "--student", "ada", "--out", out] + Self.keyArguments)
    #expect(withKey.status == 0, "\(withKey.stderr)")
    let byEnvironment = try GradeBinary.run(["reference", "rnn-bptt", "--student", "ada", "--out", out], environment: [CourseKey.environmentVariable: GradeBinary.keyFile.path])
    #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
  }

  @Test("inputs --hidden-set needs the key; the hidden set is not the student's own")
  func hiddenSetInputs() throws {
    let dir = temporaryDirectory()
    let own = dir.appendingPathComponent("own.json"), hidden = dir.appendingPathComponent("hidden.json")
    #expect(try GradeBinary.run(["inputs", "rnn-bptt", "--student", "ada", "--out", hidden.path, "--hidden-set", "1"]).status == 64)
    #expect(try GradeBinary.run(["inputs", "rnn-bptt", "--student", "ada", "--out", own.path]).status == 0)
    let r = try GradeBinary.run(["inputs", "rnn-bptt", "--student", "ada", "--out", hidden.path, "--hidden-set", "1"] + Self.keyArguments)
    #expect(r.status == 0 && r.stdout.contains("hidden input set 1 of ada"), "\(r.stdout)\(r.stderr)")
    #expect(try Data(contentsOf: own) != Data(contentsOf: hidden))
  }

  @Test("check --show-reference is for the course staff: it needs the key")
  func showReference() throws {
    let demo = GradeBinary.packageRoot.appendingPathComponent("Assignments/rnn-bptt/examples/demo.npz").path
    #expect(try GradeBinary.run(["check", "rnn-bptt", demo, "--student", "ada", "--show-reference"]).status == 64)
    let r = try GradeBinary.run(["check", "rnn-bptt", demo, "--student", "ada", "--show-reference"] + Self.keyArguments)
    #expect(r.status == 1 && r.stdout.contains("expected "), "\(r.stdout)")
    let student = try GradeBinary.run(["check", "rnn-bptt", demo, "--student", "ada"] + Self.keyArguments)
    #expect(student.status == 1 && !student.stdout.contains("expected ") && student.stdout.contains("(graded)"))
  }

  @Test("explain shows every number at the demo inputs; at a student's, formulas and shapes unless the key is given")
  func explain() throws {
    let demo = try GradeBinary.run(["explain", "rnn-bptt", "dW_h"])
    #expect(demo.status == 0 && !demo.stdout.contains("withheld"))
    let own = try GradeBinary.run(["explain", "rnn-bptt", "dW_h", "--student", "ada"])
    #expect(own.status == 0 && own.stdout.contains("The values are withheld"))
    #expect(own.stdout.contains("∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i)"))
    let row = #"\[\s+-?[0-9]"#
    #expect(own.stdout.range(of: row, options: .regularExpression) == nil, "no row of numbers: \(own.stdout)")
    let staff = try GradeBinary.run(["explain", "rnn-bptt", "dW_h", "--student", "ada"] + Self.keyArguments)
    #expect(staff.status == 0 && !staff.stdout.contains("withheld") && staff.stdout.range(of: row, options: .regularExpression) != nil)
  }

  // MARK: Code

  /// A Swift literal of `t`: a number, an array, or an array of rows.
  static func literal(_ t: Tensor) -> String {
    switch t.shape.count {
    case 0: return "\(t.scalars[0])"
    case 1: return "[" + t.scalars.map { "\($0)" }.joined(separator: ", ") + "]"
    default:
      let cols = t.shape[1]
      return "[" + (0..<t.shape[0]).map { i in "[" + t.scalars[(i * cols)..<((i + 1) * cols)].map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
    }
  }

  /// rnn-canonical code that computes nothing: it recognises the student's own inputs and the
  /// hidden set 1 the old public seed "<assignment>/<student>#hidden-0" gave, by h0[0], and
  /// returns the reference it precomputed for each (and its own answer otherwise).
  static func predictingSolution(student: String, in dir: URL) throws -> URL {
    let (assignment, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-canonical")
    let grader = Autograder(assignment: assignment, rubric: rubric)
    let own = grader.inputs(for: student)
    var rng = StudentVariant.generator(assignment: assignment.id, student: "\(student)#hidden-0")
    let old = assignment.model.generateInputs(using: &rng)
    let ownReference = assignment.model.reference(inputs: own), oldReference = assignment.model.reference(inputs: old)
    var source = "import Foundation\n\n"
    for item in assignment.items {
      let type = ["Double", "[Double]", "[[Double]]"][item.shape.count]
      source += """
        func \(item.id)(_ p: Inputs) -> \(type)? {
          if abs(p.h0[0] - (\(old["h0"]!.scalars[0]))) < 1e-12 { return \(literal(oldReference[item.id]!)) }
          return \(literal(ownReference[item.id]!))
        }

        """
    }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try source.write(to: dir.appendingPathComponent("Solution.swift"), atomically: true, encoding: .utf8)
    return dir
  }

  @Test("code that returns precomputed values for the old public hidden set scores 0 when graded with the key; its self-check says it is none")
  func predictableHiddenSetCheatFails() throws {
    guard SwiftSubmissionTests.hasSwiftc else { print("skipped: swiftc is not available"); return }
    let student = "mo"
    let code = try Self.predictingSolution(student: student, in: temporaryDirectory().appendingPathComponent("predicting"))
    let graded = try GradeBinary.run(["check", "rnn-canonical", code.path, "--student", student, "--format", "json"] + Self.keyArguments)
    #expect(graded.status == 1, "\(graded.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(graded.stdout.utf8)) as? [String: Any])
    #expect(report["mode"] as? String == "graded")
    #expect(report["score"] as? Double == 0, "\(graded.stdout)")
    let items = try #require(report["items"] as? [[String: Any]])
    #expect(items.allSatisfy { $0["status"] as? String == "fail" && ($0["message"] as? String)?.contains("not at the hidden input set") == true })
    #expect((report["notes"] as? [String])?.contains { $0.contains("also run on 1 hidden input set") } == true)

    // Without the key nothing catches it — and the report says it is a self-check, not a grade.
    let practice = try GradeBinary.run(["check", "rnn-canonical", code.path, "--student", student, "--format", "json"])
    let selfCheck = try #require(try JSONSerialization.jsonObject(with: Data(practice.stdout.utf8)) as? [String: Any])
    #expect(selfCheck["mode"] as? String == "self-check")
    let notes = selfCheck["notes"] as? [String] ?? []
    #expect(notes.contains { $0.contains("self-check, not a grade") })
    #expect(!notes.contains { $0.contains("hidden input set") && $0.contains("also run on") }, "no hidden set without the key")
  }
}
