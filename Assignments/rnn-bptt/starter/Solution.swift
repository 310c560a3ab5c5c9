// rnn-bptt: Backpropagation through time in an RNN language model
//
// The RNN language model of the notes in column form: e^(t) = E x^(t), z^(t) = W_h h^(t−1) + W_e
// e^(t) + b_1, h^(t) = σ(z^(t)), ŷ^(t) = softmax(U h^(t) + b_2), J^(t) = −log ŷ^(t)_{x(t+1)}, J =
// (1/T) Σ_t J^(t). Tokens are 0-based indices into the vocabulary; token t+1 is the target of step
// t.
//
// Fill in each function. Return the array with the shape given in its comment (a matrix is an
// array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
// You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

import Foundation

/// J = (1/T) Σ_t J^(t), J^(t) = −log ŷ^(t)_{x(t+1)}. A scalar.
func loss(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// ∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ. Shape V × H.
func dU(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_2 = (1/T) Σ_t δ1^(t). Shape V.
func db_2(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i). Shape H × H.
func dW_h(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_e = Σ_t (∂J/∂z^(t)) e^(t)ᵀ. Shape H × d.
func dW_e(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_1 = Σ_t ∂J/∂z^(t). Shape H.
func db_1(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂E: column x^(t) receives W_eᵀ ∂J/∂z^(t) for every t where it occurs (repeated tokens
/// accumulate). Shape d × V.
func dE(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂h^(0) = W_hᵀ ∂J/∂z^(1). Shape H.
func dh0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// δ1^(t) = ∂J^(t)/∂(U h^(t) + b_2) = ŷ^(t) − y^(t), row t for t = 1…T (not divided by T). Shape T
/// × V.
func delta1(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// δ2^(t) = ∂J^(t)/∂z^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t)), row t for t = 1…T (the step's own loss term
/// only, not divided by T). Shape T × H.
func delta2(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J^(T)/∂W_h|_(i) for i = 1…T: the contribution of the copy of W_h used at step i to the last
/// step's loss term J^(T) (not divided by T); they sum to ∂J^(T)/∂W_h. Shape T × H × H.
func dW_h_terms(_ p: Inputs) -> [[[Double]]]? {
  // TODO: your code here
  return nil
}
