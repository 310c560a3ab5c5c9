import Foundation
import Testing
@testable import Grader

/// Files of formulas: one `item: formula` per line in text, Markdown or LaTeX, or a JSON object
/// of strings; alone, or in a folder beside arrays.
@Suite("Submissions of formulas")
struct FormulaSubmissionTests {
  static let items = ["loss", "dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0", "delta1", "delta2", "dW_h_terms"]

  @Test("Markdown: headings, lists, $…$, code fences, HTML comments and blank lines are tolerated")
  func markdown() {
    let text = """
      # My answers

      Some words about them.
      <!-- a comment
      spanning lines -->
      - dU: $\\frac{1}{T}\\sum_{t=1}^{T} \\delta_1^{(t)} {h^{(t)}}^\\top$
      * **db_2**: `(1/T) sum_t delta1[t]`
      1. `dW_h`: $$\\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\\top$$
      ```
      dW_e: sum_t dz[t] e[t]^T
      ```
      db_1 = sum_t dz[t]
      dh0: W_h^T dz[1]   <!-- the carry into h^(0) -->
      DE: sum_t W_e^T dz[t] x[t]^T
      dU2: sum_t delta1[t]
      """
    let s = FormulaSubmissionReader.parse(text, file: "answers.md", items: Self.items)
    #expect(s.answers["dU"]?.source == #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#)
    #expect(s.answers["dU"]?.origin == "answers.md, line 6")
    #expect(s.answers["dU"]?.column == 8, "the formula starts after `- dU: $`")
    #expect(s.answers["db_2"]?.source == "(1/T) sum_t delta1[t]")
    #expect(s.answers["dW_h"]?.source == #"\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\top"#)
    #expect(s.answers["dW_e"]?.source == "sum_t dz[t] e[t]^T")
    #expect(s.answers["db_1"]?.source == "sum_t dz[t]", "`item = formula` when item is an item id")
    #expect(s.answers["dh0"]?.source == "W_h^T dz[1]")
    #expect(s.answers["dE"] != nil, "an item in another case is that item")
    #expect(s.problems.count == 2, "\(s.problems)")
    #expect(s.problems.contains { $0.contains("line 3") && $0.contains("not `item: formula`") })
    #expect(s.problems.contains { $0.contains("'dU2'") && $0.contains("did you mean 'dU'?") })
  }

