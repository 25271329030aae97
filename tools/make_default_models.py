#!/usr/bin/env python3
"""Export a trained auto-encoder as an RGB and a grey model file with the default models' table
sets: the way the trained network will become the default models (issue 12; today's defaults
are still the linear models of spec §15.7).

    python3 tools/train_cae.py weights --ckpt CKPT -o DIR     # DIR/cae-rgb.npz, latents-{rgb,grey}.npz
    python3 tools/make_default_models.py --weights DIR -o OUT  # OUT/default-{rgb,grey}.lcaem

Inputs, in --weights: cae-rgb.npz, the trained auto-encoder's float32 weights with its internal
scales folded in (the analysis takes 8-bit samples and outputs the latent at step 1);
latents-rgb.npz and latents-grey.npz, int16 latents at step 1 of training crops, on which the
table sets are fitted. The grey networks are derived from the RGB ones
(export_model.grey_from_rgb). The export is tools/export_model.py's, with table sets with and
without contexts at the twelve steps of the quality ladder (Δ_j = 10 · 2^(j/2)); the same
inputs give the same bytes. It needs numpy and the release `lcae` binary for `lcae fit`
(built here if --lcae is not given).
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_model  # noqa: E402

CALIBRATION = 8  # latents the activation scales are calibrated on (with their quantized versions at every step)
GENERALIZATION = 32.0  # lcae fit --generalization, as for today's linear default models (spec §15.7)


def build(weights, colour, lcae, check, log):
    """The model file's bytes for colour ("rgb" or "grey")."""
    path = os.path.join(weights, "cae-rgb.npz")
    analysis, synthesis = export_model.load_npz(path, "analysis"), export_model.load_npz(path, "synthesis")
    if analysis is None or synthesis is None:
        raise SystemExit(f"{path}: needs both analysis and synthesis layers")
    if colour == "grey":
        analysis, synthesis = export_model.grey_from_rgb(analysis, synthesis)
    latents = export_model.load_latents([os.path.join(weights, f"latents-{colour}.npz")])
    return export_model.export(synthesis, analysis, latents, colour, steps=export_model.LADDER,
                               kinds=(export_model.CONTEXTS, export_model.FACTORIZED), lcae=lcae,
                               calibration_count=CALIBRATION, check_count=check, generalization=GENERALIZATION,
                               log=log)


def write_atomic(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as f:
        f.write(data)
    os.replace(f.name, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="folder with cae-rgb.npz and latents-{rgb,grey}.npz")
    parser.add_argument("-o", "--output", required=True, help="folder to write default-{rgb,grey}.lcaem to")
    parser.add_argument("--colour", choices=("rgb", "grey"), nargs="+", default=["rgb", "grey"])
    parser.add_argument("--lcae", help="lcae binary (default: builds .build/release/lcae)")
    parser.add_argument("--verbose", action="store_true", help="print the export's quantization and integer-vs-float report")
    args = parser.parse_args()
    if not args.lcae:
        subprocess.run(["swift", "build", "-c", "release", "--product", "lcae"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    log = print if args.verbose else (lambda *_: None)
    os.makedirs(args.output, exist_ok=True)
    for colour in args.colour:
        # The integer-vs-float check does not change the bytes; it only runs when it is printed.
        data = build(args.weights, colour, args.lcae, 1 if args.verbose else 0, log)
        path = os.path.join(args.output, f"default-{colour}.lcaem")
        write_atomic(path, data)
        print(f"wrote {path}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
