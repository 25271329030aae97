#!/usr/bin/env python3
"""Benchmark LCAE's rANS coder against constriction 0.5.0 on the same data, in one run.

Usage (from the repository root):

    python3 tools/bench_constriction.py                     # N = 10,000,000, 5 repeats
    python3 tools/bench_constriction.py --symbols 1000000 --repeats 3
    python3 tools/bench_constriction.py --json > bench.json

What it does:
  1. runs `lcae bench --json --dump TMPDIR --symbols N --repeats R`, which times LCAE
     (per case, op, lane count and thread count) and writes the exact data it used;
  2. times constriction 0.5.0 on that data in this process: single-threaded, one
     untimed warm-up, then the median of R timed runs (the methodology of the research
     notes, constriction's source):
       categorical256  one model, Categorical(freqs / 2**24, perfect=True), which
                       reproduces the integer weights exactly (checked by probing every
                       symbol through the coder state);
                       encode = AnsCoder() + encode_reverse(symbols, model) + get_compressed()
                       decode = AnsCoder(compressed) + decode(model, N)
       gaussian64      QuantizedGaussian(-128, 127) with per-symbol means and stds taken
                       from the dumped table parameters, values = symbols - 128;
                       encode_reverse(values, qg, means, stds) / decode(qg, means, stds).
                       constriction cannot take N rows of 256 probabilities, so this case
                       compares the same distributions and the same symbols, with
                       constriction evaluating its Gaussian CDF per symbol as its users do;
                       its quantization therefore differs slightly from LCAE's tables (the
                       script reports by how much).
     Decoded symbols are checked outside the timed region;
  3. prints a table: for each case and op, LCAE's best single-thread figure per lane count
     next to constriction's, the ratio constriction time / LCAE time (> 1: LCAE is
     faster), bits per symbol of both and the cross-entropy; LCAE's threads=2 scaling;
     whether the targets are met (categorical256 decode <= 3 ns/symbol with 4 lanes and
     1 thread, encode <= 5 ns/symbol, decode ratio >= 10, threads=2 >= 1.8x threads=1);
     and how much CPU other processes used meanwhile (from /proc/stat), because numbers
     from a shared machine are only meaningful together with that.

`--json` prints all of it as one JSON object instead. The script reports; it does not fail
on timing. Exit status: 0, or 1 if a decode did not give the symbols back or the dumped
data is malformed (a crash of `lcae bench` also exits non-zero).

The tool is `.build/release/lcae` under the repository root unless `--lcae PATH` is
given; when the default binary is missing (or `--build` is given) the script runs
`swift build -c release --product lcae` first. constriction 0.5.0 is installed with pip
if another version (or none) is importable. There is no randomness in this script; the
data is whatever `lcae bench` generated (keep it with `--keep-dump DIR`).
"""

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from constriction_setup import CONSTRICTION_VERSION, REPO_ROOT, find_lcae, install_constriction  # noqa: E402

PRECISION = 24
TOTAL = 1 << PRECISION
GAUSS_MIN, GAUSS_MAX = -128, 127

TARGET_CAT_DECODE_NS = 3.0   # categorical256 decode, 4 lanes, 1 thread
TARGET_CAT_ENCODE_NS = 5.0   # categorical256 encode, 4 lanes, 1 thread
TARGET_DECODE_RATIO = 10.0   # constriction decode time / lcae decode time
TARGET_THREAD_SPEEDUP = 1.8  # threads=2 vs threads=1 at the same lane count
TARGET_LANES = 4

AnsCoder = Categorical = QuantizedGaussian = None  # bound by ensure_constriction()


def ensure_constriction():
    global AnsCoder, Categorical, QuantizedGaussian
    constriction = install_constriction()

    AnsCoder = constriction.stream.stack.AnsCoder
    Categorical = constriction.stream.model.Categorical
    QuantizedGaussian = constriction.stream.model.QuantizedGaussian


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class BadData(Exception):
    pass


# --------------------------------------------------------------------------------------
# Machine load: how much CPU did *other* processes use? (/proc/stat)
# --------------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_proc_stat():
    """(busy, steal) jiffies summed over all CPUs. busy excludes idle, iowait and steal."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    assert fields[0] == "cpu"
    v = [int(x) for x in fields[1:]] + [0] * 10
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    return user + nice + system + irq + softirq, steal  # guest time is already in user


def read_pid_jiffies(pid):
    """utime + stime (+ waited-for children) of a process, in jiffies."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in rest[11:15])  # fields 14..17: utime stime cutime cstime


