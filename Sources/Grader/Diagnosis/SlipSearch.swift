import Jacobians

/// One slip of an explanation, with the parameter it was made with (the k of a truncation, the
/// threshold of a clip) and, for a fitted slip, what the fit found.
public struct ExplainedSlip: Sendable {
  public var declared: DeclaredSlip
  /// The parameter (as `MutantVariant.parameter`) and the fit's note.
  public var variant: MutantVariant

  public var id: String { declared.id }
  /// The parameter as a whole number (the k of a truncation).
  public var parameter: Int? { variant.parameter.map { Int($0) } }
}

/// An explanation of a wrong answer: one or two slips whose value matches it within the
/// rubric's tolerance.
public struct SlipExplanation: Sendable {
  public var slips: [ExplainedSlip]
  public var value: Tensor
  /// True when a slip was fitted (clipping, whose threshold is unknown).
  public var fitted: Bool
  public var cost: Double
  /// How many of the submission's other items the explanation also accounts for (unchanged
  /// where it changes nothing, matched where it changes them), when ties were broken.
  public var consistentItems: Int?

  /// The slips' ids joined by `+`.
  public var id: String { slips.map(\.id).joined(separator: "+") }
  public var ids: [String] { slips.map(\.id) }
}

/// What the search found for one failing item.
public struct SlipSearchResult: Sendable {
  /// The explanations that fit, best first: one, or several that fit equally well (a tie the
  /// other items could not break). Empty when nothing matched.
  public var explanations: [SlipExplanation]
  /// How many times the model's evaluation was called (the budget's unit).
  public var evaluations: Int
  /// How many candidate values were compared with the submission.
  public var comparisons: Int
  /// The single slips that change the item at these inputs.
  public var effectiveSlips: Int
}

/// Another item of the same submission, for breaking ties between explanations.
public struct SubmittedItem: Sendable {
  public var spec: ItemSpec
  public var submitted: Tensor
  public var reference: Tensor
  public var tolerance: Tolerance

  public init(spec: ItemSpec, submitted: Tensor, reference: Tensor, tolerance: Tolerance) {
    self.spec = spec
    self.submitted = submitted
    self.reference = reference
    self.tolerance = tolerance
  }

  /// True when the submitted value is within tolerance of the reference.
  public var agrees: Bool { SlipSearch.matches(submitted, reference, tolerance) }
}

/// Finds the simplest slips of a derivation that explain a wrong answer.
///
/// ```
/// level 1   every item transform on the reference (transposed, scaled, reshaped, clipped)
///           every single slip the item goes through (one evaluation each; a family such as
///           truncation, one per parameter)                         → stop when one matches
/// level 2   item transform ∘ single slip; transform ∘ transform    (no evaluation)
///           pairs of slips at two steps, best-first by how well the sum of their changes fits
///           the submission's change (least squares over ≤ 1024 entries), until the budget
///           (200 evaluations) is spent or a few pairs after the first that matches
/// ranking   fewer slips first; exact before fitted; then the declared cost; explanations of
///           the same size that fit are ties, broken by how many of the submission's other
///           items each also explains — what remains is reported as a tie
/// ```
/// A slip that leaves the item within tolerance of the reference at these inputs is dropped:
/// it cannot explain a failing answer. The expensive candidates (a new forward pass) come after
/// the cheap ones and are skipped when a cheap one matches; on a large model
/// (`SlipEvaluation.stopsExpensiveWorkAtMatch`) an exact match among them also ends the new
/// forward passes, the candidates that share a computed one still tried (the ties mathematics
/// makes).
public struct SlipSearch {
  public var derivation: Derivation
  /// At most this many calls of the model's evaluation per failing item.
  public var budget = 200
  /// After the first matching pair, this many more pairs are tried (for ties).
  public var pairsAfterMatch = 8
  /// Entries of the item used to screen candidates and rank pairs.
  public var sampleSize = 1024
  /// At most this many pairs that need work nothing cached covers (a new forward pass).
  public var maximumExpensivePairs = 8

