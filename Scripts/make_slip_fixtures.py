#!/usr/bin/env python3
"""Writes the slip fixtures of the diagnosis tests: every single slip of the slip grammar at
every step of rnn-bptt, rnn-canonical, backprop-basics, lstm-lm and gru-lm, applied in NumPy to
several students' inputs, and random pairs of them (200 over the first three, 60 on each gated
model).

Run from the package root (the `grade` binary writes each student's inputs):

    swift build --product grade
    python3 Scripts/make_slip_fixtures.py

Output: Tests/GraderTests/Fixtures/slips/ (emptied first): <assignment>.npz with one array per
case and item ("c0012.dW_h"), and manifest.json:

    {"generator", "numpy_version", "students": {assignment: [ids]},
     "inputs": {assignment: {student: {"sum": Σ entries, "sum_squares": Σ entries²}}},
     "cases": [{"id", "assignment", "student", "slips": ["carry:transposed"],
                "items": {"dW_hh": ["carry:transposed"], …}}]}

Every slip is implemented here, in NumPy, from its definition — the student's own loop with one
line changed — and not by calling the grader: the Swift tests grade these answers and check
that the diagnosis names the slips. A case lists only the items the slips change, each with the
slips it should be named by: for a pair, the smallest subset of the two that gives the item's
value (a slip that does not reach an item is not expected in its name). A slip with a parameter
is written "truncated-bptt(3)". The input checksums let the tests notice when the grader's input
generation changed (then run this script again).

The slip ids are the grader's: today's mistake ids where the slip is one (sign-flipped,
truncated-bptt, …), else "<step>:<kind>" as Sources/Grader/Models/*/…Derivation.swift declares
them.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "GraderTests", "Fixtures", "slips")
GRADE = os.environ.get("GRADE", os.path.join(ROOT, ".build", "debug", "grade"))
STUDENTS = ["slip-1", "slip-2", "slip-3"]
PAIRS = 200
GATED_PAIRS = 60


def inputs_of(assignment, student, tmp):
    path = os.path.join(tmp, f"{assignment}-{student}.npz")
    subprocess.run([GRADE, "inputs", assignment, "--student", student, "--out", path], check=True, capture_output=True)
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


# MARK: - Activations: f, f′, and f′ written in the output h (where there is such a form)

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def swish(z):
    return z * sigmoid(z)


ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "hardtanh": (lambda z: np.clip(z, -1, 1), lambda z: ((z >= -1) & (z <= 1)).astype(float)),
    "leakyrelu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "swish": (swish, lambda z: sigmoid(z) + z * sigmoid(z) * (1 - sigmoid(z))),
}
IN_H = {"sigmoid": lambda h: h * (1 - h), "tanh": lambda h: 1 - h ** 2}


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def loss_and_delta1(S, ps, target, weight, diagonal_slip):
    """The loss of a language model's softmax outputs ŷ^(t) = ps[t] with the slips S: the weight w
    of each term (`weight`, the mean's 1/T or the sum's 1), which terms are kept, J, and
    δ1^(t) = ŷ^(t) − y^(t) (`diagonal_slip` names the slip that keeps only its diagonal)."""
    T, V = len(ps), len(ps[0])
    w = weight
    if "mean-missing" in S:
        w = 1.0
    if "mean-applied-twice" in S:
        w = 1.0 / T ** 2
    if "mean-on-sum" in S:
        w = 1.0 / T
    keep = np.ones(T)
    if "loss:last-term" in S:
        keep = np.eye(T)[T - 1]
    if "loss:first-term" in S:
        keep = np.eye(T)[0]
    loss = sum(w * keep[t] * -np.log(ps[t][target[t]]) for t in range(T))
    delta1 = []
    for t in range(T):
        d = ps[t].copy()
        if diagonal_slip in S:
            d = np.zeros(V)
            d[target[t]] = ps[t][target[t]] - 1
        else:
            d[target[t]] -= 1
            if "sign-flipped" in S:
                d = -d
        delta1.append(d)
    return w, keep, loss, delta1


def local_derivative(S, f, z, h, zs, t, f0):
    """∂h/∂z at step t as the slipped student computes it (f: the forward activation, f0: the
    assignment's)."""
    _, df = ACTIVATIONS[f]
    if any(f"h:forward-only-{g}" in S for g in ACTIVATIONS):
        return IN_H[f0](h)
    if "activation-for-derivative" in S:
        return h
    if "derivative-at-next-step" in S:
        return df(zs[min(t + 1, len(zs) - 1)])
    if "local:previous-step" in S:
        return df(zs[max(t - 1, 0)])
    if "local:derivative-at-output" in S:
        return df(h)
    if "local:dropped" in S:
        return np.ones_like(z)
    for g in ACTIVATIONS:
        if f"local:derivative-of-{g}" in S:
            return ACTIVATIONS[g][1](z)
        if f"local:derivative-formula-of-{g}" in S:
            return IN_H[g](h)
    return df(z)


# MARK: - The RNNs (rnn-bptt: the RNN-LM, mean, σ; rnn-canonical: min-char-rnn, sum, tanh)

def rnn(inp, S, canonical):
    """Every item of the RNN with the slips S (a dict id → parameter) applied."""
    tokens = inp["tokens"].astype(int)
    T = len(tokens) - 1
    if canonical:
        W_x, W_h, U, b_1, b_2, h0 = (inp[k] for k in ("W_xh", "W_hh", "W_yh", "b_h", "b_y", "h0"))
        f0, mean = "tanh", False
    else:
        E, W_h, W_e, b_1, U, b_2, h0 = (inp[k] for k in ("E", "W_h", "W_e", "b_1", "U", "b_2", "h0"))
        f0, mean = "sigmoid", True
    H, V = W_h.shape[0], U.shape[0]
    f = next((g for g in ACTIVATIONS if f"h:activation-{g}" in S or f"h:forward-only-{g}" in S), f0)
    act = ACTIVATIONS[f][0]

    # Forward, with the forward slips.
    h = np.zeros(H) if "h0:zero" in S else h0
    b1 = np.zeros(H) if ("bias-omitted" in S or "z:zero" in S) else b_1
    b2 = np.zeros(V) if ("bias-omitted" in S or "theta:zero" in S) else b_2
    Wf = W_h.T if "z:transposed" in S else W_h
    hs, zs, ps = [h], [], []
    for t in range(T):
        x_in = W_x[:, tokens[t]] if canonical else W_e @ E[:, tokens[t]]
        z = Wf @ hs[-1] + x_in + b1
        zs.append(z)
        hs.append(act(z))
        ps.append(softmax(U @ hs[-1] + b2))
    target = [tokens[t] if "target:previous-step" in S else tokens[t + 1] for t in range(T)]

    # The loss, the weight of each term and δ1; the local derivatives.
    w, keep, loss, delta1 = loss_and_delta1(S, ps, target, 1.0 / T if mean else 1.0, "diagonal-softmax-jacobian")
    D = [local_derivative(S, f, zs[t], hs[t + 1], zs, t, f0) for t in range(T)]

    def carry(v):
        if "carry:transposed" in S:
            return W_h @ v
        if "carry:dropped" in S:
            return v
        return W_h.T @ v

    own_term_only = "local:factor-on-own-term" in S
    scale = [w * keep[t] * ((T - t) if "output-error-recounted" in S else 1) for t in range(T)]
    own = [scale[t] * (U.T @ delta1[t]) for t in range(T)]

    # The extent of BPTT.
    window = S.get("truncated-bptt")
    chunks = S.get("bptt:truncated-chunks")
    if "only-current-step" in S:
        window = 1
    dz = [np.zeros(H) for _ in range(T)]
    dh0 = np.zeros(H)
    dh1 = np.zeros(H)
    if window is not None and window > 1:
        # The tutorial's loop: each loss term back-propagates through `window` steps.
        dh1 = own[0].copy()
        for t in reversed(range(T)):
            delta = own[t] * D[t]
            for step in range(t, max(-1, t - window), -1):
                dz[step] += delta
                if step == 0:
                    dh0 += carry(delta)
                    break
                if step - 1 <= t - window:
                    break
                c = carry(delta)
                if step - 1 == 0:
                    dh1 += c
                delta = c if own_term_only else c * D[step - 1]
    else:
        # The backward loop with the carry dh_next, cut where the truncation cuts it.
        dh_next = np.zeros(H)
        for t in reversed(range(T)):
            if window == 1 or (chunks is not None and (t + 1) % chunks == 0):
                dh_next = np.zeros(H)
            dh = own[t] + dh_next
            if t == 0:
                dh1 = dh
            dz[t] = own[t] * D[t] + dh_next if own_term_only else dh * D[t]
            dh_next = carry(dz[t])
        dh0 = dh_next

    def outer(a, b):
        return np.outer(b, a) if "transposed" in S else np.outer(a, b)

    def loop_sum(step, terms):
        """Σ of the per-step terms, as a loop that accumulates (or assigns, with the slip)."""
        if f"{step}:assigned-backward" in S:
            return terms[0]
        if f"{step}:assigned-forward" in S:
            return terms[T - 1]
        return sum(terms)

    state = [hs[t + 1] if "current-state-in-outer-product" in S else hs[t] for t in range(T)]
    out = {"loss": np.array(loss)}
    out_state = [hs[t] if "output-weight:previous-step" in S else hs[t + 1] for t in range(T)]
    out["W_yh" if canonical else "U"] = loop_sum("output-weight", [w * keep[t] * np.outer(delta1[t], out_state[t]) for t in range(T)])
    out["b_y" if canonical else "b_2"] = loop_sum("output-bias", [w * keep[t] * delta1[t] for t in range(T)])
    out["W_hh" if canonical else "W_h"] = loop_sum("recurrent-weight", [outer(dz[t], state[t]) for t in range(T)])
    out["b_h" if canonical else "b_1"] = loop_sum("hidden-bias", [dz[t] for t in range(T)])
    if "dh0:next-step" in S:
        out["h0"] = dh1
    elif "dh0:dropped" in S:
        out["h0"] = dz[0]
    else:
        out["h0"] = dh0

    def scatter(rows, pieces, step):
        m = np.zeros((rows, V))
        if "embedding-assigned" in S:
            for t in reversed(range(T)):
                m[:, tokens[t]] = pieces[t]
        elif f"{step}:scatter-assigned-forward" in S:
            for t in range(T):
                m[:, tokens[t]] = pieces[t]
        else:
            for t in range(T):
                m[:, tokens[t]] += pieces[t]
        return m

    if canonical:
        if "input-columns:assigned-backward" in S or "input-columns:assigned-forward" in S:
            t = 0 if "input-columns:assigned-backward" in S else T - 1
            out["W_xh"] = np.outer(dz[t], np.eye(V)[tokens[t]])
        else:
            out["W_xh"] = scatter(H, dz, "input-columns")
    else:
        out["W_e"] = loop_sum("input-weight", [np.outer(dz[t], E[:, tokens[t]]) for t in range(T)])
        out["E"] = scatter(E.shape[0], [W_e.T @ dz[t] for t in range(T)], "embedding")
        out["delta1"] = np.array(delta1)
        out["delta2"] = np.array(dz) if "delta2:extra-term" in S else np.array([(U.T @ delta1[t]) * D[t] for t in range(T)])
        # The terms of J^(T) alone, through the same steps.
        terms = np.zeros((T, H, H))
        if "terms:extra-term" in S:
            for i in range(T):
                terms[i] = outer(dz[i], state[i])
        else:
            first = 0
            if window is not None:
                first = max(0, T - window)
            if chunks is not None:
                first = ((T - 1) // chunks) * chunks
            delta = (U.T @ delta1[T - 1]) * D[T - 1]
            for i in range(T - 1, first - 1, -1):
                terms[i] = outer(delta, state[i])
                if i > 0:
                    c = carry(delta)
                    delta = c if own_term_only else c * D[i - 1]
        if "terms:cumulative" in S:
            terms = np.cumsum(terms[::-1], axis=0)[::-1]
        out["terms"] = terms
        if "delta1:scaled" in S:
            for k in ("delta1", "delta2", "terms"):
                out[k] = out[k] / T

    names = ({"loss": "loss", "W_xh": "dW_xh", "W_hh": "dW_hh", "W_yh": "dW_yh", "b_h": "db_h", "b_y": "db_y", "h0": "dh0"} if canonical else
             {"loss": "loss", "U": "dU", "b_2": "db_2", "W_h": "dW_h", "W_e": "dW_e", "b_1": "db_1", "E": "dE", "h0": "dh0",
              "delta1": "delta1", "delta2": "delta2", "terms": "dW_h_terms"})
    items = {names[k]: np.asarray(v, dtype=float) for k, v in out.items()}
    return after_derivation(items, S, gradients=[n for n in items if n not in ("loss", "delta1", "delta2", "dW_h_terms")])


def after_derivation(items, S, gradients):
    """The slips made on finished items: the row form reshaped, clipping."""
    if "row-column-swapped" in S:
        for k, v in items.items():
            if v.ndim == 2 and v.shape[0] != v.shape[1] and min(v.shape) > 1:
                items[k] = v.T.reshape(v.shape)
    if "gradient-clipped" in S:
        for k in gradients:
            c = 0.5 * np.abs(items[k]).max()
            items[k] = np.clip(items[k], -c, c)
    return items


# MARK: - backprop-basics

def basics(inp, S):
    f = next((g for g in ACTIVATIONS if f"h:activation-{g}" in S or f"h:forward-only-{g}" in S), "sigmoid")
    act = ACTIVATIONS[f][0]
    out = {}

    def layer(W, b, x, window):
        z = W @ x + (0 if "bias-omitted" in S else b)
        h = act(z)
        if window and "window.local:activation-for-derivative" in S:
            return h, h
        return h, local_derivative(S, f, z, h, [z], 0, "sigmoid")

    x, W, b, u = inp["x"], inp["W"], inp["b"], inp["u"]
    h, fp = layer(W, b, x, False)
    delta = fp if "delta:dropped" in S else u * fp
    out.update(dh_dz=np.diag(fp), delta=delta, ds_db=delta, ds_dW=np.outer(delta, x), ds_dx=W.T @ delta, ds_du=h)

    p = softmax(inp["theta"])
    label = int(inp["label"])
    if "diagonal-softmax-jacobian" in S:
        out["softmax_jacobian"] = np.diag(p * (1 - p))
    elif "softmax:sign-flipped" in S:
        out["softmax_jacobian"] = np.outer(p, p) - np.diag(p)
    elif "softmax:term-dropped" in S:
        out["softmax_jacobian"] = np.diag(p)
    else:
        out["softmax_jacobian"] = np.diag(p) - np.outer(p, p)

    def score_gradient(p, label):
        g = p.copy()
        if "diagonal-softmax-jacobian" in S:
            g = np.zeros_like(p)
            g[label] = p[label] - 1
        elif "ce:term-dropped" not in S:
            g[label] -= 1
            if "sign-flipped" in S:
                g = -g
        return g

    out["dCE_dtheta"] = score_gradient(p, label)

    window, W_win, b_win, u_win = inp["window"], inp["W_win"], inp["b_win"], inp["u_win"]
    xw = window.reshape(-1)
    hw, fw = layer(W_win, b_win, xw, True)
    J = sigmoid(u_win @ hw)
    if "activation-for-derivative" in S or "window.output:activation-for-derivative" in S:
        dJ_ds = J
    elif "window.output:dropped" in S:
        dJ_ds = 1.0
    elif "window.output:derivative-at-output" in S:
        dJ_ds = sigmoid(J) * (1 - sigmoid(J))
    else:
        dJ_ds = J * (1 - J)
    dw = dJ_ds * (fw if "window.delta:dropped" in S else u_win * fw)
    dx = W_win.T @ dw
    k, d = window.shape
    out["dJ_dwindow"] = dx.reshape(d, k).T if "window.split:strided" in S else dx.reshape(k, d)
    out.update(dJ_dW_win=np.outer(dw, xw), dJ_db_win=dw, dJ_du_win=dJ_ds * hw)

    X, labels, W_cls, reg = inp["X"], inp["y"].astype(int), inp["W_cls"], float(inp["reg"])
    S_ = X @ W_cls
    P = np.exp(S_ - S_.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G = np.array([score_gradient(P[i], labels[i]) for i in range(len(labels))])
    data = X.T @ G if "classifier.mean:scaled" in S else X.T @ G / len(labels)
    factor = 0.0 if "regularization-missing" in S else (1.0 if "l2-factor" in S else 2.0)
    out["dL_dW_cls"] = data + factor * reg * W_cls

    gx, gy, gz = inp["xyz"]
    a, m = gx + gy, max(gy, gz)
    y_wins = gy >= gz
    to_y = (not y_wins) if "max-routed-wrong" in S else y_wins
    via_max = a if to_y else 0.0
    dy = m if "branches-not-summed" in S else (via_max if "graph.branches:last-term" in S else m + via_max)
    out["graph_grad"] = np.array([m, dy, 0.0 if to_y else a])

    t = float(inp["t"])
    cx, cy = t ** 2, 2 * t
    via_x, via_y = 2 * cx * cy * 2 * t, (cx ** 2 - 2 * cy) * 2
    out["dz_dt"] = np.array(via_x if "chain-rule-one-path" in S else (via_y if "chain:last-term" in S else via_x + via_y))
    items = {k: np.asarray(v, dtype=float) for k, v in out.items()}
    return after_derivation(items, S, gradients=[])


# MARK: - The gated models: what lstm-lm and gru-lm share

def gated_output(S, tokens, hs, U, b2):
    """The output layer of a gated LM with the slips S: ŷ^(t), the targets, the weight w of the
    mean (or sum), which loss terms are kept, J, δ1^(t) and the output terms entering ∂J/∂h^(t)."""
    T = len(tokens) - 1
    ps = [softmax(U @ hs[t + 1] + b2) for t in range(T)]
    target = [tokens[t] if "target:previous-step" in S else tokens[t + 1] for t in range(T)]
    w, keep, loss, delta1 = loss_and_delta1(S, ps, target, 1.0 / T, "delta1:diagonal-only")
    own = [w * keep[t] * ((T - t) if "output-error:recounted" in S else 1) * (U.T @ delta1[t]) for t in range(T)]
    return w, keep, loss, delta1, own


def sig_prime(S, y, gate):
    """σ′ of the σ gate `gate` from its value y, as the slips S write it."""
    if "tanh-derivative-for-sigmoid-gates" in S or f"{gate}-local:derivative-of-tanh" in S:
        return 1 - y ** 2
    if f"{gate}-local:activation-for-derivative" in S:
        return y
    if f"{gate}-local:dropped" in S:
        return np.ones_like(y)
    return y * (1 - y)


def tanh_gate_prime(S, y, gate):
    """tanh′ of the tanh gate `gate` (g, n) from its value y, as the slips S write it."""
    if "sigmoid-derivative-for-tanh-gate" in S:
        return y * (1 - y)
    if f"{gate}-local:activation-for-derivative" in S:
        return y
    if f"{gate}-local:dropped" in S:
        return np.ones_like(y)
    return 1 - y ** 2


def backward_loop(S, T, own, step_back, carries):
    """The student's backward loop over `step_back(t, *carries) -> carries` (∂J/∂h first):
    one sweep t = T … 1, the carries cut between chunks or at every step, or with a window of
    k > 1 steps one sweep per loss term through its window. Returns the carries out of step 1."""
    window = S.get("truncated-bptt")
    chunks = S.get("bptt:truncated-chunks")
    if "only-current-step" in S:
        window = 1
    initial = [np.zeros_like(c) for c in carries]
    if window is not None and window > 1:
        # The tutorial's loop: each loss term through its window of steps.
        for s in range(T):
            back = [own[s]] + [np.zeros_like(c) for c in carries[1:]]
            first = max(0, s - window + 1)
            for t in range(s, first - 1, -1):
                back = list(step_back(t, *back))
                if t == 0:
                    for k in range(len(initial)):
                        initial[k] += back[k]
            # The state before the window's first step is a constant: nothing crosses it.
    else:
        into = [np.zeros_like(c) for c in carries]
        for t in reversed(range(T)):
            into = list(step_back(t, own[t] + into[0], *into[1:]))
            if t == 0:
                initial = into
            elif window == 1 or (chunks is not None and t % chunks == 0):
                into = [np.zeros_like(c) for c in carries]
    return initial


def loop_sum(S, step, terms):
    """Σ_t of a step's terms, or one term where the slips assign (=) it in a loop."""
    if f"{step}:assigned-backward" in S:
        return terms[0]
    if f"{step}:assigned-forward" in S:
        return terms[-1]
    return sum(terms)


def output_items(S, hs, w, keep, loss, delta1):
    """The output layer's items: J, dU, db_2."""
    T = len(delta1)
    out = {"loss": np.array(loss)}
    out["dU"] = loop_sum(S, "output-weight", [w * keep[t] * np.outer(delta1[t], hs[t] if "output-weight:previous-step" in S else hs[t + 1]) for t in range(T)])
    out["db_2"] = loop_sum(S, "output-bias", [w * keep[t] * delta1[t] for t in range(T)])
    return out


def embedding_gradient(S, tokens, W_x, rows, V):
    """dE: column x^(t) += W_xᵀ `rows`[t] (the adjoint of W_x e^(t)), or assigned in a loop."""
    T = len(tokens) - 1
    dE = np.zeros((W_x.shape[1], V))
    if "embedding-assigned" in S:
        for t in reversed(range(T)):
            dE[:, tokens[t]] = W_x.T @ rows[t]
    elif "embedding:scatter-assigned-forward" in S:
        for t in range(T):
            dE[:, tokens[t]] = W_x.T @ rows[t]
    else:
        for t in range(T):
            dE[:, tokens[t]] += W_x.T @ rows[t]
    return dE


def transposed_blocks(S, dW_h, H):
    """dW_h with each H × H gate block transposed where the slips S transpose it."""
    if "transposed" in S:
        return np.concatenate([dW_h[k:k + H].T for k in range(0, dW_h.shape[0], H)])
    return dW_h


# MARK: - lstm-lm (ifog, mean, full BPTT, h0 and c0 given)

def lstm(inp, S):
    """Every item of the LSTM LM with the slips S applied: the student's forward pass and
    backward loop (CS231n's lstm_step_backward, one step per t) with one line changed."""
    tokens = inp["tokens"].astype(int)
    T = len(tokens) - 1
    E, W_x, W_h, b, U, b_2, h0, c0 = (inp[k] for k in ("E", "W_x", "W_h", "b", "U", "b_2", "h0", "c0"))
    H, V = W_h.shape[1], U.shape[0]
    order = "ifog"
    read = "ifgo" if S.get("gate-order-swapped") == 1 else order
    at = {g: read.index(g) * H for g in "ifog"}
    if "forget-input-swapped" in S:
        at["i"], at["f"] = at["f"], at["i"]

    # Forward.
    h = np.zeros(H) if "h0:zero" in S else h0
    c = np.zeros(H) if "c0:zero" in S else c0
    bb = np.zeros(4 * H) if "gates:zero" in S else b
    b2 = np.zeros(V) if "theta:zero" in S else b_2
    hs, cs, es, I, F, O, G = [h], [c], [], [], [], [], []
    for t in range(T):
        e = E[:, tokens[t]]
        a = W_x @ e + W_h @ hs[-1] + bb
        i, f, o = (sigmoid(a[at[g]:at[g] + H]) for g in "ifo")
        g = np.tanh(a[at["g"]:at["g"] + H])
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        es.append(e); I.append(i); F.append(f); O.append(o); G.append(g)
    w, keep, loss, delta1, own = gated_output(S, tokens, hs, U, b2)

    def tanh_prime_cell(cell):
        tc = np.tanh(cell)
        if "cell-tanh-derivative-missing" in S:
            return np.ones_like(cell)
        if "cell-local:activation-for-derivative" in S:
            return tc
        if "cell-local:derivative-of-sigmoid" in S:
            return sigmoid(cell) * (1 - sigmoid(cell))
        return 1 - tc ** 2

    dh_rows, dc_rows, da_rows = np.zeros((T, H)), np.zeros((T, H)), np.zeros((T, 4 * H))

    def step_back(t, dh, dnext_c):
        """lstm_step_backward at step t (0-based): the rows, and the carries to step t − 1."""
        i, f, o, g = I[t], F[t], O[t], G[t]
        cell, prev = cs[t + 1], cs[t]
        dc = dnext_c + (0 if "cell-tanh-path-missing" in S else dh * o * tanh_prime_cell(cell))
        da = np.zeros(4 * H)
        da[at["i"]:at["i"] + H] = dc * g * sig_prime(S, i, "i")
        da[at["f"]:at["f"] + H] = dc * (cell if "current-cell-in-forget-gate" in S else prev) * sig_prime(S, f, "f")
        da[at["o"]:at["o"] + H] = dh * (cell if "output-gate-without-tanh" in S else np.tanh(cell)) * sig_prime(S, o, "o")
        da[at["g"]:at["g"] + H] = dc * i * tanh_gate_prime(S, g, "g")
        dh_rows[t] += dh
        dc_rows[t] += dc
        da_rows[t] += da
        if "hidden-carry-missing" in S:
            dprev_h = np.zeros(H)
        elif "hidden-carry:transposed" in S:
            dprev_h = sum(W_h[k:k + H] @ da[k:k + H] for k in at.values())
        else:
            dprev_h = W_h.T @ da
        if "cell-carry-missing" in S:
            dprev_c = np.zeros(H)
        elif "cell-carry-without-forget-gate" in S:
            dprev_c = dc
        else:
            dprev_c = dc * f
        return dprev_h, dprev_c

    dh0, dc0 = backward_loop(S, T, own, step_back, [np.zeros(H), np.zeros(H)])
    out = output_items(S, hs, w, keep, loss, delta1)
    out["dW_h"] = transposed_blocks(S, loop_sum(S, "recurrent-weight", [np.outer(da_rows[t], hs[t + 1] if "recurrent-weight:next-step" in S else hs[t]) for t in range(T)]), H)
    out["dW_x"] = loop_sum(S, "input-weight", [np.outer(da_rows[t], es[t]) for t in range(T)])
    out["db"] = loop_sum(S, "bias", [da_rows[t] for t in range(T)])
    out["dE"] = embedding_gradient(S, tokens, W_x, da_rows, V)
    out["dh0"] = dh_rows[0].copy() if "dh0:next-step" in S else dh0
    out["dc0"] = dc0
    out["dh"], out["dc"], out["da"] = dh_rows, dc_rows, da_rows
    if S.get("gate-order-swapped") == 2:
        # The gradients written in the blocks of the other order, ifgo.
        def rewrite(m):
            r = np.zeros_like(m)
            for g in "ifog":
                r["ifgo".index(g) * H:"ifgo".index(g) * H + H] = m[order.index(g) * H:order.index(g) * H + H]
            return r
        for k in ("dW_x", "dW_h", "db"):
            out[k] = rewrite(out[k])
        out["da"] = rewrite(out["da"].T).T
    items = {k: np.asarray(v, dtype=float) for k, v in out.items()}
    return after_derivation(items, S, gradients=["dU", "db_2", "dW_x", "dW_h", "db", "dE", "dh0", "dc0"])


# MARK: - gru-lm (reset after, update keep, mean, full BPTT, h0 given)

def gru(inp, S):
    """Every item of the GRU LM with the slips S applied: the student's forward pass and
    backward loop with one line changed."""
    tokens = inp["tokens"].astype(int)
    T = len(tokens) - 1
    E, W_x, W_h, b_x, b_h, U, b_2, h0 = (inp[k] for k in ("E", "W_x", "W_h", "b_x", "b_h", "U", "b_2", "h0"))
    H, V = W_h.shape[1], U.shape[0]
    keep_fw = S.get("update-gate-swapped") != 1
    keep = keep_fw != (S.get("update-gate-swapped") == 2)
    after = "reset-misplaced" not in S
    W_hr, W_hz, W_hn = W_h[:H], W_h[H:2 * H], W_h[2 * H:]
    bx = np.zeros(3 * H) if "gates:zero" in S else b_x
    bh = np.zeros(3 * H) if "gates:zero" in S else b_h
    b2 = np.zeros(V) if "theta:zero" in S else b_2
    hs = [np.zeros(H) if "h0:zero" in S else h0]
    es, R, Z, N, AHN = [], [], [], [], []
    for t in range(T):
        hp = hs[-1]
        e = E[:, tokens[t]]
        ax = W_x @ e + bx
        r = sigmoid(ax[:H] + W_hr @ hp + bh[:H])
        z = sigmoid(ax[H:2 * H] + W_hz @ hp + bh[H:2 * H])
        if after:
            ahn = W_hn @ hp + bh[2 * H:]
            n = np.tanh(ax[2 * H:] + r * ahn)
        else:
            ahn = W_hn @ (r * hp) + bh[2 * H:]
            n = np.tanh(ax[2 * H:] + ahn)
        hs.append((1 - z) * n + z * hp if keep_fw else z * n + (1 - z) * hp)
        es.append(e); R.append(r); Z.append(z); N.append(n); AHN.append(ahn)
    w, keep_term, loss, delta1, own = gated_output(S, tokens, hs, U, b2)

    dh_rows, dax_rows, dah_rows, dbh_rows = np.zeros((T, H)), np.zeros((T, 3 * H)), np.zeros((T, 3 * H)), np.zeros((T, 3 * H))
    untransposed = "gate-carry:transposed" in S

    def step_back(t, dh):
        r, z, n, hp, ahn = R[t], Z[t], N[t], hs[t], AHN[t]
        dn = dh * (1 - z) if keep else dh * z
        dz = dh * (hp - n) if keep else dh * (n - hp)
        if "update-local:sign-flipped" in S:
            dz = -dz
        dnh = dn * tanh_gate_prime(S, n, "n")
        dzh = dz * sig_prime(S, z, "z")
        Wn = W_hn if untransposed else W_hn.T
        if after:
            dahn = dnh * r
            drh = dnh * ahn * sig_prime(S, r, "r")
            through = Wn @ (dnh if "reset-left-out-of-carry" in S else dahn)
        else:
            q = Wn @ dnh
            dahn = dnh
            drh = (W_hn.T @ dnh) * hp * sig_prime(S, r, "r")
            through = q if "reset-left-out-of-carry" in S else q * r
        dax = np.concatenate([drh, dzh, dnh])
        dah = np.concatenate([drh, dzh, dahn])
        dh_rows[t] += dh
        dax_rows[t] += dax
        dah_rows[t] += dah
        dbh_rows[t] += dax if (after and "reset-bias-without-gate" in S) else dah
        if "gate-carry:not-propagated" in S:
            carry = np.zeros(H)
        elif untransposed:
            carry = W_hr @ drh + W_hz @ dzh + through
        else:
            carry = W_hr.T @ drh + W_hz.T @ dzh + through
        if "direct-carry:dropped" in S:
            carry = carry + dh
        elif "direct-path-missing" not in S:
            carry = carry + dh * (z if keep else 1 - z)
        return (carry,)

    dh0, = backward_loop(S, T, own, step_back, [np.zeros(H)])
    out = output_items(S, hs, w, keep_term, loss, delta1)
    out["dW_x"] = loop_sum(S, "input-weight", [np.outer(dax_rows[t], es[t]) for t in range(T)])
    out["db_x"] = loop_sum(S, "input-bias", [dax_rows[t] for t in range(T)])
    out["db_h"] = loop_sum(S, "hidden-bias", [dbh_rows[t] for t in range(T)])

    def dW_h_term(t):
        hp = hs[t]
        n_input = hp if after else R[t] * hp
        return np.concatenate([np.outer(dah_rows[t][:H], hp), np.outer(dah_rows[t][H:2 * H], hp), np.outer(dah_rows[t][2 * H:], n_input)])
    out["dW_h"] = transposed_blocks(S, loop_sum(S, "recurrent-weight", [dW_h_term(t) for t in range(T)]), H)
    out["dE"] = embedding_gradient(S, tokens, W_x, dax_rows, V)
    out["dh0"] = dh_rows[0].copy() if "dh0:next-step" in S else dh0
    out["dh"] = dh_rows
    items = {k: np.asarray(v, dtype=float) for k, v in out.items()}
    return after_derivation(items, S, gradients=["dU", "db_2", "dW_x", "dW_h", "db_x", "db_h", "dE", "dh0"])


# MARK: - The slips of each assignment: id, step (pairs take two steps), parameters

def slip_table(assignment):
    if assignment == "gru-lm":
        T = 6
        gates = [(f"{g}-local:{k}", f"{g}-local") for g in "rz" for k in ("activation-for-derivative", "dropped", "derivative-of-tanh")]
        return ([("h0:zero", "h0"), ("update-gate-swapped", "update-gate", 1), ("update-gate-swapped", "update-gate", 2),
                 ("reset-misplaced", "reset"), ("gates:zero", "gates"), ("theta:zero", "theta"), ("target:previous-step", "target"),
                 ("mean-missing", "loss"), ("mean-applied-twice", "loss"), ("loss:last-term", "loss"), ("loss:first-term", "loss"),
                 ("sign-flipped", "delta1"), ("delta1:diagonal-only", "delta1"), ("output-error:recounted", "output-error"),
                 ("update-local:sign-flipped", "update-local"), ("sigmoid-derivative-for-tanh-gate", "n-local"),
                 ("n-local:activation-for-derivative", "n-local"), ("n-local:dropped", "n-local"),
                 ("tanh-derivative-for-sigmoid-gates", "gates-local")] + gates
                + [("direct-path-missing", "direct-carry"), ("direct-carry:dropped", "direct-carry"), ("reset-left-out-of-carry", "candidate-carry"),
                   ("gate-carry:not-propagated", "gate-carry"), ("gate-carry:transposed", "gate-carry"), ("only-current-step", "bptt")]
                + [("truncated-bptt", "bptt", k) for k in range(2, T)] + [("bptt:truncated-chunks", "bptt", k) for k in range(2, T)]
                + [("dh0:next-step", "dh0"), ("transposed", "recurrent-weight"),
                   ("recurrent-weight:assigned-backward", "recurrent-weight"), ("recurrent-weight:assigned-forward", "recurrent-weight"),
                   ("input-weight:assigned-backward", "input-weight"), ("input-weight:assigned-forward", "input-weight"),
                   ("input-bias:assigned-backward", "input-bias"), ("input-bias:assigned-forward", "input-bias"),
                   ("reset-bias-without-gate", "hidden-bias"), ("hidden-bias:assigned-backward", "hidden-bias"), ("hidden-bias:assigned-forward", "hidden-bias"),
                   ("output-weight:previous-step", "output-weight"), ("output-weight:assigned-backward", "output-weight"),
                   ("output-weight:assigned-forward", "output-weight"), ("output-bias:assigned-backward", "output-bias"),
                   ("output-bias:assigned-forward", "output-bias"), ("embedding-assigned", "embedding"),
                   ("embedding:scatter-assigned-forward", "embedding"), ("row-column-swapped", "convention"), ("gradient-clipped", "update")])
    if assignment == "lstm-lm":
        T = 6
        gates = [(f"{g}-local:{k}", f"{g}-local") for g in "ifo" for k in ("activation-for-derivative", "dropped", "derivative-of-tanh")]
        return ([("h0:zero", "h0"), ("c0:zero", "c0"), ("gate-order-swapped", "gate-order", 1), ("gate-order-swapped", "gate-order", 2),
                 ("gates:zero", "gates"), ("theta:zero", "theta"), ("forget-input-swapped", "cell"), ("target:previous-step", "target"),
                 ("mean-missing", "loss"), ("mean-applied-twice", "loss"), ("loss:last-term", "loss"), ("loss:first-term", "loss"),
                 ("sign-flipped", "delta1"), ("delta1:diagonal-only", "delta1"), ("output-error:recounted", "output-error"),
                 ("cell-tanh-path-missing", "cell-path"), ("cell-tanh-derivative-missing", "cell-local"),
                 ("cell-local:activation-for-derivative", "cell-local"), ("cell-local:derivative-of-sigmoid", "cell-local"),
                 ("output-gate-without-tanh", "output-gate"), ("current-cell-in-forget-gate", "forget-factor"),
                 ("tanh-derivative-for-sigmoid-gates", "gates-local")] + gates
                + [("sigmoid-derivative-for-tanh-gate", "g-local"), ("g-local:activation-for-derivative", "g-local"), ("g-local:dropped", "g-local"),
                   ("hidden-carry-missing", "hidden-carry"), ("hidden-carry:transposed", "hidden-carry"),
                   ("cell-carry-missing", "cell-carry"), ("cell-carry-without-forget-gate", "cell-carry"), ("only-current-step", "bptt")]
                + [("truncated-bptt", "bptt", k) for k in range(2, T)] + [("bptt:truncated-chunks", "bptt", k) for k in range(2, T)]
                + [("dh0:next-step", "dh0"), ("recurrent-weight:next-step", "recurrent-weight"), ("transposed", "recurrent-weight"),
                   ("recurrent-weight:assigned-backward", "recurrent-weight"), ("recurrent-weight:assigned-forward", "recurrent-weight"),
                   ("input-weight:assigned-backward", "input-weight"), ("input-weight:assigned-forward", "input-weight"),
                   ("bias:assigned-backward", "bias"), ("bias:assigned-forward", "bias"),
                   ("output-weight:previous-step", "output-weight"), ("output-weight:assigned-backward", "output-weight"),
                   ("output-weight:assigned-forward", "output-weight"), ("output-bias:assigned-backward", "output-bias"),
                   ("output-bias:assigned-forward", "output-bias"), ("embedding-assigned", "embedding"),
                   ("embedding:scatter-assigned-forward", "embedding"), ("row-column-swapped", "convention"), ("gradient-clipped", "update")])
    T = 6
    local = [("activation-for-derivative", "local"), ("local:derivative-at-output", "local"), ("local:dropped", "local")]
    if assignment == "backprop-basics":
        others = ["tanh", "relu", "hardtanh", "leakyrelu", "swish"]
        return ([("bias-omitted", "biases")] + [(f"h:activation-{g}", "h") for g in others] + [("h:forward-only-tanh", "h")] + local
                + [(f"local:derivative-of-{g}", "local") for g in others] + [("local:derivative-formula-of-tanh", "local"),
                   ("window.local:activation-for-derivative", "window.local"), ("window.output:activation-for-derivative", "window.output"),
                   ("window.output:dropped", "window.output"), ("window.output:derivative-at-output", "window.output"),
                   ("delta:dropped", "delta"), ("window.delta:dropped", "window.delta"), ("window.split:strided", "window.split"),
                   ("diagonal-softmax-jacobian", "softmax"), ("softmax:sign-flipped", "softmax"), ("softmax:term-dropped", "softmax"),
                   ("sign-flipped", "ce"), ("ce:term-dropped", "ce"), ("classifier.mean:scaled", "classifier.mean"),
                   ("regularization-missing", "classifier.regularization"), ("l2-factor", "classifier.regularization"),
                   ("max-routed-wrong", "graph.max"), ("branches-not-summed", "graph.branches"), ("graph.branches:last-term", "graph.branches"),
                   ("chain-rule-one-path", "chain"), ("chain:last-term", "chain"), ("row-column-swapped", "convention")])
    canonical = assignment == "rnn-canonical"
    f = "tanh" if canonical else "sigmoid"
    others = [g for g in ["tanh", "sigmoid", "relu", "hardtanh", "leakyrelu", "swish"] if g != f]
    table = ([("h0:zero", "h0"), ("z:transposed", "z"), ("z:zero", "z"), ("theta:zero", "theta"), ("bias-omitted", "biases"),
              ("target:previous-step", "target")] + [(f"h:activation-{g}", "h") for g in others]
             + [("h:forward-only-sigmoid" if canonical else "h:forward-only-tanh", "h")]
             + ([("mean-on-sum", "loss")] if canonical else [("mean-missing", "loss"), ("mean-applied-twice", "loss")])
             + [("loss:last-term", "loss"), ("loss:first-term", "loss"), ("sign-flipped", "delta1"), ("diagonal-softmax-jacobian", "delta1")]
             + ([] if canonical else [("delta1:scaled", "delta1")])
             + [("output-error-recounted", "output-error")] + local
             + [("derivative-at-next-step", "local"), ("local:previous-step", "local"), ("local:factor-on-own-term", "local")]
             + [(f"local:derivative-of-{g}", "local") for g in others]
             + [("local:derivative-formula-of-sigmoid" if canonical else "local:derivative-formula-of-tanh", "local"),
                ("carry:transposed", "carry"), ("carry:dropped", "carry"), ("only-current-step", "bptt")]
             + [(f"truncated-bptt", "bptt", k) for k in range(2, T)] + [(f"bptt:truncated-chunks", "bptt", k) for k in range(2, T)]
             + [("dh0:next-step", "dh0"), ("dh0:dropped", "dh0"), ("current-state-in-outer-product", "recurrent-weight"),
                ("transposed", "recurrent-weight"), ("recurrent-weight:assigned-backward", "recurrent-weight"),
                ("recurrent-weight:assigned-forward", "recurrent-weight"), ("hidden-bias:assigned-backward", "hidden-bias"),
                ("hidden-bias:assigned-forward", "hidden-bias"), ("output-weight:previous-step", "output-weight"),
                ("output-weight:assigned-backward", "output-weight"), ("output-weight:assigned-forward", "output-weight"),
                ("output-bias:assigned-backward", "output-bias"), ("output-bias:assigned-forward", "output-bias"),
                ("embedding-assigned", "input-columns" if canonical else "embedding"),
                ("row-column-swapped", "convention"), ("gradient-clipped", "update")])
    if canonical:
        table += [("input-columns:scatter-assigned-forward", "input-columns"), ("input-columns:assigned-backward", "input-columns"),
                  ("input-columns:assigned-forward", "input-columns")]
    else:
        table += [("embedding:scatter-assigned-forward", "embedding"), ("input-weight:assigned-backward", "input-weight"),
                  ("input-weight:assigned-forward", "input-weight"), ("delta2:extra-term", "delta2"),
                  ("terms:extra-term", "terms"), ("terms:cumulative", "terms")]
    return table


# Slips that set the same switch in the grader (they cannot be made together).
EXCLUSIVE = [{"bias-omitted", "z:zero"}, {"bias-omitted", "theta:zero"}, {"activation-for-derivative", "window.local:activation-for-derivative"},
             {"activation-for-derivative", "window.output:activation-for-derivative"}, {"activation-for-derivative", "window.output:dropped"},
             {"activation-for-derivative", "window.output:derivative-at-output"}, {"diagonal-softmax-jacobian", "sign-flipped"},
             {"diagonal-softmax-jacobian", "ce:term-dropped"}] + [
             {"tanh-derivative-for-sigmoid-gates", f"{g}-local:{k}"} for g in "ifo" for k in ("activation-for-derivative", "dropped", "derivative-of-tanh")] + [
             {"tanh-derivative-for-sigmoid-gates", f"{g}-local:{k}"} for g in "rz" for k in ("activation-for-derivative", "dropped", "derivative-of-tanh")] + [
             {"update-gate-swapped", "update-local:sign-flipped"}]


# Two slips with the same value on an item, where the grader's derivation declares only one of
# them there (Sources/Grader/Models/LSTMLanguageModel/LSTMDerivation.swift): without the path
# through h^(t) no gradient reaches the cell, so dc0 is zero as without the cell carry; with both
# carries cut, ∂J/∂h^(t) is the output term alone, as without the hidden carry.
SAME_VALUE = {("lstm-lm", "cell-tanh-path-missing", "dc0"): "cell-carry-missing",
              ("lstm-lm", "only-current-step", "dh"): "hidden-carry-missing"}


def compute(assignment, inp, slips):
    S = {s[0]: (s[2] if len(s) > 2 else None) for s in slips}
    if assignment == "backprop-basics":
        return basics(inp, S)
    if assignment == "lstm-lm":
        return lstm(inp, S)
    if assignment == "gru-lm":
        return gru(inp, S)
    return rnn(inp, S, canonical=assignment == "rnn-canonical")


def key(slip):
    return slip[0] + (f"({slip[2]})" if len(slip) > 2 else "")


def differs(a, b):
    return not np.allclose(a, b, rtol=1e-9, atol=1e-12)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    manifest = {"generator": "Scripts/make_slip_fixtures.py", "numpy_version": np.__version__, "students": {}, "inputs": {}, "cases": []}
    rng = random.Random(20261201)
    tmp = tempfile.mkdtemp()
    counter = 0
    for assignment in ["rnn-bptt", "rnn-canonical", "backprop-basics", "lstm-lm", "gru-lm"]:
        arrays = {}
        table = slip_table(assignment)
        manifest["students"][assignment] = STUDENTS
        manifest["inputs"][assignment] = {}
        inputs = {s: inputs_of(assignment, s, tmp) for s in STUDENTS}
        for s, inp in inputs.items():
            entries = np.concatenate([np.asarray(v, dtype=float).ravel() for _, v in sorted(inp.items())])
            manifest["inputs"][assignment][s] = {"sum": float(entries.sum()), "sum_squares": float((entries ** 2).sum())}
        correct = {s: compute(assignment, inputs[s], []) for s in STUDENTS}
        singles = {}

        def add(student, slips, expected):
            nonlocal counter
            if not expected:
                return
            case = f"c{counter:04d}"
            counter += 1
            values = compute(assignment, inputs[student], slips)
            for item in expected:
                arrays[f"{case}.{item}"] = values[item]
                expected[item] = sorted({SAME_VALUE.get((assignment, k, item), k) for k in expected[item]})
            manifest["cases"].append({"id": case, "assignment": assignment, "student": student,
                                      "slips": [key(s) for s in slips], "items": expected})

        for student in STUDENTS:
            for slip in table:
                values = compute(assignment, inputs[student], [slip])
                singles[(student, key(slip))] = values
                changed = [i for i in values if differs(values[i], correct[student][i])]
                add(student, [slip], {i: [key(slip)] for i in changed})
        made = 0
        wanted = GATED_PAIRS if assignment in ("lstm-lm", "gru-lm") else PAIRS // 3 + (1 if assignment == "rnn-bptt" else 0) + (1 if assignment == "rnn-canonical" else 0)
        while made < wanted:
            a, b = rng.sample(table, 2)
            if a[1] == b[1] or {a[0], b[0]} in EXCLUSIVE:
                continue
            student = rng.choice(STUDENTS)
            both = compute(assignment, inputs[student], [a, b])
            va, vb, v0 = singles[(student, key(a))], singles[(student, key(b))], correct[student]
            expected = {}
            for item in both:
                if not differs(both[item], v0[item]):
                    continue
                if not differs(both[item], va[item]):
                    expected[item] = [key(a)]
                elif not differs(both[item], vb[item]):
                    expected[item] = [key(b)]
                else:
                    expected[item] = sorted([key(a), key(b)])
            if any(len(v) == 2 for v in expected.values()):
                add(student, [a, b], expected)
                made += 1
        np.savez_compressed(os.path.join(OUT, f"{assignment}.npz"), **arrays)
    shutil.rmtree(tmp)
    with open(os.path.join(OUT, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
        out.write("\n")
    singles = sum(1 for c in manifest["cases"] if len(c["slips"]) == 1)
    print(f"wrote {len(manifest['cases'])} cases ({singles} single slips, {len(manifest['cases']) - singles} pairs) to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
