"""A worked solution of rnn-bptt in NumPy, written the way a student would.

    grade inputs rnn-bptt --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check rnn-bptt answers.npz --student alice

Column convention: e = E[:, x], z = W_h h + W_e e + b_1, h = σ(z), ŷ = softmax(U h + b_2),
J = (1/T) Σ_t −log ŷ^(t)[x(t+1)].
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
    E, W_h, W_e, b_1, U, b_2, h0 = (inp[k] for k in ("E", "W_h", "W_e", "b_1", "U", "b_2", "h0"))
    T = len(tokens) - 1
    H, V = W_h.shape[0], E.shape[1]

    # Forward: keep z^(t), h^(t), ŷ^(t).
    hs, zs, ys = [h0], [], []
    loss = 0.0
    for t in range(T):
        z = W_h @ hs[-1] + W_e @ E[:, tokens[t]] + b_1
        h = sigmoid(z)
        y_hat = softmax(U @ h + b_2)
        loss += -np.log(y_hat[tokens[t + 1]])
        zs.append(z); hs.append(h); ys.append(y_hat)
    loss /= T

    # δ1^(t) = ŷ^(t) − y^(t);  δ2^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t)).
    delta1 = np.array([ys[t] - np.eye(V)[tokens[t + 1]] for t in range(T)])
    dsig = [sigmoid(z) * (1 - sigmoid(z)) for z in zs]
    delta2 = np.array([(U.T @ delta1[t]) * dsig[t] for t in range(T)])

    # Backward through time with the carry ∂J/∂h^(t).
    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_h, dW_e, db_1, dE = np.zeros_like(W_h), np.zeros_like(W_e), np.zeros_like(b_1), np.zeros_like(E)
    dh_next = np.zeros(H)
    for t in reversed(range(T)):
        dU += np.outer(delta1[t], hs[t + 1]) / T
        db_2 += delta1[t] / T
        dh = U.T @ delta1[t] / T + dh_next
        dz = dh * dsig[t]
        dW_h += np.outer(dz, hs[t])
        dW_e += np.outer(dz, E[:, tokens[t]])
        db_1 += dz
        dE[:, tokens[t]] += W_e.T @ dz
        dh_next = W_h.T @ dz
    dh0 = dh_next

    # The terms ∂J^(T)/∂W_h|_(i), i = 1…T, of the last step's loss (not divided by T).
    terms = np.zeros((T, H, H))
    g = U.T @ delta1[T - 1]                     # ∂J^(T)/∂h^(T)
    for i in reversed(range(T)):
        dz = g * dsig[i]                        # ∂J^(T)/∂z^(i)
        terms[i] = np.outer(dz, hs[i])
        g = W_h.T @ dz

    return dict(loss=np.array(loss), dU=dU, db_2=db_2, dW_h=dW_h, dW_e=dW_e, db_1=db_1, dE=dE,
                dh0=dh0, delta1=delta1, delta2=delta2, dW_h_terms=terms)


if __name__ == "__main__":
    inputs = np.load(sys.argv[1])
    np.savez(sys.argv[2], **solve(inputs))
