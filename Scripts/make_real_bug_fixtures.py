#!/usr/bin/env python3
"""Writes the real-bug fixtures of the diagnosis tests: the worked NumPy solutions
(Assignments/<id>/examples/solution.py) with the bugs real students make, each a change of one
or a few lines, run on several students' inputs.

Run from the package root (the `grade` binary writes each student's inputs):

    swift build --product grade
    python3 Scripts/make_real_bug_fixtures.py

Output: Tests/GraderTests/Fixtures/real-bugs/ (emptied first): <assignment>.npz with one array
per case and changed item ("c0003.dW_hh") and manifest.json, as for the slip fixtures
(Scripts/make_slip_fixtures.py), each case with the bug in words and the words its diagnosis
must and must not contain.

Each edit is applied to the solution's source text (the script stops if the line is not there)
and the edited solution is run as it is. The slips a changed item must be named by are not
written by hand: for each item the script finds the smallest subset of the bug's candidate
slips whose independent NumPy implementation (make_slip_fixtures.py) gives the item's value, and
stops if there is none — so every expectation is checked twice, by an edit of real code and by
the slip's definition. Two bugs name their slip directly: min-char-rnn's clipping to ±5 (the
slip implementation clips at another threshold) and tanh in window-lm (which has no slip
implementation there).
"""

import json
import os
import shutil
import sys
import tempfile
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_slip_fixtures as slips  # noqa: E402

ROOT = slips.ROOT
OUT = os.path.join(ROOT, "Tests", "GraderTests", "Fixtures", "real-bugs")
STUDENTS = ["bug-1", "bug-2", "bug-3"]

TRUNCATED_BPTT = '''    # Backward through time as the tutorial truncates it: bptt_truncate = 4 steps back.
    bptt_truncate = 4
    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_h, dW_e, db_1, dE = np.zeros_like(W_h), np.zeros_like(W_e), np.zeros_like(b_1), np.zeros_like(E)
    dh0 = np.zeros(H)
    for t in reversed(range(T)):
        dU += np.outer(delta1[t], hs[t + 1]) / T
        db_2 += delta1[t] / T
        delta_t = (U.T @ delta1[t] / T) * dsig[t]
        for step in range(t, max(-1, t - bptt_truncate - 1), -1):
            dW_h += np.outer(delta_t, hs[step])
            dW_e += np.outer(delta_t, E[:, tokens[step]])
            db_1 += delta_t
            dE[:, tokens[step]] += W_e.T @ delta_t
            if step == 0:
                dh0 += W_h.T @ delta_t
            else:
                delta_t = (W_h.T @ delta_t) * dsig[step - 1]
'''

TRUNCATED_CANONICAL = '''    bptt_truncate = 2
    dh0 = np.zeros_like(h0)
    for t in reversed(range(T)):
        dy = ps[t].copy(); dy[tokens[t + 1]] -= 1
        dW_yh += np.outer(dy, hs[t]); db_y += dy
        dh_raw = (1 - hs[t] ** 2) * (W_yh.T @ dy)
        for step in range(t, max(-1, t - bptt_truncate - 1), -1):
            db_h += dh_raw
            dW_xh += np.outer(dh_raw, xs[step]); dW_hh += np.outer(dh_raw, hs[step - 1])
            if step == 0:
                dh0 += W_hh.T @ dh_raw
            else:
                dh_raw = (1 - hs[step - 1] ** 2) * (W_hh.T @ dh_raw)
    dh_next = dh0
'''

