// gru-lm: Gate gradients through time: a GRU language model
//
// The GRU language model in column form, with PyTorch's conventions. e^(t) = E x^(t); [x_r; x_z;
// x_n] = W_x e^(t) + b_x; the blocks W_hr, W_hz, W_hn of H rows of W_h (and b_hr, b_hz, b_hn of
// b_h) act on h^(t−1): r = σ(x_r + W_hr h^(t−1) + b_hr), z = σ(x_z + W_hz h^(t−1) + b_hz), n =
// tanh(x_n + r ⊙ (W_hn h^(t−1) + b_hn)) (the reset gate after W_hn, so b_hn sits inside r); h^(t) =
// (1 − z) ⊙ n + z ⊙ h^(t−1) (z keeps the old state); ŷ^(t) = softmax(U h^(t) + b_2); J^(t) = −log
// ŷ^(t)_{x(t+1)}; J = (1/T) Σ_t J^(t). r̂, ẑ, n̂ are the pre-activations of r, z, n. Tokens are
// 0-based indices into the vocabulary; token t+1 is the target of step t. Gradients have the shape
// of their variable; the blocks of W_x, W_h, b_x, b_h are r, z, n. ∂J/∂h^(t) is the total gradient
// at h^(t), through ŷ^(t) and through step t + 1, one row per step t = 1…T.
// Assignments/gru-lm/notes.md maps PyTorch's nn.GRU and d2l's GRU onto this notation.
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

/// ∂J/∂W_x = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t) e^(t)ᵀ. Shape 3*H × d.
func dW_x(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_h = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]^(t) h^(t−1)ᵀ. Shape 3*H × H.
func dW_h(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_x = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t). Shape 3*H.
func db_x(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_h = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]^(t). Shape 3*H.
func db_h(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂E: column x^(t) receives W_xᵀ [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t) for every t where it occurs
/// (repeated tokens accumulate). Shape d × V.
func dE(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂h^(0), the carry out of step 1. Shape H.
func dh0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + (∂h^(t+1)/∂h^(t))ᵀ ∂J/∂h^(t+1) (zero beyond T), row t for t = 1…T:
/// the total gradient at h^(t). Shape T × H.
func dh(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}
