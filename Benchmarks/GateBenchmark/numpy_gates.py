"""NumPy implementations of the LSTM and GRU language models of `BPTTReference`, for the
benchmark: one timestep at a time, column vectors and np.dot per step, in the style of the
usual homework code (CS231n's lstm_step_forward / lstm_step_backward, d2l's GRU).

Column convention, J = mean over t of J^(t) = -log yhat^(t)[x(t+1)], full BPTT:

  LSTM (gate order i, f, o, g):
    a = W_x e + W_h h + b            W_x 4H x d, W_h 4H x H, b 4H x 1
    i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g)
    c' = f * c + i * g,  h' = o * tanh(c')
  GRU (reset after, update keep: PyTorch's nn.GRU):
    r = sigmoid(W_xr e + b_xr + W_hr h + b_hr),  z likewise
    n = tanh(W_xn e + b_xn + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
  both: e = E[:, x(t)] (E d x V), yhat = softmax(U h + b_2) (U V x H)

Parameters are a closed formula of their flat row-major index k, shared with the Swift side:
value(k, salt) = scale * sin(0.37 k + salt). Tokens: x(i) = (7919 i + 13) mod V, i = 0...T.

Prints `name value` lines: the loss, the norm of every gradient, and the median wall and CPU
times (ms) of the forward pass and of the gradient (forward + backward), for each model.
Thread count: set OPENBLAS_NUM_THREADS before starting Python.
"""
import sys
import time

import numpy as np


def parameter(rows, cols, salt, scale):
    k = np.arange(rows * cols, dtype=np.float64)
    return (scale * np.sin(0.37 * k + salt)).reshape(rows, cols)


def tokens_for(T, V):
    return [(7919 * i + 13) % V for i in range(T + 1)]


def lstm_model(H, d, V):
    return {
        "E": parameter(d, V, 1.0, 0.1),
        "W_x": parameter(4 * H, d, 2.0, 0.1),
        "W_h": parameter(4 * H, H, 3.0, 0.05),
        "b": parameter(4 * H, 1, 4.0, 0.1),
        "U": parameter(V, H, 5.0, 0.1),
        "b_2": parameter(V, 1, 6.0, 0.1),
        "h0": parameter(H, 1, 7.0, 0.1),
        "c0": parameter(H, 1, 8.0, 0.1),
    }


def gru_model(H, d, V):
    return {
        "E": parameter(d, V, 1.0, 0.1),
        "W_x": parameter(3 * H, d, 2.0, 0.1),
        "W_h": parameter(3 * H, H, 3.0, 0.05),
        "b_x": parameter(3 * H, 1, 4.0, 0.1),
        "b_h": parameter(3 * H, 1, 5.0, 0.1),
        "U": parameter(V, H, 6.0, 0.1),
        "b_2": parameter(V, 1, 7.0, 0.1),
        "h0": parameter(H, 1, 8.0, 0.1),
    }


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax_loss(p, h, target):
    logits = np.dot(p["U"], h) + p["b_2"]
    ex = np.exp(logits - np.max(logits))
    y = ex / np.sum(ex)
    return y, -np.log(y[target, 0])


# ---------------------------------------------------------------------------------------------
# LSTM

def lstm_forward(p, tokens):
    T = len(tokens) - 1
    H = p["W_h"].shape[1]
    h, c = np.copy(p["h0"]), np.copy(p["c0"])
    cache = []
    loss = 0.0
    for t in range(T):
        e = p["E"][:, tokens[t]:tokens[t] + 1]
        a = np.dot(p["W_x"], e) + np.dot(p["W_h"], h) + p["b"]
        i = sigmoid(a[0:H])
        f = sigmoid(a[H:2 * H])
        o = sigmoid(a[2 * H:3 * H])
        g = np.tanh(a[3 * H:4 * H])
        c_next = f * c + i * g
        tc = np.tanh(c_next)
        h_next = o * tc
        y, J = softmax_loss(p, h_next, tokens[t + 1])
        loss += J
        cache.append((e, h, c, i, f, o, g, tc, h_next, y))
        h, c = h_next, c_next
    return loss / T, cache


