import Jacobians

/// Names the mistake behind a failing item: evaluates the model's mutants that apply to the item
/// at the student's own inputs and reports the first one the submission matches (within the
/// rubric's tolerance).
///
/// ```
/// submitted ≈ reference           nil (nothing to diagnose)
/// submitted ≈ some mutant         Diagnosis(id: mutant.id, message, hint)
/// otherwise                       Diagnosis(id: "unknown", "No known mistake matches …")
/// ```
/// The grader consults it only for failing items, so a correct submission never carries a
/// diagnosis. For items with one slice per timestep (the model's `steps(of:)`, e.g.
/// ∂J^(T)/∂W_h|_(i) for i = 1…T, or one row δ1^(t) per t) the diagnosis also localizes: the steps
/// whose slice differs from the reference, and the first of them in the order the backward pass
/// visits them (from T down to 1), `divergesFromStep`.
public struct Diagnoser {
  public static let unknownID = "unknown"

  public var assignment: Assignment
  public var catalogue: MistakeCatalogue

  public init(assignment: Assignment, catalogue: MistakeCatalogue? = nil) {
    self.assignment = assignment
    self.catalogue = catalogue ?? assignment.model.mistakes
  }

  var model: any ModelReference { assignment.model }

  /// The `Autograder.diagnose` hook for `assignment`.
  public static func hook(for assignment: Assignment, catalogue: MistakeCatalogue? = nil) -> (ItemSpec, Tensor, [String: Tensor], Tolerance) -> Diagnosis? {
    let diagnoser = Diagnoser(assignment: assignment, catalogue: catalogue)
    return { item, submitted, inputs, tolerance in
      diagnoser.diagnose(item: item, submitted: submitted, inputs: inputs, tolerance: tolerance)
    }
  }

  /// The diagnosis of `submitted` for `item` at `inputs`; nil when it matches the reference.
  public func diagnose(item: ItemSpec, submitted: Tensor, inputs: [String: Tensor], tolerance: Tolerance) -> Diagnosis? {
    guard let expected = model.reference(inputs: inputs)[item.id], expected.count == submitted.count else { return nil }
    if EntryComparison.compare(submitted: submitted.scalars, expected: expected.scalars, shape: item.shape, tolerance: tolerance).passed {
      return nil
    }
    let context = MutantContext(item: item, inputs: inputs, reference: expected, notation: model.notation)
    var diagnosis: Diagnosis
    if let found = match(submitted, in: context, tolerance: tolerance) {
      diagnosis = Diagnosis(id: found.mutant.id, message: found.mutant.message(context, variant: found.variant), hint: found.mutant.hint)
    } else {
      diagnosis = Diagnosis(
        id: Self.unknownID,
        message: "No known mistake matches your \(item.id).",
        hint: "Compare your steps with `grade explain \(assignment.id) \(item.id)`, which prints the derivation step by step with every number at the demo inputs; run your code there and compare.")
    }
    if let slices = model.steps(of: item.id),
       let steps = Self.divergingSteps(item: item, submitted: submitted, expected: expected, tolerance: tolerance), let first = steps.first {
      diagnosis.divergesFromStep = first
      diagnosis.divergingSteps = steps
      let T = item.shape[0]
      let agreeing = first < T ? "steps \(T)…\(first + 1) agree with the reference; " : ""
      diagnosis.message += " Going back from T = \(T): \(agreeing)your \(slices.name) first differs at step \(first) (differing: \(steps.map(String.init).joined(separator: ", ")))."
    }
    return diagnosis
  }

  /// The first mutant (in catalogue order) and variant that `submitted` matches.
  public func match(_ submitted: Tensor, in context: MutantContext, tolerance: Tolerance) -> MutantMatch? {
    for mutant in catalogue.mutants(for: context.item.id) {
      if let v = mutant.match(submitted, in: context, tolerance: tolerance) { return MutantMatch(mutant: mutant, variant: v) }
    }
    return nil
  }

  /// For per-timestep items (axis 0 is the step, 1…T): the steps whose slice differs, from T
  /// down to 1; nil for an item of rank below 2.
  static func divergingSteps(item: ItemSpec, submitted: Tensor, expected: Tensor, tolerance: Tolerance) -> [Int]? {
    guard item.shape.count >= 2 else { return nil }
    let T = item.shape[0]
    let size = expected.count / Swift.max(T, 1)
    let sliceShape = Array(item.shape.dropFirst())
    var steps: [Int] = []
    for i in stride(from: T, through: 1, by: -1) {
      let range = ((i - 1) * size)..<(i * size)
      let c = EntryComparison.compare(
        submitted: Array(submitted.scalars[range]), expected: Array(expected.scalars[range]), shape: sliceShape, tolerance: tolerance)
      if !c.passed { steps.append(i) }
    }
    return steps
  }
}

/// A mutant a submission matched, with the variant (and its parameter) that matched.
public struct MutantMatch {
  public var mutant: Mutant
  public var variant: MutantVariant
}
