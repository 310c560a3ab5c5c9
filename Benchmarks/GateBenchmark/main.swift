// `swift run -c release lstm-benchmark [T H d V] [--runs N] [--no-numpy]`
//
// Times the LSTM and GRU language models of `BPTTReference` (column form; LSTM gate order ifog,
// GRU reset after / update keep; mean over t, full BPTT) at T = 35, H = 256, d = 128,
// |V| = 10000 by default: the forward pass, the gradient (fast path: forward + backward, the
// output layer and the input terms batched over all steps) and their ratio, with single- and
// two-threaded matrix products; then the same models in NumPy, one timestep at a time
// (Benchmarks/GateBenchmark/numpy_gates.py, run here through `python3`, OpenBLAS at the same
// thread count), and the two losses and gradient norms compared.
//
// Parameters are a closed formula shared with the NumPy script, value(k) = s·sin(0.37 k + salt)
// over the flat row-major index k, so both sides compute the same loss and gradient.
import BPTTReference
import Foundation
import Jacobians

struct Configuration {
  var T = 35, H = 256, d = 128, V = 10_000
  var runs = 7
  var numpy = true

  init(arguments: [String]) {
    var sizes: [Int] = []
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a == "--runs", i + 1 < arguments.count, let n = Int(arguments[i + 1]) {
        runs = max(1, n)
        i += 1
      } else if a == "--no-numpy" {
        numpy = false
      } else if let n = Int(a) {
        sizes.append(n)
      }
      i += 1
    }
    if sizes.count == 4 { (T, H, d, V) = (sizes[0], sizes[1], sizes[2], sizes[3]) }
  }
}

func parameter(_ rows: Int, _ cols: Int, salt: Double, scale: Double) -> Matrix {
  Matrix(rows: rows, cols: cols, scalars: (0..<(rows * cols)).map { scale * sin(0.37 * Double($0) + salt) })
}

func lstmModel(_ c: Configuration) -> LSTMParameters {
  LSTMParameters(
    E: parameter(c.d, c.V, salt: 1, scale: 0.1), W_x: parameter(4 * c.H, c.d, salt: 2, scale: 0.1),
    W_h: parameter(4 * c.H, c.H, salt: 3, scale: 0.05), b: parameter(4 * c.H, 1, salt: 4, scale: 0.1),
    U: parameter(c.V, c.H, salt: 5, scale: 0.1), b_2: parameter(c.V, 1, salt: 6, scale: 0.1),
    h0: parameter(c.H, 1, salt: 7, scale: 0.1), c0: parameter(c.H, 1, salt: 8, scale: 0.1))
}

func gruModel(_ c: Configuration) -> GRUParameters {
  GRUParameters(
    E: parameter(c.d, c.V, salt: 1, scale: 0.1), W_x: parameter(3 * c.H, c.d, salt: 2, scale: 0.1),
    W_h: parameter(3 * c.H, c.H, salt: 3, scale: 0.05), b_x: parameter(3 * c.H, 1, salt: 4, scale: 0.1),
    b_h: parameter(3 * c.H, 1, salt: 5, scale: 0.1), U: parameter(c.V, c.H, salt: 6, scale: 0.1),
    b_2: parameter(c.V, 1, salt: 7, scale: 0.1), h0: parameter(c.H, 1, salt: 8, scale: 0.1))
}

struct Timing {
  /// Median wall time, ms.
  var wall: Double
  /// Median CPU time of the process (all threads), ms.
  var cpu: Double
}

func processCPUMilliseconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) * 1e-6
}

/// Median wall and CPU time of `runs` calls, in milliseconds, after one warm-up call.
func measure(runs: Int, _ body: () -> Void) -> Timing {
  body()
  let clock = ContinuousClock()
  var wall: [Double] = [], cpu: [Double] = []
  for _ in 0..<runs {
    let c0 = processCPUMilliseconds()
    let d = clock.measure(body)
    cpu.append(processCPUMilliseconds() - c0)
    wall.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
  }
  wall.sort()
  cpu.sort()
  return Timing(wall: wall[wall.count / 2], cpu: cpu[cpu.count / 2])
}

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

/// Runs the NumPy script with `threads` OpenBLAS threads; its `name value` lines as a dictionary.
func runNumPy(_ c: Configuration, threads: Int) -> [String: Double]? {
  let script = "Benchmarks/GateBenchmark/numpy_gates.py"
  guard FileManager.default.fileExists(atPath: script) else {
    print("  (\(script) not found: run from the package root)")
    return nil
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", script, "\(c.T)", "\(c.H)", "\(c.d)", "\(c.V)", "\(c.runs)"]
  var environment = ProcessInfo.processInfo.environment
  for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[key] = "\(threads)" }
  process.environment = environment
  let pipe = Pipe()
  process.standardOutput = pipe
  do { try process.run() } catch {
    print("  (could not start python3: \(error))")
    return nil
  }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    print("  (numpy_gates.py exited with status \(process.terminationStatus))")
    return nil
  }
  var values: [String: Double] = [:]
  for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
  }
  return values
}

