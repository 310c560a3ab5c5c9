"""rnn-bptt: a worked solution, in the form of the starter (starter-python/solution.py).

Each function computes its item from the inputs it receives; the forward pass and the backward
pass through time are helpers the items share (the math of examples/solution.py). Column
convention: e = E[:, x], z = W_h h + W_e e + b_1, h = σ(z), ŷ = softmax(U h + b_2),
J = (1/T) Σ_t −log ŷ^(t)[x(t+1)].

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def forward(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """z^(t), h^(t) (h^(0) first), ŷ^(t) for t = 1…T, and the loss J."""
    T = len(tokens) - 1
    hs, zs, ys = [h0], [], []
    loss = 0.0
    for t in range(T):
        z = W_h @ hs[-1] + W_e @ E[:, tokens[t]] + b_1
        h = sigmoid(z)
        y_hat = softmax(U @ h + b_2)
        loss += -np.log(y_hat[tokens[t + 1]])
        zs.append(z)
        hs.append(h)
        ys.append(y_hat)
    return zs, hs, ys, loss / T


def backward(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """Every item: δ1^(t) = ŷ^(t) − y^(t), δ2^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t)), and the gradients by
    backpropagation through time with the carry ∂J/∂h^(t)."""
    zs, hs, ys, loss = forward(tokens, E, W_h, W_e, b_1, U, b_2, h0)
    T = len(tokens) - 1
    H, V = W_h.shape[0], E.shape[1]
    delta1 = np.array([ys[t] - np.eye(V)[tokens[t + 1]] for t in range(T)])
    dsig = [sigmoid(z) * (1 - sigmoid(z)) for z in zs]
    delta2 = np.array([(U.T @ delta1[t]) * dsig[t] for t in range(T)])

    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_h, dW_e, db_1, dE = np.zeros_like(W_h), np.zeros_like(W_e), np.zeros_like(b_1), np.zeros_like(E)
    dh_next = np.zeros(H)
    for t in reversed(range(T)):
        dU += np.outer(delta1[t], hs[t + 1]) / T
        db_2 += delta1[t] / T
        dz = (U.T @ delta1[t] / T + dh_next) * dsig[t]
        dW_h += np.outer(dz, hs[t])
        dW_e += np.outer(dz, E[:, tokens[t]])
        db_1 += dz
        dE[:, tokens[t]] += W_e.T @ dz
        dh_next = W_h.T @ dz

    # ∂J^(T)/∂W_h|_(i), i = 1…T: the last step's loss term, not divided by T.
    terms = np.zeros((T, H, H))
    g = U.T @ delta1[T - 1]
    for i in reversed(range(T)):
        dz = g * dsig[i]
        terms[i] = np.outer(dz, hs[i])
        g = W_h.T @ dz
    return dict(loss=loss, dU=dU, db_2=db_2, dW_h=dW_h, dW_e=dW_e, db_1=db_1, dE=dE, dh0=dh_next,
                delta1=delta1, delta2=delta2, dW_h_terms=terms)


def loss(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """J = (1/T) Σ_t J^(t), J^(t) = −log ŷ^(t)_{x(t+1)}."""
    return forward(tokens, E, W_h, W_e, b_1, U, b_2, h0)[3]


def dU(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dU"]


def db_2(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["db_2"]


def dW_h(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dW_h"]


def dW_e(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂W_e = Σ_t (∂J/∂z^(t)) e^(t)ᵀ."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dW_e"]


def db_1(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂b_1 = Σ_t ∂J/∂z^(t)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["db_1"]


def dE(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂E: column x^(t) receives W_eᵀ ∂J/∂z^(t) for every t where it occurs."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dE"]


def dh0(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂h^(0) = W_hᵀ ∂J/∂z^(1)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dh0"]


def delta1(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """δ1^(t) = ŷ^(t) − y^(t), row t for t = 1…T (not divided by T)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["delta1"]


def delta2(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """δ2^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t)), row t for t = 1…T (not divided by T)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["delta2"]


def dW_h_terms(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J^(T)/∂W_h|_(i) for i = 1…T (not divided by T)."""
    return backward(tokens, E, W_h, W_e, b_1, U, b_2, h0)["dW_h_terms"]


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["loss", "dU", "db_2", "dW_h", "dW_e", "db_1", "dE", "dh0", "delta1", "delta2",
    "dW_h_terms"]


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
