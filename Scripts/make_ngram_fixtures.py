#!/usr/bin/env python3
"""Writes the nltk.lm fixtures of the NGram tests.

Run from the package root (needs nltk: `pip install nltk`; nothing else):

    python3 Scripts/make_ngram_fixtures.py

Output: Tests/NGramTests/Fixtures/nltk/ (the folder is emptied first): one JSON file per case
and manifest.json, which names the generator, the nltk and Python versions, the conventions
below and every case file. `swift test` only reads the committed JSON; it never runs nltk.

The package's convention (Sources/NGram/NGramToken.swift):
  ids 0 = <s>, 1 = </s>, 2 ... V+1 the V words; every sentence written <s> w_1 ... w_n </s>
  (one <s>, also for trigrams); <s> is context only, never predicted; the vocabulary size of
  smoothing is V + 1 (the words and </s>); C(prev) in a denominator is the count of prev as a
  context (the n-grams that begin with it); N counts every word and every </s> of the test set.

Where nltk.lm's conventions differ, and how each fixture maps them:

  padding    nltk pads a sentence with n - 1 <s> and n - 1 </s> (pad_both_ends). For bigrams
             that is exactly <s> w_1 ... w_n </s>: counts, MLE, Laplace and perplexity over the
             padded test bigrams coincide with ours. For trigrams nltk writes <s> <s> w_1 ...
             w_n </s> </s>: its trigram (<s>, <s>, w_1) has the counts of our bigram (<s>, w_1)
             (C(<s> <s> w_1) = C(<s> w_1), C(<s> <s>) = S = C(<s>)), so its score for w_1 equals
             our bigram fallback for the first word; but it also scores (w_n, </s>, </s>), a
             prediction after </s> that we do not make. The fixture therefore records nltk's
             score at each of OUR predicted positions (nltk's last trigram of each sentence
             left out) and forms the log-probability and perplexity from those; nltk's own
             perplexity over all its padded trigrams is recorded beside it, to show the
             difference, and is not compared.

  vocabulary len(lm.vocab) counts every word, and also <s>, </s> and <UNK>: V_words + 3, where
             we use V + 1. The fixture gives nltk the vocabulary explicitly (vocabulary_text =
             <s>, </s> and every word, so test-only words are in it with count 0) and uses
             V = V_words + 2 on our side: two "phantom" word ids (the last two) that occur
             nowhere. Then our V + 1 = len(lm.vocab), the add-k denominators coincide, and each
             Laplace row splits the same total over the same number of entries: our phantoms
             take the shares nltk gives to <s> and <UNK>. Every entry coincides except the
             column <s>: nltk gives (0 + k) / (C(prev) + k|V|) to <s> as a next token, we give 0
             (<s> is never predicted). The matrix is recorded verbatim; the Swift test skips the
             column <s> and checks it against our phantom column instead.

  <UNK>      nltk maps out-of-vocabulary words to <UNK>. With the explicit vocabulary no word of
             the fixtures is out of vocabulary; the phantom ids are never looked up as text
             (their scores are those of any word with count 0, computed with the name
             "<phantom-j>", which nltk maps to <UNK>, count 0).

  logs       nltk's logscore and perplexity use log base 2 (perplexity = 2 ** entropy); the
             fixture converts the sum of logscores to natural log (times ln 2). The perplexity
             is the same number in any base.

  MLE        nltk's MLE of an unseen context is FreqDist.freq of an empty FreqDist: 0, our row
             of zeros. Its denominator counts[context].N() is the count of the context as a
             context, as ours.

  back-off   nltk has no simplified Katz model. StupidBackoff(alpha=1, order=3) is the same
             recursion (count > 0 at the longest context, else the shorter one) at the trigram
             and bigram levels, with the padding mapping above for the first word. Its unigram
             level divides by all padded unigrams (N_nltk = words + 4 S: two <s> and two </s>
             per sentence) where ours divides by the predicted tokens (N = words + S), and it
             gives 0, not 1/#words, to a word never seen. The fixture records, per position,
             nltk's score, the level at which nltk's recursion stopped, and N_nltk; the Swift
             test compares the trigram and bigram levels directly and the unigram level of a
             word through C(w) = score * N_nltk.

Every case also holds the raw counts read from nltk's NgramCounter (order-2 padding, which is
ours), so that unigram_counts and bigram_counts are checked too.
"""

