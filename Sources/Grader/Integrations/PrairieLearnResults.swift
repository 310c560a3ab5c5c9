extension GradeReport {
  /// The report as PrairieLearn's external grader results (`results.json`).
  ///
  /// ```
  /// {"gradable": true, "score": 0.63, "message": "12 of 19 points …", "output": "…",
  ///  "format_errors": ["'dU' could not be read: …"],
  ///  "tests": [{"name": "dU", "description": "∂J/∂U = …", "points": 2, "max_points": 2,
  ///             "message": "…", "output": "…"}]}
  /// ```
  /// `score` is the fraction of the points, in [0, 1]. `format_errors` lists the items that could
  /// not be read (or whose code failed); when no item at all could be read or run the
  /// submission is not gradable, so PrairieLearn does not count it as an attempt. Hidden items
  /// say only "hidden item" unless `showHidden`. The message says when the report is not a grade.
  public func prairieLearnValue(showHidden: Bool = false) -> JSONValue {
    let unreadable = items.filter { $0.status == .error }
    let gradable = items.isEmpty || unreadable.count < items.count
    let fraction = maxScore > 0 ? Swift.min(Swift.max(score / maxScore, 0), 1) : 0
    let tests: [JSONValue] = items.map { item in
      let concealed = item.hidden && !showHidden
      var text = concealed ? "hidden item" : item.message
      if !concealed, let d = item.diagnosis { text += "\nHint: \(d.hint)" }
      return .object([
        ("name", .string(item.id)),
        ("description", .string(item.statement)),
        ("points", .number(item.points)),
        ("max_points", .number(item.maxPoints)),
        ("message", .string(text)),
        ("output", .string(item.status.rawValue)),
      ])
    }
    var message = "\(ItemResult.points(score)) of \(ItemResult.points(maxScore)) points for \(assignment) (student \(student))."
    if mode != .graded { message += " " + mode.banner }
    if !gradable { message += " No item could be read: check the file format and the array names." }
    return .object([
      ("gradable", .bool(gradable)),
      ("score", .number(fraction)),
      ("message", .string(message)),
      ("output", .string(notes.joined(separator: "\n"))),
      ("format_errors", .array(unreadable.map { .string($0.hidden && !showHidden ? "\($0.id): could not be read" : $0.message) })),
      ("tests", .array(tests)),
    ])
  }
}