def lstm_gradients(p, tokens):
    T = len(tokens) - 1
    loss, cache = lstm_forward(p, tokens)
    g = {name: np.zeros_like(value) for name, value in p.items()}
    dh_next = np.zeros_like(p["h0"])
    dc_next = np.zeros_like(p["c0"])
    for t in reversed(range(T)):
        e, h_prev, c_prev, i, f, o, gg, tc, h, y = cache[t]
        dy = np.copy(y)
        dy[tokens[t + 1]] -= 1
        dy /= T
        g["U"] += np.dot(dy, h.T)
        g["b_2"] += dy
        dh = np.dot(p["U"].T, dy) + dh_next
        dc = dh * o * (1 - tc * tc) + dc_next
        da = np.concatenate((dc * gg * i * (1 - i), dc * c_prev * f * (1 - f),
                             dh * tc * o * (1 - o), dc * i * (1 - gg * gg)))
        g["W_x"] += np.dot(da, e.T)
        g["W_h"] += np.dot(da, h_prev.T)
        g["b"] += da
        g["E"][:, tokens[t]:tokens[t] + 1] += np.dot(p["W_x"].T, da)
        dh_next = np.dot(p["W_h"].T, da)
        dc_next = dc * f
    g["h0"] = dh_next
    g["c0"] = dc_next
    return loss, g


# ---------------------------------------------------------------------------------------------
# GRU

def gru_forward(p, tokens):
    T = len(tokens) - 1
    H = p["W_h"].shape[1]
    h = np.copy(p["h0"])
    cache = []
    loss = 0.0
    for t in range(T):
        e = p["E"][:, tokens[t]:tokens[t] + 1]
        ax = np.dot(p["W_x"], e) + p["b_x"]
        ah = np.dot(p["W_h"], h) + p["b_h"]
        r = sigmoid(ax[0:H] + ah[0:H])
        z = sigmoid(ax[H:2 * H] + ah[H:2 * H])
        n = np.tanh(ax[2 * H:] + r * ah[2 * H:])
        h_next = (1 - z) * n + z * h
        y, J = softmax_loss(p, h_next, tokens[t + 1])
        loss += J
        cache.append((e, h, ah, r, z, n, h_next, y))
        h = h_next
    return loss / T, cache


def gru_gradients(p, tokens):
    T = len(tokens) - 1
    loss, cache = gru_forward(p, tokens)
    g = {name: np.zeros_like(value) for name, value in p.items()}
    dh_next = np.zeros_like(p["h0"])
    for t in reversed(range(T)):
        e, h_prev, ah, r, z, n, h, y = cache[t]
        H = h.shape[0]
        dy = np.copy(y)
        dy[tokens[t + 1]] -= 1
        dy /= T
        g["U"] += np.dot(dy, h.T)
        g["b_2"] += dy
        dh = np.dot(p["U"].T, dy) + dh_next
        dn_hat = dh * (1 - z) * (1 - n * n)
        dz_hat = dh * (h_prev - n) * z * (1 - z)
        dr_hat = dn_hat * ah[2 * H:] * r * (1 - r)
        dax = np.concatenate((dr_hat, dz_hat, dn_hat))
        dah = np.concatenate((dr_hat, dz_hat, dn_hat * r))
        g["W_x"] += np.dot(dax, e.T)
        g["b_x"] += dax
        g["W_h"] += np.dot(dah, h_prev.T)
        g["b_h"] += dah
        g["E"][:, tokens[t]:tokens[t] + 1] += np.dot(p["W_x"].T, dax)
        dh_next = dh * z + np.dot(p["W_h"].T, dah)
    g["h0"] = dh_next
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


def main():
    T, H, d, V = (int(a) for a in sys.argv[1:5]) if len(sys.argv) >= 5 else (35, 256, 128, 10000)
    runs = int(sys.argv[5]) if len(sys.argv) >= 6 else 5
    tokens = tokens_for(T, V)
    for model, make, forward, gradients in (("lstm", lstm_model, lstm_forward, lstm_gradients),
                                            ("gru", gru_model, gru_forward, gru_gradients)):
        p = make(H, d, V)
        loss, g = gradients(p, tokens)
        print(f"{model}_loss {loss:.17g}")
        for name, value in g.items():
            print(f"{model}_gradient_norm_{name} {np.linalg.norm(value):.17g}")
        gradients(p, tokens)  # warm-up
        for name, f in (("forward", forward), ("gradient", gradients)):
            wall, cpu = median_ms(lambda: f(p, tokens), runs)
            print(f"{model}_{name}_ms {wall:.4f}")
            print(f"{model}_{name}_cpu_ms {cpu:.4f}")


if __name__ == "__main__":
    main()
