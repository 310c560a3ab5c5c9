// backprop-basics: Jacobians, error signals and computation graphs
//
// The feed-forward part of the lecture. Scoring network: z = Wx + b, h = σ(z), s = uᵀh. Softmax: ŷ
// = softmax(θ), CE = −log ŷ_label. Window classifier: x = [x_1; …; x_5] (the window's word vectors
// stacked), z = W_win x + b_win, h = σ(z), s = u_winᵀh, J = σ(s). Softmax classifier: scores S = X
// W_cls (one row per example), L = (1/N) Σ_i −log softmax(S_i)_{y_i} + reg·Σ W_cls² (the L2 factor
// is 1, not ½). Graph: f(x, y, z) = (x + y)·max(y, z). Chain rule: z = x²y − y², x = t², y = 2t.
// Vectors are 1-D arrays; indices are 0-based.
//
// Fill in each function. Return the array with the shape given in its comment (a matrix is an
// array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
// You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

import Foundation

/// ∂h/∂z = diag(σ′(z)). Shape n × n.
func dh_dz(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// δ = ∂s/∂z = uᵀ ∘ σ′(z). Shape n.
func delta(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂s/∂b = (∂s/∂h)(∂h/∂z)(∂z/∂b) = δ. Shape n.
func ds_db(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂s/∂W = δᵀ xᵀ (outer product). Shape n × m.
func ds_dW(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂s/∂x = Wᵀ δᵀ. Shape m.
func ds_dx(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂s/∂u = h. Shape n.
func ds_du(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ. Shape K × K.
func softmax_jacobian(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂CE/∂θ = ŷ − y. Shape K.
func dCE_dtheta(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂x split into the window's word vectors: row k is ∂J/∂x_k. Shape window × d.
func dJ_dwindow(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂W_win = σ′(s) δᵀ xᵀ. Shape n × window*d.
func dJ_dW_win(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂b_win = σ′(s) δ. Shape n.
func dJ_db_win(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂J/∂u_win = σ′(s) h. Shape n.
func dJ_du_win(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// ∂L/∂W_cls = (1/N) Xᵀ(Ŷ − Y) + 2·reg·W_cls. Shape D × C.
func dL_dW_cls(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// (∂f/∂x, ∂f/∂y, ∂f/∂z) for f = (x + y)·max(y, z): add distributes, max routes, multiply switches,
/// and y's two branches sum. Shape 3.
func graph_grad(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt. A scalar.
func dz_dt(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}
