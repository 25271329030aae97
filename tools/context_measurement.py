#!/usr/bin/env python3
"""Measure the context model (spec chapter 12) on stand-in latents of the development photographs.

Latents: tools/dct_latents.py (8x8 DCT per colour channel of the RGB images, step 16).
For each variant of `lcae fit` it reports the training latents' empirical entropy
(factorized, K1, K2) and the coded size of every image with the fitted tables, both
referenced (CREF) and in-band (CTAB), plus leave-one-out results (tables fitted on the
other images). Prints a Markdown report.

Usage (from the repository root, after `swift build -c release`):
    python3 tools/context_measurement.py [--images DIR] [--step 16] [--lcae .build/release/lcae]
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def fit(lcae, latents, out, extra):
    text = run([lcae, "fit", *latents, "-o", out, *extra])
    m = re.search(r"factorized ([0-9.]+), spatial contexts \(K1\) ([0-9.]+), full contexts \(K2\) ([0-9.]+)", text)
    t = re.search(r"fitted in ([0-9.]+) s", text)
    return tuple(float(x) for x in m.groups()), float(t.group(1))


def chunk_sizes(lcae, stream):
    report = json.loads(subprocess.run([lcae, "inspect", stream, "--json"], capture_output=True, text=True).stdout)
    return {c["type"]: c["length"] for c in report["chunks"]}, report["file_size"]


def encode(lcae, latent, tables, placement, out):
    run([lcae, "encode-latents", latent, "--tables", tables, "--placement", placement, "--lanes", "1", "-o", out])
    return chunk_sizes(lcae, out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=os.path.join(HERE, "..", "..", "shared", "data", "images"))
    parser.add_argument("--step", type=float, default=16)
    parser.add_argument("--lcae", default=os.path.join(HERE, "..", ".build", "release", "lcae"))
    args = parser.parse_args()
    images = sorted(p for p in glob.glob(os.path.join(args.images, "*.png")) if "camera" not in p)  # RGB only
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(HERE, "dct_latents.py"), "--step", str(args.step), "--out", tmp, *images],
                       check=True, capture_output=True)
        latents = sorted(glob.glob(os.path.join(tmp, "*.npy")))
        import numpy as np
        sizes = {p: int(np.load(p).size) for p in latents}
        total_values = sum(sizes.values())
        variants = [
            ("factorized (one CDF per channel)", ["--factorized"]),
            ("contexts, raw-value measure, greedy order", ["--measure", "value"]),
            ("contexts, deviation measure, channel index order", ["--no-order"]),
            ("contexts, deviation measure, greedy order (default)", []),
        ]
        print(f"Latents: {', '.join(os.path.basename(p) for p in latents)} ({total_values} values; DCT step {args.step:g})\n")
        print("## Fitted on all three images, coded with the fitted tables\n")
        print("| variant | factorized H | K1 H | K2 H | coded, tables referenced | coded + tables in-band | fit time |")
        print("|---|---|---|---|---|---|---|")
        rows = {}
        for name, extra in variants:
            tables = os.path.join(tmp, "t.tbl")
            (hf, h1, h2), seconds = fit(args.lcae, latents, tables, extra)
            ref_bits = inband_bits = 0
            details = []
            for latent in latents:
                ref, ref_total = encode(args.lcae, latent, tables, "referenced", os.path.join(tmp, "r.lcae"))
                inb, inb_total = encode(args.lcae, latent, tables, "in-band", os.path.join(tmp, "i.lcae"))
                ref_bits += 8 * ref_total
                inband_bits += 8 * inb_total
                details.append((latent, ref, ref_total, inb_total))
            rows[name] = (ref_bits, details)
            print(f"| {name} | {hf:.4f} | {h1:.4f} | {h2:.4f} | {ref_bits / total_values:.4f} | {inband_bits / total_values:.4f} | {seconds:.2f} s |")
        print("\nH: empirical entropy of the training latents in bits per value under the fitted histograms (escape bits not counted). "
              "Coded: whole .lcae files (header, ACTV, LATP, lHSH; CTAB when in-band) in bits per value, one lane, one substream.\n")
        base = rows[variants[0][0]][0]
        print("Saving against factorized, coded sizes with tables referenced:\n")
        for name, _ in variants[1:]:
            print(f"- {name}: {100 * (1 - rows[name][0] / base):.2f} %")
        print("\nPer image, default variant (bytes):\n")
        print("| latent | values | ACTV | LATP | stream, referenced | stream, in-band |")
        print("|---|---|---|---|---|---|")
        for latent, ref, total, inb in rows[variants[-1][0]][1]:
            print(f"| {os.path.basename(latent)} | {sizes[latent]} | {ref.get('ACTV', 0)} | {ref.get('LATP', 0)} | {total} | {inb} |")

        print("\n## Leave one out: tables fitted on the other two images\n")
        print("| latent | factorized, referenced | default contexts, referenced | saving | automatic choice (referenced vs fitted in-band) |")
        print("|---|---|---|---|---|")
        for latent in latents:
            others = [p for p in latents if p != latent]
            fitted = {}
            for key, extra in (("factorized", ["--factorized"]), ("contexts", [])):
                tables = os.path.join(tmp, f"loo_{key}.tbl")
                fit(args.lcae, others, tables, extra)
                _, total = encode(args.lcae, latent, tables, "referenced", os.path.join(tmp, "l.lcae"))
                fitted[key] = (total, tables)
            auto = run([args.lcae, "encode-latents", latent, "--tables", fitted["contexts"][1], "--lanes", "1", "-o", os.path.join(tmp, "a.lcae")]).strip()
            f, c = fitted["factorized"][0], fitted["contexts"][0]
            print(f"| {os.path.basename(latent)} | {8 * f / sizes[latent]:.4f} | {8 * c / sizes[latent]:.4f} | {100 * (1 - c / f):.2f} % | {auto.split('; ', 1)[1]} |")


if __name__ == "__main__":
    main()
