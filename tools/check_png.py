#!/usr/bin/env python3
"""Check the Swift PNG reader and writer against Pillow, on real files and on writer output.

Usage (from the repository root):  python3 tools/check_png.py [DIRECTORY_OF_PNGS]
Needs numpy and Pillow; runs `swift test` (debug build) once.

The Swift side (PNGTests.exportForPillow, enabled by LCAE_PNG_CHECK_DIR) decodes every PNG
in DIRECTORY_OF_PNGS, writes the samples as .npy and re-encodes them with PNGWriter; it also
writes synthetic images (random and gradient, grey and RGB, 8 and 16 bits) with PNGWriter.
This script then checks, with Pillow as the independent decoder:
  - each input decodes with Pillow to the samples the Swift reader returned (alpha dropped,
    palette expanded, low-depth grey scaled to 8 bits);
  - every file PNGWriter wrote decodes with Pillow to the samples it was given.
Pillow reads 16-bit RGB as 8 bits (high byte); those compare by high byte.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def ihdr(path):
    with open(path, "rb") as f:
        head = f.read(29)
    return head[24], head[25]  # bit depth, colour type


def pillow_codec_form(path):
    """Pillow's decoding in the codec's form, and whether only the high byte of 16-bit samples is known."""
    depth, colour_type = ihdr(path)
    image = Image.open(path)
    image.load()
    if colour_type == 0 and depth == 16:
        return np.array(image, dtype=np.uint16)[:, :, None], False
    if colour_type == 0:
        return np.array(image.convert("L"), dtype=np.uint16)[:, :, None], False
    if colour_type == 4:
        return np.array(image, dtype=np.uint16)[:, :, :1], depth == 16
    return np.array(image.convert("RGB"), dtype=np.uint16), depth == 16


def same(path, samples):
    decoded, high_byte_only = pillow_codec_form(path)
    want = samples >> 8 if high_byte_only else samples
    return decoded.shape == want.shape and np.array_equal(decoded, want)


def main():
    inputs = sys.argv[1] if len(sys.argv) > 1 else None
    failures = 0
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, LCAE_PNG_CHECK_DIR=out)
        if inputs:
            env["LCAE_PNG_CHECK_INPUTS"] = os.path.abspath(inputs)
        run = subprocess.run(["swift", "test", "--filter", "PNGTests/exportForPillow"], env=env,
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            raise SystemExit("swift test failed")
        names = sorted(name[:-4] for name in os.listdir(out) if name.endswith(".npy"))
        for name in names:
            samples = np.load(os.path.join(out, name + ".npy"))
            checks = [("PNGWriter output", os.path.join(out, name + ".rewritten.png"))]
            if inputs and os.path.exists(os.path.join(inputs, name + ".png")):
                checks.insert(0, ("input", os.path.join(inputs, name + ".png")))
            for what, path in checks:
                ok = same(path, samples)
                failures += not ok
                if not ok or what == "input":
                    print(f"{'ok  ' if ok else 'FAIL'} {name}: {what} {samples.shape} matches Pillow")
        print(f"{len(names)} images checked, {failures} failures")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
