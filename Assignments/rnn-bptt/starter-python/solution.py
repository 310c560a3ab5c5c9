"""rnn-bptt: Backpropagation through time in an RNN language model

The RNN language model of the notes in column form: e^(t) = E x^(t), z^(t) = W_h h^(t−1) + W_e e^(t)
+ b_1, h^(t) = σ(z^(t)), ŷ^(t) = softmax(U h^(t) + b_2), J^(t) = −log ŷ^(t)_{x(t+1)}, J = (1/T) Σ_t
J^(t). Tokens are 0-based indices into the vocabulary; token t+1 is the target of step t; h^(0) is
the given input h0. What is asked, exactly: every gradient is the full BPTT gradient of the mean J,
unclipped, with the shape of its parameter. The 1/T of the mean is in the loss and in every
parameter gradient (dU, db_2, dW_h, dW_e, db_1, dE, dh0) once — in dW_e, db_1, dE and dh0 it comes
in through ∂J/∂z^(t), which already carries it — and it is not in the per-step quantities delta1,
delta2 and dW_h_terms, which belong to one loss term J^(t) and are not divided by T. Nothing is
clipped. Other conventions, mapped onto this one. min-char-rnn (Karpathy): tanh instead of σ, E =
Σ_t E_t summed (no 1/T), x^(t) one-hot times W_xh instead of W_e E x^(t), and dparams clipped to ±5
after lossFun: here use σ and its σ′ = h(1 − h), divide every parameter gradient by T, give W_eᵀ dz
to the column x^(t) of dE, and return the gradients before any clipping; its dhnext after the
backward loop is dh0. CS231n (rnn_layers.py): the row form h = tanh(x Wx + h Wh + b) on batches (N,
T, ·) with the loss averaged over N: with N = 1 their dWx, dWh and dW_vocab are the transposes of
dW_e, dW_h and U's gradient, their loss sums over T (divide by T here), and rnn_backward's dh0 is
dh0. PyTorch: nn.RNN has no σ (write the cell with torch.sigmoid); nn.CrossEntropyLoss's default
mean over the T steps of one sequence is this J; nn.RNN's two biases b_ih and b_hh each receive
db_1, nn.Embedding's weight (|V| × d) is Eᵀ, and h0.grad is dh0 when h0 requires grad; read the
.grad before clip_grad_norm_, and do not detach the state between steps (detaching every k steps is
truncated BPTT in chunks of k).

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs rnn-bptt --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check rnn-bptt solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    tokens  T+1    int64    x^(1) … x^(T+1), token indices in 0..<|V|; x^(t+1) is the target of step
                            t
    E       d × V  float64  embedding matrix; e^(t) = E x^(t) is column x^(t) of E
    W_h     H × H  float64  recurrent weights
    W_e     H × d  float64  input weights
    b_1     H      float64  hidden bias
    U       V × H  float64  output weights
    b_2     V      float64  output bias
    h0      H      float64  initial hidden state h^(0)
"""
import numpy as np


def loss(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """J = (1/T) Σ_t J^(t), J^(t) = −log ŷ^(t)_{x(t+1)}.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def dU(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂U = (1/T) Σ_t δ1^(t) h^(t)ᵀ.

    Returns an array of shape V × H.
    """
    # TODO: your code here
    return None


def db_2(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂b_2 = (1/T) Σ_t δ1^(t).

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def dW_h(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂W_h = (1/T) Σ_t Σ_{i≤t} ∂J^(t)/∂W_h|_(i).

    Returns an array of shape H × H.
    """
    # TODO: your code here
    return None


def dW_e(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂W_e = Σ_t (∂J/∂z^(t)) e^(t)ᵀ, where ∂J/∂z^(t) = (1/T) Σ_{s≥t} ∂J^(s)/∂z^(t) already
    carries the 1/T of the mean.

    Returns an array of shape H × d.
    """
    # TODO: your code here
    return None


def db_1(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂b_1 = Σ_t ∂J/∂z^(t), where ∂J/∂z^(t) = (1/T) Σ_{s≥t} ∂J^(s)/∂z^(t) already carries the
    1/T of the mean.

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def dE(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂E: column x^(t) receives W_eᵀ ∂J/∂z^(t) for every t where it occurs (repeated tokens
    accumulate).

    Returns an array of shape d × V.
    """
    # TODO: your code here
    return None


def dh0(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J/∂h^(0) = W_hᵀ ∂J/∂z^(1) (with the 1/T of the mean, through ∂J/∂z^(1)).

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def delta1(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """δ1^(t) = ∂J^(t)/∂(U h^(t) + b_2) = ŷ^(t) − y^(t), row t for t = 1…T (not divided by T).

    Returns an array of shape T × V.
    """
    # TODO: your code here
    return None


def delta2(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """δ2^(t) = ∂J^(t)/∂z^(t) = (Uᵀ δ1^(t)) ⊙ σ′(z^(t)), row t for t = 1…T (the step's own loss term
    only, not divided by T).

    Returns an array of shape T × H.
    """
    # TODO: your code here
    return None


def dW_h_terms(tokens, E, W_h, W_e, b_1, U, b_2, h0):
    """∂J^(T)/∂W_h|_(i) for i = 1…T: the contribution of the copy of W_h used at step i to the last
    step's loss term J^(T) (not divided by T); they sum to ∂J^(T)/∂W_h.

    Returns an array of shape T × H × H.
    """
    # TODO: your code here
    return None


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
