import Jacobians

/// The grammar of slips: what can go wrong at one step of a derivation, whatever the model.
///
/// ```
/// a factor        transposed          W_h for W_hᵀ
///                 dropped             the factor left out (the carry without W_hᵀ, ∂J/∂s without σ′(s))
///                 step(±1)            taken at the neighbouring timestep (h^(t) for h^(t−1), f′(z^(t+1)))
///                 signFlipped         a difference taken the wrong way round (y − ŷ)
///                 diagonalOnly        a Jacobian reduced to its diagonal (diag(ŷ ⊙ (1 − ŷ)))
/// an activation   activation(g)       g for the network's f in the forward pass (its derivative follows)
///                 forwardOnly(g)      g in the forward pass only, the derivative still f′ written in h
///                 activationForDerivative   f(z) where f′(z) belongs
///                 derivative(g)       g′(z) for f′(z)
///                 derivativeFormula(g)  g′ written in the output h: h(1 − h) for σ′, 1 − h² for tanh′
///                 derivativeAtOutput  f′(h) for f′(z)
/// a carry         notPropagated       the carry of a recursion never passed back
///                 factorOnOwnTerm     a factor applied to the step's own term only, not to the carry
///                 truncated(window)   each term back-propagates through k steps only (k a parameter)
///                 truncated(chunks)   no gradient crosses a boundary every k steps
/// a sum           lastTerm, firstTerm the sum replaced by its last or first term
///                 termDropped         one term of a sum left out
///                 extraTerm           a term added that the quantity does not have
///                 recounted           a sum recomputed and added again at every later step
///                 cumulative          running sums reported where the terms were asked
///                 assigned(order)     `=` for `+=` in a backward or forward loop: one term survives
///                 scatterAssigned(order)  `=` for `+=` into the column of a token: one occurrence survives
/// a scale         scale               the item multiplied by a constant (a missing or doubled 1/T, 1/N, ½, 2)
/// an input        zero                an input (h0, a bias) taken as zero
/// after the end   reshaped            the transpose laid out by a reshape (row and column forms)
///                 clipped             the gradient clipped (fitted: the threshold is unknown)
/// model-specific  custom(id)          a slip only one model can make (the max gate routed wrong)
/// ```
public enum SlipKind: Hashable, Sendable, CustomStringConvertible {
  case transposed, dropped, step(Int), signFlipped, diagonalOnly
  case activation(Activation), forwardOnly(Activation), activationForDerivative, derivative(Activation), derivativeFormula(Activation), derivativeAtOutput
  case notPropagated, factorOnOwnTerm, truncated(TruncationStyle)
  case lastTerm, firstTerm, termDropped, extraTerm, recounted, cumulative
  case assigned(LoopOrder), scatterAssigned(LoopOrder)
  case scale, zero, reshaped, clipped
  case custom(String)

  /// The kind's part of a slip id (`transposed`, `activation-tanh`, `assigned-forward`).
  public var description: String {
    switch self {
    case .transposed: return "transposed"
    case .dropped: return "dropped"
    case .step(let k): return k > 0 ? "next-step" : "previous-step"
    case .signFlipped: return "sign-flipped"
    case .diagonalOnly: return "diagonal-only"
    case .activation(let g): return "activation-\(g.name)"
    case .forwardOnly(let g): return "forward-only-\(g.name)"
    case .activationForDerivative: return "activation-for-derivative"
    case .derivative(let g): return "derivative-of-\(g.name)"
    case .derivativeFormula(let g): return "derivative-formula-of-\(g.name)"
    case .derivativeAtOutput: return "derivative-at-output"
    case .notPropagated: return "not-propagated"
    case .factorOnOwnTerm: return "factor-on-own-term"
    case .truncated(let s): return "truncated-\(s.rawValue)"
    case .lastTerm: return "last-term"
    case .firstTerm: return "first-term"
    case .termDropped: return "term-dropped"
    case .extraTerm: return "extra-term"
    case .recounted: return "recounted"
    case .cumulative: return "cumulative"
    case .assigned(let o): return "assigned-\(o.rawValue)"
    case .scatterAssigned(let o): return "scatter-assigned-\(o.rawValue)"
    case .scale: return "scaled"
    case .zero: return "zero"
    case .reshaped: return "reshaped"
    case .clipped: return "clipped"
    case .custom(let id): return id
    }
  }
}

