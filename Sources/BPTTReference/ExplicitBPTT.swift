import Jacobians

/// ‖∂J^(t)/∂h^(i)‖₂ for i = t, t−1, …, 0, indexed by the distance t − i: how the gradient of one
/// loss term shrinks (vanishes) or grows (explodes) as it travels back through the recurrence.
///
/// ```
/// byDistance[k] = ‖∂J^(t)/∂h^(t−k)‖₂,   k = 0…t     (J^(t) not divided by T)
/// ```
public struct HiddenGradientNorms: Equatable, Sendable {
  /// The loss term's step t (1…T).
  public var t: Int
  public var byDistance: [Double]

  public init(t: Int, byDistance: [Double]) {
    self.t = t
    self.byDistance = byDistance
  }
}

/// `HiddenGradientNorms` for every t = 1…T: row t − 1 is the table of J^(t).
public struct HiddenGradientNormTable: Equatable, Sendable {
  public var rows: [HiddenGradientNorms]

  public init(rows: [HiddenGradientNorms]) { self.rows = rows }

  /// The norms at distance k, one per t = k…T (those t with a state k steps back).
  public func norms(atDistance k: Int) -> [Double] {
    rows.compactMap { k < $0.byDistance.count ? $0.byDistance[k] : nil }
  }

  /// The largest distance in the table, T.
  public var maximumDistance: Int { rows.map { $0.byDistance.count - 1 }.max() ?? 0 }

  /// A plain-text table: one line per distance k with the geometric mean of the norms at k.
  public var text: String {
    var lines = ["t − i   geometric mean of ‖∂J^(t)/∂h^(i)‖₂   (over t)"]
    for k in 0...maximumDistance {
      let ns = norms(atDistance: k)
      let logs = ns.map { $0 > 0 ? Elementary.log($0) : -Double.infinity }
      let g = Elementary.exp(logs.reduce(0, +) / Double(ns.count))
      lines.append("\(k)".padding(8) + "\(g)")
    }
    return lines.joined(separator: "\n")
  }
}

extension String {
  fileprivate func padding(_ n: Int) -> String {
    count >= n ? self + " " : self + String(repeating: " ", count: n - count)
  }
}

/// Backpropagation through time the way the notes derive it (note 000, note 002), the explicit
/// path for teaching: every Jacobian ∂h^(i)/∂h^(i−1) is built as a matrix, multiplied out, and
/// every per-timestep term ∂J^(t)/∂W_h|_(i) is formed and summed.
///
/// Jacobian convention: ∂J^(t)/∂h^(i) is a `1 × H` row (the Jacobian of a scalar); gradients are
/// its transpose.
/// ```
/// ∂J^(t)/∂h^(t)       = δ1^(t)ᵀ U                                   (1 × H)
/// ∂h^(i)/∂h^(i−1)     = diag(f′(z^(i))) W_h                          (H × H)
/// ∂J^(t)/∂h^(i−1)     = ∂J^(t)/∂h^(i) · diag(f′(z^(i))) W_h
/// ∂J^(t)/∂z^(i)       = ∂J^(t)/∂h^(i) · diag(f′(z^(i)))              (1 × H)
/// ∂J^(t)/∂W_h|_(i)    = (∂J^(t)/∂z^(i))ᵀ h^(i−1)ᵀ                    (H × H) = (H × 1)(1 × H)
/// ∂J^(t)/∂W_h         = Σ_{i=1}^{t} ∂J^(t)/∂W_h|_(i)
/// ```
/// and likewise W_e|_(i) = (∂J^(t)/∂z^(i))ᵀ e^(i)ᵀ, b_1|_(i) = (∂J^(t)/∂z^(i))ᵀ,
/// E[:, x(i)]|_(i) = W_eᵀ (∂J^(t)/∂z^(i))ᵀ. Truncation keeps i = firstKeptStep(t) … t.
/// Cost: O(T² H³); for small models.
public enum ExplicitBPTT {
  /// One loss term's backward pass: ∂J^(t)/∂z^(i) for the kept i, and ∂J^(t)/∂h^(0) if kept.
  struct StepBackward {
    /// dz[i − 1] = (∂J^(t)/∂z^(i))ᵀ, H × 1, for i = 1…t; nil for dropped terms.
    var dz: [Matrix?]
    var dh0: Matrix?
    /// δ1^(t), |V| × 1.
    var delta1: Matrix
  }

