"""rnn-canonical: The canonical character-level RNN (min-char-rnn's model, unclipped gradients)

The canonical RNN of the recitation, min-char-rnn's model: h_t = tanh(W_xh x_t + W_hh h_{t−1} +
b_h), y_t = softmax(W_yh h_t + b_y), x_t one-hot, E = Σ_t E_t with E_t = −log y_t[x_{t+1}] (summed
over t, not averaged). Tokens are 0-based indices into the vocabulary; token t+1 is the target of
step t; h_0 is the given input h0 (min-char-rnn's hprev). What is asked, exactly: the gradients of E
by full BPTT, unclipped, each with the shape of its parameter, and ∂E/∂h_0. Nothing is averaged (no
1/T) and nothing is clipped: min-char-rnn clips every gradient to ±5 (np.clip(dparam, -5, 5,
out=dparam)) after lossFun returns — submit the gradients lossFun computes, before that line.
min-char-rnn's lossFun does not return ∂E/∂h_0: it is the dhnext left after its backward loop (W_hhᵀ
dhraw at the first step); lossFun's last return value hs[len(inputs)-1] is the last hidden state,
not a gradient. Other conventions, mapped onto this one. CS231n (rnn_layers.py): the row form h =
tanh(x Wx + h Wh + b) on batches, with the loss averaged over the batch: with a batch of one their
dWx and dWh are the transposes of dW_xh and dW_hh, and rnn_backward's dh0 is dh0. PyTorch:
nn.RNN(nonlinearity='tanh') has W_ih = W_xh, W_hh and two biases b_ih, b_hh (each receives db_h);
use nn.CrossEntropyLoss(reduction='sum') for E, read h0.grad for dh0, and read the .grad before
clip_grad_norm_; detaching the state every k steps is truncated BPTT, not asked here.

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs rnn-canonical --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check rnn-canonical solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    tokens  T+1    int64    x_1 … x_{T+1}, character indices in 0..<|V|
    W_xh    H × V  float64  input-to-hidden weights
    W_hh    H × H  float64  hidden-to-hidden weights
    W_yh    V × H  float64  hidden-to-output weights
    b_h     H      float64  hidden bias
    b_y     V      float64  output bias
    h0      H      float64  initial hidden state h_0
"""
import numpy as np


def loss(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """E = Σ_t −log y_t[x_{t+1}].

    Returns a scalar.
    """
    # TODO: your code here
    return None


def dW_xh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_xh = Σ_t δh_t x_tᵀ, δh_t = ∂E/∂(W_xh x_t + W_hh h_{t−1} + b_h) (unclipped).

    Returns an array of shape H × V.
    """
    # TODO: your code here
    return None


def dW_hh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_hh = Σ_t δh_t h_{t−1}ᵀ.

    Returns an array of shape H × H.
    """
    # TODO: your code here
    return None


def dW_yh(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂W_yh = Σ_t (y_t − onehot(x_{t+1})) h_tᵀ.

    Returns an array of shape V × H.
    """
    # TODO: your code here
    return None


def db_h(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂b_h = Σ_t δh_t.

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


def db_y(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂b_y = Σ_t (y_t − onehot(x_{t+1})).

    Returns an array of shape V.
    """
    # TODO: your code here
    return None


def dh0(tokens, W_xh, W_hh, W_yh, b_h, b_y, h0):
    """∂E/∂h_0 = W_hhᵀ δh_1: min-char-rnn's dhnext after the backward loop (lossFun does not return
    it).

    Returns an array of shape H.
    """
    # TODO: your code here
    return None


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
