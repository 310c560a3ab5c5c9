import BPTTReference
import Jacobians

/// What a mutant sees: one item of one assignment at one student's inputs.
public struct MutantContext {
  public var assignment: Assignment
  public var item: ItemSpec
  public var inputs: [String: Tensor]
  /// The reference value of `item` at `inputs`.
  public var reference: Tensor

  public init(assignment: Assignment, item: ItemSpec, inputs: [String: Tensor], reference: Tensor) {
    self.assignment = assignment
    self.item = item
    self.inputs = inputs
    self.reference = reference
  }

  /// T, the number of timesteps (0 for assignments without a sequence).
  public var steps: Int { assignment.model.size("T") }

  /// The recurrent weight's name in the assignment's notation: `W_h` (RNN-LM) or `W_hh` (canonical).
  public var recurrentWeight: String { assignment.model.reference == .rnnCanonical ? "W_hh" : "W_h" }

  /// The loss's name: `J` (RNN-LM) or `E` (canonical).
  public var loss: String { assignment.model.reference == .rnnCanonical ? "E" : "J" }
}

/// One value a mutant produces: the wrong answer, and the mistake's parameter where it has one
/// (the k of a truncation, the threshold c of clipping).
public struct MutantVariant {
  public var parameter: Double?
  public var value: Tensor
  /// What the fit found, in words (e.g. "every entry scaled by 0.31"), for fitted mutants.
  public var note: String?

  public init(parameter: Double? = nil, value: Tensor, note: String? = nil) {
    self.parameter = parameter
    self.value = value
    self.note = note
  }
}

/// A known mistake as an executable variant of the reference: the items it applies to, the wrong
/// value(s) it produces at a student's inputs, and what to tell the student.
///
/// A submission matches the mutant when it is within the rubric's tolerance of one of its
/// variants (`EntryComparison`), or, for a fitted mutant such as clipping, when the fit succeeds.
public struct Mutant {
  /// Stable identifier, reported as `diagnosis.id` (e.g. `only-current-step`).
  public var id: String
  /// A few words naming the mistake.
  public var name: String
  /// How to fix it, in one or two sentences.
  public var hint: String
  let applies: (Assignment, String) -> Bool
  let produce: (MutantContext) -> [MutantVariant]
  let fit: ((MutantContext, Tensor, Tolerance) -> MutantVariant?)?
  let describe: (MutantContext, MutantVariant?) -> String

  init(
    id: String, name: String, hint: String,
    applies: @escaping (Assignment, String) -> Bool,
    produce: @escaping (MutantContext) -> [MutantVariant],
    fit: ((MutantContext, Tensor, Tolerance) -> MutantVariant?)? = nil,
    describe: @escaping (MutantContext, MutantVariant?) -> String
  ) {
    self.id = id
    self.name = name
    self.hint = hint
    self.applies = applies
    self.produce = produce
    self.fit = fit
    self.describe = describe
  }

  /// True when the mistake can be made on `item` of `assignment`.
  public func applies(to assignment: Assignment, item: String) -> Bool { applies(assignment, item) }

  /// The wrong values a student making this mistake submits (empty when, at these inputs, the
  /// mistake changes nothing).
  public func variants(_ context: MutantContext) -> [MutantVariant] { produce(context) }

  /// The variant `submitted` matches, if any.
  public func match(_ submitted: Tensor, in context: MutantContext, tolerance: Tolerance) -> MutantVariant? {
    guard submitted.count == context.reference.count else { return nil }
    for v in produce(context) where v.value.count == submitted.count {
      if EntryComparison.compare(submitted: submitted.scalars, expected: v.value.scalars, shape: context.item.shape, tolerance: tolerance).passed {
        return v
      }
    }
    return fit?(context, submitted, tolerance)
  }

  /// The sentence that names the mistake for this item.
  public func message(_ context: MutantContext, variant: MutantVariant? = nil) -> String { describe(context, variant) }
}
