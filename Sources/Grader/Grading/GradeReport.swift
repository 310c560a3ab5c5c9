/// The outcome of grading one item.
public struct ItemResult: Sendable {
  public enum Status: String, Sendable, CaseIterable, Codable {
    /// Agrees with the reference and with the numeric gradient.
    case pass
    /// Evaluated and wrong: a value, a shape, NaN or ±Inf.
    case fail
    /// Could not be evaluated: unreadable, wrong dtype, a crash of the student's code.
    case error
    /// Not in the submission, or left unfilled.
    case missing
    /// The grader could not verify its own reference (it disagrees with the numeric gradient):
    /// 0 points until an instructor looks.
    case review = "needs-review"
  }

  /// A comparison with one expected value (the reference, or the numeric gradient).
  public struct Check: Sendable {
    public var comparison: EntryComparison
    /// For the numeric check: how it was estimated and at what cost.
    public var method: String?
    public var forwardPasses: Int?
  }

  public var id: String
  public var statement: String
  public var status: Status
  public var points: Double
  public var maxPoints: Double
  /// One or more sentences: what is wrong and what was expected (or "matches the reference…").
  public var message: String
  public var hidden: Bool
  public var expectedShape: [Int]
  public var submittedShape: [Int]?
  public var submittedDType: DType?
  public var reference: Check?
  public var numeric: Check?
  /// True when the grader's own reference and numeric gradient disagree: the item is in review.
  public var internalError: Bool { status == .review }
  /// The known mistake the submission matches, when one does.
  public var diagnosis: Diagnosis?
  /// The submitted values (row-major), kept for pictures and diagnosis; nil when absent.
  public var submitted: [Double]?
  /// The reference values (row-major): for instructors' records and pictures; a student's report
  /// shows them only when its `revealsReference`.
  public var expected: [Double]?
  /// For an item answered by a formula: the formula as written and as the grader read it.
  public var formula: FormulaRendering?
}

/// A student's formula as the report shows it: as written, and pretty-printed in the notes'
/// notation (text, LaTeX, MathML) once it could be read.
public struct FormulaRendering: Sendable, Equatable {
  /// The formula as written.
  public var source: String
  /// Where it was read (`answers.md, line 4`).
  public var origin: String?
  /// `(1/T) Σ_t δ1^(t) h^(t)ᵀ`; nil when the formula could not be read.
  public var text: String?
  public var latex: String?
  /// A self-contained `<math>` element.
  public var mathML: String?
  /// The points it was evaluated at: 1 (the student's inputs) + the random ones it reached.
  public var pointsChecked: Int = 0

  public init(source: String, origin: String? = nil) {
    self.source = source
    self.origin = origin
  }
}

/// A known mistake a failing item matches.
public struct Diagnosis: Sendable, Equatable {
  public var id: String
  public var message: String
  public var hint: String
  /// For per-timestep items: the first step, going back from T, whose slice differs.
  public var divergesFromStep: Int? = nil
  /// For per-timestep items: every step whose slice differs, from T down to 1.
  public var divergingSteps: [Int]? = nil

  public init(id: String, message: String, hint: String) {
    self.id = id
    self.message = message
    self.hint = hint
  }
}

/// Everything grading one submission produced.
public struct GradeReport: Sendable {
  public var assignment: String
  public var title: String
  public var student: String
  public var items: [ItemResult]
  /// Findings about the submission as a whole (an unknown array, the isolation used, …).
  public var notes: [String]
  /// Wall-clock seconds spent grading.
  public var seconds: Double
  /// How student code was isolated, when code was run.
  public var isolation: String?
  /// A self-check, a graded run, or practice (`GradingMode`).
  public var mode: GradingMode = .selfCheck
  /// Whether the student's report may show reference values (expected entries, heat-map values,
  /// derivations with numbers): the rubric's `"feedback": "full"`, or an instructor's view.
  public var revealsReference: Bool = false
  /// What a batch graded it from (`GradeProvenance`); nil outside a batch.
  public var provenance: GradeProvenance?

  public var score: Double { items.reduce(0) { $0 + $1.points } }
  public var maxScore: Double { items.reduce(0) { $0 + $1.maxPoints } }
  /// True when every item passes (an item in review does not).
  public var allPassed: Bool { items.allSatisfy { $0.status == .pass } }
  /// The items the course staff must look at: the grader could not verify its reference.
  public var itemsInReview: [ItemResult] { items.filter { $0.status == .review } }

  public func item(_ id: String) -> ItemResult? { items.first { $0.id == id } }
}