# assignment, the bug in words, [(old, new)], the candidate slips (or the one slip id every changed
# item is named by), words the message must contain, words it must not contain.
BUGS = [
    ("rnn-canonical", "the carry multiplied by W_hh instead of W_hhᵀ",
     [("dh_next = W_hh.T @ dh_raw", "dh_next = W_hh @ dh_raw")], [("carry:transposed", "carry")], ["W_hhᵀ"], []),
    ("rnn-canonical", "the initial state taken as zero",
     [("{-1: h0}", "{-1: np.zeros_like(h0)}")], [("h0:zero", "h0")], ["h^(0)"], []),
    ("rnn-canonical", "the initial state taken as zero and the biases left out",
     [("{-1: h0}", "{-1: np.zeros_like(h0)}"), (" + W_hh @ hs[t - 1] + b_h)", " + W_hh @ hs[t - 1])"), ("y = W_yh @ hs[t] + b_y", "y = W_yh @ hs[t]")],
     [("h0:zero", "h0"), ("bias-omitted", "biases")], [], []),
    ("rnn-canonical", "BPTT truncated as the tutorial does, bptt_truncate = 2",
     [("""    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dy = ps[t].copy(); dy[tokens[t + 1]] -= 1
        dW_yh += np.outer(dy, hs[t]); db_y += dy
        dh = W_yh.T @ dy + dh_next
        dh_raw = (1 - hs[t] ** 2) * dh
        db_h += dh_raw
        dW_xh += np.outer(dh_raw, xs[t]); dW_hh += np.outer(dh_raw, hs[t - 1])
        dh_next = W_hh.T @ dh_raw
""", TRUNCATED_CANONICAL)],
     [("truncated-bptt", "bptt", 3)], ["i = t−2 … t", "bptt_truncate = 2"], []),
    ("rnn-canonical", "min-char-rnn's clipping to ±5",
     [("    return dict(loss", "    for dparam in (dW_xh, dW_hh, dW_yh, db_h, db_y):\n        np.clip(dparam, -5, 5, out=dparam)\n    return dict(loss")],
     "gradient-clipped", ["np.clip"], []),
    ("rnn-bptt", "tanh where the assignment asks σ",
     [("h = sigmoid(z)", "h = np.tanh(z)"), ("dsig = [sigmoid(z) * (1 - sigmoid(z)) for z in zs]", "dsig = [1 - np.tanh(z) ** 2 for z in zs]")],
     [("h:activation-tanh", "h")], ["tanh"], []),
    ("rnn-bptt", "sigmoid() written as tanh, its derivative still σ(z)(1 − σ(z)) of that function",
     [("return 1.0 / (1.0 + np.exp(-z))", "return np.tanh(z)")],
     [("h:forward-only-tanh", "h")], ["h^(t)(1 − h^(t))"], []),
    ("rnn-bptt", "dW_h from the last step's loss J^(T) alone",
     [("    return dict(loss", "    dW_h = terms.sum(axis=0) / T\n    return dict(loss")], [("loss:last-term", "loss")], ["J^(T)"], []),
    ("rnn-bptt", "dW_h from the last step's loss J^(T) alone, without the 1/T",
     [("    return dict(loss", "    dW_h = terms.sum(axis=0)\n    return dict(loss")], [("loss:last-term", "loss"), ("mean-missing", "loss-scale")], [], []),
    ("rnn-bptt", "dW_e from a single step",
     [("dW_e += np.outer(dz, E[:, tokens[t]])", "dW_e = np.outer(dz, E[:, tokens[t]])")], [("input-weight:assigned-backward", "input-weight")], ["+="], []),
    ("rnn-bptt", "db_1 from a single step",
     [("db_1 += dz", "db_1 = dz.copy()")], [("hidden-bias:assigned-backward", "hidden-bias")], ["+="], []),
    ("rnn-bptt", "the embedding assigned in a forward loop",
     [("    dh_next = np.zeros(H)\n", "    dh_next = np.zeros(H)\n    dzs = {}\n"), ("dE[:, tokens[t]] += W_e.T @ dz", "dzs[t] = dz"),
      ("    dh0 = dh_next\n", "    for t in range(T):\n        dE[:, tokens[t]] = W_e.T @ dzs[t]\n    dh0 = dh_next\n")],
     [("embedding:scatter-assigned-forward", "embedding")], ["forward loop"], []),
    ("rnn-bptt", "the embedding assigned in the backward loop",
     [("dE[:, tokens[t]] += W_e.T @ dz", "dE[:, tokens[t]] = W_e.T @ dz")], [("embedding-assigned", "embedding")], [], []),
    ("rnn-bptt", "BPTT truncated as the tutorial does, bptt_truncate = 4",
     [("""    # Backward through time with the carry ∂J/∂h^(t).
    dU, db_2 = np.zeros_like(U), np.zeros_like(b_2)
    dW_h, dW_e, db_1, dE = np.zeros_like(W_h), np.zeros_like(W_e), np.zeros_like(b_1), np.zeros_like(E)
    dh_next = np.zeros(H)
    for t in reversed(range(T)):
        dU += np.outer(delta1[t], hs[t + 1]) / T
        db_2 += delta1[t] / T
        dh = U.T @ delta1[t] / T + dh_next
        dz = dh * dsig[t]
        dW_h += np.outer(dz, hs[t])
        dW_e += np.outer(dz, E[:, tokens[t]])
        db_1 += dz
        dE[:, tokens[t]] += W_e.T @ dz
        dh_next = W_h.T @ dz
    dh0 = dh_next
""", TRUNCATED_BPTT)],
     [("truncated-bptt", "bptt", 5)], ["i = t−4 … t", "bptt_truncate = 4", "k = 5"], []),
    ("rnn-bptt", "δ1 divided by T as well",
     [("delta1 = np.array([ys[t] - np.eye(V)[tokens[t + 1]] for t in range(T)])", "delta1 = np.array([ys[t] - np.eye(V)[tokens[t + 1]] for t in range(T)]) / T")],
     [("delta1:scaled", "delta1"), ("mean-applied-twice", "loss")], [], []),
    ("window-lm", "tanh where the assignment asks σ",
     [("h = sigmoid(z)", "h = np.tanh(z)"), ("delta2 = (U.T @ delta1) * h * (1 - h)", "delta2 = (U.T @ delta1) * (1 - h ** 2)")], "h:activation-tanh", ["tanh"], []),
]


