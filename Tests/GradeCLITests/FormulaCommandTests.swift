import Foundation
import Testing
import Grader

/// Formulas end to end: `grade check` of answers.md, `grade formulas`, a batch of formula
/// submissions, and the Gradescope autograder with a formula file.
@Suite("Formula submissions, end to end", .serialized)
struct FormulaCommandTests {
  /// Every item of window-lm, in the notes' notation (plain and LaTeX mixed).
  static let windowAnswers = #"""
    # window-lm, my derivation
    - loss: $-\log\left(y^\top \hat{y}\right)$
    - delta1: yhat - y
    - dU: $\delta_1 h^\top$
    - db_2: delta1
    - delta2: (U^T delta1) .* sigma'(z)
    - dW: outer(delta2, e)
    - db_1: delta2
    - de: $\mathbf{W}^\top \boldsymbol{\delta}_2$
    - dE: $\sum_{k=1}^{n} {W_e^{(k)}}^\top \delta_2 {x^{(k)}}^\top$
    """#

  static func write(_ text: String, _ name: String, in dir: URL? = nil) throws -> URL {
    let folder = dir ?? temporaryDirectory()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  @Test("grade check of a correct answers.md passes every item, without --student, printing the formulas")
  func correctAnswers() throws {
    let file = try Self.write(Self.windowAnswers, "answers.md")
    let r = try GradeBinary.run(["check", "window-lm", file.path])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("student: anonymous"))
    #expect(r.stdout.contains("Σ_k W_e^(k)ᵀ δ2 x^(k)ᵀ"), "the formula as the notes write it: \(r.stdout)")
    #expect(r.stdout.contains("at 3 random points"))
    #expect(r.stdout.contains("Self-check"))
    let html = try GradeBinary.run(["check", "window-lm", file.path, "--format", "html"])
    #expect(html.stdout.contains("<math xmlns=\"http://www.w3.org/1998/Math/MathML\""))
  }

  @Test("malformed and wrong formulas: exit 1, each item's message with its column, the mistake named")
  func malformedAnswers() throws {
    let file = try Self.write("""
      dU: W_hh h[0]
      db_2: ((1/T) sum_t delta1[t]
      dW_h: sum_t dz[t] h[t+1]^T
      dW_e: sum_t e[t] dz[t]^T
      delta2: (U^T delta1[t]) .* sigma(z[t])
      dh0: W_h^T dz[1]^2
      dE: \\sigm(z[1])
      notanitem: h[0]
      """, "answers.txt")
    let r = try GradeBinary.run(["check", "rnn-bptt", file.path, "--student", "zoe"])
    #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
    for expected in [
      "unknown name `W_hh` at column 1 — did you mean `W_h`?", "(answers.txt, line 1, column 5)",
      "unclosed `(` at column 1", "(answers.txt, line 2, column 7)", "asks for step T+1 (at t = T)",
      "has shape d×H, the transpose of the expected H×d", "sigmoid(z) where sigmoid′(z) belongs",
      "`^2` at column", "unknown LaTeX command `\\sigm` at column 1 — did you mean `\\sigma`?",
      "'notanitem', which is not an item",
    ] {
      #expect(r.stdout.contains(expected), "«\(expected)» in \(r.stdout)")
    }
    let empty = try Self.write("just some words\n", "answers.txt")
    let e = try GradeBinary.run(["check", "rnn-bptt", empty.path, "--student", "zoe"])
    #expect(e.status == 65 && e.stderr.contains("answers no item"), "\(e.stderr)")
  }

  @Test("grade formulas lists every quantity with its spellings and shape, and each item's formula shape")
  func listing() throws {
    let r = try GradeBinary.run(["formulas", "rnn-bptt"])
    #expect(r.status == 0)
    for expected in ["delta1", "δ1", "\\delta_1", "V×H", "0…T", "dz, dJdz", "dW_h_terms", "No formula answers dW_h_terms: ", "V×1 (or its transpose) at each step t = 1…T", "without delta1, delta2, dz"] {
      #expect(r.stdout.contains(expected), "«\(expected)» in \(r.stdout)")
    }
    let none = try GradeBinary.run(["formulas", "ngram-lm"])
    #expect(none.status == 0 && none.stdout.contains("takes no formulas"))
  }

  @Test("grade batch grades formula files and folders that mix them with arrays")
  func batch() throws {
    let dir = temporaryDirectory().appendingPathComponent("submissions")
    _ = try Self.write(Self.windowAnswers, "ann.md", in: dir)
    _ = try Self.write(Self.windowAnswers.replacingOccurrences(of: "delta1: yhat - y", with: "delta1: y - yhat"), "ben.tex", in: dir)
    let cal = dir.appendingPathComponent("cal")
    _ = try Self.write("loss: -y^T log(yhat)\n", "answers.md", in: cal)
    let made = try GradeBinary.run(["reference", "window-lm", "--student", "cal", "--out", cal.appendingPathComponent("arrays.json").path, "--key-file", GradeBinary.keyFile.path])
    #expect(made.status == 0)
    // The arrays answer everything but loss.
    let json = cal.appendingPathComponent("arrays.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
    object["loss"] = nil
    try JSONSerialization.data(withJSONObject: object).write(to: json)
    let out = temporaryDirectory().appendingPathComponent("graded")
    let r = try GradeBinary.run(["batch", "window-lm", dir.path, "--out", out.path, "--key-file", GradeBinary.keyFile.path, "--quiet"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("window-lm")
    let gradebook = try String(contentsOf: out.appendingPathComponent("gradebook.csv"), encoding: .utf8)
    var scores: [String: Double] = [:]
    for line in gradebook.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      scores[String(f[0])] = Double(f[1])
    }
    #expect(scores["ann"] == rubric.maxScore)
    #expect(scores["ben"] == rubric.maxScore - rubric.entry("delta1").points)
    #expect(scores["cal"] == rubric.maxScore, "arrays and a formula in one folder: \(gradebook)")
    let feedback = try String(contentsOf: out.appendingPathComponent("feedback/ben.md"), encoding: .utf8)
    #expect(feedback.contains("sign-flipped") || feedback.contains("opposite sign"), "\(feedback)")
  }

  @Test("the Gradescope autograder grades an uploaded answers.md as a graded run")
  func gradescope() throws {
    let student = "ada@example.edu"
    let root = try GradescopeBundleCLITests.autograder(student: student) { sub in
      _ = try Self.write("""
        loss: (1/T) sum_t -y[t]^T log(yhat[t])
        dU: (1/T) sum_t delta1[t] h[t]^T
        db_2: (1/T) sum_t delta1[t]
        dW_h: sum_t dz[t] h[t-1]^T
        dW_e: sum_t dz[t] e[t]^T
        db_1: sum_t dz[t]
        dE: sum_t W_e^T dz[t] x[t]^T
        dh0: W_h^T dz[1]
        delta1: yhat[t] - y[t]
        delta2: (U^T delta1[t]) .* sigma'(z[t])
        """, "answers.md", in: sub)
    }
    let results = try GradescopeBundleCLITests.runAutograder(root)
    let (_, rubric) = try AssignmentCatalog(root: GradeBinary.packageRoot.appendingPathComponent("Assignments")).load("rnn-bptt")
    #expect(results["score"] as? Double == rubric.maxScore - rubric.entry("dW_h_terms").points, "\(results)")
    #expect((results["output"] as? String)?.contains("Self-check") == false)
  }
}
