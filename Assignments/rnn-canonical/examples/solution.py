"""A worked solution of rnn-canonical in NumPy, in the style of min-char-rnn.

    grade inputs rnn-canonical --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check rnn-canonical answers.npz --student alice
"""
import sys

import numpy as np


def solve(inp):
    tokens = inp["tokens"].astype(int)
    W_xh, W_hh, W_yh, b_h, b_y, h0 = (inp[k] for k in ("W_xh", "W_hh", "W_yh", "b_h", "b_y", "h0"))
    T = len(tokens) - 1
    V = W_xh.shape[1]
    xs, hs, ps = {}, {-1: h0}, {}
    loss = 0.0
    for t in range(T):
        xs[t] = np.zeros(V); xs[t][tokens[t]] = 1
        hs[t] = np.tanh(W_xh @ xs[t] + W_hh @ hs[t - 1] + b_h)
        y = W_yh @ hs[t] + b_y
        ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
        loss += -np.log(ps[t][tokens[t + 1]])
    dW_xh, dW_hh, dW_yh = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(W_yh)
    db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dy = ps[t].copy(); dy[tokens[t + 1]] -= 1
        dW_yh += np.outer(dy, hs[t]); db_y += dy
        dh = W_yh.T @ dy + dh_next
        dh_raw = (1 - hs[t] ** 2) * dh
        db_h += dh_raw
        dW_xh += np.outer(dh_raw, xs[t]); dW_hh += np.outer(dh_raw, hs[t - 1])
        dh_next = W_hh.T @ dh_raw
    return dict(loss=np.array(loss), dW_xh=dW_xh, dW_hh=dW_hh, dW_yh=dW_yh, db_h=db_h, db_y=db_y, dh0=dh_next)


if __name__ == "__main__":
    np.savez(sys.argv[2], **solve(np.load(sys.argv[1])))
