// rnn-bptt: Backpropagation through time in an RNN language model
//
// The RNN language model of the notes in column form: e^(t) = E x^(t), z^(t) = W_h h^(t−1) + W_e
// e^(t) + b_1, h^(t) = σ(z^(t)), ŷ^(t) = softmax(U h^(t) + b_2), J^(t) = −log ŷ^(t)_{x(t+1)}, J =
// (1/T) Σ_t J^(t). Tokens are 0-based indices into the vocabulary; token t+1 is the target of step
// t; h^(0) is the given input h0. What is asked, exactly: every gradient is the full BPTT gradient
// of the mean J, unclipped, with the shape of its parameter. The 1/T of the mean is in the loss and
// in every parameter gradient (dU, db_2, dW_h, dW_e, db_1, dE, dh0) once — in dW_e, db_1, dE and
// dh0 it comes in through ∂J/∂z^(t), which already carries it — and it is not in the per-step
// quantities delta1, delta2 and dW_h_terms, which belong to one loss term J^(t) and are not divided
// by T. Nothing is clipped. Other conventions, mapped onto this one. min-char-rnn (Karpathy): tanh
// instead of σ, E = Σ_t E_t summed (no 1/T), x^(t) one-hot times W_xh instead of W_e E x^(t), and
// dparams clipped to ±5 after lossFun: here use σ and its σ′ = h(1 − h), divide every parameter
// gradient by T, give W_eᵀ dz to the column x^(t) of dE, and return the gradients before any
// clipping; its dhnext after the backward loop is dh0. CS231n (rnn_layers.py): the row form h =
// tanh(x Wx + h Wh + b) on batches (N, T, ·) with the loss averaged over N: with N = 1 their dWx,
// dWh and dW_vocab are the transposes of dW_e, dW_h and U's gradient, their loss sums over T
// (divide by T here), and rnn_backward's dh0 is dh0. PyTorch: nn.RNN has no σ (write the cell with
// torch.sigmoid); nn.CrossEntropyLoss's default mean over the T steps of one sequence is this J;
// nn.RNN's two biases b_ih and b_hh each receive db_1, nn.Embedding's weight (|V| × d) is Eᵀ, and
// h0.grad is dh0 when h0 requires grad; read the .grad before clip_grad_norm_, and do not detach
// the state between steps (detaching every k steps is truncated BPTT in chunks of k).
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

/// ∂J/∂W_e = Σ_t (∂J/∂z^(t)) e^(t)ᵀ, where ∂J/∂z^(t) = (1/T) Σ_{s≥t} ∂J^(s)/∂z^(t) already carries
/// the 1/T of the mean. Shape H × d.
func dW_e(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_1 = Σ_t ∂J/∂z^(t), where ∂J/∂z^(t) = (1/T) Σ_{s≥t} ∂J^(s)/∂z^(t) already carries the 1/T
/// of the mean. Shape H.
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

/// ∂J/∂h^(0) = W_hᵀ ∂J/∂z^(1) (with the 1/T of the mean, through ∂J/∂z^(1)). Shape H.
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
