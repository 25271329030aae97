#!/usr/bin/env python3
"""An independent implementation of spec/lcae.md chapter 14 (relative entropy coding), from
the spec's text alone: Philox4x32-10 (§14.1), Gaussian candidates in Q16 (§14.2, with the
knots computed here by the standard library's NormalDist), the fixed-point latent (§14.3),
block seeds and candidate words (§14.4), the partition (§14.5), blocks (§14.6), the index
code (§14.7), the RECC chunk and its checks (§14.8) and the decoding process (§14.9).

It shares no code with the Swift library. tools/lcae_parse.py uses it for RECC chunks,
tools/make_conformance.py for the expected hashes of REC streams, and it writes the test
vectors the Swift tests compare with. Standard library only.

Usage (from the repository root):
    python3 tools/rec_reference.py vectors > Tests/LCAETests/Vectors/rec.json
    python3 tools/rec_reference.py decode FILE.lcae      # Q16 values and SHA-256 of each REC latent
    python3 tools/rec_reference.py payloads DIR          # RECC payloads of the corpus, as FuzzRec seeds
"""

import hashlib
import json
import math
import struct
import sys
from statistics import NormalDist

M32 = 0xFFFFFFFF


class RecError(Exception):
    """A reader error of chapter 14: a code of Table 9-1 and a file offset."""

    def __init__(self, code, offset, message):
        super().__init__(message)
        self.code, self.offset, self.message = code, offset, message


# ---- §14.1 Philox4x32-10 ----

def philox(key, counter):
    k0, k1 = key
    c0, c1, c2, c3 = counter
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    return c0, c1, c2, c3


def seed_key(seed):
    return seed & M32, seed >> 32


# ---- §14.2 Gaussian candidates in Q16 ----

def _knot(v):
    z = NormalDist().inv_cdf((v + 0.5) / 2 ** 32) * 65536
    return int(math.copysign(math.floor(abs(z) + 0.5), z))


DIRECT = [_knot(v) for v in range(64)]
OCTAVES = [[_knot(2 ** (L - 1) + k * 2 ** (L - 7)) for k in range(65)] for L in range(7, 32)]


def _lower(v):
    if v < 64:
        return DIRECT[v]
    L = v.bit_length()
    s = L - 7
    o = v - 2 ** (L - 1)
    j, f = o >> s, o & ((1 << s) - 1)
    a, b = OCTAVES[L - 7][j], OCTAVES[L - 7][j + 1]
    if s == 0:
        return a
    return a + (((b - a) * f + (1 << (s - 1))) >> s)


def q16(u):
    return _lower(u) if u < 2 ** 31 else -_lower(M32 - u)


# ---- §14.3 – §14.6 ----

def latent_value(z, mu, sigma):
    return mu + ((sigma * z + 2 ** 15) >> 16)      # Python's >> on negative ints is a floor


def block_key(seed, b):
    out = philox(seed_key(seed), (b, 0, 0, 0))
    return out[0], out[1]


def candidate_word(key, j, k, t):
    return philox(key, (k, j, t >> 2, 0))[t & 3]


def interval_word(u, i, p):
    return u if p == 0 else (i << (32 - p)) + (u >> p)


