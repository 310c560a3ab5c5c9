import Formulas
import Jacobians

/// The points a student's formulas are evaluated at: the student's own inputs, then
/// `formulaPointCount` random models of the same sizes, drawn by the model's own
/// `generateInputs` from seeds the student never sees.
///
/// ```
/// point 0      the student's inputs                       (the reference there is the grade's)
/// point k ≥ 1  generateInputs(SplitMix64(seed_k))          seed_k = HMAC(course key, "formula-points",
///                                                          assignment, student, k − 1), or drawn from
///                                                          the system's generator for each grading
/// ```
/// Each point's quantities (`ModelReference.formulaBindings`) and reference are computed once,
/// when a formula first needs them, and shared by every formula item of the submission.
final class FormulaPoints {
  let model: any ModelReference
  private var inputs: [[String: Tensor]]
  private var references: [[String: Tensor]?]
  private var bindings: [FormulaBindings?]

  init(grader: Autograder, student: String, inputs studentInputs: [String: Tensor], reference: [String: Tensor]) {
    model = grader.model
    let seeds = grader.formulaPointSeeds(for: student)
    inputs = [studentInputs] + seeds.map { seed in
      var rng = SplitMix64(seed: seed)
      return grader.model.generateInputs(using: &rng)
    }
    references = [reference] + Array(repeating: nil, count: seeds.count)
    bindings = Array(repeating: nil, count: seeds.count + 1)
  }

  /// The student's inputs and the random points: 1 + `formulaPointCount`.
  var count: Int { inputs.count }

  func inputs(_ k: Int) -> [String: Tensor] { inputs[k] }

  func reference(_ k: Int) -> [String: Tensor] {
    if let r = references[k] { return r }
    let r = model.reference(inputs: inputs[k])
    references[k] = r
    return r
  }

  func bindings(_ k: Int) -> FormulaBindings {
    if let b = bindings[k] { return b }
    let b = model.formulaBindings(inputs: inputs[k])
    bindings[k] = b
    return b
  }
}

extension Autograder {
  /// The seeds of the random points of `student`'s formulas (see `FormulaPoints`).
  public func formulaPointSeeds(for student: String) -> [UInt64] {
    let n = Swift.max(formulaPointCount, 0)
    if let formulaSeed {
      var rng = StudentVariant.generator(assignment: "\(assignment.id)/formula-points/\(formulaSeed)", student: student)
      return (0..<n).map { _ in rng.next() }
    }
    if let courseKey {
      return (0..<n).map { courseKey.formulaPointSeed(assignment: assignment.id, student: student, point: $0) }
    }
    var system = SystemRandomNumberGenerator()
    return (0..<n).map { _ in system.next() }
  }

