import Foundation
import Testing
import TestSupport
@testable import Grader

/// The shipped starters and worked Swift solutions, run through the real runner: the starter
/// compiles and answers nothing; the worked solution answers every item with the declared shape,
/// and a few items agree with central differences of the loss written out below, on 20 seeds.
@Suite(.enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
struct WorkedSolutionTests {
  @Test("the starter compiles and reports every item missing", arguments: SwiftModuleFixtures.assignmentIDs)
  func starterReportsEveryItemMissing(assignment: String) throws {
    let spec = try SwiftModuleFixtures.spec(assignment)
    let submission = try SwiftModuleFixtures.compiledOnce(key: "starter-\(assignment)", isolation: .auto, assignment: assignment) {
      [SwiftModuleFixtures.assignmentDirectory(assignment).appendingPathComponent("starter", isDirectory: true)]
    }
    let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 11))
    #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
    for id in spec.itemIDs {
      guard case .missing(let why) = run.outcomes[id] else {
        Issue.record("\(assignment) \(id): \(String(describing: run.outcomes[id]))")
        continue
      }
      #expect(why.contains("returned nil"))
    }
  }

  @Test("the worked solution answers every item with the declared shape", arguments: SwiftModuleFixtures.assignmentIDs)
  func workedSolutionAnswersEveryItem(assignment: String) throws {
    let spec = try SwiftModuleFixtures.spec(assignment)
    let submission = try SwiftModuleFixtures.workedSolution(assignment)
    let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 12))
    #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
    for item in spec.items {
      let value = try #require(run.outcomes[item.id]?.tensor, "\(assignment) \(item.id): \(String(describing: run.outcomes[item.id]))")
      #expect(value.shape == item.shape, "\(assignment) \(item.id)")
      #expect(value.scalars.allSatisfy { $0.isFinite }, "\(assignment) \(item.id)")
    }
  }

  // MARK: - Central differences

  /// Central differences of `loss` with respect to every scalar of input `name`.
  static func centralDifferences(_ loss: ([String: Tensor]) -> Double, inputs: [String: Tensor], name: String) -> [Double] {
    let base = inputs[name]!
    return base.scalars.indices.map { k in
      let h = 1e-5 * max(1, abs(base.scalars[k]))
      var plus = inputs
      var minus = inputs
      plus[name]!.scalars[k] += h
      minus[name]!.scalars[k] -= h
      return (loss(plus) - loss(minus)) / (2 * h)
    }
  }

  /// The item's value against the central differences: max |a − n| ≤ 1e-6 · max(1, max |n|).
  /// Written as `!(err <= tol)` so a NaN fails.
  static func expectAgrees(_ value: Tensor?, _ numeric: [Double], _ label: String) {
    guard let value else {
      Issue.record("\(label): no value")
      return
    }
    guard value.scalars.count == numeric.count else {
      Issue.record("\(label): \(value.scalars.count) entries, expected \(numeric.count)")
      return
    }
    let err = zip(value.scalars, numeric).map { abs($0 - $1) }.max() ?? 0
    let tol = 1e-6 * max(1, numeric.map(abs).max() ?? 0)
    if !(err <= tol) { Issue.record("\(label): max error \(err) > \(tol)") }
  }

  static func runOnSeeds(
    _ assignment: String, items: [String], check: ([String: Tensor], SwiftModuleRun, UInt64) -> Void
  ) throws {
    let spec = try SwiftModuleFixtures.spec(assignment)
    let submission = try SwiftModuleFixtures.workedSolution(assignment)
    for seed in randomSeeds {
      let inputs = SwiftModuleFixtures.randomInputs(spec, seed: seed)
      let run = submission.run(itemIDs: items, itemShapes: spec.itemShapes, inputs: inputs)
      check(inputs, run, seed)
    }
  }

  @Test("rnn-bptt: loss, dU, dW_h, dE and dh0 match central differences of J on 20 seeds")
  func rnnBPTTMatchesCentralDifferences() throws {
    try Self.runOnSeeds("rnn-bptt", items: ["loss", "dU", "dW_h", "dE", "dh0"]) { inputs, run, seed in
      let J = Self.rnnLMLoss(inputs)
      let loss = run.outcomes["loss"]?.tensor?.scalars.first ?? .nan
      if !(abs(loss - J) <= 1e-12 * max(1, abs(J))) { Issue.record("seed \(seed): loss \(loss) ≠ \(J)") }
      for (item, input) in [("dU", "U"), ("dW_h", "W_h"), ("dE", "E"), ("dh0", "h0")] {
        Self.expectAgrees(run.outcomes[item]?.tensor, Self.centralDifferences(Self.rnnLMLoss, inputs: inputs, name: input), "seed \(seed) \(item)")
      }
    }
  }

  @Test("rnn-canonical: loss, dW_xh, dW_hh, db_h and dh0 match central differences of E on 20 seeds")
  func rnnCanonicalMatchesCentralDifferences() throws {
    try Self.runOnSeeds("rnn-canonical", items: ["loss", "dW_xh", "dW_hh", "db_h", "dh0"]) { inputs, run, seed in
      let E = Self.canonicalLoss(inputs)
      let loss = run.outcomes["loss"]?.tensor?.scalars.first ?? .nan
      if !(abs(loss - E) <= 1e-12 * max(1, abs(E))) { Issue.record("seed \(seed): loss \(loss) ≠ \(E)") }
      for (item, input) in [("dW_xh", "W_xh"), ("dW_hh", "W_hh"), ("db_h", "b_h"), ("dh0", "h0")] {
        Self.expectAgrees(run.outcomes[item]?.tensor, Self.centralDifferences(Self.canonicalLoss, inputs: inputs, name: input), "seed \(seed) \(item)")
      }
    }
  }

  @Test("backprop-basics: ds_dW, ds_dx, dJ_dwindow, dJ_dW_win, dL_dW_cls, graph_grad and dz_dt match central differences on 20 seeds")
  func backpropBasicsMatchesCentralDifferences() throws {
    let items = ["ds_dW", "ds_dx", "dJ_dwindow", "dJ_dW_win", "dL_dW_cls", "graph_grad", "dz_dt"]
    try Self.runOnSeeds("backprop-basics", items: items) { inputs, run, seed in
      let pairs: [(String, String, ([String: Tensor]) -> Double)] = [
        ("ds_dW", "W", Self.score), ("ds_dx", "x", Self.score),
        ("dJ_dwindow", "window", Self.windowJ), ("dJ_dW_win", "W_win", Self.windowJ),
        ("dL_dW_cls", "W_cls", Self.classifierLoss), ("graph_grad", "xyz", Self.graph), ("dz_dt", "t", Self.chainRule),
      ]
      for (item, input, f) in pairs {
        Self.expectAgrees(run.outcomes[item]?.tensor, Self.centralDifferences(f, inputs: inputs, name: input), "seed \(seed) \(item)")
      }
    }
  }

  @Test("window-lm: loss, dU, dW, db_1 and dE match central differences of J on 20 seeds")
  func windowLMMatchesCentralDifferences() throws {
    try Self.runOnSeeds("window-lm", items: ["loss", "dU", "dW", "db_1", "dE"]) { inputs, run, seed in
      let J = Self.windowLMLoss(inputs)
      let loss = run.outcomes["loss"]?.tensor?.scalars.first ?? .nan
      if !(abs(loss - J) <= 1e-12 * max(1, abs(J))) { Issue.record("seed \(seed): loss \(loss) ≠ \(J)") }
      for (item, input) in [("dU", "U"), ("dW", "W"), ("db_1", "b_1"), ("dE", "E")] {
        Self.expectAgrees(run.outcomes[item]?.tensor, Self.centralDifferences(Self.windowLMLoss, inputs: inputs, name: input), "seed \(seed) \(item)")
      }
    }
  }

  @Test("backprop-basics: the graph routes a max tie to y, as in the notes' example at (1, 2, 2)")
  func graphTieRoutesToY() throws {
    let spec = try SwiftModuleFixtures.spec("backprop-basics")
    var inputs = SwiftModuleFixtures.randomInputs(spec, seed: 4)
    inputs["xyz"] = Tensor(shape: [3], scalars: [1, 2, 2])
    let run = try SwiftModuleFixtures.workedSolution("backprop-basics")
      .run(itemIDs: ["graph_grad"], itemShapes: spec.itemShapes, inputs: inputs)
    // q = x + y = 3, m = max(y, z) = 2 routed to y: (m, m + q, 0).
    #expect(run.outcomes["graph_grad"] == .value(Tensor(shape: [3], scalars: [2, 5, 0])))
  }

  @Test("ngram-lm: the worked solution passes every item for 20 students, graded against the reference at their own inputs")
  func ngramPassesEveryItemFor20Students() throws {
    let g = try grader("ngram-lm")
    let spec = try SwiftModuleFixtures.spec("ngram-lm")
    let submission = try SwiftModuleFixtures.workedSolution("ngram-lm")
    for k in 1...20 {
      let student = "ngram-swift-\(k)"
      let run = submission.run(itemIDs: spec.itemIDs, itemShapes: spec.itemShapes, inputs: g.inputs(for: student))
      #expect(run.compileErrors.isEmpty, "\(run.compileErrors)")
      var answers: [String: SubmittedAnswer] = [:]
      for id in spec.itemIDs { if let t = run.outcomes[id]?.tensor { answers[id] = .value(t) } }
      let report = g.grade(student: student, answers: answers)
      for item in report.items where item.status != .pass { Issue.record("\(student) \(item.id): \(item.message)") }
      #expect(report.items.count == 9)
    }
  }

  // MARK: - Losses, written out independently of the solutions

  static func matrix(_ t: Tensor) -> [[Double]] {
    (0..<t.shape[0]).map { r in Array(t.scalars[(r * t.shape[1])..<((r + 1) * t.shape[1])]) }
  }

  static func matVec(_ A: [[Double]], _ x: [Double]) -> [Double] { A.map { zip($0, x).reduce(0) { $0 + $1.0 * $1.1 } } }

  static func logSoftmax(_ s: [Double], at k: Int) -> Double {
    let top = s.max()!
    return s[k] - top - log(s.reduce(0) { $0 + exp($1 - top) })
  }

  static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

  /// J = (1/T) Σ_t −log softmax(U h^(t) + b_2)[x(t+1)],  h^(t) = σ(W_h h^(t−1) + W_e E[:, x(t)] + b_1).
  static func rnnLMLoss(_ p: [String: Tensor]) -> Double {
    let tokens = p["tokens"]!.scalars.map { Int($0) }
    let (E, W_h, W_e, U) = (matrix(p["E"]!), matrix(p["W_h"]!), matrix(p["W_e"]!), matrix(p["U"]!))
    let (b_1, b_2) = (p["b_1"]!.scalars, p["b_2"]!.scalars)
    var h = p["h0"]!.scalars
    var total = 0.0
    for t in 0..<(tokens.count - 1) {
      let e = E.map { $0[tokens[t]] }
      let z = zip(zip(matVec(W_h, h), matVec(W_e, e)), b_1).map { $0.0 + $0.1 + $1 }
      h = z.map(sigmoid)
      total -= logSoftmax(zip(matVec(U, h), b_2).map(+), at: tokens[t + 1])
    }
    return total / Double(tokens.count - 1)
  }

  /// J = −log softmax(U σ(W e + b_1) + b_2)[x(n+1)],  e = [E[:, x(1)]; …; E[:, x(n)]].
  static func windowLMLoss(_ p: [String: Tensor]) -> Double {
    let tokens = p["tokens"]!.scalars.map { Int($0) }
    let (E, W, U) = (matrix(p["E"]!), matrix(p["W"]!), matrix(p["U"]!))
    let e = tokens.dropLast().flatMap { word in E.map { $0[word] } }
    let h = zip(matVec(W, e), p["b_1"]!.scalars).map { sigmoid($0 + $1) }
    return -logSoftmax(zip(matVec(U, h), p["b_2"]!.scalars).map(+), at: tokens[tokens.count - 1])
  }

  /// E = Σ_t −log softmax(W_yh h_t + b_y)[x_{t+1}],  h_t = tanh(W_xh[:, x_t] + W_hh h_{t−1} + b_h).
  static func canonicalLoss(_ p: [String: Tensor]) -> Double {
    let tokens = p["tokens"]!.scalars.map { Int($0) }
    let (W_xh, W_hh, W_yh) = (matrix(p["W_xh"]!), matrix(p["W_hh"]!), matrix(p["W_yh"]!))
    let (b_h, b_y) = (p["b_h"]!.scalars, p["b_y"]!.scalars)
    var h = p["h0"]!.scalars
    var total = 0.0
    for t in 0..<(tokens.count - 1) {
      let a = zip(zip(W_xh.map { $0[tokens[t]] }, matVec(W_hh, h)), b_h).map { $0.0 + $0.1 + $1 }
      h = a.map { tanh($0) }
      total -= logSoftmax(zip(matVec(W_yh, h), b_y).map(+), at: tokens[t + 1])
    }
    return total
  }

  /// s = uᵀ σ(W x + b).
  static func score(_ p: [String: Tensor]) -> Double {
    let h = zip(matVec(matrix(p["W"]!), p["x"]!.scalars), p["b"]!.scalars).map { sigmoid($0 + $1) }
    return zip(p["u"]!.scalars, h).reduce(0) { $0 + $1.0 * $1.1 }
  }

  /// J = σ(u_winᵀ σ(W_win x + b_win)), x the window's rows stacked.
  static func windowJ(_ p: [String: Tensor]) -> Double {
    let h = zip(matVec(matrix(p["W_win"]!), p["window"]!.scalars), p["b_win"]!.scalars).map { sigmoid($0 + $1) }
    return sigmoid(zip(p["u_win"]!.scalars, h).reduce(0) { $0 + $1.0 * $1.1 })
  }

  /// L = (1/N) Σ_i −log softmax(X_i W_cls)[y_i] + reg·Σ W_cls².
  static func classifierLoss(_ p: [String: Tensor]) -> Double {
    let X = matrix(p["X"]!)
    let W = matrix(p["W_cls"]!)
    let y = p["y"]!.scalars.map { Int($0) }
    let C = W[0].count
    var total = 0.0
    for (i, row) in X.enumerated() {
      let scores = (0..<C).map { c in row.indices.reduce(0) { $0 + row[$1] * W[$1][c] } }
      total -= logSoftmax(scores, at: y[i])
    }
    return total / Double(X.count) + p["reg"]!.scalars[0] * W.joined().reduce(0) { $0 + $1 * $1 }
  }

  /// f = (x + y)·max(y, z).
  static func graph(_ p: [String: Tensor]) -> Double {
    let v = p["xyz"]!.scalars
    return (v[0] + v[1]) * max(v[1], v[2])
  }

  /// z = x²y − y² with x = t², y = 2t.
  static func chainRule(_ p: [String: Tensor]) -> Double {
    let t = p["t"]!.scalars[0]
    let (x, y) = (t * t, 2 * t)
    return x * x * y - y * y
  }
}
