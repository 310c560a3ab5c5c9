// `swift run -c release bptt-benchmark [T H d V] [--runs N] [--no-numpy] [--products] [--parts]`
//
// Times the RNN language model of `BPTTReference` (column form, σ, biases, mean over t, full
// BPTT) at T = 35, H = 256, d = 128, |V| = 10000 by default: the forward pass, the gradient
// (fast path: forward + δ recursion + batched output layer) and their ratio, single- and
// two-threaded matrix products; then the same model in NumPy (Benchmarks/BPTTBenchmark/
// numpy_rnn.py, run here through `python3`), per-timestep loop and batched, with OpenBLAS at
// 1 and 2 threads; and the peak resident memory of this process (VmHWM). `--products` adds the
// times of the three |V|·H·T products of the output layer alone, which dominate the gradient.
//
// The gradient's floating-point work is counted from the sizes (`gradientFLOPs`), and set
// against this machine's double-precision matrix-product peak measured in the same run:
// NumPy's 2000 × 2000 DGEMM on one OpenBLAS thread (`numpy_rnn.py --gemm`), next to our own
// `MatrixProduct` at 2000 × 2000 and at the three skinny shapes of the output layer.
// `--parts` times, on one thread, each part of the gradient as the gradient runs it (the same
// calls at the same shapes, on the model's own matrices): the fused output layer, dU, the
// recursion's matrix–vector products, dW_h, the embedding's products and the scatter of dE; their
// floating-point work, CPU time and rate; and the remainder of the gradient's time (allocation,
// copies, f′, the gather of Es) as what the parts do not account for.
// `BPTT_PROFILE_RUNS=n` in the environment runs only n single-threaded gradients (for a
// profiler such as `valgrind --tool=callgrind` or `perf record`) and prints nothing.
//
// Parameters are a closed formula shared with the NumPy script, value(k) = s·sin(0.37 k + salt)
// over the flat row-major index k, so both sides compute the same loss and gradient norms.
import BPTTReference
import Foundation
import Jacobians

struct Configuration {
  var T = 35, H = 256, d = 128, V = 10_000
  var runs = 9
  var numpy = true
  var products = false
  var parts = false

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
      } else if a == "--products" {
        products = true
      } else if a == "--parts" {
        parts = true
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

func model(_ c: Configuration) -> (RNNParameters, [Int]) {
  let p = RNNParameters(
    E: parameter(c.d, c.V, salt: 1, scale: 0.1),
    W_h: parameter(c.H, c.H, salt: 2, scale: 0.05),
    W_e: parameter(c.H, c.d, salt: 3, scale: 0.1),
    b_1: parameter(c.H, 1, salt: 4, scale: 0.1),
    U: parameter(c.V, c.H, salt: 5, scale: 0.1),
    b_2: parameter(c.V, 1, salt: 6, scale: 0.1),
    h0: parameter(c.H, 1, salt: 7, scale: 0.1))
  let tokens = (0...c.T).map { (7919 * $0 + 13) % c.V }
  return (p, tokens)
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

/// Median wall and CPU time of `runs` calls, in milliseconds, after two warm-up calls.
func measure(runs: Int, _ body: () -> Void) -> Timing {
  // Two untimed calls first, as numpy_rnn.py warms its gradient up: the first calls grow the
  // heap to the gradient's buffers (dU and dE, about 30 MB of fresh pages).
  body()
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

/// The 1-minute load average, so that a reader can tell a busy machine from a slow program.
func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

/// VmHWM (peak resident set) of this process in bytes, from /proc/self/status.
func peakResidentBytes() -> Int? {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
  }
  return nil
}

/// Runs the NumPy script with `threads` OpenBLAS threads; its `name value` lines as a dictionary.
func runNumPy(_ c: Configuration, threads: Int) -> [String: Double]? {
  runPython(["\(c.T)", "\(c.H)", "\(c.d)", "\(c.V)", "\(c.runs)"], threads: threads)
}

/// `python3 numpy_rnn.py arguments…` with `threads` BLAS threads; its `name value` lines.
func runPython(_ arguments: [String], threads: Int) -> [String: Double]? {
  let script = "Benchmarks/BPTTBenchmark/numpy_rnn.py"
  guard FileManager.default.fileExists(atPath: script) else {
    print("  (\(script) not found: run from the package root)")
    return nil
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", script] + arguments
  var environment = ProcessInfo.processInfo.environment
  for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"] {
    environment[key] = "\(threads)"
  }
  process.environment = environment
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch {
    print("  (could not start python3: \(error))")
    return nil
  }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    print("  (numpy_rnn.py exited with status \(process.terminationStatus): is NumPy installed?)")
    return nil
  }
  var values: [String: Double] = [:]
  for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
  }
  return values
}

