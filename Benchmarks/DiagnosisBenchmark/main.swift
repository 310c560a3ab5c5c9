// `swift run -c release diagnosis-benchmark [--students N] [--threads N] [--assignment id] [--large-only] [--shipped-only] [--phases]`
//
// Times the diagnosis of failing items: the shipped assignments at their sizes, and rnn-bptt,
// rnn-canonical, lstm-lm and gru-lm at T = 35, H = 256 (d = 128), |V| = 10000. For each student,
// wrong answers are made with the model's own slip-aware evaluation — every single slip of the
// derivation at the shipped sizes, a spread of them (and two pairs) at the large sizes — and each
// is diagnosed
//
//   alone            the failing item as the only answer, a new diagnoser each time (the
//                    evaluation is prepared from scratch: forward pass, output layer);
//   in a submission  every item a slip changes, in the grader's order, with the rest of the
//                    submission right: the first failing item prepares the evaluation and
//                    searches all failing items together, the others reuse it; per item is the
//                    submission's total divided by its failing items.
//
// Printed: median and max milliseconds per failing item, wall and CPU (every thread of the
// process: the machine's load inflates the wall time, not this), the evaluations per item, and
// how many were named by the slip that made them. With `--phases`, for the large sizes, where one
// student's time goes: the preparation item by item, one slip of each step, a comparison, and an
// answer nothing explains.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Grader
import Jacobians

let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String, _ fallback: Int) -> Int {
  guard let i = arguments.firstIndex(of: name), arguments.index(after: i) < arguments.endIndex, let n = Int(arguments[arguments.index(after: i)]) else { return fallback }
  return n
}
let students = option("--students", 2)
let largeOnly = arguments.contains("--large-only"), shippedOnly = arguments.contains("--shipped-only"), showPhases = arguments.contains("--phases"), verbose = arguments.contains("--verbose")
let only = arguments.firstIndex(of: "--assignment").map { arguments[arguments.index(after: $0)] }

let catalog = AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments"))
let tolerance = Tolerance(relative: 1e-5, absolute: 1e-7)

/// The assignment `id` with other sizes: its assignment.json rewritten in a temporary folder.
func resized(_ id: String, _ sizes: [String: Int]) throws -> Assignment {
  let source = catalog.directory(for: id).appendingPathComponent("assignment.json")
  var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
  var model = object["model"] as! [String: Any]
  model["sizes"] = sizes
  object["model"] = model
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diagnosis-benchmark-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
  return try Assignment.load(from: dir)
}

/// The process's CPU time in milliseconds (every thread), which the machine's load does not inflate.
func cpuMilliseconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
}

/// Wall and CPU milliseconds of `block`.
func milliseconds(_ block: () -> Void) -> (wall: Double, cpu: Double) {
  let start = DispatchTime.now().uptimeNanoseconds, cpu = cpuMilliseconds()
  block()
  return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, cpuMilliseconds() - cpu)
}

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  guard !s.isEmpty else { return .nan }
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

struct Figures {
  var alone: [Double] = [], aloneCPU: [Double] = [], perItem: [Double] = [], perItemCPU: [Double] = [], evaluations: [Int] = []
  var items = 0, named = 0
}

/// The slips to make: every single slip (small sizes) or a spread of them (large), and pairs.
func slipsToMake(_ derivation: Derivation, large: Bool) -> [[AppliedSlip]] {
  let slips = derivation.slips.filter { !$0.slip.effect.isItemTransform }
  var singles: [[AppliedSlip]] = slips.map { d in
    [AppliedSlip(step: d.step.id, kind: d.slip.kind, parameter: d.slip.parameters.isEmpty ? nil : d.slip.parameters[d.slip.parameters.count / 2])]
  }
  if large {
    let wanted = ["h0", "h", "biases", "delta1", "local", "carry", "bptt", "recurrent-weight", "output-weight", "embedding", "input-columns", "dh0",
                  "cell-path", "gates-local", "hidden-carry", "cell-carry", "direct-carry", "gate-carry", "update-local"]
    var seen = Set<String>()
    singles = singles.filter { wanted.contains($0[0].step) && seen.insert($0[0].step).inserted }
  }
  let pairs: [[AppliedSlip]] = [
    [AppliedSlip(step: "h0", kind: .zero), AppliedSlip(step: "biases", kind: .zero)],
    [AppliedSlip(step: "carry", kind: .transposed), AppliedSlip(step: "local", kind: .activationForDerivative)],
  ].filter { p in p.allSatisfy { a in slips.contains { $0.step.id == a.step && $0.slip.kind == a.kind } } }
  return singles + pairs
}

/// One line of the closing table per run.
nonisolated(unsafe) var summary: [(assignment: String, sizes: String, figures: Figures)] = []

