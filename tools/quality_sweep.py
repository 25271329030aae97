#!/usr/bin/env python3
"""Every quality, bit for bit: encode images at each quality with `lcae encode`, decode every
stream with the independent decoder (tools/lcae_parse.py and tools/lcae_synthesis.py, written
from spec/lcae.md alone), and check that its image is `lcae decode`'s and matches the stream's
iHSH. Reports the synthesis' headroom: per layer, the largest |sum| of weights × inputs + bias
against the int32 range its accumulator wraps outside of, and the largest |value| after the
shift against the int16 range it saturates outside of (spec §15.4.2), over all streams.

    python3 tools/quality_sweep.py [IMAGE ...] [--qualities 1-100] [--jobs 2] [--lcae L]
        [--model M.lcaem] [--grey-model G.lcaem] [encode options after --, e.g. -- --rdoq]

Default: samples/images/*.png with the default models, qualities 1 to 100. Exit status 1 if any
stream decodes differently. Needs numpy, Pillow and scipy (tools/eval_codec.py's helpers).
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from eval_codec import image_paths, load_image, parse_qualities  # noqa: E402
import lcae_parse  # noqa: E402
import lcae_synthesis  # noqa: E402

RESOURCES = os.path.join(REPO, "Sources", "LCAE", "Resources")


def sweep_point(lcae, image, quality, model_path, model, extra, workdir):
    """One stream: (matches, stats, bpp, message)."""
    stem = os.path.join(workdir, f"{os.path.splitext(os.path.basename(image))[0]}-q{quality}")
    model_args = ["--model", model_path]
    subprocess.run([lcae, "encode", image, "-o", stem + ".lcae", "--quality", str(quality), *model_args, *extra],
                   check=True, capture_output=True)
    subprocess.run([lcae, "decode", stem + ".lcae", "-o", stem + ".png", *model_args], check=True, capture_output=True)
    with open(stem + ".lcae", "rb") as f:
        stream = f.read()
    stats = []
    result = lcae_parse.Parser(stream, scope="full", decode=True, models=[model], synthesis_stats=stats).parse()
    if result.error:
        return False, stats, 0.0, f"the independent decoder refuses it: {result.error.code} at {result.error.offset}"
    decoded = np.asarray(Image.open(stem + ".png"))
    samples = result.samples[:, :, 0] if decoded.ndim == 2 else result.samples
    height, width = decoded.shape[:2]
    bpp = 8 * len(stream) / (width * height)
    if result.ihsh is None:
        return False, stats, bpp, "the stream has no iHSH"
    if not np.array_equal(samples, decoded):
        return False, stats, bpp, f"{int((samples != decoded).sum())} samples differ from lcae decode's"
    return True, stats, bpp, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Options after -- go to `lcae encode`, for example -- --rdoq.")
    parser.add_argument("images", nargs="*", default=[os.path.join(REPO, "samples", "images")],
                        help="PNG images and/or directories of PNG images")
    parser.add_argument("--qualities", type=parse_qualities, default=list(range(1, 101)), help="for example 1-100 or 30,50,90")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--lcae", default=os.path.join(REPO, ".build", "release", "lcae"))
    parser.add_argument("--model", default=os.path.join(RESOURCES, "default-rgb.lcaem"), help="model for RGB images")
    parser.add_argument("--grey-model", default=os.path.join(RESOURCES, "default-grey.lcaem"), help="model for grey images")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, extra = parser.parse_args(argv[:split]), argv[split + 1:]
    qualities = sorted(set(args.qualities))
    models = {"rgb": (args.model, lcae_synthesis.read_model(args.model)),
              "grey": (args.grey_model, lcae_synthesis.read_model(args.grey_model))}
    failures, layers, count = [], {}, 0
    with tempfile.TemporaryDirectory(prefix="lcae-sweep-") as workdir, \
            concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        tasks = []
        for image in image_paths(args.images):
            colour = "grey" if load_image(image).ndim == 2 else "rgb"
            path, model = models[colour]
            tasks += [(image, colour, q, pool.submit(sweep_point, args.lcae, image, q, path, model, extra, workdir))
                      for q in qualities]
        for image, colour, quality, future in tasks:
            ok, stats, bpp, message = future.result()
            count += 1
            name = os.path.basename(image)
            if not ok:
                failures.append(f"{name} quality {quality}: {message}")
                print(f"{name} q{quality}: FAIL: {message}", file=sys.stderr)
                continue
            print(f"{name} q{quality}: {bpp:.4f} bpp, bit-exact", file=sys.stderr)
            for i, s in enumerate(stats):
                key = (colour, i)
                best = layers.setdefault(key, {"sum": 0, "wrapped": False, "shifted": 0, "at": ""})
                best["wrapped"] |= s["wrapped"]
                if s["sum"] > best["sum"]:
                    best["sum"], best["at"] = s["sum"], f"{name} q{quality}"
                best["shifted"] = max(best["shifted"], s["shifted"])
    print(f"{count - len(failures)} of {count} streams decode bit-exactly with the independent decoder "
          f"(qualities {qualities[0]}–{qualities[-1]}{', encode options ' + ' '.join(extra) if extra else ''})")
    print("| model | convolution | largest sum | of 2^31 | wrapped | largest value after the shift | of 32767 | largest sum at |")
    print("|---|---|---|---|---|---|---|---|")
    for (colour, i), s in sorted(layers.items()):
        print(f"| {colour} | {i + 1} | {s['sum']:,} | {100 * s['sum'] / 2**31:.1f} % | {'yes' if s['wrapped'] else 'no'} "
              f"| {s['shifted']:,} | {100 * s['shifted'] / 32767:.1f} % | {s['at']} |")
    for f in failures:
        print(f"FAIL {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
