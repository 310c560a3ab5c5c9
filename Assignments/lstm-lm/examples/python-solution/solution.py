"""lstm-lm: a worked solution, in the form of the starter (starter-python/solution.py).

Column convention, gate blocks i, f, o, g (the math of examples/solution.py):
a = W_x e + W_h h + b, i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g), c = f ⊙ c + i ⊙ g,
h = o ⊙ tanh(c), ŷ = softmax(U h + b_2), J = (1/T) Σ_t −log ŷ^(t)[x(t+1)].
The backward loop is CS231n's lstm_step_backward run from t = T down to 1.

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """The forward pass, keeping every gate and state, and the backward loop: every item."""
    tokens = np.asarray(tokens).astype(int)
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



def loss(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """J = (1/T) Σ_t −log ŷ^(t)[x(t+1)]."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["loss"]


def dU(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dU"]


def db_2(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t)."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["db_2"]


def dW_x(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂W_x = Σ_t ∂J/∂a^(t) e^(t)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dW_x"]


def dW_h(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dW_h"]


def db(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂b = Σ_t ∂J/∂a^(t)."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["db"]


def dE(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂E: column w sums W_xᵀ ∂J/∂a^(t) over the steps t where x(t) = w."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dE"]


def dh0(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1)."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dh0"]


def dc0(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂c^(0) = ∂J/∂c^(1) ⊙ f^(1)."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dc0"]


def dh(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """Row t: ∂J/∂h^(t), c^(t) held fixed."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dh"]


def dc(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """Row t: ∂J/∂c^(t), through h^(t) and c^(t+1)."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["dc"]


def da(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """Row t: ∂J/∂a^(t), the gate pre-activations in the order i, f, o, g."""
    return gradients(tokens, E, W_x, W_h, b, U, b_2, h0, c0)["da"]


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["loss", "dU", "db_2", "dW_x", "dW_h", "db", "dE", "dh0", "dc0", "dh", "dc", "da"]


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
