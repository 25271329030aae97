#!/usr/bin/env python3
"""Differential test: `lcae inspect --json` against tools/lcae_parse.py.

tools/lcae_parse.py is a second reader of the .lcae format, written from spec/lcae.md
alone. This script runs both readers on every .lcae file under the given paths and on
damaged variants made on the fly, and compares what they decided.

Usage (from the repository root):

    python3 tools/differential_parse.py                     # samples/, .build/debug/lcae
    python3 tools/differential_parse.py /tmp/streams --lcae .build/release/lcae
    python3 tools/differential_parse.py --bit-step 1        # every bit, not every 7th
    python3 tools/differential_parse.py --structural        # + chunk drops/duplicates/swaps
    python3 tools/differential_parse.py --scope full        # parser checks chapter 12 too
    python3 tools/differential_parse.py --mode decode --tables T.tbl   # vs decode-latents

Variants of each file (labels in the output):
  original         the file itself
  prefix:K         the first K bytes: K = 0...8 (inside the signature) and, for every
                   chunk, its start, inside and after its length and type fields, the
                   middle and the end of its payload, and inside its CRC
  bit:B.b          bit b (0 = least significant) of byte B flipped; every --bit-step-th
                   bit of the file (default 7; a file that would need more than
                   --max-flips, default 3000, gets a larger odd step, noted on stderr)
  dos2unix:sig     the signature's CR LF turned into LF (dos2unix:all: every CR LF)
  unix2dos:sig     the signature's lone LF (byte 8) turned into CR LF; unix2dos:naive:
                   every LF of the signature; unix2dos:all: every lone LF of the file
  7bit:sig         bit 7 of the first byte cleared (7bit:all: of every byte)
  with --structural (CRCs recomputed, so only the chunk layer is damaged):
  drop:I, dup:I, swap:I  chunk I removed, repeated, swapped with chunk I+1 (for the first
                   two chunks of each type);
  trailing         one byte after LEND

--mode decode compares, instead, `lcae decode-latents FILE [--tables T ...]` with the
parser in decoding mode (tools/lcae_parse.py --decode): the error code, its offset, and
on success the SHA-256 of the decoded int32 values (--mode both: both comparisons). For an
image stream (HEAD colour_format not 0 in the original file) it runs `lcae decode FILE
--model M... -o OUT.npy` instead and compares the SHA-256 of the decoded samples with the
parser's synthesis (tools/lcae_synthesis.py, spec chapters 15-16); the parser is given the
default models of Sources/LCAE/Resources/ and every --model.
`lcae inspect` reports on the container (chapters 3-9; §11.1: "valid: true when the
container has no error"), so in inspect mode the parser runs with --scope container by
default; --scope full adds chapter 12, and a stream whose only fault is in chapter 12 is
then a disagreement.

Compared in inspect mode: valid, format_version, the chunk list (type, offset, length,
critical, known, crc_ok), the header object, the error code and, when the codes agree, the
error offset (both readers follow the offset rules of spec §9; in decode mode too)
(reported as its own category; --ignore-offsets prints these as OFFSET lines and
does not count them); also that `lcae inspect` exits 0 for a valid stream
and 2 for an invalid one (spec §11.2). --compare-warnings adds the warnings' codes and
offsets. One line per disagreement, then `N passed, N failed`; exit status 1 on any
disagreement, 2 if the lcae tool is missing.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lcae_parse  # noqa: E402

HEADER_KEYS = ("format_version", "width", "height", "bit_depth", "colour_format", "profile",
               "level", "coder", "precision", "model_sha256", "latents")
CHUNK_KEYS = ("type", "offset", "length", "critical", "known", "crc_ok")
# The package's default models (spec §15.7): `lcae decode` always has them.
DEFAULT_MODELS = [os.path.join(ROOT, "Sources", "LCAE", "Resources", f"default-{c}.lcaem")
                  for c in ("rgb", "grey")]


def resolve(path):
    """A path as given, else relative to the repository root."""
    if os.path.exists(path) or os.path.isabs(path):
        return path
    alt = os.path.join(ROOT, path)
    return alt if os.path.exists(alt) else path


def find_files(paths):
    out = []
    for p in paths:
        p = resolve(p)
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                out += [os.path.join(d, n) for n in sorted(names) if n.endswith(".lcae")]
        elif os.path.isfile(p):
            out.append(p)
        else:
            print(f"warning: {p} does not exist", file=sys.stderr)
    return sorted(set(out))


def chunk_spans(data):
    """(offset, length) of the chunks as laid out, as far as the length fields go."""
    spans, pos = [], 9
    while pos + 8 <= len(data):
        n = struct.unpack_from("<I", data, pos)[0]
        spans.append((pos, n))
        if pos + 12 + n > len(data):
            break
        pos += 12 + n
    return spans


def rebuild(chunks):
    out = bytearray(lcae_parse.SIGNATURE)
    for t, p in chunks:
        out += struct.pack("<I", len(p)) + t + p + struct.pack("<I", zlib.crc32(t + p))
    return bytes(out)


def variants(data, bit_step, structural):
    yield "original", data
    cuts = set(range(0, min(9, len(data))))
    for pos, n in chunk_spans(data):
        for k in (pos, pos + 2, pos + 4, pos + 6, pos + 8, pos + 8 + n // 2, pos + 8 + n,
                  pos + 10 + n):
            cuts.add(k)
    for k in sorted(c for c in cuts if c < len(data)):
        yield f"prefix:{k}", data[:k]
    if bit_step > 0:
        for bit in range(0, 8 * len(data), bit_step):
            b = bytearray(data)
            b[bit // 8] ^= 1 << (bit % 8)
            yield f"bit:{bit // 8}.{bit % 8}", bytes(b)
    if len(data) >= 9:
        yield "dos2unix:sig", data[:5] + data[6:]
        yield "dos2unix:all", data.replace(b"\r\n", b"\n")
        yield "unix2dos:sig", data[:8] + b"\r" + data[8:]
        yield "unix2dos:naive", data[:5] + b"\r\r\n\x1a\r\n" + data[9:]
        out, prev = bytearray(), None
        for byte in data:
            if byte == 0x0A and prev != 0x0D:
                out.append(0x0D)
            out.append(byte)
            prev = byte
        yield "unix2dos:all", bytes(out)
        yield "7bit:sig", bytes([data[0] & 0x7F]) + data[1:]
        yield "7bit:all", bytes(b & 0x7F for b in data)
    if structural:
        spans = chunk_spans(data)
        if spans and spans[-1][0] + 12 + spans[-1][1] == len(data):
            chunks = [(data[p + 4:p + 8], data[p + 8:p + 8 + n]) for p, n in spans]
            seen = {}
            for i in range(len(chunks)):
                # A type met twice already adds nothing new (256 tEXT fillers would give 768
                # variants, each a full decode).
                seen[chunks[i][0]] = seen.get(chunks[i][0], 0) + 1
                if seen[chunks[i][0]] > 2:
                    continue
                yield f"drop:{i}", rebuild(chunks[:i] + chunks[i + 1:])
                yield f"dup:{i}", rebuild(chunks[:i + 1] + chunks[i:])
                if i + 1 < len(chunks):
                    yield f"swap:{i}", rebuild(chunks[:i] + [chunks[i + 1], chunks[i]]
                                               + chunks[i + 2:])
            yield "trailing", data + b"\x00"


def run(cmd, timeout):
    """subprocess.run, retried while the binary is being rebuilt (ETXTBSY)."""
    for attempt in range(60):
        try:
            return subprocess.run(cmd, capture_output=True, timeout=timeout)
        except OSError as e:
            if e.errno != 26 or attempt == 59:
                raise
            time.sleep(1)


def run_lcae(lcae, path):
    p = run([lcae, "inspect", path, "--json"], 120)
    try:
        obj = json.loads(p.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        obj = None
    return p.returncode, obj, p.stderr.decode("utf-8", "replace")[-300:]


def is_image_stream(data):
    """HEAD's colour_format (payload byte 13) is not 0: decode with `lcae decode` (§16)."""
    return len(data) > 9 + 8 + 13 and data[13:17] == b"HEAD" and data[9 + 8 + 13] != 0