  public init(derivation: Derivation) { self.derivation = derivation }

  // MARK: Matching

  /// True when every entry of `submitted` is within `tolerance` of `candidate` (NaN never
  /// matches); a strided sample is checked first so that most candidates fail fast.
  public static func matches(_ submitted: Tensor, _ candidate: Tensor, _ tolerance: Tolerance) -> Bool {
    let n = submitted.count
    guard candidate.count == n else { return false }
    return submitted.scalars.withUnsafeBufferPointer { s in
      candidate.scalars.withUnsafeBufferPointer { c in
        let stride = Swift.max(1, n / 64)
        var k = 0
        while k < n {
          if !(Swift.abs(s[k] - c[k]) <= tolerance.bound(for: c[k])) || !c[k].isFinite { return false }
          k += stride
        }
        for k in 0..<n where !(Swift.abs(s[k] - c[k]) <= tolerance.bound(for: c[k])) || !c[k].isFinite { return false }
        return true
      }
    }
  }

  /// True when the item transform `effect` applies to an item of `shape`.
  static func applies(_ effect: SlipEffect, to shape: [Int]) -> Bool {
    switch effect {
    case .recompute, .clipFit: return false
    case .scale: return true
    case .transposeSlices: return shape.count >= 2 && shape[shape.count - 1] == shape[shape.count - 2]
    case .reshapeTransposed: return shape.count == 2 && shape[0] != shape[1] && shape[0] > 1 && shape[1] > 1
    }
  }

  /// `value` with an item transform applied; nil for a fitted one or a shape it does not fit.
  static func transform(_ effect: SlipEffect, _ value: Tensor) -> Tensor? {
    let shape = value.shape
    switch effect {
    case .recompute, .clipFit:
      return nil
    case .scale(let c):
      return Tensor(shape: shape, scalars: value.scalars.map { c * $0 })
    case .transposeSlices:
      guard shape.count >= 2, shape[shape.count - 1] == shape[shape.count - 2] else { return nil }
      let n = shape[shape.count - 1]
      var out = value.scalars
      for base in stride(from: 0, to: out.count, by: n * n) {
        for i in 0..<n { for j in 0..<n { out[base + i * n + j] = value.scalars[base + j * n + i] } }
      }
      return Tensor(shape: shape, scalars: out)
    case .reshapeTransposed:
      guard shape.count == 2, shape[0] != shape[1], shape[0] > 1, shape[1] > 1 else { return nil }
      let (m, n) = (shape[0], shape[1])
      var out = [Double](repeating: 0, count: m * n)
      for i in 0..<m { for j in 0..<n { out[j * m + i] = value.scalars[i * n + j] } }
      return Tensor(shape: shape, scalars: out)
    }
  }

  /// Clipping fitted to `submitted` from the unclipped `value`: entries clamped at
  /// c = max|submitted| (some entry of `value` beyond it), or every entry scaled by 0 < α < 1.
  static func fitClip(_ submitted: Tensor, _ value: Tensor, _ tolerance: Tolerance) -> MutantVariant? {
    let r = value.scalars
    guard r.count > 1, r.count == submitted.count else { return nil }
    let bound = submitted.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
    if bound > 0, r.contains(where: { !(Swift.abs($0) <= bound + tolerance.bound(for: bound)) }) {
      let clamped = Tensor(shape: value.shape, scalars: r.map { Swift.min(Swift.max($0, -bound), bound) })
      if matches(submitted, clamped, tolerance) {
        return MutantVariant(parameter: bound, value: clamped, note: "every entry clamped to ±\(Autograder.number(bound))")
      }
    }
    let rr = r.reduce(0) { $0 + $1 * $1 }
    guard rr > 0 else { return nil }
    let alpha = zip(submitted.scalars, r).reduce(0) { $0 + $1.0 * $1.1 } / rr
    guard alpha > 0, alpha < 0.999 else { return nil }
    let scaled = Tensor(shape: value.shape, scalars: r.map { alpha * $0 })
    guard matches(submitted, scaled, tolerance) else { return nil }
    return MutantVariant(parameter: alpha, value: scaled, note: "every entry scaled by \(Autograder.number(alpha)), as clipping by norm does")
  }

