#!/usr/bin/env python3
"""An independent parser for the `.lcae` bitstream, written from spec/lcae.md alone.

It shares no code with the Swift library (Sources/) and was written without
reading it: the point is that a second implementation, built from the text of the
specification, reaches the same decisions. Standard library only.

Usage (from the repository root):

    python3 tools/lcae_parse.py FILE                 # human-readable listing
    python3 tools/lcae_parse.py FILE --json          # schema lcae-inspect/1 (spec §11.1)
    python3 tools/lcae_parse.py FILE --json -v       # ... with every field of every chunk
    python3 tools/lcae_parse.py FILE --scope container
    python3 tools/lcae_parse.py FILE --tables T.lct  # resolve CREF (spec §12.5.2)
    python3 tools/lcae_parse.py FILE --decode        # also decode the latents (§12.6),
                                                     # check lHSH (§12.7)
    python3 tools/lcae_parse.py FILE --decode --model M.lcaem   # an image stream: also
                                                     # the synthesis (chapters 15-16), iHSH
    python3 tools/lcae_parse.py [--tables T]... [--model M]... -o OUT.npy FILE
        # the external-decoder contract of §13.4, e.g.
        # lcae check samples/conformance --decoder "$(which python3) $PWD/tools/lcae_parse.py"

What is checked
  * signature (§3), with the damage named (7-bit channel, DOS-to-Unix, Unix-to-DOS);
  * the chunk loop of §5.1 step by step (lengths, type codes, level limits of §8,
    CRC of §5.3), criticality (§5.4), order rules (§6.1);
  * HEAD (§7.1, every field, in table order), LEND (§7.2), tEXT (§7.3, warnings);
  * scope "full" (the default) adds chapter 12 (the second pass of §9): latent_index of
    CTAB/CREF/ACTV/LATP, the per-latent order of §12.5, CTAB compression/body_size/inflation
    (§12.5.1) and the whole table body (§12.2), the rANS payload layout of §10.6 for
    ACTV and LATP, the activation bits (§12.4, decoded when the tables are known, to
    get LATP's value count).
  * --decode adds the decoding of every integer latent (§12.6) with its end checks
    (§10.5.3) and the comparison with lHSH (§12.7).
  * image streams (chapter 16), when the bound model is given (--model) or with --decode:
    §16.1 steps 1-5 (model, colour and depth, latent channels, synthesis size, STEP), CREF
    resolved from the model's table sets (§15.2); with --decode, the synthesis of §15.4 by
    tools/lcae_synthesis.py (NumPy) and the iHSH comparison (§16.3).
  * scope "container" stops at chapters 3-9: the chapter-12 chunk types are known
    (Table 6-1: their criticality and the fixed lengths of CREF and lHSH are checked)
    but their payloads and their per-latent order are not: this is what `lcae inspect`
    checks (§11.1).

Exit status as `lcae inspect` (§11.2): 0 valid, 2 error, 3 file cannot be read.

Order of checks (§9): a first pass walks the container (signature, chunks as §5.1, HEAD
in the order of §7.1, the order rules of §6.1, LEND, trailing data); only then, with scope
"full", a second pass takes the integer latents in HEAD order (chapter 12). Offsets follow
§9 "Offsets". lHSH is ancillary: a wrong length, a latent_index that names no integer
latent or a second lHSH for a latent is a warning and the chunk is ignored (§5.4, §12.5).

Readings where the spec is still silent or ambiguous (listed in the report that came with
this file; `tools/differential_parse.py` shows where the library reads them otherwise):
  * the second pass first checks the latent_index byte of every CTAB/CREF/ACTV/LATP in
    file order (badChunkLength for an empty one, badField for an index that names no
    integer latent), then the latents one by one;
  * CTAB and CREF count as one "type" in §12.5's missingChunk/badChunkOrder rule (both
    present is "a second one": badChunkOrder);
  * a continuous latent (kind 2) without a RECC chunk is missingChunk at HEAD (§14.8);
    RECC chunks are checked and decoded by tools/rec_reference.py (chapter 14);
  * HEAD: the coder rule of step 5 (an integer latent with coder none) at the kind field;
  * a CTAB payload shorter than its 6-byte header is badChunkLength at the chunk;
  * a table body's precision / channel_count not matching HEAD: at the body's precision /
    channel_count field (CTAB stored as is), the CTAB data (deflated), CREF's sha256;
  * the entropy-error offset when a substream cannot start (top word 0, too few words for
    its lanes): no word taken, so the end of the substream's words;
  * hashMismatch at lHSH's sha256 field; modelMismatch at CREF's sha256 field;
  * warnings: a second lHSH is warned as badChunkOrder, a bad latent_index as badField, a
    wrong lHSH length or a tEXT under 2 bytes as badChunkLength;
  * Σ T_k ≤ max_tables is checked per table body ("over the body").
  * image streams: the §16.1 checks come first in the second pass, before the latent_index
    bytes of chapter 12; a second STEP is badChunkOrder in the first pass (§6.1 rule 2), its
    fields are checked at §16.1 step 5; an image stream with no latent is modelMismatch at
    latent_count; a model table set that does not inflate, hash or parse is reported at the
    CREF's sha256 field, with the code of §15.2 / §12.2.
"""

import argparse
import bisect
import hashlib
import json
import struct
import sys
import zlib

import rec_reference       # chapter 14, also written from the spec alone (tools/rec_reference.py)

try:                        # chapters 15-16, also from the spec alone (tools/lcae_synthesis.py);
    import lcae_synthesis   # it needs NumPy, which only image streams do
except ImportError:         # pragma: no cover
    lcae_synthesis = None

SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A])
TABLE_FILE_SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x54, 0x0D, 0x0A, 0x1A, 0x0A])
MAX_CHUNK_LENGTH = 2 ** 31 - 1

LIMIT_NAMES = (
    "max_width", "max_height", "max_pixels", "max_channels", "max_latent_values",
    "max_tables", "max_symbols_per_table", "max_payload_bytes", "max_rec_blocks",
    "max_log2_candidates", "max_chunks",
)
# Table 8-1, level 1, 2, 3.
LEVELS = {
    1: dict(zip(LIMIT_NAMES, (4096, 4096, 2 ** 22, 256, 2 ** 22, 1024, 4096, 2 ** 26,
                              4096, 16, 256))),
    2: dict(zip(LIMIT_NAMES, (16384, 16384, 2 ** 26, 1024, 2 ** 26, 4096, 16384, 2 ** 30,
                              2 ** 16, 20, 4096))),
    3: dict(zip(LIMIT_NAMES, (65535, 65535, 2 ** 30, 4096, 2 ** 30, 16384, 65536,
                              2 ** 31 - 1, 2 ** 20, 24, 65536))),
}

KNOWN_TYPES = {b"HEAD", b"LEND", b"tEXT", b"CTAB", b"CREF", b"ACTV", b"LATP", b"lHSH", b"RECC",
               b"STEP", b"iHSH"}
FIXED_LENGTHS = {b"LEND": 0, b"CREF": 33, b"lHSH": 33, b"iHSH": 32}   # HEAD: 52 + 12 x latent_count
COLOUR_FORMATS = {0: "none", 1: "grey", 3: "rgb"}
CODERS = {0: "none", 1: "rans64"}
KINDS = {1: "integer", 2: "continuous"}
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1


class LcaeError(Exception):
    """The first error of a stream: a code of Table 9-1 / 10-2 and a byte offset."""

    def __init__(self, code, offset, message):
        super().__init__(message)
        self.code, self.offset, self.message = code, offset, message


class EntropyError(Exception):
    """An entropy-layer error (Table 10-2), raised inside a coded sequence."""

    def __init__(self, code, message, left=0):
        super().__init__(message)
        self.code, self.message = code, message
        self.left = left            # words of the substream not yet taken (§9 offsets)


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def i32(b, o):
    return struct.unpack_from("<i", b, o)[0]


def is_letter(byte):
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def type_name(t):
    return t.decode("latin-1")


def effective_limits(reader, level):
    return {k: min(reader[k], LEVELS[level][k]) for k in LIMIT_NAMES}


# ---------------------------------------------------------------------------
# Table body (§12.2)
# ---------------------------------------------------------------------------

class Tables:
    """A parsed and validated table body."""

    def __init__(self):
        self.channel_count = self.precision = self.measure = None
        self.order = []
        self.channels = []          # dicts: eps, m, a, o, n, T, cum (list of T lists)
        self.sha256 = None


