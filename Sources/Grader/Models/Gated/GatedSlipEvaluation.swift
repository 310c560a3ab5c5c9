import Foundation
import BPTTReference
import Jacobians

/// What `GatedSlipEvaluation` asks of a gated cell (`LSTMCell`, `GRUCell`): its forward
/// recurrence with the forward slips, one step of its backward recursion with the backward
/// slips, and its own items read from the recursion's rows. Both loops run over raw rows
/// (`GatedRows`): one matrix–vector product per product of the step, the rest fused loops.
protocol GatedCell {
  associatedtype Slips: GatedCellSlips
  /// What the forward recurrence keeps for the backward steps, h^(0…T) among it.
  associatedtype States: GatedStates
  typealias Switches = GatedSlips<Slips>

  associatedtype Parameters: GatedParameters
  associatedtype Options: GatedModelOptions

  var p: Parameters { get }
  var tokens: [Int] { get }
  var options: Options { get }
  /// The widths of the rows one step back writes; the first is ∂J/∂h^(t) (H), the one at
  /// `inputRow` the adjoint of W_x e^(t) (what dW_x and dE sum).
  var rowWidths: [Int] { get }
  var inputRow: Int { get }
  /// How many vectors one step back hands to the step before; the first is ∂J/∂h^(t−1).
  var carries: Int { get }

  /// The recurrence with the forward slips of `s` from h^(0) = `h0`, the input terms W_x e^(t)
  /// of every step given (`inputs`, T × gates·H, row t − 1 for step t: one product for all T).
  func states(_ s: Switches, h0: Matrix, inputs: Matrix) -> States
  /// One step back at t: `carry` holds the carries into step t (`carries` × H, ∂J/∂h^(t) first,
  /// its output term included); writes step t's rows at `rows` (one pointer per row of
  /// `rowWidths`) and the carries to step t − 1 at `next`.
  func step(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ states: States, _ s: Switches)
  /// The rows of `carryWeight` (W_h) whose transposed product W_hᵀ v is what one step back at
  /// switches `s` takes through W_h into ∂J/∂h^(t−1), when it is one such product; nil when not
  /// (`step` then does it all). With rows m, `step` is `stepBeforeCarry` (the rows, the other
  /// carries, v), next[0..<H] = W_hᵀ v (m × H rows of W_h), then `stepAfterCarry`: the sweeps of
  /// several candidates share one pass over W_h per step (`GatedSlipEvaluation.lockstep`).
  func deferredCarryRows(_ s: Switches) -> Int?
  /// W_h (gates·H × H).
  var carryWeight: Matrix { get }
  func stepBeforeCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ states: States, _ s: Switches) -> UnsafePointer<Double>
  func stepAfterCarry(_ t: Int, _ carry: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>, _ rows: [UnsafeMutablePointer<Double>], _ states: States, _ s: Switches)
  /// The cell's own items (its weights' and biases' sums, its rows, its initial carries); nil
  /// for an item `GatedSlipEvaluation` makes.
  func item(_ name: String, _ r: GatedRecursion, _ fw: OutputLayerForward<States>, _ s: Switches) -> GatedValue?
  /// False when `s` does not reach `item` in a way the item can be asked about (nil values).
  func answers(_ item: String, _ s: Switches) -> Bool
  /// `value` of `item` as the slips `s` finally write it (the LSTM's blocks in the other order).
  func written(_ item: String, _ value: GatedValue, _ s: Switches) -> GatedValue
}

/// What a gated cell's forward recurrence keeps: h^(0…T) ((T + 1) × H, row t = h^(t)) and the
/// cell's own rows.
protocol GatedStates: AnyObject {
  var h: GatedRows { get }
}

/// An evaluation that sweeps candidates in lockstep beyond a size of W_h (tests lower it).
protocol LockstepSweeps: AnyObject {
  var lockstepAbove: Int { get set }
}

/// What the layers both gated models share read of a cell's parameters: E (d × |V|), W_x
/// (gates·H × d), U (|V| × H), b_2 (|V| × 1), h0 (H × 1).
protocol GatedParameters {
  var E: Matrix { get }
  var W_x: Matrix { get }
  var U: Matrix { get }
  var b_2: Matrix { get }
  var h0: Matrix { get }
  var hiddenSize: Int { get }
}

