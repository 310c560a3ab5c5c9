/// f on the piece that holds a point: the smooth function whose derivative at the point is the
/// reference's f′, for numeric checks that must not step across a kink.
///
/// ```
/// relu        z̄ > 0: z            otherwise 0
/// leakyReLU   z̄ > 0: z            otherwise a·z
/// hardTanh    z̄ < −1: −1    z̄ > 1: 1    otherwise z
/// sigmoid, tanh, swish            f(z)           (smooth: their own piece)
/// ```
/// Mathematical properties: f̄(z̄) = f(z̄), and f̄ agrees with f on the open interval around z̄
/// that reaches to the nearest kink, so f̄′(z̄) = f′(z̄) with the kink conventions of
/// `Activation` (relu′(0) = 0, leakyReLU′(0) = a, hardTanh′(±1) = 1). A central difference of
/// f̄ is exact up to rounding for the piecewise-linear functions, whatever the step; one of f
/// itself is wrong by about half the jump of f′ whenever the step crosses a kink, which for a
/// step that moves thousands of pre-activations at once happens with a probability that grows
/// with the step.
extension Activation {
  /// f(z) on the piece of `zbar`.
  @inline(__always)
  public func onPiece(of zbar: Double, _ z: Double) -> Double {
    switch self {
    case .relu: return zbar > 0 ? z : 0
    case .leakyReLU(let a): return zbar > 0 ? z : a * z
    case .hardTanh: return zbar < -1 ? -1 : (zbar > 1 ? 1 : z)
    default: return self(z)
    }
  }

  /// h_j = `onPiece(of: zbar[j], z[j])` for j < n, the activation's case chosen once.
  public func onPiece(of zbar: UnsafePointer<Double>, _ z: UnsafePointer<Double>, into h: UnsafeMutablePointer<Double>, count n: Int) {
    switch self {
    case .sigmoid: for j in 0..<n { h[j] = Activation.logistic(z[j]) }
    case .tanh: for j in 0..<n { h[j] = _tanh(z[j]) }
    default: for j in 0..<n { h[j] = onPiece(of: zbar[j], z[j]) }
    }
  }

  /// f on the pieces of `zbar`, entry by entry: same shape as `z` (and `zbar`).
  public func onPieces(of zbar: Matrix, _ z: Matrix) -> Matrix {
    precondition(zbar.count == z.count, "onPieces needs z and z̄ of the same size")
    var out = z
    for k in 0..<z.count { out.scalars[k] = onPiece(of: zbar.scalars[k], z.scalars[k]) }
    return out
  }

  /// True for relu, leakyReLU and hardTanh, whose derivative jumps.
  public var hasKinks: Bool {
    switch self {
    case .relu, .leakyReLU, .hardTanh: return true
    default: return false
    }
  }
}