def run_decoder(lcae, path, tables, models=None):
    """`lcae decode-latents`, or `lcae decode` for an image stream when `models` is a list:
    (exit status, error code, offset, SHA-256 of the values or samples, text)."""
    out = path + ".npy"
    if models is None:
        cmd = [lcae, "decode-latents", path, "-o", out]
    else:
        cmd = [lcae, "decode", path, "-o", out]
        for m in models:
            cmd += ["--model", m]
    for t in tables:
        cmd += ["--tables", t]
    p = run(cmd, 300)
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    m = re.search(r"error: (\w+) at byte (\d+)", text)
    code, offset = (m.group(1), int(m.group(2))) if m else (None, None)
    digest = None
    if p.returncode == 0 and os.path.exists(out):
        with open(out, "rb") as f:
            npy = f.read()
        hlen = struct.unpack_from("<H", npy, 8)[0]
        header = npy[10:10 + hlen].decode("latin-1")
        if ("'<i4'" in header or (models is not None and ("'|u1'" in header or "'<u2'" in header))) \
                and "'fortran_order': False" in header:
            digest = hashlib.sha256(npy[10 + hlen:]).hexdigest()
        else:
            digest = "unexpected .npy header " + header.strip()
    if os.path.exists(out):
        os.unlink(out)
    return p.returncode, code, offset, digest, text.strip()