def parse_table_body(body, limits, where):
    """Parse a table body against §12.2 with the given effective limits.

    `where(k)` maps an offset inside the body to the byte offset to report (the file
    offset for a body stored as is; for a deflated body there is no file offset).
    Returns a Tables; raises LcaeError (badTable, limitExceeded, truncated).
    """
    t = Tables()
    t.sha256 = hashlib.sha256(body).hexdigest()
    n = len(body)

    def need(off, size, what):
        if off + size > n:
            raise LcaeError("truncated", where(n),
                            f"the table body ends inside {what} (body offset {off}, "
                            f"{n} bytes) (spec §12.2)")

    need(0, 2, "channel_count")
    C = u16(body, 0)
    if C < 1:
        raise LcaeError("badTable", where(0), "table channel_count is 0 (spec §12.2)")
    if C > limits["max_channels"]:
        raise LcaeError("limitExceeded", where(0),
                        f"table channel_count {C} exceeds max_channels "
                        f"{limits['max_channels']} (spec §12.2, §8)")
    t.channel_count = C
    need(2, 1, "precision")
    P = body[2]
    if not 12 <= P <= 24:
        raise LcaeError("badTable", where(2), f"table precision {P} is not in 12...24 (spec §12.2)")
    t.precision = P
    need(3, 1, "measure")
    measure = body[3]
    if measure not in (0, 1):
        raise LcaeError("badTable", where(3), f"table measure {measure} is not 0 or 1 (spec §12.2)")
    t.measure = measure
    off = 4
    seen = [False] * C
    for p in range(C):
        need(off, 2, f"order[{p}]")
        k = u16(body, off)
        if k >= C or seen[k]:
            raise LcaeError("badTable", where(off),
                            f"order[{p}] = {k}: the coding order is not a permutation of "
                            f"0...{C - 1} (spec §12.2)")
        seen[k] = True
        t.order.append(k)
        off += 2
    total_tables = 0
    one = 1 << P
    for k in range(C):
        base = off
        need(off, 19, f"channel {k}'s parameters")
        eps, m, a, o = i32(body, off), i32(body, off + 4), u32(body, off + 8), i32(body, off + 12)
        nk, T = u16(body, off + 16), body[off + 18]
        if measure == 0:
            ok = o < eps <= o + nk - 2
            rule = f"o < eps <= o + n - 2 (o = {o}, n = {nk})"
        else:
            ok = 1 <= eps <= nk - 1
            rule = f"1 <= eps <= n - 1 (n = {nk})"
        if not ok:
            raise LcaeError("badTable", where(base),
                            f"channel {k}: threshold {eps} breaks {rule} (spec §12.2)")
        if not o <= m <= o + nk - 2:
            raise LcaeError("badTable", where(base + 4),
                            f"channel {k}: most_probable {m} is not in o...o + n - 2 "
                            f"(o = {o}, n = {nk}) (spec §12.2)")
        if not 1 <= a <= one - 1:
            raise LcaeError("badTable", where(base + 8),
                            f"channel {k}: activation {a} is not in 1...2^P - 1 (spec §12.2)")
        if not o + nk - 1 <= 2 ** 31:
            raise LcaeError("badTable", where(base + 12),
                            f"channel {k}: offset {o} + n - 1 exceeds 2^31 (spec §12.2)")
        if nk < 2:
            raise LcaeError("badTable", where(base + 16),
                            f"channel {k}: symbol_count {nk} < 2 (spec §12.2)")
        if nk > limits["max_symbols_per_table"]:
            raise LcaeError("limitExceeded", where(base + 16),
                            f"channel {k}: symbol_count {nk} exceeds max_symbols_per_table "
                            f"{limits['max_symbols_per_table']} (spec §12.2, §8)")
        want_T = 3 if k == t.order[0] else 4
        if T != want_T:
            raise LcaeError("badTable", where(base + 18),
                            f"channel {k}: context_count {T}, must be {want_T} (spec §12.2)")
        total_tables += T
        if total_tables > limits["max_tables"]:
            raise LcaeError("limitExceeded", where(base + 18),
                            f"the tables hold more than max_tables {limits['max_tables']} "
                            f"context tables (spec §12.2, §8)")
        off += 19
        cums = []
        for ctx in range(T):
            need(off, 4 * nk, f"the frequencies of channel {k}, context {ctx}")
            freqs = struct.unpack_from(f"<{nk}I", body, off)
            cum = [0]
            for s, f in enumerate(freqs):
                if f < 1:
                    raise LcaeError("badTable", where(off),
                                    f"channel {k}, context {ctx}: frequency of symbol {s} "
                                    f"is 0 (spec §12.2, §10.2)")
                cum.append(cum[-1] + f)
            if cum[-1] != one:
                raise LcaeError("badTable", where(off),
                                f"channel {k}, context {ctx}: frequencies sum to {cum[-1]}, "
                                f"not 2^{P} (spec §12.2, §10.2)")
            cums.append(cum)
            off += 4 * nk
        t.channels.append(dict(eps=eps, m=m, a=a, o=o, n=nk, T=T, cum=cums))
    if off != n:
        raise LcaeError("badTable", where(off),
                        f"{n - off} bytes after the last channel of the table body (spec §12.2)")
    return t


def read_table_file(path, limits=LEVELS[3]):
    """A table file (§12.2.1). Returns Tables; raises LcaeError."""
    with open(path, "rb") as f:
        data = f.read()
    for i in range(min(8, len(data))):
        if data[i] != TABLE_FILE_SIGNATURE[i]:
            raise LcaeError("badSignature", i, "not a table file (spec §12.2.1)")
    if len(data) < 12:
        raise LcaeError("truncated", len(data), "table file shorter than its header (spec §12.2.1)")
    size = u32(data, 8)
    cap = 4 + limits["max_channels"] * (21 + 16 * limits["max_symbols_per_table"])
    if size > cap:
        raise LcaeError("limitExceeded", 8, f"body_size {size} exceeds {cap} (spec §12.2.1, §12.5.1)")
    if size != len(data) - 16:
        raise LcaeError("badChunkLength", 8,
                        f"body_size {size} is not the rest of the file less 4 bytes "
                        f"({len(data) - 16}) (spec §12.2.1)")
    body = data[12:12 + size]
    if zlib.crc32(body) != u32(data, 12 + size):
        raise LcaeError("crcMismatch", 12 + size, "table file CRC mismatch (spec §12.2.1)")
    return parse_table_body(body, limits, lambda k: 12 + k)


# ---------------------------------------------------------------------------
# rANS (§10.3-10.6)
# ---------------------------------------------------------------------------

class RansPayload:
    """The layout of a rANS payload (§10.6), validated."""

    def __init__(self):
        self.lanes = None
        self.substreams = []        # (value_count, word_count, words_file_offset)
        self.words = []             # all words, u32
        self.word_count = 0


def parse_rans_payload(buf, start, end, N, file_base):
    """Check a rANS payload, buf[start:end], against Table 10-1.

    N is the value count the enclosing chunk declares (None if unknown: the sum is then
    not checked). file_base is the file offset of buf[0]. Raises badPayload.
    """
    r = RansPayload()
    length = end - start

    def fo(k):
        return file_base + start + k

    if length < 1:
        raise LcaeError("badPayload", fo(0), "the rANS payload is empty: no lanes field (spec §10.6)")
    L = buf[start]
    if L not in (1, 2, 4, 8):
        raise LcaeError("badPayload", fo(0), f"lanes = {L}, not 1, 2, 4 or 8 (spec §10.5, §10.6)")
    r.lanes = L
    if length < 5:
        raise LcaeError("badPayload", fo(1),
                        f"the rANS payload ({length} bytes) ends inside substream_count (spec §10.6)")
    S = u32(buf, start + 1)
    if S < 1:
        raise LcaeError("badPayload", fo(1), "substream_count is 0 (spec §10.6)")
    if 5 + 8 * S > length:
        raise LcaeError("badPayload", fo(1),
                        f"substream_count {S} needs {5 + 8 * S} bytes, the payload has {length} "
                        f"(spec §10.6)")
    word_bytes = length - 5 - 8 * S
    vsum = wsum = 0
    entries = []
    for j in range(S):
        vc = u32(buf, start + 5 + 8 * j)
        wc = u32(buf, start + 9 + 8 * j)
        vsum += vc
        if N is not None and (vsum > N or (j == S - 1 and vsum != N)):
            raise LcaeError("badPayload", fo(5 + 8 * j),
                            f"the substreams' value counts add up to {'more than ' if vsum > N else ''}"
                            f"{vsum}, not {N} (spec §10.6)")
        wsum += wc
        if 4 * wsum > word_bytes or (j == S - 1 and 4 * wsum != word_bytes):
            raise LcaeError("badPayload", fo(9 + 8 * j),
                            f"the substreams' word counts add up to "
                            f"{'more than ' if 4 * wsum > word_bytes else ''}{wsum} words, the "
                            f"payload has {word_bytes} bytes of words (spec §10.6)")
        entries.append((vc, wc))
    woff = start + 5 + 8 * S
    r.word_count = wsum
    r.words = list(struct.unpack_from(f"<{wsum}I", buf, woff)) if wsum else []
    at = 0
    for vc, wc in entries:
        r.substreams.append((vc, wc, file_base + woff + 4 * at, at))
        at += wc
    return r