  // MARK: Probes: the entries a candidate is screened on

  /// The entries of one item a candidate is first compared on: where the submission fails (up
  /// to 512, spread), where the reference or the submission is not zero (up to 384), and a
  /// spread of the rest (128); `needed` adds the entries the item transforms read for them. A
  /// candidate that differs from the submission there cannot match; one that agrees is then
  /// compared in full.
  struct Probe {
    let shape: [Int]
    let sample: [Int]
    let needed: [Int]
    let position: [Int: Int]
    let submittedSample: [Double]
    /// For each sample entry, its position in `needed`; the same through each permutation of
    /// `effects` (the entry it reads): `transformed` without a lookup per entry.
    let samplePositions: [Int]
    let permutedPositions: [SlipEffect: [Int]]

    init(submitted: Tensor, reference: Tensor, tolerance: Tolerance, size: Int, effects: [SlipEffect]) {
      shape = reference.shape
      let n = reference.count
      let s = submitted.scalars, r = reference.scalars
      // Each entry's class (1 failing, 2 not zero, 0 zero), then the m spread picks of each
      // class — the entries at ordinals ⌊p · count / m⌋ — without listing every entry of a
      // large item.
      var kind = [UInt8](repeating: 0, count: n)
      var counts = (failing: 0, nonzero: 0)
      s.withUnsafeBufferPointer { s in
        r.withUnsafeBufferPointer { r in
          for k in 0..<n {
            if !(Swift.abs(s[k] - r[k]) <= tolerance.bound(for: r[k])) { kind[k] = 1; counts.failing += 1 }
            else if r[k] != 0 || s[k] != 0 { kind[k] = 2; counts.nonzero += 1 }
          }
        }
      }
      /// The spread picks of classes 1 and 2 in one pass: of a class of `count` entries, m of
      /// them, at ordinals ⌊p · count / m⌋ (every entry when count ≤ m).
      func spread(_ m: (failing: Int, nonzero: Int)) -> [Int] {
        let count = [0, counts.failing, counts.nonzero], m = [0, m.failing, m.nonzero]
        let picks = (0..<3).map { Swift.min(count[$0], m[$0]) }
        var out: [Int] = [], taken = [0, 0, 0], ordinal = [0, 0, 0]
        out.reserveCapacity(picks[1] + picks[2])
        kind.withUnsafeBufferPointer { kind in
          for k in 0..<n where kind[k] != 0 {
            let c = Int(kind[k])
            guard taken[c] < picks[c] else {
              if taken[1] == picks[1] && taken[2] == picks[2] { break }
              continue
            }
            // count > m: the ordinals p · count / m grow by at least 1, so one pick per entry.
            if ordinal[c] == (count[c] <= m[c] ? taken[c] : taken[c] * count[c] / m[c]) { out.append(k); taken[c] += 1 }
            ordinal[c] += 1
          }
        }
        return out
      }
      var chosen = Set(spread((failing: size / 2, nonzero: 3 * size / 8)))
      for k in SlipSearch.sampleIndices(count: n, size: size / 8) { chosen.insert(k) }
      sample = chosen.sorted()
      var need = Set(sample)
      for effect in effects { for k in sample { need.insert(Self.source(effect, k, shape)) } }
      needed = need.sorted()
      let position = Dictionary(uniqueKeysWithValues: needed.enumerated().map { ($1, $0) })
      self.position = position
      submittedSample = sample.map { s[$0] }
      samplePositions = sample.map { position[$0]! }
      var permuted: [SlipEffect: [Int]] = [:]
      for effect in effects where effect == .transposeSlices || effect == .reshapeTransposed {
        permuted[effect] = sample.map { [shape] k in position[Self.source(effect, k, shape)]! }
      }
      permutedPositions = permuted
    }

