import Foundation
import Jacobians

/// What a submission holds for one item.
public enum SubmittedAnswer: Sendable {
  /// An array (from a file, or computed by the student's code).
  case value(Tensor)
  /// The file or entry could not be read; the reason is a sentence.
  case unreadable(String)
  /// The student's code failed for this item (a crash, a limit); the reason is a sentence.
  case failed(String)
  /// The student left the item unfilled (the starter's `return nil`).
  case unfilled
  /// A formula over the model's quantities, evaluated by the grader at the student's inputs and
  /// at random points of the model (`gradeFormula`).
  case formula(FormulaAnswer)
}

/// Grades submissions of one assignment: every item against the reference and against a numeric
/// gradient computed at the student's own inputs.
///
/// ```
/// status   missing  the item is absent or unfilled
///          error    unreadable, not floating point, or the student's code failed
///          fail     wrong shape, NaN/±Inf, or outside the tolerance of the reference or the
///                   numeric gradient
///          pass     within the rubric's tolerance of both
///          review   the grader could not verify its own reference: 0 points until an
///                   instructor looks
/// ```
/// The grader checks itself: where its reference and its numeric gradient disagree (beyond
/// `numericTolerance`), the item is `review` — never a free point, hidden or not.
///
/// Without a `courseKey` a grading is a self-check (`GradingMode.selfCheck`): no hidden input
/// set can be computed and the report says it is not a grade. With the key it is graded, and the
/// hidden input sets and the numeric seed are derived from the key (`CourseKey`).
///
/// Messages follow the rubric's `feedback`: unless it is `full` (or `instructorView` is set) no
/// message holds a reference value — the worst entry's position, the size of the error, the
/// diagnosis and the hint remain.
public struct Autograder {
  public var assignment: Assignment
  public var rubric: Rubric
  /// The model behind the assignment (`assignment.model`).
  public var model: any ModelReference { assignment.model }
  /// How closely the numeric gradient is trusted: |ref − num| ≤ 1e-7 + 1e-5·|num|.
  public var numericTolerance = Tolerance(relative: 1e-5, absolute: 1e-7)
  /// The course key of a graded run; nil for a self-check.
  public var courseKey: CourseKey?
  /// The seed of the random directions of the numeric checks when fixed (tests, `--numeric-seed`); nil derives it:
  /// from the course key per student, or new and secret for each run without one.
  public var numericSeed: UInt64?
  /// An instructor's view: reference values shown whatever the rubric's `feedback` (the command
  /// line allows it only with the course key).
  public var instructorView = false
  /// How many random points of the model, besides the student's inputs, a formula is checked at.
  public var formulaPointCount = 3
  /// The seed of those points when fixed (tests); nil derives them: from the course key per
  /// student, or from a new secret for each grading without one.
  public var formulaSeed: UInt64?
  /// Consulted for failing items: the mistake the submission matches (given the item, the
  /// inputs, every reference and the submission's other items).
  public var diagnose: ((DiagnosisRequest) -> Diagnosis?)?

  public init(assignment: Assignment, rubric: Rubric, courseKey: CourseKey? = nil) {
    self.assignment = assignment
    self.rubric = rubric
    self.courseKey = courseKey
    self.diagnose = Self.diagnosisWhenNeeded(for: assignment)
  }

  /// `Diagnoser.hook(for:)`, made at the first failing item that asks for it: a submission that
  /// passes everywhere never builds the mistake catalogue or the slip search. One grader (and
  /// its copies) keeps the one it made, as the hook made at once would be kept.
  static func diagnosisWhenNeeded(for assignment: Assignment) -> (DiagnosisRequest) -> Diagnosis? {
    final class Made: @unchecked Sendable {
      let lock = NSLock()
      var hook: ((DiagnosisRequest) -> Diagnosis?)?
    }
    let made = Made()
    return { request in
      let hook = made.lock.withLock { () -> (DiagnosisRequest) -> Diagnosis? in
        if let hook = made.hook { return hook }
        let hook = Diagnoser.hook(for: assignment)
        made.hook = hook
        return hook
      }
      return hook(request)
    }
  }

