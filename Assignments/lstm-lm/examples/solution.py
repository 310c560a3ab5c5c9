"""A worked solution of lstm-lm in NumPy, written the way a student would.

    grade inputs lstm-lm --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check lstm-lm answers.npz --student alice

Column convention, gate blocks i, f, o, g (CS231n's order):
a = W_x e + W_h h + b, i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g), c = f ⊙ c + i ⊙ g,
h = o ⊙ tanh(c), ŷ = softmax(U h + b_2), J = (1/T) Σ_t −log ŷ^(t)[x(t+1)].
The backward loop is CS231n's lstm_step_backward run from t = T down to 1, with the carries
dnext_h = W_hᵀ ∂J/∂a^(t+1) and dnext_c = ∂J/∂c^(t+1) ⊙ f^(t+1).
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
    E, W_x, W_h, b, U, b_2, h0, c0 = (inp[k] for k in ("E", "W_x", "W_h", "b", "U", "b_2", "h0", "c0"))
    T = len(tokens) - 1
    H, V = h0.shape[0], E.shape[1]
    I, F, O, G = (slice(k * H, (k + 1) * H) for k in range(4))

    # Forward: keep every gate and state.
    hs, cs, steps, ys = [h0], [c0], [], []
    loss = 0.0
    for t in range(T):
        e = E[:, tokens[t]]
        a = W_x @ e + W_h @ hs[-1] + b
        i, f, o, g = sigmoid(a[I]), sigmoid(a[F]), sigmoid(a[O]), np.tanh(a[G])
        c = f * cs[-1] + i * g
        h = o * np.tanh(c)
        y_hat = softmax(U @ h + b_2)
        loss += -np.log(y_hat[tokens[t + 1]])
        steps.append((e, i, f, o, g))
        hs.append(h); cs.append(c); ys.append(y_hat)
    loss /= T

    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_x, dW_h, db, dE = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b), np.zeros_like(E)
    dh_all, dc_all, da_all = np.zeros((T, H)), np.zeros((T, H)), np.zeros((T, 4 * H))
    dnext_h, dnext_c = np.zeros(H), np.zeros(H)
    for t in reversed(range(T)):
        e, i, f, o, g = steps[t]
        c, c_prev, h_prev = cs[t + 1], cs[t], hs[t]
        delta1 = ys[t] - np.eye(V)[tokens[t + 1]]
        dU += np.outer(delta1, hs[t + 1]) / T
        db_2 += delta1 / T
        dh = U.T @ delta1 / T + dnext_h                   # ∂J/∂h^(t), c^(t) held fixed
        tc = np.tanh(c)
        dc = dh * o * (1 - tc ** 2) + dnext_c             # ∂J/∂c^(t): through h^(t) and c^(t+1)
        da = np.zeros(4 * H)
        da[I] = dc * g * i * (1 - i)
        da[F] = dc * c_prev * f * (1 - f)
        da[O] = dh * tc * o * (1 - o)
        da[G] = dc * i * (1 - g ** 2)
        dW_x += np.outer(da, e)
        dW_h += np.outer(da, h_prev)
        db += da
        dE[:, tokens[t]] += W_x.T @ da
        dh_all[t], dc_all[t], da_all[t] = dh, dc, da
        dnext_h = W_h.T @ da
        dnext_c = dc * f
    return dict(loss=np.array(loss), dU=dU, db_2=db_2, dW_x=dW_x, dW_h=dW_h, db=db, dE=dE,
                dh0=dnext_h, dc0=dnext_c, dh=dh_all, dc=dc_all, da=da_all)


if __name__ == "__main__":
    inputs = np.load(sys.argv[1])
    np.savez(sys.argv[2], **solve(inputs))