    /// The entry of the untransformed value an item transform puts at `k`.
    static func source(_ effect: SlipEffect, _ k: Int, _ shape: [Int]) -> Int {
      switch effect {
      case .transposeSlices:
        guard shape.count >= 2, shape[shape.count - 1] == shape[shape.count - 2] else { return k }
        let n = shape[shape.count - 1]
        let base = k - k % (n * n), i = (k % (n * n)) / n, j = k % n
        return base + j * n + i
      case .reshapeTransposed:
        guard shape.count == 2 else { return k }
        let (m, n) = (shape[0], shape[1])
        return (k % m) * n + k / m
      default:
        return k
      }
    }

    /// The sample's entries of `effect` applied to a value whose `needed` entries are `e`.
    func transformed(_ e: [Double], _ effect: SlipEffect?) -> [Double] {
      switch effect {
      case .scale(let c)?: return samplePositions.map { c * e[$0] }
      case .transposeSlices?, .reshapeTransposed?:
        if let p = permutedPositions[effect!] { return p.map { e[$0] } }
        return sample.map { k in e[position[Self.source(effect!, k, shape)]!] }
      default: return samplePositions.map { e[$0] }
      }
    }

    /// True when the sample of the submission is within tolerance of `candidate` (the sample's
    /// entries of a candidate value).
    func agrees(_ candidate: [Double], _ tolerance: Tolerance) -> Bool {
      for (p, c) in candidate.enumerated() where !(Swift.abs(submittedSample[p] - c) <= tolerance.bound(for: c)) || !c.isFinite { return false }
      return true
    }
  }

  struct Single {
    var slip: ExplainedSlip
    var applied: AppliedSlip
    /// The candidate's `needed` entries.
    var entries: [Double]
    var delta: [Double]
  }

