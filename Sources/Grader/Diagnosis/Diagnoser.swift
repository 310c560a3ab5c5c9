import Foundation
import Jacobians

/// What the grader hands the diagnosis for one failing item: the answer, the student's inputs,
/// every item's reference there, and the submission's other items (for ties and localization).
public struct DiagnosisRequest {
  public var item: ItemSpec
  public var submitted: Tensor
  public var inputs: [String: Tensor]
  /// Every item's reference value at `inputs`.
  public var reference: [String: Tensor]
  public var tolerance: Tolerance
  /// The submission's other items that hold a value.
  public var others: [SubmittedItem]

  public init(item: ItemSpec, submitted: Tensor, inputs: [String: Tensor], reference: [String: Tensor], tolerance: Tolerance, others: [SubmittedItem] = []) {
    self.item = item
    self.submitted = submitted
    self.inputs = inputs
    self.reference = reference
    self.tolerance = tolerance
    self.others = others
  }
}

/// Names the mistake behind a failing item.
///
/// ```
/// submitted ≈ reference                 nil (nothing to diagnose)
/// the model declares a derivation       SlipSearch: the simplest one or two slips that match
///                                       (ties said as such), Diagnosis(id: slip ids joined by +)
/// otherwise                             the model's catalogue of mutants, first match
/// nothing matches                       Diagnosis(id: "unknown", "No known mistake matches …"),
///                                       localized: which items agree and the first step only
///                                       the failing ones use; for an item that is a sum over
///                                       steps, which of its terms it holds
/// ```
/// The grader consults it only for failing items, so a correct submission never carries a
/// diagnosis. For items with one slice per timestep (the model's `steps(of:)`, e.g.
/// ∂J^(T)/∂W_h|_(i) for i = 1…T, or one row δ1^(t) per t) the diagnosis also localizes: the steps
/// whose slice differs from the reference, and the first of them in the order the backward pass
/// visits them (from T down to 1), `divergesFromStep`.
///
/// The derivation's evaluation is prepared once per student (the forward pass and what the slips
/// do not touch are cached) and reused for every failing item of that student.
public struct Diagnoser {
  public static let unknownID = "unknown"

  public var assignment: Assignment
  public var catalogue: MistakeCatalogue
  /// The search, when the model declares its derivation.
  public var search: SlipSearch?
  let cache = EvaluationCache()

  public init(assignment: Assignment, catalogue: MistakeCatalogue? = nil) {
    self.assignment = assignment
    self.catalogue = catalogue ?? assignment.model.mistakes
    // An explicit catalogue replaces the search (tests of a catalogue of their own).
    self.search = catalogue == nil ? assignment.model.derivation.map(SlipSearch.init(derivation:)) : nil
  }

  var model: any ModelReference { assignment.model }

  /// The `Autograder.diagnose` hook for `assignment`.
  public static func hook(for assignment: Assignment, catalogue: MistakeCatalogue? = nil) -> (DiagnosisRequest) -> Diagnosis? {
    let diagnoser = Diagnoser(assignment: assignment, catalogue: catalogue)
    return { request in diagnoser.diagnose(request) }
  }

  /// The diagnosis of `submitted` for `item` at `inputs` alone; nil when it matches the reference.
  public func diagnose(item: ItemSpec, submitted: Tensor, inputs: [String: Tensor], tolerance: Tolerance) -> Diagnosis? {
    diagnose(DiagnosisRequest(item: item, submitted: submitted, inputs: inputs, reference: model.reference(inputs: inputs), tolerance: tolerance))
  }

