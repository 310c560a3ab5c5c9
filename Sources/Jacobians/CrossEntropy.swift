/// Cross entropy against a one-hot target, and its gradient through the softmax.
///
/// ```
/// H(p, q) = − Σ_c p(c) log q(c)
/// CE(y, ŷ) = − Σ_c y_c log ŷ_c = − log ŷ_label          y one-hot at `label`, ŷ = softmax(θ)
///          = log Σ_c exp(θ_c) − θ_label                   (stable form, from the scores)
///
/// ∂CE/∂ŷ = −(y ⊘ ŷ)ᵀ                          (1 × C)    only the label entry, −1/ŷ_label, is nonzero
/// ∂ŷ/∂θ  = diag(ŷ) − ŷŷᵀ                       (C × C)
/// ∂CE/∂θ = (∂CE/∂ŷ)(∂ŷ/∂θ) = (ŷ − y)ᵀ          (1 × C)    as a gradient: ŷ − y, the shape of θ
/// ```
/// Vectors are C × 1 columns unless stated; functions accept either orientation and return the
/// gradient in the shape of the scores θ.
public enum CrossEntropy {
  /// The one-hot vector `y` with a 1 at `label`: `classes × 1`.
  public static func oneHot(_ label: Int, classes: Int) -> Matrix {
    checkLabel(label, classes: classes)
    var y = Matrix(rows: classes, cols: 1)
    y.scalars[label] = 1
    return y
  }

  /// `CE = −log ŷ_label` from the probabilities ŷ (any vector orientation).
  public static func loss(probabilities yHat: Matrix, label: Int) -> Double {
    let p = yHat.vectorScalars(operation: "cross entropy")
    checkLabel(label, classes: p.count)
    return -_log(p[label])
  }

  /// `CE(y, softmax(θ)) = log Σ_c exp(θ_c) − θ_label`, stable for any scores θ.
  public static func loss(scores theta: Matrix, label: Int) -> Double {
    let t = theta.vectorScalars(operation: "cross entropy")
    checkLabel(label, classes: t.count)
    return Softmax.logSumExp(t) - t[label]
  }

  /// `CE = log Σ_c exp(θ_c) − θ_label` for the scores of a plain array (length C ≥ 1), stable for
  /// any scores: the loss of one timestep of the recurrent language models.
  public static func loss(scores theta: [Double], label: Int) -> Double {
    checkLabel(label, classes: theta.count)
    return Softmax.logSumExp(theta) - theta[label]
  }

  /// `∂CE/∂θ = ŷ − y` for `ŷ = softmax(θ)`: the shape of θ (the δ shortcut).
  public static func gradientWithRespectToScores(_ theta: Matrix, label: Int) -> Matrix {
    var g = Softmax.probabilities(theta)
    checkLabel(label, classes: g.count)
    g.scalars[label] -= 1
    return g
  }

  /// `∂CE/∂ŷ = −(y ⊘ ŷ)ᵀ`: a `1 × C` row whose only nonzero entry is `−1/ŷ_label`.
  public static func jacobianWithRespectToProbabilities(_ yHat: Matrix, label: Int) -> Matrix {
    let p = yHat.vectorScalars(operation: "cross entropy")
    checkLabel(label, classes: p.count)
    var row = Matrix(rows: 1, cols: p.count)
    row.scalars[label] = -1 / p[label]
    return row
  }

  /// The explicit chain `(∂CE/∂ŷ)(∂ŷ/∂θ) = −(y ⊘ ŷ)ᵀ (diag(ŷ) − ŷŷᵀ)`: `1 × C`, equal to `(ŷ − y)ᵀ`.
  public static func explicitChain(_ theta: Matrix, label: Int) -> CrossEntropyChain {
    let yHat = Softmax.probabilities(Matrix(column: theta.vectorScalars(operation: "cross entropy")))
    let dCE_dyHat = jacobianWithRespectToProbabilities(yHat, label: label)
    let dyHat_dtheta = ElementaryJacobians.softmax(probabilities: yHat)
    return CrossEntropyChain(yHat: yHat, dCE_dyHat: dCE_dyHat, dyHat_dtheta: dyHat_dtheta,
                             dCE_dtheta: dCE_dyHat * dyHat_dtheta)
  }

  static func checkLabel(_ label: Int, classes: Int) {
    if label < 0 || label >= classes {
      fatalError("cross entropy needs a label in 0..<\(classes), got \(label)")
    }
  }
}

/// The pieces of `∂CE/∂θ = (∂CE/∂ŷ)(∂ŷ/∂θ)`, for teaching. C is the number of classes.
public struct CrossEntropyChain: Sendable {
  /// ŷ = softmax(θ): `C × 1`.
  public var yHat: Matrix
  /// ∂CE/∂ŷ = −(y ⊘ ŷ)ᵀ: `1 × C`.
  public var dCE_dyHat: Matrix
  /// ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ: `C × C`.
  public var dyHat_dtheta: Matrix
  /// The product, `(ŷ − y)ᵀ`: `1 × C`.
  public var dCE_dtheta: Matrix
}