  /// The explanations of `submitted` for `item` (whose reference is `reference`) at the
  /// evaluation's inputs; `others` are the submission's other items, for breaking ties, `hints`
  /// the explanations of other items, tried before the pairs.
  public func explain(
    item: ItemSpec, submitted: Tensor, reference: Tensor, tolerance: Tolerance,
    evaluation: any SlipEvaluation, others: [SubmittedItem] = [], hints: [SlipExplanation] = [], budget: Int? = nil
  ) -> SlipSearchResult {
    let budget = Swift.min(budget ?? self.budget, self.budget)
    var evaluations = 0, comparisons = 0
    let slips = derivation.slips.filter { $0.items.contains(item.id) }
    let transforms = slips.filter { $0.slip.effect.isItemTransform && $0.slip.effect != .clipFit && Self.applies($0.slip.effect, to: reference.shape) }
    let clip = slips.first { $0.slip.effect == .clipFit }
    let internals = slips.filter { !$0.slip.effect.isItemTransform }
    let probe = Probe(submitted: submitted, reference: reference, tolerance: tolerance, size: sampleSize, effects: transforms.map(\.slip.effect))
    let referenceNeeded = probe.needed.map { reference.scalars[$0] }
    let referenceSample = probe.sample.map { reference.scalars[$0] }
    let bound = submitted.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
    func explanation(_ parts: [ExplainedSlip], _ value: Tensor, fitted: Bool = false) -> SlipExplanation {
      SlipExplanation(slips: parts, value: value, fitted: fitted, cost: parts.reduce(0) { $0 + $1.declared.slip.cost })
    }
    func plain(_ d: DeclaredSlip, _ value: Tensor, parameter: Int? = nil) -> ExplainedSlip {
      ExplainedSlip(declared: d, variant: MutantVariant(parameter: parameter.map(Double.init), value: value))
    }
    /// True when the candidate's entries (`needed`) differ from the reference somewhere.
    func visible(_ e: [Double]) -> Bool {
      for p in e.indices where !(Swift.abs(e[p] - referenceNeeded[p]) <= tolerance.bound(for: e[p])) || !e[p].isFinite { return true }
      return false
    }
    /// The full value of a candidate that passed the screen, compared in full.
    func full(_ applied: [AppliedSlip], then effect: SlipEffect? = nil) -> Tensor? {
      guard let v = evaluation.value(of: item.id, with: applied), v.count == reference.count else { return nil }
      let t = effect.flatMap { Self.transform($0, v) } ?? v
      comparisons += 1
      return Self.matches(submitted, t, tolerance) ? t : nil
    }
    /// A clip of the candidate, screened on the sample (by value at ±max|submitted|, or by norm),
    /// then fitted in full.
    func clipped(_ e: [Double], _ applied: [AppliedSlip]?) -> MutantVariant? {
      let sampleValues = probe.transformed(e, nil)
      let byValue = sampleValues.map { Swift.min(Swift.max($0, -bound), bound) }
      let ee = sampleValues.reduce(0) { $0 + $1 * $1 }
      let alpha = ee > 0 ? zip(probe.submittedSample, sampleValues).reduce(0) { $0 + $1.0 * $1.1 } / ee : 0
      let loose = tolerance.widened(to: Tolerance(relative: 1e-3, absolute: 1e-6))
      guard probe.agrees(byValue, tolerance) || (alpha > 0 && alpha < 0.999 && probe.agrees(sampleValues.map { alpha * $0 }, loose)) else { return nil }
      let v: Tensor
      if let applied {
        guard let full = evaluation.value(of: item.id, with: applied), full.count == reference.count else { return nil }
        v = full
      } else {
        v = reference
      }
      comparisons += 1
      return Self.fitClip(submitted, v, tolerance)
    }

    var level1: [SlipExplanation] = [], level1Fitted: [SlipExplanation] = []
    var level2: [SlipExplanation] = [], level2Fitted: [SlipExplanation] = []

    /// Item transforms of the reference (one or two), screened on the probe, then in full.
    func transformsOfReference(_ ts: [DeclaredSlip]) -> Tensor? {
      let permutation = ts.first { $0.slip.effect == .transposeSlices || $0.slip.effect == .reshapeTransposed }?.slip.effect
      let factor = ts.reduce(1.0) { f, t in if case .scale(let c) = t.slip.effect { return f * c } else { return f } }
      let screened = probe.transformed(referenceNeeded, permutation).map { factor * $0 }
      guard probe.agrees(screened, tolerance) else { return nil }
      var v = reference
      for t in ts { v = Self.transform(t.slip.effect, v) ?? v }
      comparisons += 1
      return Self.matches(submitted, v, tolerance) ? v : nil
    }
    let transformed = transforms.map { (plain($0, reference), $0) }
    for (_, t) in transformed {
      if let v = transformsOfReference([t]) { level1.append(explanation([plain(t, v)], v)) }
    }
    if let clip, let fit = clipped(referenceNeeded, nil) {
      level1Fitted.append(explanation([ExplainedSlip(declared: clip, variant: fit)], fit.value, fitted: true))
    }

    // Single slips, screened on the probe's entries.
    let target = zip(probe.submittedSample, referenceSample).map { $0 - $1 }
    var singles: [Single] = []
    // Cheap candidates first; the expensive ones (a new forward pass) only when no cheap one
    // explains the item exactly: they change every hidden state, and give the same value as
    // a slip that keeps the forward pass only by coincidence.
    let candidates: [(DeclaredSlip, Int?, expensive: Bool)] = internals.flatMap { d in
      (d.slip.parameters.isEmpty ? [nil] : d.slip.parameters.map { $0 }).map { k in (d, k, evaluation.isExpensive([d.applied(k)])) }
    }.sorted { ($0.expensive ? 1 : 0, $0.0.slip.cost) < ($1.expensive ? 1 : 0, $1.0.slip.cost) }
    // Every cheap candidate within the budget is screened: the model may compute them together.
    evaluation.anticipate(candidates.filter { !$0.expensive }.prefix(Swift.max(0, budget - evaluations)).map { [$0.0.applied($0.1)] }, for: item.id)
    var cheapMatched: Bool?
    let stopAtMatch = evaluation.stopsExpensiveWorkAtMatch
    for (d, parameter, expensive) in candidates {
      if expensive, cheapMatched == nil { cheapMatched = !level1.isEmpty }
      guard evaluations < budget, !(expensive && cheapMatched == true) else { break }
      let applied = d.applied(parameter)
      // On a large model, after an exact match among the expensive candidates, only those whose
      // work is now cached: two different forward passes agree on an item by accident only,
      // while the slips that agree by mathematics share their forward pass (another activation
      // with or without its derivative, on the items before the local derivative).
      if expensive, stopAtMatch, !level1.isEmpty, evaluation.isExpensive([applied]) { continue }
      evaluations += 1
      guard let e = evaluation.entries(of: item.id, with: [applied], at: probe.needed), e.count == probe.needed.count, visible(e) else { continue }
      let sampleValues = probe.transformed(e, nil)
      singles.append(Single(slip: plain(d, reference, parameter: parameter), applied: applied, entries: e, delta: zip(sampleValues, referenceSample).map { $0 - $1 }))
      if probe.agrees(sampleValues, tolerance), let v = full([applied]) {
        level1.append(explanation([plain(d, v, parameter: parameter)], v))
        continue
      }
      for (_, t) in transformed where probe.agrees(probe.transformed(e, t.slip.effect), tolerance) {
        if let v = full([applied], then: t.slip.effect) { level2.append(explanation([plain(d, v, parameter: parameter), plain(t, v)], v)) }
      }
      if let clip, let fit = clipped(e, [applied]) {
        level2Fitted.append(explanation([plain(d, fit.value, parameter: parameter), ExplainedSlip(declared: clip, variant: fit)], fit.value, fitted: true))
      }
    }

    func finish(_ found: [SlipExplanation]) -> SlipSearchResult {
      var ranked = found.sorted { $0.cost < $1.cost }
      if ranked.count > 1, !others.isEmpty {
        ranked = breakTies(ranked, others: others, evaluation: evaluation, evaluations: &evaluations, budget: budget)
      }
      return SlipSearchResult(explanations: ranked, evaluations: evaluations, comparisons: comparisons, effectiveSlips: singles.count)
    }
    if !level1.isEmpty { return finish(level1) }
    if !level1Fitted.isEmpty { return finish(level1Fitted) }

    // Two item transforms (never two permutations: they apply to different shapes); a clip
    // after a transform.
    for (i, (_, a)) in transformed.enumerated() {
      for (_, b) in transformed[(i + 1)...] where !(a.slip.effect.isScale && b.slip.effect.isScale) {
        if let v = transformsOfReference([a, b]) { level2.append(explanation([plain(a, v), plain(b, v)], v)) }
      }
      if let clip {
        let permutation = a.slip.effect.isScale ? nil : a.slip.effect
        let factor: Double = { if case .scale(let c) = a.slip.effect { return c } else { return 1 } }()
        let sampleValues = probe.transformed(referenceNeeded, permutation).map { factor * $0 }
        let byValue = sampleValues.map { Swift.min(Swift.max($0, -bound), bound) }
        if probe.agrees(byValue, tolerance) || a.slip.effect.isScale, let av = Self.transform(a.slip.effect, reference) {
          comparisons += 1
          if let fit = Self.fitClip(submitted, av, tolerance) {
            level2Fitted.append(explanation([plain(a, av), ExplainedSlip(declared: clip, variant: fit)], fit.value, fitted: true))
          }
        }
      }
    }

    // What explained the submission's other items, tried on this one.
    level2 += tryHints(hints, item: item, probe: probe, tolerance: tolerance, evaluation: evaluation, evaluations: &evaluations, budget: budget) { parts, effect in
      full(parts, then: effect)
    }

    // Pairs of slips at two steps, best-first; after the first match, a few more and every pair
    // that ranks as well as it (a tie in the ranking may be a tie in the value).
    let pairs = rankPairs(singles, target: target)
    var afterMatch = 0, expensivePairs = 0
    var matchedScore: Double?
    for (i, j, score) in pairs {
      guard evaluations < budget else { break }
      if let m = matchedScore {
        afterMatch += 1
        if afterMatch > pairsAfterMatch && score > m * (1 + 1e-6) + 1e-12 { break }
      }
      let a = singles[i], b = singles[j]
      if evaluation.isExpensive([a.applied, b.applied]) {
        guard expensivePairs < maximumExpensivePairs else { continue }
        expensivePairs += 1
      }
      evaluations += 1
      guard let e = evaluation.entries(of: item.id, with: [a.applied, b.applied], at: probe.needed), e.count == probe.needed.count,
            probe.agrees(probe.transformed(e, nil), tolerance), let v = full([a.applied, b.applied]) else { continue }
      if matchedScore == nil { matchedScore = score }
      level2.append(explanation([
        ExplainedSlip(declared: a.slip.declared, variant: MutantVariant(parameter: a.slip.variant.parameter, value: v)),
        ExplainedSlip(declared: b.slip.declared, variant: MutantVariant(parameter: b.slip.variant.parameter, value: v)),
      ], v))
    }
    if !level2.isEmpty { return finish(Self.unique(level2)) }
    return finish(Self.unique(level2Fitted))
  }

