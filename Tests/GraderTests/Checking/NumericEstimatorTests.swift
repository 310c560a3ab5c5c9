import Foundation
import Testing
import TestSupport
import Jacobians
@testable import Grader

/// The numeric check at the shipped sizes (every item exact) and at larger ones (the large items
/// along random directions):
///
/// ```
/// corrupted reference   one entry off by ±1 % of the item's largest entry → caught, with the
///                       margin that makes it certain along every direction (NumericEstimator)
/// mutants               every variant of every catalogue mutant fails its item
/// correct references    no review, every item passes, for every model and option the loader accepts
/// error bound           |R − ⟨g, c⟩| ≤ E on functions whose gradient is known
/// budget                the counted work of every check at T = 35 and 100, H = 256, d = 128,
///                       |V| = 10 000: ≤ 12 forward passes for a whole submission
/// ```
@Suite("The numeric check at every size")
struct NumericEstimatorTests {
  /// A shipped assignment with some sizes and model options replaced, loaded from a temporary folder.
  static func grader(_ id: String, sizes: [String: Int] = [:], options: [String: Any] = [:], items: [String]? = nil) throws -> Autograder {
    let dir = temporaryDirectory().appendingPathComponent(id)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let source = assignmentsRoot.appendingPathComponent(id)
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("assignment.json"))) as! [String: Any]
    var model = object["model"] as! [String: Any]
    var s = model["sizes"] as! [String: Any]
    for (k, v) in sizes { s[k] = v }
    model["sizes"] = s
    for (k, v) in options { model[k] = v }
    object["model"] = model
    try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
    try FileManager.default.copyItem(at: AssignmentCatalog.packageRoot.appendingPathComponent("Rubrics/\(id).json"), to: dir.appendingPathComponent("rubric.json"))
    let (a, r) = try AssignmentCatalog().load(dir.path)
    var g = Autograder(assignment: a, rubric: r, courseKey: testKey)
    g.numericSeed = 7
    if let items { g.assignment.items = g.assignment.items.filter { items.contains($0.id) } }
    return g
  }

  struct Size: Sendable, CustomStringConvertible {
    var assignment: String
    var sizes: [String: Int]
    var description: String { sizes.isEmpty ? "\(assignment) (shipped)" : "\(assignment) \(sizes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" }
  }

  /// The shipped sizes, and larger ones at which the large items are checked along directions.
  static let sizes: [Size] = shippedAssignments.filter { $0 != "ngram-lm" }.map { Size(assignment: $0, sizes: [:]) } + [
    Size(assignment: "rnn-bptt", sizes: ["T": 12, "H": 24, "d": 8, "V": 50]),
    Size(assignment: "rnn-canonical", sizes: ["T": 12, "H": 24, "V": 50]),
    Size(assignment: "window-lm", sizes: ["n": 3, "d": 16, "H": 32, "V": 200]),
    Size(assignment: "backprop-basics", sizes: ["m": 30, "n": 24, "K": 30]),
    // dW_h, dW_e, dE and delta2 along directions: they share one line of J.
    Size(assignment: "rnn-bptt", sizes: ["T": 12, "H": 40, "d": 24, "V": 50]),
  ]

  @Test("a reference off by ±1 % of its largest entry in one entry is caught along every direction, with margin", arguments: sizes)
  func corruptedReference(size: Size) throws {
    let g = try Self.grader(size.assignment, sizes: size.sizes)
    var directional = 0
    for student in ["ada", "ben"] {
      let inputs = g.inputs(for: student)
      let reference = g.model.reference(inputs: inputs)
      let probes = g.model.numericProbes(inputs: inputs)
      var rng = SplitMix64(seed: 99)
      for item in g.assignment.items where item.checks.contains(.numeric) {
        let probe = try #require(probes[item.id], "\(item.id) has a probe")
        let r = reference[item.id]!.scalars
        let estimate = NumericEstimator.estimate(probe, rng: &rng)
        let verified = NumericEstimator.verify(reference: r, with: estimate, shape: item.shape, tolerance: g.numericTolerance)
        #expect(verified.passed, "\(size) \(student): the correct \(item.id) verifies (\(estimate.method))")
        let largest = r.map(abs).max() ?? 0
        guard largest > 0 else { continue }
        let delta = 0.01 * largest
        if estimate.method == .directional {
          directional += 1
          // Caught along every direction whatever the entry: |δ c_k| ≥ |δ| > 3E + 10⁻¹²Σ|r c|.
          // Asked with a factor 10 to spare.
          for p in estimate.projections {
            let need = 3 * p.error + 1e-12 * p.direction.dot(r).absolute
            #expect(delta > 10 * need, "\(size) \(item.id): δ = \(delta) against 3E + rounding = \(need)")
          }
        }
        let zero = r.firstIndex(of: 0)
        let entries = [r.indices.max { abs(r[$0]) < abs(r[$1]) }!, Int(rng.next() % UInt64(r.count)), zero].compactMap { $0 }
        for k in entries {
          for sign in [1.0, -1.0] {
            var bad = r
            bad[k] += sign * delta
            let check = NumericEstimator.verify(reference: bad, with: estimate, shape: item.shape, tolerance: g.numericTolerance)
            #expect(!check.passed, "\(size) \(student): \(item.id) with entry \(k) off by \(sign * delta) verifies")
          }
        }
      }
    }
    if !size.sizes.isEmpty { #expect(directional > 0, "\(size) has items checked along directions") }
  }

  /// At the larger sizes, the items along directions (and one exact one) of each model.
  static let mutantSizes: [(Size, [String])] = [
    (sizes[4], ["dW_h", "dW_h_terms", "delta1", "delta2", "dE"]),
    (sizes[5], ["dW_hh", "dW_yh", "dW_xh", "db_h", "db_y", "dh0"]),
    (sizes[6], ["dU", "dW", "dE", "delta2"]),
    (sizes[7], ["ds_dW", "softmax_jacobian", "dh_dz"]),
    (sizes[8], ["dW_h", "dW_e", "dE", "delta2", "dW_h_terms"]),
  ]

  @Test("every catalogue mutant fails its item at larger sizes, and the numeric check alone sees it",
        arguments: mutantSizes.indices)
  func mutants(index: Int) throws {
    let (size, items) = Self.mutantSizes[index]
    let g = try Self.grader(size.assignment, sizes: size.sizes, items: items)
    let cases = DiagnosisFixtures.cases(g, students: ["ada"])
    // rnn-bptt and window-lm have catalogue mutants of these items; the others may have none here.
    if size.assignment == "rnn-bptt" || size.assignment == "window-lm" { #expect(!cases.isEmpty) }
    let inputs = g.inputs(for: "ada")
    let probes = g.model.numericProbes(inputs: inputs)
    var estimates: [String: NumericEstimate] = [:]
    var rng = SplitMix64(seed: 5)
    for item in g.assignment.items { estimates[item.id] = NumericEstimator.estimate(probes[item.id]!, rng: &rng) }
    let reference = g.model.reference(inputs: inputs)
    var numericChecked = 0
    for c in cases {
      let item = g.assignment.items.first { $0.id == c.item }!
      let tolerance = g.rubric.entry(c.item).tolerance.widened(to: g.numericTolerance)
      let r = reference[c.item]!.scalars
      // A variant within the tolerance of the reference entry by entry is no mistake at this size
      // (truncation to k = T − 1 of a sigmoid chain, whose oldest term has vanished).
      if EntryComparison.compare(submitted: c.value.scalars, expected: r, shape: item.shape, tolerance: tolerance).passed { continue }
      let graded = DiagnosisFixtures.gradeItem(g, item: c.item, student: c.student, value: c.value)
      #expect(graded.status == .fail, "\(size): \(c) passes")
      // Along directions, the student's array is allowed what the tolerance allows entry by entry
      // in total; a mistake of 1 % of the item's largest entry is far beyond it.
      let off = zip(c.value.scalars, r).map { abs($0 - $1) }.max() ?? 0
      guard off > 0.01 * (r.map(abs).max() ?? 0) else { continue }
      numericChecked += 1
      let numeric = NumericEstimator.compare(c.value.scalars, with: estimates[c.item]!, shape: item.shape, tolerance: tolerance)
      #expect(!numeric.passed, "\(size): the numeric check alone passes \(c)")
    }
    #expect(cases.isEmpty || numericChecked > 0)
  }

  struct Variant: Sendable, CustomStringConvertible {
    var assignment: String
    var options: [String: String]
    var sizes: [String: Int] = [:]
    var description: String { "\(assignment) \(options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) \(sizes.isEmpty ? "" : "\(sizes.sorted { $0.key < $1.key })")" }
  }

  static let activations = ["sigmoid", "tanh", "relu", "hardtanh", "leakyrelu", "leakyrelu(0.2)", "swish"]
  /// Every option of the non-recurrent models (the recurrent ones: `TruncationGradingTests` at
  /// the shipped size, and here their truncations at a larger one, along directions).
  static let variants: [Variant] =
    activations.flatMap { a in ["full", "half"].map { Variant(assignment: "backprop-basics", options: ["activation": a, "regularization": $0]) } }
    + activations.map { Variant(assignment: "window-lm", options: ["activation": $0]) }
    + activations.map { Variant(assignment: "window-lm", options: ["activation": $0], sizes: sizes[6].sizes) }
    + activations.map { Variant(assignment: "backprop-basics", options: ["activation": $0], sizes: sizes[7].sizes) }
    + [Variant(assignment: "ngram-lm", options: [:])]
    + ["full", "window(1)", "window(4)", "chunks(5)"].flatMap { t in
      [Variant(assignment: "rnn-bptt", options: ["truncation": t, "activation": "relu"], sizes: sizes[4].sizes),
       Variant(assignment: "rnn-canonical", options: ["truncation": t, "reduction": "mean"], sizes: sizes[5].sizes)]
    }
    + ["full", "window(4)", "chunks(5)"].flatMap { t in
      [Variant(assignment: "rnn-bptt", options: ["truncation": t, "activation": "relu", "reduction": "sum"], sizes: sizes[8].sizes),
       Variant(assignment: "rnn-bptt", options: ["truncation": t, "activation": "tanh"], sizes: sizes[8].sizes)]
    }

  @Test("correct references: every item passes and none needs review, for every model and option", arguments: variants)
  func correctReferences(v: Variant) throws {
    let g = try Self.grader(v.assignment, sizes: v.sizes, options: v.options)
    for student in ["ada", "ben", "cy", "dee", "eve"] {
      let report = g.grade(student: student, answers: correctAnswers(g, student: student))
      for item in report.items where item.status != .pass {
        Issue.record("\(v), \(student): \(item.id) is \(item.status.rawValue): \(item.message)")
      }
    }
  }

  @Test("the Richardson estimate is within its own error bound of ⟨∇f, c⟩", arguments: randomSeeds)
  func errorBound(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let A = rng.matrix(30, 30), x = rng.matrix(30, 1, -3, 3)
    // f(x) = Σ sin(A x) + Σ x⁴/4: ∇f = Aᵀ cos(A x) + x³.
    let f: (Matrix) -> Double = { v in (A * v).scalars.reduce(0) { $0 + sin($1) } + v.scalars.reduce(0) { $0 + pow($1, 4) / 4 } }
    let Ax = (A * x).scalars
    let g = (A.T * Matrix(column: Ax.map(cos))).scalars.enumerated().map { $0.element + pow(x.scalars[$0.offset], 3) }
    let probe = NumericProbe.gradient(of: f, at: x)
    let estimate = NumericEstimator.directional(probe, directions: 3, rng: &rng)
    for p in estimate.projections {
      let truth = p.direction.dot(g).value
      #expect(abs(p.value - truth) <= p.error, "R = \(p.value), ⟨∇f, c⟩ = \(truth), E = \(p.error)")
      #expect(p.error < 1e-6 * max(1, abs(truth)), "the bound is tight enough to see a 1 % error")
    }
  }

  @Test("NaN and ±Inf never pass: in the reference, the student's array, the estimate or its error",
        arguments: [Double.nan, .infinity, -.infinity])
  func nonFinite(value: Double) {
    var rng = SplitMix64(seed: 4)
    let x = rng.matrix(25, 20)
    let probe = NumericProbe.gradient(of: { $0.scalars.reduce(0) { $0 + $1 * $1 * $1 } }, at: x)
    let estimate = NumericEstimator.estimate(probe, rng: &rng)
    #expect(estimate.method == .directional)
    let truth = x.scalars.map { 3 * $0 * $0 }
    let tol = Tolerance(relative: 1e-5, absolute: 1e-7)
    #expect(NumericEstimator.verify(reference: truth, with: estimate, shape: [25, 20], tolerance: tol).passed)
    #expect(NumericEstimator.compare(truth, with: estimate, shape: [25, 20], tolerance: tol).passed)
    for k in [0, 250, 499] {
      var bad = truth
      bad[k] = value
      #expect(!NumericEstimator.verify(reference: bad, with: estimate, shape: [25, 20], tolerance: tol).passed)
      #expect(!NumericEstimator.compare(bad, with: estimate, shape: [25, 20], tolerance: tol).passed)
    }
    for field in 0..<2 {
      var broken = estimate
      if field == 0 { broken.projections[0].value = value } else { broken.projections[0].error = value }
      #expect(!NumericEstimator.verify(reference: truth, with: broken, shape: [25, 20], tolerance: tol).passed, "field \(field)")
      #expect(!NumericEstimator.compare(truth, with: broken, shape: [25, 20], tolerance: tol).passed, "field \(field)")
    }
    // A line that returns NaN (a loss that overflowed) gives an estimate that verifies nothing.
    let nanProbe = NumericProbe.gradient(of: { _ in value }, at: x)
    let nanEstimate = NumericEstimator.estimate(nanProbe, rng: &rng)
    #expect(!NumericEstimator.verify(reference: truth, with: nanEstimate, shape: [25, 20], tolerance: tol).passed)
    // Exact estimates too.
    let small = NumericProbe.gradient(of: { _ in value }, at: rng.matrix(3, 1))
    let exact = NumericEstimator.estimate(small, rng: &rng)
    #expect(exact.method == .exact)
    #expect(!NumericEstimator.verify(reference: [0, 0, 0], with: exact, shape: [3], tolerance: tol).passed)
  }

  @Test("the counted work of a whole submission's check is at most 12 forward passes at real sizes",
        arguments: [("rnn-bptt", 35), ("rnn-bptt", 100), ("rnn-canonical", 35), ("rnn-canonical", 100)])
  func budget(assignment: String, steps: Int) throws {
    let g = try Self.grader(assignment, sizes: ["T": steps, "H": 256, "d": 128, "V": 10_000].filter { assignment == "rnn-bptt" || $0.key != "d" })
    let probes = g.model.numericProbes(inputs: g.inputs(for: "ada"))
    var total = 0.0
    for item in g.assignment.items where item.checks.contains(.numeric) {
      let probe = try #require(probes[item.id])
      #expect(!NumericEstimator.isExact(probe) || probe.count <= NumericEstimator.exactLimit)
      let cost = NumericEstimator.countedCost(probe)
      #expect(cost <= 5, "\(item.id): \(cost) forward passes")
      total += cost
    }
    // The gradients through the recurrence (and delta2) share one line: about 4 forward passes
    // for all of them, where each alone would cost 4.
    #expect(total <= 12, "\(assignment) T = \(steps): \(total) forward passes")
  }
}
