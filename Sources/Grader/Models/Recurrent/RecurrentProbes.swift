import BPTTReference
import Jacobians

/// The numeric probes of a recurrent model's items: lines of `RNNLine` through the student's
/// point, one part of the direction per item.
///
/// ```
/// role                   moves                        objective     one evaluation costs
/// outputWeight           U                            loss          T·|V| softmax (after c_U h)
/// outputBias             b_2                          loss          T·|V| softmax
/// recurrentWeight …      W_h, W_e, b_1, E, h0, W_xh   loss          a forward pass
/// delta1                 the logits of step t         stepLosses    T·|V| softmax
/// delta2                 z^(t), output branch only    stepLosses    the output layer
/// recurrentWeightTerms   each step's copy of W_h      lastStep      one chain, one output row
/// ```
/// The point's forward pass, shared by every line, is computed once, when a probe first needs it.
/// The gradients of J through the recurrence (W_h, W_e, b_1, E, h0, W_xh) and δ2, when
/// estimated along directions, share one line of J (`SharedLine`), each moved along its own part
/// (δ2's weighted as J^(t) is in J): one forward pass of four ε for all of them, their
/// projections taken apart with `reference` (the model's).
/// Work is counted as in `NumericProbe` (a multiply-add 1, an exp 50).
extension RecurrentModel {
  func recurrentProbes(point: [RecurrentRole: Matrix], line make: @escaping () -> RNNLine, steps T: Int, embeddingSize d: Int,
                       reference: LazyValue<[String: Tensor]>) -> [String: NumericProbe] {
    // In a box, so that each evaluation reads the line in place (a copy of the struct retains
    // every array of it).
    let shared = LazyValue { SharedRNNLine(make()) }
    let truncation = options.truncation
    guard let W_h = point[.recurrentWeight], let U = point[.outputWeight] else { return [:] }
    let H = W_h.rows, V = U.rows
    let exp = 50.0
    // Recurrence steps the chains of J run (T for full BPTT and chunks, Σ_t min(t, k) for a
    // window), and that of J^(T) alone.
    var chain = 0.0
    var start = -1, reached = -1
    for t in 1...T {
      let s = truncation.firstKeptStep(for: t) - 1
      if s != start { start = s; reached = s }
      chain += Double(t - reached)
      reached = t
    }
    let lastChain = Double(T - truncation.firstKeptStep(for: T) + 1)
    // Drawing one entry of a direction, in multiply-adds.
    let draw = 4.0
    let softmax = Double(T * V) * (exp + 2)
    let output = Double(T * V * H)
    let forward = Double(T) * Double(H * H + H * d + V * H) + Double(T * V) * exp
    let recurrent = chain * Double(H * H) + Double(T * H * d) + output + softmax

    func probe(_ count: Int, _ magnitude: @escaping (Int) -> Double, _ largest: @escaping () -> Double,
               work: Double, setup: Double = 0, objective: RNNLine.Objective,
               _ direction: @escaping (ProbeDirection) -> RNNLine.Direction) -> NumericProbe {
      NumericProbe(
        count: count,
        line: .gradient { c in
          let moved = direction(c)
          return { es in shared.value.line.values(at: es, along: moved, objective: objective) }
        },
        magnitude: magnitude, largestMagnitude: largest, work: work, setupWork: setup, forwardWork: forward)
    }
    // The parts of J's gradients through the recurrence: one shared line (`SharedLine`).
    // δ2 joins it with the weight of J^(t) in J: its part moves z^(t) on the output branch only.
    var recurrentParts: [(item: String, matrix: Matrix, weight: Double, quantity: RNNLine.Quantity)] = []
    func parameter(_ m: Matrix, _ quantity: RNNLine.Quantity, work: Double, setup: Double = 0) -> NumericProbe {
      probe(m.count, { Swift.abs(m.scalars[$0]) }, { m.maxAbs }, work: work, setup: setup + draw * Double(m.count), objective: .loss) { c in
        .init(quantity, c, rows: m.rows, cols: m.cols)
      }
    }
    func recurrentParameter(_ item: String, _ m: Matrix, _ quantity: RNNLine.Quantity) -> NumericProbe {
      recurrentParts.append((item, m, 1, quantity))
      return parameter(m, quantity, work: recurrent)
    }

    var probes: [String: NumericProbe] = [:]
    // max |x_k| of a part that moves something other than its matrix (δ2: z^(t)).
    var largestOf: [String: () -> Double] = [:]
    for item in items.map(\.name) {
      guard let role = role(of: item) else { continue }
      switch role {
      case .loss:
        continue
      case .outputWeight:
        probes[item] = parameter(U, .U, work: softmax, setup: output)
      case .outputBias:
        guard let b = point[role] else { continue }
        probes[item] = parameter(b, .b_2, work: softmax)
      case .recurrentWeight:
        probes[item] = recurrentParameter(item, W_h, .W_h)
      case .inputWeight, .inputColumns:
        guard let W = point[role] else { continue }
        probes[item] = recurrentParameter(item, W, .W_e)
      case .hiddenBias:
        guard let b = point[role] else { continue }
        probes[item] = recurrentParameter(item, b, .b_1)
      case .embedding:
        guard let E = point[role] else { continue }
        probes[item] = recurrentParameter(item, E, .E)
      case .initialState:
        guard let h0 = point[role] else { continue }
        probes[item] = recurrentParameter(item, h0, .h0)
      case .delta1:
        probes[item] = probe(T * V, { Swift.abs(shared.value.line.pointLogits.scalars[$0]) }, { shared.value.line.pointLogits.maxAbs },
                             work: softmax, setup: draw * Double(T * V), objective: .stepLosses) { .init(.logits, $0, rows: T, cols: V) }
      case .delta2:
        recurrentParts.append((item, Matrix(rows: T, cols: H), options.reduction.weight(steps: T), .outputPreactivations))
        largestOf[item] = { shared.value.line.preactivations.maxAbs }
        probes[item] = probe(T * H, { Swift.abs(shared.value.line.preactivations.scalars[$0]) }, { shared.value.line.preactivations.maxAbs },
                             work: output + softmax + Double(T * H), setup: draw * Double(T * H), objective: .stepLosses) { .init(.outputPreactivations, $0, rows: T, cols: H) }
      case .recurrentWeightTerms:
        probes[item] = probe(T * H * H, { Swift.abs(W_h.scalars[$0 % (H * H)]) }, { W_h.maxAbs },
                             work: lastChain * Double(2 * H * H) + Double(V * H) + Double(V) * (exp + 2), setup: draw * Double(T * H * H),
                             objective: .lastStep) { c in
                               if case .basis(let k) = c.kind { return .entry(.W_hAtStep, k) }
                               // Step i's slice drawn when the chains reach it, for all four ε at once.
                               return .init(W_hAtStepSlices: { i, out in c.fill(out, from: (i - 1) * H * H) })
                             }
      }
    }
    // Those estimated along directions share one line of J.
    let members = recurrentParts.filter { probes[$0.item].map { !NumericEstimator.isExact($0) } ?? false }
    if members.count > 1 {
      let line = SharedLine(
        parts: members.map { m in
          SharedLine.Part(count: m.matrix.count, largestMagnitude: largestOf[m.item] ?? { m.matrix.maxAbs },
                          reference: { reference.value[m.item]?.scalars ?? [] }, weight: m.weight)
        },
        work: recurrent, setupWork: members.reduce(0) { $0 + draw * Double($1.matrix.count) }, forwardWork: forward
      ) { cs in
        var moved = RNNLine.Direction()
        for (m, c) in zip(members, cs) { moved.add(.init(m.quantity, c.matrix(rows: m.matrix.rows, cols: m.matrix.cols))) }
        return { es in shared.value.line.values(at: es, along: moved, objective: .loss) }
      }
      for (j, m) in members.enumerated() { probes[m.item]?.shared = (line, j) }
    }
    return probes
  }
}

