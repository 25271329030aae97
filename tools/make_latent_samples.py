#!/usr/bin/env python3
"""Write the latent samples in samples/latents/ (spec chapter 12) with the lcae tool.

Stand-in latents come from tools/dct_latents.py (8x8 DCT of the RGB development photographs,
step 16). Tables are fitted on the full latents of the three images; the samples code a
16 x 16 crop (192 x 16 x 16 values, stored as int8, the top-left corner of chelsea's cat at block row 8,
block column 24) with those tables, in-band and referenced.

Usage (from the repository root, after `swift build -c release`):
    python3 tools/make_latent_samples.py [--images DIR] [--lcae .build/release/lcae]
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "samples", "latents")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=os.path.join(HERE, "..", "..", "shared", "data", "images"))
    parser.add_argument("--lcae", default=os.path.join(HERE, "..", ".build", "release", "lcae"))
    args = parser.parse_args()
    images = sorted(p for p in glob.glob(os.path.join(args.images, "*.png")) if "camera" not in p)
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(HERE, "dct_latents.py"), "--out", tmp, *images], check=True, capture_output=True)
        latents = sorted(glob.glob(os.path.join(tmp, "*.npy")))
        tables = os.path.join(OUT, "dct16.tbl")
        subprocess.run([args.lcae, "fit", *latents, "-o", tables], check=True)
        chelsea = np.load(os.path.join(tmp, "chelsea_dct16.npy"))
        crop = np.ascontiguousarray(chelsea[:, 8:24, 24:40]).astype(np.int8)  # values fit in int8; the file stays small
        crop_path = os.path.join(OUT, "chelsea-crop.npy")
        np.save(crop_path, crop)
        for placement, lanes, substreams in (("in-band", "4", "2"), ("referenced", "1", "1")):
            target = os.path.join(OUT, f"chelsea-crop-{placement}.lcae")
            subprocess.run([args.lcae, "encode-latents", crop_path, "--tables", tables, "--placement", placement,
                            "--lanes", lanes, "--substreams", substreams, "-o", target], check=True)


if __name__ == "__main__":
    main()