class LoadMonitor:
    """Samples /proc/stat and the measured process's own CPU time every `interval` s.

    other = all busy CPU time minus the measured process's (and this script's) own.
    stop() returns the average over the whole span and the maximum over intervals.
    """

    def __init__(self, pid, interval=0.5):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        try:
            own = read_pid_jiffies(self.pid)
            if self.pid != os.getpid():
                own += read_pid_jiffies(os.getpid())
        except (OSError, IndexError, ValueError):
            return False
        busy, steal = read_proc_stat()
        self.samples.append((time.monotonic(), busy, steal, own))
        return True

    def _run(self):
        while not self._stop.wait(self.interval):
            if not self._sample():
                break

    def start(self):
        self._self_t0 = os.times()
        self._sample()
        self._thread.start()
        return self

    def stop(self, own_total_s=None):
        """own_total_s: the measured process's exact CPU seconds (for an exited child)."""
        self._stop.set()
        self._thread.join()
        t1 = time.monotonic()
        busy1, steal1 = read_proc_stat()
        t0, busy0, steal0, own0 = self.samples[0]
        wall = max(t1 - t0, 1e-9)
        if own_total_s is None:
            self._sample()
            own_s = (self.samples[-1][3] - own0) / CLK_TCK
        else:  # the exited child's exact CPU time plus this script's
            t = os.times()
            own_s = own_total_s + (t.user - self._self_t0.user) + (t.system - self._self_t0.system)
        other = max(0.0, ((busy1 - busy0) / CLK_TCK - own_s) / wall)
        peak = 0.0
        for (ta, ba, _, oa), (tb, bb, _, ob) in zip(self.samples, self.samples[1:]):
            if tb - ta >= 0.2:
                peak = max(peak, ((bb - ba) - (ob - oa)) / CLK_TCK / (tb - ta))
        return {
            "wall_s": round(wall, 3),
            "own_cpu_s": round(own_s, 3),
            "other_cores_avg": round(other, 3),
            "other_cores_max": round(max(peak, other), 3),
            "steal_cores_avg": round((steal1 - steal0) / CLK_TCK / wall, 3),
        }


def machine_info():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "constriction": importlib.metadata.version("constriction"),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None,
    }


# --------------------------------------------------------------------------------------
# lcae side
# --------------------------------------------------------------------------------------

RECORD_KEYS = ("case", "op", "lanes", "threads", "ns_per_symbol", "bits_per_symbol", "cross_entropy_bits")


def run_lcae_bench(lcae, symbols, repeats, dump_dir):
    cmd = [str(lcae), "bench", "--json", "--symbols", str(symbols), "--repeats", str(repeats),
           "--dump", str(dump_dir)]
    log(f"running: {' '.join(cmd)}")
    children0 = os.times()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    monitor = LoadMonitor(proc.pid).start()
    out, _ = proc.communicate()
    children1 = os.times()
    own = (children1.children_user - children0.children_user
           + children1.children_system - children0.children_system)
    load = monitor.stop(own_total_s=own)
    if proc.returncode != 0:
        sys.exit(f"error: lcae bench exited with status {proc.returncode}")
    try:
        records = json.loads(out)
    except json.JSONDecodeError as e:
        sys.exit(f"error: lcae bench did not print a JSON array: {e}\n{out[:500]}")
    if not isinstance(records, list):
        sys.exit("error: lcae bench did not print a JSON array")
    for r in records:
        missing = [k for k in RECORD_KEYS if k not in r]
        if missing:
            sys.exit(f"error: lcae bench record {r} lacks {missing}")
    return records, load


def load_npy(dump_dir, name, dtype, shape):
    path = Path(dump_dir) / name
    if not path.exists():
        raise BadData(f"lcae bench --dump did not write {name}")
    a = np.load(path)
    if a.dtype != np.dtype(dtype):
        raise BadData(f"{name}: dtype {a.dtype}, expected {np.dtype(dtype)}")
    if len(a.shape) != len(shape) or any(e is not None and e != g for e, g in zip(shape, a.shape)):
        raise BadData(f"{name}: shape {a.shape}, expected {shape}")
    return np.ascontiguousarray(a)