import json
import math
import os
import random
import shutil
import sys

import nltk
from nltk.lm import MLE, Laplace, Lidstone, StupidBackoff
from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
from nltk.util import ngrams

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NGramTests", "Fixtures", "nltk")
START, END = "<s>", "</s>"
PHANTOMS = ["<phantom-1>", "<phantom-2>"]

if os.path.isdir(OUT):
    shutil.rmtree(OUT)
os.makedirs(OUT)


def fit(model, order, train_sents, words):
    """Fits an nltk model on the padded everygrams of the training sentences, with the
    vocabulary <s>, </s> and every word given explicitly."""
    train_data, _ = padded_everygram_pipeline(order, train_sents)
    model.fit(train_data, vocabulary_text=[START, END] + words)
    return model


def ids_of(sents, index):
    out = []
    for s in sents:
        out += [0] + [index[w] for w in s] + [1]
    return out


def our_positions(sent, order):
    """nltk's (word, context) at each of our predicted positions of one sentence: the n-grams of
    nltk's padding, without the trigram model's last one (the prediction after </s>)."""
    grams = list(ngrams(pad_both_ends(sent, n=order), order))
    if order == 3:
        grams = grams[:-1]
    assert len(grams) == len(sent) + 1
    return [(g[-1], tuple(g[:-1])) for g in grams]


def stupid_level(lm, word, context):
    """The level at which StupidBackoff's recursion stops: 3, 2 (count > 0 with a 2- or
    1-token context) or 1 (the unigram freq)."""
    context = lm.vocab.lookup(context)
    word = lm.vocab.lookup(word)
    while context:
        if lm.counts[len(context) + 1][context][word] > 0:
            return len(context) + 1
        context = context[1:]
    return 1


def make_case(name, description, words, train_sents, test_sents, sentence):
    names = [START, END] + words + PHANTOMS          # names[id]
    index = {w: i for i, w in enumerate(names)}
    V = len(words) + len(PHANTOMS)
    case = {"name": name, "description": description, "words": names, "vocabulary_size": V,
            "train": ids_of(train_sents, index), "test": ids_of(test_sents, index),
            "sentence": [index[w] for w in sentence]}

    mle = fit(MLE(2), 2, train_sents, words)
    laplace = fit(Laplace(2), 2, train_sents, words)
    lid = fit(Lidstone(0.5, 2), 2, train_sents, words)
    laplace3 = fit(Laplace(3), 3, train_sents, words)
    lid3 = fit(Lidstone(0.5, 3), 3, train_sents, words)
    stupid = fit(StupidBackoff(1, 3), 3, train_sents, words)
    assert len(laplace.vocab) == V + 1, (len(laplace.vocab), V)
    assert len(laplace3.vocab) == V + 1
    case["nltk_vocabulary_size"] = len(laplace.vocab)

    case["unigram_counts"] = [mle.counts.unigrams[w] for w in names]
    case["bigram_counts"] = [[mle.counts[[p]][w] for w in names] for p in names]
    case["p_mle"] = [[mle.score(w, [p]) for w in names] for p in names]
    case["p_laplace"] = [[laplace.score(w, [p]) for w in names] for p in names]
    case["p_lidstone_0.5"] = [[lid.score(w, [p]) for w in names] for p in names]
    for row in case["p_laplace"]:
        # Over nltk's vocabulary (<s>, </s>, the words, <UNK>) a row sums to 1; over ours less the
        # column <s> (</s>, the words, two phantoms with the shares of <s> and <UNK>) too.
        assert abs(sum(row[1:]) - 1) < 1e-12 and row[0] == row[-1] == row[-2]

    def evaluation(lm, order):
        scores = [lm.score(w, c) for s in test_sents for w, c in our_positions(s, order)]
        log2_sum = sum(lm.logscore(w, c) for s in test_sents for w, c in our_positions(s, order))
        n = len(scores)
        entry = {"scores": scores, "logscore_sum_base2": log2_sum, "logprob": log2_sum * math.log(2),
                 "perplexity": 2 ** (-log2_sum / n), "predicted_tokens": n,
                 "sentence_probability": math.prod(lm.score(w, c) for w, c in our_positions(sentence, order))}
        all_grams = [g for s in test_sents for g in ngrams(pad_both_ends(s, n=order), order)]
        entry["nltk_perplexity_of_its_padding"] = lm.perplexity(all_grams)
        if order == 2:
            assert entry["nltk_perplexity_of_its_padding"] == lm.perplexity(all_grams)
            assert math.isclose(entry["perplexity"], entry["nltk_perplexity_of_its_padding"], rel_tol=1e-12)
        return entry

    case["evaluations"] = [
        dict(smoothing_k=1.0, order=2, **evaluation(laplace, 2)),
        dict(smoothing_k=0.5, order=2, **evaluation(lid, 2)),
        dict(smoothing_k=1.0, order=3, **evaluation(laplace3, 3)),
        dict(smoothing_k=0.5, order=3, **evaluation(lid3, 3)),
    ]
    positions = [(w, c) for s in test_sents for w, c in our_positions(s, 3)]
    case["stupid_backoff"] = {
        "alpha": 1, "order": 3, "unigram_total": stupid.counts.unigrams.N(),
        "scores": [stupid.score(w, c) for w, c in positions],
        "levels": [stupid_level(stupid, w, c) for w, c in positions],
    }
    file = name + ".json"
    with open(os.path.join(OUT, file), "w") as f:
        json.dump(case, f, indent=1, allow_nan=False)
        f.write("\n")
    return {"file": file, "description": description, "vocabulary_size": V,
            "train_sentences": len(train_sents), "test_sentences": len(test_sents)}


