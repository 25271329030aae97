#!/usr/bin/env python3
"""Regenerate the conformance corpus in samples/conformance/ (spec chapter 13).

Valid streams are written by `lcae encode-latents` from latents this script makes with
numpy; their sheets state the header fields the script asked for and the SHA-256 of the
latent as numpy holds it (not as lcae decodes it), so `lcae check` compares the decoder
with an independent expectation. Invalid streams are valid ones edited here, with a
container writer of this script's own (CRC-32 from zlib), each with the error code a
reader must report.

REC streams (chapter 14) are written by `lcae rec encode`; their sheets give the SHA-256 of
the latent as tools/rec_reference.py (an independent implementation of the spec) regenerates
it from the stream's indices.

Usage (from the repository root, after `swift build -c release`):
    python3 tools/make_conformance.py [--lcae .build/release/lcae]
"""

import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import numpy as np

import rec_reference  # chapter 14 written from the spec alone: the expected values of REC streams

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "samples", "conformance")
SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A])


# ---- a small container codec of this script's own (spec §3, §5) ----

def parse(data):
    assert data[:9] == SIGNATURE
    chunks, at = [], 9
    while at < len(data):
        (length,) = struct.unpack_from("<I", data, at)
        chunks.append([data[at + 4:at + 8], bytearray(data[at + 8:at + 8 + length])])
        at += 12 + length
    return chunks


def build(chunks, signature=SIGNATURE, crc=True):
    out = bytearray(signature)
    for ctype, payload in chunks:
        out += struct.pack("<I", len(payload)) + ctype + payload
        out += struct.pack("<I", zlib.crc32(ctype + payload) if crc else 0)
    return bytes(out)


def find(chunks, name):
    return next(i for i, c in enumerate(chunks) if c[0] == name)


# ---- latents ----

def field(rng, c, h, w):
    """Spatially and inter-channel correlated small integers."""
    out = np.zeros((c, h, w), dtype=np.int64)
    prev = np.zeros((h, w))
    for k in range(c):
        f = np.zeros((h, w))
        noise = rng.laplace(0, 1.2, (h, w))
        for i in range(h):
            for j in range(w):
                f[i, j] = 0.3 * (f[i, j - 1] if j else 0) + 0.3 * (f[i - 1, j] if i else 0) + 0.3 * prev[i, j] + noise[i, j]
        out[k] = np.rint(f / (1 + k % 3))
        prev = f
    return out.astype(np.int32)


def sha256(latent):
    return hashlib.sha256(np.ascontiguousarray(latent, dtype="<i4").tobytes()).hexdigest()


