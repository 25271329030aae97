#!/usr/bin/env python3
"""Rate-distortion evaluation of the LCAE codec against its own base and against JPEG, WebP and AVIF.

For every development image it sweeps the encoder quality of three LCAE configurations,
run through the `lcae` CLI:

    Base           lcae encode IMG -o OUT.lcae --quality Q --entropy factorized --json
    Contexts       lcae encode IMG -o OUT.lcae --quality Q --entropy contexts --json
    Contexts+RDOQ  lcae encode IMG -o OUT.lcae --quality Q --entropy contexts --rdoq --json

and measures every point itself: bpp = 8 * file bytes / (width * height), PSNR by decoding with
`lcae decode OUT.lcae -o DEC.png` and comparing DEC.png with the original in numpy (all samples
of all channels, peak 255). The encoder's JSON report is only cross-checked (warning when its
PSNR differs by more than 0.01 dB or its byte count differs). External anchors, all through
Pillow (grey images stay grey): JPEG (default settings, 4:2:0 for RGB), JPEG 4:4:4 with
optimized Huffman tables, WebP (method 6) and AVIF (speed 4, 4:4:4).

It reports the (bpp, PSNR) points and the Bjontegaard delta rate (PSNR-based) per image and
averaged over the images, for Contexts and Contexts+RDOQ against Base and for each LCAE
configuration against JPEG (negative: fewer bits at equal PSNR). Two BD-rate methods:
  cubic (primary)  VCEG-M33: log10(rate) fitted as a cubic polynomial of PSNR per curve, both
                   integrated over the overlapping PSNR interval;
  pchip            piecewise cubic Hermite interpolation of log10(rate) over PSNR (scipy's
                   PchipInterpolator), integrated over the same interval, as the newer
                   JVET / CompressAI-style implementations do.

Usage (from the repository root, after `swift build -c release`):
    python3 tools/eval_codec.py [IMAGE_OR_DIR ...] [--lcae .build/release/lcae]
        [--qualities 10,20,...] [--quick] [--jobs 1] [--markdown FILE] [--json FILE] [--plot FILE.png]
        [--model RGB.lcaem] [--grey-model GREY.lcaem] [--no-rdoq]
Checks of the BD-rate code: python3 tools/test_bdrate.py
"""

import argparse
import concurrent.futures
import glob
import io
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image
from scipy.interpolate import PchipInterpolator

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_IMAGES = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "images"))
DEFAULT_LCAE = os.path.join(REPO, ".build", "release", "lcae")

CONFIGS = {
    "Base": ["--entropy", "factorized"],
    "Contexts": ["--entropy", "contexts"],
    "Contexts+RDOQ": ["--entropy", "contexts", "--rdoq"],
}
DEFAULT_QUALITIES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
QUICK_QUALITIES = [20, 40, 60, 80]
JPEG_QUALITIES = [5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95]
# Pillow's save options of each external anchor, swept over JPEG_QUALITIES.
ANCHORS = {
    "JPEG": ("JPEG", {}),
    "JPEG 4:4:4 opt": ("JPEG", {"subsampling": 0, "optimize": True}),
    "WebP": ("WEBP", {"method": 6}),
    "AVIF": ("AVIF", {"speed": 4, "subsampling": "4:4:4"}),
}
# (test, anchor) pairs; the paper's figure where it reports one (Galpin et al., “Entropy Coding Improvement for Low-complexity Compressive Auto-encoders”, Table 2, Kodak).
COMPARISONS = [
    ("Contexts", "Base", "−11.07 %"),
    ("Contexts+RDOQ", "Base", "−18.56 %"),
    ("Contexts+RDOQ", "Contexts", None),  # what RDOQ alone gives
    *((config, anchor, None) for anchor in ANCHORS for config in ("Base", "Contexts", "Contexts+RDOQ")),
]
PSNR_TOLERANCE_DB = 0.01
SMALL_OVERLAP_DB = 1.0
METHOD_DISAGREEMENT = 1.0  # percentage points between the cubic and the pchip BD-rate