  /// True when reports may show reference values: the rubric's `"feedback": "full"`, or
  /// `instructorView`.
  public var revealsReference: Bool { rubric.feedback == .full || instructorView }

  /// What grading a submission of `kind` is: a self-check without the key; with it, practice for
  /// arrays under `"credit": "code-only"`, a grade otherwise.
  public func mode(for kind: SubmissionKind) -> GradingMode {
    guard courseKey != nil else { return .selfCheck }
    return rubric.credit == .codeOnly && kind == .arrays ? .practice : .graded
  }

  /// The seed of `student`'s random directions of the numeric checks (see `numericSeed`).
  public func numericSeed(for student: String) -> UInt64 {
    if let numericSeed { return numericSeed }
    if let courseKey { return courseKey.numericSeed(assignment: assignment.id, student: student) }
    return UInt64.random(in: .min ... .max)
  }

  /// The inputs of `student`: the same id always gives the same inputs, two ids never share them.
  public func inputs(for student: String) -> [String: Tensor] {
    var rng = StudentVariant.generator(assignment: assignment.id, student: student)
    return model.generateInputs(using: &rng)
  }

  /// The reference value of every item for `student`.
  public func reference(for student: String) -> [String: Tensor] {
    model.reference(inputs: inputs(for: student))
  }

  /// Grades one submission of `kind` (arrays unless the grader ran the student's code).
  public func grade(student: String, answers: [String: SubmittedAnswer], notes: [String] = [], isolation: String? = nil, kind: SubmissionKind = .arrays) -> GradeReport {
    let start = Date()
    let inputs = inputs(for: student)
    let reference = model.reference(inputs: inputs)
    var rng = SplitMix64(seed: numericSeed(for: student))
    // What the diagnosis of a failing item sees of the rest of the submission.
    let submitted: [SubmittedItem] = assignment.items.compactMap { item in
      guard case .value(let t)? = answers[item.id], t.shape == item.shape, let r = reference[item.id] else { return nil }
      return SubmittedItem(spec: item, submitted: t, reference: r, tolerance: rubric.entry(item.id).tolerance)
    }
    let hasFormulas = answers.values.contains { if case .formula = $0 { return true } else { return false } }
    let points = hasFormulas && model.formulas != nil ? FormulaPoints(grader: self, student: student, inputs: inputs, reference: reference) : nil
    // The probes share the work of one forward pass at the point, done when first needed.
    let context = SubmissionContext(reference: reference, submission: submitted, probes: model.numericProbes(inputs: inputs, reference: reference))
    var results: [ItemResult] = []
    for item in assignment.items {
      results.append(gradeItem(item, answer: answers[item.id], expected: reference[item.id]!, inputs: inputs, rng: &rng,
                               points: points, context: context))
    }
    let mode = mode(for: kind)
    var notes = notes
    let known = Set(assignment.items.map(\.id))
    for name in answers.keys.sorted() where !known.contains(name) {
      notes.append("'\(name)' is not an item of \(assignment.id) and was ignored (items: \(assignment.items.map(\.id).joined(separator: ", "))).")
    }
    switch mode {
    case .selfCheck:
      switch kind {
      case .code:
        notes.append("This is a self-check, not a grade: your code ran at your own inputs only. A graded run (with the course's key) also runs it on hidden input sets, and an item counts only if it is right there too.")
      case .formulas:
        notes.append("This is a self-check, not a grade: your formulas were checked at your own inputs and at \(formulaPointCount) random points drawn for this run only.")
      case .arrays:
        notes.append("This is a self-check, not a grade: it compares your arrays with the reference at your own inputs.")
      }
    case .practice:
      for k in results.indices { results[k].points = 0 }
      notes.append("This assignment gives credit only for code, Swift or Python (the rubric's \"credit\": \"code-only\"): arrays computed at your own inputs cannot be checked on hidden inputs, so this submission is checked for practice and earns 0 points. Submit your code, or formulas, for a grade.")
    case .graded:
      break
    }
    if results.contains(where: { $0.status == .review }) {
      notes.append("The grader could not verify some items (they need review by the course staff): they earn no points until an instructor has looked at them.")
    }
    return GradeReport(
      assignment: assignment.id, title: assignment.title, student: student, items: results,
      notes: notes, seconds: Date().timeIntervalSince(start), isolation: isolation,
      mode: mode, revealsReference: revealsReference)
  }