def solver(assignment, edits):
    path = os.path.join(ROOT, "Assignments", assignment, "examples", "solution.py")
    source = open(path).read()
    for old, new in edits:
        if old not in source:
            sys.exit(f"{assignment}: the line to change is not in solution.py:\n{old}")
        source = source.replace(old, new)
    module = types.ModuleType(f"{assignment}-bug")
    exec(compile(source, path, "exec"), module.__dict__)
    return module.solve


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    manifest = {"generator": "Scripts/make_real_bug_fixtures.py", "numpy_version": np.__version__, "inputs": {}, "cases": []}
    tmp = tempfile.mkdtemp()
    arrays = {}
    counter = 0
    for assignment, bug, edits, candidates, contains, lacks in BUGS:
        right, wrong = solver(assignment, []), solver(assignment, edits)
        students = [f"bug-{k}" for k in range(1, 41)] if "clipping" in bug else STUDENTS
        for student in students:
            inp = slips.inputs_of(assignment, student, tmp)
            answers = {k: np.asarray(v, dtype=float) for k, v in wrong(dict(inp)).items()}
            correct = {k: np.asarray(v, dtype=float) for k, v in right(dict(inp)).items()}
            changed = [k for k in answers if slips.differs(answers[k], correct[k])]
            if not changed:
                continue
            expected = {}
            for item in changed:
                if isinstance(candidates, str):
                    expected[item] = [candidates]
                    continue
                subsets = [[c] for c in candidates] + ([candidates] if len(candidates) == 2 else [])
                for subset in subsets:
                    model = slips.compute(assignment, inp, subset)
                    if not slips.differs(model[item], answers[item]):
                        expected[item] = sorted(slips.key(c) for c in subset)
                        break
                else:
                    sys.exit(f"{assignment}/{student}: '{bug}' changes {item} in a way no subset of {candidates} gives")
            case = f"c{counter:04d}"
            counter += 1
            for item in changed:
                arrays.setdefault(assignment, {})[f"{case}.{item}"] = answers[item]
            manifest["cases"].append({"id": case, "assignment": assignment, "student": student, "bug": bug,
                                      "slips": sorted({s for v in expected.values() for s in v}), "items": expected,
                                      "message_contains": contains, "message_lacks": lacks})
            entries = np.concatenate([np.asarray(v, dtype=float).ravel() for _, v in sorted(inp.items())])
            manifest["inputs"].setdefault(assignment, {})[student] = {"sum": float(entries.sum()), "sum_squares": float((entries ** 2).sum())}
    for assignment, named in arrays.items():
        np.savez_compressed(os.path.join(OUT, f"{assignment}.npz"), **named)
    shutil.rmtree(tmp)
    with open(os.path.join(OUT, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"wrote {len(manifest['cases'])} cases of {len(BUGS)} bugs to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
