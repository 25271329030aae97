#!/usr/bin/env python3
"""Compare two builds of `lcae` on the benchmarks of `lcae bench`, alternated in one run.

    python3 tools/bench_ab.py BEFORE/lcae AFTER/lcae [--rounds 8] [--image PNG] [--markdown FILE]

Each round runs, for the build before and then the build after: the entropy workloads
(`lcae bench --json --symbols 2000000 --repeats 5`), context coding of the sample latent
(`--only latents --latents samples/latents/chelsea-crop.npy --tables samples/latents/dct16.tbl
--repeats 7`) and the image codec's stages (`--image PNG --repeats 9`). Every figure is already a
median of its repeats. The table gives each build's median over the rounds and the median and
range of the per-round ratio after / before: the ratio of two runs made one after the other is
what survives this machine's minute-to-minute drift. Copy each build (with its
LCAE_LCAE.resources folder) out of .build/release first, since the two must exist together.
Release builds only; stop other work on the machine while it runs.
"""

import argparse
import json
import os
import re
import statistics
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(lcae, image):
    """{measurement: value} of one run of each benchmark of one build."""
    out = {}
    entropy = subprocess.run([lcae, "bench", "--json", "--symbols", "2000000", "--repeats", "5"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout
    latents = subprocess.run([lcae, "bench", "--json", "--only", "latents",
                              "--latents", "samples/latents/chelsea-crop.npy",
                              "--tables", "samples/latents/dct16.tbl", "--repeats", "7"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout
    for text in (entropy, latents):
        for r in json.loads(text):
            key = f"{r['case']} {r['op']}, lanes {r['lanes']}, threads {r['threads']}, substreams {r['substreams']} (ns/symbol)"
            out[key] = r["ns_per_symbol"]
    stages = subprocess.run([lcae, "bench", "--image", image, "--repeats", "9"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    for line in stages.splitlines():
        m = re.match(r"\s*(.+?)\s+([\d.]+) ms$", line.rstrip())
        if m:
            out["image: " + m.group(1).strip() + " (ms)"] = float(m.group(2))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--image", default=os.path.join(REPO, "samples", "images", "astronaut.png"))
    parser.add_argument("--markdown", help="also write the table to FILE")
    args = parser.parse_args()
    values = {}
    for round_ in range(args.rounds):
        b, a = measure(args.before, args.image), measure(args.after, args.image)
        for key in b:
            if key in a:
                values.setdefault(key, []).append((b[key], a[key]))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    lines = ["| measurement | before (median) | after (median) | median of per-round after / before | range of the ratios |",
             "|---|---|---|---|---|"]
    for key, pairs in values.items():
        ratios = [a / b for b, a in pairs if b > 0]
        lines.append(f"| {key} | {statistics.median(b for b, _ in pairs):.2f} | {statistics.median(a for _, a in pairs):.2f} | "
                     f"{statistics.median(ratios):.3f} | {min(ratios):.2f}–{max(ratios):.2f} |")
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
