"""rnn-canonical: a worked solution, in the form of the starter (starter-python/solution.py),
in the style of min-char-rnn (the math of examples/solution.py): h_t = tanh(W_xh x_t + W_hh h_{t−1}
+ b_h), y_t = softmax(W_yh h_t + b_y), E = Σ_t −log y_t[x_{t+1}].

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """The loss and every gradient, by the forward pass and backpropagation through time."""
    T = len(tokens) - 1
    V = W_xh.shape[1]
    xs, hs, ps = {}, {-1: h0}, {}
    loss = 0.0
    for t in range(T):
        xs[t] = np.zeros(V)
        xs[t][tokens[t]] = 1
        hs[t] = np.tanh(W_xh @ xs[t] + W_hh @ hs[t - 1] + b_h)
        y = W_yh @ hs[t] + b_y
        ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
        loss += -np.log(ps[t][tokens[t + 1]])
    dW_xh, dW_hh, dW_yh = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(W_yh)
    db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dy = ps[t].copy()
        dy[tokens[t + 1]] -= 1
        dW_yh += np.outer(dy, hs[t])
        db_y += dy
        dh_raw = (1 - hs[t] ** 2) * (W_yh.T @ dy + dh_next)
        db_h += dh_raw
        dW_xh += np.outer(dh_raw, xs[t])
        dW_hh += np.outer(dh_raw, hs[t - 1])
        dh_next = W_hh.T @ dh_raw
    return dict(loss=loss, dW_xh=dW_xh, dW_hh=dW_hh, dW_yh=dW_yh, db_h=db_h, db_y=db_y, dh0=dh_next)


def loss(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """E = Σ_t −log y_t[x_{t+1}]."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["loss"]


def dW_xh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_xh = Σ_t δh_t x_tᵀ."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["dW_xh"]


def dW_hh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_hh = Σ_t δh_t h_{t−1}ᵀ."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["dW_hh"]


def dW_yh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_yh = Σ_t (y_t − onehot(x_{t+1})) h_tᵀ."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["dW_yh"]


def db_h(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂b_h = Σ_t δh_t."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["db_h"]


def db_y(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂b_y = Σ_t (y_t − onehot(x_{t+1}))."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["db_y"]


def dh0(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂h_0 = W_hhᵀ δh_1."""
    return bptt(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0)["dh0"]


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["loss", "dW_xh", "dW_hh", "dW_yh", "db_h", "db_y", "dh0"]


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
