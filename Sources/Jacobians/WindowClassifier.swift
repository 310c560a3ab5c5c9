/// The NER window classifier: is the center word of a window a location?
///
/// The window holds `windowSize` word vectors (5 on the slides: "museums in Paris are amazing"),
/// each `d × 1`, concatenated into one input:
/// ```
/// x = [x₁; x₂; …; x_k]     (kd × 1), k = windowSize
/// z = Wx + b               W: n × kd,  b: n × 1
/// h = f(z)                 n × 1
/// s = uᵀh                  u: n × 1
/// J = σ(s) = 1 / (1 + e^(−s))      the predicted probability of the class
/// ```
/// Backward: the score's gradients (see `ScoringNetwork`) scaled by `∂J/∂s = σ(s)(1 − σ(s))`:
/// ```
/// δ     = σ′(s) · (uᵀ ⊙ f′(z))      (1 × n)
/// ∂J/∂u = σ′(s) · h                (n × 1)
/// ∂J/∂W = δᵀ xᵀ                    (n × kd)
/// ∂J/∂b = δᵀ                       (n × 1)
/// ∂J/∂x = Wᵀ δᵀ                    (kd × 1), split into k word gradients of d × 1 each:
/// ∂J/∂x_w = (∂J/∂x)[(w·d) ..< ((w+1)·d)]       w = 0 ..< k
/// ```
/// The split is what updates the word vectors themselves (θ includes the data representation).
public struct WindowClassifier: Sendable {
  /// The number of word vectors in a window, k.
  public let windowSize: Int
  /// The dimension d of each word vector.
  public let d: Int
  /// The scoring network `s = uᵀ f(Wx + b)` with `W: n × (windowSize·d)`.
  public var network: ScoringNetwork

  /// Checks that `W` has `windowSize · d` columns and that `b`, `u` are `n × 1`.
  public init(windowSize: Int = 5, d: Int, W: Matrix, b: Matrix, u: Matrix, f: Activation) throws(ShapeError) {
    guard windowSize > 0, d > 0, W.cols == windowSize * d else {
      throw ShapeError(operation: "window classifier", lhs: W.shape, rhs: Shape(windowSize * d, 1),
                       requirement: "W of shape n×(windowSize·d) for a window x of shape (windowSize·d)×1")
    }
    self.windowSize = windowSize
    self.d = d
    self.network = try ScoringNetwork(W: W, b: b, u: u, f: f)
  }

  /// `x = [x₁; …; x_k]`: the word vectors (each `d × 1`, or `1 × d`) stacked into `kd × 1`.
  public static func window(_ wordVectors: [Matrix]) -> Matrix {
    var scalars = [Double]()
    for v in wordVectors { scalars += v.vectorScalars(operation: "window concatenation") }
    return Matrix(column: scalars)
  }

  /// The forward pass from the `windowSize` word vectors (each `d × 1`).
  public func forward(words: [Matrix]) -> WindowForward {
    if words.count != windowSize || words.contains(where: { $0.count != d }) {
      fatalError("window classifier needs \(windowSize) word vectors of \(d) entries, got \(words.map { $0.shape })")
    }
    return forward(WindowClassifier.window(words))
  }

  /// The forward pass from the concatenated window `x` (`kd × 1`).
  public func forward(_ x: Matrix) -> WindowForward {
    let pass = network.forward(x)
    return WindowForward(scoring: pass, J: Activation.logistic(pass.s))
  }

  /// All gradients of `J = σ(s)`, re-using the score's δ.
  public func backward(_ pass: WindowForward) -> WindowGradients {
    let sigma = pass.J
    let dJ_ds = sigma * (1 - sigma)                   // σ′(s) = σ(s)(1 − σ(s))
    let score = network.backward(pass.scoring)
    let delta = dJ_ds * score.delta                   // 1 × n
    let dJ_dx = network.W.T * delta.T                 // kd × 1
    let words = Matrix(rows: windowSize, cols: d, scalars: dJ_dx.scalars)
    return WindowGradients(
      dJ_ds: dJ_ds,
      delta: delta,
      dJ_du: dJ_ds * pass.scoring.h,
      dJ_dW: ElementaryJacobians.affineWeightGradient(upstream: delta, x: pass.scoring.x),
      dJ_db: delta.T,
      dJ_dx: dJ_dx,
      dJ_dwords: words
    )
  }
}

/// What the forward pass of `WindowClassifier` keeps.
public struct WindowForward: Sendable {
  /// `x`, `z`, `h`, `s` of the scoring network (`x: kd × 1`, `z`, `h: n × 1`).
  public var scoring: ScoringForward
  /// `J = σ(s)`.
  public var J: Double
}

/// The gradients of `J = σ(s)` for the window classifier, shape convention.
public struct WindowGradients: Sendable {
  /// `∂J/∂s = σ(s)(1 − σ(s))`.
  public var dJ_ds: Double
  /// `δ = ∂J/∂z = σ′(s) (uᵀ ⊙ f′(z))`: `1 × n`.
  public var delta: Matrix
  /// `∂J/∂u = σ′(s) h`: `n × 1`.
  public var dJ_du: Matrix
  /// `∂J/∂W = δᵀ xᵀ`: `n × kd`.
  public var dJ_dW: Matrix
  /// `∂J/∂b = δᵀ`: `n × 1`.
  public var dJ_db: Matrix
  /// `∂J/∂x = Wᵀ δᵀ`: `kd × 1`.
  public var dJ_dx: Matrix
  /// `∂J/∂x` split by word: row w is `(∂J/∂x_w)ᵀ`, `windowSize × d`.
  public var dJ_dwords: Matrix

  /// `∂J/∂x_w` for each word w of the window, each `d × 1`.
  public var wordGradients: [Matrix] { (0..<dJ_dwords.rows).map { dJ_dwords.row($0).T } }
}