  /// The explanations of other items tried on `item`: each hint's slips that reach the item
  /// (at most two recomputed ones and one item transform), screened on the probe, then checked
  /// in full by `check`; one evaluation each.
  func tryHints(
    _ hints: [SlipExplanation], item: ItemSpec, probe: Probe, tolerance: Tolerance, evaluation: any SlipEvaluation,
    evaluations: inout Int, budget: Int, check: ([AppliedSlip], SlipEffect?) -> Tensor?
  ) -> [SlipExplanation] {
    var out: [SlipExplanation] = []
    var seen = Set<String>()
    for hint in hints {
      let parts = hint.slips.filter { $0.declared.items.contains(item.id) && $0.declared.slip.effect != .clipFit }
      let recomputed = parts.filter { !$0.declared.slip.effect.isItemTransform }
      let effects = parts.filter { $0.declared.slip.effect.isItemTransform }.map(\.declared.slip.effect)
      guard parts.count == 2, !recomputed.isEmpty, effects.count <= 1,
            seen.insert(parts.map { "\($0.declared.applied($0.parameter))" }.sorted().joined(separator: "+")).inserted else { continue }
      guard evaluations < budget else { break }
      evaluations += 1
      let applied = recomputed.map { $0.declared.applied($0.parameter) }
      guard let e = evaluation.entries(of: item.id, with: applied, at: probe.needed), e.count == probe.needed.count,
            probe.agrees(probe.transformed(e, effects.first), tolerance), let v = check(applied, effects.first) else { continue }
      let slips = parts.map { ExplainedSlip(declared: $0.declared, variant: MutantVariant(parameter: $0.variant.parameter, value: v)) }
      out.append(SlipExplanation(slips: slips, value: v, fitted: false, cost: slips.reduce(0) { $0 + $1.declared.slip.cost }))
    }
    return out
  }

