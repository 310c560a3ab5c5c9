import Foundation

/// Points, tolerances and visibility per item, as read from `Rubrics/<id>.json`.
///
/// ```json
/// { "assignment": "rnn-bptt",
///   "tolerance": { "relative": 1e-5, "absolute": 1e-7 },
///   "items": { "loss": { "points": 1 },
///              "dW_h": { "points": 3, "tolerance": { "relative": 1e-4, "absolute": 1e-6 } },
///              "dW_h_terms": { "points": 2, "hidden": true } },
///   "hidden_inputs": 2, "credit": "code-only", "feedback": "errors", "python_packages": ["scipy"] }
/// ```
/// Every item of the assignment must have an entry, and every entry must name an item.
///
/// Bounds, so that sums and comparisons stay meaningful (a `points` of 1e308 would make every
/// total infinite): points are finite, from 0 to `maximumPoints` per item; a relative tolerance
/// is from 0 to `maximumRelativeTolerance` (at 1 any value between 0 and twice the reference
/// would pass), an absolute one from 0 to `maximumAbsoluteTolerance`.
///
/// `hidden_inputs` (default 0) applies to students' code (Swift or Python) in graded runs (with
/// the course key): besides the student's own inputs, the code is run on that many input sets the
/// student never sees (at least 1 in a graded run), and an item passes only if it is right on them
/// too — code that only reproduces numbers for its own inputs fails.
///
/// `credit` (default `any`): `code-only` gives points to code (Swift or Python, and to formulas,
/// which the grader evaluates at random points of its own) only; an array submission, which no
/// hidden input set can check, is then reported as practice with 0 points.
///
/// `python_packages` (default none): what a Python submission may import besides the standard
/// library and NumPy, e.g. `["scipy"]` (the grader's `python3` must have them).
///
/// `feedback` (default `errors`): what a student's report may reveal. `errors`: where the worst
/// entry is, how large the error is, the diagnosis and the hint — never a reference value.
/// `full`: the expected values too (for practice assignments).
public struct Rubric: Sendable {
  public struct Entry: Sendable {
    public var points: Double
    public var tolerance: Tolerance
    /// A hidden item is graded, but its details are withheld from the student's report.
    public var hidden: Bool
  }

  /// What a student's report may reveal (`feedback`).
  public enum Feedback: String, Sendable, CaseIterable {
    /// Where and how large the error is, the diagnosis and the hint; no reference value.
    case errors
    /// The reference values as well: expected entries, heat-map values, derivations with numbers.
    case full
  }

  /// Which submissions earn points (`credit`).
  public enum Credit: String, Sendable, CaseIterable {
    /// Arrays and code alike.
    case any
    /// Code only (Swift or Python); arrays are practice.
    case codeOnly = "code-only"
  }

  public var assignmentID: String
  public var tolerance: Tolerance
  public var entries: [String: Entry]
  public var file: String
  /// How many hidden input sets students' code is also run on.
  public var hiddenInputSets: Int = 0
  /// What a student's report may reveal.
  public var feedback: Feedback = .errors
  /// Which submissions earn points.
  public var credit: Credit = .any
  /// The packages a Python submission may import besides the standard library and NumPy.
  public var pythonPackages: [String] = []

  public var maxScore: Double { entries.values.reduce(0) { $0 + $1.points } }

  /// The most points one item may be worth.
  public static let maximumPoints = 1000.0

  public func entry(_ item: String) -> Entry {
    entries[item] ?? Entry(points: 0, tolerance: tolerance, hidden: false)
  }
}

