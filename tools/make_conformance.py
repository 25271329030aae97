#!/usr/bin/env python3
"""Regenerate the conformance corpus in samples/conformance/ (spec chapter 13).

Valid streams are written by `lcae encode-latents` from latents this script makes with
numpy; their sheets state the header fields the script asked for and the SHA-256 of the
latent as numpy holds it (not as lcae decodes it), so `lcae check` compares the decoder
with an independent expectation. Invalid streams are valid ones edited here, with a
container writer of this script's own (CRC-32 from zlib), each with the error code a
reader must report.

Image streams (chapters 15 and 16) are written by `lcae encode` from crops of samples/images/
(Pillow), or built here around latents coded by `lcae encode-latents` for the test model
samples/conformance/models/test-layers.lcaem, which tools/lcae_synthesis.py writes; their
sheets give the latent and image hashes the independent decoder (tools/lcae_parse.py with
tools/lcae_synthesis.py) computes. Malformed model files go to invalid-models/.

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
from PIL import Image

import lcae_parse      # the independent decoder (spec/ alone): expected hashes of image streams
import lcae_synthesis  # chapters 15-16 written from the spec alone: the test model, its synthesis
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
    for sub in ("valid", "invalid", "tables", "models", "invalid-models"):
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
        # Its own generator, so that the cases above and below keep their values.
        widest = field(np.random.default_rng(256), 256, 2, 3)
        valid("max-channels", "256 channels, level 1's max_channels, tables fitted to the latent, in-band",
              ["C=256", "max_channels at level 1", "CTAB", "fitted in-band"], widest, None, [])

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
        image_cases(corpus, tmp, rng, invalid)
        model_cases()
    print(f"wrote {len(os.listdir(os.path.join(OUT, 'valid')))} valid and {len(os.listdir(os.path.join(OUT, 'invalid')))} invalid "
          f"cases, {len(os.listdir(os.path.join(OUT, 'invalid-models')))} invalid model files")


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


# ---- image streams (chapters 15 and 16) ----

IMAGES = os.path.join(ROOT, "samples", "images")
MODELS = {"rgb": os.path.join(ROOT, "Sources", "LCAE", "Resources", "default-rgb.lcaem"),
          "grey": os.path.join(ROOT, "Sources", "LCAE", "Resources", "default-grey.lcaem")}
TEST_MODEL = os.path.join("models", "test-layers.lcaem")
HOSTILE_TABLE_SHA = hashlib.sha256(b"a table set declaring 2^31 bytes").digest()


def head_offset(name):
    """File offset of a HEAD field (spec Table 7-1): signature, length and type, then the field."""
    return 9 + 8 + {"width": 4, "height": 8, "bit_depth": 12, "colour_format": 13, "flags": 18,
                    "model_sha256": 20, "latent0.channels": 54, "latent0.height": 56}[name]


def step_payload(shift, gains, index=0):
    """STEP (spec §16.2)."""
    return bytearray(struct.pack("<BBH", index, shift, len(gains)) + struct.pack(f"<{len(gains)}I", *gains))


def independent_decode(stream, models):
    """Decode with the independent implementation (tools/lcae_parse.py and
    tools/lcae_synthesis.py, written from the spec alone): (latent SHA-256, image SHA-256)."""
    res = lcae_parse.Parser(stream, scope="full", decode=True, models=models).parse()
    if res.error:
        raise RuntimeError(f"the independent decoder refuses a stream meant to be valid: {res.error.code} "
                           f"at {res.error.offset}: {res.error.message}")
    lat = res.latents[0]
    return sha256(np.array(lat.values, dtype=np.int32)), res.image_sha256


def test_model(corpus, tmp, rng):
    """A decode-only RGB 16-bit model exercising every layer kind (spec §15.3): transposed
    convolution with padding and output padding, convolution with stride and padding, ReLU,
    kernel = stride, an asymmetric kernel; weights and biases over the whole int16 / int32
    range, so that sums wrap modulo 2^32 and values saturate (spec §15.4.2). Its two table
    sets (one deflated, one stored) are fitted to latents of its 5 channels."""
    train = os.path.join(tmp, "train5.npy")
    np.save(train, np.stack([field(rng, 5, 6, 7) * 3 for _ in range(4)]))
    bodies = []
    for extra in ([], ["--measure", "value"]):
        path = os.path.join(tmp, f"t5-{len(bodies)}.tbl")
        corpus.run("fit", train, "-o", path, *extra)
        with open(path, "rb") as f:
            bodies.append((path, f.read()[12:-4]))

    def weights(shape):
        return rng.integers(-32768, 32768, size=shape)

    def bias(n):
        return rng.integers(-2 ** 31, 2 ** 31, size=n)

    S = lcae_synthesis
    layers = [
        S.layer_bytes(S.CONV_T, weights((5, 8, 3, 3)), bias(8), stride=(2, 2), pad=(1, 1), output_pad=(1, 1), shift=13),
        S.layer_bytes(S.RELU),
        S.layer_bytes(S.CONV, weights((8, 8, 3, 3)), bias(8), stride=(2, 2), pad=(1, 1), shift=14),
        S.layer_bytes(S.RELU),
        S.layer_bytes(S.CONV_T, weights((8, 6, 2, 2)), bias(6), stride=(2, 2), shift=12),
        S.layer_bytes(S.CONV, weights((3, 6, 3, 2)), bias(3), stride=(1, 1), pad=(1, 0), shift=15),
    ]
    # A third set is hostile: a deflated body declaring 2^31 bytes, beyond what any level-1
    # stream admits (spec §15.2); it is checked only when a stream names it.
    hostile = zlib.compress(bytes(64))
    sets = [S.table_set_bytes(bodies[0][1], 65536, 0, 1), S.table_set_bytes(bodies[1][1], 3 * 65536, 1, 0),
            struct.pack("<IBB", 65536, 0, 1) + HOSTILE_TABLE_SHA + struct.pack("<II", 2 ** 31, len(hostile)) + hostile]
    data = S.model_bytes(3, 16, 5, 4, 2, layers, (), sets)
    os.makedirs(os.path.join(OUT, "models"), exist_ok=True)
    with open(os.path.join(OUT, TEST_MODEL), "wb") as f:
        f.write(data)
    return S.parse_model(data), [p for p, _ in bodies], layers, sets


def image_cases(corpus, tmp, rng, invalid):
    models = {k: lcae_synthesis.read_model(p) for k, p in MODELS.items()}
    sources = {"rgb": Image.open(os.path.join(IMAGES, "chelsea.png")).convert("RGB"),
               "grey": Image.open(os.path.join(IMAGES, "camera.png")).convert("L")}

    def encode(colour, box, args):
        src = os.path.join(tmp, "crop.png")
        sources[colour].crop(box).save(src)
        out = os.path.join(tmp, "image.lcae")
        corpus.run("encode", src, "-o", out, *args)
        with open(out, "rb") as f:
            stream = f.read()
        name = "chelsea.png" if colour == "rgb" else "camera.png"
        command = (f"lcae encode CROP.png {' '.join(args)} -o stream.lcae  (CROP: {name}"
                   + (" as grey" if colour == "grey" else "") + f" cropped to {box}, Pillow)")
        return stream, command

    def sheet_for(stream, purpose, features, command, models_given, extra_models=()):
        latent_hash, image_hash = independent_decode(stream, models_given)
        head = parse(stream)[0][1]
        width, height = struct.unpack_from("<II", head, 4)
        level = head[15]
        return {
            "purpose": purpose, "features": ["image", *features], "profile": 1, "level": level,
            "expected": {"valid": True, "latent_sha256": [latent_hash], "image_sha256": image_hash,
                         "header": {"format_version": "1.0", "width": width, "height": height, "bit_depth": head[12],
                                    "colour_format": {1: "grey", 3: "rgb"}[head[13]], "level": level,
                                    "model_sha256": bytes(head[20:52]).hex()}},
            "tables": [], "models": ["../../" + m for m in extra_models], "command": command,
        }

    def valid(name, purpose, features, stream, command):
        colour = "grey" if parse(stream)[0][1][13] == 1 else "rgb"
        corpus.case("valid", name, stream, sheet_for(stream, purpose, features, command, [models[colour]]))

    streams = {}
    grey_channels = models["grey"].latent_channels
    at_max = grey_channels == 256  # level 1's max_channels
    for name, colour, box, args, purpose, features in (
            ("image-grey-64x48", "grey", (200, 100, 264, 148), ["--quality", "75"],
             f"a grey image with the default grey model ({grey_channels} latent channels"
             + (": level 1's max_channels)" if at_max else ")"),
             ["grey", "default model", "CREF to a model table set", "STEP", "iHSH"]
             + (["max_channels=256 at level 1"] if at_max else [])),
            ("image-rgb-40x24", "rgb", (100, 50, 140, 74), ["--quality", "75"], "an RGB image with the default RGB model",
             ["rgb", "default model", "CREF to a model table set", "STEP", "iHSH"]),
            ("image-grey-1x1", "grey", (300, 300, 301, 301), [], "a 1 x 1 grey image: one latent position, 255 of 256 samples discarded",
             ["grey", "1x1", "odd size"]),
            ("image-rgb-1x1", "rgb", (200, 100, 201, 101), [], "a 1 x 1 RGB image", ["rgb", "1x1", "odd size"]),
            ("image-rgb-17x9", "rgb", (10, 10, 27, 19), [], "a 17 x 9 RGB image: 2 x 1 latent positions, partly discarded",
             ["rgb", "odd size"]),
            ("image-grey-33x18", "grey", (50, 60, 83, 78), [], "a 33 x 18 grey image, no side a multiple of 16",
             ["grey", "odd size"]),
            ("image-grey-quality-1", "grey", (0, 0, 48, 32), ["--quality", "1"], "the coarsest quality step",
             ["grey", "quality=1"]),
            ("image-grey-quality-100", "grey", (0, 0, 48, 32), ["--quality", "100"], "the finest quality step",
             ["grey", "quality=100"]),
            ("image-rgb-rdoq", "rgb", (150, 80, 182, 112), ["--quality", "60", "--rdoq"], "rate-distortion optimised quantization",
             ["rgb", "RDOQ"]),
            ("image-grey-factorized", "grey", (100, 200, 164, 232), ["--entropy", "factorized"],
             "factorized tables: every context of a channel has the same CDF (a kind-1 table set)", ["grey", "factorized tables"]),
            ("image-grey-lanes1", "grey", (10, 300, 58, 332), ["--lanes", "1"], "one lane", ["grey", "lanes=1"]),
            ("image-grey-lanes8-substreams3", "grey", (10, 300, 74, 348), ["--lanes", "8", "--substreams", "3"],
             "eight lanes in three substreams", ["grey", "lanes=8", "substreams=3"]),
            ("image-rgb-lanes2-substreams2", "rgb", (300, 150, 348, 182), ["--lanes", "2", "--substreams", "2"],
             "two lanes in two substreams", ["rgb", "lanes=2", "substreams=2"]),
            ("image-grey-4096x1", "grey", (0, 256, 512, 257), [], "placeholder", []),
    ):
        if name == "image-grey-4096x1":
            # The widest image level 1 admits (max_width 4096): the camera row repeated 8 times.
            row = sources["grey"].crop(box)
            wide = Image.new("L", (4096, 1))
            for i in range(8):
                wide.paste(row, (512 * i, 0))
            src = os.path.join(tmp, "wide.png")
            wide.save(src)
            out = os.path.join(tmp, "image.lcae")
            corpus.run("encode", src, "-o", out)
            with open(out, "rb") as f:
                stream = f.read()
            valid(name, f"the widest image of level 1 (max_width = 4096): a latent of {grey_channels} x 1 x 256", ["grey", "max_width at level 1"],
                  stream, "lcae encode WIDE.png -o stream.lcae  (WIDE: row 256 of camera.png, columns 0-511, repeated 8 times)")
            continue
        stream, command = encode(colour, box, args)
        streams[name] = stream
        valid(name, purpose, features, stream, command)

    # In-band tables (CTAB) in place of the CREF: `lcae encode` always references the model's table set.
    def in_band(stream, colour, compression):
        chunks = parse(stream)
        i = find(chunks, b"CREF")
        sha = bytes(chunks[i][1][1:33]).hex()
        body = next(ts.body() for ts in models[colour].table_sets if ts.sha256 == sha)
        data = zlib.compress(body, 9) if compression else body
        chunks[i] = [b"CTAB", bytearray(struct.pack("<BBI", 0, compression, len(body)) + data)]
        return build(chunks)
    valid("image-grey-in-band-deflated", "the model's table set carried in-band, deflated (CTAB compression 1)",
          ["grey", "CTAB", "deflate"], in_band(streams["image-grey-64x48"], "grey", 1),
          "image-grey-64x48 with its CREF replaced by a CTAB holding the deflated table body (tools/make_conformance.py)")
    valid("image-rgb-in-band-stored", "the model's table set carried in-band as is (CTAB compression 0)",
          ["rgb", "CTAB", "stored"], in_band(streams["image-rgb-40x24"], "rgb", 0),
          "image-rgb-40x24 with its CREF replaced by a CTAB holding the table body (tools/make_conformance.py)")
    base = streams["image-grey-64x48"]
    chunks = parse(base)
    filled = chunks[:-1] + [[b"tEXT", bytearray(b"filler\x00%d" % i)] for i in range(256 - len(chunks))] + chunks[-1:]
    valid("image-grey-max-chunks", "256 chunks, level 1's max_chunks, tEXT fillers among them", ["grey", "max_chunks at level 1", "tEXT"],
          build(filled), "image-grey-64x48 with tEXT chunks added up to 256 chunks (tools/make_conformance.py)")
    valid("image-grey-no-hashes", "lHSH and iHSH removed: ancillary, the image decodes the same", ["grey", "no hash chunks"],
          build([c for c in chunks if c[0] not in (b"lHSH", b"iHSH")]), "image-grey-64x48 without its lHSH and iHSH (tools/make_conformance.py)")

    # ---- the test model: streams built here around latents coded by `lcae encode-latents` ----
    tm, table_paths, _, _ = test_model(corpus, tmp, rng)

    def test_stream(latent, table, width, height, step, lanes="2", extra=()):
        src = os.path.join(tmp, "y5.npy")
        np.save(src, latent)
        out = os.path.join(tmp, "y5.lcae")
        corpus.run("encode-latents", src, "--tables", table, "--placement", "referenced", "--lanes", lanes, *extra, "-o", out)
        with open(out, "rb") as f:
            chunks = parse(f.read())
        head = chunks[0][1]
        struct.pack_into("<IIBB", head, 4, width, height, 16, 3)
        head[18] |= 1
        head[20:52] = bytes.fromhex(tm.sha256)
        ihsh_at = len(chunks) - 1
        if step is not None:
            chunks.insert(1, [b"STEP", step_payload(*step)])
            ihsh_at += 1
        shift, gains = step if step is not None else lcae_synthesis.default_step(tm)
        samples = lcae_synthesis.synthesize(tm, latent, shift, gains, height, width)
        chunks.insert(ihsh_at, [b"iHSH", bytearray(bytes.fromhex(lcae_synthesis.image_sha256(samples)))])
        return build(chunks), samples

    def test_valid(name, purpose, features, latent, table, width, height, step, **kw):
        stream, samples = test_stream(latent, table, width, height, step, **kw)
        sheet = sheet_for(stream, purpose, ["test model", "16-bit", *features],
                          "python3 tools/make_conformance.py: lcae encode-latents Y.npy --tables T.tbl --placement referenced, "
                          "then HEAD bound to models/test-layers.lcaem, STEP and iHSH from tools/lcae_synthesis.py",
                          [tm], [TEST_MODEL])
        # The expectation is the synthesis of the latent as NumPy holds it; the independent
        # decoder of the stream must agree with it.
        assert sheet["expected"]["latent_sha256"] == [sha256(latent)]
        assert sheet["expected"]["image_sha256"] == lcae_synthesis.image_sha256(samples)
        corpus.case("valid", name, stream, sheet)
        return stream

    y = (field(rng, 5, 4, 5) * 40).astype(np.int32)
    spread = np.unique(lcae_synthesis.synthesize(tm, y, 6, [900, 1500, 2500, 4000, 7000], 8, 9))
    assert len(spread) > 16, "the test model's output should not be flat"
    tm_stream = test_valid("test-model-step-per-channel", "every layer kind, sums wrapping modulo 2^32 and saturating, a 16-bit RGB "
                           "image of 9 x 8 from a 5 x 4 x 5 latent, a STEP with one gain per channel",
                           ["convolution stride+padding", "transposed convolution padding+output padding", "kernel=stride", "ReLU",
                            "wrap-around", "saturation", "STEP per channel", "odd size"],
                           y, table_paths[0], 9, 8, (6, [900, 1500, 2500, 4000, 7000]))
    test_valid("test-model-no-step", "no STEP chunk: shift 0 and every gain 2^F_in (spec §16.2)", ["no STEP"],
               y, table_paths[0], 9, 8, None)
    test_valid("test-model-single-gain-shift-31", "one gain for every channel and the largest shift, 31", ["STEP one gain", "shift=31"],
               y, table_paths[0], 9, 8, (31, [2 ** 32 - 1]))
    test_valid("test-model-stored-table-set", "a CREF resolved to the model's stored (uncompressed) table set, kind 1",
               ["CREF to a stored table set", "1 x 1 latent"], (field(rng, 5, 1, 1) * 9).astype(np.int32), table_paths[1], 1, 2,
               (0, [3, 5, 7, 11, 13]), lanes="1")
    test_valid("test-model-lanes4-substreams2", "the test model with four lanes in two substreams, an image 11 x 10 of a 12 x 11 synthesis",
               ["lanes=4", "substreams=2"], (field(rng, 5, 6, 6) * 25).astype(np.int32), table_paths[0], 11, 10, (4, [300]), lanes="4",
               extra=("--substreams", "2"))

    # ---- invalid image streams ----
    def image_invalid(name, purpose, data, code, clause, extra_models=()):
        corpus.case("invalid", name, data, {
            "purpose": purpose, "features": ["invalid", "image"], "profile": 1, "level": data[9 + 8 + 15] if len(data) > 32 else 1,
            "expected": {"valid": False, "error": code}, "tables": [], "models": ["../../" + m for m in extra_models],
            "command": "python3 tools/make_conformance.py (edit of a valid image stream; see its source)", "clause": clause,
        })

    def patched(stream, at, fmt, value):
        b = bytearray(stream)
        struct.pack_into(fmt, b, at, value)
        return rebuild_crcs(bytes(b))

    image_invalid("image-model-unknown", "HEAD binds a model nobody has (one bit of model_sha256 flipped)",
                  patched(base, head_offset("model_sha256"), "<B", base[head_offset("model_sha256")] ^ 1), "modelMismatch", "§16.1")
    image_invalid("image-model-colour-mismatch", "HEAD says RGB, the bound default grey model makes grey images",
                  patched(base, head_offset("colour_format"), "<B", 3), "modelMismatch", "§16.1")
    image_invalid("image-model-depth-mismatch", "HEAD says 16-bit, the bound model makes 8-bit images",
                  patched(base, head_offset("bit_depth"), "<B", 16), "modelMismatch", "§16.1")
    image_invalid("image-latent-channels-mismatch", "latent 0 has 255 channels, the model synthesises from 256",
                  patched(base, head_offset("latent0.channels"), "<H", 255), "modelMismatch", "§16.1")
    image_invalid("image-latent-too-small", "an image 49 rows high from a latent of 3 rows (48 rows of synthesis)",
                  patched(base, head_offset("height"), "<I", 49), "badField", "§16.1, §15.4.3")
    image_invalid("image-test-model-not-given", "a stream bound to the test model, decoded without it", tm_stream, "modelMismatch", "§16.1")
    chunks = parse(tm_stream)
    chunks[find(chunks, b"CREF")][1][1:33] = HOSTILE_TABLE_SHA
    image_invalid("image-table-set-above-level", "a CREF naming a model table set whose body_size, 2^31, is above level 1's bound: "
                  "refused before inflating", build(chunks), "limitExceeded", "§15.2, §12.5.1", [TEST_MODEL])

    def with_step(payload, stream=base):
        chunks = parse(stream)
        chunks[find(chunks, b"STEP")][1] = bytearray(payload)
        return build(chunks)
    step = parse(base)[find(parse(base), b"STEP")][1]
    image_invalid("step-latent-index", "STEP latent_index 1", with_step(b"\x01" + step[1:]), "badField", "§16.2")
    image_invalid("step-shift-32", "STEP shift 32", with_step(step[:1] + b"\x20" + step[2:]), "badField", "§16.2")
    image_invalid("step-gain-count", "STEP gain_count 2: neither 1 nor the 256 channels",
                  with_step(step[:2] + struct.pack("<H", 2) + step[4:] + step[4:]), "badField", "§16.2")
    image_invalid("step-zero-gain", "a STEP gain of 0", with_step(step[:4] + bytes(4)), "badField", "§16.2")
    image_invalid("step-short", "a STEP payload of 3 bytes", with_step(step[:3]), "badChunkLength", "§16.2")
    image_invalid("step-length-mismatch", "one gain declared, two carried", with_step(step + step[4:8]), "badChunkLength", "§16.2")
    chunks = parse(base)
    chunks.insert(find(chunks, b"STEP"), [b"STEP", bytearray(step)])
    image_invalid("step-twice", "two STEP chunks", build(chunks), "badChunkOrder", "§6.1, §16.2")
    chunks = parse(base)
    i = find(chunks, b"iHSH")
    chunks[i][1][0] ^= 0x80
    image_invalid("image-hash-mismatch", "an iHSH that does not match the decoded image", build(chunks), "hashMismatch", "§16.3")
    chunks = parse(base)
    for name in (b"STEP", b"iHSH"):
        i = find(chunks, name)
        data = bytearray(build(chunks))
        crc_at = 9 + sum(12 + len(p) for _, p in chunks[:i]) + 8 + len(chunks[i][1])
        data[crc_at] ^= 0x01
        image_invalid(f"crc-{name.decode()}", f"one bit of the {name.decode()} chunk's CRC flipped "
                      f"({'critical' if name == b'STEP' else 'ancillary: every CRC is checked, spec §5.3'})",
                      bytes(data), "crcMismatch", "§5.3")
    at = 9
    for i, (ctype, payload) in enumerate(chunks):
        image_invalid(f"image-truncated-before-{i}-{ctype.decode()}",
                      f"an image stream that ends where chunk {i} ({ctype.decode()}) would start", base[:at], "truncated", "§5.1")
        at += 12 + len(payload)


def rebuild_crcs(stream):
    return build(parse(stream))


def model_cases():
    """Malformed model files (spec §15.1-§15.3), each with the code a model reader must give."""
    S = lcae_synthesis
    convt = S.layer_bytes(S.CONV_T, np.arange(8).reshape(2, 1, 2, 2), [5], stride=(2, 2))
    conv = S.layer_bytes(S.CONV, np.arange(8).reshape(2, 1, 2, 2), [1, 2], stride=(2, 2))
    good = dict(colour_format=1, bit_depth=8, latent_channels=2, fin=0, fout=0, synthesis=[convt], analysis=[conv], table_sets=[])

    def model(**change):
        d = dict(good, **change)
        return S.model_bytes(d["colour_format"], d["bit_depth"], d["latent_channels"], d["fin"], d["fout"], d["synthesis"],
                             d["analysis"], d["table_sets"])

    def body_edit(at, value, fmt="<B"):
        """The valid model with one body field (offset inside the body) changed, CRC recomputed."""
        body = bytearray(model()[12:-4])
        struct.pack_into(fmt, body, at, value)
        return S.model_file(bytes(body))

    def layer_field(index, value, layer=convt):
        """The synthesis layer with one of its bytes changed (kind 0, in 1-2, out 3-4, kernel_h 5 ...)."""
        b = bytearray(layer)
        b[index] = value
        return model(synthesis=[bytes(b)])

    def case(name, purpose, data, code, clause):
        directory = os.path.join(OUT, "invalid-models", name)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "model.lcaem"), "wb") as f:
            f.write(data)
        with open(os.path.join(directory, "spec.json"), "w") as f:
            json.dump({"purpose": purpose, "features": ["invalid", "model file"], "profile": 1, "level": 1,
                       "expected": {"valid": False, "error": code}, "tables": [],
                       "command": "python3 tools/make_conformance.py (a model file built by tools/lcae_synthesis.py; see its source)",
                       "clause": clause}, f, indent=2, sort_keys=True)
            f.write("\n")

    valid = model()
    assert S.parse_model(valid).latent_channels == 2
    sig = bytearray(valid)
    sig[0] &= 0x7F
    case("signature-7bit", "bit 7 of the first byte cleared", bytes(sig), "badSignature", "§15.1")
    case("stream-signature", "an .lcae stream's signature in place of a model's", SIGNATURE[:8] + valid[8:], "badSignature", "§15.1")
    size = bytearray(valid)
    struct.pack_into("<I", size, 8, len(valid) - 15)
    case("body-size-mismatch", "body_size one more than the file holds", bytes(size), "badChunkLength", "§15.1")
    crc = bytearray(valid)
    crc[-1] ^= 0x40
    case("crc-mismatch", "one bit of the CRC flipped", bytes(crc), "crcMismatch", "§15.1")
    case("truncated-header", "a file of 10 bytes", valid[:10], "truncated", "§15.1")
    case("version-2", "model_version 2", body_edit(0, 2, "<H"), "unsupportedVersion", "§15.2")
    case("colour-format-0", "colour_format 0 (none)", body_edit(2, 0), "badField", "§15.2")
    case("bit-depth-12", "bit_depth 12", body_edit(3, 12), "badField", "§15.2")
    case("latent-channels-0", "latent_channels 0", body_edit(4, 0, "<H"), "badField", "§15.2")
    case("latent-channels-4097", "latent_channels 4097", body_edit(4, 4097, "<H"), "badField", "§15.2, §15.5")
    case("input-fraction-bits-16", "input_fraction_bits 16", body_edit(6, 16), "badField", "§15.2")
    case("output-fraction-bits-16", "output_fraction_bits 16", body_edit(7, 16), "badField", "§15.2")
    case("synthesis-layers-65", "synthesis_layer_count 65", model(synthesis=[S.layer_bytes(S.RELU)] * 64 + [convt]),
         "limitExceeded", "§15.2, §15.5")
    case("analysis-layers-65", "analysis_layer_count 65", model(analysis=[S.layer_bytes(S.RELU)] * 64 + [conv]),
         "limitExceeded", "§15.2, §15.5")
    case("layer-kind-4", "a layer of kind 4", model(synthesis=[bytes([4])]), "badField", "§15.3")
    case("in-channels-0", "a convolution with 0 input channels", layer_field(1, 0), "badField", "§15.3")
    case("kernel-0", "a kernel 0 rows high", layer_field(5, 0), "badField", "§15.3")
    case("kernel-65", "a kernel 65 columns wide", layer_field(6, 65), "badField", "§15.3, §15.5")
    case("stride-0", "a stride of 0", layer_field(7, 0), "badField", "§15.3")
    case("pad-not-below-kernel", "padding 2 with a kernel of 2", layer_field(9, 2), "badField", "§15.3")
    case("output-pad-not-below-stride", "a transposed convolution with output padding 2 and stride 2", layer_field(11, 2),
         "badField", "§15.3")
    case("convolution-output-pad", "a convolution with output padding 1",
         model(analysis=[conv[:12] + b"\x01" + conv[13:]]), "badField", "§15.3")
    case("shift-32", "a layer shift of 32", layer_field(13, 32), "badField", "§15.3")
    case("chain-mismatch", "the synthesis takes 3 channels, the latent has 2",
         model(synthesis=[S.layer_bytes(S.CONV_T, np.ones((3, 1, 2, 2)), [0], stride=(2, 2))]), "badField", "§15.3")
    case("chain-output-mismatch", "the synthesis makes 2 channels, the model is grey",
         model(synthesis=[S.layer_bytes(S.CONV_T, np.ones((2, 2, 2, 2)), [0, 0], stride=(2, 2))]), "badField", "§15.3")
    case("no-convolution", "a synthesis of one ReLU", model(synthesis=[S.layer_bytes(S.RELU)]), "badField", "§15.3")
    case("analysis-chain-mismatch", "the analysis makes 3 channels, the latent has 2",
         model(analysis=[S.layer_bytes(S.CONV, np.ones((3, 1, 2, 2)), [0, 0, 0], stride=(2, 2))]), "badField", "§15.3")
    big = struct.pack("<BHH9B", S.CONV_T, 2, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0)
    case("weights-truncated", "a layer of 2 x 64 x 64 x 64 weights in a file of a few bytes: refused before allocating",
         model(synthesis=[big]), "truncated", "§15.3, §15.5")
    without_count = model()[12:-6]          # the body less its table_set_count (0)
    case("table-sets-257", "table_set_count 257", S.model_file(without_count + struct.pack("<H", 257)), "limitExceeded",
         "§15.2, §15.5")
    body = b"not a table body"
    ts = bytearray(S.table_set_bytes(body, 65536, 0, 0))
    case("table-set-step-0", "a table set with step_q16 0", model(table_sets=[bytes(bytearray(4) + ts[4:])]), "badField", "§15.2")
    case("table-set-kind-2", "a table set of kind 2", model(table_sets=[bytes(ts[:4] + b"\x02" + ts[5:])]), "badField", "§15.2")
    case("table-set-compression-2", "a table set with compression 2", model(table_sets=[bytes(ts[:5] + b"\x02" + ts[6:])]),
         "badField", "§15.2")
    bad_size = bytearray(ts)
    struct.pack_into("<I", bad_size, 42, len(body) + 1)
    case("table-set-data-size", "a stored table set whose data_size is not its body_size", model(table_sets=[bytes(bad_size)]),
         "badField", "§15.2")
    case("table-set-data-truncated", "a table set whose data runs past the body",
         S.model_file(without_count + struct.pack("<H", 1) + bytes(ts[:-3])), "truncated", "§15.2")
    case("trailing-data", "a byte after the last table set", S.model_file(model()[12:-4] + b"\x00"), "trailingData", "§15.2")


if __name__ == "__main__":
    main()