def load_dump(dump_dir, n):
    d = {}
    d["cat_freqs"] = load_npy(dump_dir, "categorical256_freqs.npy", np.uint32, (256,))
    d["cat_symbols"] = load_npy(dump_dir, "categorical256_symbols.npy", np.int32, (n,))
    d["g_params"] = load_npy(dump_dir, "gaussian64_params.npy", np.float64, (64, 2))
    d["g_freqs"] = load_npy(dump_dir, "gaussian64_freqs.npy", np.uint32, (64, 256))
    d["g_index"] = load_npy(dump_dir, "gaussian64_index.npy", np.int32, (n,))
    d["g_symbols"] = load_npy(dump_dir, "gaussian64_symbols.npy", np.int32, (n,))
    f = d["cat_freqs"].astype(np.int64)
    if f.min() < 1 or int(f.sum()) != TOTAL:
        raise BadData("categorical256_freqs: need weights >= 1 summing to 2**24")
    g = d["g_freqs"].astype(np.int64)
    if g.min() < 1 or np.any(g.sum(axis=1) != TOTAL):
        raise BadData("gaussian64_freqs: need weights >= 1 with every row summing to 2**24")
    for name, arr, hi in (("categorical256_symbols", d["cat_symbols"], 256),
                          ("gaussian64_symbols", d["g_symbols"], 256),
                          ("gaussian64_index", d["g_index"], 64)):
        if len(arr) and (arr.min() < 0 or arr.max() >= hi):
            raise BadData(f"{name}: values outside [0, {hi})")
    p = d["g_params"]
    if not np.all(np.isfinite(p)) or np.any(p[:, 1] <= 0):
        raise BadData("gaussian64_params: need finite means and positive stds")
    return d


# --------------------------------------------------------------------------------------
# constriction side
# --------------------------------------------------------------------------------------

def probe(symbols, encode_one, decode_one):
    """(left, prob) of each symbol, read through AnsCoder state (research notes §3.4).

    Encoding s on an empty AnsCoder (state 0) leaves state = left(s); decoding from state
    2^24 | left(s) yields s and leaves state = prob(s).
    """
    out = []
    for s in symbols:
        coder = AnsCoder()
        encode_one(coder, s)
        bulk, left = coder.pos()
        assert bulk == 0, (s, bulk)
        coder.seek(0, TOTAL | left)
        got = decode_one(coder)
        bulk, prob = coder.pos()
        assert got == s and bulk == 0, (s, got, bulk)
        out.append((left, prob))
    return out


def categorical_model(freqs):
    """Categorical(freqs / 2**24, perfect=True), checked to reproduce every weight."""
    model = Categorical(freqs.astype(np.float64) / TOTAL, perfect=True)
    lp = probe(range(len(freqs)),
               lambda c, s: c.encode_reverse(np.array([s], np.int32), model),
               lambda c: int(c.decode(model)))
    left = np.concatenate([[0], np.cumsum(freqs.astype(np.int64))[:-1]])
    bad = [s for s, (l, p) in enumerate(lp) if l != left[s] or p != int(freqs[s])]
    if bad:
        raise BadData(f"Categorical(freqs / 2**24, perfect=True) does not reproduce weights of "
                      f"symbols {bad[:10]}")
    return model


def constriction_gaussian_tables(params):
    """constriction's QuantizedGaussian(-128, 127) weights, (64, 256), by probing."""
    qg = QuantizedGaussian(GAUSS_MIN, GAUSS_MAX)
    tables = np.zeros((len(params), GAUSS_MAX - GAUSS_MIN + 1), np.int64)
    for t, (mean, std) in enumerate(params):
        m, s = np.array([mean]), np.array([std])
        lp = probe(range(GAUSS_MIN, GAUSS_MAX + 1),
                   lambda c, v: c.encode_reverse(np.array([v], np.int32), qg, m, s),
                   lambda c: int(c.decode(qg, m, s)[0]))
        tables[t] = [p for _, p in lp]
        assert int(tables[t].sum()) == TOTAL
    return tables


def cross_entropy(probs_of_symbols):
    if len(probs_of_symbols) == 0:
        return float("nan")
    return float(-np.mean(np.log2(probs_of_symbols)))