  /// A result for `item`, failing with no points until it is graded.
  func newResult(_ item: ItemSpec, expected: Tensor) -> ItemResult {
    let entry = rubric.entry(item.id)
    return ItemResult(
      id: item.id, statement: item.statement, status: .fail, points: 0, maxPoints: entry.points,
      message: "", hidden: entry.hidden, expectedShape: item.shape, expected: expected.scalars)
  }

  /// What the diagnosis of one item sees besides it: every reference at the student's inputs and
  /// the submission's other items.
  struct SubmissionContext {
    var reference: [String: Tensor] = [:]
    var submission: [SubmittedItem] = []
    /// The numeric probes of every item at the student's inputs; nil asks the model.
    var probes: [String: NumericProbe]? = nil
  }

  func gradeItem(
    _ item: ItemSpec, answer: SubmittedAnswer?, expected: Tensor, inputs: [String: Tensor], rng: inout SplitMix64,
    points: FormulaPoints? = nil, context: SubmissionContext = SubmissionContext()
  ) -> ItemResult {
    var result = newResult(item, expected: expected)
    let expectedShape = Tensor.describe(item.shape)

    let submitted: Tensor
    switch answer {
    case nil:
      result.status = .missing
      result.message = "No array named '\(item.id)' in the submission; expected \(expectedShape) (\(item.statement))."
      return result
    case .unfilled:
      result.status = .missing
      result.message = "'\(item.id)' is not filled in yet; expected \(expectedShape) (\(item.statement))."
      return result
    case .unreadable(let reason):
      result.status = .error
      result.message = "'\(item.id)' could not be read: \(reason)"
      return result
    case .failed(let reason):
      result.status = .error
      result.message = "'\(item.id)': \(reason)"
      return result
    case .formula(let formula):
      let points = points ?? FormulaPoints(grader: self, student: "", inputs: inputs, reference: [item.id: expected])
      return gradeFormula(item, answer: formula, expected: expected, inputs: inputs, points: points, rng: &rng, context: context)
    case .value(let tensor):
      submitted = tensor
    }
    return gradeValue(item, submitted: submitted, expected: expected, inputs: inputs, rng: &rng, into: result, context: context)
  }

