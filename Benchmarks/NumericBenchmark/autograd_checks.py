"""The numeric gradient checks of PyTorch and JAX on the RNN language model, for the benchmark.

    python3 autograd_checks.py INPUTS.npz ACTIVATION REDUCTION BIASES RUNS

INPUTS.npz holds the student's inputs the grader generated (tokens, E, W_h, W_e, b_1, U, b_2,
h0): the same model at the same point as the Swift side. Column convention of notes 002/003,
float64, full BPTT:

    e^(t) = E[:, x(t)],  z^(t) = W_h h^(t-1) + W_e e^(t) + b_1,  h^(t) = f(z^(t))
    yhat^(t) = softmax(U h^(t) + b_2),  J = mean (or sum) over t of -log yhat^(t)[x(t+1)]

Checks, each over every parameter:
  torch  torch.autograd.gradcheck(fast_mode=True): one random projection v^T J u per input
  jax    jax.test_util.check_grads(order=1, modes=("rev",)): the VJP against numerical JVPs

Prints `name value` lines (times in ms, medians of RUNS after a warm-up; the loss calls of one
check), or `skip <reason>` when a package is missing.
"""
import sys
import time

import numpy as np


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def load(path):
    data = np.load(path)
    names = ["E", "W_h", "W_e", "b_1", "U", "b_2", "h0"]
    params = [np.asarray(data[n], dtype=np.float64) for n in names]
    tokens = np.asarray(data["tokens"]).astype(np.int64)
    return params, tokens


def run_torch(params, tokens, activation, mean, biases, runs):
    try:
        import torch
    except ImportError:
        print("skip torch.autograd.gradcheck: torch is not installed (pip install torch, CPU wheel)")
        return
    torch.set_num_threads(1)
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
         "hardtanh": torch.nn.functional.hardtanh,
         "leakyrelu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
         "swish": torch.nn.functional.silu}[activation]
    x = torch.tensor(tokens[:-1])
    y = torch.tensor(tokens[1:])
    calls = [0]

    def loss(E, W_h, W_e, b_1, U, b_2, h0):
        calls[0] += 1
        A = (W_e @ E[:, x]).T                      # T x H, row t = (W_e e^(t))^T
        if biases:
            A = A + b_1
        h = h0
        hs = []
        for t in range(A.shape[0]):
            h = f(W_h @ h + A[t])
            hs.append(h)
        logits = torch.stack(hs) @ U.T             # T x |V|
        if biases:
            logits = logits + b_2
        ce = torch.nn.functional.cross_entropy(logits, y, reduction="mean" if mean else "sum")
        return ce

    inputs = tuple(torch.tensor(p.reshape(-1) if p.ndim == 1 else p, requires_grad=True) for p in params)
    with torch.no_grad():
        forward = median_ms(lambda: loss(*inputs), runs)
        value = float(loss(*inputs))

    def check():
        calls[0] = 0
        torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)

    checked = median_ms(check, runs)
    print("torch_forward_ms", forward)
    print("torch_check_ms", checked)
    print("torch_calls", calls[0])
    print("torch_loss", value)


def run_jax(params, tokens, activation, mean, biases, runs):
    try:
        import jax
        import jax.numpy as jnp
        from jax.test_util import check_grads
    except ImportError:
        print("skip jax.test_util.check_grads: jax is not installed (pip install jax)")
        return
    jax.config.update("jax_enable_x64", True)
    f = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu, "hardtanh": jax.nn.hard_tanh,
         "leakyrelu": lambda z: jax.nn.leaky_relu(z, 0.01), "swish": jax.nn.silu}[activation]
    x = jnp.asarray(tokens[:-1])
    y = jnp.asarray(tokens[1:])

    def core(E, W_h, W_e, b_1, U, b_2, h0):
        A = (W_e @ E[:, x]).T
        if biases:
            A = A + b_1

        def step(h, a):
            h = f(W_h @ h + a)
            return h, h

        _, hs = jax.lax.scan(step, h0, A)
        logits = hs @ U.T
        if biases:
            logits = logits + b_2
        ce = jax.nn.logsumexp(logits, axis=1) - jnp.take_along_axis(logits, y[:, None], axis=1)[:, 0]
        return jnp.mean(ce) if mean else jnp.sum(ce)

    jitted = jax.jit(core)
    calls = [0]

    def loss(*ps):
        calls[0] += 1
        return jitted(*ps)

    inputs = tuple(jnp.asarray(p.reshape(-1) if p.ndim == 1 else p) for p in params)
    forward = median_ms(lambda: jitted(*inputs).block_until_ready(), runs)
    value = float(jitted(*inputs))

    def check():
        calls[0] = 0
        check_grads(loss, inputs, order=1, modes=("rev",), atol=1e-5, rtol=1e-3, eps=1e-6)

    checked = median_ms(check, runs)
    print("jax_forward_ms", forward)
    print("jax_check_ms", checked)
    print("jax_calls", calls[0])
    print("jax_loss", value)


def main():
    path, activation, reduction, biases, runs = sys.argv[1:6]
    params, tokens = load(path)
    mean = reduction == "mean"
    biases = biases == "1"
    runs = int(runs)
    run_torch(params, tokens, activation, mean, biases, runs)
    run_jax(params, tokens, activation, mean, biases, runs)


if __name__ == "__main__":
    main()