/// The floating-point operations of one gradient, counted from the sizes (a multiply-add is 2):
/// ```
/// output layer   3 · 2|V|HT    logits = Hs Uᵀ, dU = G1ᵀ Hs, ∂J/∂h from the output = G1 U
/// recurrence     3 · 2H²T      W_h h^(t−1) forward, W_hᵀ ∂J/∂z^(t) backward, dW_h = Gzᵀ Hs
/// embedding      3 · 2HdT      W_e e^(t) forward, dW_e = Gzᵀ Es, ∂J/∂e^(t) = W_eᵀ ∂J/∂z^(t)
/// ```
/// Elementwise work is not counted: the softmax (one exp per entry of the T × |V| logits, the
/// sums and the scaling), σ and f′, the biases, δ1 = ŷ − y, the ⊙ f′ of the δ recursion, the
/// bias gradients and the scatter of dE. At the default sizes: 537.6 + 13.8 + 6.9 = 558.2 MFLOP.
func gradientFLOPs(_ c: Configuration) -> (total: Double, output: Double, recurrent: Double, embedding: Double) {
  let T = Double(c.T), H = Double(c.H), d = Double(c.d), V = Double(c.V)
  let output = 3 * 2 * V * H * T, recurrent = 3 * 2 * H * H * T, embedding = 3 * 2 * H * d * T
  return (output + recurrent + embedding, output, recurrent, embedding)
}

func format(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

func verdict(_ ok: Bool) -> String { ok ? "met" : "NOT met" }

let config = Configuration(arguments: Array(CommandLine.arguments.dropFirst()))
let (p, tokens) = model(config)
let options = RNNOptions()
if let n = ProcessInfo.processInfo.environment["BPTT_PROFILE_RUNS"].flatMap(Int.init) {
  MatrixProduct.maximumConcurrency = 1
  for _ in 0..<n { _ = BPTT.gradients(p, tokens: tokens, options: options) }
  exit(0)
}
print("RNN-LM benchmark: T = \(config.T), H = \(config.H), d = \(config.d), |V| = \(config.V); σ, biases, mean over t, full BPTT; Float64")
print("median of \(config.runs) runs after two warm-up calls; times in ms\n")

// Swift, single- and two-threaded matrix products.
let defaultConcurrency = MatrixProduct.maximumConcurrency
var swiftTimes: [Int: (forward: Timing, gradient: Timing)] = [:]
var gradient = BPTT.gradients(p, tokens: tokens, options: options)
let loss = BPTT.loss(p, tokens: tokens, options: options)
let threadCounts = defaultConcurrency >= 2 ? [1, 2] : [1]
for threads in threadCounts {
  MatrixProduct.maximumConcurrency = threads
  let forward = measure(runs: config.runs) { _ = BPTT.forward(p, tokens: tokens, options: options) }
  let grad = measure(runs: config.runs) { gradient = BPTT.gradients(p, tokens: tokens, options: options) }
  swiftTimes[threads] = (forward, grad)
}
MatrixProduct.maximumConcurrency = defaultConcurrency

func column(_ s: String, _ width: Int) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }

