#!/usr/bin/env python3
"""Cross-check the `lcae ans` and `lcae chain` commands against constriction 0.5.0.

LCAE's AnsCoder and ChainCoder are meant to be bit-compatible with the Python library
constriction 0.5.0. The golden vectors in Tests/ (tools/constriction_vectors.py) are
fixed; this script instead draws FRESH random data on every run and compares the
command-line tool with constriction on it.

Usage (from the repository root):

    python3 tools/interop_check.py                 # 20 trials, seed from the clock
    python3 tools/interop_check.py --trials 200 --seed 1234
    python3 tools/interop_check.py --seed 1234 --only 17 --keep-failures /tmp/fail

The seed is printed first; rerunning with `--seed S` repeats the run exactly, and
`--seed S --only T` repeats trial T alone (every trial has its own generator,
numpy.random.default_rng([S, T])). `--keep-failures DIR` copies the .npy files of
failing trials to DIR/trial-T/ together with the commands that were run.

The tool is `.build/release/lcae` under the repository root unless `--lcae PATH` is
given; when the default binary is missing (or `--build` is given) the script runs
`swift build -c release --product lcae` first. constriction 0.5.0 is installed with pip
if another version (or none) is importable.

Every trial draws
  * K in [2, 1000] and integer models: weights >= 1 summing to 2**24, of varied shapes
    (Dirichlet, sparse, one weight of almost 2**24 and all others 1, peaked, uniform,
    near-uniform, Zipf). Either one model for all symbols (freqs of shape (K,)) or one
    model per symbol (freqs of shape (N, K), rows taken from a pool of distinct models);
  * N in [0, 5000] symbols, drawn from their models, uniformly over the alphabet (which
    makes weight-1 symbols frequent), or a mix of both.
constriction gets each integer model as Categorical(w / 2**24, perfect=True); the script
checks, by probing the coder state, that this reproduces every weight exactly. Per-symbol
models are encoded symbol by symbol from the last to the first and decoded forward; a
single model uses encode_reverse / decode on the whole array.

Checks per trial (each a separate `lcae` invocation):
  ans-encode      `lcae ans encode` words == AnsCoder().encode_reverse(...).get_compressed()
  ans-decode      `lcae ans decode` of constriction's words gives the symbols back
  ans-garbage-sealed / ans-garbage
                  `lcae ans decode [--sealed]` of random words (sealed: may end in zero
                  words; unsealed: last word non-zero) gives the same N symbols as
                  AnsCoder(garbage, seal=...).decode(...); decoding may run past the end
                  of the data, which constriction does silently
  chain-decode-sealed / chain-decode
                  `lcae chain decode [--sealed]` of random data: same symbols and
                  remainders (np.concatenate(get_remainders())) as constriction. N is at
                  most the number of 24-bit quanta the data holds (constriction panics
                  beyond that); often exactly that number.
  chain-encode-sealed / chain-encode
                  `lcae chain encode [--unseal]` of constriction's symbols and remainders
                  gives np.concatenate(get_data(unseal=sealed)), which is also checked
                  to equal the original data.
One line per trial, then `P passed, F failed`; the exit status is 1 if anything failed.
"""

import argparse
import importlib
import importlib.metadata
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from constriction_setup import CONSTRICTION_VERSION, REPO_ROOT, find_lcae, install_constriction  # noqa: E402

PRECISION = 24
TOTAL = 1 << PRECISION
CLI_TIMEOUT_S = 600

AnsCoder = ChainCoder = Categorical = None  # bound by ensure_constriction()


def ensure_constriction():
    global AnsCoder, ChainCoder, Categorical
    constriction = install_constriction()

    AnsCoder = constriction.stream.stack.AnsCoder
    ChainCoder = constriction.stream.chain.ChainCoder
    Categorical = constriction.stream.model.Categorical


def is_fatal(exc):
    """Exceptions a check must not swallow (constriction's PanicException is a BaseException)."""
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


# --------------------------------------------------------------------------------------
# Random integer models
# --------------------------------------------------------------------------------------

def log_uniform_int(rng, lo, hi):
    return int(min(hi, max(lo, round(float(np.exp(rng.uniform(np.log(lo), np.log(hi))))))))


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
    return w


WEIGHT_KINDS = ("dirichlet", "sparse", "skewed", "peaked", "uniform", "near_uniform", "zipf")


