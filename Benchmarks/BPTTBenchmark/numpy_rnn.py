"""NumPy implementations of the RNN language model of `BPTTReference`, for the benchmark.

Column convention of notes 002/003, biases on, sigmoid, loss J = mean over t of
J^(t) = -log yhat^(t)[x(t+1)], full BPTT:

    e^(t) = E[:, x(t)]                      E   d x V
    z^(t) = W_h h^(t-1) + W_e e^(t) + b_1   W_h H x H, W_e H x d, b_1 H x 1
    h^(t) = sigmoid(z^(t))
    yhat^(t) = softmax(U h^(t) + b_2)       U   V x H, b_2 V x 1

Two implementations:
  loop     one timestep at a time, column vectors and np.dot per step, in the style of the
           usual tutorial code (min-char-rnn); the embedding is a column lookup rather than a
           product with a one-hot vector.
  batched  the recurrence step by step, the output layer for all timesteps at once:
           logits = U [h^(1) ... h^(T)] (V x T), dU = Delta1 H^T, dH = U^T Delta1.

Parameters are a closed formula of their flat row-major index k, shared with the Swift side so
that both compute the same numbers:  value(k, salt) = scale * sin(0.37 k + salt).
Tokens: x(i) = (7919 i + 13) mod V for i = 0...T.

Prints one line per measurement, `name value`, times in milliseconds (median of the runs):
`*_ms` wall time, `*_cpu_ms` CPU time of the process (all threads).
Thread count: set OPENBLAS_NUM_THREADS before starting Python.

`numpy_rnn.py --gemm T H d V runs` times plain matrix products instead, in GFLOP/s (2 m n k
flops over the median wall time): `gemm_2000_gflops` for 2000 x 2000 times 2000 x 2000 (the
machine's DGEMM rate), and the three products of the batched output layer,
`gemm_U_H_gflops` (V x H times H x T), `gemm_D_H_gflops` (V x T times T x H) and
`gemm_UT_D_gflops` (U^T D: H x V times V x T); `*_cpu_gflops` the same over the median CPU time.
"""
import sys
import time

import numpy as np


def parameter(rows, cols, salt, scale):
    k = np.arange(rows * cols, dtype=np.float64)
    return (scale * np.sin(0.37 * k + salt)).reshape(rows, cols)


def make_model(T, H, d, V):
    p = {
        "E": parameter(d, V, 1.0, 0.1),
        "W_h": parameter(H, H, 2.0, 0.05),
        "W_e": parameter(H, d, 3.0, 0.1),
        "b_1": parameter(H, 1, 4.0, 0.1),
        "U": parameter(V, H, 5.0, 0.1),
        "b_2": parameter(V, 1, 6.0, 0.1),
        "h0": parameter(H, 1, 7.0, 0.1),
    }
    tokens = [(7919 * i + 13) % V for i in range(T + 1)]
    return p, tokens


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------------------------------------
# Per-timestep loop (min-char-rnn style)

def loop_forward(p, tokens):
    T = len(tokens) - 1
    hs, ys, zs, es = {}, {}, {}, {}
    hs[-1] = np.copy(p["h0"])
    loss = 0.0
    for t in range(T):
        es[t] = p["E"][:, tokens[t]:tokens[t] + 1]
        zs[t] = np.dot(p["W_h"], hs[t - 1]) + np.dot(p["W_e"], es[t]) + p["b_1"]
        hs[t] = sigmoid(zs[t])
        logits = np.dot(p["U"], hs[t]) + p["b_2"]
        ex = np.exp(logits - np.max(logits))
        ys[t] = ex / np.sum(ex)
        loss += -np.log(ys[t][tokens[t + 1], 0])
    return loss / T, (hs, ys, zs, es)


def loop_gradients(p, tokens):
    T = len(tokens) - 1
    loss, (hs, ys, zs, es) = loop_forward(p, tokens)
    g = {name: np.zeros_like(value) for name, value in p.items()}
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        dy = np.copy(ys[t])
        dy[tokens[t + 1]] -= 1
        dy /= T
        g["U"] += np.dot(dy, hs[t].T)
        g["b_2"] += dy
        dh = np.dot(p["U"].T, dy) + dhnext
        dz = hs[t] * (1 - hs[t]) * dh
        g["b_1"] += dz
        g["W_h"] += np.dot(dz, hs[t - 1].T)
        g["W_e"] += np.dot(dz, es[t].T)
        g["E"][:, tokens[t]:tokens[t] + 1] += np.dot(p["W_e"].T, dz)
        dhnext = np.dot(p["W_h"].T, dz)
    g["h0"] = dhnext
    return loss, g


# ---------------------------------------------------------------------------------------------
# Batched over time