  /// Grades an item answered by a formula.
  ///
  /// ```
  /// read, shape-check            error (cannot be read) or fail (ill-formed, wrong shape; the
  ///                              transpose of the item's shape is the `transposed` mistake)
  /// at the student's inputs      graded as any value: the reference, the numeric gradient, and
  ///                              the mistake catalogue when it fails
  /// at each random point         the reference there, within the rubric's tolerance; the first
  ///                              point where it differs fails the item, diagnosed at that point
  /// ```
  /// Messages at the random points name the entry and the relative error only: the student never
  /// sees a random point, its reference, or the formula's value there.
  func gradeFormula(
    _ item: ItemSpec, answer: FormulaAnswer, expected: Tensor, inputs: [String: Tensor], points: FormulaPoints,
    rng: inout SplitMix64, context: SubmissionContext = SubmissionContext()
  ) -> ItemResult {
    var result = newResult(item, expected: expected)
    var rendering = FormulaRendering(source: answer.source, origin: answer.origin)
    let origin = answer.origin.map { " (\($0))" } ?? ""
    let compiled: CompiledFormulaItem
    do {
      compiled = try CompiledFormulaItem(answer.source, item: item, declarations: model.formulas)
    } catch {
      result.formula = rendering
      result.status = error.isFinding ? .fail : .error
      let quoted = Self.quote(answer.source)
      // A column of a one-line formula read from a file is also a column of the file's line.
      var origin = origin
      if let place = answer.origin, let start = answer.column, let column = error.column, !answer.source.contains(where: \.isNewline) {
        origin = " (\(place), column \(start + column - 1))"
      }
      switch error {
      case .noFormulas, .noClosedForm:
        result.message = "'\(item.id)' was answered by a formula\(origin), but \(error.description)."
      default:
        result.message = "'\(item.id)': your formula \(quoted)\(origin) \(error.isFinding ? "is wrong" : "cannot be read"): \(Self.sentence(error.description))"
      }
      if error.isTransposed {
        let kind = MistakeKind.transposed
        result.diagnosis = Diagnosis(
          id: kind.id, message: "Your formula for \(item.id) has the transpose of the expected shape: the gradient has the shape of the parameter.",
          hint: kind.hint)
      }
      return result
    }
    rendering.text = compiled.formula.text
    rendering.latex = compiled.formula.latex
    rendering.mathML = compiled.formula.mathML
    let shown = "`\(compiled.formula.text)`"

    // The student's inputs: graded as any submitted value.
    let value: Tensor
    do {
      value = try compiled.value(at: points.bindings(0))
    } catch {
      result.formula = rendering
      result.status = error.isFinding ? .fail : .error
      result.message = "'\(item.id)': your formula \(shown)\(origin) cannot be evaluated at your inputs: \(Self.sentence(error.description))"
      return result
    }
    result = gradeValue(item, submitted: value, expected: expected, inputs: inputs, rng: &rng, into: result, context: context)
    rendering.pointsChecked = 1
    guard result.status == .pass else {
      result.formula = rendering
      result.message = "Your formula \(shown)\(origin): " + result.message
      return result
    }

    // The random points.
    let tolerance = rubric.entry(item.id).tolerance
    let others = points.count - 1
    for k in stride(from: 1, to: points.count, by: 1) {
      let which = "random point \(k) of \(others) (a model of the same sizes that you never saw)"
      let valueThere: Tensor
      do {
        valueThere = try compiled.value(at: points.bindings(k))
      } catch {
        result.status = error.isFinding ? .fail : .error
        result.points = 0
        result.message = "Your formula \(shown)\(origin) matches the reference at your inputs but cannot be evaluated at \(which): \(Self.sentence(error.description))"
        result.formula = rendering
        return result
      }
      rendering.pointsChecked = k + 1
      let reference = points.reference(k)[item.id]!
      let problem: String?
      if NonFinite.describe(valueThere.scalars, shape: item.shape) != nil {
        problem = "it is NaN or infinite there"
      } else {
        let c = EntryComparison.compare(submitted: valueThere.scalars, expected: reference.scalars, shape: item.shape, tolerance: tolerance)
        // No absolute error: where the formula is 0 it would be the hidden reference's entry.
        problem = c.passed ? nil : "it differs from the reference in \(c.failingEntries) of \(reference.count) entries (worst at \(Self.index(c.worstIndex)), max rel error \(Self.number(c.maxRelError)))"
      }
      guard let problem else { continue }
      result.status = .fail
      result.points = 0
      result.message = "Your formula \(shown)\(origin) matches the reference at your inputs but not at \(which): \(problem). A formula must hold at every point of the model, not only at your inputs."
      let request = DiagnosisRequest(item: item, submitted: valueThere, inputs: points.inputs(k), reference: points.reference(k), tolerance: tolerance)
      if let diagnose, let diagnosis = diagnose(request) {
        result.diagnosis = diagnosis
        result.message += " " + diagnosis.message
      }
      result.formula = rendering
      return result
    }
    var message = "Your formula \(shown)\(origin) matches the reference at your inputs"
    if let r = result.reference { message += " (max rel error \(Self.number(r.comparison.maxRelError)))" }
    if result.numeric != nil { message += " and the numeric gradient" }
    message += others > 0 ? ", and at \(others) random point\(others == 1 ? "" : "s") of the model." : "."
    result.message = message
    result.formula = rendering
    return result
  }

  /// A clause ended as a sentence: a full stop unless it ends in `?`, `!` or `.` already.
  static func sentence(_ clause: String) -> String {
    guard let last = clause.last, !".?!".contains(last) else { return clause }
    return clause + "."
  }

  /// The formula as written, in backticks and shortened to 120 characters.
  static func quote(_ source: String) -> String {
    let oneLine = source.split(whereSeparator: \.isNewline).joined(separator: " ")
    let s = oneLine.count > 120 ? String(oneLine.prefix(56)) + " … " + String(oneLine.suffix(56)) : oneLine
    return "`\(s)`"
  }
}