extension LSTMParameters: GatedParameters {}
extension GRUParameters: GatedParameters {}

/// The options both gated models share.
protocol GatedModelOptions {
  var reduction: LossReduction { get }
  var truncation: Truncation { get }
}

extension LSTMOptions: GatedModelOptions {}
extension GRUOptions: GatedModelOptions {}

extension GatedCell {
  var H: Int { p.hiddenSize }
}

/// A gated language model's derivation at one student's inputs, with slips: the forward pass,
/// the output layer and the backward recursion of its cell, each cached by the switches it
/// depends on, and the items read from them entry by entry.
///
/// ```
/// forward      the cell's recurrence h^(1…T) per forward slip (b_2 apart: it reaches only
///              the logits), ŷ^(t) = softmax(U h^(t) + b_2) and P U in one pass over U
///              (`OutputLayerForward`; ŷ^(t) alone for J, dU, db_2, P U when first asked)
/// output       δ1^(t) = ŷ^(t) − y^(t) and Uᵀ δ1^(t) = (P U)[t] − U[y^(t), :], per target and
///              δ1 slip
/// recursion    one sweep t = T … 1 of the cell's step, the carries cut where chunks of the
///              assignment or a window of one step cut them, per backward slip; a window or
///              chunks of 1 < k < T steps (a slip) from the per-source sweeps of every loss term
///              J^(s) back to step 1, computed once for every k; sweeps in lockstep, one
///              pass over W_h per step for all (`lockstep`), and so the sweeps of the single
///              slips the search anticipates on an item (`anticipate`)
/// items        the output layer's (loss, dU, db_2), dW_x = Σ_t ∂J/∂ax^(t) e^(t)ᵀ, dE, dh, dh0
///              here, the rest by the cell; the sums over t computed only at the entries asked
/// ```
/// With no slip it is the model's reference (`LSTM.gradients`, `GRU.gradients`).
final class GatedSlipEvaluation<Cell: GatedCell>: SlipEvaluation, LockstepSweeps {
  typealias Switches = GatedSlips<Cell.Slips>
  let cell: Cell
  let T: Int, H: Int, V: Int
  /// T × d, row t − 1 = e^(t)ᵀ.
  let embeddingRows: Matrix

  init(_ cell: Cell) {
    self.cell = cell
    T = cell.tokens.count - 1
    H = cell.p.hiddenSize
    V = cell.p.U.rows
    let E = cell.p.E, tokens = cell.tokens
    embeddingRows = Matrix(rows: T, cols: E.rows) { t, k in E[k, tokens[t]] }
  }

  var weight: Double { cell.options.reduction.weight(steps: T) }

  // MARK: The search's questions

  private var values: [ValueKey: Tensor] = [:]
  struct ValueKey: Hashable { var slips: Switches; var item: String }

  func value(of item: String, with slips: [AppliedSlip]) -> Tensor? {
    guard let s = Switches(slips) else { return nil }
    let key = ValueKey(slips: s, item: item)
    if let v = values[key] { return v }
    guard let v = lazyValue(of: item, s)?.tensor else { return nil }
    if values.count > 256 { values.removeAll() }
    values[key] = v
    return v
  }

  func entries(of item: String, with slips: [AppliedSlip], at indices: [Int]) -> [Double]? {
    guard let s = Switches(slips) else { return nil }
    if let v = values[ValueKey(slips: s, item: item)] { return indices.map { v.scalars[$0] } }
    guard let v = lazyValue(of: item, s) else { return nil }
    return indices.map(v.entry)
  }

  func isExpensive(_ slips: [AppliedSlip]) -> Bool {
    guard let s = Switches(slips), recursions[recursionKey(s)] == nil else { return false }
    if forwards[s.forwardKey] == nil && s.forwardKey != Switches().forwardKey { return true }
    if case .window(let k) = truncation(s), k > 1, k < T { return true }
    return false
  }

  var stopsExpensiveWorkAtMatch: Bool { Self.outputLayerIsCostly(steps: T, hidden: H, vocabulary: V) }

  /// The truncation the student's backward pass makes.
  func truncation(_ s: Switches) -> Truncation {
    switch s.extent {
    case .base: return cell.options.truncation
    case .window(let k): return .window(k)
    case .chunks(let k): return .chunks(k)
    }
  }

