"""A worked solution of backprop-basics in NumPy.

    grade inputs backprop-basics --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check backprop-basics answers.npz --student alice
"""
import sys

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def solve(inp):
    out = {}
    # Scoring network: z = Wx + b, h = σ(z), s = uᵀh.
    x, W, b, u = inp["x"], inp["W"], inp["b"], inp["u"]
    z = W @ x + b
    h = sigmoid(z)
    fprime = h * (1 - h)
    delta = u * fprime                                   # δ = uᵀ ∘ f′(z)
    out["dh_dz"] = np.diag(fprime)
    out["delta"] = delta
    out["ds_db"] = delta
    out["ds_dW"] = np.outer(delta, x)                    # δᵀ xᵀ
    out["ds_dx"] = W.T @ delta
    out["ds_du"] = h

    # Softmax and cross entropy.
    y_hat = softmax(inp["theta"])
    out["softmax_jacobian"] = np.diag(y_hat) - np.outer(y_hat, y_hat)
    y = np.zeros_like(y_hat); y[int(inp["label"])] = 1
    out["dCE_dtheta"] = y_hat - y

    # Window classifier: J = σ(u_winᵀ σ(W_win x + b_win)).
    window, W_win, b_win, u_win = inp["window"], inp["W_win"], inp["b_win"], inp["u_win"]
    xw = window.reshape(-1)
    hw = sigmoid(W_win @ xw + b_win)
    s = u_win @ hw
    dJ_ds = sigmoid(s) * (1 - sigmoid(s))
    dw = dJ_ds * u_win * hw * (1 - hw)
    out["dJ_dwindow"] = (W_win.T @ dw).reshape(window.shape)
    out["dJ_dW_win"] = np.outer(dw, xw)
    out["dJ_db_win"] = dw
    out["dJ_du_win"] = dJ_ds * hw

    # Softmax classifier with L2 reg·ΣW² (factor 1).
    X, labels, W_cls, reg = inp["X"], inp["y"].astype(int), inp["W_cls"], float(inp["reg"])
    S = X @ W_cls
    P = np.exp(S - S.max(axis=1, keepdims=True)); P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(labels)), labels] -= 1
    out["dL_dW_cls"] = X.T @ P / len(labels) + 2 * reg * W_cls

    # Graph f = (x + y)·max(y, z).
    gx, gy, gz = inp["xyz"]
    a, m = gx + gy, max(gy, gz)
    out["graph_grad"] = np.array([m, m + (a if gy >= gz else 0.0), a if gz > gy else 0.0])

    # Chain rule: z = x²y − y², x = t², y = 2t.
    t = float(inp["t"])
    cx, cy = t ** 2, 2 * t
    out["dz_dt"] = np.array(2 * cx * cy * 2 * t + (cx ** 2 - 2 * cy) * 2)
    return out


if __name__ == "__main__":
    np.savez(sys.argv[2], **solve(np.load(sys.argv[1])))
