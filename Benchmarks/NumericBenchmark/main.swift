// `swift run -c release numeric-benchmark [--steps 35,100] [--assignments rnn-bptt,rnn-canonical]
//                                          [--runs N] [--no-python]`
// `swift run -c release numeric-benchmark --shipped [--runs N]`
//
// --shipped: the numeric check of one submission at the sizes the assignments ship with (every
// assignment of Assignments/), as `grade batch` runs it per student: the probes built at the
// student's point (its forward pass), then every numeric item estimated. CPU and wall time per
// submission (means over 40·N submissions after one warm-up), per item and per evaluation of a
// line, and a digest of the bits of every estimate, so that two builds can be shown to estimate
// the same numbers.
//
// What grading a correct submission costs at real sizes: the shipped assignments (rnn-bptt, then
// rnn-canonical) with T ∈ {35, 100}, H = 256, d = 128, |V| = 10000 and their shipped options.
// For each size:
//   - the forward pass (the loss), the reference gradient alone and every item of the reference,
//     medians of --runs runs, in ms and in forward passes;
//   - the numeric check of each item: method, evaluations of its line, forward-pass equivalents
//     counted by the model, wall time and its ratio to the forward pass, and whether the
//     reference verified (items of one shared line: the first shows the line's time, the others
//     read its estimate; ≈F is each item's share);
//   - `grade check` of the reference written as an .npz submission, run as a child process of
//     this benchmark (the same code as the `grade` binary, through `GradeCLI`): wall time and peak
//     resident memory (the child's VmHWM), as ratios to the forward pass and to the bytes of the
//     parameters (inputs) and the gradients (items);
//   - `torch.autograd.gradcheck(fast_mode=True)` and `jax.test_util.check_grads` on the same
//     model at the same inputs (Benchmarks/NumericBenchmark/autograd_checks.py), when those are
//     installed, each as a ratio to its own forward pass;
//   - the gradient's fraction of a DGEMM: its floating-point operations (counted from the sizes)
//     per second over those of a 1024 × 1024 × 1024 `MatrixProduct` measured in the same run.
// The goals printed: reference + numeric check ≤ 40 forward passes; peak ≤ 3 × (parameter +
// gradient bytes) + 50 MB.
import BPTTReference
import Foundation
import GradeCLI
import Grader
import Jacobians
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The child: `grade check` in a process of its own

// `--grade <peak file> <grade arguments…>`: runs `grade`, then writes its own peak resident
// memory (VmHWM of /proc/self/status, in kB) to the peak file. The parent's ru_maxrss of the child
// would not do: Linux carries the high-water mark of the memory the child shared with its parent
// before exec (posix_spawn's vfork) into it, so it never reads below the benchmark's own peak.
if CommandLine.arguments.count >= 3 && CommandLine.arguments[1] == "--grade" {
  let quiet = Console(out: { _ in }, error: { FileHandle.standardError.write(Data($0.utf8)) })
  let status = GradeCommand.run(arguments: Array(CommandLine.arguments.dropFirst(3)), console: quiet)
  let proc = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
  let hwm = proc.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.filter(\.isNumber) ?? ""
  try? String(hwm).write(toFile: CommandLine.arguments[2], atomically: true, encoding: .utf8)
  exit(status)
}

struct Configuration {
  var steps = [35, 100]
  var assignments = ["rnn-bptt", "rnn-canonical"]
  var runs = 5
  var python = true
  var shipped = false
  let H = 256, d = 128, V = 10_000

  init(arguments: [String]) {
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      let next = i + 1 < arguments.count ? arguments[i + 1] : ""
      switch a {
      case "--steps": steps = next.split(separator: ",").compactMap { Int($0) }; i += 1
      case "--assignments": assignments = next.split(separator: ",").map(String.init); i += 1
      case "--runs": runs = max(1, Int(next) ?? runs); i += 1
      case "--no-python": python = false
      case "--shipped": shipped = true
      default: print("ignored argument \(a)")
      }
      i += 1
    }
  }
}

/// CPU time of this process, ms.
func cpuMilliseconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) * 1e-6
}

/// The CPU time of one call, ms (matrix products run on one thread here, so CPU time is the
/// time of the work, whatever else the machine runs).
func milliseconds(_ body: () -> Void) -> Double {
  let c0 = cpuMilliseconds()
  body()
  return cpuMilliseconds() - c0
}

/// Median of `runs` timings after one warm-up, CPU ms.
func median(runs: Int, _ body: () -> Void) -> Double {
  body()
  let times = (0..<runs).map { _ in milliseconds(body) }.sorted()
  return times[times.count / 2]
}

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
func mb(_ bytes: Double) -> String { f(bytes / 1_048_576) }
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