  /// `item` with the slips `s`, its entries computed when asked; nil when the model has no such
  /// item or the slips cannot reach it.
  func lazyValue(of item: String, _ s: Switches) -> GatedValue? {
    guard cell.answers(item, s) else { return nil }
    let value: GatedValue?
    switch item {
    case "loss", "dU", "db_2": value = head(item, s)
    default:
      let r = recursion(s)
      let fw = forward(s)
      switch item {
      case "dh": value = GatedValue(r.rows[0], shape: [T, H])
      case "dh0": value = GatedValue(s.dh0Next ? r.rows[0].row(0) : r.initial[0], shape: [H])
      case "dW_x": value = .outerSum(cell.p.W_x.rows, embeddingRows.cols, a: r.rows[cell.inputRow], b: embeddingRows, steps: s.steps("input-weight", T))
      case "dE": value = embedding(r, s)
      default: value = cell.item(item, r, fw, s)
      }
    }
    guard var v = value else { return nil }
    if item == "dW_h" && s.blocksTransposed { v = v.transposingBlocks(H) }
    return cell.written(item, v, s)
  }

  /// dE: column x^(t) += W_xᵀ ∂J/∂ax^(t), in the backward loop's order t = T … 1 (or assigned,
  /// in the loop the slip names).
  func embedding(_ r: GatedRecursion, _ s: Switches) -> GatedValue {
    let d = cell.p.E.rows, V = self.V, T = self.T, tokens = cell.tokens
    let de = r.inputProduct(cell.p.W_x, row: cell.inputRow)            // T × d, row t − 1 = (W_xᵀ ∂J/∂ax^(t))ᵀ
    let order: [Int] = s.scatter == .forward ? Array(1...T) : Array(stride(from: T, through: 1, by: -1))
    var occurrences: [Int: [Int]] = [:]
    for t in order { occurrences[tokens[t - 1], default: []].append(t) }
    let assigned = s.scatter != nil
    func entry(_ k: Int) -> Double {
      let (row, word) = (k / V, k % V)
      var x = 0.0
      for t in occurrences[word] ?? [] { x = (assigned ? 0 : x) + de.scalars[(t - 1) * d + row] }
      return x
    }
    return GatedValue(shape: [d, V], entry: entry) {
      var out = [Double](repeating: 0, count: d * V)
      for t in order {
        let word = tokens[t - 1]
        for row in 0..<d { out[row * V + word] = (assigned ? 0 : out[row * V + word]) + de.scalars[(t - 1) * d + row] }
      }
      return out
    }
  }

  // MARK: Forward

  /// The recurrence, per forward slip other than b_2's; the output layer per forward slip.
  private var trajectories: [Switches.StatesKey: (hRows: Matrix, states: Cell.States)] = [:]
  /// W_x e^(t) of every step (T × gates·H, row t − 1): the slips do not change it.
  private lazy var inputTerms: Matrix = MatrixProduct.multiply(embeddingRows, cell.p.W_x, transposeB: true)
  private var forwards: [Switches.ForwardKey: OutputLayerForward<Cell.States>] = [:]

  /// The forward pass of `s` (`backward`: with P U in the same pass over U, for the items
  /// after the output layer; without, for the output layer's own).
  func forward(_ s: Switches, backward: Bool = true) -> OutputLayerForward<Cell.States> {
    let key = s.forwardKey
    if let f = forwards[key] { return f }
    let trajectory = trajectories[key.states] ?? {
      let states = cell.states(s, h0: s.h0Zero ? Matrix(shape: cell.p.h0.shape) : cell.p.h0, inputs: inputTerms)
      let made = (hRows: states.h.matrix, states: states)
      trajectories[key.states] = made
      return made
    }()
    let f = OutputLayerForward(hRows: trajectory.hRows, states: trajectory.states, U: cell.p.U, b_2: s.b2Zero ? nil : cell.p.b_2, tokens: cell.tokens, backward: backward)
    forwards[key] = f
    return f
  }

  // MARK: Output layer

  struct OutputKey: Hashable { var forward: Switches.ForwardKey; var targetShift: Bool; var delta1: Switches.Delta1 }