  /// The search's explanations of a request (empty when nothing matches or the model declares
  /// no derivation), with the search's counts.
  ///
  /// The failing items of one submission are searched together, in the assignment's order, and
  /// share what they found: the explanations of the items before are tried on each item ahead
  /// of its pairs, and an item nothing explained tries those of the items after it (the same
  /// slips usually explain several items; for a small item, pairs are hard to rank). The budget
  /// holds per item: the search gets `budget − hintReserve` when other items fail, the second
  /// try at most `hintReserve`.
  public func explain(_ r: DiagnosisRequest) -> SlipSearchResult? {
    guard let search, let expected = r.reference[r.item.id] else { return nil }
    let mine = SubmittedItem(spec: r.item, submitted: r.submitted, reference: expected, tolerance: r.tolerance)
    let order = Dictionary(assignment.items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    let all = (r.others.filter { $0.spec.id != r.item.id } + [mine]).sorted { (order[$0.spec.id] ?? 0) < (order[$1.spec.id] ?? 0) }
    let failing = all.filter { !$0.agrees }
    let values = Dictionary(failing.map { ($0.spec.id, $0.submitted) }, uniquingKeysWith: { a, _ in a })
    return cache.withEvaluation(inputs: r.inputs, prepare: search.derivation.prepare) { evaluation, state in
      if state.values != values || state.results[r.item.id] == nil {
        state.values = values
        state.results = Self.searchTogether(failing, all: all, search: search, evaluation: evaluation, reserve: hintReserve)
      }
      return state.results[r.item.id]
    }
  }

  /// Evaluations kept for trying the explanations of a submission's later items.
  public var hintReserve = 20

  static func searchTogether(_ failing: [SubmittedItem], all: [SubmittedItem], search: SlipSearch, evaluation: any SlipEvaluation, reserve: Int) -> [String: SlipSearchResult] {
    var results: [String: SlipSearchResult] = [:]
    var found: [SlipExplanation] = []
    let budget = failing.count > 1 ? search.budget - reserve : search.budget
    for f in failing {
      let others = all.filter { $0.spec.id != f.spec.id }
      let result = search.explain(
        item: f.spec, submitted: f.submitted, reference: f.reference, tolerance: f.tolerance,
        evaluation: evaluation, others: others, hints: found, budget: budget)
      results[f.spec.id] = result
      found += result.explanations
    }
    // An item nothing explained tries what explained the items after it.
    for (index, f) in failing.enumerated() where results[f.spec.id]!.explanations.isEmpty {
      let later = failing[(index + 1)...].flatMap { results[$0.spec.id]!.explanations }
      guard !later.isEmpty else { continue }
      var result = results[f.spec.id]!
      var evaluations = 0
      let effects = search.derivation.slips.filter { $0.items.contains(f.spec.id) && $0.slip.effect.isItemTransform && $0.slip.effect != .clipFit }.map(\.slip.effect)
      let probe = SlipSearch.Probe(submitted: f.submitted, reference: f.reference, tolerance: f.tolerance, size: search.sampleSize, effects: effects)
      result.explanations += search.tryHints(later, item: f.spec, probe: probe, tolerance: f.tolerance, evaluation: evaluation, evaluations: &evaluations, budget: reserve) { applied, effect in
        guard let v = evaluation.value(of: f.spec.id, with: applied), v.count == f.reference.count else { return nil }
        let t = effect.flatMap { SlipSearch.transform($0, v) } ?? v
        return SlipSearch.matches(f.submitted, t, f.tolerance) ? t : nil
      }
      result.evaluations += evaluations
      result.explanations = SlipSearch.unique(result.explanations.sorted { ($0.slips.count, $0.cost) < ($1.slips.count, $1.cost) })
      if let first = result.explanations.first { result.explanations = result.explanations.filter { $0.slips.count == first.slips.count } }
      results[f.spec.id] = result
    }
    return results
  }

  /// The diagnosis of a request; nil when the answer matches the reference.
  public func diagnose(_ r: DiagnosisRequest) -> Diagnosis? {
    let item = r.item
    guard let expected = r.reference[item.id], expected.count == r.submitted.count else { return nil }
    if EntryComparison.passes(submitted: r.submitted.scalars, expected: expected.scalars, tolerance: r.tolerance) { return nil }
    let context = MutantContext(item: item, inputs: r.inputs, reference: expected, notation: model.notation)
    var diagnosis: Diagnosis?
    if search != nil {
      diagnosis = explain(r).flatMap { SlipWording.diagnosis($0.explanations, context) }
    } else if let found = match(r.submitted, in: context, tolerance: r.tolerance) {
      diagnosis = Diagnosis(id: found.mutant.id, message: found.mutant.message(context, variant: found.variant), hint: found.mutant.hint)
    }
    var result = diagnosis ?? unknown(r, expected: expected)
    if let slices = model.steps(of: item.id),
       let steps = Self.divergingSteps(item: item, submitted: r.submitted, expected: expected, tolerance: r.tolerance), let first = steps.first {
      result.divergesFromStep = first
      result.divergingSteps = steps
      let T = item.shape[0]
      let agreeing = first < T ? "steps \(T)…\(first + 1) agree with the reference; " : ""
      result.message += " Going back from T = \(T): \(agreeing)your \(slices.name) first differs at step \(first) (differing: \(steps.map(String.init).joined(separator: ", ")))."
    }
    return result
  }

  /// "No known mistake matches", with what localizes the slip: the items that agree and the
  /// first step only failing items use, and for a sum over steps, which terms it holds.
  func unknown(_ r: DiagnosisRequest, expected: Tensor) -> Diagnosis {
    var message = "No known mistake matches your \(r.item.id)."
    if let derivation = model.derivation {
      if let where_ = Localization.acrossItems(r, derivation: derivation) { message += " " + where_ }
      if model.steps(of: r.item.id) == nil,
         let terms = cache.withEvaluation(inputs: r.inputs, prepare: derivation.prepare, { $0.terms(of: r.item.id) }),
         let which = Localization.alongTerms(r.item, submitted: r.submitted, terms: terms, tolerance: r.tolerance) {
        message += " " + which
      }
    }
    return Diagnosis(
      id: Self.unknownID, message: message,
      hint: "Compare your steps with `grade explain \(assignment.id) \(r.item.id)`, which prints the derivation step by step with every number at the demo inputs; run your code there and compare.")
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
    var steps: [Int] = []
    for i in stride(from: T, through: 1, by: -1)
    where !EntryComparison.passes(submitted: submitted.scalars, expected: expected.scalars, tolerance: tolerance, in: ((i - 1) * size)..<(i * size)) {
      steps.append(i)
    }
    return steps
  }
}

/// A mutant a submission matched, with the variant (and its parameter) that matched.
public struct MutantMatch {
  public var mutant: Mutant
  public var variant: MutantVariant
}

/// The evaluation of the last student's inputs, kept for the next failing item of the same
/// student, with the search results of that submission (a lock makes it safe to share).
final class EvaluationCache: @unchecked Sendable {
  /// The results of one submission's failing items, and what identifies the submission.
  struct Submission {
    var values: [String: Tensor] = [:]
    var results: [String: SlipSearchResult] = [:]
  }

  private let lock = NSLock()
  private var inputs: [String: Tensor]?
  private var evaluation: (any SlipEvaluation)?
  private var submission = Submission()

  func withEvaluation<R>(inputs: [String: Tensor], prepare: ([String: Tensor]) -> any SlipEvaluation, _ body: (any SlipEvaluation, inout Submission) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    if self.inputs != inputs || evaluation == nil {
      evaluation = prepare(inputs)
      self.inputs = inputs
      submission = Submission()
    }
    return body(evaluation!, &submission)
  }

  func withEvaluation<R>(inputs: [String: Tensor], prepare: ([String: Tensor]) -> any SlipEvaluation, _ body: (any SlipEvaluation) -> R) -> R {
    withEvaluation(inputs: inputs, prepare: prepare) { evaluation, _ in body(evaluation) }
  }
}
