"""lstm-lm: Gate gradients through time: an LSTM language model

The LSTM language model in column form. e^(t) = E x^(t); a^(t) = W_x e^(t) + W_h h^(t−1) + b, 4H
entries stacked as the blocks [a_i; a_f; a_o; a_g] of H rows each (the order i, f, o, g of CS231n's
lstm_step_forward; W_x, W_h, b and ∂J/∂a^(t) use the same blocks); i = σ(a_i), f = σ(a_f), o =
σ(a_o), g = tanh(a_g); c^(t) = f ⊙ c^(t−1) + i ⊙ g; h^(t) = o ⊙ tanh(c^(t)); ŷ^(t) = softmax(U h^(t)
+ b_2); J^(t) = −log ŷ^(t)_{x(t+1)}; J = (1/T) Σ_t J^(t). The initial state h^(0) = h0, c^(0) = c0
is given. Tokens are 0-based indices into the vocabulary; token t+1 is the target of step t.
Gradients have the shape of their variable. The per-step items have one row per step t = 1…T:
∂J/∂h^(t) is the total gradient at h^(t) with c^(t) held fixed (h^(t) feeds ŷ^(t) and a^(t+1)),
∂J/∂c^(t) the total gradient at the cell (through h^(t) and through c^(t+1)).
Assignments/lstm-lm/notes.md maps CS231n's lstm_step_backward and PyTorch's nn.LSTM onto this
notation.

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs lstm-lm --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check lstm-lm solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    tokens  T+1      int64    x^(1) … x^(T+1), token indices in 0..<|V|; x^(t+1) is the target of
                              step t
    E       d × V    float64  embedding matrix; e^(t) = E x^(t) is column x^(t) of E
    W_x     4*H × d  float64  input weights of the gates, blocks of H rows i, f, o, g
    W_h     4*H × H  float64  recurrent weights of the gates, blocks of H rows i, f, o, g
    b       4*H      float64  gate biases, blocks i, f, o, g
    U       V × H    float64  output weights
    b_2     V        float64  output bias
    h0      H        float64  initial hidden state h^(0)
    c0      H        float64  initial cell state c^(0)
"""
import numpy as np


def loss(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """J = (1/T) Σ_t J^(t), J^(t) = −log ŷ^(t)_{x(t+1)}.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def dU(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ, δ1^(t) = ŷ^(t) − y^(t).

    Returns an array of shape V × H.
    """
    # TODO: your code here
    return None


def db_2(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t).

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def dW_x(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂W_x = Σ_t ∂J/∂a^(t) e^(t)ᵀ.

    Returns an array of shape 4*H × d.
    """
    # TODO: your code here
    return None


def dW_h(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂W_h = Σ_t ∂J/∂a^(t) h^(t−1)ᵀ.

    Returns an array of shape 4*H × H.
    """
    # TODO: your code here
    return None


def db(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂b = Σ_t ∂J/∂a^(t).

    Returns an array of shape 4*H.
    """
    # TODO: your code here
    return None


def dE(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂E: column x^(t) receives W_xᵀ ∂J/∂a^(t) for every t where it occurs (repeated tokens
    accumulate).

    Returns an array of shape d × V.
    """
    # TODO: your code here
    return None


def dh0(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂h^(0) = W_hᵀ ∂J/∂a^(1).

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def dc0(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂c^(0) = ∂J/∂c^(1) ⊙ f^(1).

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def dh(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂h^(t) = (1/T) Uᵀ δ1^(t) + W_hᵀ ∂J/∂a^(t+1) (with ∂J/∂a^(T+1) = 0), row t for t = 1…T: the
    total gradient at h^(t), c^(t) held fixed.

    Returns an array of shape T × H.
    """
    # TODO: your code here
    return None


def dc(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂c^(t) = ∂J/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂J/∂c^(t+1) ⊙ f^(t+1) (with ∂J/∂c^(T+1) =
    0), row t for t = 1…T: the total gradient at the cell.

    Returns an array of shape T × H.
    """
    # TODO: your code here
    return None


def da(tokens, E, W_x, W_h, b, U, b_2, h0, c0):
    """∂J/∂a^(t) = [∂J/∂c^(t) ⊙ g ⊙ σ′(a_i); ∂J/∂c^(t) ⊙ c^(t−1) ⊙ σ′(a_f); ∂J/∂h^(t) ⊙ tanh(c^(t))
    ⊙ σ′(a_o); ∂J/∂c^(t) ⊙ i ⊙ (1 − g²)], row t for t = 1…T, blocks i, f, o, g.

    Returns an array of shape T × 4*H.
    """
    # TODO: your code here
    return None


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
