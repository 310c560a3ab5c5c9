"""A worked solution of window-lm in NumPy, written the way a student would.

    grade inputs window-lm --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check window-lm answers.npz --student alice

Column convention: e = [E[:, x1]; …; E[:, xn]], z = W e + b_1, h = σ(z), θ = U h + b_2,
ŷ = softmax(θ), J = −log ŷ[x(n+1)].
"""
import sys

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def solve(inp):
    tokens = inp["tokens"].astype(int)
    E, W, b_1, U, b_2 = (inp[k] for k in ("E", "W", "b_1", "U", "b_2"))
    window, target = tokens[:-1], tokens[-1]
    d, V = E.shape

    # Forward: the window's embeddings stacked, then one hidden layer and a softmax.
    e = np.concatenate([E[:, w] for w in window])          # nd
    z = W @ e + b_1                                         # H
    h = sigmoid(z)
    y_hat = softmax(U @ h + b_2)                            # |V|
    loss = -np.log(y_hat[target])

    # δ1 = ŷ − y;  δ2 = (Uᵀ δ1) ⊙ σ′(z).
    delta1 = y_hat - np.eye(V)[target]
    delta2 = (U.T @ delta1) * h * (1 - h)

    dU = np.outer(delta1, h)
    db_2 = delta1
    dW = np.outer(delta2, e)
    db_1 = delta2
    de = W.T @ delta2                                       # nd: slice k is ∂J/∂e^(k)

    # ∂J/∂E: each position adds its slice to its word's column (+=, so repeats accumulate).
    dE = np.zeros_like(E)
    for k, w in enumerate(window):
        dE[:, w] += de[k * d:(k + 1) * d]

    return dict(loss=np.array(loss), delta1=delta1, dU=dU, db_2=db_2, delta2=delta2,
                dW=dW, db_1=db_1, de=de, dE=dE)


if __name__ == "__main__":
    inputs = np.load(sys.argv[1])
    np.savez(sys.argv[2], **solve(inputs))
