"""window-lm: a worked solution, in the form of the starter (starter-python/solution.py).

Column convention (the math of examples/solution.py): e = [E[:, x1]; …; E[:, xn]], z = W e + b_1,
h = σ(z), θ = U h + b_2, ŷ = softmax(θ), J = −log ŷ[x(n+1)].

    python3 solution.py inputs.npz answers.npz
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def gradients(tokens, E, W, b_1, U, b_2):
    """The forward pass, δ1 = ŷ − y, δ2 = (Uᵀ δ1) ⊙ σ′(z), and every gradient."""
    window, target = tokens[:-1], tokens[-1]
    d, V = E.shape
    e = np.concatenate([E[:, w] for w in window])
    h = sigmoid(W @ e + b_1)
    y_hat = softmax(U @ h + b_2)
    delta1 = y_hat - np.eye(V)[target]
    delta2 = (U.T @ delta1) * h * (1 - h)
    de = W.T @ delta2
    dE = np.zeros_like(E)
    for k, w in enumerate(window):
        dE[:, w] += de[k * d:(k + 1) * d]     # +=: a repeated word accumulates
    return dict(loss=-np.log(y_hat[target]), delta1=delta1, dU=np.outer(delta1, h), db_2=delta1,
                delta2=delta2, dW=np.outer(delta2, e), db_1=delta2, de=de, dE=dE)


def loss(tokens, E, W, b_1, U, b_2):
    """J = −log ŷ_{x(n+1)}."""
    return gradients(tokens, E, W, b_1, U, b_2)["loss"]


def delta1(tokens, E, W, b_1, U, b_2):
    """δ1 = ∂J/∂θ = ŷ − y."""
    return gradients(tokens, E, W, b_1, U, b_2)["delta1"]


def dU(tokens, E, W, b_1, U, b_2):
    """∂J/∂U = δ1 hᵀ."""
    return gradients(tokens, E, W, b_1, U, b_2)["dU"]


def db_2(tokens, E, W, b_1, U, b_2):
    """∂J/∂b_2 = δ1."""
    return gradients(tokens, E, W, b_1, U, b_2)["db_2"]


def delta2(tokens, E, W, b_1, U, b_2):
    """δ2 = ∂J/∂z = (Uᵀ δ1) ⊙ σ′(z)."""
    return gradients(tokens, E, W, b_1, U, b_2)["delta2"]


def dW(tokens, E, W, b_1, U, b_2):
    """∂J/∂W = δ2 eᵀ."""
    return gradients(tokens, E, W, b_1, U, b_2)["dW"]


def db_1(tokens, E, W, b_1, U, b_2):
    """∂J/∂b_1 = δ2."""
    return gradients(tokens, E, W, b_1, U, b_2)["db_1"]


def de(tokens, E, W, b_1, U, b_2):
    """∂J/∂e = Wᵀ δ2."""
    return gradients(tokens, E, W, b_1, U, b_2)["de"]


def dE(tokens, E, W, b_1, U, b_2):
    """∂J/∂E: column w sums ∂J/∂e^(k) over the positions k where x^(k) = w."""
    return gradients(tokens, E, W, b_1, U, b_2)["dE"]


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["loss", "delta1", "dU", "db_2", "delta2", "dW", "db_1", "de", "dE"]


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