class Corpus:
    def __init__(self, lcae, tmp):
        self.lcae, self.tmp = lcae, tmp

    def run(self, *args):
        subprocess.run([self.lcae, *args], check=True, capture_output=True)

    def case(self, kind, name, stream, sheet):
        directory = os.path.join(OUT, kind, name)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "stream.lcae"), "wb") as f:
            f.write(stream)
        with open(os.path.join(directory, "spec.json"), "w") as f:
            json.dump(sheet, f, indent=2, sort_keys=True)
            f.write("\n")

    def encode(self, latent, tables, args):
        src = os.path.join(self.tmp, "y.npy")
        np.save(src, latent)
        out = os.path.join(self.tmp, "y.lcae")
        command = ["encode-latents", "Y.npy", *(["--tables", tables] if tables else []), *args, "-o", "stream.lcae"]
        self.run("encode-latents", src, *(["--tables", os.path.join(OUT, tables)] if tables else []), *args, "-o", out)
        with open(out, "rb") as f:
            return f.read(), "lcae " + " ".join(command)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lcae", default=os.path.join(ROOT, ".build", "release", "lcae"))
    args = parser.parse_args()
    for sub in ("valid", "invalid", "tables"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
    os.makedirs(os.path.join(OUT, "tables"))
    rng = np.random.default_rng(20261121)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus(args.lcae, tmp)
        training = [field(rng, 6, 10, 12) for _ in range(4)]
        train_path = os.path.join(tmp, "train.npy")
        np.save(train_path, np.stack(training))
        tables = {}
        for name, extra in (("p24-deviation", []), ("p12-deviation", ["--precision", "12"]), ("p24-value", ["--measure", "value"])):
            path = os.path.join(OUT, "tables", name + ".tbl")
            corpus.run("fit", train_path, "-o", path, *extra)
            tables[name] = os.path.join("tables", name + ".tbl")

        def valid(name, purpose, features, latent, table, encode_args, precision=24):
            stream, command = corpus.encode(latent, table, encode_args)
            c, h, w = latent.shape
            sheet = {
                "purpose": purpose, "features": features, "profile": 1, "level": 1,
                "expected": {"valid": True, "latent_sha256": [sha256(latent)], "image_sha256": None,
                             "header": {"format_version": "1.0", "width": 0, "height": 0, "colour_format": "none",
                                        "profile": 1, "level": 1, "coder": "rans64", "precision": precision}},
                "tables": ["../../" + table] if table else [], "command": command,
            }
            corpus.case("valid", name, stream, sheet)
            return stream

        base = field(rng, 6, 7, 9)
        t24, t12, tv = tables["p24-deviation"], tables["p12-deviation"], tables["p24-value"]
        valid("lanes1-referenced", "one lane, one substream, tables referenced by SHA-256: constriction's word layout",
              ["lanes=1", "substreams=1", "CREF", "lHSH"], base, t24, ["--placement", "referenced", "--lanes", "1"])
        valid("lanes2-in-band", "two lanes, tables deflated in-band", ["lanes=2", "CTAB", "deflate"], base, t24,
              ["--placement", "in-band", "--lanes", "2"])
        valid("lanes4-substreams3", "four lanes in three substreams: contexts stop at substream starts (spec §12.3)",
              ["lanes=4", "substreams=3"], base, t24, ["--placement", "referenced", "--lanes", "4", "--substreams", "3"])
        valid("lanes8-substreams2", "eight lanes, two substreams", ["lanes=8", "substreams=2"], base, t24,
              ["--placement", "referenced", "--lanes", "8", "--substreams", "2"])
        wild = base.copy()
        wild[0, 0, 0], wild[1, 2, 3], wild[5, 6, 8], wild[3, 3, 3] = 2**31 - 1, -2**31, 100000, -77
        valid("escapes", "values far outside every table's range, Int32 extremes included: escape codes (spec §10.4)",
              ["escape", "Int32.min", "Int32.max"], wild, t24, ["--placement", "referenced"])
        inactive = base.copy()
        # The most probable value of each channel, read from the table file (spec §12.2.1, Table 12-1).
        with open(os.path.join(OUT, t24), "rb") as f:
            body = f.read()[12:-4]
        most_probable = []
        at = 4 + 2 * 6
        for k in range(6):
            threshold, most, act, off, n, ctxs = struct.unpack_from("<iiIiHB", body, at)
            most_probable.append(most)
            at += 19 + 4 * n * ctxs
        # Channels 1 and 4 hold their most probable value everywhere: inactive (spec §12.4).
        inactive[1, :, :] = most_probable[1]
        inactive[4, :, :] = most_probable[4]
        valid("inactive-channels", "two channels at their most probable value: coded by their activation bit only",
              ["activation bits", "inactive channel"], inactive, t24, ["--placement", "referenced"])
        flat = np.stack([np.full((7, 9), most_probable[k], dtype=np.int32) for k in range(6)])
        valid("all-inactive", "every channel inactive: an empty value payload", ["activation bits", "empty payload"],
              flat, t24, ["--placement", "referenced"])
        valid("precision12", "probability precision 12, the smallest allowed", ["precision=12"], base, t12,
              ["--placement", "referenced"], precision=12)
        valid("measure-value", "contexts compare the raw value with the threshold (measure 0)", ["measure=value"], base, tv,
              ["--placement", "referenced"])
        valid("one-by-one", "a 6 x 1 x 1 latent: no spatial neighbour at all", ["H=1", "W=1"], base[:, :1, :1].copy(), t24,
              ["--placement", "referenced"])
        single = field(rng, 1, 5, 13)
        valid("single-channel-own-tables", "one channel (3 contexts only), tables fitted to the latent, in-band",
              ["C=1", "CTAB", "fitted in-band"], single, None, [])

        # ---- invalid streams: edits of valid ones ----
        ref_stream, _ = corpus.encode(base, t24, ["--placement", "referenced", "--lanes", "2"])
        inband_stream, _ = corpus.encode(base, t24, ["--placement", "in-band", "--lanes", "2"])

        def invalid(name, purpose, data, code, clause, table=t24):
            corpus.case("invalid", name, data, {
                "purpose": purpose, "features": ["invalid"], "profile": 1, "level": 1,
                "expected": {"valid": False, "error": code}, "tables": ["../../" + table] if table else [],
                "command": "python3 tools/make_conformance.py (edit of a valid stream; see its source)",
                "clause": clause,
            })

        sig = bytearray(inband_stream)
        sig[0] = 0x0C
        invalid("signature-7bit", "bit 7 of the first byte cleared by a 7-bit channel", bytes(sig), "badSignature", "§3")
        invalid("signature-dos-to-unix", "CR LF turned into LF", inband_stream[:5] + inband_stream[6:], "badSignature", "§3")
        invalid("signature-unix-to-dos", "every LF turned into CR LF", inband_stream.replace(b"\n", b"\r\n"), "badSignature", "§3")
        invalid("signature-truncated", "a file of 5 bytes", inband_stream[:5], "truncated", "§3")

        for stream, kind in ((inband_stream, "in-band"), (ref_stream, "referenced")):
            chunks = parse(stream)
            for i, (ctype, payload) in enumerate(chunks):
                name = ctype.decode()
                if kind == "referenced" and name not in ("CREF",):
                    continue
                data = bytearray(build(chunks))
                crc_at = 9 + sum(12 + len(p) for _, p in chunks[:i]) + 8 + len(payload)
                data[crc_at] ^= 0x01
                invalid(f"crc-{name}", f"one bit of the {name} chunk's CRC flipped", bytes(data), "crcMismatch", "§5.3")

        chunks = parse(inband_stream)
        at = 9
        for i, (ctype, payload) in enumerate(chunks):
            invalid(f"truncated-before-{i}-{ctype.decode()}", f"the file ends where chunk {i} ({ctype.decode()}) would start",
                    inband_stream[:at], "truncated", "§5.1")
            at += 12 + len(payload)
        invalid("truncated-inside-LATP", "the file ends inside the LATP payload",
                inband_stream[:9 + sum(12 + len(p) for _, p in chunks[:find(chunks, b"LATP")]) + 20], "truncated", "§5.1")

        def edited(stream, edit, crc=True):
            chunks = parse(stream)
            edit(chunks)
            return build(chunks, crc=crc)

        big = bytearray(inband_stream)
        struct.pack_into("<I", big, 9 + 12 + 64, 0xFFFFFFF0)
        invalid("length-above-2^31", "a chunk length of 0xFFFFFFF0", bytes(big), "badChunkLength", "§5.1")
        big = bytearray(inband_stream)
        struct.pack_into("<I", big, 9 + 12 + 64, 1 << 27)
        invalid("length-above-level", "a chunk declaring 2^27 payload bytes in a level-1 stream (at most 2^26)", bytes(big), "limitExceeded", "§8")
        big = bytearray(inband_stream)
        struct.pack_into("<I", big, 9 + 12 + 64, 1 << 20)
        invalid("length-past-end", "a chunk declaring 1 MiB in a small file", bytes(big), "truncated", "§5.1")

        def uncompressed_tables(chunks, change):
            i = find(chunks, b"CTAB")
            payload = chunks[i][1]
            size = struct.unpack_from("<I", payload, 2)[0]
            body = bytearray(zlib.decompress(bytes(payload[6:])))
            assert len(body) == size
            change(body)
            chunks[i][1] = bytearray(payload[:1]) + bytes([0]) + struct.pack("<I", len(body)) + body

        first_frequency = 4 + 2 * 6 + 19
        invalid("cdf-zero-frequency", "a zero frequency: a CDF that is not strictly increasing", edited(
            inband_stream, lambda c: uncompressed_tables(c, lambda b: struct.pack_into("<I", b, first_frequency, 0))), "badTable", "§12.2")
        invalid("cdf-wrong-total", "frequencies that sum to 2^P + 1", edited(
            inband_stream, lambda c: uncompressed_tables(c, lambda b: struct.pack_into("<I", b, first_frequency, struct.unpack_from("<I", b, first_frequency)[0] + 1))),
            "badTable", "§12.2")
        invalid("order-not-permutation", "the coding order names one channel twice", edited(
            inband_stream, lambda c: uncompressed_tables(c, lambda b: b.__setitem__(slice(6, 8), b[4:6]))), "badTable", "§12.2")
        invalid("threshold-out-of-range", "a deviation threshold of 0", edited(
            inband_stream, lambda c: uncompressed_tables(c, lambda b: struct.pack_into("<i", b, 4 + 12, 0))), "badTable", "§12.2")
        invalid("symbols-above-level", "a table of 4097 symbols in a level-1 stream", edited(
            inband_stream, lambda c: uncompressed_tables(c, lambda b: struct.pack_into("<H", b, 4 + 12 + 16, 4097))), "limitExceeded", "§8")

        def head(change):
            def edit(chunks):
                payload = chunks[0][1]
                change(payload)
            return edit
        invalid("width-above-level", "an image 4097 pixels wide at level 1", edited(
            inband_stream, head(lambda p: (struct.pack_into("<IIBB", p, 4, 4097, 16, 8, 3), p.__setitem__(18, p[18] | 1), p.__setitem__(slice(20, 52), bytes(range(32)))))),
            "limitExceeded", "§8")
        invalid("height-above-level", "an image 4097 pixels high at level 1", edited(
            inband_stream, head(lambda p: (struct.pack_into("<IIBB", p, 4, 16, 4097, 8, 3), p.__setitem__(18, p[18] | 1), p.__setitem__(slice(20, 52), bytes(range(32)))))),
            "limitExceeded", "§8")
        invalid("pixels-above-level", "an image of 4096 x 4096 pixels at level 1 (at most 2^22)", edited(
            inband_stream, head(lambda p: (struct.pack_into("<IIBB", p, 4, 4096, 4096, 8, 3), p.__setitem__(18, p[18] | 1), p.__setitem__(slice(20, 52), bytes(range(32)))))),
            "limitExceeded", "§8")
        invalid("channels-above-level", "a latent of 257 channels at level 1", edited(
            inband_stream, head(lambda p: struct.pack_into("<H", p, 54, 257))), "limitExceeded", "§8")
        invalid("latent-values-above-level", "a latent of 256 x 128 x 129 values at level 1 (at most 2^22)", edited(
            inband_stream, head(lambda p: struct.pack_into("<HII", p, 54, 256, 128, 129))), "limitExceeded", "§8")
        invalid("unsupported-version", "major version 2", edited(inband_stream, head(lambda p: struct.pack_into("<H", p, 0, 2))),
                "unsupportedVersion", "§4")
        many = parse(inband_stream)
        many[1:1] = [[b"tEXT", bytearray(b"k\x00v")]] * 260
        invalid("chunks-above-level", "261 tEXT chunks: more than 256 chunks at level 1", build(many), "limitExceeded", "§8")

        invalid("model-mismatch", "tables referenced by a SHA-256 the decoder was not given", ref_stream, "modelMismatch", "§12.5.2", table=tv)
        invalid("chunk-before-HEAD", "a tEXT chunk before HEAD", edited(inband_stream, lambda c: c.insert(0, [b"tEXT", bytearray(b"k\x00v")])),
                "badChunkOrder", "§6.1")
        invalid("two-HEADs", "HEAD twice", edited(inband_stream, lambda c: c.insert(1, [c[0][0], bytearray(c[0][1])])), "badChunkOrder", "§6.1")
        invalid("ACTV-before-CTAB", "the activation bits before the tables",
                edited(inband_stream, lambda c: c.insert(1, c.pop(find(c, b"ACTV")))), "badChunkOrder", "§12.5")
        invalid("missing-LATP", "no value payload", edited(inband_stream, lambda c: c.pop(find(c, b"LATP"))), "missingChunk", "§12.5")
        invalid("unknown-critical", "an unknown critical chunk XFUT", edited(inband_stream, lambda c: c.insert(1, [b"XFUT", bytearray(4)])),
                "unsupportedCritical", "§5.4")
        invalid("trailing-data", "a byte after LEND", inband_stream + b"\x00", "trailingData", "§6.1")
        invalid("bad-compression", "deflated tables that do not inflate", edited(
            inband_stream, lambda c: c[find(c, b"CTAB")][1].__setitem__(-3, c[find(c, b"CTAB")][1][-3] ^ 0xFF)), "badCompression", "§12.5.1")
        invalid("payload-desynchronised", "one bit of the LATP words flipped, CRC recomputed: the end check fails", edited(
            inband_stream, lambda c: c[find(c, b"LATP")][1].__setitem__(-2, c[find(c, b"LATP")][1][-2] ^ 0x10)), "badPayload", "§10.5.3")
        invalid("latent-hash-mismatch", "an lHSH that does not match the latent", edited(
            inband_stream, lambda c: c[find(c, b"lHSH")][1].__setitem__(5, c[find(c, b"lHSH")][1][5] ^ 1)), "hashMismatch", "§12.7")
        rec_cases(corpus, tmp, invalid)
    print(f"wrote {len(os.listdir(os.path.join(OUT, 'valid')))} valid and {len(os.listdir(os.path.join(OUT, 'invalid')))} invalid cases")


def recc_payload(index, method, seed, bpb, m, gmax, ratio, count, prior, info, words):
    """A RECC payload from its fields (spec §14.8, Table 14-1)."""
    out = struct.pack("<BBBBQBBHHI", index, method, 1, 0 if len(prior) == 1 else 1, seed, bpb, m, gmax, ratio, count)
    for mu, sigma in prior:
        out += struct.pack("<iI", mu, sigma)
    out += struct.pack(f"<{len(info)}H", *info) + struct.pack("<I", len(words)) + struct.pack(f"<{len(words)}I", *words)
    return bytearray(out)


def rec_cases(corpus, tmp, invalid):
    """Valid streams of every REC method and invalid edits of them (spec chapter 14)."""
    mean = np.array([1.1, -0.6, 0.3, 0.1, 0.0])
    std = np.array([0.1, 0.3, 0.6, 0.8, 1.0])
    for name, array in (("m", mean), ("s", std), ("pm", np.array([0.0, 0.1, -0.1, 0.2, 0.0])),
                        ("ps", np.array([1.0, 1.2, 0.9, 1.1, 1.0])), ("mi", np.array([5.0, 2.5, 1.0, 0.3, 0.0]))):
        np.save(os.path.join(tmp, name + ".npy"), array)

    def encode(method, args):
        out = os.path.join(tmp, "z.lcae")
        paths = ["--mean", os.path.join(tmp, "m.npy"), "--std", os.path.join(tmp, "s.npy")]
        corpus.run("rec", "encode", *paths, "--method", method, *args, "-o", out)
        command = "lcae rec encode --mean M.npy --std S.npy --method " + method + " " + " ".join(args) + " -o stream.lcae"
        with open(out, "rb") as f:
            return f.read(), command

    def valid(name, purpose, features, stream, command):
        (decoded,) = rec_reference.decode_file(stream)
        level = parse(stream)[0][1][15]
        corpus.case("valid", name, stream, {
            "purpose": purpose, "features": ["REC", *features], "profile": 1, "level": level,
            "expected": {"valid": True, "latent_sha256": [decoded["sha256"]], "image_sha256": None,
                         "header": {"format_version": "1.0", "colour_format": "none", "coder": "none",
                                    "precision": 0, "level": level}},
            "tables": [], "command": command})

    streams = {}
    for method, args in (("pfr", ["--bits-per-block", "24", "--seed", "11"]),
                         ("orc", ["--bits-per-block", "8", "--seed", "12"]),
                         ("sp-pfr", ["--bits-per-block", "6", "--seed", "13"]),
                         ("sp-orc", ["--bits-per-block", "6", "--log2-candidates", "6", "--seed", "14"])):
        stream, command = encode(method, args)
        streams[method] = stream
        valid(f"rec-{method}", f"a 5-dimension Gaussian target coded by {method} (spec §14.10)", [method], stream, command)
    stream, command = encode("sp-pfr", ["--bits-per-block", "4", "--max-block-dims", "2", "--seed", str(2 ** 64 - 1),
                                        "--prior-mean", os.path.join(tmp, "pm.npy"), "--prior-std", os.path.join(tmp, "ps.npy"),
                                        "--mi", os.path.join(tmp, "mi.npy")])
    valid("rec-per-dimension-prior", "per-dimension prior, dataset-level information estimates, blocks capped at 2 dimensions, "
          "the largest seed", ["sp-pfr", "prior_mode=1", "max_block_dims", "seed=2^64-1"], stream,
          command.replace(os.path.join(tmp, ""), "").replace("pm.npy", "PM.npy").replace("ps.npy", "PS.npy").replace("mi.npy", "I.npy"))

    def recc(stream):
        chunks = parse(stream)
        i = find(chunks, b"RECC")
        dims = struct.unpack_from("<HII", chunks[0][1], 54)
        rec = rec_reference.parse_recc(bytes(chunks[i][1]), 0, dims[0] * dims[1] * dims[2], 2 ** 20)
        return chunks, i, rec

    def rebuilt(stream, **change):
        chunks, i, rec = recc(stream)
        rec.update(change)
        chunks[i][1] = recc_payload(0, rec["method"], rec["seed"], rec["bits_per_block"], rec["index_bits"],
                                    rec["max_block_dims"], rec["zeta_ratio"], rec["block_count"], rec["prior"],
                                    rec["info"], rec["words"])
        return chunks

    def rec_invalid(name, purpose, chunks, code, clause):
        invalid(name, purpose, build(chunks), code, clause, table=None)

    def byte_edit(stream, at, value):
        chunks, i, _ = recc(stream)
        chunks[i][1][at] = value
        return chunks

    pfr = streams["pfr"]
    _, _, rec = recc(pfr)
    blocks, bits = rec_reference.layout(rec["info"], rec["bits_per_block"], rec["max_block_dims"], False)
    m = 4
    words = rec_reference.encode_indices([([], 2 ** m + 2)] * len(blocks), [bits[a:e] for a, e in blocks], True, m, rec["zeta_ratio"])
    rec_invalid("rec-index-out-of-range", "an in-bin index of 2^m + 2 with index_bits m = 4 (its octave is m, its raw bits non-zero)",
                rebuilt(pfr, index_bits=m, words=words), "badIndex", "§14.7")
    rec_invalid("rec-words-left-over", "a word before the index stream: the stream does not end after the last block",
                rebuilt(pfr, words=[0x12345] + rec["words"]), "badPayload", "§14.7")
    rec_invalid("rec-bad-method", "method 4", byte_edit(pfr, 1, 4), "badField", "§14.8")
    rec_invalid("rec-bad-prng", "prng 2", byte_edit(pfr, 2, 2), "badField", "§14.8")
    rec_invalid("rec-bad-zeta-ratio", "zeta_ratio 0 for pfr", rebuilt(pfr, zeta_ratio=0), "badField", "§14.8")
    rec_invalid("rec-bad-prior-std", "a prior standard deviation of 0", rebuilt(pfr, prior=[(0, 0)]), "badField", "§14.8")
    rec_invalid("rec-block-count-mismatch", "block_count one more than the estimates give",
                rebuilt(pfr, block_count=rec["block_count"] + 1), "badField", "§14.8")
    chunks, i, _ = recc(pfr)
    chunks[i][1] = chunks[i][1][:-1]
    rec_invalid("rec-short-payload", "a RECC payload one byte shorter than its word_count says", chunks, "badChunkLength", "§14.8")
    rec_invalid("rec-missing", "a continuous latent without its RECC chunk",
                [c for c in parse(pfr) if c[0] != b"RECC"], "missingChunk", "§14.8")
    chunks, i, _ = recc(pfr)
    chunks.insert(i, [b"RECC", bytearray(chunks[i][1])])
    rec_invalid("rec-twice", "two RECC chunks for one latent", chunks, "badChunkOrder", "§14.8")
    chunks, i, rec = recc(pfr)
    chunks[0][1][15] = 1
    d = 4097
    head = chunks[0][1]
    struct.pack_into("<HII", head, 54, 1, 1, d)
    chunks[i][1] = recc_payload(0, 1, 1, 1, 0, 1, 0, d, [(0, 65536)], [256] * d, [])
    rec_invalid("rec-blocks-above-level", "4097 one-dimension blocks at level 1 (max_rec_blocks 4096)", chunks, "limitExceeded", "§8, §14.8")
    orc = streams["orc"]
    chunks, i, rec = recc(orc)
    blocks, bits = rec_reference.layout(rec["info"], rec["bits_per_block"], rec["max_block_dims"], False)
    chunks = rebuilt(orc, index_bits=17, words=rec_reference.encode_indices([([], 70000)] * len(blocks), [bits[a:e] for a, e in blocks], False, 17, 0))
    chunks[0][1][15] = 1
    rec_invalid("rec-candidates-above-level", "ORC blocks of 2^17 candidates at level 1 (max_log2_candidates 16)",
                chunks, "limitExceeded", "§8, §14.8")


if __name__ == "__main__":
    main()