/// How a truncation cuts the carry: a sliding window of k steps behind each loss term, or
/// chunks of k steps across which no gradient flows.
public enum TruncationStyle: String, Hashable, Sendable {
  case window, chunks
}

/// The order of the loop an accumulation sits in: the backward loop visits T … 1 (its last
/// visit is the first step), a forward loop 1 … T.
public enum LoopOrder: String, Hashable, Sendable {
  case backward, forward
}

/// What a slip does to an item: recomputed by the model's evaluation, or a change of the finished
/// item that the search applies to any candidate without evaluating anything.
///
/// ```
/// recompute           the model's SlipEvaluation computes the item with the slip
/// scale(c)            the item times c (a 1/T missing: c = T)
/// transposeSlices     every trailing square slice transposed
/// reshapeTransposed   the transpose (n × m) laid out as the item's m × n by a reshape
/// clipFit             clamped at an unknown c, or scaled by an unknown 0 < α < 1 (fitted)
/// ```
public enum SlipEffect: Hashable, Sendable {
  case recompute, scale(Double), transposeSlices, reshapeTransposed, clipFit

  /// True for the effects the search applies itself.
  public var isItemTransform: Bool { self != .recompute }

  /// True for a scale.
  public var isScale: Bool {
    if case .scale = self { return true }
    return false
  }
}

/// A slip a step admits: its kind, what it does, the items it changes, and how to tell the
/// student, in the notes' terms.
///
/// `wrong` is the step as the slip computes it and `fix` what the step needs
/// (`∂J/∂h^(t−1) = W_h ∂J/∂z^(t)`, `the carry needs W_hᵀ`); both see the item and the
/// parameter (the k of a truncation). Where the slip is one of the mistakes the grader has always
/// named, `mistake` keeps that id, hint and sentence.
public struct StepSlip: Sendable {
  public var kind: SlipKind
  public var effect: SlipEffect
  /// The items the slip changes; nil: every item of its step.
  public var items: Set<String>?
  /// One candidate per parameter (the k of a truncation); empty for a slip without one.
  public var parameters: [Int]
  public var wrong: @Sendable (MutantContext, Int?) -> String
  public var fix: @Sendable (MutantContext, Int?) -> String
  public var mistake: MistakeKind?
  /// The sentence for the slip alone, when the generic one ("Your … was computed with <wrong>
  /// where the derivation has <formula>: <fix>.") would not say enough; `mistake`'s wins.
  public var sentence: (@Sendable (MutantContext, MutantVariant?) -> String)?
  /// The prior: among explanations of the same size, the cheaper is reported first.
  public var cost: Double

  public init(
    _ kind: SlipKind, effect: SlipEffect = .recompute, items: Set<String>? = nil, parameters: [Int] = [],
    wrong: @escaping @Sendable (MutantContext, Int?) -> String, fix: @escaping @Sendable (MutantContext, Int?) -> String,
    mistake: MistakeKind? = nil, sentence: (@Sendable (MutantContext, MutantVariant?) -> String)? = nil, cost: Double = 1
  ) {
    self.sentence = sentence
    self.kind = kind
    self.effect = effect
    self.items = items
    self.parameters = parameters
    self.wrong = wrong
    self.fix = fix
    self.mistake = mistake
    self.cost = cost
  }

  /// A slip whose texts do not depend on the item or parameter.
  public init(
    _ kind: SlipKind, effect: SlipEffect = .recompute, items: Set<String>? = nil,
    wrong: String, fix: String, mistake: MistakeKind? = nil, sentence: (@Sendable (MutantContext, MutantVariant?) -> String)? = nil, cost: Double = 1
  ) {
    self.init(kind, effect: effect, items: items, wrong: { _, _ in wrong }, fix: { _, _ in fix }, mistake: mistake, sentence: sentence, cost: cost)
  }
}