  /// The backward pass of J^(t) alone through explicit Jacobian products.
  static func stepBackward(
    _ p: RNNParameters, forward fp: RNNForwardPass, tokens: [Int], options: RNNOptions, t: Int, truncate: Bool
  ) -> StepBackward {
    let f = options.activation
    // δ1^(t) = ŷ^(t) − y^(t)
    var delta1 = fp.yhat[t - 1]
    delta1[tokens[t], 0] -= 1
    let dJdht = delta1.T * p.U                                  // (1 × |V|)(|V| × H) = 1 × H
    let first = truncate ? options.truncation.firstKeptStep(for: t) : 1
    var dz = [Matrix?](repeating: nil, count: t)
    var dh0: Matrix? = nil
    var product = Matrix.identity(p.hiddenSize)                // ∂h^(t)/∂h^(i), starting at i = t
    for i in stride(from: t, through: first, by: -1) {
      let dJdhi = dJdht * product                              // ∂J^(t)/∂h^(i)      1 × H
      let diagFp = Matrix.diag(f.derivative(fp.z[i - 1]))      // diag(f′(z^(i)))    H × H
      dz[i - 1] = (dJdhi * diagFp).T                           // (∂J^(t)/∂z^(i))ᵀ   H × 1
      let jacobian = diagFp * p.W_h                            // ∂h^(i)/∂h^(i−1)    H × H
      product = product * jacobian                             // ∂h^(t)/∂h^(i−1)
      if i == 1 { dh0 = (dJdht * product).T }
    }
    return StepBackward(dz: dz, dh0: dh0, delta1: delta1)
  }