def compare_decode(ref, res):
    """Decoder scope: `lcae decode-latents` against the parser with --decode."""
    rc, code, offset, digest, text = ref
    diffs = []
    mine_err = res.error
    ints = res.latents[:1]      # §13.4: the first latent, integer or continuous (Q16 values)
    if rc < 0:
        return [("decode-exit", f"killed by signal {-rc}", "-")]
    # A valid stream without a latent: exit 0 and nothing written (§13.4; older builds
    # exited 64).
    if rc in (0, 64) and ("no integer latent" in text or "holds no latent" in text):
        if mine_err is not None:
            diffs.append(("decode.error", "valid (no latent)",
                          f"{mine_err.code}@{mine_err.offset}"))
        elif ints:
            diffs.append(("decode.latents", "no latent", f"{len(ints)} latents"))
        return diffs
    if rc not in (0, 2) or (rc == 2 and code is None):
        return [("decode-exit", f"exit {rc}: {text.splitlines()[0][:120] if text else ''}", "-")]
    if (code is None) != (mine_err is None):
        diffs.append(("decode.error", code and f"{code}@{offset}",
                      mine_err and f"{mine_err.code}@{mine_err.offset}"))
    elif code is not None:
        if code != mine_err.code:
            diffs.append(("decode.error.code", f"{code}@{offset}",
                          f"{mine_err.code}@{mine_err.offset}"))
        elif offset != mine_err.offset:
            diffs.append(("error.offset", f"{code}@{offset}",
                          f"{mine_err.code}@{mine_err.offset}"))
    elif res.image_sha256 is not None:
        if digest != res.image_sha256:
            diffs.append(("decode.image", digest, res.image_sha256))
    else:
        lat = ints[0] if ints else None
        mine = None
        if lat is not None and lat.values is not None:
            mine = hashlib.sha256(struct.pack(f"<{len(lat.values)}i", *lat.values)).hexdigest()
        if digest != mine:
            diffs.append(("decode.values", digest, mine))
    return diffs