/// One step of a model's reference derivation: the per-step δ, a Jacobian factor, a carry, a
/// reduction, an accumulation. `formula` is the step as the notes write it, `items` the items
/// computed through it, `slips` what a student can get wrong there.
public struct DerivationStep: Sendable {
  public var id: String
  public var formula: String
  public var items: Set<String>
  public var slips: [StepSlip]

  public init(_ id: String, _ formula: String, items: Set<String>, slips: [StepSlip]) {
    self.id = id
    self.formula = formula
    self.items = items
    self.slips = slips
  }

  /// The items `slip` changes: its own list, or the step's.
  public func items(of slip: StepSlip) -> Set<String> { slip.items ?? items }
}

/// One slip made at one step, with its parameter: what a model's evaluation is asked to apply.
public struct AppliedSlip: Hashable, Sendable, CustomStringConvertible {
  public var step: String
  public var kind: SlipKind
  public var parameter: Int?

  public init(step: String, kind: SlipKind, parameter: Int? = nil) {
    self.step = step
    self.kind = kind
    self.parameter = parameter
  }

  public var description: String { "\(step):\(kind)" + (parameter.map { "(\($0))" } ?? "") }
}

/// An item's terms along its sum over steps (∂J/∂W_h = Σ_i ∂J/∂z^(i) h^(i−1)ᵀ), for localizing a
/// wrong answer from the item alone.
public struct StepTerms {
  /// One term, as the notes write it (`∂J/∂W_h|_(i) = ∂J/∂z^(i) h^(i−1)ᵀ`).
  public var name: String
  /// The step's symbol (`i`, `t`).
  public var symbol: String
  /// Term k − 1 is the term of step k; they sum to the item.
  public var terms: [Tensor]

  public init(name: String, symbol: String, terms: [Tensor]) {
    self.name = name
    self.symbol = symbol
    self.terms = terms
  }
}

/// A model's derivation prepared at one student's inputs: it recomputes items with slips applied,
/// caching what the slips do not touch (the forward pass, the output layer). Models implement it
/// in their folder; the search calls it.
public protocol SlipEvaluation: AnyObject {
  /// `item` computed with `slips` applied (at different steps); nil when the model cannot make
  /// these slips together.
  func value(of item: String, with slips: [AppliedSlip]) -> Tensor?
  /// The entries at the flat (row-major) `indices` of `item` with `slips` applied: what the
  /// search screens a candidate on before it asks for the whole value. A model whose items are
  /// large computes only these; the default takes them from `value(of:with:)`.
  func entries(of item: String, with slips: [AppliedSlip], at indices: [Int]) -> [Double]?
  /// The terms of `item` along its sum over steps; nil for an item without.
  func terms(of item: String) -> StepTerms?
  /// True when evaluating `slips` needs work nothing cached yet covers (a new forward pass of a
  /// large model): the search tries such candidates last, and few of them in pairs.
  func isExpensive(_ slips: [AppliedSlip]) -> Bool
  /// True when the work `isExpensive` flags costs orders of magnitude more than a cheap
  /// candidate (a forward pass of millions of multiply-adds): once a single slip matches
  /// exactly, the search then starts no such work for the other candidates (see `SlipSearch`).
  var stopsExpensiveWorkAtMatch: Bool { get }
  /// Told the candidates the search is about to screen on `item`, one evaluation each in this
  /// order: a model may compute the work they do not share together (the gated models run
  /// their backward sweeps in lockstep, one pass over W_h per step for many). The values must
  /// be those the candidates give one at a time. By default nothing.
  func anticipate(_ candidates: [[AppliedSlip]], for item: String)
}

extension SlipEvaluation {
  public func entries(of item: String, with slips: [AppliedSlip], at indices: [Int]) -> [Double]? {
    guard let v = value(of: item, with: slips) else { return nil }
    return indices.map { v.scalars[$0] }
  }

  public func terms(of item: String) -> StepTerms? { nil }

  public func isExpensive(_ slips: [AppliedSlip]) -> Bool { false }

