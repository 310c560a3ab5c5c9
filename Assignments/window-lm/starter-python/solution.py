"""window-lm: Gradients of a fixed-window neural language model

The fixed-window neural language model of the notes, in column form: the window x^(1) … x^(n)
predicts the next word x^(n+1). e = [E x^(1); …; E x^(n)] (the window's embeddings stacked, nd
entries; E x^(k) is column x^(k) of E), z = W e + b_1, h = σ(z), θ = U h + b_2, ŷ = softmax(θ), J =
−log ŷ_{x(n+1)}. Tokens are 0-based indices into the vocabulary: tokens[0] … tokens[n−1] are the
window, tokens[n] is the target. Gradients have the shape of their variable. A word that appears
twice in the window receives the gradient of both positions in ∂J/∂E (the gradient with respect to a
repeated weight is the sum of the gradients with respect to each time it appears).

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs window-lm --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check window-lm solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    tokens  n+1      int64    x^(1) … x^(n+1), token indices in 0..<|V|; the first n are the window,
                              the last is the target x^(n+1)
    E       d × V    float64  embedding matrix; E x^(k) is column x^(k) of E
    W       H × n*d  float64  hidden-layer weights; columns (k−1)d … kd − 1 act on the embedding of
                              x^(k)
    b_1     H        float64  hidden bias
    U       V × H    float64  output weights
    b_2     V        float64  output bias
"""
import numpy as np


def loss(tokens, E, W, b_1, U, b_2):
    """J = −log ŷ_{x(n+1)}.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def delta1(tokens, E, W, b_1, U, b_2):
    """δ1 = ∂J/∂θ = ŷ − y, y one-hot at x(n+1).

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def dU(tokens, E, W, b_1, U, b_2):
    """∂J/∂U = δ1 hᵀ (outer product).

    Returns an array of shape V × H.
    """
    # TODO: your code here
    return None


def db_2(tokens, E, W, b_1, U, b_2):
    """∂J/∂b_2 = δ1.

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def delta2(tokens, E, W, b_1, U, b_2):
    """δ2 = ∂J/∂z = (Uᵀ δ1) ⊙ σ′(z).

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def dW(tokens, E, W, b_1, U, b_2):
    """∂J/∂W = δ2 eᵀ (outer product).

    Returns an array of shape H × n*d.
    """
    # TODO: your code here
    return None


def db_1(tokens, E, W, b_1, U, b_2):
    """∂J/∂b_1 = δ2.

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def de(tokens, E, W, b_1, U, b_2):
    """∂J/∂e = Wᵀ δ2; entries (k−1)d … kd − 1 are ∂J/∂e^(k), the gradient at the embedding of x^(k).

    Returns an array of shape n*d.
    """
    # TODO: your code here
    return None


def dE(tokens, E, W, b_1, U, b_2):
    """∂J/∂E: column w is the sum of ∂J/∂e^(k) over the positions k where x^(k) = w (repeated words
    accumulate); zero for words not in the window.

    Returns an array of shape d × V.
    """
    # TODO: your code here
    return None


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