def short(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 160 else s[:157] + "..."


def compare(ref, rc, mine, compare_warnings):
    """A list of (category, lcae value, parser value)."""
    diffs = []
    if ref is None:
        return [("lcae-output", f"exit {rc}, no JSON", "-")]
    if rc < 0:
        diffs.append(("lcae-exit", f"killed by signal {-rc}", "-"))
    elif rc != (0 if ref.get("valid") else 2):
        diffs.append(("lcae-exit", f"exit {rc} with valid={ref.get('valid')}", "0 or 2"))
    for key in ("valid", "format_version"):
        if ref.get(key) != mine.get(key):
            diffs.append((key, ref.get(key), mine.get(key)))
    rc_, mc = ref.get("chunks") or [], mine.get("chunks") or []
    for i in range(max(len(rc_), len(mc))):
        a = tuple(rc_[i].get(k) for k in CHUNK_KEYS) if i < len(rc_) else None
        b = tuple(mc[i].get(k) for k in CHUNK_KEYS) if i < len(mc) else None
        if a != b:
            diffs.append((f"chunks[{i}]", a, b))
            break
    rh, mh = ref.get("header"), mine.get("header")
    if (rh is None) != (mh is None):
        diffs.append(("header", rh, mh))
    elif rh is not None:
        for k in HEADER_KEYS:
            if rh.get(k) != mh.get(k):
                diffs.append((f"header.{k}", rh.get(k), mh.get(k)))
    re_, me = ref.get("error"), mine.get("error")
    if (re_ is None) != (me is None):
        diffs.append(("error", re_ and f"{re_['code']}@{re_['offset']}",
                      me and f"{me['code']}@{me['offset']}"))
    elif re_ is not None:
        if re_["code"] != me["code"]:
            diffs.append(("error.code", f"{re_['code']}@{re_['offset']}",
                          f"{me['code']}@{me['offset']}"))
        elif re_["offset"] != me["offset"]:
            diffs.append(("error.offset", f"{re_['code']}@{re_['offset']}",
                          f"{me['code']}@{me['offset']}"))
    if compare_warnings:
        rw = [(w["code"], w["offset"]) for w in ref.get("warnings") or []]
        mw = [(w["code"], w["offset"]) for w in mine.get("warnings") or []]
        if rw != mw:
            diffs.append(("warnings", rw, mw))
    return diffs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", default=["samples"],
                    help=".lcae files or directories (default: samples/)")
    ap.add_argument("--lcae", default=".build/debug/lcae", help="the lcae tool")
    ap.add_argument("--bit-step", type=int, default=7,
                    help="flip every N-th bit (default 7; 0: no bit flips)")
    ap.add_argument("--max-flips", type=int, default=3000,
                    help="at most about this many bit flips per file: a larger file gets a "
                         "larger (odd) step (default 3000; 0: no cap)")
    ap.add_argument("--no-damage", action="store_true", help="only the files themselves")
    ap.add_argument("--structural", action="store_true",
                    help="also drop, duplicate and swap chunks (CRCs recomputed)")
    ap.add_argument("--scope", choices=("full", "container"), default="container",
                    help="the parser's scope in inspect mode (see tools/lcae_parse.py): "
                         "container (default; what `lcae inspect` checks, spec §1, §11.1) "
                         "or full (chapter 12 too); decode mode always uses full")
    ap.add_argument("--tables", action="append", default=[],
                    help="table files the parser may resolve CREF with")
    ap.add_argument("--model", action="append", default=[],
                    help="model files image streams may be bound to, besides the default "
                         "models (decode mode)")
    ap.add_argument("--mode", choices=("inspect", "decode", "both"), default="inspect",
                    help="inspect: `lcae inspect --json` (default); decode: `lcae "
                         "decode-latents` against the parser with --decode (error code and "
                         "offset, decoded values); both")
    ap.add_argument("--compare-warnings", action="store_true")
    ap.add_argument("--ignore-offsets", action="store_true",
                    help="print error-offset differences but do not count them as failures")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    ap.add_argument("--keep-failures", metavar="DIR",
                    help="copy every variant with a disagreement to DIR")
    args = ap.parse_args(argv)

    lcae = resolve(args.lcae)
    if not (os.path.isfile(lcae) and os.access(lcae, os.X_OK)):
        print(f"lcae tool not found at {args.lcae}: run `swift build` in {ROOT} "
              f"(or pass --lcae PATH)", file=sys.stderr)
        return 2
    files = find_files(args.paths)
    if not files:
        print("no .lcae files found", file=sys.stderr)
        return 2
    table_paths = [resolve(t) for t in args.tables]
    tables = [lcae_parse.read_table_file(t) for t in table_paths]
    model_paths = [resolve(m) for m in args.model]
    models = []             # parsed when the first image stream comes (NumPy needed then)
    if args.keep_failures:
        os.makedirs(args.keep_failures, exist_ok=True)

    passed = failed = 0
    by_category = {}
    with tempfile.TemporaryDirectory(prefix="lcae-diff-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for fi, path in enumerate(files):
            with open(path, "rb") as f:
                data = f.read()
            step = 0 if args.no_damage else args.bit_step
            if step and args.max_flips and 8 * len(data) > step * args.max_flips:
                step = -(-8 * len(data) // args.max_flips) | 1      # odd: every bit position
                print(f"note: {path}: {len(data)} bytes, flipping every {step}th bit "
                      f"(--max-flips {args.max_flips})", file=sys.stderr)
            image = args.mode != "inspect" and is_image_stream(data)
            if image and not models:
                models = lcae_parse.read_models(model_paths + DEFAULT_MODELS)
            gen = variants(data, step, args.structural and not args.no_damage)
            if args.no_damage:
                gen = iter([next(gen)])
            for batch in batched(enumerate(gen), 4 * args.jobs):
                items = []
                for vi, (label, blob) in batch:
                    vpath = os.path.join(tmp, f"f{fi}-v{vi}.lcae")
                    with open(vpath, "wb") as f:
                        f.write(blob)
                    fut_i = pool.submit(run_lcae, lcae, vpath) if args.mode != "decode" else None
                    fut_d = (pool.submit(run_decoder, lcae, vpath, table_paths,
                                         model_paths if image else None)
                             if args.mode != "inspect" else None)
                    items.append((label, blob, vpath, (fut_i, fut_d)))
                p, f_ = check_batch(items, path, args, tables, by_category, models)
                passed += p
                failed += f_
    if by_category:
        print("disagreements by category: " +
              ", ".join(f"{k} {v}" for k, v in sorted(by_category.items())))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def batched(it, n):
    batch = []
    for x in it:
        batch.append(x)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def check_batch(items, path, args, tables, by_category, models):
    passed = failed = 0
    for label, blob, vpath, fut in items:
        fut_i, fut_d = fut
        diffs = []
        if fut_i is not None:
            rc, ref, err = fut_i.result()
            mine = lcae_parse.Parser(blob, vpath, scope=args.scope,
                                     table_sets=tables).parse().to_json()
            diffs += compare(ref, rc, mine, args.compare_warnings)
        if fut_d is not None:
            res = lcae_parse.Parser(blob, vpath, scope="full", table_sets=tables,
                                    decode=True, models=models).parse()
            diffs += [(("decode." + c) if c == "error.offset" else c, a, b)
                      for c, a, b in compare_decode(fut_d.result(), res)]
        os.unlink(vpath)
        if args.ignore_offsets:
            for cat, a, b in diffs:
                if cat.endswith("error.offset"):
                    print(f"OFFSET {path} [{label}] {cat}: lcae={short(a)} parser={short(b)}")
            diffs = [d for d in diffs if not d[0].endswith("error.offset")]
        if diffs:
            failed += 1
            for cat, a, b in diffs:
                base = cat.split("[")[0] if cat.endswith("error.offset") else \
                    ".".join(cat.split("[")[0].split(".")[:2 if cat.startswith("decode.") else 1])
                by_category[base] = by_category.get(base, 0) + 1
                print(f"DIFF {path} [{label}] {cat}: lcae={short(a)} parser={short(b)}",
                      flush=True)
            if args.keep_failures:
                name = os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path) \
                    + "." + label.replace(":", "-") + ".lcae"
                with open(os.path.join(args.keep_failures, name), "wb") as f:
                    f.write(blob)
        else:
            passed += 1
    return passed, failed


if __name__ == "__main__":
    sys.exit(main())
