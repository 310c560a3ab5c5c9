"""A worked solution of gru-lm in NumPy, written the way a student would.

    grade inputs gru-lm --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check gru-lm answers.npz --student alice

Column convention, blocks r, z, n, PyTorch's nn.GRU:
r = σ(x_r + W_hr h + b_hr), z = σ(x_z + W_hz h + b_hz), n = tanh(x_n + r ⊙ (W_hn h + b_hn)),
h = (1 − z) ⊙ n + z ⊙ h, with [x_r; x_z; x_n] = W_x e + b_x; ŷ = softmax(U h + b_2),
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
    E, W_x, W_h, b_x, b_h, U, b_2, h0 = (inp[k] for k in ("E", "W_x", "W_h", "b_x", "b_h", "U", "b_2", "h0"))
    T = len(tokens) - 1
    H, V = h0.shape[0], E.shape[1]
    R, Z, N = (slice(k * H, (k + 1) * H) for k in range(3))

    # Forward: keep the gates and the recurrent terms ah = W_h h + b_h.
    hs, steps, ys = [h0], [], []
    loss = 0.0
    for t in range(T):
        e = E[:, tokens[t]]
        ax = W_x @ e + b_x
        ah = W_h @ hs[-1] + b_h
        r = sigmoid(ax[R] + ah[R])
        z = sigmoid(ax[Z] + ah[Z])
        n = np.tanh(ax[N] + r * ah[N])
        h = (1 - z) * n + z * hs[-1]
        y_hat = softmax(U @ h + b_2)
        loss += -np.log(y_hat[tokens[t + 1]])
        steps.append((e, ah, r, z, n))
        hs.append(h); ys.append(y_hat)
    loss /= T

    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_x, dW_h, db_x, db_h, dE = (np.zeros_like(x) for x in (W_x, W_h, b_x, b_h, E))
    dh_all = np.zeros((T, H))
    dnext_h = np.zeros(H)
    for t in reversed(range(T)):
        e, ah, r, z, n = steps[t]
        h_prev = hs[t]
        delta1 = ys[t] - np.eye(V)[tokens[t + 1]]
        dU += np.outer(delta1, hs[t + 1]) / T
        db_2 += delta1 / T
        dh = U.T @ delta1 / T + dnext_h                   # ∂J/∂h^(t)
        dn_hat = dh * (1 - z) * (1 - n ** 2)              # through n = tanh(n̂)
        dz_hat = dh * (h_prev - n) * z * (1 - z)          # through z = σ(ẑ)
        dr_hat = dn_hat * ah[N] * r * (1 - r)             # n̂ = x_n + r ⊙ ah_n
        dax = np.concatenate([dr_hat, dz_hat, dn_hat])
        dah = np.concatenate([dr_hat, dz_hat, dn_hat * r])
        dW_x += np.outer(dax, e)
        db_x += dax
        dW_h += np.outer(dah, h_prev)
        db_h += dah
        dE[:, tokens[t]] += W_x.T @ dax
        dh_all[t] = dh
        dnext_h = dh * z + W_h.T @ dah                    # the direct path and the gates'
    return dict(loss=np.array(loss), dU=dU, db_2=db_2, dW_x=dW_x, dW_h=dW_h, db_x=db_x, db_h=db_h,
                dE=dE, dh0=dnext_h, dh=dh_all)


if __name__ == "__main__":
    inputs = np.load(sys.argv[1])
    np.savez(sys.argv[2], **solve(inputs))
