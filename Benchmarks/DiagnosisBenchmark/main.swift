// `swift run -c release diagnosis-benchmark [--students N] [--threads N] [--assignment id] [--large-only] [--shipped-only]`
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
// how many were named by the slip that made them.
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
let largeOnly = arguments.contains("--large-only"), shippedOnly = arguments.contains("--shipped-only")
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
        f.alone.append(wall)
        f.aloneCPU.append(cpu)
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
  return f
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
    _ = run("rnn-bptt at T=35 H=256 d=128 V=10000", try resized("rnn-bptt", ["T": 35, "H": 256, "d": 128, "V": 10_000]), large: true)
  }
  if only == nil || only == "rnn-canonical" {
    _ = run("rnn-canonical at T=35 H=256 V=10000", try resized("rnn-canonical", ["T": 35, "H": 256, "V": 10_000]), large: true)
  }
  for id in ["lstm-lm", "gru-lm"] where only == nil || only == id {
    _ = run("\(id) at T=35 H=256 d=128 V=10000", try resized(id, ["T": 35, "H": 256, "d": 128, "V": 10_000]), large: true)
  }
}