func run(_ label: String, _ assignment: Assignment, large: Bool) -> Figures {
  var f = Figures()
  guard let derivation = assignment.model.derivation else { return f }
  let made = slipsToMake(derivation, large: large)
  for s in 0..<students {
    let student = "bench-\(s)"
    var rng = StudentVariant.generator(assignment: assignment.id, student: student)
    let inputs = assignment.model.generateInputs(using: &rng)
    let reference = assignment.model.reference(inputs: inputs)
    let evaluation = derivation.prepare(inputs)
    for slips in made {
      // The submission: the slipped value of every item the slips change, the reference elsewhere.
      var submitted = reference
      var failing: [ItemSpec] = []
      for spec in assignment.items {
        guard let v = evaluation.value(of: spec.id, with: slips), v.count == reference[spec.id]!.count else { continue }
        let r = reference[spec.id]!
        if EntryComparison.compare(submitted: v.scalars, expected: r.scalars, shape: spec.shape, tolerance: tolerance).passed { continue }
        submitted[spec.id] = v
        failing.append(spec)
      }
      guard !failing.isEmpty else { continue }
      let all = assignment.items.map { SubmittedItem(spec: $0, submitted: submitted[$0.id]!, reference: reference[$0.id]!, tolerance: tolerance) }
      let expected = slips.map { "\($0)" }.sorted()
      for spec in failing {
        let diagnoser = Diagnoser(assignment: assignment)
        let request = DiagnosisRequest(item: spec, submitted: submitted[spec.id]!, inputs: inputs, reference: reference, tolerance: tolerance)
        let (wall, cpu) = milliseconds { _ = diagnoser.diagnose(request) }
        // The search's count, from its cached result (outside the timing: not the diagnosis's work).
        let evaluations = diagnoser.explain(request)?.evaluations ?? 0
        f.alone.append(wall)
        f.aloneCPU.append(cpu)
        if verbose { print(String(format: "    alone %@ %@: %.1f ms CPU, %d evaluations", expected.joined(separator: "+"), spec.id, cpu, evaluations)) }
      }
      let diagnoser = Diagnoser(assignment: assignment)
      var total = 0.0, totalCPU = 0.0
      for spec in failing {
        let request = DiagnosisRequest(item: spec, submitted: submitted[spec.id]!, inputs: inputs, reference: reference, tolerance: tolerance,
                                       others: all.filter { $0.spec.id != spec.id })
        let (wall, cpu) = milliseconds { _ = diagnoser.diagnose(request) }
        total += wall
        totalCPU += cpu
        if let result = diagnoser.explain(request) {
          f.evaluations.append(result.evaluations)
          f.items += 1
          let names = result.explanations.map { e in e.slips.map { "\($0.declared.applied($0.variant.parameter.map { Int($0) }))" }.sorted() }
          if names.contains(where: { Set($0).isSuperset(of: expected) || Set(expected).isSuperset(of: $0) }) { f.named += 1 }
        }
      }
      f.perItem += Array(repeating: total / Double(failing.count), count: failing.count)
      f.perItemCPU += Array(repeating: totalCPU / Double(failing.count), count: failing.count)
    }
  }
  func ms(_ x: Double) -> String { String(format: "%.1f", x) }
  print("\(label): \(f.items) failing items from \(made.count) slips × \(students) students, \(f.named) named by their slips (load average \(loadAverage()))")
  print("  alone:           median \(ms(median(f.alone))) ms, max \(ms(f.alone.max() ?? .nan)) ms per item (CPU: median \(ms(median(f.aloneCPU))), max \(ms(f.aloneCPU.max() ?? .nan)))")
  print("  in a submission: median \(ms(median(f.perItem))) ms, max \(ms(f.perItem.max() ?? .nan)) ms per item (CPU: median \(ms(median(f.perItemCPU))), max \(ms(f.perItemCPU.max() ?? .nan))); evaluations median \(Int(median(f.evaluations.map(Double.init)))), max \(f.evaluations.max() ?? 0)")
  summary.append((assignment.id, assignment.model.sizes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "), f))
  return f
}

/// Where the time of one student's diagnosis goes, on a fresh evaluation (CPU milliseconds):
/// each item without a slip in the assignment's order (the first pays the forward pass, the
/// first through the recursion the output layer's Uᵀ δ1), then one slip of each step on the
/// first item it changes (its sample of 1024 entries, as the search screens it, then the whole
/// value), a full comparison on the largest item, and an answer nothing explains (the search
/// spending its budget, then the localization).
func phases(_ label: String, _ assignment: Assignment) {
  guard let derivation = assignment.model.derivation else { return }
  var rng = StudentVariant.generator(assignment: assignment.id, student: "bench-0")
  let inputs = assignment.model.generateInputs(using: &rng)
  let reference = assignment.model.reference(inputs: inputs)
  var evaluation: (any SlipEvaluation)!
  func ms(_ x: Double) -> String { String(format: "%.1f", x) }
  var line = "  phases (CPU ms): prepare \(ms(milliseconds { evaluation = derivation.prepare(inputs) }.cpu))"
  for spec in assignment.items { line += ", \(spec.id) \(ms(milliseconds { _ = evaluation.value(of: spec.id, with: []) }.cpu))" }
  print(line)
  line = "  one slip per step (sample / whole value):"
  for step in derivation.steps {
    guard let d = derivation.slips.first(where: { $0.step.id == step.id && !$0.slip.effect.isItemTransform }),
          let spec = assignment.items.first(where: { d.items.contains($0.id) && reference[$0.id]!.count > 1 }) else { continue }
    let applied = d.applied(d.slip.parameters.isEmpty ? nil : d.slip.parameters[d.slip.parameters.count / 2])
    let sample = (0..<1024).map { $0 * reference[spec.id]!.count / 1024 }
    let a = milliseconds { _ = evaluation.entries(of: spec.id, with: [applied], at: sample) }.cpu
    let b = milliseconds { _ = evaluation.value(of: spec.id, with: [applied]) }.cpu
    line += " \(applied) on \(spec.id) \(ms(a))/\(ms(b));"
  }
  print(line)
  if let largest = assignment.items.max(by: { reference[$0.id]!.count < reference[$1.id]!.count }) {
    let r = reference[largest.id]!
    print("  a full comparison of \(largest.id) (\(r.count) entries): \(ms(milliseconds { for _ in 0..<10 { _ = SlipSearch.matches(r, r, tolerance) } }.cpu / 10)) ms")
    var noise = SplitMix64(seed: 99)
    let wrong = Tensor(shape: r.shape, scalars: r.scalars.map { $0 + noise.uniform(-0.05, 0.05) })
    let diagnoser = Diagnoser(assignment: assignment)
    let request = DiagnosisRequest(item: largest, submitted: wrong, inputs: inputs, reference: reference, tolerance: tolerance)
    var evaluations = 0
    let search = milliseconds { evaluations = diagnoser.explain(request)?.evaluations ?? 0 }.cpu
    let all = milliseconds { _ = diagnoser.diagnose(request) }.cpu
    print("  an answer nothing explains: the search \(ms(search)) ms (\(evaluations) evaluations), the diagnosis with its localization again \(ms(all)) ms")
  }
}

if let threads = Optional(option("--threads", 0)), threads > 0 { MatrixProduct.maximumConcurrency = threads }
print("diagnosis benchmark (\(MatrixProduct.maximumConcurrency) thread(s) for matrix products; \(students) students per assignment)")
if !largeOnly {
  for id in ["rnn-bptt", "rnn-canonical", "backprop-basics", "window-lm", "lstm-lm", "gru-lm"] where only == nil || only == id {
    let (a, _) = try catalog.load(id)
    _ = run("\(id) at its shipped sizes \(a.model.sizes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))", a, large: false)
  }
}
if !shippedOnly {
  if only == nil || only == "rnn-bptt" {
    let a = try resized("rnn-bptt", ["T": 35, "H": 256, "d": 128, "V": 10_000])
    _ = run("rnn-bptt at T=35 H=256 d=128 V=10000", a, large: true)
    if showPhases { phases("rnn-bptt", a) }
  }
  if only == nil || only == "rnn-canonical" {
    let a = try resized("rnn-canonical", ["T": 35, "H": 256, "V": 10_000])
    _ = run("rnn-canonical at T=35 H=256 V=10000", a, large: true)
    if showPhases { phases("rnn-canonical", a) }
  }
  for id in ["lstm-lm", "gru-lm"] where only == nil || only == id {
    let a = try resized(id, ["T": 35, "H": 256, "d": 128, "V": 10_000])
    _ = run("\(id) at T=35 H=256 d=128 V=10000", a, large: true)
    if showPhases { phases(id, a) }
  }
}

// The table: CPU milliseconds per failing item (wall in parentheses).
func cell(_ cpu: [Double], _ wall: [Double]) -> String {
  String(format: "%7.1f (%7.1f)  %7.1f (%7.1f)", median(cpu), median(wall), cpu.max() ?? .nan, wall.max() ?? .nan)
}
print("")
print("per failing item, CPU ms (wall ms), load average \(loadAverage())")
print("assignment       sizes                       items named   alone: median        max                in a submission: median  max")
for (id, sizes, f) in summary {
  print(id.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + sizes.padding(toLength: 27, withPad: " ", startingAt: 0)
    + String(format: " %5d %5d   ", f.items, f.named) + cell(f.aloneCPU, f.alone) + "   " + cell(f.perItemCPU, f.perItem))
}
