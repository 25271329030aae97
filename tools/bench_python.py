#!/usr/bin/env python3
"""Decoding through the Python package against the library's own decode, in the same run.

    python3 tools/bench_python.py [--image /tmp/bench768.png] [--quality 75] [--repeats 9] [--model M.lcaem]

Encodes IMAGE once, then times `lcae.decode(bytes)` (everything a Python caller pays:
reading the container, decoding, the samples handed to NumPy (without a copy), argument
passing; one thread) and runs `lcae bench --image` (release build) for the library's figures of the
same image and quality (read container + decode). Prints medians and the ratio. Needs the
package installed (`pip install ./python`) and `swift build -c release`."""

import argparse
import os
import re
import statistics
import subprocess
import time

import numpy as np
from PIL import Image

import lcae

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default=os.path.join(REPO, "samples", "images", "astronaut.png"))
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--model", help="a model file instead of the default model")
    parser.add_argument("--lcae", default=os.path.join(REPO, ".build", "release", "lcae"))
    args = parser.parse_args()
    image = np.asarray(Image.open(args.image).convert("RGB"))
    stream = lcae.encode(image, quality=args.quality, model=args.model, threads=1)
    models = [args.model] if args.model else []
    lcae.decode(stream, models=models, threads=1)  # warm up: page in the library and the models
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        lcae.decode(stream, models=models, threads=1)
        times.append((time.perf_counter() - start) * 1000)
    python_ms = statistics.median(times)
    command = [args.lcae, "bench", "--image", args.image, "--quality", str(args.quality), "--repeats", str(args.repeats)]
    if args.model:
        command += ["--model", args.model]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    stage = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^(.+?)\s+([0-9.]+) ms$", out, re.M)}
    library_ms = stage["decode: read container"] + stage["decode (bytes to pixels)"]
    print(f"{args.image}: {image.shape[1]}×{image.shape[0]}, quality {args.quality}, {len(stream)} bytes, one thread, "
          f"medians of {args.repeats}")
    print(f"  lcae bench (read container + decode): {library_ms:.2f} ms")
    print(f"  lcae.decode from Python:              {python_ms:.2f} ms  ({100 * (python_ms / library_ms - 1):+.1f} %)")


if __name__ == "__main__":
    main()