  /// δ1 (T × |V|, rows δ1^(t)ᵀ, unscaled) and Uᵀ δ1^(t) (T × H, when first needed).
  final class Output {
    let delta1: Matrix, targets: [Int]
    var own: Matrix?
    init(delta1: Matrix, targets: [Int]) { self.delta1 = delta1; self.targets = targets }
  }
  private var outputs: [OutputKey: Output] = [:]

  func outputKey(_ s: Switches) -> OutputKey { OutputKey(forward: s.forwardKey, targetShift: s.targetShift, delta1: s.delta1) }

  func output(_ s: Switches) -> Output {
    let key = outputKey(s)
    if let o = outputs[key] { return o }
    let fw = forward(s)
    let targets = (1...T).map { t in key.targetShift ? cell.tokens[t - 1] : cell.tokens[t] }
    var delta1 = fw.P
    for t in 0..<T {
      let base = t * V, label = targets[t]
      switch key.delta1 {
      case .none: delta1.scalars[base + label] -= 1
      case .sign:
        delta1.scalars[base + label] -= 1
        for v in 0..<V { delta1.scalars[base + v] = -delta1.scalars[base + v] }
      case .diagonal:
        // (∂CE/∂ŷ) diag(ŷ ⊙ (1 − ŷ)) keeps only the label entry: ŷ_l − 1.
        let pl = fw.P.scalars[base + label]
        for v in 0..<V { delta1.scalars[base + v] = 0 }
        delta1.scalars[base + label] = pl - 1
      }
    }
    let o = Output(delta1: delta1, targets: targets)
    outputs[key] = o
    return o
  }

  /// Rows (Uᵀ δ1^(t))ᵀ (T × H): P U − U[y^(t), :] from the forward pass's P U (one product per
  /// forward pass, shared by every δ1 slip), negated for the flipped sign, (ŷ_l − 1) U[l, :] for
  /// the diagonal softmax.
  func own(_ s: Switches) -> Matrix {
    let key = outputKey(s)
    let out = output(s)
    if let o = out.own { return o }
    let fw = forward(s)
    let U = cell.p.U
    var own = Matrix(rows: T, cols: H)
    if key.delta1 == .diagonal {
      for t in 0..<T {
        let l = out.targets[t], c = fw.P.scalars[t * V + l] - 1
        for j in 0..<H { own.scalars[t * H + j] = c * U.scalars[l * H + j] }
      }
    } else {
      own = fw.productWithU()
      let sign: Double = key.delta1 == .sign ? -1 : 1
      for t in 0..<T {
        let l = out.targets[t]
        for j in 0..<H { own.scalars[t * H + j] = sign * (own.scalars[t * H + j] - U.scalars[l * H + j]) }
      }
    }
    out.own = own
    return own
  }

  /// The weight of each loss term J^(t) in the gradients: 1/T or 1, zero for a term left out.
  func weights(_ s: Switches) -> [Double] { s.lossTerms.weights(steps: T, weight: weight) }

  /// The output layer's items: J, dU = Σ_t wₜ δ1^(t) h^(t)ᵀ, db_2 = Σ_t wₜ δ1^(t).
  func head(_ item: String, _ s: Switches) -> GatedValue {
    // ŷ and the losses alone where the output layer is costly (elsewhere one pass makes P U too).
    let fw = forward(s, backward: !stopsExpensiveWorkAtMatch)
    let w = weights(s)
    switch item {
    case "loss":
      let losses = s.targetShift ? fw.lossCurrent : fw.lossNext
      return GatedValue(Tensor(scalar: (0..<T).reduce(0.0) { $0 + w[$1] * losses[$1] }))
    case "dU":
      return .outerSum(V, H, a: output(s).delta1, scale: w, b: fw.hRows, shift: s.outputStatePrevious ? 0 : 1, steps: s.steps("output-weight", T))
    default:
      return .rowSum(output(s).delta1, scale: w, steps: s.steps("output-bias", T))
    }
  }

  // MARK: The recursion

  /// The switches the recursion reads: the slips without those of the sums after it.
  func recursionKey(_ s: Switches) -> Switches {
    var k = s
    k.dh0Next = false
    k.blocksTransposed = false
    k.outputStatePrevious = false
    k.assigned = [:]
    k.scatter = nil
    k.own = k.own.recursion
    return k
  }

  private var recursions: [Switches: GatedRecursion] = [:]

