// window-lm: Gradients of a fixed-window neural language model
//
// The fixed-window neural language model of the notes, in column form: the window x^(1) … x^(n)
// predicts the next word x^(n+1). e = [E x^(1); …; E x^(n)] (the window's embeddings stacked, nd
// entries; E x^(k) is column x^(k) of E), z = W e + b_1, h = σ(z), θ = U h + b_2, ŷ = softmax(θ), J
// = −log ŷ_{x(n+1)}. Tokens are 0-based indices into the vocabulary: tokens[0] … tokens[n−1] are
// the window, tokens[n] is the target. Gradients have the shape of their variable. A word that
// appears twice in the window receives the gradient of both positions in ∂J/∂E (the gradient with
// respect to a repeated weight is the sum of the gradients with respect to each time it appears).
//
// Fill in each function. Return the array with the shape given in its comment (a matrix is an
// array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
// You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

import Foundation

/// J = −log ŷ_{x(n+1)}. A scalar.
func loss(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// δ1 = ∂J/∂θ = ŷ − y, y one-hot at x(n+1). Shape V.
func delta1(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂U = δ1 hᵀ (outer product). Shape V × H.
func dU(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_2 = δ1. Shape V.
func db_2(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// δ2 = ∂J/∂z = (Uᵀ δ1) ⊙ σ′(z). Shape H.
func delta2(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W = δ2 eᵀ (outer product). Shape H × n*d.
func dW(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_1 = δ2. Shape H.
func db_1(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂e = Wᵀ δ2; entries (k−1)d … kd − 1 are ∂J/∂e^(k), the gradient at the embedding of x^(k).
/// Shape n*d.
func de(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂E: column w is the sum of ∂J/∂e^(k) over the positions k where x^(k) = w (repeated words
/// accumulate); zero for words not in the window. Shape d × V.
func dE(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}
