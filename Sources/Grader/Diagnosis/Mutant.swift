import Jacobians

/// What a mutant sees: one item at one student's inputs, and the model's notation.
public struct MutantContext {
  public var item: ItemSpec
  public var inputs: [String: Tensor]
  /// The reference value of `item` at `inputs`.
  public var reference: Tensor
  public var notation: ModelNotation

  public init(item: ItemSpec, inputs: [String: Tensor], reference: Tensor, notation: ModelNotation) {
    self.item = item
    self.inputs = inputs
    self.reference = reference
    self.notation = notation
  }

  /// T, the number of timesteps (0 for models without a sequence).
  public var steps: Int { notation.steps }

  /// The recurrent weight's name in the model's notation (`W_h`, `W_hh`).
  public var recurrentWeight: String { notation.recurrentWeight ?? "the recurrent weight" }

  /// The loss's name (`J`, `E`).
  public var loss: String { notation.loss }
}

/// One value a mutant produces: the wrong answer, and the mistake's parameter where it has one
/// (the k of a truncation, the threshold c of clipping).
public struct MutantVariant: Sendable {
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

/// A kind of mistake, as a student is told about it: a stable id, a few words, a hint, and the
/// sentence that names it for an item. Models build their mutants from kinds, so that one mistake
/// reads the same in every model (`MistakeKind.swift` lists them).
public struct MistakeKind: Sendable {
  /// Stable identifier, reported as `diagnosis.id` (e.g. `only-current-step`).
  public var id: String
  /// A few words naming the mistake.
  public var name: String
  /// How to fix it, in one or two sentences.
  public var hint: String
  /// The sentence that names the mistake for an item.
  public var describe: @Sendable (MutantContext, MutantVariant?) -> String

  public init(id: String, name: String, hint: String, describe: @escaping @Sendable (MutantContext, MutantVariant?) -> String) {
    self.id = id
    self.name = name
    self.hint = hint
    self.describe = describe
  }

  /// The same kind with another sentence for some items (a model's own wording).
  public func describing(_ describe: @escaping @Sendable (MutantContext, MutantVariant?) -> String) -> MistakeKind {
    var kind = self
    kind.describe = describe
    return kind
  }
}

/// A known mistake as an executable variant of the reference: the items it applies to, the wrong
/// value(s) it produces at a student's inputs, and what to tell the student.
///
/// A submission matches the mutant when it is within the rubric's tolerance of one of its
/// variants (`EntryComparison`), or, for a fitted mutant such as clipping, when the fit succeeds.
public struct Mutant {
  public var kind: MistakeKind
  let applies: (String) -> Bool
  let produce: (MutantContext) -> [MutantVariant]
  let fit: ((MutantContext, Tensor, Tolerance) -> MutantVariant?)?

  public init(
    _ kind: MistakeKind,
    applies: @escaping (String) -> Bool,
    produce: @escaping (MutantContext) -> [MutantVariant],
    fit: ((MutantContext, Tensor, Tolerance) -> MutantVariant?)? = nil
  ) {
    self.kind = kind
    self.applies = applies
    self.produce = produce
    self.fit = fit
  }

  /// A mutant of the items in `items`.
  public init(
    _ kind: MistakeKind, items: Set<String>,
    produce: @escaping (MutantContext) -> [MutantVariant],
    fit: ((MutantContext, Tensor, Tolerance) -> MutantVariant?)? = nil
  ) {
    self.init(kind, applies: { items.contains($0) }, produce: produce, fit: fit)
  }

  public var id: String { kind.id }
  public var name: String { kind.name }
  public var hint: String { kind.hint }

  /// True when the mistake can be made on `item`.
  public func applies(to item: String) -> Bool { applies(item) }

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
  public func message(_ context: MutantContext, variant: MutantVariant? = nil) -> String { kind.describe(context, variant) }
}

/// A model's known mistakes, in the order they are tried: the first mutant a failing answer
/// matches is the one reported. Each model documents its catalogue and the coincidences between
/// its mutants (which id is reported when two mistakes give the same value).
public struct MistakeCatalogue {
  public var mutants: [Mutant]

  public init(mutants: [Mutant]) { self.mutants = mutants }

  /// Every mutant that applies to `item`, in catalogue order.
  public func mutants(for item: String) -> [Mutant] {
    mutants.filter { $0.applies(to: item) }
  }

  public func mutant(_ id: String) -> Mutant? { mutants.first { $0.id == id } }
}
