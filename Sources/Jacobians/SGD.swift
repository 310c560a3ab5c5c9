/// One step of (stochastic) gradient descent.
///
/// ```
/// θ_new = θ_old − α ∇_θ J(θ)          θ, ∇_θ J: the same shape (the shape convention)
/// θ_j^new = θ_j^old − α ∂J/∂θ_j^old   α: the step size (learning rate)
/// ```
/// Stops with a message naming both shapes when the gradient does not have the shape of θ.
public func sgdStep(_ theta: Matrix, gradient: Matrix, learningRate alpha: Double) -> Matrix {
  theta - alpha * gradient
}

/// `θ − α∇J`, throwing a `ShapeError` instead of stopping when the shapes differ.
public func sgdStepChecked(_ theta: Matrix, gradient: Matrix, learningRate alpha: Double) throws(ShapeError) -> Matrix {
  guard theta.shape == gradient.shape else {
    throw ShapeError(operation: "gradient descent step", lhs: theta.shape, rhs: gradient.shape,
                     requirement: "a gradient of the parameter's shape")
  }
  return try theta.subtracting(alpha * gradient)
}