  /// ∂J^(t)/∂W_h|_(i) for i = 1…t (element i − 1), each H × H, J^(t) not divided by T. Terms the
  /// options' truncation drops are zero; the sum is ∂J^(t)/∂W_h (`BPTT.stepGradients(…).dW_h`).
  public static func recurrentWeightTerms(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), t: Int) -> [Matrix] {
    let fp = BPTT.forward(p, tokens: tokens, options: options)
    if t < 1 || t > fp.steps { stop(.stepOutOfRange(step: t, steps: fp.steps)) }
    let back = stepBackward(p, forward: fp, tokens: tokens, options: options, t: t, truncate: true)
    return (1...t).map { i in
      guard let dzi = back.dz[i - 1] else { return Matrix(rows: p.hiddenSize, cols: p.hiddenSize) }
      return dzi * fp.h[i - 1].T                                 // (H × 1)(1 × H)
    }
  }

  /// ∂J/∂θ for every parameter, as the sum over t of the sum over kept i of the per-timestep
  /// terms, weighted 1/T (mean) or 1 (sum); then clipping. Agrees with `BPTT.gradients`.
  public static func gradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> RNNGradients {
    let fp = BPTT.forward(p, tokens: tokens, options: options)
    let T = fp.steps
    let w = options.reduction.weight(steps: T)
    var g = RNNGradients(zerosLike: p)
    for t in 1...T {
      let back = stepBackward(p, forward: fp, tokens: tokens, options: options, t: t, truncate: true)
      var dE = Matrix(shape: p.E.shape)
      var dW_h = Matrix(shape: p.W_h.shape), dW_e = Matrix(shape: p.W_e.shape), db_1 = Matrix(shape: p.b_1.shape)
      for i in 1...t {
        guard let dzi = back.dz[i - 1] else { continue }
        let e = p.E.column(tokens[i - 1])                       // e^(i) = E x^(i)        d × 1
        dW_h += dzi * fp.h[i - 1].T                              // ∂J^(t)/∂W_h|_(i)
        dW_e += dzi * e.T                                        // ∂J^(t)/∂W_e|_(i)
        if options.useBiases { db_1 += dzi }                     // ∂J^(t)/∂b_1|_(i)
        let de = p.W_e.T * dzi                                   // ∂J^(t)/∂e^(i)         d × 1
        for k in 0..<p.embeddingSize { dE[k, tokens[i - 1]] += de[k, 0] }
      }
      g.dE += w * dE
      g.dW_h += w * dW_h
      g.dW_e += w * dW_e
      g.db_1 += w * db_1
      g.dU += w * (back.delta1 * fp.h[t].T)                     // δ1^(t) h^(t)ᵀ           |V| × H
      if options.useBiases { g.db_2 += w * back.delta1 }
      if let dh0 = back.dh0 { g.dh0 += w * dh0 }
    }
    return g.clipped(options.clipping)
  }

  /// ‖∂J^(t)/∂h^(i)‖₂ for i = t … 0 by distance t − i, through the full (untruncated) chain of
  /// Jacobians; the options' truncation and reduction do not enter.
  public static func hiddenGradientNorms(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), t: Int) -> HiddenGradientNorms {
    let fp = BPTT.forward(p, tokens: tokens, options: options)
    if t < 1 || t > fp.steps { stop(.stepOutOfRange(step: t, steps: fp.steps)) }
    return hiddenGradientNorms(p, forward: fp, tokens: tokens, options: options, t: t)
  }

  /// `hiddenGradientNorms` for every t = 1…T (the same as `hiddenGradientNormTable`).
  public static func hiddenGradientNorms(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> HiddenGradientNormTable {
    hiddenGradientNormTable(p, tokens: tokens, options: options)
  }

  /// `hiddenGradientNorms` for every t = 1…T.
  public static func hiddenGradientNormTable(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions()) -> HiddenGradientNormTable {
    let fp = BPTT.forward(p, tokens: tokens, options: options)
    return HiddenGradientNormTable(rows: (1...fp.steps).map {
      hiddenGradientNorms(p, forward: fp, tokens: tokens, options: options, t: $0)
    })
  }

  /// ∂J^(t)/∂h^(i) (1 × H rows) for i = t, t−1, …, 0 (element t − i), untruncated.
  public static func hiddenGradients(_ p: RNNParameters, tokens: [Int], options: RNNOptions = RNNOptions(), t: Int) -> [Matrix] {
    let fp = BPTT.forward(p, tokens: tokens, options: options)
    if t < 1 || t > fp.steps { stop(.stepOutOfRange(step: t, steps: fp.steps)) }
    return hiddenGradients(p, forward: fp, tokens: tokens, options: options, t: t)
  }

  static func hiddenGradients(_ p: RNNParameters, forward fp: RNNForwardPass, tokens: [Int], options: RNNOptions, t: Int) -> [Matrix] {
    var delta1 = fp.yhat[t - 1]
    delta1[tokens[t], 0] -= 1
    var row = delta1.T * p.U                                     // ∂J^(t)/∂h^(t)   1 × H
    var out = [row]
    for i in stride(from: t, through: 1, by: -1) {
      let jacobian = Matrix.diag(options.activation.derivative(fp.z[i - 1])) * p.W_h
      row = row * jacobian                                       // ∂J^(t)/∂h^(i−1)
      out.append(row)
    }
    return out
  }

  static func hiddenGradientNorms(_ p: RNNParameters, forward fp: RNNForwardPass, tokens: [Int], options: RNNOptions, t: Int) -> HiddenGradientNorms {
    HiddenGradientNorms(t: t, byDistance: hiddenGradients(p, forward: fp, tokens: tokens, options: options, t: t).map(\.frobeniusNorm))
  }
}