  /// The injections wₜ Uᵀ δ1^(t) (times T − t + 1 when recounted), T × H.
  func injections(_ s: Switches) -> Matrix {
    var a = own(s)
    let w = weights(s)
    for t in 0..<T {
      let c = w[t] * (s.recounted ? Double(T - t) : 1)
      for j in 0..<H { a.scalars[t * H + j] *= c }
    }
    return a
  }

  func recursion(_ s: Switches) -> GatedRecursion {
    let key = recursionKey(s)
    if let r = recursions[key] { return r }
    let truncation = truncation(key)
    let r: GatedRecursion
    if let k = truncation.length, k > 1, k < T, key.extent != .base || truncation == .window(k) {
      r = sweeps(key).truncated(truncation, widths: cell.rowWidths, steps: T)
    } else {
      r = sweep(key, truncation)
    }
    if recursions.count > maximumRecursions { recursions.removeAll() }
    recursions[key] = r
    return r
  }

  /// The size of W_h (bytes) beyond which `anticipate` sweeps in lockstep: one pass over W_h for
  /// many pays where W_h outgrows the cache (256 KB); below, the candidates are swept one at a
  /// time as they come.
  var lockstepAbove = 1 << 18

  /// Past this many recursions kept, the next one clears them.
  let maximumRecursions = 64

  /// True when the recursion of `key` is one sweep (not per-loss-term sweeps).
  func isOneSweep(_ key: Switches) -> Bool {
    let truncation = truncation(key)
    if let k = truncation.length, k > 1, k < T, key.extent != .base || truncation == .window(k) { return false }
    return true
  }

  /// The recursions of the candidates the search is about to screen on `item` that need a sweep
  /// of their own on the reference's forward pass (or one already computed), run in lockstep in
  /// groups: one pass over W_h per step for a group instead of one per candidate, the values
  /// those of `recursion` bit for bit. Only as many as the cache holds without clearing it: the
  /// recursions kept then evolve as the candidates one at a time leave them (the search's
  /// `isExpensive` reads them).
  func anticipate(_ candidates: [[AppliedSlip]], for item: String) {
    guard cell.carryWeight.count * MemoryLayout<Double>.size > lockstepAbove, !["loss", "dU", "db_2"].contains(item) else { return }
    var keys: [Switches] = [], seen = Set<Switches>()
    for slips in candidates {
      guard let s = Switches(slips), cell.answers(item, s), forwards[s.forwardKey] != nil || s.forwardKey == Switches().forwardKey else { continue }
      let key = recursionKey(s)
      guard recursions[key] == nil, isOneSweep(key), seen.insert(key).inserted else { continue }
      keys.append(key)
    }
    keys = Array(keys.prefix(Swift.max(0, maximumRecursions + 1 - recursions.count)))
    guard keys.count > 1 else { return }
    let group = 32
    for start in stride(from: 0, to: keys.count, by: group) {
      let lanes = keys[start..<Swift.min(keys.count, start + group)].map { key in
        Lane(key, states: forward(key).states, injections: injections(key), start: T, everyStep: true, truncation: truncation(key), widths: cell.rowWidths, steps: T, carries: cell.carries * H)
      }
      lockstep(lanes)
      for lane in lanes { recursions[lane.s] = lane.r }
    }
  }

  /// One sweep t = T … 1, the carries cut at the first step of each chunk (every step for a
  /// window of one).
  func sweep(_ s: Switches, _ truncation: Truncation) -> GatedRecursion {
    let fw = forward(s)
    let a = injections(s)
    let r = GatedRecursion(widths: cell.rowWidths, steps: T)
    let n = cell.carries * H, H = self.H
    var into = UnsafeMutablePointer<Double>.allocate(capacity: n), next = UnsafeMutablePointer<Double>.allocate(capacity: n)
    into.initialize(repeating: 0, count: n)
    next.initialize(repeating: 0, count: n)
    defer { into.deallocate(); next.deallocate() }
    a.scalars.withUnsafeBufferPointer { a in
      for t in stride(from: T, through: 1, by: -1) {
        for j in 0..<H { into[j] += a[(t - 1) * H + j] }
        cell.step(t, into, next, r.buffers.map { $0[t - 1] }, fw.states, s)
        if t == 1 {
          r.initial = (0..<cell.carries).map { k in Matrix(column: Array(UnsafeBufferPointer(start: next + k * H, count: H))) }
        } else if truncation.firstKeptStep(for: t) == t {
          into.update(repeating: 0, count: n)
        } else {
          swap(&into, &next)
        }
      }
    }
    return r
  }

