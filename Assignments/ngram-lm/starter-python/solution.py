"""ngram-lm: N-gram language models: counts, Laplace smoothing, back-off and perplexity

The n-gram language models of note 004, by counting. Token ids: 0 = <s>, 1 = </s>, 2…V+1 the V words
(V is the input V). A corpus (train, test) is a sequence of sentences, each written <s> w_1 … w_n
</s> with exactly one <s> and one </s> (n ≥ 1), also for the trigram model; no n-gram crosses two
sentences (there is no bigram </s> <s>). The predicted tokens are every word and every </s>, never
<s>: a sentence of n words has n + 1 of them, and N is their number (N_test for test, N_train for
train). Counts: C(w) counts every occurrence of id w in train, <s> and </s> included; C(w_{n−1} w_n)
counts the adjacent pairs inside the sentences of train, row = the previous token w_{n−1}, column =
the next token w_n. In a denominator, C(w_{n−1}) is the count of w_{n−1} as a context, Σ_w C(w_{n−1}
w), and C(w_{n−2} w_{n−1}) = Σ_w C(w_{n−2} w_{n−1} w); so C(</s>) as a context is 0. Maximum
likelihood: P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}), and the row 0 for a context with
C(w_{n−1}) = 0. Add-k smoothing, k = smoothing_k = 1 (Laplace): P(w_n | w_{n−1}) = (C(w_{n−1} w_n) +
k) / (C(w_{n−1}) + k(V+1)); the vocabulary of smoothing is |V| = V + 1, the words and </s> (<s> is
never predicted: P(<s> | ·) = 0, column <s> of every table is 0); a context never seen in training
gets 1/(V+1) for every predicted token. The add-k trigram model is (C(w_{n−2} w_{n−1} w_n) + k) /
(C(w_{n−2} w_{n−1}) + k(V+1)), with the bigram for the first token after <s>. The model of
logprob_test, perplexity_test and sentence_probability is the add-k model of order `order` = 2 (the
bigram model); p_mle and p_laplace are bigram tables. Back-off (the lecture's simplified Katz
back-off, trigram): for the predicted test token w = x_i with w'' = x_{i−1}, w' = x_{i−2} inside its
sentence, P*(w | w', w'') = C(w' w'' w) / C(w' w'') if C(w' w'' w) > 0; else C(w'' w) / C(w'') if
C(w'' w) > 0; else C(w) / N_train if C(w) > 0, N_train the predicted tokens of train (its words and
</s>, not <s>); else 1/#words with #words = V + 1. The first token after <s> has no trigram and
starts at the bigram; no discounting, no back-off weight α. Logarithms are natural (ln, np.log): log
P(W) = Σ_{i=1…N} ln P(x_i | history) over the N_test predicted tokens of test, and PP(W) =
exp(−(1/N) Σ ln P). The given sentence holds its words w_1 … w_n only; its probability is the
product of its n + 1 factors P(w_1 | <s>) · … · P(</s> | w_n).

Fill in each function below. It receives the inputs it names as NumPy arrays (int64 for
indices and counts, float64 otherwise; a scalar input is a NumPy number) and returns its item
as an array of the shape its docstring gives (a scalar as a number). Leave `return None` for
an item you do not answer: it is reported as missing. You may import the Python standard
library and numpy, and add helper functions here or in other .py files beside this one.

    grade inputs ngram-lm --student <id> --out inputs.npz
    python3 solution.py inputs.npz answers.npz    # calls every function, saves the answers
    grade check ngram-lm solution.py --student <id>

`grade check` runs your functions in a sandbox at your own inputs (a self-check, not a
grade); the course's graded runs also run them on hidden inputs.

The inputs, in the order of every function's parameters (indices are 0-based):

    train     N_train+S_train  int64    the training corpus: S_train sentences <s> w_1 … w_n </s>
                                        one after the other, N_train predicted tokens
    test      N_test+S_test    int64    the test corpus: S_test sentences <s> w_1 … w_n </s>, N_test
                                        predicted tokens
    sentence  n                int64    the words w_1 … w_n of the given sentence (no <s>, no </s>)
    V         scalar           int64    the number of words: ids 2…V+1 (0 = <s>, 1 = </s>)
"""
import numpy as np


def unigram_counts(train, test, sentence, V):
    """C(w) for every id w = 0…V+1 in train, <s> and </s> included.

    Returns an array of shape V+2.
    """
    # TODO: your code here
    return None


def bigram_counts(train, test, sentence, V):
    """C(w_{n−1} w_n) in train, row = previous token w_{n−1}, column = next token w_n.

    Returns an array of shape V+2 × V+2.
    """
    # TODO: your code here
    return None


def p_mle(train, test, sentence, V):
    """P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}); row 0 where C(w_{n−1}) = 0.

    Returns an array of shape V+2 × V+2.
    """
    # TODO: your code here
    return None


def p_laplace(train, test, sentence, V):
    """P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)); column <s> 0.

    Returns an array of shape V+2 × V+2.
    """
    # TODO: your code here
    return None


def p_backoff_test(train, test, sentence, V):
    """P*(x_i | x_{i−2}, x_{i−1}) of the simplified back-off at each predicted test token, in order.

    Returns an array of shape N_test.
    """
    # TODO: your code here
    return None


def logprob_test(train, test, sentence, V):
    """log P(W) = Σ_i ln P(x_i | history) over the N_test predicted test tokens, add-k model of the
    order.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def perplexity_test(train, test, sentence, V):
    """PP(W) = exp(−(1/N_test) Σ_i ln P(x_i | history)).

    Returns a scalar.
    """
    # TODO: your code here
    return None


def perplexity_uniform(train, test, sentence, V):
    """PP(W) of the uniform model P(w | ·) = 1/(V+1) on test.

    Returns a scalar.
    """
    # TODO: your code here
    return None


def sentence_probability(train, test, sentence, V):
    """P(<s> w_1 … w_n </s>) = P(w_1 | <s>) · … · P(</s> | w_n), add-k model of the order.

    Returns a scalar.
    """
    # TODO: your code here
    return None


# The local runner: `python3 solution.py inputs.npz [answers.npz]` calls every function above
# with the inputs `grade inputs` wrote, prints the shape of each answer, and saves the answers
# (np.savez) when a second file is given. The grader imports this file and calls the
# functions itself; it never runs this part.

ITEMS = ["unigram_counts", "bigram_counts", "p_mle", "p_laplace", "p_backoff_test", "logprob_test",
    "perplexity_test", "perplexity_uniform", "sentence_probability"]


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