/// The line of a recurrent model's probes, computed once and read in place.
final class SharedRNNLine {
  let line: RNNLine
  init(_ line: RNNLine) { self.line = line }
}

extension RNNLine.Direction {
  /// `quantity` moved along c: the entry alone for a basis direction (the line evaluates it
  /// without forming c), c as a `rows × cols` part otherwise.
  init(_ quantity: RNNLine.Quantity, _ c: ProbeDirection, rows: Int, cols: Int) {
    if case .basis(let k) = c.kind {
      self = .entry(quantity, k)
    } else {
      self.init(quantity, c.matrix(rows: rows, cols: cols))
    }
  }

  /// Takes the parts `other` moves (the two move different quantities).
  mutating func add(_ other: RNNLine.Direction) {
    precondition(entry == nil && other.entry == nil, "a shared line moves whole parts")
    func take(_ mine: inout Matrix?, _ theirs: Matrix?) {
      guard let theirs else { return }
      precondition(mine == nil, "a shared line moves each quantity for one item")
      mine = theirs
    }
    take(&E, other.E)
    take(&W_h, other.W_h)
    take(&W_e, other.W_e)
    take(&b_1, other.b_1)
    take(&U, other.U)
    take(&b_2, other.b_2)
    take(&h0, other.h0)
    take(&W_hAtStep, other.W_hAtStep)
    take(&logits, other.logits)
    take(&outputPreactivations, other.outputPreactivations)
    if let theirs = other.W_hAtStepSlices {
      precondition(W_hAtStepSlices == nil, "a shared line moves each quantity for one item")
      W_hAtStepSlices = theirs
    }
  }
}