# ---------------------------------------------------------------- measurement

def load_image(path):
    """The image as a uint8 array, (H, W) for grey or (H, W, 3) for RGB."""
    with Image.open(path) as img:
        if img.mode not in ("L", "RGB"):
            raise SystemExit(f"{path}: mode {img.mode}; only 8-bit grey (L) and RGB images are evaluated")
        return np.asarray(img, dtype=np.uint8)


def psnr(reference, decoded):
    """PSNR in dB over all samples of all channels, 8-bit peak 255."""
    if reference.shape != decoded.shape:
        raise ValueError(f"decoded shape {decoded.shape} differs from the original {reference.shape}")
    mse = np.mean((reference.astype(np.float64) - decoded.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def bits_per_pixel(nbytes, width, height):
    return 8 * nbytes / (width * height)


def anchor_point(original, anchor, quality):
    """One point of an external anchor: Pillow encodes, decodes, and we measure."""
    image_format, options = ANCHORS[anchor]
    buf = io.BytesIO()
    Image.fromarray(original).save(buf, image_format, quality=quality, **options)
    nbytes = len(buf.getvalue())
    buf.seek(0)
    with Image.open(buf) as dec:
        decoded = np.asarray(dec.convert("L" if original.ndim == 2 else "RGB"), dtype=np.uint8)
    height, width = original.shape[:2]
    return {"quality": quality, "bytes": nbytes, "bpp": bits_per_pixel(nbytes, width, height),
            "psnr": psnr(original, decoded)}


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited with {proc.returncode}:\n{proc.stderr.strip()}")
    return proc.stdout, seconds


def check_cli(lcae):
    """Exit with a clear message unless `lcae` has the encode/decode commands of the contract."""
    if not os.path.isfile(lcae) or not os.access(lcae, os.X_OK):
        raise SystemExit(f"lcae binary not found or not executable: {lcae}\n"
                         "Build it with `swift build -c release` or pass --lcae PATH.")
    missing = []
    for command, options in (("encode", ["--quality", "--entropy", "--rdoq", "--json"]),
                             ("decode", ["-o"])):
        proc = subprocess.run([lcae, command, "--help"], capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        absent = [o for o in options if not re.search(rf"(^|[\s,\[]){re.escape(o)}([\s,=\]]|$)", text, re.M)]
        if proc.returncode != 0 or absent:
            missing.append(f"`{command}`" + (f" (no {', '.join(absent)} in its help)" if absent else ""))
    if missing:
        raise SystemExit(f"{lcae} lacks the image commands this evaluation needs: {'; '.join(missing)}.\n"
                         "Expected: lcae encode IN.png -o OUT.lcae --quality Q [--rdoq] "
                         "[--entropy contexts|factorized] --json, and lcae decode IN.lcae -o OUT.png.")


def lcae_point(lcae, image_path, original, config, quality, workdir, model_args=()):
    """Encode, decode and measure one point; returns the point and its cross-check warnings."""
    stem = f"{os.path.splitext(os.path.basename(image_path))[0]}-{config}-q{quality}"
    stream = os.path.join(workdir, stem + ".lcae")
    decoded_path = os.path.join(workdir, stem + ".png")
    stdout, encode_seconds = run([lcae, "encode", image_path, "-o", stream, "--quality", str(quality),
                                  *CONFIGS[config], *model_args, "--json"])
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"lcae encode printed no JSON object for {stem}: {error}\n{stdout[:500]}")
    _, decode_seconds = run([lcae, "decode", stream, "-o", decoded_path, *model_args])
    height, width = original.shape[:2]
    nbytes = os.path.getsize(stream)
    point = {"quality": quality, "bytes": nbytes, "bpp": bits_per_pixel(nbytes, width, height),
             "psnr": psnr(original, load_image(decoded_path)),
             "encode_wall_seconds": encode_seconds, "decode_wall_seconds": decode_seconds,
             "encoder_report": report}
    warnings = []
    missing = [k for k in ("bits_per_pixel", "psnr", "bytes", "width", "height", "seconds") if k not in report]
    if missing:
        warnings.append(f"{stem}: encoder JSON lacks {', '.join(missing)}")
    if "psnr" in report and not abs(report["psnr"] - point["psnr"]) <= PSNR_TOLERANCE_DB:
        warnings.append(f"{stem}: encoder reports PSNR {report['psnr']:.4f} dB, measured {point['psnr']:.4f} dB")
    if "bytes" in report and report["bytes"] != nbytes:
        warnings.append(f"{stem}: encoder reports {report['bytes']} bytes, the file has {nbytes}")
    if "width" in report and "height" in report and (report["width"], report["height"]) != (width, height):
        warnings.append(f"{stem}: encoder reports {report['width']}x{report['height']}, the image is {width}x{height}")
    if "bits_per_pixel" in report and not abs(report["bits_per_pixel"] - point["bpp"]) <= 1e-4:
        warnings.append(f"{stem}: encoder reports {report['bits_per_pixel']:.5f} bpp, measured {point['bpp']:.5f}")
    os.remove(stream)
    os.remove(decoded_path)
    return point, warnings


# ---------------------------------------------------------------- BD-rate

def _curve(points):
    """(PSNR, log10 rate) arrays sorted by PSNR; rates must be positive and PSNRs finite and distinct."""
    psnrs = np.array([p for _, p in points], dtype=np.float64)
    rates = np.array([r for r, _ in points], dtype=np.float64)
    if len(points) < 4:
        raise ValueError(f"{len(points)} points; BD-rate needs at least 4 per curve")
    if not np.all(np.isfinite(psnrs)) or np.any(rates <= 0):
        raise ValueError("PSNR must be finite and rates positive")
    order = np.argsort(psnrs)
    psnrs, log_rates = psnrs[order], np.log10(rates[order])
    if np.any(np.diff(psnrs) == 0):
        raise ValueError("two points of a curve have the same PSNR")
    return psnrs, log_rates


def overlap(anchor, test):
    """The PSNR interval covered by both curves ((rate, psnr) lists), or None."""
    low = max(min(p for _, p in anchor), min(p for _, p in test))
    high = min(max(p for _, p in anchor), max(p for _, p in test))
    return (low, high) if high > low else None


def bd_rate(anchor, test, method="cubic"):
    """Bjontegaard delta rate of `test` against `anchor` in percent (negative: test needs fewer bits).

    Both curves are lists of (rate, PSNR) pairs. method "cubic" is VCEG-M33 (least-squares cubic
    polynomial of log10 rate over PSNR); "pchip" uses piecewise cubic Hermite interpolation.
    Raises ValueError when the PSNR ranges do not overlap.
    """
    interval = overlap(anchor, test)
    if interval is None:
        raise ValueError("the PSNR ranges of the two curves do not overlap")
    low, high = interval
    integrals = []
    for curve in (anchor, test):
        psnrs, log_rates = _curve(curve)
        if method == "cubic":
            antiderivative = np.polyint(np.polyfit(psnrs, log_rates, 3))
            integrals.append(np.polyval(antiderivative, high) - np.polyval(antiderivative, low))
        elif method == "pchip":
            integrals.append(PchipInterpolator(psnrs, log_rates).integrate(low, high))
        else:
            raise ValueError(f"unknown BD-rate method {method!r}")
    mean_difference = (integrals[1] - integrals[0]) / (high - low)
    return (10 ** mean_difference - 1) * 100


# ---------------------------------------------------------------- report

def fmt_pct(value):
    return "n/a" if value is None else f"{value:+.2f} %".replace("-", "−")


def bd_table(results, names):
    """BD-rates per comparison and image, with the overlap intervals and warnings."""
    table, warnings = [], []
    present = set(results[names[0]]) if names else set()
    for test, anchor, paper in COMPARISONS:
        if test not in present or anchor not in present:
            continue
        row = {"test": test, "anchor": anchor, "paper": paper, "images": {}}
        for name in names:
            a = [(p["bpp"], p["psnr"]) for p in results[name][anchor]]
            t = [(p["bpp"], p["psnr"]) for p in results[name][test]]
            entry = {"overlap_db": overlap(a, t), "cubic": None, "pchip": None}
            label = f"{test} vs {anchor}, {name}"
            if entry["overlap_db"] is None:
                warnings.append(f"{label}: PSNR ranges do not overlap; no BD-rate")
            else:
                width = entry["overlap_db"][1] - entry["overlap_db"][0]
                if width < SMALL_OVERLAP_DB:
                    warnings.append(f"{label}: PSNR overlap only {width:.2f} dB")
                for method in ("cubic", "pchip"):
                    try:
                        entry[method] = bd_rate(a, t, method)
                    except ValueError as error:
                        warnings.append(f"{label} ({method}): {error}")
                if entry["cubic"] is not None and entry["pchip"] is not None \
                        and abs(entry["cubic"] - entry["pchip"]) > METHOD_DISAGREEMENT:
                    warnings.append(f"{label}: cubic {fmt_pct(entry['cubic'])} and pchip {fmt_pct(entry['pchip'])} "
                                    "differ by more than 1 point (the cubic fit follows the curve poorly)")
            row["images"][name] = entry
        for method in ("cubic", "pchip"):
            values = [e[method] for e in row["images"].values() if e[method] is not None]
            row[f"mean_{method}"] = sum(values) / len(values) if values else None
            row[f"mean_{method}_images"] = len(values)
        table.append(row)
    return table, warnings


def markdown(command, images, lcae_qualities, results, table, warnings, jobs, leave_one_out, models=None, plot=None):
    names = list(images)
    models = models or ("Models: each image is coded with a block-transform model trained by `lcae train-model` on the "
                        "other images only (leave one out)." if leave_one_out else "Models: the default models.")
    out = ["# LCAE codec evaluation", "",
           f"Command: `{command}`", "",
           f"Machine: (2 vCPUs, release build); encodes run with --jobs {jobs}.", "",
           models, "",
           "Images: " + ", ".join(f"{n} ({i['width']}×{i['height']}, {'grey' if i['channels'] == 1 else 'RGB'})"
                                  for n, i in images.items()), "",
           f"LCAE qualities: {', '.join(map(str, lcae_qualities))}. Anchors (Pillow {Image.__version__}): JPEG "
           "(default settings, 4:2:0 for RGB), JPEG 4:4:4 with optimized Huffman tables, WebP method 6, AVIF speed 4 "
           f"4:4:4, each at qualities {', '.join(map(str, JPEG_QUALITIES))}.", "",
           "bpp = 8 × file bytes / (width × height); PSNR measured on the decoded PNG against the original "
           "over all samples of all channels (peak 255). BD-rate is PSNR-based; negative means fewer bits "
           "at equal PSNR. Primary: cubic fit (VCEG-M33); also PCHIP (piecewise cubic interpolation). "
           "The paper's figures (Galpin et al., Table 2) are on Kodak with its trained models.", "",
           "## BD-rate", "",
           "| comparison | method | " + " | ".join(names) + " | mean | paper (Galpin et al., Table 2) |",
           "|---|---|" + "---|" * len(names) + "---|---|"]
    for row in table:
        for method in ("cubic", "pchip"):
            cells = [fmt_pct(row["images"][n][method]) for n in names]
            mean = fmt_pct(row[f"mean_{method}"])
            if row[f"mean_{method}"] is not None and row[f"mean_{method}_images"] < len(names):
                mean += f" ({row[f'mean_{method}_images']} images)"
            paper = (row["paper"] or "—") if method == "cubic" else ""
            out.append(f"| {row['test']} vs {row['anchor']} | {method} | " + " | ".join(cells) + f" | {mean} | {paper} |")
    out += ["", "PSNR interval used (overlap of the two curves, dB):", "",
            "| comparison | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for row in table:
        cells = []
        for n in names:
            ov = row["images"][n]["overlap_db"]
            cells.append("none" if ov is None else f"{ov[0]:.2f}–{ov[1]:.2f}")
        out.append(f"| {row['test']} vs {row['anchor']} | " + " | ".join(cells) + " |")
    if plot:
        out += ["", f"![rate-distortion curves]({plot})"]
    out += ["", "## Rate-distortion points", ""]
    for name in names:
        out += [f"### {name}", "", "| config | quality | bytes | bpp | PSNR (dB) | encode s (wall) | decode s (wall) |",
                "|---|---|---|---|---|---|---|"]
        for config, points in results[name].items():
            for p in points:
                enc = f"{p['encode_wall_seconds']:.2f}" if "encode_wall_seconds" in p else "—"
                dec = f"{p['decode_wall_seconds']:.2f}" if "decode_wall_seconds" in p else "—"
                out.append(f"| {config} | {p['quality']} | {p['bytes']} | {p['bpp']:.4f} | {p['psnr']:.3f} | {enc} | {dec} |")
        out.append("")
    out += ["## Warnings", ""] + ([f"- {w}" for w in warnings] or ["None."])
    return "\n".join(out) + "\n"


def draw(results, images, path):
    """One panel per image: PSNR over bpp for every configuration and anchor."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(images)
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        for config, points in results[name].items():
            points = sorted(points, key=lambda p: p["bpp"])
            style = "-o" if config in CONFIGS else "--"
            ax.plot([p["bpp"] for p in points], [p["psnr"] for p in points], style, markersize=3, label=config)
        ax.set_title(name)
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel("PSNR (dB)")
        ax.set_xlim(0, 2.5)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------- main

def parse_qualities(text):
    """Comma-separated qualities or ranges, e.g. "30,40" or "1-100"."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            low, _, high = part.partition("-")
            values += range(int(low), int(high or low) + 1)
    if not values or any(not 1 <= v <= 100 for v in values):
        raise argparse.ArgumentTypeError("qualities are integers 1…100, comma-separated, or ranges such as 1-100")
    return values


def image_paths(arguments):
    paths = []
    for arg in arguments:
        if os.path.isdir(arg):
            found = sorted(glob.glob(os.path.join(arg, "*.png")))
            if not found:
                raise SystemExit(f"no .png images in {arg}")
            paths += found
        elif os.path.isfile(arg):
            paths.append(arg)
        else:
            raise SystemExit(f"no such image or directory: {arg}")
    return paths


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + " See the module docstring for the method.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("images", nargs="*", default=[DEFAULT_IMAGES],
                        help="PNG images and/or directories of PNG images")
    parser.add_argument("--lcae", default=DEFAULT_LCAE, help="the lcae CLI binary")
    parser.add_argument("--qualities", type=parse_qualities, default=DEFAULT_QUALITIES,
                        help="LCAE encoder qualities, comma-separated, ranges such as 30-90 allowed (at least 4 for BD-rate)")
    parser.add_argument("--quick", action="store_true",
                        help=f"LCAE qualities {','.join(map(str, QUICK_QUALITIES))} only (JPEG keeps its full sweep)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="LCAE encode/decode runs in parallel (the machine has 2 shared cores)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the Markdown report to FILE")
    parser.add_argument("--json", metavar="FILE", help="write all raw points and BD-rates to FILE")
    parser.add_argument("--model", help="code RGB images with this model file instead of the default model")
    parser.add_argument("--grey-model", help="code grey images with this model file instead of the default model")
    parser.add_argument("--no-rdoq", action="store_true", help="leave out the Contexts+RDOQ configuration")
    parser.add_argument("--plot", metavar="FILE", help="also draw the rate-distortion curves (PNG, matplotlib)")
    parser.add_argument("--leave-one-out", action="store_true",
                        help="code each image with a block-transform model (spec §15.8) that `lcae train-model` "
                             "trains on the other images only")
    args = parser.parse_args()
    qualities = QUICK_QUALITIES if args.quick else sorted(set(args.qualities))
    command = shlex.join(["python3", *sys.argv])

    check_cli(args.lcae)
    paths = image_paths(args.images)
    originals = {os.path.basename(p): (p, load_image(p)) for p in paths}
    if len(originals) != len(paths):
        raise SystemExit("two images share a file name")
    images = {n: {"path": os.path.abspath(p), "width": a.shape[1], "height": a.shape[0],
                  "channels": 1 if a.ndim == 2 else a.shape[2]} for n, (p, a) in originals.items()}

    configs = [c for c in CONFIGS if not (args.no_rdoq and c == "Contexts+RDOQ")]
    results = {n: {c: [] for c in (*configs, *ANCHORS)} for n in originals}
    warnings = []
    for name, (_, original) in originals.items():
        for anchor in ANCHORS:
            results[name][anchor] = [anchor_point(original, anchor, q) for q in JPEG_QUALITIES]
    with tempfile.TemporaryDirectory(prefix="lcae-eval-") as workdir:
        model_args = {n: () for n in originals}
        for name, (_, original) in originals.items():
            chosen = args.grey_model if original.ndim == 2 else args.model
            if chosen:
                model_args[name] = ("--model", os.path.abspath(chosen))
        if args.leave_one_out:
            for name, (path, original) in originals.items():
                others = [p for n, (p, _) in originals.items() if n != name]
                model = os.path.join(workdir, f"without-{os.path.splitext(name)[0]}.lcaem")
                colour = "grey" if original.ndim == 2 else "rgb"
                print(f"training a {colour} model without {name}", file=sys.stderr)
                run([args.lcae, "train-model", *others, "--colour", colour, "--threads", str(max(1, args.jobs)), "-o", model])
                model_args[name] = ("--model", model)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
        tasks = [(n, c, q) for n in originals for c in configs for q in qualities]
        futures = [pool.submit(lcae_point, args.lcae, originals[n][0], originals[n][1], c, q, workdir, model_args[n])
                   for n, c, q in tasks]
        try:
            for (name, config, quality), future in zip(tasks, futures):
                point, point_warnings = future.result()
                results[name][config].append(point)
                warnings += point_warnings
                print(f"{name} {config} Q{quality}: {point['bpp']:.4f} bpp, {point['psnr']:.3f} dB", file=sys.stderr)
        except RuntimeError as error:
            raise SystemExit(f"error: {error}")
        finally:
            pool.shutdown(cancel_futures=True)

    table, bd_warnings = bd_table(results, list(originals))
    warnings += bd_warnings
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.plot:
        draw(results, images, args.plot)
    used = [f"{'grey' if images[n]['channels'] == 1 else 'RGB'} images: {model_args[n][1]}" for n in originals if model_args[n]]
    models = ("Models: " + "; ".join(sorted(set(used))) + " (others: the default models).") if used and not args.leave_one_out else None
    report = markdown(command, images, qualities, results, table, warnings, args.jobs, args.leave_one_out, models,
                      os.path.basename(args.plot) if args.plot else None)
    print(report, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": command, "lcae": os.path.abspath(args.lcae), "images": images,
                       "lcae_qualities": qualities, "anchor_qualities": JPEG_QUALITIES,
                       "anchors": {a: {"format": f, "options": o} for a, (f, o) in ANCHORS.items()},
                       "configs": {c: ["--quality", "Q", *o] for c, o in CONFIGS.items()},
                       "points": results, "bd_rate": table, "warnings": warnings}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