  /// One sweep of `lockstep`: its switches, the forward states it reads, its injections (added
  /// at every step for a sweep of the whole loss; only at its first step `start` for the sweep
  /// of one loss term), where its carries are cut, its rows and, once done, the carries out of
  /// step 1 (`r.initial`).
  final class Lane {
    let s: Switches
    let states: Cell.States
    let injections: Matrix
    let start: Int
    let everyStep: Bool
    let truncation: Truncation
    let r: GatedRecursion
    let n: Int
    var into: UnsafeMutablePointer<Double>, next: UnsafeMutablePointer<Double>

    init(_ s: Switches, states: Cell.States, injections: Matrix, start: Int, everyStep: Bool, truncation: Truncation, widths: [Int], steps T: Int, carries n: Int) {
      self.s = s
      self.states = states
      self.injections = injections
      self.start = start
      self.everyStep = everyStep
      self.truncation = truncation
      self.n = n
      r = GatedRecursion(widths: widths, steps: T)
      into = .allocate(capacity: n)
      next = .allocate(capacity: n)
      into.initialize(repeating: 0, count: n)
      next.initialize(repeating: 0, count: n)
    }

    deinit { into.deallocate(); next.deallocate() }
  }

  /// Sweeps run together, t from the latest start down to 1: each lane's step as `step` makes
  /// it, but the carry products W_hᵀ v of the lanes whose switches allow it
  /// (`deferredCarryRows`) as one pass over W_h for all of them
  /// (`VectorKernels.transposedMatrixVectors`, the same bits as one at a time). Each lane's
  /// carries are cut where its truncation cuts them (a sweep of the whole loss) or never (a
  /// loss term's).
  func lockstep(_ lanes: [Lane]) {
    let H = self.H, carries = cell.carries
    guard let last = lanes.map(\.start).max(), last >= 1 else { return }
    for lane in lanes where !lane.everyStep {
      lane.injections.scalars.withUnsafeBufferPointer { a in for j in 0..<H { lane.into[j] = a[(lane.start - 1) * H + j] } }
    }
    cell.carryWeight.scalars.withUnsafeBufferPointer { w in
      // The lanes whose product waits, with its rows m of W_h, v, and the step's rows.
      var deferred: [(lane: Lane, m: Int, v: UnsafePointer<Double>, rows: [UnsafeMutablePointer<Double>])] = []
      var vs: [UnsafePointer<Double>] = [], ys: [UnsafeMutablePointer<Double>] = []
      deferred.reserveCapacity(lanes.count)
      for t in stride(from: last, through: 1, by: -1) {
        deferred.removeAll(keepingCapacity: true)
        for lane in lanes where t <= lane.start {
          if lane.everyStep {
            lane.injections.scalars.withUnsafeBufferPointer { a in for j in 0..<H { lane.into[j] += a[(t - 1) * H + j] } }
          }
          let rows = lane.r.buffers.map { $0[t - 1] }
          if lanes.count > 1, let m = cell.deferredCarryRows(lane.s) {
            deferred.append((lane, m, cell.stepBeforeCarry(t, lane.into, lane.next, rows, lane.states, lane.s), rows))
          } else {
            cell.step(t, lane.into, lane.next, rows, lane.states, lane.s)
          }
        }
        // One product per number of rows of W_h (a cell has one).
        var rest = deferred[...]
        while let m = rest.first?.m {
          vs.removeAll(keepingCapacity: true)
          ys.removeAll(keepingCapacity: true)
          for d in rest where d.m == m { vs.append(d.v); ys.append(d.lane.next) }
          VectorKernels.transposedMatrixVectors(w.baseAddress!, vs, ys, m, H)
          for d in rest where d.m == m { cell.stepAfterCarry(t, d.lane.into, d.lane.next, d.rows, d.lane.states, d.lane.s) }
          rest = rest.filter { $0.m != m }[...]
        }
        for lane in lanes where t <= lane.start {
          if t == 1 {
            lane.r.initial = (0..<carries).map { k in Matrix(column: Array(UnsafeBufferPointer(start: lane.next + k * H, count: H))) }
          } else if lane.everyStep && lane.truncation.firstKeptStep(for: t) == t {
            lane.into.update(repeating: 0, count: lane.n)
          } else {
            swap(&lane.into, &lane.next)
          }
        }
      }
    }
  }

