#!/usr/bin/env python3
"""Stand-in latents from real photographs: an 8x8 DCT per colour channel, divided by a step, rounded.

Until the codec's own analysis transform exists, this is what issue 4 measures the context
model on. Channel c*64 + 8u + v holds DCT coefficient (u, v) of colour channel c, one value
per 8x8 block, so an RGB image of W x H gives a (192, H/8, W/8) int32 latent (images are
cropped to multiples of 8). Orthonormal DCT-II (scipy.fft.dctn, norm="ortho") of the pixel
values minus 128.

Usage:
    python3 tools/dct_latents.py [--step 16] [--out DIR] IMAGE.png ...
"""

import argparse
import os

import numpy as np
from PIL import Image
from scipy.fft import dctn


def latent(path, step):
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) - 128.0
    h, w = (image.shape[0] // 8) * 8, (image.shape[1] // 8) * 8
    image = image[:h, :w]
    blocks = image.reshape(h // 8, 8, w // 8, 8, 3).transpose(4, 0, 2, 1, 3)  # (3, H/8, W/8, 8, 8)
    coefficients = dctn(blocks, axes=(3, 4), norm="ortho")
    out = np.rint(coefficients / step).astype(np.int32)  # (3, H/8, W/8, 8, 8)
    return np.ascontiguousarray(out.transpose(0, 3, 4, 1, 2).reshape(3 * 64, h // 8, w // 8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--step", type=float, default=16.0)
    parser.add_argument("--out", default=".")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for path in args.images:
        y = latent(path, args.step)
        name = os.path.splitext(os.path.basename(path))[0]
        target = os.path.join(args.out, f"{name}_dct{int(args.step)}.npy")
        np.save(target, y)
        print(f"{target}: shape {y.shape}, values {y.min()}..{y.max()}, {np.mean(y == 0):.3f} zeros")


if __name__ == "__main__":
    main()