  @Test("LaTeX: document structure, \\item, % comments and \\\\ line ends are tolerated")
  func latex() {
    let text = #"""
      \documentclass{article}
      \begin{document}
      \section{BPTT}
      % the output layer
      \begin{itemize}
      \item \texttt{dU}: \( \frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top \) % mean over t
      \item dW\_h: $\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\top$ \\
      \end{itemize}
      \end{document}
      """#
    let s = FormulaSubmissionReader.parse(text, file: "answers.tex", items: Self.items)
    #expect(s.answers["dU"]?.source == #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#)
    #expect(s.answers["dW_h"]?.source == #"\sum_{t=1}^{T} dz^{(t)} {h^{(t-1)}}^\top"#)
    #expect(s.problems.isEmpty, "\(s.problems)")
  }

  @Test("an item given twice is a conflict; a JSON object of strings is a formula file, of arrays not")
  func conflictsAndJSON() throws {
    let twice = FormulaSubmissionReader.parse("dU: a\ndU: b\ndU: c\n", file: "answers.txt", items: Self.items)
    #expect(twice.answers["dU"] == nil)
    #expect(twice.conflicts["dU"]?.contains("line 1") == true && twice.conflicts["dU"]?.contains("line 3") == true, "\(twice.conflicts)")
    let json = try #require(FormulaSubmissionReader.parseJSON(Data(#"{"dU": "(1/T) sum_t delta1[t] h[t]^T", "dh0": "W_h^T dz[1]"}"#.utf8), file: "answers.json", items: Self.items))
    #expect(json.answers["dh0"]?.origin == #"answers.json, key "dh0""#)
    #expect(FormulaSubmissionReader.parseJSON(Data(#"{"dU": [[1, 2]]}"#.utf8), file: "a.json", items: Self.items) == nil)
    #expect(FormulaSubmissionReader.parseJSON(Data("[1, 2]".utf8), file: "a.json", items: Self.items) == nil)
  }

  @Test("grading answers.md, a JSON of formulas, and a folder of arrays beside answers.md")
  func gradingFiles() throws {
    var g = try grader("rnn-bptt")
    g.formulaSeed = 9
    let dir = temporaryDirectory()
    let md = dir.appendingPathComponent("answers.md")
    try """
      # rnn-bptt
      - dU: (1/T) sum_t delta1[t] h[t]^T
      - dW_h: sum_t dz[t] h[t]^T
      - db_1: sum_t dz[t]
      """.write(to: md, atomically: true, encoding: .utf8)
    let report = try SubmissionGrading.grade(md, student: "hana", with: g)
    #expect(report.item("dU")?.status == .pass)
    #expect(report.item("db_1")?.status == .pass)
    #expect(report.item("dW_h")?.diagnosis?.id == "current-state-in-outer-product")
    #expect(report.item("loss")?.status == .missing)
    #expect(report.notes.contains { $0.contains("your formulas were checked at your own inputs and at 3 random points") }, "\(report.notes)")

    let json = dir.appendingPathComponent("formulas.json")
    try Data(#"{"db_2": "(1/T) sum_t delta1[t]", "dh0": "W_h^T dz[1]"}"#.utf8).write(to: json)
    let fromJSON = try SubmissionGrading.grade(json, student: "hana", with: g)
    #expect(fromJSON.item("db_2")?.status == .pass && fromJSON.item("dh0")?.status == .pass)

    // A folder: arrays for some items (the reference), formulas for others, a README ignored.
    let folder = dir.appendingPathComponent("hana")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let reference = g.reference(for: "hana")
    try ArrayFileWriter.write(["loss": reference["loss"]!, "dE": reference["dE"]!], to: folder.appendingPathComponent("arrays.npz"))
    try "- delta1: yhat[t] - y[t]\n- dE: sum_t W_e^T dz[t] x[t]^T\n".write(to: folder.appendingPathComponent("answers.md"), atomically: true, encoding: .utf8)
    try "A note to the grader.\n".write(to: folder.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
    let mixed = try SubmissionGrading.grade(folder, student: "hana", with: g)
    #expect(mixed.item("loss")?.status == .pass, "an array")
    #expect(mixed.item("delta1")?.status == .pass, "a formula")
    #expect(mixed.item("dE")?.status == .error && mixed.item("dE")?.message.contains("answered both by an array and by a formula") == true)
    #expect(mixed.notes.contains { $0.contains("README.md") }, "README.md is ignored: \(mixed.notes)")
  }

  @Test("a file of formulas that answers nothing is unreadable, with its first problem")
  func nothingAnswered() throws {
    let g = try grader("rnn-bptt")
    let file = temporaryDirectory().appendingPathComponent("answers.txt")
    try "Dear grader, here are my thoughts.\n".write(to: file, atomically: true, encoding: .utf8)
    let error = #expect(throws: SubmissionReadError.self) {
      try SubmissionGrading.grade(file, student: "ivy", with: g)
    }
    guard let error, case .noFormulas = error else {
      Issue.record("expected .noFormulas, got \(String(describing: error))")
      return
    }
    #expect(error.description.contains("answers no item") && error.description.contains("line 1"), "\(error)")
  }

  @Test("a JSON object whose first member is not a string is no file of formulas, told before the whole file is read", arguments: [
    (#"{"dU": [[1, 2]], "dh0": "W_h^T dz[1]"}"#, false), (#"  {\#n "d\"U" :\#t-1.5}"#, false), (#"{"dU": NaN}"#, false),
    (#"{"dU": "x", "dh0": [1]}"#, false), (#"{"dU": "(1/T) sum_t delta1[t] h[t]^T"}"#, true), (#"{"dU" "x"}"#, false),
    (#"{}"#, false), (#"{"dU": "#, false), (#"\#u{FEFF}{"dU": [1]}"#, false), (#"{"dU": [1], "dU": "x"}"#, false),
  ])
  func jsonFirstMember(text: String, isFormulas: Bool) {
    let data = Data(text.utf8)
    let submission = FormulaSubmissionReader.parseJSON(data, file: "a.json", items: Self.items)
    #expect((submission != nil) == isFormulas, "\(text)")
    // The shortcut answers only where the full reading answers nil too.
    if FormulaSubmissionReader.firstMemberIsNotAString(data) {
      let full = try? ArrayJSON.parse(data, bounds: ArrayJSON.Bounds())
      if case .object(let members)? = full, let first = members.first, case .string = first.value { Issue.record("\(text)") }
    }
  }
}
