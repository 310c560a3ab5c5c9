extension GradeReport {
  /// The report as Gradescope's autograder `results.json`.
  ///
  /// ```
  /// {"score": 12, "execution_time": 0.4, "output": "…", "output_format": "text",
  ///  "tests": [{"name": "dU — ∂J/∂U = …", "number": "2", "score": 2, "max_score": 2,
  ///             "status": "passed" | "failed", "output": "…", "visibility": "visible"}]}
  /// ```
  /// `execution_time` is in seconds. An item passes when it matches; an item the grader could not
  /// verify (needs review) fails with 0 points until the course staff looks. A hidden item's test
  /// has visibility `after_published`: Gradescope shows it to the student only once grades are
  /// published, so its output is the full finding (which holds no reference value unless the
  /// rubric's feedback is `full`). The output's first line says whether this is a grade.
  public func gradescopeResults() -> GradescopeResults {
    var output = "\(assignment) — \(title)\nstudent: \(student)    score: \(ItemResult.points(score))/\(ItemResult.points(maxScore))\n"
    if mode != .graded { output += mode.banner + "\n" }
    let passed = items.filter { $0.status == .pass }.count
    output += "\(passed) of \(items.count) items pass."
    for note in notes { output += "\nnote: \(note)" }
    if let isolation { output += "\nstudent code ran under: \(isolation)" }
    let tests = items.enumerated().map { k, item in
      var text = item.message
      if let d = item.diagnosis { text += "\nHint: \(d.hint)" }
      return GradescopeResults.Test(
        name: "\(item.id) — \(item.statement)", number: String(k + 1), score: item.points, maxScore: item.maxPoints,
        status: item.status == .pass ? "passed" : "failed", output: text,
        visibility: item.hidden ? "after_published" : "visible")
    }
    return GradescopeResults(score: score, executionTime: seconds, output: output, outputFormat: "text", tests: tests)
  }

  /// A results.json for a submission that could not be graded at all: score 0 and the reason.
  public static func gradescopeFailure(_ reason: String) -> GradescopeResults {
    GradescopeResults(score: 0, executionTime: 0, output: reason, outputFormat: nil, tests: [])
  }
}

/// Gradescope's `results.json`.
public struct GradescopeResults: Codable, Sendable {
  public var score: Double
  public var executionTime: Double
  public var output: String
  public var outputFormat: String?
  public var tests: [Test]

  public struct Test: Codable, Sendable {
    public var name: String
    public var number: String
    public var score: Double
    public var maxScore: Double
    public var status: String
    public var output: String
    public var visibility: String

    enum CodingKeys: String, CodingKey {
      case name, number, score, maxScore = "max_score", status, output, visibility
    }
  }

  enum CodingKeys: String, CodingKey {
    case score, executionTime = "execution_time", output, outputFormat = "output_format", tests
  }
}
