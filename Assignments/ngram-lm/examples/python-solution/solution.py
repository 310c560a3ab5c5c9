"""ngram-lm: a worked solution, in the form of the starter (starter-python/solution.py).

Ids 0 = <s>, 1 = </s>, 2…V+1 the words; one <s> and one </s> per sentence. The predicted tokens
are the words and </s>; the vocabulary of smoothing is V + 1; natural logs. The counting is that
of examples/solution.py.

    python3 solution.py inputs.npz answers.npz
"""
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


class Counts:
    """C(w), C(p w) (row = previous token), C(a b w) and the contexts of the training corpus."""

    def __init__(self, train, V):
        self.V = int(V)
        n_ids = self.V + 2
        self.unigram = np.zeros(n_ids)
        self.bigram = np.zeros((n_ids, n_ids))
        self.trigram, self.trigram_context = {}, {}
        corpus = sentences(train)
        for s in corpus:
            for t in s:
                self.unigram[t] += 1
            for i in range(1, len(s)):
                self.bigram[s[i - 1], s[i]] += 1
                if i >= 2:
                    key = (s[i - 2], s[i - 1], s[i])
                    self.trigram[key] = self.trigram.get(key, 0) + 1
                    self.trigram_context[key[:2]] = self.trigram_context.get(key[:2], 0) + 1
        self.context = self.bigram.sum(axis=1)
        self.N_train = sum(len(s) - 1 for s in corpus)

    def add_k(self, s, i):
        """P(x_i | history) under the add-k model of ORDER at position i of sentence s."""
        w, b = s[i], s[i - 1]
        if ORDER == 3 and i >= 2:
            a = s[i - 2]
            return (self.trigram.get((a, b, w), 0) + K) / (self.trigram_context.get((a, b), 0) + K * (self.V + 1))
        return (self.bigram[b, w] + K) / (self.context[b] + K * (self.V + 1))

    def backoff(self, s, i):
        """The lecture's simplified back-off: trigram → bigram → unigram → 1/#words."""
        w, b = s[i], s[i - 1]
        if i >= 2 and self.trigram.get((s[i - 2], b, w), 0) > 0:
            return self.trigram[(s[i - 2], b, w)] / self.trigram_context[(s[i - 2], b)]
        if self.bigram[b, w] > 0:
            return self.bigram[b, w] / self.context[b]
        if self.unigram[w] > 0:
            return self.unigram[w] / self.N_train
        return 1.0 / (self.V + 1)


def positions(test):
    """Every predicted token of the test corpus (its words and </s>), as (sentence, index)."""
    return [(s, i) for s in sentences(test) for i in range(1, len(s))]


def unigram_counts(train, V):
    """C(w) for every id w = 0…V+1 in train, <s> and </s> included."""
    return Counts(train, V).unigram


def bigram_counts(train, V):
    """C(w_{n−1} w_n) in train, row = previous token."""
    return Counts(train, V).bigram


def p_mle(train, V):
    """P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}); row 0 where C(w_{n−1}) = 0."""
    c = Counts(train, V)
    return np.divide(c.bigram, c.context[:, None], out=np.zeros_like(c.bigram), where=c.context[:, None] > 0)


def p_laplace(train, V):
    """P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)); column <s> 0."""
    c = Counts(train, V)
    table = (c.bigram + K) / (c.context[:, None] + K * (c.V + 1))
    table[:, 0] = 0.0
    return table


def p_backoff_test(train, test, V):
    """P*(x_i | x_{i−2}, x_{i−1}) of the simplified back-off at each predicted test token."""
    c = Counts(train, V)
    return np.array([c.backoff(s, i) for s, i in positions(test)])


def logprob_test(train, test, V):
    """log P(W) = Σ_i ln P(x_i | history) over the predicted test tokens."""
    c = Counts(train, V)
    return sum(np.log(c.add_k(s, i)) for s, i in positions(test))


def perplexity_test(train, test, V):
    """PP(W) = exp(−(1/N_test) Σ_i ln P(x_i | history))."""
    return np.exp(-logprob_test(train, test, V) / len(positions(test)))


def perplexity_uniform(test, V):
    """PP(W) of the uniform model P(w | ·) = 1/(V+1): every token has probability 1/(V+1)."""
    N = len(positions(test))
    return np.exp(-N * np.log(1.0 / (int(V) + 1)) / N)


def sentence_probability(train, sentence, V):
    """P(<s> w_1 … w_n </s>) = P(w_1 | <s>) · … · P(</s> | w_n)."""
    c = Counts(train, V)
    s = [0] + [int(w) for w in sentence] + [1]
    probability = 1.0
    for i in range(1, len(s)):
        probability *= c.add_k(s, i)
    return probability


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
