"""backprop-basics: Jacobians, error signals and computation graphs

The feed-forward part of the lecture. Scoring network: z = Wx + b, h = σ(z), s = uᵀh. Softmax: ŷ =
softmax(θ), CE = −log ŷ_label. Window classifier: x = [x_1; …; x_5] (the window's word vectors
stacked), z = W_win x + b_win, h = σ(z), s = u_winᵀh, J = σ(s). Softmax classifier: scores S = X
W_cls (one row per example), L = (1/N) Σ_i −log softmax(S_i)_{y_i} + reg·Σ W_cls² (the L2 factor is
1, not ½). Graph: f(x, y, z) = (x + y)·max(y, z). Chain rule: z = x²y − y², x = t², y = 2t. Vectors
are 1-D arrays; indices are 0-based.

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs backprop-basics --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check backprop-basics solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    x       m             float64  input of the scoring network
    W       n × m         float64  weights of the scoring network
    b       n             float64  bias of the scoring network
    u       n             float64  score vector of the scoring network
    theta   K             float64  softmax input θ
    label   scalar        int64    the correct class of θ, in 0..<K
    window  window × d    float64  the window's word vectors, one per row
    W_win   n × window*d  float64  weights of the window classifier
    b_win   n             float64  bias of the window classifier
    u_win   n             float64  score vector of the window classifier
    X       N × D         float64  examples of the softmax classifier, one per row
    y       N             int64    their classes, in 0..<C
    W_cls   D × C         float64  weights of the softmax classifier
    reg     scalar        float64  L2 strength λ
    xyz     3             float64  the point (x, y, z) of the graph f = (x + y)·max(y, z)
    t       scalar        float64  the point t of the chain-rule example
"""
import numpy as np


def dh_dz(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂h/∂z = diag(σ′(z)).

    Returns an array of shape n × n.
    """
    # TODO: your code here
    return None


def delta(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """δ = ∂s/∂z = uᵀ ∘ σ′(z).

    Returns an array of shape n.
    """
    # TODO: your code here
    return None


def ds_db(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂s/∂b = (∂s/∂h)(∂h/∂z)(∂z/∂b) = δ.

    Returns an array of shape n.
    """
    # TODO: your code here
    return None


def ds_dW(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂s/∂W = δᵀ xᵀ (outer product).

    Returns an array of shape n × m.
    """
    # TODO: your code here
    return None


def ds_dx(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂s/∂x = Wᵀ δᵀ.

    Returns an array of shape m.
    """
    # TODO: your code here
    return None


def ds_du(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂s/∂u = h.

    Returns an array of shape n.
    """
    # TODO: your code here
    return None


def softmax_jacobian(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂ŷ/∂θ = diag(ŷ) − ŷŷᵀ.

    Returns an array of shape K × K.
    """
    # TODO: your code here
    return None


def dCE_dtheta(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂CE/∂θ = ŷ − y.

    Returns an array of shape K.
    """
    # TODO: your code here
    return None


def dJ_dwindow(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂J/∂x split into the window's word vectors: row k is ∂J/∂x_k.

    Returns an array of shape window × d.
    """
    # TODO: your code here
    return None


def dJ_dW_win(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂J/∂W_win = σ′(s) δᵀ xᵀ.

    Returns an array of shape n × window*d.
    """
    # TODO: your code here
    return None


def dJ_db_win(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂J/∂b_win = σ′(s) δ.

    Returns an array of shape n.
    """
    # TODO: your code here
    return None


def dJ_du_win(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂J/∂u_win = σ′(s) h.

    Returns an array of shape n.
    """
    # TODO: your code here
    return None


def dL_dW_cls(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """∂L/∂W_cls = (1/N) Xᵀ(Ŷ − Y) + 2·reg·W_cls.

    Returns an array of shape D × C.
    """
    # TODO: your code here
    return None


def graph_grad(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """(∂f/∂x, ∂f/∂y, ∂f/∂z) for f = (x + y)·max(y, z): add distributes, max routes, multiply
    switches, and y's two branches sum.

    Returns an array of shape 3.
    """
    # TODO: your code here
    return None


def dz_dt(x, W, b, u, theta, label, window, W_win, b_win, u_win, X, y, W_cls, reg, xyz, t):
    """dz/dt = ∂z/∂x·dx/dt + ∂z/∂y·dy/dt.

    Returns a scalar.
    """
    # TODO: your code here
    return None


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
