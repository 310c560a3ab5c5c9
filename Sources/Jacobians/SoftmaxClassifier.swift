/// The linear softmax classifier with L2 regularization, in CS231n's row layout.
///
/// ```
/// S = X W (+ 1 b)          X: N × D (row i is example i),  W: D × C,  b: 1 × C,  S: N × C
/// P = softmax of each row of S                                          P: N × C
/// J(W) = (1/N) Σᵢ CE(softmax(Sᵢ), yᵢ) + c·λ Σ_kl W_kl²                 yᵢ ∈ 0 ..< C
///      = (1/N) Σᵢ (log Σ_c exp(S_ic) − S_i,yᵢ) + c·λ ‖W‖²_F
/// ```
/// The lecture writes the penalty `λ Σ_k θ_k²` (c = 1, `.full`, the default); CS231n writes
/// `½ λ Σ W²` (c = ½, `.half`) so that its gradient is `λW`. Both are available; the bias is not
/// regularized. Backward:
/// ```
/// dS    = (P − Y) / N          (N × C)    Y one-hot rows; the δ of each example is ŷᵢ − yᵢ
/// ∂J/∂W = Xᵀ dS + 2cλ W        (D × C) = (D × N)(N × C)
/// ∂J/∂b = 1ᵀ dS                (1 × C)    column sums of dS
/// ```
/// With `λ = 0` this is the unregularized loss; without a bias, `S = XW`.
public struct SoftmaxClassifier: Sendable {
  /// The regularization strength λ ≥ 0.
  public var lambda: Double
  /// The factor c of the penalty `c·λ Σ W²`.
  public var l2: L2Factor

  /// `λ = 0` (no regularization) unless given; the penalty factor defaults to `.full` (`λ Σ W²`).
  public init(lambda: Double = 0, l2: L2Factor = .full) {
    self.lambda = lambda
    self.l2 = l2
  }

  /// Scores, loss and gradients for the examples `X` (N × D) with labels `y` (N of them, each in
  /// `0 ..< C`), weights `W` (D × C) and an optional bias `b` (1 × C).
  public func evaluate(X: Matrix, y: [Int], W: Matrix, b: Matrix? = nil) throws(SoftmaxClassifierError) -> SoftmaxClassifierResult {
    let N = X.rows, C = W.cols
    guard N > 0 else { throw .noExamples }
    guard X.cols == W.rows else {
      throw .shape(ShapeError(operation: "scores S = XW", lhs: X.shape, rhs: W.shape,
                              requirement: "X columns == W rows"))
    }
    if let b, b.shape != Shape(1, C) {
      throw .shape(ShapeError(operation: "bias of S = XW + 1b", lhs: W.shape, rhs: b.shape,
                              requirement: "b of shape 1×C for W of shape D×C"))
    }
    guard y.count == N else { throw .labelCount(expected: N, actual: y.count) }
    for (i, label) in y.enumerated() where label < 0 || label >= C {
      throw .labelOutOfRange(example: i, label: label, classes: C)
    }

    var S = X * W
    if let b {
      for i in 0..<N {
        for c in 0..<C { S[i, c] += b.scalars[c] }
      }
    }
    let P = Softmax.rowwise(S)

    // Data loss: (1/N) Σᵢ (log Σ_c exp(S_ic) − S_i,yᵢ), stable from the scores.
    var dataLoss = 0.0
    for i in 0..<N {
      let Si = Array(S.scalars[(i * C)..<((i + 1) * C)])
      dataLoss += Softmax.logSumExp(Si) - Si[y[i]]
    }
    dataLoss /= Double(N)
    let c = l2.c
    let regularizationLoss = c * lambda * W.scalars.reduce(0) { $0 + $1 * $1 }

    // dS = (P − Y) / N
    var dS = P
    for i in 0..<N { dS[i, y[i]] -= 1 }
    dS = dS / Double(N)
    let dW = X.T * dS + (2 * c * lambda) * W
    return SoftmaxClassifierResult(
      scores: S, probabilities: P,
      loss: dataLoss + regularizationLoss, dataLoss: dataLoss, regularizationLoss: regularizationLoss,
      dS: dS, dW: dW, db: b == nil ? nil : dS.columnSums()
    )
  }
}

/// The factor c in the L2 penalty `c·λ Σ W²`.
public enum L2Factor: Sendable, Hashable {
  /// `½ λ Σ W²`, gradient `λW` (CS231n).
  case half
  /// `λ Σ W²`, gradient `2λW` (the lecture's `λ Σ_k θ_k²`; the default).
  case full

  /// ½ for `.half`, 1 for `.full`.
  public var c: Double {
    switch self {
    case .half: return 0.5
    case .full: return 1
    }
  }
}

/// Everything one evaluation of the softmax classifier computes.
public struct SoftmaxClassifierResult: Sendable {
  /// `S = XW (+ 1b)`: `N × C`.
  public var scores: Matrix
  /// Row-wise `softmax(S)`: `N × C`.
  public var probabilities: Matrix
  /// `J = dataLoss + regularizationLoss`.
  public var loss: Double
  /// `(1/N) Σᵢ CE(softmax(Sᵢ), yᵢ)`.
  public var dataLoss: Double
  /// `c·λ Σ W²`.
  public var regularizationLoss: Double
  /// `∂J/∂S = (P − Y)/N`: `N × C`.
  public var dS: Matrix
  /// `∂J/∂W = Xᵀ dS + 2cλW`: `D × C`.
  public var dW: Matrix
  /// `∂J/∂b = 1ᵀ dS`: `1 × C`; nil when the classifier has no bias.
  public var db: Matrix?
}

/// Why a softmax classifier cannot be evaluated on its inputs.
public enum SoftmaxClassifierError: Error, Equatable, CustomStringConvertible {
  case shape(ShapeError)
  case labelCount(expected: Int, actual: Int)
  case labelOutOfRange(example: Int, label: Int, classes: Int)
  case noExamples

  public var description: String {
    switch self {
    case .shape(let e): return e.description
    case .labelCount(let expected, let actual):
      return "the classifier needs one label per example: \(expected) examples, got \(actual) labels"
    case .labelOutOfRange(let example, let label, let classes):
      return "label \(label) of example \(example) is outside the classes 0..<\(classes)"
    case .noExamples:
      return "the classifier needs at least one example, got none"
    }
  }
}