print("Swift (BPTTReference, fast path), load average \(loadAverage())")
print("  threads   forward   gradient   gradient/forward   goal ≤ 3     (CPU ms: forward, gradient)")
for threads in threadCounts {
  let t = swiftTimes[threads]!
  let ratio = t.gradient.wall / t.forward.wall
  print("  \(column("\(threads)", 9)) \(column(format(t.forward.wall), 9)) \(column(format(t.gradient.wall), 10)) \(column(format(ratio), 18)) \(column(verdict(ratio <= 3), 12)) (\(format(t.forward.cpu)), \(format(t.gradient.cpu)))")
}
print("  loss J = \(loss), perplexity = \(exp(loss)), ‖gradient‖ = \(gradient.globalNorm)\n")

// Peak memory of the RNN runs, before the 2000 × 2000 products below raise it.
let rnnPeakBytes = peakResidentBytes()

// The machine's DGEMM peak (NumPy, one OpenBLAS thread) measured now, next to the gradient's
// single-threaded time above, and our own products at the same shapes.
let numpyGEMM: [String: Double]? = config.numpy
  ? runPython(["--gemm", "\(config.T)", "\(config.H)", "\(config.d)", "\(config.V)", "\(config.runs)"], threads: 1)
  : nil
do {
  MatrixProduct.maximumConcurrency = 1
  var rng = SplitMix64(seed: 2)
  let n = 2000
  let A = rng.matrix(n, n), B = rng.matrix(n, n)
  let (T, H, V) = (config.T, config.H, config.V)
  let hCols = rng.matrix(H, T), hRows = rng.matrix(T, H), D = rng.matrix(V, T), G1 = rng.matrix(T, V)
  let U = p.U
  // (label, NumPy key, multiply-adds, the literal product, the product as the gradient runs it)
  let cases: [(String, String, Int, () -> Void, (String, () -> Void)?)] = [
    ("\(n)×\(n) · \(n)×\(n)", "gemm_2000", n * n * n, { _ = MatrixProduct.multiply(A, B) }, nil),
    ("\(V)×\(H) · \(H)×\(T)   U Hs", "gemm_U_H", V * H * T, { _ = MatrixProduct.multiply(U, hCols) },
     ("logits = Hs Uᵀ", { _ = MatrixProduct.multiply(hRows, U, transposeB: true) })),
    ("\(V)×\(T) · \(T)×\(H)   D Hsᵀ", "gemm_D_H", V * T * H, { _ = MatrixProduct.multiply(D, hRows) },
     ("dU = G1ᵀ Hs", { _ = MatrixProduct.multiply(G1, hRows, transposeA: true) })),
    ("\(H)×\(V) · \(V)×\(T)   Uᵀ D", "gemm_UT_D", H * V * T, { _ = MatrixProduct.multiply(U, D, transposeA: true) },
     ("G1 U", { _ = MatrixProduct.multiply(G1, U) })),
  ]
  let gflops = { (fma: Int, t: Timing) in 2 * Double(fma) / (t.wall * 1e6) }
  print("Matrix products on 1 thread, GFLOP/s (2·m·n·k over the median wall time), load average \(loadAverage())")
  print("  \(column("product", 34)) \(column("Swift", 7)) \(column("as the gradient runs it", 24)) \(column("Swift", 7)) NumPy")
  var ours2000 = 0.0
  for (label, key, fma, literal, called) in cases {
    let rate = gflops(fma, measure(runs: config.runs, literal))
    if key == "gemm_2000" { ours2000 = rate }
    var line = "  \(column(label, 34)) \(column(format(rate, 1), 7)) "
    if let (name, body) = called {
      line += "\(column(name, 24)) \(column(format(gflops(fma, measure(runs: config.runs, body)), 1), 7)) "
    } else {
      line += "\(column("", 24)) \(column("", 7)) "
    }
    line += numpyGEMM?[key + "_gflops"].map { format($0, 1) } ?? "—"
    print(line)
  }
  MatrixProduct.maximumConcurrency = defaultConcurrency

  let flops = gradientFLOPs(config)
  let gradientTime = swiftTimes[1]!.gradient.wall
  let rate = flops.total / (gradientTime * 1e6)
  let mflop = { (x: Double) in format(x / 1e6, 1) }
  print("Gradient on 1 thread: \(mflop(flops.total)) MFLOP (output layer \(mflop(flops.output)), recurrence \(mflop(flops.recurrent)), embedding \(mflop(flops.embedding)); elementwise work not counted)")
  print("  in \(format(gradientTime)) ms = \(format(rate, 1)) GFLOP/s")
  if let peak = numpyGEMM?["gemm_2000_gflops"] {
    let fraction = rate / peak
    var cpuNote = ""
    if let cpuPeak = numpyGEMM?["gemm_2000_cpu_gflops"] {
      // The same ratio over CPU times (Swift's median process CPU time, NumPy's), less
      // sensitive to a busy machine than wall times.
      let cpuRate = flops.total / (swiftTimes[1]!.gradient.cpu * 1e6)
      cpuNote = "   [CPU time: \(format(cpuRate / cpuPeak))]"
    }
    print("  gradient at \(format(fraction)) of the same-run DGEMM peak (NumPy \(n)×\(n), 1 thread: \(format(peak, 1)) GFLOP/s; goal ≥ 0.75)   \(verdict(fraction >= 0.75))\(cpuNote)")
  } else {
    print("  fraction of the DGEMM peak skipped: NumPy's \(n)×\(n) DGEMM not measured (\(config.numpy ? "python3 with NumPy unavailable" : "--no-numpy"))")
  }
  print("  gradient at \(format(rate / ours2000)) of our own \(n)×\(n) product rate (\(format(ours2000, 1)) GFLOP/s)\n")
}