  /// Grades a value for `item` (an array, what code returned, or a formula's value at the
  /// student's inputs): its dtype, shape, finiteness, the reference, the numeric gradient, and
  /// the diagnosis of a failing one.
  func gradeValue(
    _ item: ItemSpec, submitted: Tensor, expected: Tensor, inputs: [String: Tensor], rng: inout SplitMix64,
    into base: ItemResult, context: SubmissionContext = SubmissionContext()
  ) -> ItemResult {
    var result = base
    let entry = rubric.entry(item.id)
    result.submittedShape = submitted.shape
    result.submittedDType = submitted.dtype

    guard submitted.dtype.isFloatingPoint else {
      result.status = .error
      result.message = "'\(item.id)' has dtype \(submitted.dtype); expected floating point (float64, or float32)."
      return result
    }
    if let problem = ShapeCheck.problem(submitted: submitted.shape, expected: item.shape) {
      result.status = .fail
      result.message = "'\(item.id)' \(problem)."
      return result
    }
    result.submitted = submitted.scalars
    if let problem = NonFinite.describe(submitted.scalars, shape: item.shape) {
      result.status = .fail
      result.message = "'\(item.id)' \(problem); every entry must be a finite number."
      return result
    }

    let tolerance = entry.tolerance
    var failures: [String] = []
    if item.checks.contains(.reference) {
      let c = EntryComparison.compare(submitted: submitted.scalars, expected: expected.scalars, shape: item.shape, tolerance: tolerance)
      result.reference = .init(comparison: c)
      if !c.passed {
        let values = revealsReference ? ": yours \(Self.number(c.worstSubmitted)), expected \(Self.number(c.worstExpected))" : ""
        failures.append("differs from the reference in \(c.failingEntries) of \(expected.count) entries; worst at \(Self.index(c.worstIndex))\(values) (max abs error \(Self.number(c.maxAbsError)), max rel error \(Self.number(c.maxRelError)); tolerance \(tolerance))")
      }
    }
    if item.checks.contains(.numeric), let probe = (context.probes ?? model.numericProbes(inputs: inputs))[item.id] {
      let estimate = NumericEstimator.estimate(probe, rng: &rng)
      let directional = estimate.method == .directional
      let selfCheck = NumericEstimator.verify(reference: expected.scalars, with: estimate, shape: item.shape, tolerance: numericTolerance)
      if !selfCheck.passed {
        let where_ = directional
          ? "along \(selfCheck.failingEntries) of \(estimate.projections.count) random directions"
          : "at \(Self.index(selfCheck.worstIndex))"
        result.status = .review
        result.points = 0
        result.message = "Needs review: the grader could not verify its own reference for '\(item.id)' (its reference and its numeric gradient differ \(where_), max rel error \(Self.number(selfCheck.maxRelError))), so the item earns no points until the course staff has looked at it."
        return result
      }
      let c = NumericEstimator.compare(submitted.scalars, with: estimate, shape: item.shape, tolerance: tolerance.widened(to: numericTolerance))
      result.numeric = .init(comparison: c, method: estimate.method.rawValue, forwardPasses: estimate.forwardPasses)
      if !c.passed && failures.isEmpty {
        let values = revealsReference
          ? ": yours \(Self.number(c.worstSubmitted)), numeric \(Self.number(c.worstExpected))"
          : " (abs error \(Self.number(c.maxAbsError)), rel error \(Self.number(c.maxRelError)))"
        failures.append(directional
          ? "differs from the numeric gradient along \(c.failingEntries) of \(estimate.projections.count) random directions (its projection\(values))"
          : "differs from the numeric gradient at \(Self.index(c.worstIndex))\(values)")
      }
    }

    if failures.isEmpty {
      result.status = .pass
      result.points = entry.points
      var message = "Matches the reference"
      if let r = result.reference { message += " (max rel error \(Self.number(r.comparison.maxRelError)))" }
      if result.numeric != nil { message += " and the numeric gradient" }
      if submitted.dtype == .float32 { message += "; submitted as float32" }
      result.message = message + "."
      return result
    }
    result.status = .fail
    var message = "'\(item.id)' " + failures.joined(separator: "; ") + "."
    // The catalogue of known mistakes speaks first; without one, a transposed matrix is still named.
    let request = DiagnosisRequest(
      item: item, submitted: submitted, inputs: inputs,
      reference: context.reference.isEmpty ? [item.id: expected] : context.reference,
      tolerance: tolerance, others: context.submission.filter { $0.spec.id != item.id })
    if let diagnose, let diagnosis = diagnose(request) {
      result.diagnosis = diagnosis
      message += " " + diagnosis.message
    } else if let hint = ShapeCheck.transposeHint(submitted: submitted.scalars, expected: expected.scalars, shape: item.shape, tolerance: tolerance) {
      message += " " + hint
    }
    result.message = message
    return result
  }

  public static func index(_ index: [Int]) -> String {
    index.isEmpty ? "the value" : "[" + index.map(String.init).joined(separator: ", ") + "]"
  }

  /// A number as every report prints it: `%.6g` between 1e-3 and 1e5, else `%.3e`.
  public static func number(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x > 0 ? "+Inf" : "-Inf" }
    if x == 0 { return "0" }
    let a = Swift.abs(x)
    // A whole number below 10⁵ has at most 5 digits: %.6g writes it as the integer it is.
    if a < 1e5 && x == x.rounded() { return String(Int(x)) }
    if a >= 1e-3 && a < 1e5 { return CFormat.string("%.6g", x) }
    return CFormat.string("%.3e", x)
  }
}

/// Per-student inputs: a generator seeded by (assignment, student id).
public enum StudentVariant {
  /// SplitMix64 seeded with the 64-bit FNV-1a hash of "assignment/student".
  public static func generator(assignment: String, student: String) -> SplitMix64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in "\(assignment)/\(student)".utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return SplitMix64(seed: hash)
  }
}