def batched_forward(p, tokens):
    T = len(tokens) - 1
    H = p["W_h"].shape[0]
    x = np.asarray(tokens[:-1])
    targets = np.asarray(tokens[1:])
    Es = p["E"][:, x]                                   # d x T
    A = p["W_e"] @ Es + p["b_1"]                        # H x T
    Hs = np.empty((H, T + 1))
    Hs[:, 0] = p["h0"][:, 0]
    Z = np.empty((H, T))
    for t in range(T):
        Z[:, t] = p["W_h"] @ Hs[:, t] + A[:, t]
        Hs[:, t + 1] = sigmoid(Z[:, t])
    logits = p["U"] @ Hs[:, 1:] + p["b_2"]              # V x T
    logits -= logits.max(axis=0, keepdims=True)
    P = np.exp(logits)
    P /= P.sum(axis=0, keepdims=True)
    loss = -np.mean(np.log(P[targets, np.arange(T)]))
    return loss, (Es, Hs, Z, P)


def batched_gradients(p, tokens):
    T = len(tokens) - 1
    x = np.asarray(tokens[:-1])
    targets = np.asarray(tokens[1:])
    loss, (Es, Hs, Z, P) = batched_forward(p, tokens)
    D1 = P
    D1[targets, np.arange(T)] -= 1
    D1 /= T                                             # V x T
    g = {}
    g["U"] = D1 @ Hs[:, 1:].T                           # V x H
    g["b_2"] = D1.sum(axis=1, keepdims=True)
    dHout = p["U"].T @ D1                               # H x T
    fp = Hs[:, 1:] * (1 - Hs[:, 1:])
    Gz = np.empty_like(Z)
    carry = np.zeros(Z.shape[0])
    for t in reversed(range(T)):
        Gz[:, t] = (dHout[:, t] + carry) * fp[:, t]
        carry = p["W_h"].T @ Gz[:, t]
    g["h0"] = carry[:, None]
    g["W_h"] = Gz @ Hs[:, :-1].T
    g["W_e"] = Gz @ Es.T
    g["b_1"] = Gz.sum(axis=1, keepdims=True)
    dE = np.zeros_like(p["E"])
    np.add.at(dE.T, x, (p["W_e"].T @ Gz).T)
    g["E"] = dE
    return loss, g


def median_ms(f, runs):
    """Median wall time and median process CPU time of `runs` calls, in milliseconds."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        f()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2], cpu[len(cpu) // 2]


def gemm_rates(T, H, d, V, runs):
    rng = np.random.default_rng(1)
    n = 2000
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    U, Hs, D = rng.standard_normal((V, H)), rng.standard_normal((H, T)), rng.standard_normal((V, T))
    HsT = np.ascontiguousarray(Hs.T)
    cases = (("gemm_2000", lambda: A @ B, n * n * n),
             ("gemm_U_H", lambda: U @ Hs, V * H * T),
             ("gemm_D_H", lambda: D @ HsT, V * T * H),
             ("gemm_UT_D", lambda: U.T @ D, H * V * T))
    for name, f, fma in cases:
        f()
        wall, cpu = median_ms(f, max(runs, 5))
        print(f"{name}_gflops {2 * fma / (wall * 1e6):.4f}")
        print(f"{name}_cpu_gflops {2 * fma / (cpu * 1e6):.4f}")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--gemm":
        T, H, d, V = (int(a) for a in sys.argv[2:6])
        gemm_rates(T, H, d, V, int(sys.argv[6]) if len(sys.argv) >= 7 else 7)
        return
    T, H, d, V = (int(a) for a in sys.argv[1:5]) if len(sys.argv) >= 5 else (35, 256, 128, 10000)
    runs = int(sys.argv[5]) if len(sys.argv) >= 6 else 7
    p, tokens = make_model(T, H, d, V)
    loss_loop, g_loop = loop_gradients(p, tokens)
    loss_batched, g_batched = batched_gradients(p, tokens)
    print(f"loss {loss_batched:.17g}")
    print(f"loop_loss_difference {abs(loss_loop - loss_batched):.3g}")
    norm = np.sqrt(sum(np.sum(v * v) for v in g_batched.values()))
    print(f"gradient_norm {norm:.17g}")
    for name in ("E", "W_h", "W_e", "b_1", "U", "b_2", "h0"):
        print(f"gradient_norm_{name} {np.linalg.norm(g_batched[name]):.17g}")
        diff = np.linalg.norm(g_loop[name] - g_batched[name]) / max(np.linalg.norm(g_batched[name]), 1e-300)
        print(f"loop_relative_difference_{name} {diff:.3g}")
    # Warm-up, then medians.
    for _ in range(2):
        batched_gradients(p, tokens)
    for name, f in (("loop_forward", loop_forward), ("loop_gradient", loop_gradients),
                    ("batched_forward", batched_forward), ("batched_gradient", batched_gradients)):
        wall, cpu = median_ms(lambda: f(p, tokens), runs)
        print(f"{name}_ms {wall:.4f}")
        print(f"{name}_cpu_ms {cpu:.4f}")


if __name__ == "__main__":
    main()