if config.products {
  // The output layer's products, shapes as in `RecurrentCore`: logits = Hs Uᵀ, dU = G1ᵀ Hs,
  // ∂J/∂h from the output = G1 U.
  var rng = SplitMix64(seed: 1)
  let hOut = rng.matrix(config.T, config.H), G1 = rng.matrix(config.T, config.V)
  let products: [(String, () -> Void)] = [
    ("logits = Hs Uᵀ", { _ = MatrixProduct.multiply(hOut, p.U, transposeB: true) }),
    ("dU = G1ᵀ Hs", { _ = MatrixProduct.multiply(G1, hOut, transposeA: true) }),
    ("G1 U", { _ = MatrixProduct.multiply(G1, p.U) }),
  ]
  print("Output-layer products (\(config.T)·\(config.H)·\(config.V) multiply-adds each), load average \(loadAverage())")
  print("  product           threads   wall      CPU")
  for (name, body) in products {
    for threads in threadCounts {
      MatrixProduct.maximumConcurrency = threads
      let t = measure(runs: config.runs, body)
      print("  \(column(name, 17)) \(column("\(threads)", 9)) \(column(format(t.wall), 9)) \(format(t.cpu))")
    }
  }
  MatrixProduct.maximumConcurrency = defaultConcurrency
  print("")
}

if config.parts {
  printParts(config, p, tokens, gradientCPU: swiftTimes[1]!.gradient.cpu, gradientWall: swiftTimes[1]!.gradient.wall)
}

