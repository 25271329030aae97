#!/usr/bin/env python3
"""Write the container-level sample streams in samples/container/ from spec/lcae.md alone.

This writer shares no code with the Swift library: it follows the syntax tables of
spec/lcae.md chapters 3 to 7, so the Swift reader's tests on these files check the
library against an independent reading of the spec.

Usage (from the repository root):

    python3 tools/make_container_samples.py [--out samples/container]

Output is deterministic; rerunning it rewrites identical files.
"""

import argparse
import os
import struct
import zlib

SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A])  # spec §3


def chunk(ctype: bytes, payload: bytes) -> bytes:
    """length u32 LE | type | payload | CRC-32(type + payload) u32 LE (spec §5.1, §5.3)."""
    assert len(ctype) == 4 and ctype.isalpha()
    return struct.pack("<I", len(payload)) + ctype + payload + struct.pack("<I", zlib.crc32(ctype + payload))


def head(*, width=0, height=0, bit_depth=0, colour_format=0, profile=1, level=1,
         coder=0, precision=0, model_sha256=None, latents=()) -> bytes:
    """HEAD payload, Table 7-1 (version 1.0)."""
    flags = 1 if model_sha256 is not None else 0
    payload = struct.pack("<HHIIBBBBBBBB", 1, 0, width, height, bit_depth, colour_format, profile, level,
                          coder, precision, flags, len(latents))
    payload += model_sha256 if model_sha256 is not None else bytes(32)
    for kind, channels, h, w in latents:
        payload += struct.pack("<HHII", kind, channels, h, w)
    return chunk(b"HEAD", payload)


def text(keyword: str, value: str) -> bytes:
    """tEXT payload, spec §7.3."""
    return chunk(b"tEXT", keyword.encode("ascii") + b"\0" + value.encode("utf-8"))


LEND = chunk(b"LEND", b"")

SAMPLES = {
    # The smallest valid stream: no image, no latents, no coder.
    "empty-stream.lcae": SIGNATURE + head() + LEND,
    # Text chunks and an unknown ancillary chunk that a reader skips, reports and keeps (spec §5.4).
    "text-and-unknown-ancillary.lcae": SIGNATURE
    + head(coder=1, precision=24)
    + text("encoder", "tools/make_container_samples.py")
    + text("comment", "Ünïcödé value, spec §7.3")
    + chunk(b"zUNK", b"an ancillary chunk no reader knows")
    + LEND,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="samples/container")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, data in SAMPLES.items():
        path = os.path.join(args.out, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(data)} bytes")


if __name__ == "__main__":
    main()
