/// The outcome of grading one item.
public struct ItemResult: Sendable {
  public enum Status: String, Sendable, CaseIterable {
    /// Agrees with the reference and with the numeric gradient.
    case pass
    /// Evaluated and wrong: a value, a shape, NaN or ±Inf.
    case fail
    /// Could not be evaluated: unreadable, wrong dtype, a crash of the student's code — or an
    /// internal error of the grader, which is never charged to the student.
    case error
    /// Not in the submission, or left unfilled.
    case missing
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
  /// True when the grader's own reference and numeric gradient disagree (not charged).
  public var internalError: Bool = false
  /// The known mistake the submission matches, when one does.
  public var diagnosis: Diagnosis?
  /// The submitted values (row-major), kept for pictures and diagnosis; nil when absent.
  public var submitted: [Double]?
  /// The reference values (row-major).
  public var expected: [Double]?
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

  public var score: Double { items.reduce(0) { $0 + $1.points } }
  public var maxScore: Double { items.reduce(0) { $0 + $1.maxPoints } }
  /// True when every item passes (internal errors, which are not charged, count as passing).
  public var allPassed: Bool { items.allSatisfy { $0.status == .pass || $0.internalError } }

  public func item(_ id: String) -> ItemResult? { items.first { $0.id == id } }
}
