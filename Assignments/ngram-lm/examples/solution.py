"""A worked solution of ngram-lm in NumPy, written the way a student would.

    grade inputs ngram-lm --student alice --out inputs.npz
    python3 solution.py inputs.npz answers.npz
    grade check ngram-lm answers.npz --student alice

Ids 0 = <s>, 1 = </s>, 2…V+1 the words; one <s> and one </s> per sentence. The predicted tokens
are the words and </s>; the vocabulary of smoothing is V + 1; natural logs.
"""
import sys

import numpy as np

K = 1.0      # smoothing_k of the assignment (Laplace)
ORDER = 2    # order of the assignment (the bigram model)


def sentences(tokens):
    """The sentences of a corpus, each as a list <s> w_1 … w_n </s>."""
    out, current = [], []
    for t in tokens:
        current.append(int(t))
        if t == 1:
            out.append(current)
            current = []
    return out


def solve(inp):
    V = int(inp["V"])
    n_ids = V + 2
    train = sentences(inp["train"])
    test = sentences(inp["test"])
    sentence = [0] + [int(w) for w in inp["sentence"]] + [1]

    # Counts: C(w), C(p w) (row = previous token), C(a b w); contexts are the row sums.
    unigram = np.zeros(n_ids)
    bigram = np.zeros((n_ids, n_ids))
    trigram, trigram_context = {}, {}
    for s in train:
        for t in s:
            unigram[t] += 1
        for i in range(1, len(s)):
            bigram[s[i - 1], s[i]] += 1
            if i >= 2:
                trigram[(s[i - 2], s[i - 1], s[i])] = trigram.get((s[i - 2], s[i - 1], s[i]), 0) + 1
                trigram_context[(s[i - 2], s[i - 1])] = trigram_context.get((s[i - 2], s[i - 1]), 0) + 1
    context = bigram.sum(axis=1)                      # C(p) as a context
    N_train = sum(len(s) - 1 for s in train)          # words and </s>, not <s>

    # MLE: C(p w) / C(p), the row 0 for an unseen context.
    p_mle = np.divide(bigram, context[:, None], out=np.zeros_like(bigram), where=context[:, None] > 0)

    # Add-k: (C(p w) + k) / (C(p) + k(V+1)); <s> is never predicted.
    p_laplace = (bigram + K) / (context[:, None] + K * (V + 1))
    p_laplace[:, 0] = 0.0

    def add_k(s, i):
        """P(x_i | history) under the add-k model of ORDER at position i of sentence s."""
        w, b = s[i], s[i - 1]
        if ORDER == 3 and i >= 2:
            a = s[i - 2]
            return (trigram.get((a, b, w), 0) + K) / (trigram_context.get((a, b), 0) + K * (V + 1))
        return (bigram[b, w] + K) / (context[b] + K * (V + 1))

    def backoff(s, i):
        """The lecture's simplified back-off: trigram → bigram → unigram → 1/#words."""
        w, b = s[i], s[i - 1]
        if i >= 2 and trigram.get((s[i - 2], b, w), 0) > 0:
            return trigram[(s[i - 2], b, w)] / trigram_context[(s[i - 2], b)]
        if bigram[b, w] > 0:
            return bigram[b, w] / context[b]
        if unigram[w] > 0:
            return unigram[w] / N_train
        return 1.0 / (V + 1)

    positions = [(s, i) for s in test for i in range(1, len(s))]   # every word and </s>
    N = len(positions)
    logprob = sum(np.log(add_k(s, i)) for s, i in positions)
    p_backoff = np.array([backoff(s, i) for s, i in positions])
    uniform_logprob = N * np.log(1.0 / (V + 1))
    probability = 1.0
    for i in range(1, len(sentence)):
        probability *= add_k(sentence, i)

    return dict(
        unigram_counts=unigram, bigram_counts=bigram, p_mle=p_mle, p_laplace=p_laplace,
        p_backoff_test=p_backoff, logprob_test=np.array(logprob),
        perplexity_test=np.array(np.exp(-logprob / N)),
        perplexity_uniform=np.array(np.exp(-uniform_logprob / N)),
        sentence_probability=np.array(probability))


if __name__ == "__main__":
    inputs = np.load(sys.argv[1])
    np.savez(sys.argv[2], **solve(inputs))
