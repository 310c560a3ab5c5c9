// lstm-lm: Gate gradients through time: an LSTM language model
//
// The LSTM language model in column form. e^(t) = E x^(t); a^(t) = W_x e^(t) + W_h h^(t−1) + b, 4H
// entries stacked as the blocks [a_i; a_f; a_o; a_g] of H rows each (the order i, f, o, g of
// CS231n's lstm_step_forward; W_x, W_h, b and ∂J/∂a^(t) use the same blocks); i = σ(a_i), f =
// σ(a_f), o = σ(a_o), g = tanh(a_g); c^(t) = f ⊙ c^(t−1) + i ⊙ g; h^(t) = o ⊙ tanh(c^(t)); ŷ^(t) =
// softmax(U h^(t) + b_2); J^(t) = −log ŷ^(t)_{x(t+1)}; J = (1/T) Σ_t J^(t). The initial state h^(0)
// = h0, c^(0) = c0 is given. Tokens are 0-based indices into the vocabulary; token t+1 is the
// target of step t. Gradients have the shape of their variable. The per-step items have one row per
// step t = 1…T: ∂J/∂h^(t) is the total gradient at h^(t) with c^(t) held fixed (h^(t) feeds ŷ^(t)
// and a^(t+1)), ∂J/∂c^(t) the total gradient at the cell (through h^(t) and through c^(t+1)).
// Assignments/lstm-lm/notes.md maps CS231n's lstm_step_backward and PyTorch's nn.LSTM onto this
// notation.
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

/// ∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ, δ1^(t) = ŷ^(t) − y^(t). Shape V × H.
func dU(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_2 = (1/T) Σ_t δ1^(t). Shape V.
func db_2(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_x = Σ_t ∂J/∂a^(t) e^(t)ᵀ. Shape 4*H × d.
func dW_x(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ. Shape 4*H × H.
func dW_h(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b = Σ_t ∂J/∂a^(t). Shape 4*H.
func db(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂E: column x^(t) receives W_xᵀ ∂J/∂a^(t) for every t where it occurs (repeated tokens
/// accumulate). Shape d × V.
func dE(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1). Shape H.
func dh0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂c^(0) = ∂J/∂c^(1) ⊙ f^(1). Shape H.
func dc0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1) (with ∂J/∂a^(T+1) = 0), row t for t = 1…T: the
/// total gradient at h^(t), c^(t) held fixed. Shape T × H.
func dh(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1) (with ∂J/∂c^(T+1) = 0),
/// row t for t = 1…T: the total gradient at the cell. Shape T × H.
func dc(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂a^(t) = [∂J/∂c^(t) ⊙ g ⊙ σ′(a_i); ∂J/∂c^(t) ⊙ c^(t−1) ⊙ σ′(a_f); ∂J/∂h^(t) ⊙ tanh(c^(t)) ⊙
/// σ′(a_o); ∂J/∂c^(t) ⊙ i ⊙ (1 − g²)], row t for t = 1…T, blocks i, f, o, g. Shape T × 4*H.
func da(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}