/// The shipped assignment with the benchmark's sizes, in a folder of its own.
func resizedAssignment(_ id: String, T: Int, c: Configuration, under root: URL) throws -> URL {
  let source = AssignmentCatalog.packageRoot.appendingPathComponent("Assignments/\(id)")
  let dir = root.appendingPathComponent("\(id)-T\(T)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("assignment.json"))) as! [String: Any]
  var model = object["model"] as! [String: Any]
  var sizes = model["sizes"] as! [String: Any]
  sizes["T"] = T
  sizes["H"] = c.H
  sizes["V"] = c.V
  if sizes["d"] != nil { sizes["d"] = c.d }
  model["sizes"] = sizes
  object["model"] = model
  try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent("assignment.json"))
  try FileManager.default.copyItem(at: AssignmentCatalog.packageRoot.appendingPathComponent("Rubrics/\(id).json"),
                                   to: dir.appendingPathComponent("rubric.json"))
  return dir
}

/// Runs this executable as `--grade <peak file> <arguments…>`: exit status, wall ms, CPU ms
/// (user + system, every thread), peak resident bytes (the child's own VmHWM).
func gradeChild(_ arguments: [String], peakFile: URL) -> (status: Int32, ms: Double, cpu: Double, peak: Double) {
  let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
  let argv = [executable, "--grade", peakFile.path] + arguments
  var cArgs = argv.map { strdup($0) } + [nil]
  defer { for p in cArgs { free(p) } }
  var pid: pid_t = 0
  let start = ContinuousClock.now
  guard posix_spawn(&pid, executable, nil, nil, &cArgs, environ) == 0 else { return (-1, 0, 0, 0) }
  var status: Int32 = 0
  var usage = rusage()
  _ = wait4(pid, &status, 0, &usage)
  let d = ContinuousClock.now - start
  let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
  let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-3
  let kB = Double((try? String(contentsOf: peakFile, encoding: .utf8)) ?? "") ?? .nan
  return ((status >> 8) & 0xFF, ms, cpu, kB * 1024)
}

/// `python3 autograd_checks.py …`: its `name value` lines, or nil with the reason printed.
func runPython(_ arguments: [String]) -> [String: Double]? {
  let script = AssignmentCatalog.packageRoot.appendingPathComponent("Benchmarks/NumericBenchmark/autograd_checks.py").path
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", script] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch {
    print("  (could not start python3: \(error))")
    return nil
  }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  var values: [String: Double] = [:]
  for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
    else if line.hasPrefix("skip ") { print("  " + line.dropFirst(5)) }
  }
  return process.terminationStatus == 0 ? values : nil
}

/// The options the benchmark's assignment.json gives its recurrent model.
func rnnOptions(_ dir: URL, canonical: Bool) throws -> RNNOptions {
  let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("assignment.json"))) as! [String: Any]
  let model = object["model"] as! [String: Any]
  var o = canonical ? CanonicalRNN.defaultOptions : RNNOptions()
  if let name = model["activation"] as? String, let a = Activation(name: name) { o.activation = a }
  if let name = model["reduction"] as? String, let r = LossReduction(rawValue: name) { o.reduction = r }
  if let b = model["biases"] as? Bool { o.useBiases = b }
  if let t = model["truncation"] as? String, t != "full" {
    let k = Int(t.filter(\.isNumber)) ?? 1
    o.truncation = t.hasPrefix("window") ? .window(k) : .chunks(k)
  }
  return o
}

/// The forward pass (the loss) and the reference gradient of the recurrent model at `inputs`.
func forwardAndGradient(_ inputs: [String: Tensor], options: RNNOptions) -> (forward: () -> Double, gradient: () -> Void) {
  let tokens = inputs["tokens"]!.ints
  if let E = inputs["E"] {
    let p = RNNParameters(E: E.matrix, W_h: inputs["W_h"]!.matrix, W_e: inputs["W_e"]!.matrix, b_1: inputs["b_1"]!.matrix,
                          U: inputs["U"]!.matrix, b_2: inputs["b_2"]!.matrix, h0: inputs["h0"]!.matrix)
    return ({ BPTT.loss(p, tokens: tokens, options: options) }, { _ = BPTT.gradients(p, tokens: tokens, options: options) })
  }
  let p = CanonicalRNNParameters(W_xh: inputs["W_xh"]!.matrix, W_hh: inputs["W_hh"]!.matrix, W_yh: inputs["W_yh"]!.matrix,
                                 b_h: inputs["b_h"]!.matrix, b_y: inputs["b_y"]!.matrix, h0: inputs["h0"]!.matrix)
  return ({ CanonicalRNN.loss(p, tokens: tokens, options: options) }, { _ = CanonicalRNN.gradients(p, tokens: tokens, options: options) })
}

