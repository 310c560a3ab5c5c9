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
  public func prairieLearnResults(showHidden: Bool = false) -> PrairieLearnResults {
    let unreadable = items.filter { $0.status == .error }
    let gradable = items.isEmpty || unreadable.count < items.count
    let fraction = maxScore > 0 ? Swift.min(Swift.max(score / maxScore, 0), 1) : 0
    let tests = items.map { item in
      let concealed = item.hidden && !showHidden
      var text = concealed ? "hidden item" : item.message
      if !concealed, let d = item.diagnosis { text += "\nHint: \(d.hint)" }
      return PrairieLearnResults.Test(
        name: item.id, description: item.statement, points: item.points, maxPoints: item.maxPoints,
        message: text, output: item.status.rawValue)
    }
    var message = "\(ItemResult.points(score)) of \(ItemResult.points(maxScore)) points for \(assignment) (student \(student))."
    if mode != .graded { message += " " + mode.banner }
    if !gradable { message += " No item could be read: check the file format and the array names." }
    return PrairieLearnResults(
      gradable: gradable, score: fraction, message: message, output: notes.joined(separator: "\n"),
      formatErrors: unreadable.map { $0.hidden && !showHidden ? "\($0.id): could not be read" : $0.message },
      tests: tests)
  }
}

/// PrairieLearn's external grader `results.json`.
public struct PrairieLearnResults: Codable, Sendable {
  public var gradable: Bool
  public var score: Double
  public var message: String
  public var output: String
  public var formatErrors: [String]
  public var tests: [Test]

  public struct Test: Codable, Sendable {
    public var name: String
    public var description: String
    public var points: Double
    public var maxPoints: Double
    public var message: String
    public var output: String

    enum CodingKeys: String, CodingKey {
      case name, description, points, maxPoints = "max_points", message, output
    }
  }

  enum CodingKeys: String, CodingKey {
    case gradable, score, message, output, formatErrors = "format_errors", tests
  }
}