if config.numpy {
  print("NumPy (numpy_rnn.py; OpenBLAS threads as listed), load average \(loadAverage())")
  for threads in threadCounts {
    guard let np = runNumPy(config, threads: threads),
          let loopGradient = np["loop_gradient_ms"], let batchedGradient = np["batched_gradient_ms"],
          let loopForward = np["loop_forward_ms"], let batchedForward = np["batched_forward_ms"] else { continue }
    let swift = swiftTimes[threads]!
    print("  threads \(threads): loop forward \(format(loopForward)), loop gradient \(format(loopGradient)); batched forward \(format(batchedForward)), batched gradient \(format(batchedGradient))")
    let speedup = loopGradient / swift.gradient.wall
    let slowdown = swift.gradient.wall / batchedGradient
    let cpuNote = { (key: String, swiftCPU: Double, inverse: Bool) -> String in
      guard let npCPU = np[key] else { return "" }
      return "   [CPU time: \(format(inverse ? npCPU / swiftCPU : swiftCPU / npCPU))]"
    }
    print("    Swift gradient vs loop:    \(format(speedup))× faster   (goal ≥ 3× faster)   \(verdict(speedup >= 3))\(cpuNote("loop_gradient_cpu_ms", swift.gradient.cpu, true))")
    print("    Swift gradient vs batched: \(format(slowdown))× the time (goal ≤ 2×)          \(verdict(slowdown <= 2))\(cpuNote("batched_gradient_cpu_ms", swift.gradient.cpu, false))")
    if let npLoss = np["loss"] {
      let lossDifference = abs(npLoss - loss) / abs(npLoss)
      var worst = 0.0
      for (name, value) in gradient.named {
        let key = "gradient_norm_" + String(name.dropFirst())
        if let n = np[key] { worst = max(worst, abs(n - value.frobeniusNorm) / max(n, 1e-300)) }
      }
      print("    same model: relative loss difference \(String(format: "%.1e", lossDifference)), largest relative difference of a gradient norm \(String(format: "%.1e", worst))")
    }
  }
  print("")
}

let parameterBytes = p.scalarCount * 8
let budget = 3 * 2 * parameterBytes + 50 * 1024 * 1024
if let peak = rnnPeakBytes {
  let mb = { (b: Int) in format(Double(b) / 1_048_576, 1) }
  print("Peak memory (VmHWM, after the RNN runs) \(mb(peak)) MB; parameters \(mb(parameterBytes)) MB + gradients \(mb(parameterBytes)) MB;")
  print("  goal ≤ 3 × (parameters + gradients) + 50 MB = \(mb(budget)) MB   \(verdict(peak <= budget))")
} else {
  print("Peak memory: /proc/self/status not readable on this system")
}

