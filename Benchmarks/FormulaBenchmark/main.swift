// `swift run -c release formula-benchmark [--runs N]`
//
// Times what the grader does with one student formula: parse it, check its shape against the
// item's, and evaluate it at 4 random points, for typical formulas of the RNN language model at
// T = 6, H = 5, V = 10, d = 4 (the goal is at most 5 ms per formula). Then the limits: the time
// to reject a 1 MB formula and 10 000-deep nesting, and to parse the longest accepted formula.
//
// The points are seeded random matrices of the declared shapes (one-hot where declared), not a
// forward pass: the timing does not depend on the values.
import Formulas
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