def random_sentences(rng, words, count, max_len, weights):
    return [rng.choices(words, weights=weights, k=rng.randint(0, max_len)) for _ in range(count)]


cases = []
weather_words = "the weather was bad yesterday today will be better it is nice".split()
weather_train = [s.split() for s in ["the weather was bad yesterday",
                                     "today the weather will be better",
                                     "it is nice today"]]
cases.append(make_case(
    "weather", "Note 004's exercise corpus; test: 'the weather is nice' and 'it was nice today'.",
    weather_words, weather_train, [["the", "weather", "is", "nice"], "it was nice today".split()],
    ["the", "weather", "is", "nice"]))

for seed, n_words, n_train, n_test in [(1, 5, 12, 5), (2, 8, 25, 8), (3, 12, 40, 10)]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(n_words)]
    seen = words[:-2]                     # the last two words never occur in train
    weights = [1 / (i + 1) for i in range(len(seen))]
    train = random_sentences(rng, seen, n_train, 6, weights)
    test = random_sentences(rng, words[:-1], n_test, 6, [1] * (n_words - 1))   # w_{last} nowhere
    test.append([])                       # an empty sentence <s> </s>
    test.append([words[-2]])              # a test-only word
    sentence = test[0] if test[0] else [seen[0]]
    cases.append(make_case(
        f"random_{seed}", f"random.Random({seed}): {n_words} words, the last two never in train, "
        f"the last one nowhere; an empty test sentence.", words, train, test, sentence))

manifest = {
    "generator": "Scripts/make_ngram_fixtures.py",
    "nltk_version": nltk.__version__,
    "python_version": sys.version.split()[0],
    "phantom_words": PHANTOMS,
    "conventions": "See the generator's docstring: bigram padding coincides; trigram scores are "
                   "nltk's at our predicted positions; V = words + 2 phantoms so V + 1 = len(vocab); "
                   "the Laplace column <s> differs (nltk nonzero, ours 0); logs converted to base e.",
    "cases": cases,
}
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")

total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {os.path.relpath(OUT, ROOT)}")
if total > 400_000:
    sys.exit("fixtures exceed 400 KB")