  /// For each loss term J^(s), its sweep back to step 1, summed over the loss terms: from
  /// these any window or chunks of k keep, at step i, the loss terms s = i … end(i) — a run, as
  /// the first kept step of s grows with s. O(T²) steps once per backward slip, then O(T) rows
  /// per truncation.
  ///
  /// ```
  /// P_i(b) = Σ_{s=i}^{b} ∂J^(s)/∂(rows of step i)    in rows[b − 1][row], step i ≤ b
  /// I(b)   = Σ_{s=1}^{b} the carries of J^(s) out of step 1          in initial[b − 1]
  /// ```
  /// Each sum runs s = i … b in order, as a truncation's sum over its loss terms does.
  final class Sweeps {
    let rows: [[GatedRows]]       // [b − 1][row], T × width, rows i ≤ b
    let initial: [[Matrix]]       // [b − 1]

    /// The running sums of the per-loss-term sweeps `rows` and `initial` (each term's own:
    /// rows[s − 1] holds the steps t ≤ s of J^(s)'s sweep), in place.
    init(rows: [[GatedRows]], initial: [[Matrix]], widths: [Int], steps T: Int) {
      var initial = initial
      if T >= 2 {
        for b in 2...T {
          for row in widths.indices {
            let sum = rows[b - 1][row].base, before = rows[b - 2][row].base
            for j in 0..<((b - 1) * widths[row]) { sum[j] = before[j] + sum[j] }
          }
          for k in initial[b - 1].indices { initial[b - 1][k] = initial[b - 2][k] + initial[b - 1][k] }
        }
      }
      self.rows = rows
      self.initial = initial
    }

    /// The recursion of a window or chunks: at step i the loss terms s = i … end(i) that
    /// reach it, P_i(end(i)); the initial carries of those that reach step 1.
    func truncated(_ truncation: Truncation, widths: [Int], steps T: Int) -> GatedRecursion {
      let r = GatedRecursion(widths: widths, steps: T)
      let last = truncation.lastLossTerms(steps: T)
      for i in 1...T {
        let end = last[i - 1]
        for row in widths.indices {
          r.buffers[row][i - 1].update(from: rows[end - 1][row][i - 1], count: widths[row])
        }
        if i == 1 { r.initial = initial[end - 1] }
      }
      return r
    }
  }
  private var sweepCache: [Switches: Sweeps] = [:]

  func sweeps(_ key: Switches) -> Sweeps {
    var k = key
    k.extent = .base
    if let c = sweepCache[k] { return c }
    let fw = forward(key)
    let a = injections(key)
    // Every loss term's sweep at once, in lockstep (one pass over W_h per step for all).
    let lanes = (1...T).map { source in
      Lane(key, states: fw.states, injections: a, start: source, everyStep: false, truncation: .full, widths: cell.rowWidths, steps: T, carries: cell.carries * H)
    }
    lockstep(lanes)
    let sw = Sweeps(rows: lanes.map(\.r.buffers), initial: lanes.map(\.r.initial), widths: cell.rowWidths, steps: T)
    if sweepCache.count > 8 { sweepCache.removeAll() }
    sweepCache[k] = sw
    return sw
  }
}


/// The backward recursion's rows (T × width each, row t − 1 for step t; the first ∂J/∂h^(t))
/// and the carries out of step 1 (∂J/∂h^(0) first).
final class GatedRecursion {
  /// The rows as the sweeps write them.
  let buffers: [GatedRows]
  /// The rows as matrices, once the sweeps are done.
  lazy var rows: [Matrix] = buffers.map(\.matrix)
  var initial: [Matrix] = []
  private var products: [Int: Matrix] = [:]

  init(widths: [Int], steps T: Int) { buffers = widths.map { GatedRows(rows: T, width: $0) } }

  /// rows[row] W (T × W's columns): each step's adjoint through W, computed once.
  func inputProduct(_ W: Matrix, row: Int) -> Matrix {
    if let p = products[row] { return p }
    let p = MatrixProduct.multiply(rows[row], W)
    products[row] = p
    return p
  }
}