  public var stopsExpensiveWorkAtMatch: Bool { false }

  public func anticipate(_ candidates: [[AppliedSlip]], for item: String) {}

  /// The rule the language models use for `stopsExpensiveWorkAtMatch`: a forward pass whose
  /// output layer alone is T·H·|V| ≥ 4·10⁶ multiply-adds (|V| in the thousands) costs what
  /// hundreds of backward recursions do.
  public static func outputLayerIsCostly(steps T: Int, hidden H: Int, vocabulary V: Int) -> Bool {
    T * H * V >= 4_000_000
  }
}

/// A model's reference derivation as named steps with their slips, and how to prepare its
/// slip-aware evaluation at a student's inputs. The search (`SlipSearch`) works from it alone.
public struct Derivation: Sendable {
  public var steps: [DerivationStep]
  public var prepare: @Sendable ([String: Tensor]) -> any SlipEvaluation

  public init(steps: [DerivationStep], prepare: @escaping @Sendable ([String: Tensor]) -> any SlipEvaluation) {
    self.steps = steps
    self.prepare = prepare
  }

  public func step(_ id: String) -> DerivationStep? { steps.first { $0.id == id } }

  /// Every slip at every step, with its id, in declaration order.
  public var slips: [DeclaredSlip] {
    steps.flatMap { step in step.slips.map { DeclaredSlip(step: step, slip: $0) } }
  }
}

/// A slip with the step it belongs to.
public struct DeclaredSlip: Sendable {
  public var step: DerivationStep
  public var slip: StepSlip

  /// The stable id: the name of today's mistake where the slip is one, else `<step>:<kind>`.
  public var id: String { slip.mistake?.id ?? "\(step.id):\(slip.kind)" }
  public var items: Set<String> { step.items(of: slip) }

  /// The slip as the evaluation is asked to make it.
  public func applied(_ parameter: Int?) -> AppliedSlip { AppliedSlip(step: step.id, kind: slip.kind, parameter: parameter) }
}

extension Derivation {
  /// Today's mistakes as a catalogue of mutants, one per id (the slips that carry a
  /// `MistakeKind`), in declaration order: each mutant produces its slip's values at a student's
  /// inputs (one per parameter). Tests enumerate these as the cases every diagnosis must name.
  public var catalogue: MistakeCatalogue {
    var order: [String] = []
    var byID: [String: [DeclaredSlip]] = [:]
    for d in slips where d.slip.mistake != nil {
      if byID[d.id] == nil { order.append(d.id) }
      byID[d.id, default: []].append(d)
    }
    let prepare = self.prepare
    return MistakeCatalogue(mutants: order.map { id in
      let group = byID[id]!
      let items = group.reduce(into: Set<String>()) { $0.formUnion($1.items) }
      let clip = group.contains { $0.slip.effect == .clipFit }
      return Mutant(group[0].slip.mistake!, items: items,
        produce: { c in
          guard let d = group.first(where: { $0.items.contains(c.item.id) }) else { return [] }
          switch d.slip.effect {
          case .clipFit:
            let c0 = 0.5 * c.reference.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
            guard c0 > 0 else { return [] }
            return [MutantVariant(parameter: c0, value: Tensor(shape: c.item.shape, scalars: c.reference.scalars.map { Swift.min(Swift.max($0, -c0), c0) }))]
          case .recompute:
            let evaluation = prepare(c.inputs)
            let parameters: [Int?] = d.slip.parameters.isEmpty ? [nil] : d.slip.parameters.map { $0 }
            return parameters.compactMap { k in
              guard let v = evaluation.value(of: c.item.id, with: [d.applied(k)]), v.scalars != c.reference.scalars else { return nil }
              return MutantVariant(parameter: k.map(Double.init), value: v)
            }
          default:
            guard let v = SlipSearch.transform(d.slip.effect, c.reference), v.scalars != c.reference.scalars else { return [] }
            return [MutantVariant(value: v)]
          }
        },
        fit: clip ? { c, s, tolerance in SlipSearch.fitClip(s, c.reference, tolerance) } : nil)
    })
  }
}