/// Wall-clock ms since `start`.
func wallMilliseconds(since start: ContinuousClock.Instant) -> Double {
  let d = ContinuousClock.now - start
  return Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
}

/// FNV-1a over the bits of every number of an estimate.
func digest(_ e: NumericEstimate, into h: inout UInt64) {
  func mix(_ x: Double) {
    var v = x.bitPattern
    for _ in 0..<8 {
      h = (h ^ (v & 0xFF)) &* 0x100_0000_01B3
      v >>= 8
    }
  }
  for x in e.entries ?? [] { mix(x) }
  for p in e.projections { mix(p.value); mix(p.error); mix(p.step) }
}

/// The numeric check of one submission at the shipped sizes, assignment by assignment.
func shippedSizes(runs: Int) throws {
  let catalog = AssignmentCatalog(root: AssignmentCatalog.packageRoot.appendingPathComponent("Assignments"))
  let submissions = 40 * runs
  print("Numeric check of one submission at the shipped sizes; load average \(loadAverage())")
  print("CPU and wall time per submission: means over \(submissions) submissions after one warm-up (the probes built at the point, then every numeric item estimated)\n")
  var totalCPU = 0.0
  for id in catalog.ids() {
    let (assignment, rubric) = try catalog.load(id)
    var grader = Autograder(assignment: assignment, rubric: rubric)
    grader.numericSeed = 7
    let model = assignment.model
    let inputs = grader.inputs(for: "bench")
    let reference = model.reference(inputs: inputs)
    let items = assignment.items.filter { $0.checks.contains(.numeric) }
    var itemCPU = [Double](repeating: 0, count: items.count)
    var estimates = [NumericEstimate?](repeating: nil, count: items.count)
    var probeCPU = 0.0
    func submission(timed: Bool) {
      var c0 = cpuMilliseconds()
      let probes = model.numericProbes(inputs: inputs, reference: reference)
      var rng = SplitMix64(seed: 7)
      if timed { probeCPU += cpuMilliseconds() - c0 }
      for (k, item) in items.enumerated() {
        guard let probe = probes[item.id] else { continue }
        c0 = cpuMilliseconds()
        estimates[k] = NumericEstimator.estimate(probe, rng: &rng)
        if timed { itemCPU[k] += cpuMilliseconds() - c0 }
      }
    }
    submission(timed: false)
    let c0 = cpuMilliseconds(), w0 = ContinuousClock.now
    for _ in 0..<submissions { submission(timed: true) }
    let cpu = (cpuMilliseconds() - c0) / Double(submissions), wall = wallMilliseconds(since: w0) / Double(submissions)
    totalCPU += cpu
    var evaluations = 0
    var bits: UInt64 = 0xCBF2_9CE4_8422_2325
    print("\(id) (\(model.name)); load average \(loadAverage())")
    print("  \(pad("item", 22)) \(pad("shape", 12)) \(pad("method", 12)) \(pad("evals", 6)) \(pad("µs", 9)) \(pad("µs/eval", 8)) verified")
    print("  \(pad("(probes, point)", 22)) \(pad("", 12)) \(pad("", 12)) \(pad("", 6)) \(pad(f(1e3 * probeCPU / Double(submissions)), 9))")
    for (k, item) in items.enumerated() {
      guard let e = estimates[k] else { continue }
      digest(e, into: &bits)
      evaluations += e.forwardPasses
      let us = 1e3 * itemCPU[k] / Double(submissions)
      let verified = NumericEstimator.verify(reference: reference[item.id]!.scalars, with: e, shape: item.shape, tolerance: grader.numericTolerance).passed
      print("  \(pad(item.id, 22)) \(pad(Tensor.describe(item.shape), 12)) \(pad(e.method == .exact ? "exact" : "directional", 12)) \(pad(String(e.forwardPasses), 6)) \(pad(f(us), 9)) \(pad(f(us / Double(max(1, e.forwardPasses)), 2), 8)) \(verified ? "yes" : "NO")")
    }
    print("  per submission: CPU \(f(cpu, 3)) ms (wall \(f(wall, 3)) ms), \(evaluations) evaluations, \(f(1e3 * cpu / Double(max(1, evaluations)), 2)) µs CPU each; estimates' digest \(String(bits, radix: 16))\n")
  }
  print("every shipped assignment: \(f(totalCPU, 3)) ms CPU for one submission of each; load average \(loadAverage())")
}