def time_runs(fn, repeats):
    """One untimed warm-up, then `repeats` timed runs; returns (seconds list, last result)."""
    result = fn()
    runs = []
    for _ in range(repeats):
        result = None
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return runs, result


def bench_constriction(data, repeats):
    """Returns (records, info, mismatches)."""
    n = len(data["cat_symbols"])
    records, info, mismatches = [], {}, []

    def record(case, op, runs, bits, ce):
        med = statistics.median(runs)
        records.append({
            "case": case, "op": op, "lanes": 1, "threads": 1,
            "ns_per_symbol": med * 1e9 / max(n, 1),
            "bits_per_symbol": bits, "cross_entropy_bits": ce,
            "median_s": med, "runs_s": [round(r, 6) for r in runs],
        })
        log(f"  constriction {case} {op}: {med * 1e3:.1f} ms ({med * 1e9 / max(n, 1):.2f} ns/symbol)")

    # categorical256
    freqs, symbols = data["cat_freqs"], data["cat_symbols"]
    model = categorical_model(freqs)
    ce = cross_entropy(freqs[symbols].astype(np.float64) / TOTAL)
    info["categorical256"] = {"model_check": "Categorical(freqs / 2**24, perfect=True) reproduces all 256 weights (probed)",
                              "cross_entropy_bits": ce}

    def cat_encode():
        coder = AnsCoder()
        coder.encode_reverse(symbols, model)
        return coder.get_compressed()

    runs, compressed = time_runs(cat_encode, repeats)
    bits = 32 * len(compressed) / max(n, 1)
    record("categorical256", "encode", runs, bits, ce)

    def cat_decode():
        coder = AnsCoder(compressed)
        return coder.decode(model, n)

    runs, decoded = time_runs(cat_decode, repeats)
    record("categorical256", "decode", runs, bits, ce)
    if not np.array_equal(decoded, symbols):
        mismatches.append("constriction categorical256 decode did not give the symbols back")
    del decoded, compressed

    # gaussian64
    params, index, gsym = data["g_params"], data["g_index"], data["g_symbols"]
    values = (gsym - np.int32(128)).astype(np.int32)
    means = np.ascontiguousarray(params[index, 0])
    stds = np.ascontiguousarray(params[index, 1])
    qg = QuantizedGaussian(GAUSS_MIN, GAUSS_MAX)
    c_tables = constriction_gaussian_tables(params)
    l_tables = data["g_freqs"].astype(np.int64)
    ce_c = cross_entropy(c_tables[index, gsym] / TOTAL)
    ce_l = cross_entropy(l_tables[index, gsym] / TOTAL)
    diff = np.abs(c_tables - l_tables)
    info["gaussian64"] = {
        "note": ("same distributions (64 Gaussians over [-128, 127]) and symbols; constriction "
                 "evaluates its Gaussian CDF per symbol (QuantizedGaussian with per-symbol "
                 "means/stds), as its users do, so its 24-bit quantization differs slightly "
                 "from lcae's tables"),
        "table_entries_differing": int(np.count_nonzero(diff)),
        "table_entries": int(diff.size),
        "table_max_abs_diff": int(diff.max()),
        "cross_entropy_bits_lcae_tables": ce_l,
        "cross_entropy_bits_constriction_quantization": ce_c,
    }

    def g_encode():
        coder = AnsCoder()
        coder.encode_reverse(values, qg, means, stds)
        return coder.get_compressed()

    runs, compressed = time_runs(g_encode, repeats)
    gbits = 32 * len(compressed) / max(n, 1)
    record("gaussian64", "encode", runs, gbits, ce_c)

    def g_decode():
        coder = AnsCoder(compressed)
        return coder.decode(qg, means, stds)

    runs, decoded = time_runs(g_decode, repeats)
    record("gaussian64", "decode", runs, gbits, ce_c)
    if not np.array_equal(decoded, values):
        mismatches.append("constriction gaussian64 decode did not give the symbols back")
    return records, info, mismatches


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------

def extra_config(r):
    """Configuration keys of a record beyond the contract's (e.g. "substreams"), as a tuple.

    Extra keys with float values are taken to be measurements and are ignored.
    """
    return tuple(sorted((k, v) for k, v in r.items()
                        if k not in RECORD_KEYS and not isinstance(v, (float, list, dict))))


