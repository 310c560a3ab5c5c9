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
  public func gradescopeValue() -> JSONValue {
    var output = "\(assignment) — \(title)\nstudent: \(student)    score: \(ItemResult.points(score))/\(ItemResult.points(maxScore))\n"
    if mode != .graded { output += mode.banner + "\n" }
    let passed = items.filter { $0.status == .pass }.count
    output += "\(passed) of \(items.count) items pass."
    for note in notes { output += "\nnote: \(note)" }
    if let isolation { output += "\nstudent code ran under: \(isolation)" }
    let tests: [JSONValue] = items.enumerated().map { k, item in
      var text = item.message
      if let d = item.diagnosis { text += "\nHint: \(d.hint)" }
      return .object([
        ("name", .string("\(item.id) — \(item.statement)")),
        ("number", .string(String(k + 1))),
        ("score", .number(item.points)),
        ("max_score", .number(item.maxPoints)),
        ("status", .string(item.status == .pass ? "passed" : "failed")),
        ("output", .string(text)),
        ("visibility", .string(item.hidden ? "after_published" : "visible")),
      ])
    }
    return .object([
      ("score", .number(score)),
      ("execution_time", .number(seconds)),
      ("output", .string(output)),
      ("output_format", .string("text")),
      ("tests", .array(tests)),
    ])
  }

  /// A results.json for a submission that could not be graded at all: score 0 and the reason.
  public static func gradescopeFailure(_ reason: String) -> JSONValue {
    .object([
      ("score", .number(0)),
      ("execution_time", .number(0)),
      ("output", .string(reason)),
      ("tests", .array([])),
    ])
  }
}
