import Jacobians

/// The truncated objective of the LSTM: the function of the parameters θ′ whose exact gradient
/// is the truncated gradient `LSTM.gradients` computes with the same options.
///
/// ```
/// S(θ′) = Σₜ wₜ J^(t)(θ′; h^(s), c^(s) at θ0),      s = s(t) = firstKeptStep(t) − 1
/// ```
/// J^(t) is recomputed with θ′ from the cut state (h^(s), c^(s)), a constant computed once at
/// the fixed parameters θ0; when s = 0 the chain starts from θ′'s own h0, c0 (parameters, never
/// cut). At θ′ = θ0, S equals J and ∇S(θ0) is the truncated gradient; for `.full` (and window
/// or chunks of length k ≥ T) S is J itself, computed by `LSTM.loss`.
/// ```
/// window(k)   J^(t) runs steps t−k+1 … t from the state of θ0 at t − k   (one chain per t)
/// chunks(k)   each chunk runs from the state of θ0 at its start − 1      (one chain per chunk)
/// ```
extension LSTM {
  /// S(θ′) with the cut states taken from the forward pass of θ0 = `cutStatesFrom`.
  public static func surrogateLoss(
    _ p: LSTMParameters, cutStatesFrom p0: LSTMParameters, tokens: [Int], options: LSTMOptions = LSTMOptions()
  ) -> Double {
    let T = tokens.count - 1
    if options.truncation.isFull(forSteps: T) { return loss(p, tokens: tokens, options: options) }
    return surrogateLoss(p, cutStates: forward(p0, tokens: tokens, options: options), tokens: tokens, options: options)
  }

  /// S(θ′) with the cut states h^(s), c^(s) read from `cutStates` (rows s of its `h` and `c`),
  /// the forward pass of θ0; compute it once when evaluating S at many θ′.
  public static func surrogateLoss(
    _ p: LSTMParameters, cutStates fp0: LSTMForwardPass, tokens: [Int], options: LSTMOptions = LSTMOptions()
  ) -> Double {
    check(p, tokens: tokens, options: options)
    let T = tokens.count - 1, H = p.hiddenSize
    if options.truncation.isFull(forSteps: T) { return loss(p, tokens: tokens, options: options) }
    if fp0.h.shape != Shape(T + 1, H) { stop(.shapeMismatch(parameter: "The cut-state matrix h", expected: Shape(T + 1, H), actual: fp0.h.shape)) }
    if fp0.c.shape != Shape(T + 1, H) { stop(.shapeMismatch(parameter: "The cut-state matrix c", expected: Shape(T + 1, H), actual: fp0.c.shape)) }
    let AX = inputTerms(p, GateKernels.embeddings(p.E, tokens: tokens, steps: T))
    let k = Blocks(options.gateOrder, H)
    // Row t − 1: h̃^(t), the last state of J^(t)'s chain.
    var Hlast = Matrix(rows: T, cols: H)
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 12 * H)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0, count: 12 * H)
    let a = buffer, gates = buffer + 4 * H, h = buffer + 8 * H, c = buffer + 9 * H, tc = buffer + 10 * H, hNext = buffer + 11 * H
    let cNext = UnsafeMutablePointer<Double>.allocate(capacity: H)
    defer { cNext.deallocate() }
    cNext.initialize(repeating: 0, count: H)
    var chainStart = -1, chainAt = -1
    p.W_h.scalars.withUnsafeBufferPointer { W in
      for t in 1...T {
        let s = GateKernels.cutStep(options.truncation, t: t)
        if s != chainStart || chainAt != t - 1 {
          // A new chain from the cut state (θ0's), or from θ′'s h0, c0 when s = 0.
          for j in 0..<H {
            h[j] = s == 0 ? p.h0.scalars[j] : fp0.h.scalars[s * H + j]
            c[j] = s == 0 ? p.c0.scalars[j] : fp0.c.scalars[s * H + j]
          }
          chainStart = s
          chainAt = s
        }
        while chainAt < t {
          for j in 0..<(4 * H) { a[j] = AX.scalars[chainAt * 4 * H + j] }
          cell(W.baseAddress!, H, k, a: a, gates: gates, hPrev: UnsafePointer(h), cPrev: UnsafePointer(c),
               c: cNext, tc: tc, h: hNext)
          for j in 0..<H { h[j] = hNext[j]; c[j] = cNext[j] }
          chainAt += 1
        }
        for j in 0..<H { Hlast.scalars[(t - 1) * H + j] = h[j] }
      }
    }
    let losses = GateKernels.outputForward(Hlast, U: p.U, b_2: p.b_2, targets: Array(tokens.dropFirst())).stepLosses
    return GateKernels.reduce(losses, options.reduction)
  }
}