def config_label(r):
    return " ".join(f"{k}={v}" for k, v in extra_config(r))


def best(records, case, op, threads, lanes=None):
    """The lcae record with the lowest ns/symbol for this key (None if there is none)."""
    cands = [r for r in records if r["case"] == case and r["op"] == op and r["threads"] == threads
             and (lanes is None or r["lanes"] == lanes)]
    return min(cands, key=lambda r: r["ns_per_symbol"]) if cands else None


def compare(lcae_records, c_records, info):
    c_by = {(r["case"], r["op"]): r for r in c_records}
    cases = list(dict.fromkeys([r["case"] for r in lcae_records] + [r["case"] for r in c_records]))
    rows, scaling, targets, notes = [], [], [], []
    for case in cases:
        for op in ("encode", "decode"):
            c = c_by.get((case, op))
            lanes_list = sorted({r["lanes"] for r in lcae_records if r["case"] == case and r["op"] == op})
            for lanes in lanes_list:
                r = best(lcae_records, case, op, 1, lanes)
                if r is None:
                    continue
                rows.append({
                    "case": case, "op": op, "lanes": lanes, "threads": 1,
                    "lcae_config": dict(extra_config(r)),
                    "lcae_ns_per_symbol": r["ns_per_symbol"],
                    "constriction_ns_per_symbol": c["ns_per_symbol"] if c else None,
                    "ratio": c["ns_per_symbol"] / r["ns_per_symbol"] if c and r["ns_per_symbol"] > 0 else None,
                    "lcae_bits_per_symbol": r["bits_per_symbol"],
                    "constriction_bits_per_symbol": c["bits_per_symbol"] if c else None,
                    "lcae_cross_entropy_bits": r["cross_entropy_bits"],
                    "constriction_cross_entropy_bits": c["cross_entropy_bits"] if c else None,
                })
            # threads=2 against threads=1 with the same lanes and the same other configuration
            for r2 in sorted((r for r in lcae_records if r["case"] == case and r["op"] == op
                              and r["threads"] == 2), key=lambda r: (r["lanes"], extra_config(r))):
                r1 = [r for r in lcae_records if r["case"] == case and r["op"] == op and r["threads"] == 1
                      and r["lanes"] == r2["lanes"] and extra_config(r) == extra_config(r2)]
                if not r1 or r2["ns_per_symbol"] <= 0:
                    continue
                t1 = min(x["ns_per_symbol"] for x in r1)
                speedup = t1 / r2["ns_per_symbol"]
                scaling.append({"case": case, "op": op, "lanes": r2["lanes"],
                                "lcae_config": dict(extra_config(r2)),
                                "threads1_ns": t1, "threads2_ns": r2["ns_per_symbol"],
                                "speedup": speedup, "target": TARGET_THREAD_SPEEDUP,
                                "met": speedup >= TARGET_THREAD_SPEEDUP})

    def target(name, value, limit, higher_is_better, detail):
        met = None if value is None else (value >= limit if higher_is_better else value <= limit)
        targets.append({"target": name, "value": value, "limit": limit,
                        "met": met, "detail": detail})

    cat_dec = best(lcae_records, "categorical256", "decode", 1, TARGET_LANES)
    cat_enc = best(lcae_records, "categorical256", "encode", 1, TARGET_LANES)
    c_dec = c_by.get(("categorical256", "decode"))
    target(f"categorical256 decode <= {TARGET_CAT_DECODE_NS:g} ns/symbol (lanes={TARGET_LANES}, threads=1)",
           cat_dec and cat_dec["ns_per_symbol"], TARGET_CAT_DECODE_NS, False, "lcae ns/symbol")
    target(f"categorical256 encode <= {TARGET_CAT_ENCODE_NS:g} ns/symbol (lanes={TARGET_LANES}, threads=1)",
           cat_enc and cat_enc["ns_per_symbol"], TARGET_CAT_ENCODE_NS, False, "lcae ns/symbol")
    target(f"categorical256 decode ratio >= {TARGET_DECODE_RATIO:g} (lanes={TARGET_LANES}, threads=1)",
           c_dec["ns_per_symbol"] / cat_dec["ns_per_symbol"] if cat_dec and c_dec else None,
           TARGET_DECODE_RATIO, True, "constriction ns / lcae ns")
    g_dec = best(lcae_records, "gaussian64", "decode", 1)
    cg_dec = c_by.get(("gaussian64", "decode"))
    target(f"gaussian64 decode ratio >= {TARGET_DECODE_RATIO:g} (best single-thread lanes"
           + (f" = {g_dec['lanes']})" if g_dec else ")"),
           cg_dec["ns_per_symbol"] / g_dec["ns_per_symbol"] if g_dec and cg_dec else None,
           TARGET_DECODE_RATIO, True, "constriction ns / lcae ns; same criterion applied to the Gaussian case")
    for s in scaling:
        if s["op"] == "decode":
            label = " ".join([f"lanes={s['lanes']}"] + [f"{k}={v}" for k, v in s["lcae_config"].items()])
            target(f"{s['case']} decode threads=2 >= {TARGET_THREAD_SPEEDUP:g}x threads=1 ({label})",
                   s["speedup"], TARGET_THREAD_SPEEDUP, True, "threads=1 ns / threads=2 ns")

    # Consistency notes (not failures).
    c_enc = c_by.get(("categorical256", "encode"))
    ones = [r for r in lcae_records if r["case"] == "categorical256" and r["lanes"] == 1 and r["threads"] == 1]
    if ones and c_enc:
        same = [r for r in ones if r["bits_per_symbol"] == c_enc["bits_per_symbol"]]
        if same:
            notes.append("categorical256: lcae lanes=1 bits/symbol equals constriction's exactly "
                         f"(same stream length){' with ' + config_label(same[0]) if config_label(same[0]) else ''}")
        else:
            d = min((r["bits_per_symbol"] - c_enc["bits_per_symbol"] for r in ones), key=abs)
            notes.append(f"categorical256: lcae lanes=1 bits/symbol differs from constriction's by {d:+.3g}")
    ce = info.get("categorical256", {}).get("cross_entropy_bits")
    for case, key in (("categorical256", None), ("gaussian64", "cross_entropy_bits_lcae_tables")):
        mine = ce if key is None else info.get(case, {}).get(key)
        reported = {r["cross_entropy_bits"] for r in lcae_records if r["case"] == case}
        if mine is not None and reported and max(abs(x - mine) for x in reported) > 1e-6 * max(1.0, mine):
            notes.append(f"{case}: lcae reports cross_entropy_bits {sorted(reported)}, but the dumped data "
                         f"gives {mine:.6f} under lcae's own tables")
    g = info.get("gaussian64")
    if g:
        rel = abs(g["cross_entropy_bits_lcae_tables"] - g["cross_entropy_bits_constriction_quantization"])
        notes.append(f"gaussian64: {g['table_entries_differing']} of {g['table_entries']} table entries differ "
                     f"between lcae and constriction (max |diff| {g['table_max_abs_diff']} of 2^24); "
                     f"cross-entropy under lcae's tables {g['cross_entropy_bits_lcae_tables']:.6f}, under "
                     f"constriction's quantization {g['cross_entropy_bits_constriction_quantization']:.6f} bits/symbol")
        if rel > 0.01 * max(g["cross_entropy_bits_lcae_tables"], 1e-9):
            notes.append("gaussian64: WARNING the two quantizations differ by more than 1 % in cross-entropy; "
                         "check that gaussian64_params holds (mean, std) in value units (symbol j = value j - 128)")
    return rows, scaling, targets, notes


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------