def layout(info, bits_per_block, max_block_dims, partitioned):
    """§14.6: the blocks as (start, end) and p_d of every dimension."""
    blocks, sums, start, total = [], [], 0, 0
    for d, value in enumerate(info):
        if d > start and (total + value > 256 * bits_per_block or d - start == max_block_dims):
            blocks.append((start, d))
            sums.append(total)
            start, total = d, 0
        total += value
    if info:
        blocks.append((start, len(info)))
        sums.append(total)
    bits = [0] * len(info)
    if partitioned:
        for (a, b), total in zip(blocks, sums):
            for _ in range(total // 256):
                eligible = [d for d in range(a, b) if info[d] >= 128 and bits[d] < 16]
                if not eligible:
                    break
                best = max(eligible, key=lambda d: (info[d] - 256 * bits[d], -d))
                bits[best] += 1
    return blocks, bits


def regenerate(seed, blocks, bits, messages, prior):
    """§14.9: the Q16 values of every dimension from each block's (intervals, k)."""
    values = []
    for b, ((start, end), (intervals, k)) in enumerate(zip(blocks, messages)):
        key = block_key(seed, b)
        per_position, it = [], iter(intervals)
        for d in range(start, end):
            per_position.append(next(it) if bits[d] else 0)
        j = 0
        for d, i in zip(range(start, end), per_position):
            if bits[d]:
                j = (j << bits[d]) + i
        for t, d in enumerate(range(start, end)):
            u = candidate_word(key, j, k, t)
            w = interval_word(u, per_position[t], bits[d])
            mu, sigma = prior[0] if len(prior) == 1 else prior[d]
            values.append(latent_value(q16(w), mu, sigma))
    return values


# ---- §14.7 index code ----

def octave_model(m, ratio):
    g = [65536]
    for _ in range(m):
        g.append((g[-1] * ratio) >> 16)
    total, free = sum(g), 65536 - (m + 1)
    f = [1 + x * free // total for x in g]
    f[0] += 65536 - sum(f)
    return f


def _cdf(freqs):
    c = [0]
    for f in freqs:
        c.append(c[-1] + f)
    return c


RAW = {c: [1 << (16 - c)] * (1 << c) for c in range(1, 9)}


class RansDecoder:
    """One lane, precision 16, unsealed start (§10.3.2, §10.3.3)."""

    def __init__(self, words, words_offset):
        self.stack, self.base = list(words), words_offset
        self.x = 0
        if self.stack:
            top = self.stack.pop()
            if top == 0:
                raise RecError("badPayload", self.base + 4 * len(words),
                               "the index stream's top word is 0 (spec §10.3.3, §14.7)")
            self.x = top
            while self.x < 2 ** 32 and self.stack:
                self.x = (self.x << 32) | self.stack.pop()

    def symbol(self, freqs):
        cdf = _cdf(freqs)
        q = self.x & 0xFFFF
        s = next(i for i in range(len(freqs)) if cdf[i] <= q < cdf[i + 1])
        self.x = (self.x >> 16) * freqs[s] + q - cdf[s]
        if self.x < 2 ** 32 and self.stack:
            self.x = (self.x << 32) | self.stack.pop()
        return s

    def raw(self, bits):
        value, shift = 0, 0
        while bits > 0:
            c = min(8, bits)
            value |= self.symbol(RAW[c]) << shift
            shift, bits = shift + c, bits - c
        return value

    @property
    def position(self):
        return self.base + 4 * len(self.stack)


def rans_encode(symbols):
    """Encodes (symbol, freqs) pairs so that decoding yields them in order (§10.3.1, §10.3.4)."""
    x, out = 0, []
    for s, freqs in reversed(symbols):
        cdf = _cdf(freqs)
        if (x >> 48) >= freqs[s]:
            out.append(x & M32)
            x >>= 32
        x = ((x // freqs[s]) << 16) + cdf[s] + x % freqs[s]
    if x:
        out.append(x & M32)
        if x >> 32:
            out.append(x >> 32)
    return out


def raw_symbols(value, bits):
    out = []
    while bits > 0:
        c = min(8, bits)
        out.append((value & ((1 << c) - 1), RAW[c]))
        value, bits = value >> c, bits - c
    return out


def encode_indices(messages, block_bits, exact, m, ratio):
    model = octave_model(m, ratio) if exact else None
    symbols = []
    for (intervals, k), bits in zip(messages, block_bits):
        for i, p in zip(intervals, [p for p in bits if p]):
            symbols += raw_symbols(i, p)
        if exact:
            v = k + 1
            o = v.bit_length() - 1
            symbols.append((o, model))
            symbols += raw_symbols(v - (1 << o), o)
        else:
            symbols += raw_symbols(k, m)
    return rans_encode(symbols)


def decode_indices(words, words_offset, block_bits, exact, m, ratio):
    dec = RansDecoder(words, words_offset)
    model = octave_model(m, ratio) if exact else None
    messages = []
    for bits in block_bits:
        intervals = [dec.raw(p) for p in bits if p]
        if exact:
            o = dec.symbol(model)
            k = (1 << o) + dec.raw(o) - 1
            if k >= 1 << m:
                raise RecError("badIndex", dec.position,
                               f"block {len(messages)}: in-bin index {k} is not below 2^{m} (spec §14.7)")
        else:
            k = dec.raw(m)
        messages.append((intervals, k))
    if dec.stack or dec.x:
        raise RecError("badPayload", dec.position,
                       f"the index stream does not end after the last block: {len(dec.stack)} words "
                       f"left, state {dec.x} (spec §14.7)")
    return messages


# ---- §14.8 RECC ----

METHODS = {0: "pfr", 1: "orc", 2: "sp-pfr", 3: "sp-orc"}


def parse_recc(p, chunk_offset, dims, max_rec_blocks, field=None):
    """The checks of §14.8 steps 1-5; p is the payload. Returns the chunk as a dict."""
    base = chunk_offset + 8
    field = field or (lambda *a: None)

    def bad(at, msg):
        return RecError("badField", base + at, msg + " (spec §14.8)")

    if len(p) < 22:
        raise RecError("badChunkLength", chunk_offset,
                       f"RECC payload is {len(p)} bytes, at least 22 required (spec §14.8)")
    method, prng, prior_mode = p[1], p[2], p[3]
    field("latent_index", base, 1, p[0])
    if method > 3:
        raise bad(1, f"method {method} is not 0 to 3")
    field("method", base + 1, 1, f"{method} ({METHODS[method]})")
    if prng != 1:
        raise bad(2, f"prng {prng} is not 1")
    if prior_mode > 1:
        raise bad(3, f"prior_mode {prior_mode} is not 0 or 1")
    (seed,) = struct.unpack_from("<Q", p, 4)
    field("global_seed", base + 4, 8, seed)
    bpb, m = p[12], p[13]
    (gmax, ratio, count) = struct.unpack_from("<HHI", p, 14)
    if bpb < 1:
        raise bad(12, "bits_per_block must be at least 1")
    if m > 24:
        raise bad(13, f"index_bits {m} is above 24")
    if gmax < 1:
        raise bad(14, "max_block_dims must be at least 1")
    exact = method in (0, 2)
    if (exact and ratio < 1) or (not exact and ratio != 0):
        raise bad(16, f"zeta_ratio {ratio} is not allowed for {METHODS[method]}")
    if count > max_rec_blocks:
        raise RecError("limitExceeded", base + 18,
                       f"{count} blocks, above max_rec_blocks = {max_rec_blocks} (spec §8, §14.8)")
    entries = 1 if prior_mode == 0 else dims
    fixed_end = 22 + 8 * entries + 2 * dims + 4
    if len(p) < fixed_end:
        raise RecError("badChunkLength", chunk_offset,
                       f"RECC payload is {len(p)} bytes, at least {fixed_end} needed (spec §14.8)")
    (word_count,) = struct.unpack_from("<I", p, fixed_end - 4)
    if len(p) != fixed_end + 4 * word_count:
        raise RecError("badChunkLength", chunk_offset,
                       f"RECC payload is {len(p)} bytes, {fixed_end + 4 * word_count} with "
                       f"word_count {word_count} (spec §14.8)")
    prior = []
    for e in range(entries):
        at = 22 + 8 * e
        mu, sigma = struct.unpack_from("<iI", p, at)
        if abs(mu) > 2 ** 30:
            raise bad(at, f"prior mean {mu} is outside ±2^30")
        if not 1 <= sigma <= 2 ** 24:
            raise bad(at + 4, f"prior std {sigma} is outside 1 … 2^24")
        prior.append((mu, sigma))
    at = 22 + 8 * entries
    info = list(struct.unpack_from(f"<{dims}H", p, at))
    words = list(struct.unpack_from(f"<{word_count}I", p, fixed_end))
    return {"method": method, "seed": seed, "bits_per_block": bpb, "index_bits": m,
            "max_block_dims": gmax, "zeta_ratio": ratio, "block_count": count, "prior": prior,
            "info": info, "words": words, "words_offset": base + fixed_end,
            "block_count_offset": base + 18, "index_bits_offset": base + 13}


def decode_recc(rec, max_log2_candidates):
    """§14.8 steps 6-8 and §14.9: the latent's Q16 values."""
    exact, partitioned = rec["method"] in (0, 2), rec["method"] in (2, 3)
    blocks, bits = layout(rec["info"], rec["bits_per_block"], rec["max_block_dims"], partitioned)
    if len(blocks) != rec["block_count"]:
        raise RecError("badField", rec["block_count_offset"],
                       f"block_count {rec['block_count']}, but the estimates give {len(blocks)} "
                       f"blocks (spec §14.6, §14.8)")
    for b, (a, e) in enumerate(blocks):
        if sum(bits[a:e]) + rec["index_bits"] > max_log2_candidates:
            raise RecError("limitExceeded", rec["index_bits_offset"],
                           f"block {b} indexes 2^{sum(bits[a:e]) + rec['index_bits']} candidates, "
                           f"above max_log2_candidates = {max_log2_candidates} (spec §8, §14.8)")
    block_bits = [bits[a:e] for a, e in blocks]
    messages = decode_indices(rec["words"], rec["words_offset"], block_bits, exact,
                              rec["index_bits"], rec["zeta_ratio"])
    return regenerate(rec["seed"], blocks, bits, messages, rec["prior"])


def values_sha256(values):
    return hashlib.sha256(struct.pack(f"<{len(values)}i", *values)).hexdigest()


# ---- tools ----

def vectors():
    """Test vectors: Philox and q16 answers, layouts, and candidates regenerated from fixed
    seeds and indices, with the index stream each message set codes to."""
    out = {"philox": [], "q16": [], "cases": []}
    for key, ctr in (((0, 0), (0, 0, 0, 0)), ((0x01234567, 0x89ABCDEF), (1, 2, 3, 4)),
                     ((0xFFFFFFFF, 1), (7, 0, 0, 0xFFFFFFFF))):
        out["philox"].append({"key": list(key), "counter": list(ctr), "output": list(philox(key, ctr))})
    for u in (0, 1, 63, 64, 65, 1000, 2 ** 20 + 12345, 2 ** 31 - 1, 2 ** 31, 3 * 2 ** 30 + 7, M32 - 5, M32):
        out["q16"].append({"u": u, "z": q16(u)})
    cases = [
        # (name, method, seed, bits_per_block, max_block_dims, prior, info, messages-by-rule)
        ("pfr-blocks", 0, 0x0123456789ABCDEF, 3, 64, [(0, 65536)], [1200, 900, 400, 100, 0, 700, 800, 50, 600]),
        ("orc-2blocks", 1, 42, 4, 64, [(13107, 98304)], [512, 512, 512, 512, 300, 900]),
        ("sp-pfr-5d", 2, 7, 24, 64, [(0, 65536)], [1536, 1024, 512, 256, 0]),
        ("sp-orc-blocks", 3, 2 ** 64 - 1, 6, 3,
         [(-65536, 32768), (0, 65536), (65536, 131072), (100, 70000), (-5, 1), (2 ** 30, 2 ** 24), (0, 65536)],
         [700, 300, 64, 1600, 900, 128, 127]),
    ]
    for name, method, seed, bpb, gmax, prior, info in cases:
        exact, partitioned = method in (0, 2), method in (2, 3)
        blocks, bits = layout(info, bpb, gmax, partitioned)
        m = 11 if exact else 5
        messages = []
        for b, (a, e) in enumerate(blocks):
            intervals = [(7 * b + 3 * d + 1) % (1 << bits[d]) for d in range(a, e) if bits[d]]
            k = [3, 0, 1000, 1, 2 ** m - 1][b % 5] if exact else (13 * b + 3) % (1 << m)
            messages.append((intervals, k))
        ratio = 60000 if exact else 0
        words = encode_indices(messages, [bits[a:e] for a, e in blocks], exact, m, ratio)
        values = regenerate(seed, blocks, bits, messages, prior)
        out["cases"].append({
            "name": name, "method": method, "seed": str(seed), "bits_per_block": bpb,
            "max_block_dims": gmax, "prior": [list(x) for x in prior], "info": info,
            "index_bits": m, "zeta_ratio": ratio,
            "blocks": [[a, e] for a, e in blocks], "bits": bits,
            "messages": [{"intervals": i, "index": k} for i, k in messages],
            "words": words, "values": values})
    return out


def main(argv):
    if argv[:1] == ["vectors"]:
        print(json.dumps(vectors(), indent=1))
        return 0
    if argv[:1] == ["decode"] and len(argv) == 2:
        with open(argv[1], "rb") as f:
            data = f.read()
        for latent in decode_file(data):
            print(json.dumps(latent))
        return 0
    if argv[:1] == ["payloads"] and len(argv) == 2:
        write_payloads(argv[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


def write_payloads(directory):
    """Seeds for the FuzzRec target (tools/fuzz.sh): every RECC payload of samples/conformance,
    after two bytes that give its latent's dimension count minus 1."""
    import glob
    import os
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "conformance")
    for path in sorted(glob.glob(os.path.join(root, "*", "rec-*", "stream.lcae"))):
        with open(path, "rb") as f:
            data = f.read()
        at, dims = 9, 1
        while at + 8 <= len(data):
            (length,) = struct.unpack_from("<I", data, at)
            ctype, p = data[at + 4:at + 8], data[at + 8:at + 8 + length]
            if ctype == b"HEAD" and len(p) >= 64:
                _, c, h, w = struct.unpack_from("<HHII", p, 52)
                dims = c * h * w
            if ctype == b"RECC":
                name = os.path.basename(os.path.dirname(path))
                with open(os.path.join(directory, name), "wb") as f:
                    f.write(struct.pack("<H", (dims - 1) % 65536) + p)
                break
            at += 12 + length


def decode_file(data):
    """Every RECC chunk of a valid stream (no other checks): its latent index, values and hash."""
    at, out = 9, []
    lat_dims = {}
    while at < len(data):
        (length,) = struct.unpack_from("<I", data, at)
        ctype, p = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if ctype == b"HEAD":
            for i in range(p[19]):
                _, c, h, w = struct.unpack_from("<HHII", p, 52 + 12 * i)
                lat_dims[i] = c * h * w
        if ctype == b"RECC":
            rec = parse_recc(p, at, lat_dims[p[0]], 2 ** 20)
            values = decode_recc(rec, 24)
            out.append({"latent_index": p[0], "sha256": values_sha256(values), "values": values})
        at += 12 + length
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