extension Rubric {
  /// Reads a rubric file and checks it against the assignment's items.
  public static func load(from url: URL, for assignment: Assignment) throws(DataFileError) -> Rubric {
    let file = url.path
    guard let data = FileManager.default.contents(atPath: file) else {
      throw DataFileError(file: file, path: "", problem: "cannot be read (no such file, or not readable)")
    }
    let root = try StrictObject.parse(data, file: file)
    try root.allowOnly(["assignment", "tolerance", "items", "hidden_inputs", "credit", "feedback", "python_packages"])
    let id = try root.string("assignment")
    if id != assignment.id {
      throw DataFileError(file: file, path: "assignment", problem: "names assignment '\(id)', but it is used for '\(assignment.id)'")
    }
    let tolerance = try Tolerance.decode(try root.object("tolerance"))
    let itemsObject = try root.object("items")
    try itemsObject.allowOnly(assignment.items.map(\.id))
    var entries: [String: Entry] = [:]
    for item in assignment.items {
      guard itemsObject.has(item.id) else {
        throw DataFileError(file: file, path: "items", problem: "missing an entry for item '\(item.id)'; every item of assignment '\(assignment.id)' needs points")
      }
      let object = try itemsObject.object(item.id)
      try object.allowOnly(["points", "tolerance", "hidden"])
      let points = try object.number("points")
      guard points >= 0, points <= maximumPoints, points.isFinite else {
        throw DataFileError(file: file, path: object.child("points"),
                            problem: "expected a number from 0 to \(ItemResult.points(maximumPoints)), found \(points)")
      }
      entries[item.id] = Entry(
        points: points,
        tolerance: try object.optionalObject("tolerance").map { o throws(DataFileError) in try Tolerance.decode(o) } ?? tolerance,
        hidden: try object.optionalBool("hidden") ?? false)
    }
    var rubric = Rubric(assignmentID: id, tolerance: tolerance, entries: entries, file: file)
    if let count = try root.optionalNumber("hidden_inputs") {
      guard count >= 0, count <= 20, count == count.rounded() else {
        throw DataFileError(file: file, path: "hidden_inputs", problem: "expected a whole number from 0 to 20, found \(count)")
      }
      rubric.hiddenInputSets = Int(count)
    }
    if let name = try root.optionalString("credit") {
      guard let credit = Credit(rawValue: name) else {
        throw DataFileError(file: file, path: "credit", problem: "unknown credit '\(name)'; expected 'any' or 'code-only'")
      }
      rubric.credit = credit
    }
    if root.has("python_packages") {
      for name in try root.strings("python_packages") {
        guard PythonSubmissionFiles.isIdentifier(name), name != "numpy" else {
          throw DataFileError(file: file, path: "python_packages", problem: "'\(name)' is not a package a submission can be allowed to import; expected top-level module names such as \"scipy\" (NumPy is always allowed)")
        }
        rubric.pythonPackages.append(name)
      }
    }
    if let name = try root.optionalString("feedback") {
      guard let feedback = Feedback(rawValue: name) else {
        throw DataFileError(file: file, path: "feedback", problem: "unknown feedback '\(name)'; expected 'errors' (no reference values, the default) or 'full' (expected values shown, for practice)")
      }
      rubric.feedback = feedback
    }
    return rubric
  }

  /// The rubric for `assignment`: `override` when given, else `<assignment folder>/rubric.json`,
  /// else `Rubrics/<id>.json` beside the folder that holds the assignment folder.
  public static func locate(for assignment: Assignment, override: URL? = nil) throws(DataFileError) -> Rubric {
    if let url = override { return try load(from: url, for: assignment) }
    let candidates = [
      assignment.directory.appendingPathComponent("rubric.json"),
      assignment.directory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Rubrics").appendingPathComponent("\(assignment.id).json"),
    ]
    for url in candidates where FileManager.default.fileExists(atPath: url.path) {
      return try load(from: url, for: assignment)
    }
    throw DataFileError(file: candidates[1].path, path: "", problem: "no rubric found for assignment '\(assignment.id)' (looked for \(candidates.map(\.path).joined(separator: " and ")))")
  }
}

/// When a submitted entry counts as equal to the expected one.
///
/// ```
/// |s − r| ≤ absolute + relative · |r|          for every entry (NumPy's isclose)
/// ```
/// Written so that NaN and ±Inf in either value always fail: the test is `diff <= bound`, which is
/// false for a NaN difference, and an infinite entry is rejected before it is compared.
/// Approximate equality is deliberately not `Equatable`: it is not transitive.
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
  public var relative: Double
  public var absolute: Double

  public init(relative: Double, absolute: Double) {
    self.relative = relative
    self.absolute = absolute
  }

  /// The bound an entry whose expected value is `r` must meet.
  public func bound(for r: Double) -> Double { absolute + relative * Swift.abs(r) }

  /// True only when `s` is finite and within the bound of `r`.
  public func accepts(_ s: Double, expected r: Double) -> Bool {
    guard s.isFinite, r.isFinite else { return false }
    return Swift.abs(s - r) <= bound(for: r)
  }

  /// The wider of two tolerances, entry by entry.
  public func widened(to other: Tolerance) -> Tolerance {
    Tolerance(relative: Swift.max(relative, other.relative), absolute: Swift.max(absolute, other.absolute))
  }

  public var description: String { "|s − r| ≤ \(absolute) + \(relative)·|r|" }

  /// The widest tolerances a rubric may set (see `Rubric`).
  public static let maximumRelativeTolerance = 0.5
  public static let maximumAbsoluteTolerance = 1.0

  static func decode(_ object: StrictObject) throws(DataFileError) -> Tolerance {
    try object.allowOnly(["relative", "absolute"])
    let relative = try object.number("relative")
    let absolute = try object.number("absolute")
    guard relative >= 0, absolute >= 0, relative.isFinite, absolute.isFinite else {
      throw DataFileError(file: object.file, path: object.path, problem: "tolerances must be finite and ≥ 0")
    }
    guard relative <= maximumRelativeTolerance else {
      throw DataFileError(file: object.file, path: object.child("relative"),
                          problem: "expected a relative tolerance from 0 to \(maximumRelativeTolerance), found \(relative)")
    }
    guard absolute <= maximumAbsoluteTolerance else {
      throw DataFileError(file: object.file, path: object.child("absolute"),
                          problem: "expected an absolute tolerance from 0 to \(maximumAbsoluteTolerance), found \(absolute)")
    }
    return Tolerance(relative: relative, absolute: absolute)
  }
}
