"""gru-lm: a worked solution, in the form of the starter (starter-python/solution.py).

Column convention, gate blocks r, z, n (the math of examples/solution.py):
ax = W_x e + b_x, ah = W_h h + b_h, r = σ(ax_r + ah_r), z = σ(ax_z + ah_z),
n = tanh(ax_n + r ⊙ ah_n), h = (1 − z) ⊙ n + z ⊙ h, ŷ = softmax(U h + b_2),
J = (1/T) Σ_t −log ŷ^(t)[x(t+1)].

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """The forward pass, keeping every gate and state, and the backward loop: every item."""
    tokens = np.asarray(tokens).astype(int)
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



def loss(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """J = (1/T) Σ_t −log ŷ^(t)[x(t+1)]."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["loss"]


def dU(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dU"]


def db_2(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t)."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["db_2"]


def dW_x(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂W_x = Σ_t ∂J/∂ax^(t) e^(t)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dW_x"]


def dW_h(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂W_h = Σ_t ∂J/∂ah^(t) h^(t−1)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dW_h"]


def db_x(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_x = Σ_t ∂J/∂ax^(t)."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["db_x"]


def db_h(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_h = Σ_t ∂J/∂ah^(t)."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["db_h"]


def dE(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂E: column w sums W_xᵀ ∂J/∂ax^(t) over the steps t where x(t) = w."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dE"]


def dh0(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂h^(0): the direct path z^(1) ⊙ ∂J/∂h^(1) and the gates' W_hᵀ ∂J/∂ah^(1)."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dh0"]


def dh(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """Row t: ∂J/∂h^(t)."""
    return gradients(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0)["dh"]


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["loss", "dU", "db_2", "dW_x", "dW_h", "db_x", "db_h", "dE", "dh0", "dh"]


def _run_locally(arguments):
    import inspect
    import sys
    if len(arguments) not in (1, 2):
        sys.exit("usage: python3 solution.py inputs.npz [answers.npz]")
    with np.load(arguments[0], allow_pickle=False) as data:
        inputs = {name: data[name] for name in data.files}
    inputs = {name: value[()] if value.ndim == 0 else value for name, value in inputs.items()}
    answers = {}
    for item in ITEMS:
        function = globals()[item]
        wanted = inspect.signature(function).parameters
        try:
            value = function(**{name: inputs[name] for name in wanted if name in inputs})
        except NotImplementedError:
            value = None
        if value is None:
            print("%-20s not answered" % item)
            continue
        answers[item] = np.asarray(value, dtype=np.float64)
        print("%-20s %s" % (item, "×".join(map(str, answers[item].shape)) or "scalar"))
    if len(arguments) == 2:
        np.savez(arguments[1], **answers)
        print("saved %d answers to %s" % (len(answers), arguments[1]))


if __name__ == "__main__":
    import sys
    _run_locally(sys.argv[1:])