/// An item's value entry by entry (flat, row-major), and in full: a sum over steps computes
/// only the entries the search screens a candidate on.
struct GatedValue {
  var shape: [Int]
  var entry: (Int) -> Double
  var all: () -> [Double]

  init(shape: [Int], entry: @escaping (Int) -> Double, all: @escaping () -> [Double]) {
    self.shape = shape
    self.entry = entry
    self.all = all
  }

  init(_ t: Tensor) {
    shape = t.shape
    entry = { t.scalars[$0] }
    all = { t.scalars }
  }

  init(_ m: Matrix, shape: [Int]) { self.init(Tensor(shape: shape, scalars: m.scalars)) }

  var tensor: Tensor { Tensor(shape: shape, scalars: all()) }

  /// The value with its entries moved: entry k is this value's entry `source(k)`.
  func moving(_ source: @escaping (Int) -> Int) -> GatedValue {
    let e = entry, a = all
    return GatedValue(shape: shape, entry: { e(source($0)) }) {
      let v = a()
      return (0..<v.count).map { v[source($0)] }
    }
  }

  /// Each H × H block of a stack of blocks transposed.
  func transposingBlocks(_ H: Int) -> GatedValue {
    moving { k in
      let base = k - k % (H * H), r = (k % (H * H)) / H, j = k % H
      return base + j * H + r
    }
  }

  /// Σ over `steps` of scale_t a^(t) b^(t)ᵀ (m × n): a^(t) is row t − 1 of `a` (T × m), b^(t) row
  /// t − 1 + `shift` of `b`, scale_t = scale[t − 1] (1 without).
  static func outerSum(_ m: Int, _ n: Int, a: Matrix, scale: [Double]? = nil, b: Matrix, shift: Int = 0, steps: [Int]) -> GatedValue {
    func c(_ t: Int) -> Double { scale?[t - 1] ?? 1 }
    return GatedValue(shape: [m, n], entry: { k in
      let (r, j) = (k / n, k % n)
      var x = 0.0
      for t in steps { x += (c(t) * a.scalars[(t - 1) * m + r]) * b.scalars[(t - 1 + shift) * n + j] }
      return x
    }) {
      // In full: Aᵀ B (m × n), A's rows scale_t a^(t)ᵀ and B's b^(t)ᵀ over the steps kept, one
      // matrix product.
      let k = steps.count
      var out = [Double](repeating: 0, count: m * n)
      guard k > 0 else { return out }
      var A = [Double](repeating: 0, count: k * m), B = [Double](repeating: 0, count: k * n)
      for (row, t) in steps.enumerated() {
        let ct = c(t), ra = (t - 1) * m, rb = (t - 1 + shift) * n
        for r in 0..<m { A[row * m + r] = ct * a.scalars[ra + r] }
        for j in 0..<n { B[row * n + j] = b.scalars[rb + j] }
      }
      A.withUnsafeBufferPointer { pa in
        B.withUnsafeBufferPointer { pb in
          out.withUnsafeMutableBufferPointer { o in
            MatrixProduct.multiply(m, n, k, pa.baseAddress!, lda: m, transposeA: true, pb.baseAddress!, ldb: n, transposeB: false, into: o.baseAddress!, ldc: n)
          }
        }
      }
      return out
    }
  }

  /// Σ over `steps` of scale_t a^(t) (a vector of a's width).
  static func rowSum(_ a: Matrix, scale: [Double]? = nil, steps: [Int]) -> GatedValue {
    let m = a.cols
    func c(_ t: Int) -> Double { scale?[t - 1] ?? 1 }
    return GatedValue(shape: [m], entry: { r in
      var x = 0.0
      for t in steps { x += c(t) * a.scalars[(t - 1) * m + r] }
      return x
    }) {
      (0..<m).map { r in
        var x = 0.0
        for t in steps { x += c(t) * a.scalars[(t - 1) * m + r] }
        return x
      }
    }
  }

  /// The sum of two values of the same shape.
  static func + (x: GatedValue, y: GatedValue) -> GatedValue {
    let ex = x.entry, ey = y.entry, ax = x.all, ay = y.all
    return GatedValue(shape: x.shape, entry: { ex($0) + ey($0) }) { zip(ax(), ay()).map { $0 + $1 } }
  }
}
