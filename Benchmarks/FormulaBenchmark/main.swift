// `swift run -c release formula-benchmark [--runs N]`
//
// Times what the grader does with one student formula: parse it, check its shape against the
// item's, and evaluate it at 4 random points, for typical formulas of the RNN language model at
// T = 6, H = 5, V = 10, d = 4 (the goal is at most 5 ms per formula). Then the limits: the time
// to reject a 1 MB formula and 10 000-deep nesting, and to parse the longest accepted formula.
//
// The points are seeded random matrices of the declared shapes (one-hot where declared), not a
// forward pass: the timing does not depend on the values.
//
// Then the grader's path, at the shipped sizes of each assignment that takes formulas: reading a
// student's formula against the model's declarations and checking its shape
// (`CompiledFormulaItem`), evaluating it at the 4 points (the student's inputs and 3 random
// models) and comparing with the reference there; the points themselves (3 random models: their
// inputs, quantities and references, computed once per submission and shared by its formula
// items); and one formula item graded by the `Autograder` from end to end (with the numeric check
// of the reference at the student's inputs, as every item has).
import Formulas
import Grader
import Jacobians

var runs = 200
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
  if a == "--runs", let n = args.popFirst().flatMap(Int.init) { runs = max(1, n) }
}

let sizes = ["T": 6, "H": 5, "V": 10, "d": 4]
let T = sizes["T"]!

let context = try! FormulaContext(quantities: [
  .matrix("W_h", "H×H"), .matrix("W_e", "H×d"), .matrix("U", "V×H"), .matrix("b_1", "H×1"), .matrix("b_2", "V×1"),
  .matrix("E", "d×V"), .matrix("h0", "H×1"),
  .oneHot("x", "V×1", steps: .oneThroughT), .matrix("e", "d×1", steps: .oneThroughT),
  .matrix("z", "H×1", steps: .oneThroughT), .matrix("h", "H×1", steps: .zeroThroughT),
  .matrix("yhat", "V×1", steps: .oneThroughT), .oneHot("y", "V×1", steps: .oneThroughT),
  .matrix("delta1", "V×1", steps: .oneThroughT), .matrix("delta2", "H×1", steps: .oneThroughT),
  .matrix("dz", "H×1", steps: .oneThroughT),
  .classIndex("tokens", classes: "V", steps: StepRange(1, .T + 1)),
], activation: .sigmoid, stepVariables: ["t": StepRange(1, .T - 1)])

func dimension(_ d: Dimension) -> Int {
  switch d {
  case .size(let n): return n
  case .symbol(let s): return sizes[s]!
  }
}

/// A random point: every declared quantity bound, t = 3.
func point(seed: UInt64) -> FormulaBindings {
  var rng = SplitMix64(seed: seed)
  var b = FormulaBindings(stepCount: T)
  for q in context.quantities {
    let rows = dimension(q.shape.rows), cols = dimension(q.shape.cols)
    func draw() -> Matrix {
      if q.kind == .oneHot {
        var m = Matrix(rows: rows, cols: cols)
        m.scalars[rng.int(below: rows * cols)] = 1
        return m
      }
      return rng.matrix(rows, cols)
    }
    switch (q.kind, q.steps) {
    case (.classIndex(let c), let steps?):
      b[q.name] = .classIndices((0..<steps.count(stepCount: T)).map { _ in rng.int(below: dimension(c)) })
    case (.classIndex(let c), nil):
      b[q.name] = .classIndex(rng.int(below: dimension(c)))
    case (_, let steps?):
      b[q.name] = .steps((0..<steps.count(stepCount: T)).map { _ in draw() })
    case (_, nil):
      b[q.name] = .matrix(draw())
    }
  }
  b.steps["t"] = 3
  return b
}

let points = (1...4).map { point(seed: UInt64($0) &* 0x9E37_79B9) }