class LaneDecoder:
    """One substream: L lanes sharing one word stack (§10.5). Raises EntropyError."""

    def __init__(self, words, lanes, P):
        self.stack = list(words)        # the top is the last word
        self.P, self.mask, self.L = P, (1 << P) - 1, lanes
        if lanes == 1:
            if not self.stack:
                x = 0
            else:
                if self.stack[-1] == 0:
                    raise EntropyError("badCompressedData", "the top word is 0 (spec §10.3.3)",
                                       len(self.stack) - 1)     # the top word, taken
                x = self.stack.pop()
                while x < 2 ** 32 and self.stack:
                    x = (x << 32) | self.stack.pop()
            self.x = [x]
            self.initial = 0
        else:
            if len(self.stack) < 2 * lanes:
                raise EntropyError("badPayload",
                                   f"{len(self.stack)} words, {lanes} lanes need at least "
                                   f"{2 * lanes} (spec §10.5.2)", 0)   # at the first word
            self.x = []
            for _ in range(lanes):
                hi = self.stack.pop()
                lo = self.stack.pop()
                self.x.append((hi << 32) | lo)
            self.initial = 2 ** 32

    def _renorm(self, lane, x):
        if x < 2 ** 32 and self.stack:
            x = (x << 32) | self.stack.pop()
        self.x[lane] = x

    def symbol(self, lane, cum):
        x = self.x[lane]
        q = x & self.mask
        s = bisect.bisect_right(cum, q) - 1
        self._renorm(lane, (x >> self.P) * (cum[s + 1] - cum[s]) + q - cum[s])
        return s

    def raw(self, lane, bits):
        x = self.x[lane]
        q = x & self.mask
        shift = self.P - bits
        r = q >> shift
        self._renorm(lane, (x >> self.P) * (1 << shift) + q - (r << shift))
        return r

    def value(self, lane, cum, offset):
        """A value of a model with an escape (§10.4)."""
        e = len(cum) - 2
        s = self.symbol(lane, cum)
        if s < e:
            return offset + s
        k = self.raw(lane, 6)
        if k > 33:
            raise EntropyError("badEscape", f"escape length {k} > 33 (spec §10.4)",
                              len(self.stack))
        u, shift, left = 0, 0, k
        while left > 0:
            b = 8 if left > 8 else left
            u |= self.raw(lane, b) << shift
            shift += b
            left -= b
        z = u + (1 << k) - 1
        h = offset + e
        v = h + (z >> 1) if z % 2 == 0 else offset - 1 - (z >> 1)
        if not INT32_MIN <= v <= INT32_MAX:
            raise EntropyError("badEscape", f"escaped value {v} is outside Int32 (spec §10.4)",
                              len(self.stack))
        return v

    def end_check(self):
        if self.stack or any(x != self.initial for x in self.x):
            raise EntropyError("desynchronised",
                               f"{len(self.stack)} words left, lane states "
                               f"{[hex(x) for x in self.x]} (spec §10.5.3)", len(self.stack))


# ---------------------------------------------------------------------------
# The stream
# ---------------------------------------------------------------------------

class Chunk:
    def __init__(self, ctype, offset, length, crc_ok):
        self.type, self.offset, self.length, self.crc_ok = ctype, offset, length, crc_ok
        self.critical = not (ctype[0] & 0x20)
        self.known = ctype in KNOWN_TYPES
        self.fields = []            # (name, file offset, size, value string)
        self.details = {}

    def field(self, name, offset, size, value):
        self.fields.append((name, offset, size, str(value)))


class Latent:
    def __init__(self, index, kind, channels, height, width):
        self.index, self.kind = index, kind
        self.channels, self.height, self.width = channels, height, width
        self.table_chunk = None     # "CTAB" / "CREF"
        self.tables = None          # Tables when known
        self.table_sha256 = None
        self.actv = None            # list of C bits when decoded
        self.actv_seen = self.latp_seen = False
        self.latp = None            # (RansPayload, file base)
        self.values = None          # decoded tensor, flat CHW
        self.hash = None            # lHSH value (bytes) and its offset
        self.hash_offset = None


