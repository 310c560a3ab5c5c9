import Foundation
import Testing
import Grader

/// A reading of the block YAML GitHub Actions workflows are written in — enough for
/// `Integrations/github-actions/grade.yml`: mappings, sequences (`- `), plain and quoted scalars,
/// `|` block scalars and comments. Not a YAML parser: anything else is a test failure.
indirect enum WorkflowYAML: Equatable {
  case scalar(String)
  case list([WorkflowYAML])
  case map([(String, WorkflowYAML)])

  static func == (a: WorkflowYAML, b: WorkflowYAML) -> Bool { "\(a)" == "\(b)" }

  subscript(key: String) -> WorkflowYAML? {
    guard case .map(let pairs) = self else { return nil }
    return pairs.first { $0.0 == key }?.1
  }
  var string: String? { if case .scalar(let s) = self { return s } else { return nil } }
  var items: [WorkflowYAML] { if case .list(let l) = self { return l } else { return [] } }
  var keys: [String] { if case .map(let pairs) = self { return pairs.map(\.0) } else { return [] } }

  struct Malformed: Error, CustomStringConvertible { var description: String }

  /// The document of `text`.
  static func parse(_ text: String) throws -> WorkflowYAML {
    // Lines without comments; block scalars keep theirs.
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var k = 0
    return try block(lines, &k, indent: 0)
  }

  private static func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
  private static func isBlank(_ line: String) -> Bool {
    let t = line.trimmingCharacters(in: .whitespaces)
    return t.isEmpty || t.hasPrefix("#")
  }

  /// The mapping or sequence whose lines are indented by `indent`.
  private static func block(_ lines: [String], _ k: inout Int, indent: Int) throws -> WorkflowYAML {
    while k < lines.count && isBlank(lines[k]) { k += 1 }
    guard k < lines.count else { return .map([]) }
    if lines[k].dropFirst(indent).hasPrefix("- ") {
      var items: [WorkflowYAML] = []
      while k < lines.count {
        if isBlank(lines[k]) { k += 1; continue }
        guard indentation(lines[k]) == indent, lines[k].dropFirst(indent).hasPrefix("- ") else { break }
        // "- key: value" opens a mapping indented by indent + 2: read it as such.
        var rest = lines[k]
        rest.replaceSubrange(rest.index(rest.startIndex, offsetBy: indent)..<rest.index(rest.startIndex, offsetBy: indent + 2), with: "  ")
        if rest.contains(": ") || rest.hasSuffix(":") {
          var copy = lines
          copy[k] = rest
          items.append(try block(copy, &k, indent: indent + 2))
        } else {
          items.append(.scalar(unquote(rest.trimmingCharacters(in: .whitespaces))))
          k += 1
        }
      }
      return .list(items)
    }
    var pairs: [(String, WorkflowYAML)] = []
    while k < lines.count {
      if isBlank(lines[k]) { k += 1; continue }
      let line = lines[k]
      guard indentation(line) == indent else {
        if indentation(line) > indent { throw Malformed(description: "line \(k + 1) is indented unexpectedly: \(line)") }
        break
      }
      let body = line.dropFirst(indent)
      guard let colon = body.range(of: ": ") ?? (body.hasSuffix(":") ? body.index(before: body.endIndex)..<body.endIndex : nil) else {
        throw Malformed(description: "line \(k + 1) is not 'key: value': \(line)")
      }
      let key = unquote(String(body[..<colon.lowerBound]))
      let value = String(body[colon.upperBound...]).trimmingCharacters(in: .whitespaces)
      k += 1
      if value == "|" || value == "|-" {
        var text: [String] = []
        var inner: Int?
        while k < lines.count {
          let l = lines[k]
          if l.trimmingCharacters(in: .whitespaces).isEmpty { text.append(""); k += 1; continue }
          let n = indentation(l)
          if n <= indent { break }
          inner = inner ?? n
          text.append(String(l.dropFirst(min(n, inner!))))
          k += 1
        }
        while text.last == "" { text.removeLast() }
        pairs.append((key, .scalar(text.joined(separator: "\n") + "\n")))
      } else if value.isEmpty {
        var next = k
        while next < lines.count && isBlank(lines[next]) { next += 1 }
        let childIndent = next < lines.count ? indentation(lines[next]) : indent
        let isList = next < lines.count && lines[next].dropFirst(childIndent).hasPrefix("- ")
        pairs.append((key, childIndent > indent || (isList && childIndent == indent) ? try block(lines, &k, indent: childIndent) : .scalar("")))
      } else {
        var v = value
        if !v.hasPrefix("'") && !v.hasPrefix("\""), let hash = v.range(of: " #") { v = String(v[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        pairs.append((key, .scalar(unquote(v))))
      }
    }
    return .map(pairs)
  }

  private static func unquote(_ s: String) -> String {
    if s.count >= 2, (s.hasPrefix("'") && s.hasSuffix("'")) || (s.hasPrefix("\"") && s.hasSuffix("\"")) { return String(s.dropFirst().dropLast()) }
    return s
  }
}

@Suite("The GitHub Actions template")
struct ActionsWorkflowTests {
  static let file = GradeBinary.packageRoot.appendingPathComponent("Integrations/github-actions/grade.yml")

  static func workflow() throws -> WorkflowYAML { try WorkflowYAML.parse(try String(contentsOf: file, encoding: .utf8)) }

  static func steps() throws -> [WorkflowYAML] { try #require(try workflow()["jobs"]?["grade"]?["steps"]).items }

  static func step(_ name: String) throws -> WorkflowYAML {
    try #require(try steps().first { $0["name"]?.string == name }, "no step '\(name)'")
  }

  @Test("the reader reads mappings, lists, quoted scalars and block scalars")
  func reader() throws {
    let y = try WorkflowYAML.parse("a: 1  # one\nb:\n  - name: x\n    run: |\n      echo hi\n      echo there\n  - plain\nc: 'q: r'\n")
    #expect(y["a"]?.string == "1" && y["c"]?.string == "q: r")
    #expect(y["b"]?.items.count == 2 && y["b"]?.items[0]["run"]?.string == "echo hi\necho there\n" && y["b"]?.items[1].string == "plain")
    #expect(throws: WorkflowYAML.Malformed.self) { try WorkflowYAML.parse("a: 1\n   b: 2\n") }
  }

  @Test("every step the course repository needs, in order: id, grader, build, grade, reports, the job's failure")
  func steps() throws {
    let w = try Self.workflow()
    #expect(w["on"]?.keys.contains("push") == true)
    #expect(w["permissions"]?["contents"]?.string == "read")
    let env = try #require(w["env"])
    #expect(env["STUDENT_ID"] == nil, "no workflow-wide id: it would be the same for every student")
    #expect(env["CLASSROOM_PREFIX"]?.string?.contains("vars.CLASSROOM_PREFIX") == true)
    #expect(env["FIXED_STUDENT_ID"]?.string == "${{ vars.STUDENT_ID }}")
    let text = try String(contentsOf: Self.file, encoding: .utf8)
    #expect(!text.contains("repository_owner"), "the organisation is not a student")
    let names = try Self.steps().compactMap { $0["name"]?.string }
    let order = ["Check out the homework", "Choose the student id", "Check out the grader", "Cache the grader's build", "Install python3 and NumPy for a Python submission", "Build grade", "Grade", "Upload the reports", "Fail when an item does not pass"]
    #expect(names == order)
    #expect(try Self.step("Check out the grader")["with"]?["repository"]?.string == "${{ vars.GRADER_REPOSITORY }}")
    #expect(try Self.step("Build grade")["run"]?.string?.contains("swift build -c release --product grade --package-path .grader") == true)
    let grade = try #require(try Self.step("Grade")["run"]?.string)
    #expect(grade.contains("--student \"$STUDENT_ID\"") && grade.contains("--format junit") && grade.contains("$GITHUB_STEP_SUMMARY"))
    #expect(!grade.contains("--key-file") && !text.contains("secrets."), "a self-check: the course key never reaches a student's repository")
    #expect(try Self.step("Install python3 and NumPy for a Python submission")["run"]?.string?.contains("python3-numpy") == true)
    #expect(try Self.step("Upload the reports")["if"]?.string == "always()")
    #expect(try Self.step("Fail when an item does not pass")["if"]?.string == "steps.grade.outputs.status != '0'")
  }

  struct IDCase: CustomStringConvertible, Sendable {
    var repository: String
    var actor: String
    var prefix: String
    var fixed: String
    var expected: String
    var description: String { "\(repository) by \(actor), prefix '\(prefix)', fixed '\(fixed)' → \(expected)" }
  }

  static let idCases = [
    IDCase(repository: "cs-course/rnn-bptt-alice", actor: "alice", prefix: "rnn-bptt", fixed: "", expected: "alice"),
    IDCase(repository: "cs-course/rnn-bptt-alice", actor: "ta-bob", prefix: "rnn-bptt", fixed: "", expected: "alice"),
    IDCase(repository: "cs-course/rnn-bptt-team-7", actor: "carol", prefix: "rnn-bptt", fixed: "", expected: "team-7"),
    IDCase(repository: "cs-course/homework", actor: "dave", prefix: "rnn-bptt", fixed: "", expected: "dave"),
    IDCase(repository: "cs-course/rnn-bptt-", actor: "erin", prefix: "rnn-bptt", fixed: "", expected: "erin"),
    IDCase(repository: "cs-course/rnn-bptt-alice", actor: "alice", prefix: "rnn-bptt", fixed: "alice@example.edu", expected: "alice@example.edu"),
  ]

  @Test("the id step's script, run as the runner runs it: the Classroom suffix, else the actor", arguments: idCases)
  func studentID(_ c: IDCase) throws {
    let script = try #require(try Self.step("Choose the student id")["run"]?.string)
    let dir = temporaryDirectory()
    let env = dir.appendingPathComponent("github_env")
    try Data().write(to: env)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-e", "-c", script]
    p.environment = ["PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": c.repository, "GITHUB_ACTOR": c.actor, "GITHUB_ENV": env.path,
                     "CLASSROOM_PREFIX": c.prefix, "FIXED_STUDENT_ID": c.fixed]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(try String(contentsOf: env, encoding: .utf8) == "STUDENT_ID=\(c.expected)\n")
  }
}