let formulas: [(name: String, source: String, shape: SymbolicShape)] = [
  ("dU, LaTeX", #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#, SymbolicShape("V", "H")),
  ("dU, plain", "(1/T) * sum_t delta1[t] * h[t]^T", SymbolicShape("V", "H")),
  ("db_2", "(1/T) Σ_t (softmax(U h[t] + b_2) − onehot(tokens[t+1]))", SymbolicShape("V", 1)),
  ("δ2^(t)", "(U^T delta1[t]) .* sigma'(z[t])", SymbolicShape("H", 1)),
  ("dW_h", "sum_t dz[t] h[t-1]^T", SymbolicShape("H", "H")),
  ("dE", "Σ_t W_eᵀ dz^(t) x^(t)ᵀ", SymbolicShape("d", "V")),
  ("dz^(t) recursion", #"\left(\frac{1}{T} U^\top \delta_1^{(t)} + W_h^\top dz^{(t+1)}\right) \odot \sigma'(z^{(t)})"#, SymbolicShape("H", 1)),
  ("nested Σ_t Σ_{i≤t}", #"\sum_{t=1}^{T}\sum_{i=1}^{t} \delta_2^{(i)} {h^{(i-1)}}^\top"#, SymbolicShape("H", "H")),
  ("diag(f′(z)) W_h", "diag(f'(z[t])) W_h", SymbolicShape("H", "H")),
]

let clock = ContinuousClock()

func milliseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
}

/// Median and minimum of `runs` timings of `body`, in milliseconds.
func time(_ runs: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
  var times: [Double] = []
  for _ in 0..<runs {
    let start = clock.now
    try body()
    times.append(milliseconds(clock.now - start))
  }
  times.sort()
  return (times[times.count / 2], times[0])
}

func format(_ x: Double) -> String {
  let s = String(Int((x * 1000).rounded()))
  let padded = String(repeating: "0", count: max(0, 4 - s.count)) + s
  return String(padded.dropLast(3)) + "." + String(padded.suffix(3))
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

print("Formulas at T = 6, H = 5, V = 10, d = 4; \(runs) runs each, median (min) in ms")
print(pad("formula", 22) + pad("parse+shape", 16) + pad("eval ×4", 16) + "total (goal ≤ 5 ms)")
var worst = 0.0
for (name, source, shape) in formulas {
  var formula: Formula?
  let parse = try time(runs) {
    let f = try Formula(source, in: context)
    precondition(f.compare(toExpected: shape).isMatch, "\(name): \(f.compare(toExpected: shape))")
    formula = f
  }
  let f = formula!
  let evaluate = try time(runs) {
    for p in points { _ = try f.evaluate(at: p) }
  }
  let total = try time(runs) {
    let g = try Formula(source, in: context)
    precondition(g.compare(toExpected: shape).isMatch)
    for p in points { _ = try g.evaluate(at: p) }
  }
  worst = max(worst, total.median)
  print(pad(name, 22) + pad("\(format(parse.median)) (\(format(parse.min)))", 16)
        + pad("\(format(evaluate.median)) (\(format(evaluate.min)))", 16) + "\(format(total.median)) (\(format(total.min)))")
}
print("slowest typical formula: \(format(worst)) ms — \(worst <= 5 ? "within" : "over") the 5 ms goal")

print("\nLimits (median of 5 runs, ms)")
let megabyte = String(repeating: "h[0] + ", count: 150_000) + "h[0]"
let deep = String(repeating: "(", count: 10_000) + "h[0]" + String(repeating: ")", count: 10_000)
let longest = String(repeating: "h[0] + ", count: 14_000) + "h[0]"
for (name, source) in [("1 MB formula, rejected", megabyte), ("10 000-deep nesting, rejected", deep),
                       ("98 000-character sum, accepted", longest)] {
  var outcome = ""
  let t = time(5) {
    do {
      let f = try Formula(source, in: context)
      _ = try f.evaluate(at: points[0])
      outcome = "parsed and evaluated"
    } catch {
      outcome = String(String(describing: error).prefix(70))
    }
  }
  print(pad(name, 32) + pad(format(t.median), 10) + outcome)
}

// MARK: - The grader's path

let gradingCases: [(assignment: String, item: String, source: String)] = [
  ("backprop-basics", "ds_dW", "delta^T x^T"),
  ("backprop-basics", "dL_dW_cls", #"\frac{1}{N} X^\top (\hat{Y} - Y) + 2\lambda W_{cls}"#),
  ("backprop-basics", "dJ_dwindow", "sigma'(s_win) W_win^T delta_win^T"),
  ("rnn-bptt", "dU", #"\frac{1}{T}\sum_{t=1}^{T} \delta_1^{(t)} {h^{(t)}}^\top"#),
  ("rnn-bptt", "dW_h", "sum_t dz[t] h[t-1]^T"),
  ("rnn-bptt", "dE", "Σ_t W_eᵀ dz^(t) x^(t)ᵀ"),
  ("rnn-bptt", "delta2", "(U^T delta1[t]) .* sigma'(z[t])"),
  ("rnn-canonical", "dW_hh", "sum_t dh[t] h[t-1]^T"),
  ("window-lm", "dE", #"\sum_{k=1}^{n} {W_e^{(k)}}^\top \delta_2 {x^{(k)}}^\top"#),
]

print("\nThe grader's path at the shipped sizes; \(runs) runs each, median (min) in ms")
print(pad("item", 30) + pad("read+shape", 16) + pad("eval+compare ×4", 18) + pad("formula total", 16) + pad("points (once)", 16) + "graded item")
var worstFormula = 0.0
let catalog = AssignmentCatalog()
for (id, itemID, source) in gradingCases {
  let (assignment, rubric) = try! catalog.load(id)
  var grader = Autograder(assignment: assignment, rubric: rubric)
  grader.formulaSeed = 1
  grader.numericSeed = 1
  let item = assignment.item(itemID)!
  let model = assignment.model
  let declarations = model.formulas!
  let tolerance = rubric.entry(itemID).tolerance
  // The 4 points: the student's inputs and 3 random models, with their quantities and references.
  var pointInputs = [grader.inputs(for: "bench")]
  for seed in grader.formulaPointSeeds(for: "bench") {
    var rng = SplitMix64(seed: seed)
    pointInputs.append(model.generateInputs(using: &rng))
  }
  let bindings = pointInputs.map { model.formulaBindings(inputs: $0) }
  let references = pointInputs.map { model.reference(inputs: $0)[itemID]! }
  var compiled: CompiledFormulaItem?
  let read = try time(runs) { compiled = try CompiledFormulaItem(source, item: item, declarations: declarations) }
  let c = compiled!
  let evaluate = try time(runs) {
    for (b, r) in zip(bindings, references) {
      let v = try c.value(at: b)
      precondition(EntryComparison.compare(submitted: v.scalars, expected: r.scalars, shape: item.shape, tolerance: tolerance).passed, "\(id) \(itemID)")
    }
  }
  let total = try time(runs) {
    let f = try CompiledFormulaItem(source, item: item, declarations: declarations)
    for (b, r) in zip(bindings, references) {
      let v = try f.value(at: b)
      precondition(EntryComparison.compare(submitted: v.scalars, expected: r.scalars, shape: item.shape, tolerance: tolerance).passed)
    }
  }
  let points = time(max(1, runs / 10)) {
    for seed in grader.formulaPointSeeds(for: "bench") {
      var rng = SplitMix64(seed: seed)
      let inputs = model.generateInputs(using: &rng)
      _ = model.formulaBindings(inputs: inputs)
      _ = model.reference(inputs: inputs)
    }
    _ = model.formulaBindings(inputs: pointInputs[0])
  }
  let graded = time(max(1, runs / 10)) {
    let report = grader.grade(student: "bench", answers: [itemID: .formula(FormulaAnswer(source))], kind: .formulas)
    precondition(report.item(itemID)!.status == .pass, report.item(itemID)!.message)
  }
  worstFormula = max(worstFormula, total.median)
  print(pad("\(id) \(itemID)", 30) + pad("\(format(read.median)) (\(format(read.min)))", 16)
        + pad("\(format(evaluate.median)) (\(format(evaluate.min)))", 18) + pad("\(format(total.median)) (\(format(total.min)))", 16)
        + pad("\(format(points.median))", 16) + format(graded.median))
}
print("slowest formula on the grader's path (read, shape, 4 points): \(format(worstFormula)) ms — \(worstFormula <= 5 ? "within" : "over") the 5 ms goal")
print("(points: 3 random models' inputs, quantities and references plus the student's quantities, once per submission;")
print(" graded item: Autograder.grade of a submission of that one formula, the numeric check of the reference included)")
