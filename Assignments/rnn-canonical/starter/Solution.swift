// rnn-canonical: The canonical character-level RNN (min-char-rnn)
//
// The canonical RNN of the recitation: h_t = tanh(W_xh x_t + W_hh h_{t−1} + b_h), y_t =
// softmax(W_yh h_t + b_y), x_t one-hot, E = Σ_t E_t with E_t = −log y_t[x_{t+1}] (summed over t,
// not averaged). Tokens are 0-based indices into the vocabulary; token t+1 is the target of step t.
//
// Fill in each function. Return the array with the shape given in its comment (a matrix is an
// array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
// You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

import Foundation

/// E = Σ_t −log y_t[x_{t+1}]. A scalar.
func loss(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// ∂E/∂W_xh = Σ_t δh_t x_tᵀ, δh_t = ∂E/∂(W_xh x_t + W_hh h_{t−1} + b_h). Shape H × V.
func dW_xh(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂E/∂W_hh = Σ_t δh_t h_{t−1}ᵀ. Shape H × H.
func dW_hh(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂E/∂W_yh = Σ_t (y_t − onehot(x_{t+1})) h_tᵀ. Shape V × H.
func dW_yh(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂E/∂b_h = Σ_t δh_t. Shape H.
func db_h(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂E/∂b_y = Σ_t (y_t − onehot(x_{t+1})). Shape V.
func db_y(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂E/∂h_0 = W_hhᵀ δh_1. Shape H.
func dh0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}