// MARK: - The run

let config = Configuration(arguments: Array(CommandLine.arguments.dropFirst()))
if config.shipped {
  MatrixProduct.maximumConcurrency = 1
  try shippedSizes(runs: config.runs)
  exit(0)
}
let work = FileManager.default.temporaryDirectory.appendingPathComponent("numeric-benchmark-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

let childThreads = MatrixProduct.maximumConcurrency
MatrixProduct.maximumConcurrency = 1
print("Numeric verification at real sizes: H = \(config.H), d = \(config.d), |V| = \(config.V); load average \(loadAverage())")
print("CPU times in ms, medians of \(config.runs) runs after one warm-up, matrix products on 1 thread (`grade check`: \(childThreads) threads, user + system CPU of every thread); F = one forward pass\n")

// DGEMM rate of this machine, this run.
var rng = SplitMix64(seed: 1)
let n = 1024
let GA = rng.matrix(n, n), GB = rng.matrix(n, n)
let gemmMS = median(runs: config.runs) { _ = MatrixProduct.multiply(GA, GB) }
let gemmRate = 2 * Double(n * n * n) / (gemmMS * 1e6)
print("DGEMM \(n)×\(n)×\(n) (MatrixProduct): \(f(gemmMS)) ms, \(f(gemmRate)) GFLOP/s\n")

for id in config.assignments {
  for T in config.steps {
    let dir = try resizedAssignment(id, T: T, c: config, under: work)
    let (assignment, rubric) = try AssignmentCatalog().load(dir.path)
    var grader = Autograder(assignment: assignment, rubric: rubric)
    grader.numericSeed = 7
    let model = assignment.model
    let inputs = grader.inputs(for: "bench")
    let parameterBytes = Double(inputs.values.filter { $0.dtype.isFloatingPoint }.reduce(0) { $0 + $1.count } * 8)
    let canonical = inputs["E"] == nil
    let options = try rnnOptions(dir, canonical: canonical)
    let (forward, gradient) = forwardAndGradient(inputs, options: options)
    var loss = 0.0
    let forwardMS = median(runs: config.runs) { loss = forward() }
    let gradientMS = median(runs: config.runs) { gradient() }
    var reference: [String: Tensor] = [:]
    let referenceMS = median(runs: config.runs) { reference = model.reference(inputs: inputs) }
    let gradientBytes = Double(assignment.items.reduce(0) { $0 + reference[$1.id]!.count } * 8)
    let flops: Double = {
      let H = Double(config.H), V = Double(config.V), TT = Double(T)
      let d = canonical ? 0 : Double(config.d)
      return 3 * 2 * (V * H * TT + H * H * TT + H * d * TT)
    }()
    let gradientRate = flops / (gradientMS * 1e6)

    print("\(id) (\(model.name), \(assignment.model.notation.activation ?? "")), T = \(T); loss \(f(loss, 4)); load average \(loadAverage())")
    print("  forward F = \(f(forwardMS, 2)) ms;  gradient \(f(gradientMS, 2)) ms = \(f(gradientMS / forwardMS, 2)) F;  every reference item \(f(referenceMS, 2)) ms = \(f(referenceMS / forwardMS, 2)) F")
    print("  gradient \(f(gradientRate)) GFLOP/s = \(f(100 * gradientRate / gemmRate))% of the DGEMM (\(f(flops / 1e6)) MFLOP counted from the sizes)")
    print("  \(pad("item", 12)) \(pad("shape", 14)) \(pad("method", 12)) \(pad("dirs", 5)) \(pad("evals", 6)) \(pad("≈F", 6)) \(pad("ms", 9)) \(pad("ms/F", 7)) verified")
    let probes = model.numericProbes(inputs: inputs, reference: reference)
    var numericMS = 0.0, numericF = 0.0
    var itemRNG = SplitMix64(seed: 7)
    for item in assignment.items where item.checks.contains(.numeric) {
      guard let probe = probes[item.id] else { continue }
      var estimate: NumericEstimate!
      let ms = milliseconds { estimate = NumericEstimator.estimate(probe, rng: &itemRNG) }
      let verified = NumericEstimator.verify(reference: reference[item.id]!.scalars, with: estimate, shape: item.shape, tolerance: grader.numericTolerance).passed
      numericMS += ms
      numericF += estimate.forwardPassEquivalents
      let method = estimate.method == .exact ? "exact" : "directional"
      print("  \(pad(item.id, 12)) \(pad(Tensor.describe(item.shape), 14)) \(pad(method, 12)) \(pad(String(estimate.projections.count), 5)) \(pad(String(estimate.forwardPasses), 6)) \(pad(f(estimate.forwardPassEquivalents, 2), 6)) \(pad(f(ms), 9)) \(pad(f(ms / forwardMS, 2), 7)) \(verified ? "yes" : "NO")")
    }
    let total = (referenceMS + numericMS) / forwardMS
    print("  numeric check \(f(numericMS)) ms = \(f(numericMS / forwardMS, 1)) F (counted \(f(numericF, 1)) F); reference + numeric check = \(f(total, 1)) F   goal ≤ 40 F: \(total <= 40 ? "met" : "NOT met")")

    // grade check of the reference as a submission, in a child process.
    let submission = work.appendingPathComponent("\(id)-T\(T).npz")
    try ArrayFileWriter.write(reference, to: submission)
    reference = [:]
    // The same grading in this process, phase by phase.
    let loadMS = milliseconds { _ = try? AssignmentCatalog().load(dir.path) }
    let inputsMS = milliseconds { _ = grader.inputs(for: "bench") }
    var read: ArraySubmission?
    let readMS = milliseconds { read = try? ArraySubmissionReader.read(at: submission, limits: ArrayReadLimits(itemShapes: assignment.items.map(\.shape))) }
    var answers: [String: SubmittedAnswer] = [:]
    for (name, entry) in read?.entries ?? [:] { if case .tensor(let t) = entry { answers[name] = .value(t) } }
    read = nil
    var graded: GradeReport?
    let gradeMS = milliseconds { graded = grader.grade(student: "bench", answers: answers) }
    answers = [:]
    let renderMS = milliseconds { _ = graded?.rendered(.json) }
    let passed = graded?.allPassed == true
    graded = nil
    print("  in this process: load the assignment \(f(loadMS)) ms, the student's inputs \(f(inputsMS)) ms = \(f(inputsMS / forwardMS)) F, read the .npz \(f(readMS)) ms,")
    print("    grade \(f(gradeMS)) ms = \(f(gradeMS / forwardMS)) F (inputs, reference, numeric checks, comparisons; every item passed: \(passed)), render JSON \(f(renderMS)) ms")
    let reportFile = work.appendingPathComponent("report.json")
    let child = gradeChild(["check", dir.path, submission.path, "--student", "bench", "--numeric-seed", "7",
                            "--format", "json", "--out", reportFile.path], peakFile: work.appendingPathComponent("peak-\(id)-\(T)"))
    let report = (try? String(contentsOf: reportFile, encoding: .utf8)) ?? ""
    let reviews = report.components(separatedBy: "\"needs-review\"").count - 1
    let budget = 3 * (parameterBytes + gradientBytes) + 50 * 1_048_576
    print("  grade check: exit \(child.status), CPU \(f(child.cpu)) ms = \(f(child.cpu / forwardMS)) F (wall \(f(child.ms)) ms); items in review \(reviews)")
    print("  peak memory \(mb(child.peak)) MB = \(f(child.peak / (parameterBytes + gradientBytes), 2)) × (parameters \(mb(parameterBytes)) MB + gradients \(mb(gradientBytes)) MB);"
          + " goal ≤ 3 × + 50 MB = \(mb(budget)) MB: \(child.peak <= budget ? "met" : "NOT met")")

    if config.python && id == "rnn-bptt" {
      let inputsFile = work.appendingPathComponent("inputs-T\(T).npz")
      try ArrayFileWriter.write(inputs, to: inputsFile)
      let o = options
      if let py = runPython([inputsFile.path, o.activation.name, o.reduction.rawValue, o.useBiases ? "1" : "0", "\(config.runs)"]) {
        for (name, key) in [("torch.autograd.gradcheck(fast_mode=True)", "torch"), ("jax.test_util.check_grads", "jax")] {
          guard let check = py["\(key)_check_ms"], let fwd = py["\(key)_forward_ms"] else { continue }
          let calls = py["\(key)_calls"].map { ", \(Int($0)) loss calls" } ?? ""
          print("  \(pad(name, 42)) \(f(check)) ms = \(f(check / fwd)) × its forward (\(f(fwd, 2)) ms)\(calls); its loss \(f(py["\(key)_loss"] ?? .nan, 4))")
        }
      }
    }
    print("")
  }
}