  /// Explanations with distinct sets of slips, the first of each kept.
  static func unique(_ found: [SlipExplanation]) -> [SlipExplanation] {
    var seen = Set<String>()
    return found.filter { seen.insert($0.ids.sorted().joined(separator: "+") + "\($0.slips.map(\.variant.parameter))").inserted }
  }

  /// `size` entry indices spread over `count` entries (all of them when there are fewer).
  static func sampleIndices(count: Int, size: Int) -> [Int] {
    guard count > size else { return Array(0..<count) }
    return (0..<size).map { $0 * count / size }
  }

  /// Pairs (i, j) of singles at different steps, ordered by the residual of the best fit
  /// α Δ_i + β Δ_j of the submission's change Δ_s on the probe's sample (relative to ‖Δ_s‖²),
  /// then by cost.
  func rankPairs(_ singles: [Single], target: [Double]) -> [(Int, Int, Double)] {
    let n = singles.count
    guard n >= 2 else { return [] }
    func dot(_ a: [Double], _ b: [Double]) -> Double {
      var s = 0.0
      for k in a.indices { s += a[k] * b[k] }
      return s
    }
    let ss = Swift.max(dot(target, target), .leastNormalMagnitude)
    let c = singles.map { dot($0.delta, target) }
    var gram = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n { for j in i..<n { let g = dot(singles[i].delta, singles[j].delta); gram[i][j] = g; gram[j][i] = g } }
    var scored: [(score: Double, cost: Double, i: Int, j: Int)] = []
    for i in 0..<n {
      for j in (i + 1)..<n where singles[i].applied.step != singles[j].applied.step {
        let (a, b, d) = (gram[i][i], gram[j][j], gram[i][j])
        let det = a * b - d * d
        var explained: Double
        if det > 1e-12 * Swift.max(a * b, .leastNormalMagnitude) {
          // q = cᵀ G⁻¹ c for the 2 × 2 Gram matrix G.
          explained = (b * c[i] * c[i] - 2 * d * c[i] * c[j] + a * c[j] * c[j]) / det
        } else {
          explained = Swift.max(a > 0 ? c[i] * c[i] / a : 0, b > 0 ? c[j] * c[j] / b : 0)
        }
        let residual = Swift.max(0, ss - explained) / ss
        scored.append((residual, singles[i].slip.declared.slip.cost + singles[j].slip.declared.slip.cost, i, j))
      }
    }
    scored.sort { ($0.score, $0.cost) < ($1.score, $1.cost) }
    return scored.map { ($0.i, $0.j, $0.score) }
  }