def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_text(result):
    m, ld = result["machine"], result["load"]
    n, r = result["symbols"], result["repeats"]
    print(f"LCAE vs constriction {m['constriction']}: N = {n:,} symbols, median of {r} runs after 1 warm-up")
    print(f"machine: {m['cpu']}, {m['cpus']} CPUs; Python {m['python']}, numpy {m['numpy']}")
    for phase, label in (("lcae", "lcae bench"), ("constriction", "constriction runs")):
        x = ld[phase]
        print(f"machine load during {label} ({x['wall_s']:.1f} s): other processes used "
              f"{x['other_cores_avg']:.2f} cores on average (max {x['other_cores_max']:.2f} over 0.5 s "
              f"intervals) of {m['cpus']}; steal {x['steal_cores_avg']:.2f} cores")
    if max(ld["lcae"]["other_cores_avg"], ld["constriction"]["other_cores_avg"]) > 0.1:
        print("  note: the machine was not idle; timings (threads=2 especially) are affected")
    print()
    print("single-thread: lcae (best per lane count) vs constriction (1 lane, 1 thread); "
          "ratio = constriction time / lcae time (> 1: lcae faster)")
    hdr = (f"{'case':<15} {'op':<7} {'lanes':>5} {'lcae ns':>9} {'constr ns':>10} {'ratio':>7} "
           f"{'lcae bits':>10} {'constr bits':>11} {'lcae xent':>10} {'constr xent':>11}  lcae config")
    print(hdr)
    print("-" * len(hdr))
    for row in result["rows"]:
        print(f"{row['case']:<15} {row['op']:<7} {row['lanes']:>5} {fmt(row['lcae_ns_per_symbol'], '9.3f')} "
              f"{fmt(row['constriction_ns_per_symbol'], '10.3f')} {fmt(row['ratio'], '7.2f')} "
              f"{fmt(row['lcae_bits_per_symbol'], '10.6f')} {fmt(row['constriction_bits_per_symbol'], '11.6f')} "
              f"{fmt(row['lcae_cross_entropy_bits'], '10.6f')} {fmt(row['constriction_cross_entropy_bits'], '11.6f')}  "
              + " ".join(f"{k}={v}" for k, v in row["lcae_config"].items()))
    if result["scaling"]:
        print()
        print("lcae thread scaling (threads=1 ns / threads=2 ns)")
        for s in result["scaling"]:
            label = " ".join([f"lanes={s['lanes']}"] + [f"{k}={v}" for k, v in s["lcae_config"].items()])
            print(f"  {s['case']:<15} {s['op']:<7} {label}: {s['threads1_ns']:.3f} -> "
                  f"{s['threads2_ns']:.3f} ns/symbol, {s['speedup']:.2f}x "
                  f"({'meets' if s['met'] else 'below'} {s['target']:g}x)")
    print()
    print("targets")
    for t in result["targets"]:
        status = "n/a (no record)" if t["met"] is None else ("MET" if t["met"] else "NOT MET")
        print(f"  {t['target']}: {fmt(t['value'], '.3f')} -> {status}")
    print()
    print("notes")
    print(f"  gaussian64: {result['constriction_info']['gaussian64']['note']}")
    for note in result["notes"]:
        print(f"  {note}")
    for mm in result["mismatches"]:
        print(f"  ERROR: {mm}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring for the methodology.")
    ap.add_argument("--lcae", help="lcae binary (default: .build/release/lcae in the repository; "
                                   "built with swift build when missing)")
    ap.add_argument("--build", action="store_true", help="run swift build -c release --product lcae first")
    ap.add_argument("--symbols", type=int, default=10_000_000, help="symbols per case (default 10,000,000)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--keep-dump", metavar="DIR", help="copy the data lcae bench dumped to DIR")
    args = ap.parse_args()
    if args.symbols < 1 or args.repeats < 1:
        ap.error("--symbols and --repeats must be >= 1")

    ensure_constriction()
    lcae = find_lcae(args.lcae, args.build)
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="lcae-bench-") as tmp:
        dump = Path(tmp) / "dump"
        lcae_records, lcae_load = run_lcae_bench(lcae, args.symbols, args.repeats, dump)
        if args.keep_dump:
            shutil.copytree(dump, args.keep_dump, dirs_exist_ok=True)
        try:
            data = load_dump(dump, args.symbols)
        except BadData as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        log("timing constriction (single-threaded)")
        monitor = LoadMonitor(os.getpid()).start()
        try:
            c_records, info, mismatches = bench_constriction(data, args.repeats)
        except BadData as e:
            monitor.stop()
            print(f"error: {e}", file=sys.stderr)
            return 1
        c_load = monitor.stop()

    rows, scaling, targets, notes = compare(lcae_records, c_records, info)
    result = {
        "symbols": args.symbols, "repeats": args.repeats, "lcae_binary": str(lcae),
        "machine": machine, "load": {"lcae": lcae_load, "constriction": c_load},
        "rows": rows, "scaling": scaling, "targets": targets, "notes": notes,
        "mismatches": mismatches, "lcae": lcae_records, "constriction": c_records,
        "constriction_info": info,
    }
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print_text(result)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
