"""gru-lm: Gate gradients through time: a GRU language model

The GRU language model in column form, with PyTorch's conventions. e^(t) = E x^(t); [x_r; x_z; x_n]
= W_x e^(t) + b_x; the blocks W_hr, W_hz, W_hn of H rows of W_h (and b_hr, b_hz, b_hn of b_h) act on
h^(t−1): r = σ(x_r + W_hr h^(t−1) + b_hr), z = σ(x_z + W_hz h^(t−1) + b_hz), n = tanh(x_n + r ⊙
(W_hn h^(t−1) + b_hn)) (the reset gate after W_hn, so b_hn sits inside r); h^(t) = (1 − z) ⊙ n + z ⊙
h^(t−1) (z keeps the old state); ŷ^(t) = softmax(U h^(t) + b_2); J^(t) = −log ŷ^(t)_{x(t+1)}; J =
(1/T) Σ_t J^(t). r̂, ẑ, n̂ are the pre-activations of r, z, n. Tokens are 0-based indices into the
vocabulary; token t+1 is the target of step t. Gradients have the shape of their variable; the
blocks of W_x, W_h, b_x, b_h are r, z, n. ∂J/∂h^(t) is the total gradient at h^(t), through ŷ^(t)
and through step t + 1, one row per step t = 1…T. Assignments/gru-lm/notes.md maps PyTorch's nn.GRU
and d2l's GRU onto this notation.

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs gru-lm --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check gru-lm solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    tokens  T+1      int64    x^(1) … x^(T+1), token indices in 0..<|V|; x^(t+1) is the target of
                              step t
    E       d × V    float64  embedding matrix; e^(t) = E x^(t) is column x^(t) of E
    W_x     3*H × d  float64  input weights, blocks of H rows r, z, n (PyTorch's weight_ih_l0)
    W_h     3*H × H  float64  recurrent weights W_hr, W_hz, W_hn (PyTorch's weight_hh_l0)
    b_x     3*H      float64  input biases b_xr, b_xz, b_xn (PyTorch's bias_ih_l0)
    b_h     3*H      float64  recurrent biases b_hr, b_hz, b_hn (PyTorch's bias_hh_l0); b_hn is
                              inside r ⊙ (W_hn h^(t−1) + b_hn)
    U       V × H    float64  output weights
    b_2     V        float64  output bias
    h0      H        float64  initial state h^(0)
"""
import numpy as np


def loss(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """J = (1/T) Σ_t J^(t), J^(t) = −log ŷ^(t)_{x(t+1)}.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def dU(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ, δ1^(t) = ŷ^(t) − y^(t).

    Returns an array of shape V × H.
    """
    # TODO: your code here
    return None


def db_2(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t).

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def dW_x(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂W_x = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t) e^(t)ᵀ.

    Returns an array of shape 3*H × d.
    """
    # TODO: your code here
    return None


def dW_h(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂W_h = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]^(t) h^(t−1)ᵀ.

    Returns an array of shape 3*H × H.
    """
    # TODO: your code here
    return None


def db_x(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_x = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t).

    Returns an array of shape 3*H.
    """
    # TODO: your code here
    return None


def db_h(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂b_h = Σ_t [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂ ⊙ r]^(t).

    Returns an array of shape 3*H.
    """
    # TODO: your code here
    return None


def dE(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂E: column x^(t) receives W_xᵀ [∂J/∂r̂; ∂J/∂ẑ; ∂J/∂n̂]^(t) for every t where it occurs
    (repeated tokens accumulate).

    Returns an array of shape d × V.
    """
    # TODO: your code here
    return None


def dh0(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂h^(0), the carry out of step 1.

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def dh(tokens, E, W_x, W_h, b_x, b_h, U, b_2, h0):
    """∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + (∂h^(t+1)/∂h^(t))ᵀ ∂J/∂h^(t+1) (zero beyond T), row t for t =
    1…T: the total gradient at h^(t).

    Returns an array of shape T × H.
    """
    # TODO: your code here
    return None


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