def random_weights(rng, k, kind):
    """K integer weights >= 1 summing to 2**24, as an int64 array."""
    if kind == "dirichlet":
        w = finish_weights(rng, rng.gamma(float(rng.choice([0.05, 0.3, 1.0, 5.0])), size=k))
    elif kind == "sparse":  # most weights exactly 1
        raw = rng.gamma(0.5, size=k)
        raw[rng.random(k) < 0.8] = 0.0
        raw[int(rng.integers(k))] += 1.0
        w = finish_weights(rng, raw)
    elif kind == "skewed":  # one weight of almost 2**24, all others 1
        w = np.ones(k, np.int64)
        w[int(rng.integers(k))] = TOTAL - (k - 1)
    elif kind == "peaked":  # a few large weights, many of 1..3
        w = rng.integers(1, 4, size=k).astype(np.int64)
        big = rng.choice(k, size=min(k, int(rng.integers(1, 4))), replace=False)
        rest = TOTAL - int(w.sum()) + int(w[big].sum())
        w[big] = np.maximum(1, np.floor(rng.dirichlet(np.ones(len(big))) * rest)).astype(np.int64)
        w[big[0]] += TOTAL - int(w.sum())
    elif kind == "uniform":  # like constriction's Uniform: floor(2^24/k), the last gets the rest
        w = np.full(k, TOTAL // k, np.int64)
        w[-1] += TOTAL - int(w.sum())
    elif kind == "near_uniform":
        w = finish_weights(rng, 1.0 + 0.01 * rng.random(k))
    elif kind == "zipf":
        w = finish_weights(rng, rng.permutation(1.0 / np.arange(1, k + 1) ** rng.uniform(0.5, 2.5)))
    else:
        raise ValueError(kind)
    assert len(w) == k and w.min() >= 1 and int(w.sum()) == TOTAL, kind
    return w


def probe(model, k):
    """Read (left, prob) of symbols 0..k-1 of a constriction model through AnsCoder state.

    Encoding s on an empty AnsCoder (state 0) leaves state = left(s); decoding from state
    2^24 | left(s) yields s and leaves state = prob(s). (Research notes §3.4.)
    """
    lefts, probs = [], []
    for s in range(k):
        coder = AnsCoder()
        coder.encode_reverse(np.array([s], np.int32), model)
        bulk, left = coder.pos()
        assert bulk == 0, (s, bulk)
        coder.seek(0, TOTAL | left)
        got = int(coder.decode(model))
        bulk, prob = coder.pos()
        assert got == s and bulk == 0, (s, got, bulk)
        lefts.append(left)
        probs.append(prob)
    return lefts, probs


def constriction_model(weights):
    """Categorical(w / 2**24, perfect=True), checked to reproduce every weight exactly."""
    model = Categorical(np.asarray(weights, np.float64) / TOTAL, perfect=True)
    lefts, probs = probe(model, len(weights))
    expected_left = np.concatenate([[0], np.cumsum(weights)[:-1]])
    if list(probs) != [int(x) for x in weights] or list(lefts) != [int(x) for x in expected_left]:
        raise AssertionError("Categorical(w / 2**24, perfect=True) does not reproduce the weights")
    return model


# --------------------------------------------------------------------------------------
# constriction coding with one model or per-symbol models
# --------------------------------------------------------------------------------------

class Models:
    """One model (index is None) or per-symbol models: symbol i uses pool[index[i]]."""

    def __init__(self, weights, pool, index):
        self.weights = weights  # list of int64 weight arrays, all of length K
        self.pool = pool        # matching constriction models
        self.index = index      # None or int array of length N

    def freqs(self, n):
        """The --freqs array for the first n symbols: (K,) or (n, K), uint32."""
        if self.index is None:
            return np.ascontiguousarray(self.weights[0], dtype=np.uint32)
        table = np.stack(self.weights).astype(np.uint32)
        return np.ascontiguousarray(table[self.index[:n]])

    def encode(self, coder, symbols):
        if self.index is None:
            coder.encode_reverse(symbols, self.pool[0])
            return
        for i in range(len(symbols) - 1, -1, -1):
            coder.encode_reverse(symbols[i:i + 1], self.pool[self.index[i]])

    def decode(self, coder, n):
        if self.index is None:
            return np.asarray(coder.decode(self.pool[0], n), np.int32)
        return np.array([int(coder.decode(self.pool[self.index[i]])) for i in range(n)], np.int32)


def chain_capacity(data, seal):
    """How many symbols a ChainCoder can decode from data (one 24-bit quantum each).

    The constructor moves one word into head_r (two when unsealed and the last word is
    < 2^8); of the m remaining words every 3 give 4 quanta, so m + m // 3 in all.
    """
    head_words = 1 if seal or data[-1] >= 1 << 8 else 2
    m = len(data) - head_words
    return m + m // 3


def random_words(rng, n):
    return rng.integers(0, 1 << 32, size=n, dtype=np.uint32)


def random_data(rng, length, seal):
    """Random words; unsealed data must end in a non-zero word, sealed data may end in zeros."""
    data = random_words(rng, length)
    if length and seal and rng.random() < 0.25:
        data[-int(rng.integers(1, min(3, length) + 1)):] = 0
    if length and not seal:
        if rng.random() < 0.2:
            data[-1] = rng.integers(1, 256)  # small top word (ChainCoder pops a second one)
        elif data[-1] == 0:
            data[-1] = 1 + rng.integers(0, (1 << 32) - 1)
    return data


# --------------------------------------------------------------------------------------
# Running lcae
# --------------------------------------------------------------------------------------

class CliError(Exception):
    pass


class Trial:
    def __init__(self, lcae, workdir):
        self.lcae = lcae
        self.dir = workdir
        self.commands = []

    def path(self, name):
        return str(self.dir / name)

    def save(self, name, array, dtype):
        array = np.asarray(array)
        assert array.dtype == np.dtype(dtype), (name, array.dtype, dtype)
        np.save(self.path(name), np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")))
        return self.path(name)

    def run(self, *args):
        cmd = [str(self.lcae), *map(str, args)]
        self.commands.append(shlex.join(cmd))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise CliError(f"timed out after {CLI_TIMEOUT_S} s: {' '.join(args[:2])}")
        if proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise CliError(f"`lcae {' '.join(map(str, args[:2]))}` exited {proc.returncode}: "
                           + (" | ".join(err[-3:]) if err else "(no output)"))

    def load(self, name, dtype):
        path = self.path(name)
        if not os.path.exists(path):
            raise CliError(f"{name} was not written")
        array = np.load(path)
        if array.dtype != np.dtype(dtype):
            raise CliError(f"{name} has dtype {array.dtype}, expected {np.dtype(dtype)}")
        if array.ndim != 1:
            raise CliError(f"{name} has shape {array.shape}, expected 1-D")
        return array


def compare(what, got, expected):
    """None if equal, else a short description of the first difference."""
    if len(got) != len(expected):
        n = min(len(got), len(expected))
        diff = np.nonzero(got[:n] != expected[:n])[0]
        first = f", first difference at {int(diff[0])}" if len(diff) else ""
        return f"{what}: length {len(got)}, expected {len(expected)}{first}"
    diff = np.nonzero(got != expected)[0]
    if len(diff):
        i = int(diff[0])
        return (f"{what}: {len(diff)} of {len(got)} differ, first at [{i}]: "
                f"got {int(got[i])}, expected {int(expected[i])}")
    return None


# --------------------------------------------------------------------------------------
# One trial
# --------------------------------------------------------------------------------------

def make_trial_data(rng, max_n, max_k):
    r = rng.random()
    k = 2 if r < 0.08 else max_k if r < 0.16 else log_uniform_int(rng, 2, max_k)
    r = rng.random()
    n = 0 if r < 0.05 else int(rng.integers(1, 8)) if r < 0.15 else int(rng.integers(0, max_n + 1))
    per_symbol = bool(rng.random() < 0.5)
    pool_size = 1 if not per_symbol else int(rng.integers(1, max(1, min(n, 16)) + 1))
    kinds = [WEIGHT_KINDS[int(rng.integers(len(WEIGHT_KINDS)))] for _ in range(pool_size)]
    weights = [random_weights(rng, k, kind) for kind in kinds]
    index = rng.integers(0, pool_size, size=n) if per_symbol else None
    draw = ("model", "uniform", "mixed")[int(rng.choice(3, p=[0.6, 0.15, 0.25]))]

    symbols = np.zeros(n, np.int32)
    idx = index if per_symbol else np.zeros(n, np.int64)
    for m, w in enumerate(weights):
        mask = idx == m
        symbols[mask] = rng.choice(k, size=int(mask.sum()), p=w / TOTAL)
    if draw != "model":
        replace = rng.random(n) < (1.0 if draw == "uniform" else 0.1)
        symbols[replace] = rng.integers(0, k, size=int(replace.sum()))
    desc = (f"K={k} N={n} " + (f"per-symbol({pool_size} distinct)" if per_symbol else "one-model")
            + f" {'+'.join(sorted(set(kinds)))} symbols={draw}")
    return k, n, weights, index, symbols, desc


def run_trial(lcae, trial_no, seed, max_n, max_k, workdir):
    """Returns (passed, line, trial) for one trial."""
    rng = np.random.default_rng([seed, trial_no])
    k, n, weights, index, symbols, desc = make_trial_data(rng, max_n, max_k)
    t = Trial(lcae, workdir)
    results = []  # (check, ok, detail)

    def check(name, fn):
        try:
            err = fn()
        except CliError as e:
            err = str(e)
        except BaseException as e:  # includes constriction's PanicException
            if is_fatal(e):
                raise
            err = f"harness/constriction error: {type(e).__name__}: {e}"
        results.append((name, err is None, err))
        return err is None

    try:
        models = Models(weights, [constriction_model(w) for w in weights], index)
    except BaseException as e:
        if is_fatal(e):
            raise
        return False, f"trial {trial_no}: {desc}: FAIL (harness: {type(e).__name__}: {e})", t
    freqs = t.save("freqs.npy", models.freqs(n), np.uint32)
    t.save("symbols.npy", symbols, np.int32)

    # 1. ans encode
    ref_words = {}

    def ans_encode():
        coder = AnsCoder()
        models.encode(coder, symbols)
        ref_words["w"] = coder.get_compressed()
        t.save("ref_words.npy", ref_words["w"], np.uint32)
        t.run("ans", "encode", "--freqs", freqs, "--symbols", t.path("symbols.npy"),
              "-o", t.path("words.npy"))
        return compare("words", t.load("words.npy", np.uint32), ref_words["w"])

    check("ans-encode", ans_encode)

    # 2. ans decode of constriction's words
    def ans_decode():
        if "w" not in ref_words:
            return "skipped: no reference words"
        t.run("ans", "decode", "--freqs", freqs, "--words", t.path("ref_words.npy"),
              "--count", n, "-o", t.path("decoded.npy"))
        return compare("symbols", t.load("decoded.npy", np.int32), symbols)

    check("ans-decode", ans_decode)

    # 2b. ans decode of garbage, sealed and not
    for sealed in (True, False):
        length = int(rng.integers(1, max(2, (n * 3) // 4 + 20)))
        garbage = random_data(rng, length, sealed)
        tag = "sealed" if sealed else "unsealed"

        def ans_garbage(garbage=garbage, sealed=sealed, tag=tag):
            coder = AnsCoder(garbage, seal=sealed)
            expected = models.decode(coder, n)
            t.save(f"garbage_{tag}.npy", garbage, np.uint32)
            t.run("ans", "decode", "--freqs", freqs, "--words", t.path(f"garbage_{tag}.npy"),
                  "--count", n, "-o", t.path(f"garbage_{tag}_decoded.npy"),
                  *(["--sealed"] if sealed else []))
            return compare("symbols", t.load(f"garbage_{tag}_decoded.npy", np.int32), expected)

        check("ans-garbage-sealed" if sealed else "ans-garbage", ans_garbage)

    # 3. chain decode / encode, sealed and not
    chain_desc = []
    for sealed in (True, False):
        # Half the time the data holds fewer quanta than N (decode all it holds),
        # otherwise usually more (words that decoding never touches stay compressed).
        fits = (n * 3) // 4 + 3
        length = int(rng.integers(3, fits + 1) if rng.random() < 0.5 else rng.integers(fits, fits + 300))
        data = random_data(rng, length, sealed)
        nc = min(n, chain_capacity(data, sealed))
        chain_desc.append(f"{'sealed' if sealed else 'unsealed'} L={length} N={nc}")
        tag = "sealed" if sealed else "unsealed"
        state = {}

        def chain_decode(data=data, sealed=sealed, nc=nc, tag=tag, state=state):
            coder = ChainCoder(data, is_remainders=False, seal=sealed)
            sym = models.decode(coder, nc)
            rem = np.concatenate(coder.get_remainders())
            enc = ChainCoder(rem, is_remainders=True, seal=False)
            models.encode(enc, sym)
            back = np.concatenate(enc.get_data(unseal=sealed))
            if not np.array_equal(back, data):
                return "harness: constriction's get_data does not give the original data back"
            state.update(symbols=sym, remainders=rem, data=back)
            t.save(f"chain_freqs_{tag}.npy", models.freqs(nc), np.uint32)
            t.save(f"chain_data_{tag}.npy", data, np.uint32)
            t.save(f"chain_ref_symbols_{tag}.npy", sym, np.int32)
            t.save(f"chain_ref_remainders_{tag}.npy", rem, np.uint32)
            t.run("chain", "decode", "--freqs", t.path(f"chain_freqs_{tag}.npy"),
                  "--data", t.path(f"chain_data_{tag}.npy"), "--count", nc,
                  "-o", t.path(f"chain_symbols_{tag}.npy"),
                  "--remainders", t.path(f"chain_remainders_{tag}.npy"),
                  *(["--sealed"] if sealed else []))
            got_sym = t.load(f"chain_symbols_{tag}.npy", np.int32)
            got_rem = t.load(f"chain_remainders_{tag}.npy", np.uint32)
            return compare("symbols", got_sym, sym) or compare("remainders", got_rem, rem)

        def chain_encode(sealed=sealed, tag=tag, state=state):
            if "symbols" not in state:
                return "skipped: constriction's chain decode did not run"
            t.run("chain", "encode", "--freqs", t.path(f"chain_freqs_{tag}.npy"),
                  "--symbols", t.path(f"chain_ref_symbols_{tag}.npy"),
                  "--remainders", t.path(f"chain_ref_remainders_{tag}.npy"),
                  "-o", t.path(f"chain_encoded_{tag}.npy"),
                  *(["--unseal"] if sealed else []))
            return compare("data", t.load(f"chain_encoded_{tag}.npy", np.uint32), state["data"])

        check(f"chain-decode-{tag}" if sealed else "chain-decode", chain_decode)
        check(f"chain-encode-{tag}" if sealed else "chain-encode", chain_encode)

    failed = [(name, err) for name, ok, err in results if not ok]
    words = len(ref_words["w"]) if "w" in ref_words else "?"
    head = f"trial {trial_no}: {desc} words={words} chain[{', '.join(chain_desc)}]"
    if not failed:
        return True, f"{head}: ok ({len(results)} checks)", t
    lines = [f"{head}: FAIL"] + [f"    {name}: {err}" for name, err in failed]
    return False, "\n".join(lines), t


def keep_failure(trial, keep_dir, trial_no, seed):
    dest = Path(keep_dir) / f"trial-{trial_no}"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(trial.dir, dest)
    commands = "\n".join(trial.commands).replace(str(trial.dir), str(dest.resolve()))
    (dest / "commands.sh").write_text(
        f"# python3 tools/interop_check.py --seed {seed} --only {trial_no}\n{commands}\n")
    return dest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring for what is checked.")
    ap.add_argument("--lcae", help="lcae binary (default: .build/release/lcae in the repository; "
                                   "built with swift build when missing)")
    ap.add_argument("--build", action="store_true", help="run swift build -c release --product lcae first")
    ap.add_argument("--trials", type=int, default=20, help="number of trials (default 20)")
    ap.add_argument("--seed", type=int, help="seed (default: derived from the clock; always printed)")
    ap.add_argument("--only", type=int, metavar="T", help="run only trial T of the seed")
    ap.add_argument("--max-n", type=int, default=5000, help="most symbols per trial (default 5000)")
    ap.add_argument("--max-k", type=int, default=1000, help="largest alphabet (default 1000)")
    ap.add_argument("--keep-failures", metavar="DIR", help="copy the files of failing trials to DIR")
    args = ap.parse_args()
    if not 2 <= args.max_k <= 1000 or args.max_n < 0 or args.trials < 0:
        ap.error("need 2 <= --max-k <= 1000, --max-n >= 0, --trials >= 0")

    ensure_constriction()
    lcae = find_lcae(args.lcae, args.build)
    seed = args.seed if args.seed is not None else time.time_ns() % (1 << 32)
    print(f"interop_check: seed {seed} (rerun: python3 tools/interop_check.py --seed {seed}"
          f"{'' if args.trials == 20 else f' --trials {args.trials}'}), lcae {lcae}, "
          f"constriction {importlib.metadata.version('constriction')}", flush=True)

    trials = [args.only] if args.only is not None else range(args.trials)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="lcae-interop-") as tmp:
        for trial_no in trials:
            workdir = Path(tmp) / f"trial-{trial_no}"
            workdir.mkdir()
            ok, line, trial = run_trial(lcae, trial_no, seed, args.max_n, args.max_k, workdir)
            print(line, flush=True)
            if ok:
                passed += 1
            else:
                failed += 1
                if args.keep_failures:
                    print(f"    files kept in {keep_failure(trial, args.keep_failures, trial_no, seed)}")
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
