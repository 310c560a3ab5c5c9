import Jacobians

/// The truncated objective of the GRU, the function of θ′ whose exact gradient is the truncated
/// gradient `GRU.gradients` computes (as `LSTM.surrogateLoss`, with the state h alone):
///
/// ```
/// S(θ′) = Σₜ wₜ J^(t)(θ′; h^(s) at θ0),     s = firstKeptStep(t) − 1,   h^(0) from θ′
/// ```
/// For `.full` (and window or chunks of length k ≥ T) S is J, computed by `GRU.loss`.
extension GRU {
  /// S(θ′) with the cut states taken from the forward pass of θ0 = `cutStatesFrom`.
  public static func surrogateLoss(
    _ p: GRUParameters, cutStatesFrom p0: GRUParameters, tokens: [Int], options: GRUOptions = GRUOptions()
  ) -> Double {
    let T = tokens.count - 1
    if options.truncation.isFull(forSteps: T) { return loss(p, tokens: tokens, options: options) }
    return surrogateLoss(p, cutStates: forward(p0, tokens: tokens, options: options), tokens: tokens, options: options)
  }

  /// S(θ′) with the cut states h^(s) read from row s of `cutStates.h`, the forward pass of θ0.
  public static func surrogateLoss(
    _ p: GRUParameters, cutStates fp0: GRUForwardPass, tokens: [Int], options: GRUOptions = GRUOptions()
  ) -> Double {
    check(p, tokens: tokens, options: options)
    let T = tokens.count - 1, H = p.hiddenSize
    if options.truncation.isFull(forSteps: T) { return loss(p, tokens: tokens, options: options) }
    if fp0.h.shape != Shape(T + 1, H) { stop(.shapeMismatch(parameter: "The cut-state matrix h", expected: Shape(T + 1, H), actual: fp0.h.shape)) }
    let AX = inputTerms(p, GateKernels.embeddings(p.E, tokens: tokens, steps: T))
    var Hlast = Matrix(rows: T, cols: H)
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 9 * H)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0, count: 9 * H)
    let ah = buffer, gates = buffer + 3 * H, h = buffer + 6 * H, hNext = buffer + 7 * H, scratch = buffer + 8 * H
    var chainStart = -1, chainAt = -1
    p.W_h.scalars.withUnsafeBufferPointer { W in
      p.b_h.scalars.withUnsafeBufferPointer { bh in
        AX.scalars.withUnsafeBufferPointer { ax in
          for t in 1...T {
            let s = GateKernels.cutStep(options.truncation, t: t)
            if s != chainStart || chainAt != t - 1 {
              for j in 0..<H { h[j] = s == 0 ? p.h0.scalars[j] : fp0.h.scalars[s * H + j] }
              chainStart = s
              chainAt = s
            }
            while chainAt < t {
              cell(W.baseAddress!, bh.baseAddress!, H, options, ax: ax.baseAddress! + chainAt * 3 * H, ah: ah, gates: gates,
                   hPrev: UnsafePointer(h), h: hNext, scratch: scratch)
              for j in 0..<H { h[j] = hNext[j] }
              chainAt += 1
            }
            for j in 0..<H { Hlast.scalars[(t - 1) * H + j] = h[j] }
          }
        }
      }
    }
    let losses = GateKernels.outputForward(Hlast, U: p.U, b_2: p.b_2, targets: Array(tokens.dropFirst())).stepLosses
    return GateKernels.reduce(losses, options.reduction)
  }
}
