#!/usr/bin/env python3
"""Export the trained auto-encoder as the default RGB and grey models (spec §15.7), or check that
the committed weights give the shipped models byte for byte.

    python3 tools/make_default_models.py --check               # what CI runs
    python3 tools/make_default_models.py                       # rewrites Sources/LCAE/Resources/
    python3 tools/train_cae.py weights --ckpt CKPT -o DIR      # a new checkpoint's weights ...
    python3 tools/make_default_models.py --weights DIR -o OUT  # ... exported to OUT/default-{rgb,grey}.lcaem

Inputs, in --weights (default tools/cae/weights, the shipped models' weights): cae-rgb.npz and
cae-grey.npz, the trained auto-encoders' float32 weights with their internal scales folded in
(the analysis takes 8-bit samples and outputs the latent at step 1); latents-rgb.npz and
latents-grey.npz, int16 latents at step 1 of training crops, on which the table sets are
fitted. The export is tools/export_model.py's, with table sets with and without contexts at
the twelve steps of the quality ladder (Δ_j = 10 · 2^(j/2)); the same inputs give the same
bytes. It needs numpy and the release `lcae` binary for `lcae fit` (built here if --lcae is not
given).
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
GENERALIZATION = 32.0  # lcae fit --generalization (spec §15.7)
WEIGHTS = os.path.join(HERE, "cae", "weights")
RESOURCES = os.path.join(REPO, "Sources", "LCAE", "Resources")


def build(weights, colour, lcae, check, log):
    """The model file's bytes for colour ("rgb" or "grey")."""
    path = os.path.join(weights, f"cae-{colour}.npz")
    analysis, synthesis = export_model.load_npz(path, "analysis"), export_model.load_npz(path, "synthesis")
    if analysis is None or synthesis is None:
        raise SystemExit(f"{path}: needs both analysis and synthesis layers")
    latents = export_model.load_latents([os.path.join(weights, f"latents-{colour}.npz")])
    return export_model.export(synthesis, analysis, latents, colour, steps=export_model.LADDER,
                               kinds=(export_model.CONTEXTS, export_model.FACTORIZED), lcae=lcae,
                               calibration_count=CALIBRATION, check_count=check, generalization=GENERALIZATION,
                               log=log)


def write_atomic(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as f:
        f.write(data)
    # NamedTemporaryFile makes the file private (0600); a model file is read by every user.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(f.name, 0o666 & ~umask)
    os.replace(f.name, path)


def same_bytes(path, data):
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return f.read() == data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=WEIGHTS, help="folder with cae-{rgb,grey}.npz and latents-{rgb,grey}.npz "
                        "(default: %(default)s)")
    parser.add_argument("-o", "--output", default=RESOURCES, help="folder to write default-{rgb,grey}.lcaem to, or "
                        "with --check to compare them with (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="compare the export with the files in --output instead "
                        "of writing it; exit status 1 if any differs")
    parser.add_argument("--colour", choices=("rgb", "grey"), nargs="+", default=["rgb", "grey"])
    parser.add_argument("--lcae", help="lcae binary (default: builds .build/release/lcae)")
    parser.add_argument("--verbose", action="store_true", help="print the export's quantization and integer-vs-float report")
    args = parser.parse_args()
    if not args.lcae:
        subprocess.run(["swift", "build", "-c", "release", "--product", "lcae"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    log = print if args.verbose else (lambda *_: None)
    if not args.check:
        os.makedirs(args.output, exist_ok=True)
    differ = False
    for colour in args.colour:
        # The integer-vs-float check does not change the bytes; it only runs when it is printed.
        data = build(args.weights, colour, args.lcae, 1 if args.verbose else 0, log)
        path = os.path.join(args.output, f"default-{colour}.lcaem")
        digest = hashlib.sha256(data).hexdigest()
        if not args.check:
            write_atomic(path, data)
            print(f"wrote {path}: {len(data)} bytes, sha256 {digest}")
        elif same_bytes(path, data):
            print(f"{path}: exported identical ({len(data)} bytes, sha256 {digest})")
        else:
            print(f"{path}: the export ({len(data)} bytes, sha256 {digest}) differs from this file", file=sys.stderr)
            differ = True
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