  /// Orders tied explanations by how many other items of the submission each also explains
  /// (unchanged where it changes nothing, matched where it changes them; screened on each
  /// item's probe), keeping only the best of them; evaluations count against the budget.
  func breakTies(_ tied: [SlipExplanation], others: [SubmittedItem], evaluation: any SlipEvaluation, evaluations: inout Int, budget: Int) -> [SlipExplanation] {
    var probes: [String: Probe] = [:]
    var scored: [SlipExplanation] = []
    for var e in tied.prefix(4) {
      var consistent = 0
      for other in others {
        let touched = e.slips.filter { $0.declared.items.contains(other.spec.id) }
        if touched.isEmpty {
          if other.agrees { consistent += 1 }
          continue
        }
        let effects = touched.filter { $0.declared.slip.effect.isItemTransform && $0.declared.slip.effect != .clipFit }.map(\.declared.slip.effect)
        let probe = probes[other.spec.id] ?? Probe(
          submitted: other.submitted, reference: other.reference, tolerance: other.tolerance, size: 256,
          effects: derivation.slips.filter { $0.items.contains(other.spec.id) && $0.slip.effect.isItemTransform && $0.slip.effect != .clipFit }.map(\.slip.effect))
        probes[other.spec.id] = probe
        var values = probe.needed.map { other.reference.scalars[$0] }
        let recomputed = touched.filter { !$0.declared.slip.effect.isItemTransform }
        if !recomputed.isEmpty {
          guard evaluations < budget else { break }
          evaluations += 1
          guard let v = evaluation.entries(of: other.spec.id, with: recomputed.map { $0.declared.applied($0.parameter) }, at: probe.needed), v.count == values.count else { continue }
          values = v
        }
        var sampleValues = probe.transformed(values, effects.first)
        if effects.count > 1 { continue }
        if touched.contains(where: { $0.declared.slip.effect == .clipFit }) {
          let bound = other.submitted.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
          sampleValues = sampleValues.map { Swift.min(Swift.max($0, -bound), bound) }
        }
        if probe.agrees(sampleValues, other.tolerance) { consistent += 1 }
      }
      e.consistentItems = consistent
      scored.append(e)
    }
    let best = scored.map { $0.consistentItems ?? 0 }.max() ?? 0
    return scored.filter { ($0.consistentItems ?? 0) == best }.sorted { $0.cost < $1.cost }
  }
}
