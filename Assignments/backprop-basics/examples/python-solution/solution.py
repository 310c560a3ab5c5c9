"""backprop-basics: a worked solution, in the form of the starter (starter-python/solution.py).

Each function computes its item from the inputs it names: the grader passes every input by its
parameter's name, so a function may ask for only those it uses. The math is that of
examples/solution.py.

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def scoring_network(x, W, b, u):
    """z = Wx + b, h = σ(z), s = uᵀh: h, f′(z) and δ = uᵀ ∘ f′(z)."""
    h = sigmoid(W @ x + b)
    fprime = h * (1 - h)
    return h, fprime, u * fprime


def window_classifier(window, W_win, b_win, u_win):
    """J = σ(u_winᵀ σ(W_win x + b_win)), x the window's rows stacked: x, h, σ′(s) and
    ∂J/∂z = σ′(s) u_win ⊙ σ′(z)."""
    x = window.reshape(-1)
    h = sigmoid(W_win @ x + b_win)
    s = u_win @ h
    dJ_ds = sigmoid(s) * (1 - sigmoid(s))
    return x, h, dJ_ds, dJ_ds * u_win * h * (1 - h)


def dh_dz(x, W, b, u):
    """∂h/∂z = diag(σ′(z))."""
    return np.diag(scoring_network(x, W, b, u)[1])


def delta(x, W, b, u):
    """δ = ∂s/∂z = uᵀ ∘ σ′(z)."""
    return scoring_network(x, W, b, u)[2]


def ds_db(x, W, b, u):
    """∂s/∂b = δ."""
    return scoring_network(x, W, b, u)[2]


def ds_dW(x, W, b, u):
    """∂s/∂W = δᵀ xᵀ (outer product)."""
    return np.outer(scoring_network(x, W, b, u)[2], x)


def ds_dx(x, W, b, u):
    """∂s/∂x = Wᵀ δᵀ."""
    return W.T @ scoring_network(x, W, b, u)[2]


def ds_du(x, W, b, u):
    """∂s/∂u = h."""
    return scoring_network(x, W, b, u)[0]


def softmax_jacobian(theta):
    """∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ."""
    y_hat = softmax(theta)
    return np.diag(y_hat) - np.outer(y_hat, y_hat)


def dCE_dtheta(theta, label):
    """∂CE/∂θ = ŷ − y."""
    y_hat = softmax(theta)
    return y_hat - np.eye(len(theta))[int(label)]


def dJ_dwindow(window, W_win, b_win, u_win):
    """∂J/∂x split into the window's word vectors: row k is ∂J/∂x_k."""
    dz = window_classifier(window, W_win, b_win, u_win)[3]
    return (W_win.T @ dz).reshape(window.shape)


def dJ_dW_win(window, W_win, b_win, u_win):
    """∂J/∂W_win = σ′(s) δᵀ xᵀ."""
    x, _, _, dz = window_classifier(window, W_win, b_win, u_win)
    return np.outer(dz, x)


def dJ_db_win(window, W_win, b_win, u_win):
    """∂J/∂b_win = σ′(s) δ."""
    return window_classifier(window, W_win, b_win, u_win)[3]


def dJ_du_win(window, W_win, b_win, u_win):
    """∂J/∂u_win = σ′(s) h."""
    _, h, dJ_ds, _ = window_classifier(window, W_win, b_win, u_win)
    return dJ_ds * h


def dL_dW_cls(X, y, W_cls, reg):
    """∂L/∂W_cls = (1/N) Xᵀ(Ŷ − Y) + 2·reg·W_cls."""
    S = X @ W_cls
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    return X.T @ P / len(y) + 2 * reg * W_cls


def graph_grad(xyz):
    """(∂f/∂x, ∂f/∂y, ∂f/∂z) for f = (x + y)·max(y, z): max routes a tie to y."""
    x, y, z = xyz
    a, m = x + y, max(y, z)
    return np.array([m, m + (a if y >= z else 0.0), a if z > y else 0.0])


def dz_dt(t):
    """dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt, z = x²y − y², x = t², y = 2t."""
    x, y = t ** 2, 2 * t
    return 2 * x * y * 2 * t + (x ** 2 - 2 * y) * 2


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["dh_dz", "delta", "ds_db", "ds_dW", "ds_dx", "ds_du", "softmax_jacobian", "dCE_dtheta",
    "dJ_dwindow", "dJ_dW_win", "dJ_db_win", "dJ_du_win", "dL_dW_cls", "graph_grad", "dz_dt"]


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