func format(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
func verdict(_ ok: Bool) -> String { ok ? "met" : "NOT met" }
func column(_ s: String, _ width: Int) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }

/// One model's figures: the Swift timings per thread count, its loss and named gradients.
struct ModelRun {
  var name: String
  var times: [Int: (forward: Timing, gradient: Timing)]
  var loss: Double
  var gradients: [(name: String, value: Matrix)]
}

let config = Configuration(arguments: Array(CommandLine.arguments.dropFirst()))
let tokens = (0...config.T).map { (7919 * $0 + 13) % config.V }
print("LSTM / GRU benchmark: T = \(config.T), H = \(config.H), d = \(config.d), |V| = \(config.V); mean over t, full BPTT; Float64")
print("LSTM gate order ifog (CS231n); GRU reset after, update keep (PyTorch)")
print("median of \(config.runs) runs after one warm-up; times in ms\n")

let defaultConcurrency = MatrixProduct.maximumConcurrency
let threadCounts = defaultConcurrency >= 2 ? [1, 2] : [1]

func time(_ name: String, forward: () -> Void, gradient: () -> Void) -> [Int: (forward: Timing, gradient: Timing)] {
  var times: [Int: (forward: Timing, gradient: Timing)] = [:]
  for threads in threadCounts {
    MatrixProduct.maximumConcurrency = threads
    times[threads] = (measure(runs: config.runs, forward), measure(runs: config.runs, gradient))
  }
  MatrixProduct.maximumConcurrency = defaultConcurrency
  return times
}

let lstm = lstmModel(config), gru = gruModel(config)
let lstmOptions = LSTMOptions(), gruOptions = GRUOptions()
let lstmGradient = LSTM.gradients(lstm, tokens: tokens, options: lstmOptions)
let gruGradient = GRU.gradients(gru, tokens: tokens, options: gruOptions)
let runs = [
  ModelRun(name: "lstm",
           times: time("lstm", forward: { _ = LSTM.forward(lstm, tokens: tokens, options: lstmOptions) },
                       gradient: { _ = LSTM.gradients(lstm, tokens: tokens, options: lstmOptions) }),
           loss: lstmGradient.loss, gradients: lstmGradient.named),
  ModelRun(name: "gru",
           times: time("gru", forward: { _ = GRU.forward(gru, tokens: tokens, options: gruOptions) },
                       gradient: { _ = GRU.gradients(gru, tokens: tokens, options: gruOptions) }),
           loss: gruGradient.loss, gradients: gruGradient.named),
]

print("Swift (BPTTReference, fast path), load average \(loadAverage())")
print("  model  threads   forward   gradient   gradient/forward   goal ≤ 3     (CPU ms: forward, gradient)")
for run in runs {
  for threads in threadCounts {
    let t = run.times[threads]!
    let ratio = t.gradient.wall / t.forward.wall
    print("  \(column(run.name.uppercased(), 6)) \(column("\(threads)", 9)) \(column(format(t.forward.wall), 9)) \(column(format(t.gradient.wall), 10)) \(column(format(ratio), 18)) \(column(verdict(ratio <= 3), 12)) (\(format(t.forward.cpu)), \(format(t.gradient.cpu)))")
  }
  let norm = GradientClipping.globalNorm(run.gradients.map(\.value))
  print("  \(run.name.uppercased()) loss J = \(run.loss), perplexity = \(exp(run.loss)), ‖gradient‖ = \(norm)")
}
print("")

if config.numpy {
  print("NumPy, one timestep at a time (numpy_gates.py; OpenBLAS threads as listed), load average \(loadAverage())")
  for threads in threadCounts {
    guard let np = runNumPy(config, threads: threads) else { continue }
    print("  threads \(threads):")
    for run in runs {
      guard let loopForward = np["\(run.name)_forward_ms"], let loopGradient = np["\(run.name)_gradient_ms"] else { continue }
      let swift = run.times[threads]!
      let speedup = loopGradient / swift.gradient.wall
      let cpuNote = np["\(run.name)_gradient_cpu_ms"].map { "   [CPU time: \(format($0 / swift.gradient.cpu))×]" } ?? ""
      print("    \(column(run.name.uppercased(), 5)) NumPy forward \(format(loopForward)), gradient \(format(loopGradient));  Swift gradient \(format(speedup))× faster (goal ≥ 3×) \(verdict(speedup >= 3))\(cpuNote)")
      if let npLoss = np["\(run.name)_loss"] {
        let lossDifference = abs(npLoss - run.loss) / abs(npLoss)
        var worst = 0.0
        for (name, value) in run.gradients {
          if let n = np["\(run.name)_gradient_norm_" + String(name.dropFirst())] {
            worst = max(worst, abs(n - value.frobeniusNorm) / max(n, 1e-300))
          }
        }
        print("          same model: NumPy J = \(npLoss), relative loss difference \(String(format: "%.1e", lossDifference)), largest relative difference of a gradient norm \(String(format: "%.1e", worst))")
      }
    }
  }
}
