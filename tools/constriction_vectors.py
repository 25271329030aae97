#!/usr/bin/env python3
"""Generate golden test vectors for LCAE from the Python library constriction 0.5.0.

LCAE's AnsCoder, ChainCoder and Categorical quantizers are meant to be bit-compatible
with constriction 0.5.0 (rANS with 32-bit words, 64-bit state, 24-bit precision). This
script drives constriction and writes what it produces to a JSON file that the Swift
tests read, so `swift test` never needs Python.

Usage (from the repository root):

    python3 tools/constriction_vectors.py [-o Tests/LCAETests/Vectors/constriction.json]

The script installs constriction 0.5.0 with pip if a different version (or none) is
importable. Everything is derived from numpy.random.default_rng(SEED), so rerunning it
produces a byte-identical file. Every round trip a vector relies on is asserted before
anything is written; the output file is replaced atomically and only on success.

Terminology
-----------
* "integer model": a list of K uint32 weights, each >= 1, summing to exactly 2**24
  (2 <= K <= 1000). Symbol s has left = w[0] + ... + w[s-1] and prob = w[s]. It is handed
  to constriction as Categorical(w / 2**24, perfect=True), which reproduces w exactly;
  the script checks this for every model by probing (see `probe`).
* Per-symbol models: symbol i uses models[model_index[i]]. Encoding goes symbol by
  symbol from the last to the first (what encode_reverse does for an array), decoding
  goes forward.
* uint32 words, weights and CDFs are JSON integers. Floats appear only as hex strings
  of their IEEE-754 bit pattern ("0x" + 8 lowercase hex digits for float32, 16 for
  float64). A u64 coder state is "0x" + 16 lowercase hex digits.

JSON schema (top-level object)
------------------------------
generator            "tools/constriction_vectors.py"
constriction_version "0.5.0"
seed                 int, the numpy default_rng seed
quantize_fast        [{dtype: "float32"|"float64", probs_bits: [hex], cdf: [u32 x (n+1)]}]
                     Categorical(probs, perfect=False) with probs of that dtype; cdf[0] = 0,
                     cdf[n] = 2**24, prob(s) = cdf[s+1] - cdf[s]. The non-lazy and the lazy
                     (rank-2 API) model were both probed and agree.
quantize_fast_skipped int, float32 cases not recorded because constriction's fast
                     quantizer gave the last symbol probability 0 (research notes §3.2).
quantize_perfect     [{dtype, probs_bits, weights: [u32 x n]}]   Categorical(probs, perfect=True)
ans_encode           [{models: [[u32 weights]], model_index: [int], symbols: [int],
                       compressed: [u32]}]
                     compressed = AnsCoder().encode_reverse(...).get_compressed().
ans_decode           [{seal: bool, data: [u32], models, model_index, symbols,
                       after_pos: [bulk_len, "0x<16 hex state>"]}]
                     AnsCoder(data, seal=seal), decode len(symbols) symbols (possibly more
                     than the data holds), after_pos = coder.pos() afterwards.
ans_seal_roundtrip   [{data, models, model_index, symbols}]
                     AnsCoder(data, seal=True), decode symbols, encode_reverse them back,
                     get_compressed(unseal=True) == data (data may end in zero words).
chain                [{seal, data, models, model_index, symbols,
                       remainders_pair: [[u32], [u32]], data_pair: [[u32], [u32]]}]
                     ChainCoder(data, is_remainders=False, seal=seal), decode symbols;
                     remainders_pair = get_remainders() = (compressed, remainders).
                     Then ChainCoder(concat(remainders_pair), is_remainders=True, seal=False),
                     encode_reverse the symbols, data_pair = get_data(unseal=seal)
                     = (remainders, compressed). Asserted: concat(data_pair) == data and
                     data_pair[0] == remainders_pair[0] (the never-consumed words).
chain_doc_example    the ChainCoder bits-back example of the constriction docs:
                     {side_info: [u32 x 10], support: [-100, 100], means_bits, stds_bits,
                      models: [[201 weights] x 3] (QuantizedGaussian(-100, 100) with each
                      mean/std, probed over the support; weight j is symbol -100 + j),
                      symbols: [int values in -100..100] (== [-3, -20, 1]),
                      remainders_pair, data_pair (as in `chain`, seal=True)}
ans_doc_example      the AnsCoder doc example: {seal: true, data: [u32 x 4],
                      probs_bits: [[hex x 4] x 3] (float64 rows), cdfs: [[u32 x 5] x 3]
                      (each row's Categorical(row, perfect=False) CDF), symbols: [0, 0, 2],
                      after_pos, chain_symbols: [0, 3, 3] (ChainCoder(data, seal=True)
                      decoding the same rows)}
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from constriction_setup import CONSTRICTION_VERSION, install_constriction  # noqa: E402

SEED = 0x4C434145  # "LCAE"
PRECISION = 24
TOTAL = 1 << PRECISION  # total probability mass of every fixed-point model
MAX_K = 1000

# Bound lazily by ensure_constriction() so that the module can be imported (e.g. for
# its docstring) before constriction is installed.
AnsCoder = ChainCoder = Categorical = QuantizedGaussian = None


def ensure_constriction():
    global AnsCoder, ChainCoder, Categorical, QuantizedGaussian
    constriction = install_constriction()

    AnsCoder = constriction.stream.stack.AnsCoder
    ChainCoder = constriction.stream.chain.ChainCoder
    Categorical = constriction.stream.model.Categorical
    QuantizedGaussian = constriction.stream.model.QuantizedGaussian


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

def u32_list(arr):
    assert isinstance(arr, np.ndarray) and arr.dtype == np.uint32 and arr.ndim == 1, arr
    return [int(x) for x in arr]


def float_bits(arr):
    """IEEE-754 bit patterns of a float32/float64 array as "0x..." strings."""
    if arr.dtype == np.float32:
        return [f"0x{int(b):08x}" for b in arr.view(np.uint32)]
    assert arr.dtype == np.float64
    return [f"0x{int(b):016x}" for b in arr.view(np.uint64)]


def pos_json(pos):
    bulk, state = pos
    assert 0 <= state < 1 << 64
    return [int(bulk), f"0x{state:016x}"]


def random_words(rng, n):
    return rng.integers(0, 1 << 32, size=n, dtype=np.uint32)


def log_uniform_int(rng, lo, hi):
    return int(min(hi, max(lo, round(float(np.exp(rng.uniform(np.log(lo), np.log(hi))))))))


# --------------------------------------------------------------------------------------
# Reading a model's fixed-point (left, prob) back out of constriction
# --------------------------------------------------------------------------------------

def probe(symbols, encode_one, decode_one):
    """Return [(left, prob)] for each symbol, read through AnsCoder state.

    constriction has no CDF accessor. Encoding symbol s on an empty AnsCoder (state 0)
    leaves state = ((0 // prob) << 24) | (left + 0 % prob) = left. Decoding from state
    (1 << 24) | left (quantile q = left) yields s again and leaves
    state = (state >> 24) * prob + (q - left) = prob.
    `encode_one(coder, s)` / `decode_one(coder) -> int` wrap the model's call shape.
    """
    out = []
    for s in symbols:
        coder = AnsCoder()
        encode_one(coder, s)
        bulk, left = coder.pos()
        assert bulk == 0 and 0 <= left < TOTAL, (s, bulk, left)
        coder.seek(0, TOTAL | left)
        got = decode_one(coder)
        bulk, prob = coder.pos()
        assert got == s and bulk == 0, (s, got, bulk)
        assert 1 <= prob and left + prob <= TOTAL, (s, left, prob)
        out.append((left, prob))
    return out


def probe_symbols(model, symbols):
    """probe() for a fully parameterized model."""
    return probe(
        symbols,
        lambda c, s: c.encode_reverse(np.array([s], np.int32), model),
        lambda c: int(c.decode(model)),
    )


def probe_plain(model, n):
    """Probe a fully parameterized model over symbols 0..n-1; returns the CDF (n+1 entries)."""
    return cdf_from_probe(probe_symbols(model, range(n)))


def probe_lazy_row(probs):
    """Probe the lazy model that Categorical(perfect=False) uses with rank-2 parameters."""
    family = Categorical(perfect=False)
    row = probs[None, :]
    lp = probe(
        range(len(probs)),
        lambda c, s: c.encode_reverse(np.array([s], np.int32), family, row),
        lambda c: int(c.decode(family, row)[0]),
    )
    return cdf_from_probe(lp)


def cdf_from_probe(lp):
    cdf = [0]
    for left, prob in lp:
        assert left == cdf[-1], "model is not contiguous"
        cdf.append(left + prob)
    assert cdf[-1] == TOTAL, "model does not sum to 2**24"
    return cdf


# --------------------------------------------------------------------------------------
# Integer models
# --------------------------------------------------------------------------------------

def finish_weights(rng, raw):
    """Turn non-negative reals into integer weights >= 1 summing to exactly 2**24."""
    k = len(raw)
    free = TOTAL - k
    w = np.floor(raw / raw.sum() * free).astype(np.int64)
    rem = free - int(w.sum())
    if rem >= 0:
        q, r = divmod(rem, k)
        w += q
        w[rng.choice(k, size=r, replace=False)] += 1
    else:  # float rounding overshoot (tiny); take it from the largest weight
        w[int(np.argmax(w))] += rem
    w += 1
    assert w.min() >= 1 and int(w.sum()) == TOTAL
    return [int(x) for x in w]


WEIGHT_KINDS = ("dirichlet", "sparse", "skewed", "peaked", "uniform", "near_uniform", "zipf")


def random_weights(rng, k, kind):
    if kind == "dirichlet":
        return finish_weights(rng, rng.gamma(float(rng.choice([0.05, 0.3, 1.0, 5.0])), size=k))
    if kind == "sparse":  # many weights end up exactly 1
        raw = rng.gamma(0.5, size=k)
        raw[rng.random(k) < 0.8] = 0.0
        raw[int(rng.integers(k))] += 1.0
        return finish_weights(rng, raw)
    if kind == "skewed":  # one weight near 2**24, all others 1
        w = [1] * k
        w[int(rng.integers(k))] = TOTAL - (k - 1)
        return w
    if kind == "peaked":  # a few large weights, many small ones (1..3)
        w = rng.integers(1, 4, size=k).astype(np.int64)
        big = rng.choice(k, size=min(k, int(rng.integers(1, 4))), replace=False)
        rest = TOTAL - int(w.sum()) + int(w[big].sum())
        share = rng.dirichlet(np.ones(len(big))) * rest
        w[big] = np.maximum(1, np.floor(share)).astype(np.int64)
        w[big[0]] += TOTAL - int(w.sum())
        assert w.min() >= 1 and int(w.sum()) == TOTAL
        return [int(x) for x in w]
    if kind == "uniform":  # like constriction's Uniform: floor(2^24/k), last gets the rest
        w = [TOTAL // k] * k
        w[-1] += TOTAL - sum(w)
        return w
    if kind == "near_uniform":
        return finish_weights(rng, 1.0 + 0.01 * rng.random(k))
    if kind == "zipf":
        raw = 1.0 / np.arange(1, k + 1) ** rng.uniform(0.5, 2.5)
        return finish_weights(rng, rng.permutation(raw))
    raise ValueError(kind)


def make_int_model(weights):
    """constriction model for integer weights; aborts unless it reproduces them exactly."""
    k = len(weights)
    assert 2 <= k <= MAX_K and min(weights) >= 1 and sum(weights) == TOTAL
    assert all(w < 1 << 32 for w in weights)
    model = Categorical(np.array(weights, np.float64) / TOTAL, perfect=True)
    cdf = probe_plain(model, k)
    assert [cdf[i + 1] - cdf[i] for i in range(k)] == list(weights), "model != weights"
    return model


def random_model_set(rng, max_models=8, k_max=MAX_K):
    """1..max_models random integer models; returns (weights lists, constriction models)."""
    weights = []
    for _ in range(int(rng.integers(1, max_models + 1))):
        k = int(rng.choice([2, 3, k_max])) if rng.random() < 0.2 else log_uniform_int(rng, 2, k_max)
        weights.append(random_weights(rng, k, WEIGHT_KINDS[int(rng.integers(len(WEIGHT_KINDS)))]))
    return weights, [make_int_model(w) for w in weights]


def draw_symbols(rng, weights, model_index, improbable=False):
    """Symbols distributed per their model, or uniformly over each alphabet (improbable)."""
    symbols = np.zeros(len(model_index), np.int32)
    for m, w in enumerate(weights):
        mask = model_index == m
        count = int(mask.sum())
        if improbable:
            symbols[mask] = rng.integers(0, len(w), size=count)
        else:
            symbols[mask] = rng.choice(len(w), size=count, p=np.array(w, np.float64) / TOTAL)
    return symbols


# Per-symbol coding loops (one model per symbol, see module docstring).

def encode_all(coder, symbols, models, model_index):
    for i in range(len(symbols) - 1, -1, -1):
        coder.encode_reverse(symbols[i:i + 1], models[model_index[i]])


def decode_all(coder, n, models, model_index):
    return np.array([int(coder.decode(models[model_index[i]])) for i in range(n)], np.int32)


def models_json(weights, model_index, symbols):
    return {
        "models": weights,
        "model_index": [int(i) for i in model_index],
        "symbols": [int(s) for s in symbols],
    }


# --------------------------------------------------------------------------------------
# Quantization vectors
# --------------------------------------------------------------------------------------

PROB_KINDS = ("dirichlet", "tiny", "unnormalized", "exact", "uniform", "zeros", "tiny_last")
QUANT_SIZES = (2, 3, 4, 5, 1000)


def random_probs(rng, i, dtype):
    """Case i of a varied set of probability vectors (cycling through PROB_KINDS)."""
    kind = PROB_KINDS[i % len(PROB_KINDS)]
    n = QUANT_SIZES[i // len(PROB_KINDS)] if i // len(PROB_KINDS) < len(QUANT_SIZES) \
        else log_uniform_int(rng, 2, MAX_K)
    p = rng.gamma(float(rng.choice([0.1, 1.0, 10.0])), size=n)
    p /= p.sum()
    if kind == "tiny":  # some entries 1e-9; sometimes renormalized
        p[rng.random(n) < 0.3] = 1e-9
        p[int(rng.integers(n))] = 1e-9
        if rng.random() < 0.5:
            p /= p.sum()
    elif kind == "unnormalized":
        p *= 10.0 ** rng.uniform(-6, 6)
    elif kind == "exact":  # exact multiples of 2^-24 (exact in float32 as well)
        p = np.array(random_weights(rng, n, WEIGHT_KINDS[i % len(WEIGHT_KINDS)]), np.float64) / TOTAL
    elif kind == "uniform":  # ties everywhere (exercises perfect quantization's tie rules)
        p = np.full(n, 1.0 / n) * float(rng.choice([1.0, 3.0]))
    elif kind == "zeros":
        p[rng.random(n) < 0.3] = 0.0
        p[int(rng.integers(n))] = 0.0
        p[int(rng.integers(n))] = 0.5  # keep at least one nonzero entry
    elif kind == "tiny_last":  # the shape of the float32 zero-probability reproducer
        p[-1] = 1e-9
    return p.astype(dtype)


def quantize_fast_cases(rng, per_dtype=40):
    cases, skipped = [], 0
    for dtype in (np.float32, np.float64):
        for i in range(per_dtype):
            probs = random_probs(rng, i, dtype)
            n = len(probs)
            model = Categorical(probs, perfect=False)
            try:
                cdf = probe_plain(model, n)
            except KeyError:
                # Research notes §3.2: float32 rounding can put cdf[n-1] at 2^24, giving the
                # last symbol probability 0 (constriction then refuses to encode it).
                # Anything else would be a surprise, so re-check and re-raise otherwise.
                # Confirm it is exactly that: all other symbols work and use up all 2^24.
                assert dtype == np.float32
                left, prob = probe_symbols(model, range(n - 1))[-1]
                assert left + prob == TOTAL
                skipped += 1
                continue
            # The lazy model (rank-2 API) must give the bit-identical CDF.
            assert probe_lazy_row(probs) == cdf, "lazy and non-lazy fast CDFs differ"
            cases.append({"dtype": np.dtype(dtype).name, "probs_bits": float_bits(probs), "cdf": cdf})
    return cases, skipped


def quantize_perfect_cases(rng, per_dtype=40):
    cases = []
    for dtype in (np.float32, np.float64):
        for i in range(per_dtype):
            probs = random_probs(rng, i, dtype)
            cdf = probe_plain(Categorical(probs, perfect=True), len(probs))
            weights = [cdf[j + 1] - cdf[j] for j in range(len(probs))]
            assert min(weights) >= 1
            cases.append({"dtype": np.dtype(dtype).name, "probs_bits": float_bits(probs), "weights": weights})
    return cases


# --------------------------------------------------------------------------------------
# AnsCoder vectors
# --------------------------------------------------------------------------------------

def ans_encode_cases(rng, count=40):
    cases = []
    special_lengths = [0, 1, 2, 5000, 5000]
    for i in range(count):
        n = special_lengths[i] if i < len(special_lengths) else log_uniform_int(rng, 1, 5000)
        weights, models = random_model_set(rng)
        model_index = rng.integers(0, len(models), size=n)
        symbols = draw_symbols(rng, weights, model_index, improbable=(i % 8 == 7))

        coder = AnsCoder()
        encode_all(coder, symbols, models, model_index)
        compressed = coder.get_compressed()
        assert compressed.dtype == np.uint32 and (len(compressed) == 0 or compressed[-1] != 0)

        if len(models) == 1:  # one encode_reverse over the whole array is equivalent
            whole = AnsCoder()
            whole.encode_reverse(symbols, models[0])
            assert np.array_equal(whole.get_compressed(), compressed)

        decoder = AnsCoder(compressed, seal=False)
        assert np.array_equal(decode_all(decoder, n, models, model_index), symbols)
        assert decoder.pos() == (0, 0) and decoder.is_empty()

        case = models_json(weights, model_index, symbols)
        case["compressed"] = u32_list(compressed)
        cases.append(case)
    return cases


def decode_data(rng, length, seal, small_last=False, zero_tail=0):
    """Random words; unsealed data must end in a non-zero word."""
    data = random_words(rng, length)
    if length and seal and zero_tail:
        data[-min(zero_tail, length):] = 0
    if length and not seal:
        if small_last:  # top word < 2^8: ChainCoder then pops a second word into head_r
            data[-1] = rng.integers(1, 256)
        elif data[-1] == 0:
            data[-1] = rng.integers(1, 1 << 32)
    return data


def ans_decode_cases(rng, count=30):
    cases = []
    for i in range(count):
        seal = i % 2 == 1
        length = [0, 1, 1, 2, 200][i // 2] if i // 2 < 5 else int(rng.integers(1, 201))
        if seal and length == 0:
            length = 1  # sealing needs at least one word
        data = decode_data(rng, length, seal, small_last=(i % 6 == 4), zero_tail=(i % 6 == 5))
        n = [0, 300][i % 2] if i in (8, 9) else int(rng.integers(0, 301))
        weights, models = random_model_set(rng)
        model_index = rng.integers(0, len(models), size=n)

        coder = AnsCoder(data, seal=seal)
        symbols = decode_all(coder, n, models, model_index)
        after = coder.pos()
        # Decoding is invertible even past the end of the data: re-encoding restores it.
        encode_all(coder, symbols, models, model_index)
        assert np.array_equal(coder.get_compressed(unseal=seal), data)

        case = {"seal": seal, "data": u32_list(data), "after_pos": pos_json(after)}
        case.update(models_json(weights, model_index, symbols))
        cases.append(case)
    return cases


def ans_seal_roundtrip_cases(rng, count=15):
    cases = []
    for i in range(count):
        length = [1, 1, 2, 3][i] if i < 4 else int(rng.integers(1, 201))
        zero_tail = [1, 0, 2, 3][i] if i < 4 else (int(rng.integers(1, 4)) if i % 3 == 0 else 0)
        data = decode_data(rng, length, True, zero_tail=zero_tail)
        n = 0 if i == 4 else int(rng.integers(0, 301))
        weights, models = random_model_set(rng)
        model_index = rng.integers(0, len(models), size=n)

        coder = AnsCoder(data, seal=True)
        symbols = decode_all(coder, n, models, model_index)
        encode_all(coder, symbols, models, model_index)
        assert np.array_equal(coder.get_compressed(unseal=True), data)

        case = {"data": u32_list(data)}
        case.update(models_json(weights, model_index, symbols))
        cases.append(case)
    return cases


# --------------------------------------------------------------------------------------
# ChainCoder vectors
# --------------------------------------------------------------------------------------

def chain_capacity(data, seal):
    """Number of symbols a ChainCoder can decode from data (one 24-bit quantum each).

    The constructor moves one word (two if the top word is < 2^8 and seal=False) into
    head_r; every 3 remaining words give 4 quanta. Decoding more makes constriction panic.
    """
    head_words = 1 if seal or data[-1] >= 1 << 8 else 2
    m = len(data) - head_words
    return m + m // 3


def chain_roundtrip(data, seal, n, decode_one, encode_one):
    """Decode from data, then bits-back re-encode; returns (symbols, remainders_pair, data_pair)."""
    coder = ChainCoder(data, is_remainders=False, seal=seal)
    symbols = np.array([decode_one(coder, i) for i in range(n)], np.int32)
    rem_c, rem_r = coder.get_remainders()  # (compressed, remainders)

    enc = ChainCoder(np.concatenate([rem_c, rem_r]), is_remainders=True, seal=False)
    for i in range(len(symbols) - 1, -1, -1):
        encode_one(enc, i, symbols[i:i + 1])
    data_r, data_c = enc.get_data(unseal=seal)  # (remainders, compressed)

    # What holds: the words decoding never touched come back unchanged as the first item
    # of both pairs, and the concatenation of data_pair is exactly the original data.
    assert np.array_equal(np.concatenate([data_r, data_c]), data)
    assert np.array_equal(data_r, rem_c) and np.array_equal(data_r, data[:len(rem_c)])
    # The docs: only the second item of get_remainders() is needed to invert the decoding.
    alone = ChainCoder(rem_r, is_remainders=True, seal=False)
    for i in range(len(symbols) - 1, -1, -1):
        encode_one(alone, i, symbols[i:i + 1])
    alone_r, alone_c = alone.get_data(unseal=seal)
    assert len(alone_r) == 0 and np.array_equal(alone_c, data_c)

    return symbols, [u32_list(rem_c), u32_list(rem_r)], [u32_list(data_r), u32_list(data_c)]


def chain_cases(rng, count=30):
    cases = []
    for i in range(count):
        seal = i % 2 == 0
        length = [3, 3, 4, 4, 300, 300][i] if i < 6 else int(rng.integers(3, 301))
        data = decode_data(rng, length, seal, small_last=(i % 6 in (1, 3)), zero_tail=(i % 6 == 2))
        cap = chain_capacity(data, seal)
        n = cap if i % 3 == 0 else (0 if i == 7 else int(rng.integers(0, cap + 1)))
        weights, models = random_model_set(rng)
        model_index = rng.integers(0, len(models), size=n)

        symbols, rem_pair, data_pair = chain_roundtrip(
            data, seal, n,
            lambda c, j: int(c.decode(models[model_index[j]])),
            lambda c, j, s: c.encode_reverse(s, models[model_index[j]]),
        )
        case = {"seal": seal, "data": u32_list(data), "remainders_pair": rem_pair, "data_pair": data_pair}
        case.update(models_json(weights, model_index, symbols))
        cases.append(case)
    return cases


# --------------------------------------------------------------------------------------
# Documentation examples
# --------------------------------------------------------------------------------------

def chain_doc_example():
    """The bits-back round trip of the ChainCoder docs, verbatim, plus integer models."""
    lo, hi = -100, 100
    gaussian = QuantizedGaussian(lo, hi)
    means = np.array([3.2, -14.3, 5.7])
    stds = np.array([6.4, 4.2, 3.9])

    np.random.seed(123)  # the docs' legacy global seed; independent of SEED
    side_info = np.random.randint(2**32, size=10, dtype=np.uint32)

    symbols, rem_pair, data_pair = chain_roundtrip(
        side_info, True, len(means),
        lambda c, j: int(c.decode(gaussian, means[j:j + 1], stds[j:j + 1])[0]),
        lambda c, j, s: c.encode_reverse(s, gaussian, means[j:j + 1], stds[j:j + 1]),
    )
    # Also the docs' vectorized calls, exactly as written there.
    coder = ChainCoder(side_info, is_remainders=False, seal=True)
    assert np.array_equal(coder.decode(gaussian, means, stds), symbols)
    assert [int(s) for s in symbols] == [-3, -20, 1]
    assert rem_pair == [u32_list(a) for a in coder.get_remainders()]
    assert rem_pair[1] == [0x1253445A, 0xBAFBF1D9, 0x07271B69, 0x01B8B88D]  # research notes §1
    assert data_pair[0] + data_pair[1] == u32_list(side_info)

    # Integer model of each QuantizedGaussian over the whole support.
    weights = []
    for mean, std in zip(means, stds):
        mean_a, std_a = np.array([mean]), np.array([std])
        lp = probe(
            range(lo, hi + 1),
            lambda c, s: c.encode_reverse(np.array([s], np.int32), gaussian, mean_a, std_a),
            lambda c: int(c.decode(gaussian, mean_a, std_a)[0]),
        )
        cdf_from_probe(lp)
        weights.append([prob for _, prob in lp])
    # Spot values from the research notes §3.6.
    assert weights[0][3 - lo] == 1044220 and sum(weights[0][:3 - lo]) == 7658013
    assert weights[1][-14 - lo] == 1585800 and sum(weights[1][:-14 - lo]) == 8069996
    assert weights[2][6 - lo] == 1706452 and sum(weights[2][:6 - lo]) == 8045530

    # The integer models alone reproduce the whole example (symbol index = value - lo).
    models = [make_int_model(w) for w in weights]
    idx_symbols, idx_rem, idx_data = chain_roundtrip(
        side_info, True, len(models),
        lambda c, j: int(c.decode(models[j])),
        lambda c, j, s: c.encode_reverse(s, models[j]),
    )
    assert np.array_equal(idx_symbols + lo, symbols) and idx_rem == rem_pair and idx_data == data_pair

    return {
        "side_info": u32_list(side_info),
        "support": [lo, hi],
        "means_bits": float_bits(means),
        "stds_bits": float_bits(stds),
        "models": weights,
        "symbols": [int(s) for s in symbols],
        "remainders_pair": rem_pair,
        "data_pair": data_pair,
    }


def ans_doc_example():
    data = np.array([0x80D14131, 0xDDA97C6C, 0x5017A640, 0x01170A3E], np.uint32)
    probabilities = np.array(
        [[0.1, 0.7, 0.1, 0.1],
         [0.2, 0.2, 0.1, 0.5],
         [0.2, 0.1, 0.4, 0.3]])
    rows = [np.ascontiguousarray(r) for r in probabilities]
    models = [Categorical(r, perfect=False) for r in rows]
    cdfs = [probe_plain(m, 4) for m in models]
    assert cdfs == [probe_lazy_row(r) for r in rows]
    assert cdfs[0] == [0, 1677722, 13421771, 15099493, TOTAL]  # research notes §3.4
    assert cdfs[1] == [0, 3355443, 6710886, 8388609, TOTAL]
    assert cdfs[2] == [0, 3355443, 5033165, 11744051, TOTAL]

    # The docs' call: the lazy model family with rank-2 probabilities.
    coder = AnsCoder(data, seal=True)
    symbols = [int(s) for s in coder.decode(Categorical(perfect=False), probabilities)]
    assert symbols == [0, 0, 2]
    after = coder.pos()
    # The same with the non-lazy per-row models whose CDFs we record.
    coder2 = AnsCoder(data, seal=True)
    assert [int(coder2.decode(m)) for m in models] == symbols and coder2.pos() == after
    # And with integer models built from the recorded CDFs.
    int_models = [make_int_model([c[j + 1] - c[j] for j in range(4)]) for c in cdfs]
    coder3 = AnsCoder(data, seal=True)
    assert [int(coder3.decode(m)) for m in int_models] == symbols and coder3.pos() == after
    encode_all(coder3, np.array(symbols, np.int32), int_models, [0, 1, 2])
    assert np.array_equal(coder3.get_compressed(unseal=True), data)

    chain = ChainCoder(data, seal=True)
    chain_symbols = [int(s) for s in chain.decode(Categorical(perfect=False), probabilities)]
    assert chain_symbols == [0, 3, 3]  # documented
    chain = ChainCoder(data, seal=True)
    assert [int(chain.decode(m)) for m in int_models] == chain_symbols

    return {
        "seal": True,
        "data": u32_list(data),
        "probs_bits": [float_bits(r) for r in rows],
        "cdfs": cdfs,
        "symbols": symbols,
        "after_pos": pos_json(after),
        "chain_symbols": chain_symbols,
    }


# --------------------------------------------------------------------------------------

def main():
    default_out = Path(__file__).resolve().parent.parent / "Tests" / "LCAETests" / "Vectors" / "constriction.json"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=default_out, help=f"default: {default_out}")
    args = parser.parse_args()

    ensure_constriction()
    rng = np.random.default_rng(SEED)

    quantize_fast, skipped = quantize_fast_cases(rng)
    out = {
        "generator": "tools/constriction_vectors.py",
        "constriction_version": CONSTRICTION_VERSION,
        "seed": SEED,
        "quantize_fast": quantize_fast,
        "quantize_fast_skipped": skipped,
        "quantize_perfect": quantize_perfect_cases(rng),
        "ans_encode": ans_encode_cases(rng),
        "ans_decode": ans_decode_cases(rng),
        "ans_seal_roundtrip": ans_seal_roundtrip_cases(rng),
        "chain": chain_cases(rng),
        "chain_doc_example": chain_doc_example(),
        "ans_doc_example": ans_doc_example(),
    }

    # Write atomically: a failed or interrupted run never leaves a partial file behind.
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.output.parent, prefix=".constriction_vectors.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(out, f, indent=None, separators=(",", ":"), sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp creates the file 0600
        os.replace(tmp, args.output)
    except BaseException:
        os.unlink(tmp)
        raise

    counts = ", ".join(f"{k}={len(v)}" for k, v in out.items() if isinstance(v, list))
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes): {counts}, "
          f"quantize_fast_skipped={skipped}")


if __name__ == "__main__":
    main()
