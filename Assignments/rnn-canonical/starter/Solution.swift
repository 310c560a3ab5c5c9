// rnn-canonical: The canonical character-level RNN (min-char-rnn's model, unclipped gradients)
//
// The canonical RNN of the recitation, min-char-rnn's model: h_t = tanh(W_xh x_t + W_hh h_{t−1} +
// b_h), y_t = softmax(W_yh h_t + b_y), x_t one-hot, E = Σ_t E_t with E_t = −log y_t[x_{t+1}]
// (summed over t, not averaged). Tokens are 0-based indices into the vocabulary; token t+1 is the
// target of step t; h_0 is the given input h0 (min-char-rnn's hprev). What is asked, exactly: the
// gradients of E by full BPTT, unclipped, each with the shape of its parameter, and ∂E/∂h_0.
// Nothing is averaged (no 1/T) and nothing is clipped: min-char-rnn clips every gradient to ±5
// (np.clip(dparam, -5, 5, out=dparam)) after lossFun returns — submit the gradients lossFun
// computes, before that line. min-char-rnn's lossFun does not return ∂E/∂h_0: it is the dhnext left
// after its backward loop (W_hhᵀ dhraw at the first step); lossFun's last return value
// hs[len(inputs)-1] is the last hidden state, not a gradient. Other conventions, mapped onto this
// one. CS231n (rnn_layers.py): the row form h = tanh(x Wx + h Wh + b) on batches, with the loss
// averaged over the batch: with a batch of one their dWx and dWh are the transposes of dW_xh and
// dW_hh, and rnn_backward's dh0 is dh0. PyTorch: nn.RNN(nonlinearity='tanh') has W_ih = W_xh, W_hh
// and two biases b_ih, b_hh (each receives db_h); use nn.CrossEntropyLoss(reduction='sum') for E,
// read h0.grad for dh0, and read the .grad before clip_grad_norm_; detaching the state every k
// steps is truncated BPTT, not asked here.
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

/// ∂E/∂W_xh = Σ_t δh_t x_tᵀ, δh_t = ∂E/∂(W_xh x_t + W_hh h_{t−1} + b_h) (unclipped). Shape H × V.
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

/// ∂E/∂h_0 = W_hhᵀ δh_1: min-char-rnn's dhnext after the backward loop (lossFun does not return
/// it). Shape H.
func dh0(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}