/// The gradient's parts on one thread, each as the gradient runs it (see the header).
func printParts(_ c: Configuration, _ p: RNNParameters, _ tokens: [Int], gradientCPU: Double, gradientWall: Double) {
  let (T, H, d, V) = (c.T, c.H, c.d, c.V)
  MatrixProduct.maximumConcurrency = 1
  defer { MatrixProduct.maximumConcurrency = defaultConcurrency }
  var rng = SplitMix64(seed: 3)
  // Hs: (T+1) × H hidden states in (0, 1); Gz: T × H; Es: T × d.
  let Hs = rng.matrix(T + 1, H, 0, 1), Gz = rng.matrix(T, H, -0.01, 0.01), dEs = rng.matrix(T, d, -0.01, 0.01)
  var Es = Matrix(rows: T, cols: d)
  for t in 0..<T { for k in 0..<d { Es[t, k] = p.E[k, tokens[t]] } }
  let targets = Array(tokens.dropFirst()), weights = [Double](repeating: 1 / Double(T), count: T)
  var G = Matrix(rows: T, cols: V), dX = Matrix(rows: T, cols: H), db = Matrix(rows: V, cols: 1)
  let fused = {
    Hs.scalars.withUnsafeBufferPointer { hs in
      p.U.scalars.withUnsafeBufferPointer { u in
        p.b_2.scalars.withUnsafeBufferPointer { b in
          G.scalars.withUnsafeMutableBufferPointer { g in
            dX.scalars.withUnsafeMutableBufferPointer { dx in
              db.scalars.withUnsafeMutableBufferPointer { dbp in
                _ = OutputLayerKernel.forwardBackward(
                  x: hs.baseAddress! + H, ldx: H, rows: T, width: H, w: u.baseAddress!, classes: V, bias: b.baseAddress!,
                  targets: targets, stepWeights: weights, g: g.baseAddress!, dx: dx.baseAddress!, db: dbp.baseAddress!,
                  concurrency: 1)
              }
            }
          }
        }
      }
    }
  }
  fused()
  let dU = {
    G.scalars.withUnsafeBufferPointer { g in
      Hs.scalars.withUnsafeBufferPointer { hs in
        _ = [Double](unsafeUninitializedCapacity: V * H) { out, count in
          MatrixProduct.multiply(V, H, T, g.baseAddress!, lda: V, transposeA: true, hs.baseAddress! + H, ldb: H, transposeB: false,
                                 into: out.baseAddress!, ldc: H, concurrency: 1)
          count = V * H
        }
      }
    }
  }
  var y = [Double](repeating: 0, count: H), h = [Double](repeating: 0, count: H)
  let forwardRecursion = {
    p.W_h.scalars.withUnsafeBufferPointer { w in
      Hs.scalars.withUnsafeBufferPointer { hs in
        for t in 0..<T {
          VectorKernels.matrixVector(w.baseAddress!, hs.baseAddress! + t * H, &y, H, H)
          VectorKernels.logistic(y, &h, H)
        }
      }
    }
  }
  let backwardRecursion = {
    p.W_h.scalars.withUnsafeBufferPointer { w in
      Gz.scalars.withUnsafeBufferPointer { gz in
        for t in 0..<T { VectorKernels.transposedMatrixVector(w.baseAddress!, gz.baseAddress! + t * H, &y, H, H) }
      }
    }
  }
  let dWh = { _ = MatrixProduct.multiply(Gz, Hs.rows(0..<T), transposeA: true, concurrency: 1) }
  let embedding = {
    _ = MatrixProduct.multiply(Es, p.W_e, transposeB: true, concurrency: 1)
    _ = MatrixProduct.multiply(Gz, Es, transposeA: true, concurrency: 1)
    _ = MatrixProduct.multiply(Gz, p.W_e, concurrency: 1)
  }
  let scatter = {
    var dE = [Double](unsafeUninitializedCapacity: d * V) { b, count in b.initialize(repeating: 0); count = d * V }
    for t in 0..<T { for k in 0..<d { dE[k * V + tokens[t]] += dEs[t, k] } }
    _ = dE.count
  }
  let fTVH = Double(T * V * H), fH2T = Double(H * H * T), fHdT = Double(H * d * T)
  let rows: [(String, Double, () -> Void)] = [
    ("output layer, fused: L = X Uᵀ, softmax, G, dX = G U, db", 4 * fTVH, fused),
    ("dU = Gᵀ X  (|V| × H, inner dimension T)", 2 * fTVH, dU),
    ("recursion forward: T × (W_h h, σ)", 2 * fH2T, forwardRecursion),
    ("recursion backward: T × W_hᵀ δ", 2 * fH2T, backwardRecursion),
    ("dW_h = Gzᵀ Hs", 2 * fH2T, dWh),
    ("embedding: Es W_eᵀ, Gzᵀ Es, Gz W_e", 6 * fHdT, embedding),
    ("dE: d × |V| zeros and the scatter", 0, scatter),
  ]
  print("Parts of the gradient on 1 thread (the same calls at the same shapes), load average \(loadAverage())")
  print("  \(column("part", 58)) \(column("MFLOP", 7)) \(column("CPU ms", 8)) \(column("wall ms", 8)) GFLOP/s (CPU)")
  var cpuSum = 0.0, wallSum = 0.0
  for (name, flops, body) in rows {
    let t = measure(runs: c.runs, body)
    cpuSum += t.cpu
    wallSum += t.wall
    let rate = flops > 0 ? format(flops / (t.cpu * 1e6), 1) : "—"
    print("  \(column(name, 58)) \(column(format(flops / 1e6, 1), 7)) \(column(format(t.cpu), 8)) \(column(format(t.wall), 8)) \(rate)")
  }
  print("  \(column("sum of the parts", 58)) \(column("", 7)) \(column(format(cpuSum), 8)) \(format(wallSum))")
  print("  \(column("the gradient (above)", 58)) \(column(format(gradientFLOPs(c).total / 1e6, 1), 7)) \(column(format(gradientCPU), 8)) \(format(gradientWall))")
  print("  \(column("the rest (gradient − parts): allocation, copies, f′, Es", 58)) \(column("", 7)) \(column(format(gradientCPU - cpuSum), 8)) \(format(gradientWall - wallSum))\n")
}
