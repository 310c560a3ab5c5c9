// ngram-lm: N-gram language models: counts, Laplace smoothing, back-off and perplexity
//
// The n-gram language models of note 004, by counting. Token ids: 0 = <s>, 1 = </s>, 2…V+1 the V
// words (V is the input V). A corpus (train, test) is a sequence of sentences, each written <s> w_1
// … w_n </s> with exactly one <s> and one </s> (n ≥ 1), also for the trigram model; no n-gram
// crosses two sentences (there is no bigram </s> <s>). The predicted tokens are every word and
// every </s>, never <s>: a sentence of n words has n + 1 of them, and N is their number (N_test for
// test, N_train for train). Counts: C(w) counts every occurrence of id w in train, <s> and </s>
// included; C(w_{n−1} w_n) counts the adjacent pairs inside the sentences of train, row = the
// previous token w_{n−1}, column = the next token w_n. In a denominator, C(w_{n−1}) is the count of
// w_{n−1} as a context, Σ_w C(w_{n−1} w), and C(w_{n−2} w_{n−1}) = Σ_w C(w_{n−2} w_{n−1} w); so
// C(</s>) as a context is 0. Maximum likelihood: P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}),
// and the row 0 for a context with C(w_{n−1}) = 0. Add-k smoothing, k = smoothing_k = 1 (Laplace):
// P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)); the vocabulary of smoothing is
// |V| = V + 1, the words and </s> (<s> is never predicted: P(<s> | ·) = 0, column <s> of every
// table is 0); a context never seen in training gets 1/(V+1) for every predicted token. The add-k
// trigram model is (C(w_{n−2} w_{n−1} w_n) + k) / (C(w_{n−2} w_{n−1}) + k(V+1)), with the bigram
// for the first token after <s>. The model of logprob_test, perplexity_test and
// sentence_probability is the add-k model of order `order` = 2 (the bigram model); p_mle and
// p_laplace are bigram tables. Back-off (the lecture's simplified Katz back-off, trigram): for the
// predicted test token w = x_i with w'' = x_{i−1}, w' = x_{i−2} inside its sentence, P*(w | w',
// w'') = C(w' w'' w) / C(w' w'') if C(w' w'' w) > 0; else C(w'' w) / C(w'') if C(w'' w) > 0; else
// C(w) / N_train if C(w) > 0, N_train the predicted tokens of train (its words and </s>, not <s>);
// else 1/#words with #words = V + 1. The first token after <s> has no trigram and starts at the
// bigram; no discounting, no back-off weight α. Logarithms are natural (ln, np.log): log P(W) =
// Σ_{i=1…N} ln P(x_i | history) over the N_test predicted tokens of test, and PP(W) = exp(−(1/N) Σ
// ln P). The given sentence holds its words w_1 … w_n only; its probability is the product of its n
// + 1 factors P(w_1 | <s>) · … · P(</s> | w_n).
//
// Fill in each function. Return the array with the shape given in its comment (a matrix is an
// array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
// You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

import Foundation

/// C(w) for every id w = 0…V+1 in train, <s> and </s> included. Shape V+2.
func unigram_counts(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// C(w_{n−1} w_n) in train, row = previous token w_{n−1}, column = next token w_n. Shape V+2 × V+2.
func bigram_counts(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// P(w_n | w_{n−1}) = C(w_{n−1} w_n) / C(w_{n−1}); row 0 where C(w_{n−1}) = 0. Shape V+2 × V+2.
func p_mle(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// P(w_n | w_{n−1}) = (C(w_{n−1} w_n) + k) / (C(w_{n−1}) + k(V+1)); column <s> 0. Shape V+2 × V+2.
func p_laplace(_ p: Inputs) -> [[Double]]? {
  // TODO: your code here
  return nil
}

/// P*(x_i | x_{i−2}, x_{i−1}) of the simplified back-off at each predicted test token, in order.
/// Shape N_test.
func p_backoff_test(_ p: Inputs) -> [Double]? {
  // TODO: your code here
  return nil
}

/// log P(W) = Σ_i ln P(x_i | history) over the N_test predicted test tokens, add-k model of the
/// order. A scalar.
func logprob_test(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// PP(W) = exp(−(1/N_test) Σ_i ln P(x_i | history)). A scalar.
func perplexity_test(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// PP(W) of the uniform model P(w | ·) = 1/(V+1) on test. A scalar.
func perplexity_uniform(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}

/// P(<s> w_1 … w_n </s>) = P(w_1 | <s>) · … · P(</s> | w_n), add-k model of the order. A scalar.
func sentence_probability(_ p: Inputs) -> Double? {
  // TODO: your code here
  return nil
}