class Parser:
    def __init__(self, data, path="", scope="full", table_sets=(), decode=False,
                 reader_limits=None, models=(), synthesis_stats=None):
        self.data, self.path, self.scope, self.decode = data, path, scope, decode
        self.synthesis_stats = synthesis_stats  # a list: lcae_synthesis.run_synthesis's ranges
        self.models = {m.sha256: m for m in models}     # lcae_synthesis.Model (chapter 15)
        self.model = None           # the model HEAD binds, once found
        self.step = None            # (chunk, payload, base) of STEP (§16.2)
        self.ihsh = None            # (chunk, payload, base) of the first 32-byte iHSH (§16.3)
        self.samples = None         # decoded image, (height, width, Cimg) NumPy array
        self.image_sha256 = None
        self.reader_limits = dict(reader_limits or LEVELS[3])
        self.limits = dict(self.reader_limits)
        self.table_sets = {t.sha256: t for t in table_sets}
        self.chunks, self.warnings = [], []
        self.error = None
        self.format_version = None
        self.header = None
        self.head = None            # raw HEAD values once valid
        self.latents = []
        self.notes = []             # things the parser could not check
        self.ch12 = []              # (chunk, payload, base) of CTAB/CREF/ACTV/LATP, file order
        self.head_offset = None
        self.lhsh = []              # (chunk, payload, base) of lHSH chunks of length 33

    # -- driver -------------------------------------------------------------

    def parse(self):
        try:
            self._parse()
        except LcaeError as e:
            self.error = e
        return self

    def _parse(self):
        d, n = self.data, len(self.data)
        lim = self.reader_limits
        if n > lim["max_payload_bytes"] + 12 * lim["max_chunks"] + 9:
            raise LcaeError("limitExceeded", 0, f"file of {n} bytes exceeds what the reader "
                            f"limits admit (spec §8.3)")
        self._signature()
        pos, count, payload_sum = 9, 0, 0
        while True:
            # §5.1, the reader's steps in order.
            if pos == n:
                raise LcaeError("truncated", pos, "the file ends before LEND (spec §5.1, §6.1)")
            if count + 1 > self.limits["max_chunks"]:
                raise LcaeError("limitExceeded", pos,
                                f"more than max_chunks = {self.limits['max_chunks']} chunks "
                                f"(spec §5.1, §8)")
            if n - pos < 4:
                raise LcaeError("truncated", pos,
                                "the file ends inside a chunk's length field (spec §5.1)")
            length = u32(d, pos)
            if length > MAX_CHUNK_LENGTH:
                raise LcaeError("badChunkLength", pos,
                                f"chunk length {length} is above 2^31 - 1 (spec §5.1)")
            if n - pos < 8:
                raise LcaeError("truncated", pos,
                                "the file ends inside a chunk's type field (spec §5.1, §9)")
            ctype = d[pos + 4:pos + 8]
            for i, byte in enumerate(ctype):
                if not is_letter(byte):
                    raise LcaeError("badChunkType", pos,
                                    f"type byte {i} is 0x{byte:02x}, not an ASCII letter: "
                                    f"the reader has lost synchronisation (spec §5.2)")
            mp = self.limits["max_payload_bytes"]
            if length > mp or payload_sum + length > mp:
                raise LcaeError("limitExceeded", pos,
                                f"{type_name(ctype)} payload of {length} bytes "
                                f"({payload_sum} before it) exceeds max_payload_bytes = {mp} "
                                f"(spec §5.1, §8)")
            if n - (pos + 8) < length + 4:
                raise LcaeError("truncated", pos,
                                f"the file ends inside the {type_name(ctype)} chunk at {pos} "
                                f"({length} payload bytes + CRC declared, {n - pos - 8} left) "
                                f"(spec §5.1)")
            payload = d[pos + 8:pos + 8 + length]
            stored = u32(d, pos + 8 + length)
            computed = zlib.crc32(ctype + payload)
            chunk = Chunk(ctype, pos, length, stored == computed)
            chunk.field("length", pos, 4, length)
            chunk.field("type", pos + 4, 4, type_name(ctype))
            self.chunks.append(chunk)
            count += 1
            payload_sum += length
            if stored != computed:
                raise LcaeError("crcMismatch", pos + 8 + length,
                                f"{type_name(ctype)} chunk CRC is 0x{stored:08x}, computed "
                                f"0x{computed:08x} (spec §5.3)")
            try:
                self._chunk(chunk, payload, count == 1)
            finally:
                chunk.field("crc", pos + 8 + length, 4, f"0x{stored:08x}")
            pos += 12 + length
            if ctype == b"LEND":
                if pos != n:
                    raise LcaeError("trailingData", pos,
                                    f"{n - pos} bytes after LEND (spec §6.1)")
                break
        # Second pass (§9): chapter 12, latent by latent in HEAD order.
        if self.scope == "full":
            self._second_pass()

    def _signature(self):
        d = self.data
        for i in range(min(9, len(d))):
            if d[i] != SIGNATURE[i]:
                raise LcaeError("badSignature", i, "not an LCAE signature" +
                                self._signature_damage() + " (spec §3)")
        if len(d) < 9:
            raise LcaeError("truncated", len(d),
                            f"the file ({len(d)} bytes) ends inside the signature (spec §3)")

    def _signature_damage(self):
        d = self.data
        if d[:1] == b"\x0c" and d[1:9] == SIGNATURE[1:len(d[1:9]) + 1]:
            return ": bit 7 of the first byte is clear (a 7-bit channel)"
        if d[:5] == SIGNATURE[:5]:
            rest = d[5:12]
            if rest.startswith(b"\x0a\x1a\x0a") or rest.startswith(b"\x0a\x1a"):
                return ": CR LF became LF (a DOS-to-Unix conversion)"
            if rest.startswith(b"\x0d\x0a\x1a\x0d\x0a") or rest.startswith(b"\x0d\x0d\x0a"):
                return ": LF became CR LF (a Unix-to-DOS conversion)"
        if d[:8] == TABLE_FILE_SIGNATURE:
            return ": this is a table file (spec §12.2.1), not a stream"
        return ""

    # -- chunks -------------------------------------------------------------

    def _chunk(self, c, payload, first):
        t = c.type
        # §6.1 rule 1 and 2.
        if first and t != b"HEAD":
            raise LcaeError("badChunkOrder", c.offset,
                            f"the first chunk is {type_name(t)}; HEAD must come first (spec §6.1)")
        if t == b"HEAD" and not first:
            raise LcaeError("badChunkOrder", c.offset, "a second HEAD chunk (spec §6.1)")
        # §6.1 rule 3; a known ancillary chunk with another length is a warning, and
        # the chunk is ignored (§5.4).
        if t in FIXED_LENGTHS and c.length != FIXED_LENGTHS[t]:
            msg = (f"{type_name(t)} payload must be {FIXED_LENGTHS[t]} bytes, not "
                   f"{c.length} (spec §6.1)")
            if not c.critical:
                self._warn("badChunkLength", c.offset, msg + "; ignored (spec §5.4)")
                return
            raise LcaeError("badChunkLength", c.offset, msg)
        if not c.known:
            if c.critical:
                raise LcaeError("unsupportedCritical", c.offset,
                                f"unknown critical chunk {type_name(t)} (spec §5.4)")
            return                      # unknown ancillary: skipped, listed (§5.4)
        base = c.offset + 8
        if t == b"HEAD":
            self._head(c, payload, base)
        elif t == b"LEND":
            self._lend(c)
        elif t == b"tEXT":
            self._text(c, payload, base)
        elif t == b"lHSH":
            self.lhsh.append((c, payload, base))    # its latent_index: second pass (§12.5)
        elif t == b"STEP":
            # Table 6-1: at most one (§6.1 rule 2); its fields: §16.1 step 5.
            if self.step is not None:
                raise LcaeError("badChunkOrder", c.offset, "a second STEP chunk (spec §6.1, §16.2)")
            self.step = (c, payload, base)
        elif t == b"iHSH":
            # Ancillary, at most one counts: a second one is ignored (§16.3).
            if self.ihsh is None:
                self.ihsh = (c, payload, base)
                c.field("sha256", base, 32, bytes(payload).hex())
            else:
                self._warn("badChunkOrder", c.offset, "a second iHSH; ignored, the first one "
                           "counts (spec §16.3)")
        else:
            # CTAB, CREF, ACTV, LATP, RECC: checked in the second pass (§9, §12.5, §14.8).
            self.ch12.append((c, payload, base))

    def _head(self, c, p, base):
        L = len(p)
        self.head_offset = c.offset
        # §7.1 step 1.
        if L < 4:
            if L >= 2:
                c.field("major_version", base, 2, u16(p, 0))
            raise LcaeError("badChunkLength", c.offset,
                            f"HEAD payload of {L} bytes has no version fields (spec §7.1)")
        major = u16(p, 0)
        c.field("major_version", base, 2, major)
        self.format_version = f"{major}.{u16(p, 2)}"
        if major != 1:
            raise LcaeError("unsupportedVersion", base,
                            f"major_version {major}: this reader reads version 1 (spec §4)")
        if L < 52:
            raise LcaeError("badChunkLength", c.offset,
                            f"HEAD payload of {L} bytes is shorter than 52 (spec §7.1)")
        lc = p[19]
        minor, width, height = u16(p, 2), u32(p, 4), u32(p, 8)
        bit_depth, cf, profile, level, coder, precision, flags = p[12:19]
        sha = bytes(p[20:52])
        names = [("minor_version", 2, 2, minor), ("width", 4, 4, width), ("height", 8, 4, height),
                 ("bit_depth", 12, 1, bit_depth),
                 ("colour_format", 13, 1, COLOUR_FORMATS.get(cf, cf)), ("profile", 14, 1, profile),
                 ("level", 15, 1, level), ("coder", 16, 1, CODERS.get(coder, coder)),
                 ("precision", 17, 1, precision), ("flags", 18, 1, flags),
                 ("latent_count", 19, 1, lc), ("model_sha256", 20, 32, sha.hex())]
        for i in range(min(lc, (L - 52) // 12)):
            o = 52 + 12 * i
            names += [(f"latent[{i}].kind", o, 2, KINDS.get(u16(p, o), u16(p, o))),
                      (f"latent[{i}].channels", o + 2, 2, u16(p, o + 2)),
                      (f"latent[{i}].height", o + 4, 4, u32(p, o + 4)),
                      (f"latent[{i}].width", o + 8, 4, u32(p, o + 8))]
        for name, o, size, v in names:
            c.field(name, base + o, size, v)

        def bad(o, msg, code="badField"):
            raise LcaeError(code, base + o, msg)

        model_bound = flags & 1
        # §7.1 step 2: each field against its own rule, in this order.
        if cf not in COLOUR_FORMATS:
            bad(13, f"colour_format {cf} (spec Table 7-2)")
        if profile != 1:
            bad(14, f"profile {profile}: only Main (1) is defined (spec §8.1)")
        if level not in LEVELS:
            bad(15, f"level {level} is not 1, 2 or 3 (spec Table 8-1)")
        if coder not in CODERS:
            bad(16, f"coder {coder} (spec Table 7-4)")
        if coder == 0 and precision != 0:
            bad(17, f"precision {precision} with coder none (spec §7.1.2)")
        if coder == 1 and not 12 <= precision <= 24:
            bad(17, f"precision {precision} is not in 12...24 (spec §7.1.2)")
        if flags & 0xFE:
            bad(18, f"flags 0x{flags:02x}: bits 1-7 must be 0 (spec Table 7-1)")
        if lc > 4:
            bad(19, f"latent_count {lc} > 4 (spec Table 7-1)")
        if not model_bound and any(sha):
            bad(20, "model_sha256 must be zero when model_bound is clear (spec §7.1.3)")
        # Step 3.
        if L != 52 + 12 * lc:
            raise LcaeError("badChunkLength", c.offset,
                            f"HEAD payload must be 52 + 12 x {lc} = {52 + 12 * lc} bytes, "
                            f"not {L} (spec §7.1)")
        # Step 4: the image fields, §7.1.1, with the limits of §5.1 (the level is valid).
        lim = effective_limits(self.reader_limits, level)
        if cf == 0:
            if width != 0:
                bad(4, f"width {width}: colour_format none needs width 0 (spec §7.1.1)")
            if height != 0:
                bad(8, f"height {height}: colour_format none needs height 0 (spec §7.1.1)")
            if bit_depth != 0:
                bad(12, f"bit_depth {bit_depth}: colour_format none needs bit_depth 0 (spec §7.1.1)")
        else:
            if width < 1:
                bad(4, "width 0 with an image (spec §7.1.1)")
            if height < 1:
                bad(8, "height 0 with an image (spec §7.1.1)")
            if bit_depth not in (8, 16):
                bad(12, f"bit_depth {bit_depth} is not 8 or 16 (spec §7.1.1)")
            if not model_bound:
                bad(18, "an image needs model_bound: only a model turns latents into pixels "
                        "(spec §7.1.1)")
            if width > lim["max_width"]:
                bad(4, f"width {width} exceeds max_width {lim['max_width']} (spec §7.1.1, §8)",
                    "limitExceeded")
            if height > lim["max_height"]:
                bad(8, f"height {height} exceeds max_height {lim['max_height']} (spec §7.1.1, §8)",
                    "limitExceeded")
            if width * height > lim["max_pixels"]:
                bad(4, f"width x height = {width * height} exceeds max_pixels "
                       f"{lim['max_pixels']} (spec §7.1.1, §8)", "limitExceeded")
        # Step 5: each latent.
        total = 0
        latents = []
        for i in range(lc):
            o = 52 + 12 * i
            kind, ch, h, w = u16(p, o), u16(p, o + 2), u32(p, o + 4), u32(p, o + 8)
            if kind not in KINDS:
                bad(o, f"latent[{i}].kind {kind} (spec Table 7-3)")
            if ch < 1:
                bad(o + 2, f"latent[{i}].channels is 0 (spec §7.1.4)")
            if h < 1:
                bad(o + 4, f"latent[{i}].height is 0 (spec §7.1.4)")
            if w < 1:
                bad(o + 8, f"latent[{i}].width is 0 (spec §7.1.4)")
            if ch > lim["max_channels"]:
                bad(o + 2, f"latent[{i}].channels {ch} exceeds max_channels "
                           f"{lim['max_channels']} (spec §7.1.4, §8)", "limitExceeded")
            total += ch * h * w
            if total > lim["max_latent_values"]:
                bad(o + 2, f"the latents hold {total} values, above max_latent_values "
                           f"{lim['max_latent_values']} (spec §7.1.4, §8)", "limitExceeded")
            if coder == 0 and kind == 1:
                bad(o, f"latent[{i}] is an integer latent but coder is none (spec §7.1.2)")
            latents.append(Latent(i, kind, ch, h, w))
        # HEAD is valid.
        self.limits = lim
        self.latents = latents
        self.head = dict(width=width, height=height, bit_depth=bit_depth, colour_format=cf,
                         profile=profile, level=level, coder=coder, precision=precision,
                         flags=flags, model_sha256=sha)
        self.header = {
            "format_version": self.format_version,
            "width": width, "height": height, "bit_depth": bit_depth,
            "colour_format": COLOUR_FORMATS[cf], "profile": profile, "level": level,
            "coder": CODERS[coder], "precision": precision,
            "model_sha256": sha.hex() if model_bound else None,
            "latents": [{"kind": KINDS[x.kind], "channels": x.channels, "height": x.height,
                         "width": x.width} for x in latents],
        }

    def _lend(self, c):
        """LEND ends the first pass (§9); chapter 12's presence checks are the second's."""
        return

    def _text(self, c, p, base):
        c.details = {}
        if len(p) < 2:
            self._warn("badChunkLength", c.offset,
                       f"tEXT payload of {len(p)} bytes; at least 2 (spec §7.3, Table 6-1)")
            return
        z = p.find(b"\x00")
        if z < 0:
            self._warn("badField", base, "tEXT has no NUL after its keyword (spec §7.3)")
            return
        kw = p[:z]
        if not 1 <= len(kw) <= 79 or any(not 0x21 <= b <= 0x7E for b in kw):
            self._warn("badField", base,
                       "tEXT keyword must be 1 to 79 bytes in 21...7E (spec §7.3)")
            return
        c.field("keyword", base, len(kw), kw.decode("ascii"))
        value = p[z + 1:]
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as e:
            self._warn("badField", base + z + 1,
                       f"tEXT value is not UTF-8 (byte {e.start} of the value) (spec §7.3)")
            return
        c.field("value", base + z + 1, len(value), text)

    def _warn(self, code, offset, message):
        self.warnings.append({"code": code, "offset": offset, "message": message})

    # -- chapter 12 -----------------------------------------------------------

    def _lhsh(self, c, p, base):
        """lHSH (§12.5, §12.7), ancillary: malformed or repeated ones are warned and ignored
        (§5.4); its length was checked by the caller."""
        i = p[0]
        c.field("latent_index", base, 1, i)
        c.details["latent_index"] = i
        if i >= len(self.latents) or self.latents[i].kind != 1:
            self._warn("badField", base, f"lHSH latent_index {i} is not the index of an "
                       f"integer latent of HEAD; ignored (spec §12.5)")
            return
        lat = self.latents[i]
        c.field("sha256", base + 1, 32, bytes(p[1:33]).hex())
        c.details["sha256"] = bytes(p[1:33]).hex()
        if lat.hash is not None:
            self._warn("badChunkOrder", c.offset, f"a second lHSH for latent {i}; ignored, "
                       f"the first one counts (spec §12.5)")
            return
        lat.hash, lat.hash_offset = bytes(p[1:33]), base + 1

    def _second_pass(self):
        """§9 second pass: for an image stream §16.1 steps 1-5 first, then chapter 12 latent
        by latent in HEAD order, then the synthesis and iHSH (§16.4)."""
        image = self.head["colour_format"] != 0
        if self.head["flags"] & 1:
            self.model = self.models.get(self.head["model_sha256"].hex())
        if image and (self.decode or self.model is not None):
            self._image_checks()
        self._latent_pass()
        if image and self.decode:
            self._synthesise()

    # -- chapter 16 -----------------------------------------------------------

    def _image_checks(self):
        """§16.1 steps 1-5, in order."""
        hb = self.head_offset + 8
        m = self.model
        if m is None:
            raise LcaeError("modelMismatch", hb + 20,
                            f"the stream is bound to model {self.head['model_sha256'].hex()}, "
                            f"which was not given (spec §16.1, §7.1.3)")
        if m.colour_format != self.head["colour_format"] or m.bit_depth != self.head["bit_depth"]:
            raise LcaeError("modelMismatch", hb + 20,
                            f"the model decodes colour_format {m.colour_format} at "
                            f"{m.bit_depth} bits; HEAD says {self.head['colour_format']} at "
                            f"{self.head['bit_depth']} bits (spec §16.1)")
        if not self.latents:
            raise LcaeError("modelMismatch", hb + 19,
                            "an image stream without a latent for the synthesis (spec §16.1)")
        lat = self.latents[0]
        if lat.kind != 1 or lat.channels != m.latent_channels:
            raise LcaeError("modelMismatch", hb + 52,
                            f"latent 0 is a {KINDS[lat.kind]} latent of {lat.channels} channels; "
                            f"the model synthesises from an integer latent of "
                            f"{m.latent_channels} (spec §16.1)")
        size = lcae_synthesis.output_size(m, lat.height, lat.width)
        if size is None or size[0] < self.head["height"] or size[1] < self.head["width"]:
            raise LcaeError("badField", hb + 56,
                            f"latent 0 ({lat.height} x {lat.width}) synthesises to "
                            f"{'nothing' if size is None else f'{size[0]} x {size[1]}'}, not "
                            f"the image's {self.head['height']} x {self.head['width']} "
                            f"(spec §16.1, §15.4.3)")
        self.step_values = lcae_synthesis.default_step(m)
        if self.step is None:
            return
        c, p, base = self.step
        if len(p) < 4:
            raise LcaeError("badChunkLength", c.offset,
                            f"STEP payload of {len(p)} bytes, at least 4 (spec §16.2)")
        index, shift, count = p[0], p[1], u16(p, 2)
        c.field("latent_index", base, 1, index)
        c.field("shift", base + 1, 1, shift)
        c.field("gain_count", base + 2, 2, count)
        if index != 0:
            raise LcaeError("badField", base, f"STEP latent_index {index}, must be 0 (spec §16.2)")
        if shift > 31:
            raise LcaeError("badField", base + 1, f"STEP shift {shift} is above 31 (spec §16.2)")
        if count not in (1, lat.channels):
            raise LcaeError("badField", base + 2,
                            f"STEP gain_count {count} is not 1 or the latent's {lat.channels} "
                            f"channels (spec §16.2)")
        if len(p) != 4 + 4 * count:
            raise LcaeError("badChunkLength", c.offset,
                            f"STEP payload of {len(p)} bytes; {count} gains need "
                            f"{4 + 4 * count} (spec §16.2)")
        gains = list(struct.unpack_from(f"<{count}I", p, 4))
        for k, g in enumerate(gains):
            if g < 1:
                raise LcaeError("badField", base + 4 + 4 * k, f"STEP gain {k} is 0 (spec §16.2)")
        c.details.update(latent_index=index, shift=shift, gain_count=count)
        self.step_values = (shift, gains)

    def _synthesise(self):
        """§16.4 steps 3-4: the synthesis of latent 0 and the image hash."""
        lat = self.latents[0]
        values = lcae_synthesis.np.array(lat.values, dtype=lcae_synthesis.np.int64)
        shift, gains = self.step_values
        self.samples = lcae_synthesis.synthesize(
            self.model, values.reshape(lat.channels, lat.height, lat.width), shift, gains,
            self.head["height"], self.head["width"], self.synthesis_stats)
        self.image_sha256 = lcae_synthesis.image_sha256(self.samples)
        if self.ihsh is not None:
            c, p, base = self.ihsh
            if bytes(p).hex() != self.image_sha256:
                raise LcaeError("hashMismatch", base,
                                f"the image decodes to SHA-256 {self.image_sha256}, iHSH says "
                                f"{bytes(p).hex()} (spec §16.3)")

    # -- chapter 12, second pass ------------------------------------------------

    def _latent_pass(self):
        """§9 second pass: chapter 12, latent by latent in HEAD order."""
        # latent_index of every CTAB, CREF, ACTV, LATP (§12.5), in file order.
        for c, p, base in self.ch12:
            if len(p) < 1:
                raise LcaeError("badChunkLength", c.offset,
                                f"{type_name(c.type)} payload is empty: no latent_index "
                                f"(spec §12.5)")
            i = p[0]
            c.field("latent_index", base, 1, i)
            c.details["latent_index"] = i
            if c.type == b"RECC":
                if i >= len(self.latents) or self.latents[i].kind != 2:
                    raise LcaeError("badField", base,
                                    f"RECC latent_index {i} is not the index of a continuous "
                                    f"latent of HEAD (spec §14.8)")
                continue
            if i >= len(self.latents) or self.latents[i].kind != 1:
                raise LcaeError("badField", base,
                                f"{type_name(c.type)} latent_index {i} is not the index of an "
                                f"integer latent of HEAD (spec §12.5)")
        for c, p, base in self.lhsh:
            self._lhsh(c, p, base)
        role = {b"CTAB": "T", b"CREF": "T", b"ACTV": "A", b"LATP": "L"}
        for lat in self.latents:
            if lat.kind == 2:
                self._recc(lat)
                continue
            mine = [x for x in self.ch12 if x[1][0] == lat.index]
            roles = [role[x[0].type] for x in mine]
            if roles != ["T", "A", "L"]:
                at = mine[0][0].offset if mine else self.head_offset
                have = ", ".join(type_name(x[0].type) for x in mine) or "none"
                if len(mine) < 3 and len(set(roles)) == len(roles):
                    raise LcaeError("missingChunk", at,
                                    f"integer latent {lat.index} has {have}; it needs CTAB or "
                                    f"CREF, ACTV, LATP (spec §12.5)")
                raise LcaeError("badChunkOrder", at,
                                f"integer latent {lat.index} has {have}, in that order; it "
                                f"needs CTAB or CREF, then ACTV, then LATP, once each "
                                f"(spec §12.5)")
            (tc, tp, tb), (ac, ap, ab), (lc, lp, lb) = mine
            lat.table_chunk = type_name(tc.type)
            if tc.type == b"CTAB":
                self._ctab(tc, tp, tb, lat)
            else:
                self._cref(tc, tp, tb, lat)
            lat.actv_seen = True
            self._actv(ac, ap, ab, lat)
            lat.latp_seen = True
            self._latp(lc, lp, lb, lat)

    def _recc(self, lat):
        """§14.8: one RECC per continuous latent, its checks, and the values of §14.9."""
        mine = [x for x in self.ch12 if x[0].type == b"RECC" and x[1][0] == lat.index]
        if not mine:
            raise LcaeError("missingChunk", self.head_offset,
                            f"continuous latent {lat.index} has no RECC chunk (spec §14.8)")
        if len(mine) > 1:
            raise LcaeError("badChunkOrder", mine[1][0].offset,
                            f"continuous latent {lat.index} has a second RECC chunk (spec §14.8)")
        c, p, base = mine[0]
        dims = lat.channels * lat.height * lat.width
        try:
            rec = rec_reference.parse_recc(p, c.offset, dims, self.limits["max_rec_blocks"])
            c.details["method"] = rec_reference.METHODS[rec["method"]]
            c.details["block_count"] = rec["block_count"]
            lat.values = rec_reference.decode_recc(rec, self.limits["max_log2_candidates"])
        except rec_reference.RecError as e:
            raise LcaeError(e.code, e.offset, e.message)

    def _check_tables_match(self, tables, lat, offset, p_offset=None):
        if tables.precision != self.head["precision"]:
            raise LcaeError("badTable", offset if p_offset is None else p_offset,
                            f"table precision {tables.precision} is not HEAD's precision "
                            f"{self.head['precision']} (spec §12.5.1)")
        if tables.channel_count != lat.channels:
            raise LcaeError("badTable", offset,
                            f"table channel_count {tables.channel_count} is not latent "
                            f"{lat.index}'s channels {lat.channels} (spec §12.5.1)")

    def _ctab(self, c, p, base, lat):
        if len(p) < 6:
            raise LcaeError("badChunkLength", c.offset,
                            f"CTAB payload of {len(p)} bytes is shorter than its 6-byte header "
                            f"(spec §12.5)")
        comp, size = p[1], u32(p, 2)
        c.field("compression", base + 1, 1, comp)
        c.field("body_size", base + 2, 4, size)
        c.details.update(compression=comp, body_size=size)
        if comp not in (0, 1):
            raise LcaeError("badField", base + 1,
                            f"CTAB compression {comp} is not 0 or 1 (spec §12.5.1)")
        lim = self.limits
        cap = 4 + lim["max_channels"] * (21 + 16 * lim["max_symbols_per_table"])
        if size > cap:
            raise LcaeError("limitExceeded", base + 2,
                            f"CTAB body_size {size} exceeds {cap} (spec §12.5.1)")
        data = bytes(p[6:])
        dbase = base + 6
        if comp == 0:
            if len(data) != size:
                raise LcaeError("badChunkLength", c.offset,
                                f"CTAB data of {len(data)} bytes, body_size {size} (spec §12.5.1)")
            body = data
            where = lambda k: dbase + k     # noqa: E731
        else:
            body = self._inflate(data, size, dbase)
            where = lambda k: dbase         # noqa: E731  (no file offset inside deflated data)
        c.field("data", dbase, len(data), f"{len(data)} bytes")
        try:
            tables = parse_table_body(body, lim, where)
        except LcaeError as e:
            c.details["body_valid"] = False
            if comp == 1:
                e.message += " (inside the deflated body)"
            raise
        c.details.update(body_valid=True, channel_count=tables.channel_count,
                         precision=tables.precision, measure=tables.measure,
                         body_sha256=tables.sha256)
        if comp == 0:       # the body's own fields (§9 offsets)
            self._check_tables_match(tables, lat, dbase, dbase + 2)
        else:
            self._check_tables_match(tables, lat, dbase)
        lat.tables, lat.table_sha256 = tables, tables.sha256

    def _inflate(self, data, size, offset):
        d = zlib.decompressobj()
        try:
            out = d.decompress(data, size + 1)
        except zlib.error as e:
            raise LcaeError("badCompression", offset, f"CTAB data does not inflate: {e} "
                            f"(spec §12.5.1)")
        if len(out) > size:
            raise LcaeError("badCompression", offset,
                            f"CTAB data inflates to more than body_size {size} (spec §12.5.1)")
        if not d.eof:
            raise LcaeError("badCompression", offset,
                            f"CTAB zlib stream is incomplete ({len(out)} of {size} bytes) "
                            f"(spec §12.5.1)")
        if len(out) != size:
            raise LcaeError("badCompression", offset,
                            f"CTAB data inflates to {len(out)} bytes, body_size {size} "
                            f"(spec §12.5.1)")
        if d.unused_data:
            raise LcaeError("badCompression", offset,
                            f"{len(d.unused_data)} bytes after the end of the zlib stream "
                            f"(spec §12.5.1)")
        return out

    def _cref(self, c, p, base, lat):
        sha = bytes(p[1:33]).hex()
        c.field("sha256", base + 1, 32, sha)
        c.details["sha256"] = sha
        lat.table_sha256 = sha
        tables = self._model_tables(sha, base + 1)
        if tables is None:
            tables = self.table_sets.get(sha)
        if tables is None:
            c.details["resolved"] = False
            if self.decode:
                raise LcaeError("modelMismatch", base + 1,
                                f"no tables of identity {sha} were given (spec §12.5.2)")
            self.notes.append(f"CREF at {c.offset}: tables {sha} not given; ACTV is not decoded "
                              f"and LATP's value count not checked")
            return
        c.details["resolved"] = True
        # The tables must also respect the stream's effective limits.
        _ = parse_table_body_limits_check(tables, self.limits, base + 1)
        self._check_tables_match(tables, lat, base + 1)
        lat.tables = tables

    def _model_tables(self, sha, offset):
        """§15.2: a CREF's hash among the table sets of the model HEAD binds; the set is
        checked now that a stream uses it (errors at CREF's sha256 field, §9)."""
        if self.model is None:
            return None
        lim = self.limits
        cap = 4 + lim["max_channels"] * (21 + 16 * lim["max_symbols_per_table"])
        for ts in self.model.table_sets:
            if ts.sha256 != sha:
                continue
            if ts.body_size > cap:
                raise LcaeError("limitExceeded", offset,
                                f"the model's table set of {ts.body_size} bytes is above the bound "
                                f"of §12.5.1 under the stream's limits, {cap} (spec §15.2)")
            try:
                body = ts.body()
            except lcae_synthesis.ModelError as e:
                raise LcaeError(e.code, offset, f"the model's table set: {e.message}")
            tables = parse_table_body(body, self.limits, lambda k: offset)
            if tables.channel_count != self.model.latent_channels:
                raise LcaeError("badTable", offset,
                                f"the model's table set has {tables.channel_count} channels, the "
                                f"model {self.model.latent_channels} (spec §15.2)")
            return tables
        return None

    def _actv(self, c, p, base, lat):
        r = parse_rans_payload(p, 1, len(p), lat.channels, base)
        self._describe_rans(c, r, base)
        if lat.tables is None:
            return
        P = lat.tables.precision
        one = 1 << P
        bits = []
        index = 0
        try:
            for j, (vc, wc, woff, at) in enumerate(r.substreams):
                dec = LaneDecoder(r.words[at:at + wc], r.lanes, P)
                for t in range(vc):
                    a = lat.tables.channels[index]["a"]
                    bits.append(dec.symbol(t % r.lanes, [0, one - a, one]))
                    index += 1
                dec.end_check()
        except EntropyError as e:
            raise LcaeError("badPayload", woff + 4 * e.left,
                            f"ACTV substream {j}: {e.code}: {e.message} (spec §12.5.3)")
        lat.actv = bits
        c.details["active_channels"] = [k for k, b in enumerate(bits) if b]

    def _latp(self, c, p, base, lat):
        N = None
        if lat.actv is not None:
            N = sum(lat.actv) * lat.height * lat.width
        r = parse_rans_payload(p, 1, len(p), N, base)
        self._describe_rans(c, r, base)
        if N is None:
            self.notes.append(f"LATP at {c.offset}: the activation bits are unknown, the value "
                              f"count is not checked")
            return
        c.details["value_count"] = N
        if self.decode:
            self._decode_latent(lat, r)
            if lat.hash is not None:
                self._compare_hash(lat)

    def _describe_rans(self, c, r, base):
        c.field("lanes", base + 1, 1, r.lanes)
        c.field("substream_count", base + 2, 4, len(r.substreams))
        for j, (vc, wc, woff, at) in enumerate(r.substreams):
            c.field(f"value_count({j})", base + 6 + 8 * j, 4, vc)
            c.field(f"word_count({j})", base + 10 + 8 * j, 4, wc)
        c.details.update(lanes=r.lanes, substream_count=len(r.substreams),
                         substreams=[{"value_count": vc, "word_count": wc}
                                     for vc, wc, _, _ in r.substreams],
                         word_count=r.word_count)

    def _decode_latent(self, lat, r):
        """§12.6. Raises LcaeError with the entropy-layer code at the substream's words."""
        T = lat.tables
        C, H, W = lat.channels, lat.height, lat.width
        HW = H * W
        chs = T.channels
        vals = [None] * C
        for k in range(C):
            vals[k] = [chs[k]["m"]] * HW if not lat.actv[k] else [0] * HW
        # Coded number of the first value of each coded position; the channel of position p.
        first_number = {}
        number = 0
        coded = []                       # (p, k) in coding order, active only
        for p_, k in enumerate(T.order):
            if lat.actv[k]:
                first_number[p_] = number
                coded.append((p_, k))
                number += HW

        def reaches(k, v):
            ch = chs[k]
            if T.measure == 0:
                return v >= ch["eps"]
            return abs(v - ch["m"]) >= ch["eps"]

        # Iterate over substreams; values numbered 0..N-1 over `coded`.
        number = 0
        for j, (vc, wc, woff, at) in enumerate(r.substreams):
            start = number
            try:
                dec = LaneDecoder(r.words[at:at + wc], r.lanes, T.precision)
                for t in range(vc):
                    ci, place = divmod(number, HW)
                    p_, k = coded[ci]
                    row, col = divmod(place, W)
                    ctx = 0
                    if col > 0 and number - 1 >= start and reaches(k, vals[k][place - 1]):
                        ctx += 1
                    if row > 0 and number - W >= start and reaches(k, vals[k][place - W]):
                        ctx += 1
                    if p_ > 0:
                        kp = T.order[p_ - 1]
                        if not lat.actv[kp]:
                            ctx += reaches(kp, chs[kp]["m"])
                        elif first_number[p_ - 1] + place >= start:
                            ctx += reaches(kp, vals[kp][place])
                    ch = chs[k]
                    vals[k][place] = dec.value(t % r.lanes, ch["cum"][ctx], ch["o"])
                    number += 1
                dec.end_check()
            except EntropyError as e:
                # Table 9-1: badPayload is "a rANS payload that does not parse or does not
                # decode to its end" (§10, §12.5); §12.5.3 says so for ACTV explicitly,
                # §12.5.4 is silent for LATP.
                raise LcaeError("badPayload", woff + 4 * e.left,
                                f"LATP substream {j}: {e.code}: {e.message} (spec §12.5.4)")
        lat.values = [v for k in range(C) for v in vals[k]]

    def _compare_hash(self, lat):
        raw = struct.pack(f"<{len(lat.values)}i", *lat.values)
        got = hashlib.sha256(raw).digest()
        if got != lat.hash:
            raise LcaeError("hashMismatch", lat.hash_offset,
                            f"latent {lat.index} decodes to SHA-256 {got.hex()}, lHSH says "
                            f"{lat.hash.hex()} (spec §12.7)")
        lat.hash_checked = True

    # -- output -------------------------------------------------------------

    def to_json(self, verbose=False):
        chunks = []
        for c in self.chunks:
            e = {"type": type_name(c.type), "offset": c.offset, "length": c.length,
                 "critical": c.critical, "known": c.known, "crc_ok": c.crc_ok}
            if verbose:
                e["fields"] = [{"name": n, "offset": o, "size": s, "value": v}
                               for n, o, s, v in c.fields]
            if c.details:
                e["details"] = c.details
            chunks.append(e)
        out = {
            "schema": "lcae-inspect/1",
            "file": self.path,
            "file_size": len(self.data),
            "format_version": self.format_version,
            "valid": self.error is None,
            "chunks": chunks,
            "header": self.header,
            "warnings": self.warnings,
            "error": None if self.error is None else {
                "code": self.error.code, "offset": self.error.offset,
                "message": self.error.message},
            "parser": {"name": "tools/lcae_parse.py", "scope": self.scope,
                       "decode": self.decode, "notes": self.notes,
                       "image_sha256": self.image_sha256},
        }
        return out


def parse_table_body_limits_check(tables, limits, offset):
    """Re-check referenced tables (read under the reader's limits) against a stream's
    effective limits (§12.2 limit clauses)."""
    if tables.channel_count > limits["max_channels"]:
        raise LcaeError("limitExceeded", offset, "referenced tables: channel_count exceeds "
                        "max_channels (spec §12.2)")
    if any(ch["n"] > limits["max_symbols_per_table"] for ch in tables.channels):
        raise LcaeError("limitExceeded", offset, "referenced tables: symbol_count exceeds "
                        "max_symbols_per_table (spec §12.2)")
    if sum(ch["T"] for ch in tables.channels) > limits["max_tables"]:
        raise LcaeError("limitExceeded", offset, "referenced tables: more than max_tables "
                        "(spec §12.2)")
    return True


def parse_bytes(data, path="", **kw):
    return Parser(data, path, **kw).parse()


def parse_file(path, **kw):
    with open(path, "rb") as f:
        data = f.read()
    return parse_bytes(data, path, **kw)


def print_text(res, verbose):
    out = print
    out(f"{res.path}: {len(res.data)} bytes, format version {res.format_version or '?'}")
    for c in res.chunks:
        flags = ("critical" if c.critical else "ancillary") + ("" if c.known else ", unknown")
        out(f"  {type_name(c.type)} at {c.offset}, {c.length} bytes, {flags}, "
            f"CRC {'ok' if c.crc_ok else 'MISMATCH'}")
        if verbose:
            for n, o, s, v in c.fields:
                out(f"      {o:>10}  {s:>4}  {n} = {v}")
        if c.details:
            for k, v in c.details.items():
                out(f"      {k}: {v}")
    if res.header:
        out("  header: " + json.dumps(res.header))
    for w in res.warnings:
        out(f"  warning {w['code']} at {w['offset']}: {w['message']}")
    for n in res.notes:
        out(f"  note: {n}")
    if res.image_sha256:
        out(f"  image: {' x '.join(map(str, res.samples.shape))} samples, SHA-256 {res.image_sha256}")
    if res.error:
        out(f"  error {res.error.code} at {res.error.offset}: {res.error.message}")
    else:
        out("  valid")


def write_npy(path, values, shape):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (%s), }" % dims
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1"))
        f.write(struct.pack(f"<{len(values)}i", *values))


def write_samples_npy(path, samples):
    """§13.4: an image as a NumPy array of shape (height, width, channels), u1 or <u2."""
    descr = "|u1" if samples.dtype.itemsize == 1 else "<u2"
    dims = ", ".join(str(d) for d in samples.shape)
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1"))
        f.write(samples.tobytes())


def read_models(paths):
    """Model files (§15.1); raises LcaeError with the model reader's code."""
    models = []
    for path in paths:
        try:
            models.append(lcae_synthesis.read_model(path))
        except lcae_synthesis.ModelError as e:
            raise LcaeError(e.code, e.offset, f"model file {path}: {e.message}")
    return models


def decoder_contract(args):
    """§13.4: `CMD [--tables T]... [--model M]... -o OUT.npy STREAM`."""
    try:
        table_sets = [read_table_file(t) for t in args.tables]
        models = read_models(args.model)
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"error: ioError at byte 0: {e}", file=sys.stderr)
        return 3
    except LcaeError as e:
        print(f"error: {e.code} at byte {e.offset}: table or model file: {e.message}",
              file=sys.stderr)
        return 2
    res = Parser(data, args.file, scope="full", table_sets=table_sets, decode=True,
                 models=models).parse()
    if res.error:
        print(f"error: {res.error.code} at byte {res.error.offset}: {res.error.message}",
              file=sys.stderr)
        return 2
    # §13.4: an image stream's output is its image.
    if res.samples is not None:
        write_samples_npy(args.output, res.samples)
        h, w, ch = res.samples.shape
        print(f"{h} x {w} x {ch} samples, SHA-256 {res.image_sha256}", file=sys.stderr)
        return 0
    # §13.4: the first latent in HEAD order (a continuous one as its Q16 values, §14.3).
    if not res.latents:
        print("the stream is valid and holds no latent; nothing written", file=sys.stderr)
        return 0
    lat = res.latents[0]
    write_npy(args.output, lat.values, (lat.channels, lat.height, lat.width))
    print(f"{lat.channels} x {lat.height} x {lat.width} values", file=sys.stderr)
    return 0


def load_side_file(load, label=""):
    """Runs `load` (a table or model file reader): (its result, None), or (None, exit status)
    after reporting the error, 3 for a file that cannot be read and 2 for a malformed one."""
    try:
        return load(), None
    except OSError as e:
        print(f"{label}{e}", file=sys.stderr)
        return None, 3
    except LcaeError as e:
        print(f"{label}{e.code} at {e.offset}: {e.message}", file=sys.stderr)
        return None, 2


def main(argv=None):
    ap = argparse.ArgumentParser(description="Independent .lcae parser (spec/lcae.md).")
    ap.add_argument("file")
    ap.add_argument("--json", action="store_true", help="print schema lcae-inspect/1")
    ap.add_argument("-v", "--verbose", action="store_true", help="every field with its offset")
    ap.add_argument("--scope", choices=("full", "container"), default="full",
                    help="full: chapters 3-12 (default); container: chapters 3-9 only")
    ap.add_argument("--tables", action="append", default=[],
                    help="table file (§12.2.1) a CREF may name (repeatable)")
    ap.add_argument("--model", action="append", default=[],
                    help="model file (§15.1) an image stream may be bound to (repeatable)")
    ap.add_argument("--decode", action="store_true",
                    help="decode the integer latents (§12.6) and check lHSH (§12.7)")
    ap.add_argument("-o", "--output", metavar="OUT.npy",
                    help="decode (implies --decode) and write the first integer latent as a "
                         "NumPy int32 (C, H, W) array; errors go to standard error as "
                         "`error: CODE at byte N: ...` (the external-decoder contract, §13.4)")
    args = ap.parse_args(argv)
    if args.output:
        return decoder_contract(args)
    table_sets = []
    for tpath in args.tables:
        tables, status = load_side_file(lambda: read_table_file(tpath), f"{tpath}: ")
        if status is not None:
            return status
        table_sets.append(tables)
    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        if args.json:
            print(json.dumps({"schema": "lcae-inspect/1", "file": args.file, "file_size": None,
                              "format_version": None, "valid": False, "chunks": [],
                              "header": None, "warnings": [],
                              "error": {"code": "ioError", "offset": 0, "message": str(e)}},
                             indent=2))
        else:
            print(f"{args.file}: ioError: {e}", file=sys.stderr)
        return 3
    models, status = load_side_file(lambda: read_models(args.model))
    if status is not None:
        return status
    res = Parser(data, args.file, scope=args.scope, table_sets=table_sets,
                 decode=args.decode, models=models).parse()
    if args.json:
        print(json.dumps(res.to_json(args.verbose), indent=2, ensure_ascii=False))
    else:
        print_text(res, args.verbose)
    return 0 if res.error is None else 2


if __name__ == "__main__":
    sys.exit(main())
