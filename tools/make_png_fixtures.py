#!/usr/bin/env python3
"""Write small PNG files and their expected decoded samples, for the Swift PNG reader's tests.

Usage (from the repository root):  python3 tools/make_png_fixtures.py
Needs numpy and Pillow.

Most files come from a small encoder in this script, because Pillow cannot write
what the reader must handle: Adam7 interlacing, grey at 1/2/4 bits, palettes at
low depths, 16-bit RGB(A), a chosen filter per scanline, image data split over
many IDAT chunks. A few files are written by Pillow itself. Every file covers
all five filter types (rows cycle through them).

expected.json holds, for each file, the samples the codec's reader must return
(alpha dropped, palette expanded, grey below 8 bits scaled by 255 / (2^d - 1)),
computed here from the source arrays with numpy. Each file is also decoded by
Pillow, an independent decoder, and checked against those samples, so neither
the files nor the expectations come from the Swift code.
"""

import io
import json
import os
import struct
import warnings
import zlib

import numpy as np
from PIL import Image

OUT = "Tests/LCAETests/Vectors/png"
WIDTH, HEIGHT = 13, 7

# colour type -> samples per pixel as stored
STORED = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
DEPTHS = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(values, depth):
    """One scanline's samples (a flat sequence) as bytes, big-endian, low depths packed high bits first."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in values)
    if depth == 8:
        return bytes(int(v) for v in values)
    per_byte = 8 // depth
    out = bytearray()
    for start in range(0, len(values), per_byte):
        byte = 0
        group = list(values[start:start + per_byte])
        for i in range(per_byte):
            byte |= (int(group[i]) if i < len(group) else 0) << (8 - depth * (i + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, above, stride):
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - stride] if i >= stride else 0
        b = above[i]
        c = above[i - stride] if i >= stride else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) % 256)
    return bytes([kind]) + bytes(out)


def encode(stored, colour_type, depth, interlaced, palette=None, split=None, extra=(), first_filter=0):
    """PNG bytes for `stored` (height x width x channels as stored); rows cycle through the filters."""
    height, width, channels = stored.shape
    stride = max(1, channels * depth // 8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    counter = first_filter
    for x0, y0, dx, dy in passes:
        sub = stored[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        above = None
        for row in sub:
            packed = pack_row(row.reshape(-1), depth)
            raw += filter_row(counter % 5, packed, above or bytes(len(packed)), stride)
            counter += 1
            above = packed
    compressed = zlib.compress(bytes(raw), 9)
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 1 if interlaced else 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"gAMA", struct.pack(">I", 45455))
    for kind, data in extra:
        png += chunk(kind, data)
    if palette is not None:
        png += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if split is None:
        png += chunk(b"IDAT", compressed)
    else:
        # An empty IDAT first, then pieces of `split` bytes: readers must join them.
        png += chunk(b"IDAT", b"")
        for start in range(0, len(compressed), split):
            png += chunk(b"IDAT", compressed[start:start + split])
    return png + chunk(b"tEXt", b"Comment\x00after the image data") + chunk(b"IEND", b"")


def expected_samples(stored, colour_type, depth, palette):
    """The codec's form: grey or RGB, alpha dropped, palette expanded, low-depth grey scaled to 8 bits."""
    if colour_type == 3:
        return palette[stored[:, :, 0]].astype(np.uint16), 8
    channels = 1 if colour_type in (0, 4) else 3
    samples = stored[:, :, :channels].astype(np.uint32)
    if depth < 8:
        samples = samples * 255 // (2 ** depth - 1)
    return samples.astype(np.uint16), 16 if depth == 16 else 8


def pillow_samples(png, colour_type, depth):
    """Pillow's decoding in the codec's form, and how it compares with the expected samples.

    Pillow reads 16-bit RGB, RGBA and grey+alpha as 8 bits (the high byte), so those files
    compare as 'high byte'; everything else compares 'exact'.
    """
    image = Image.open(io.BytesIO(png))
    image.load()
    # Pillow warns that a palette with tRNS should become RGBA; the codec drops transparency anyway.
    warnings.filterwarnings("ignore", "Palette images with Transparency")
    if colour_type == 0 and depth == 16:
        return np.array(image, dtype=np.uint16)[:, :, None], "exact"
    if colour_type == 0:
        return np.array(image.convert("L"), dtype=np.uint16)[:, :, None], "exact"
    if colour_type == 4:
        return np.array(image, dtype=np.uint16)[:, :, :1], "high byte" if depth == 16 else "exact"
    return np.array(image.convert("RGB"), dtype=np.uint16), "high byte" if depth == 16 else "exact"


def check_with_pillow(name, png, colour_type, depth, expected):
    decoded, how = pillow_samples(png, colour_type, depth)
    want = expected >> 8 if how == "high byte" else expected
    if decoded.shape != want.shape or not np.array_equal(decoded, want):
        raise SystemExit(f"{name}: Pillow decodes differently from the expected samples")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, png, expected, bit_depth, transparency=False):
        depth, colour_type, interlaced = png[24], png[25], png[28] == 1
        check_with_pillow(name, png, colour_type, depth, expected)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(png)
        height, width, channels = expected.shape
        cases.append({
            "file": name, "width": width, "height": height, "channels": channels, "bitDepth": bit_depth,
            "colorType": colour_type, "sourceBitDepth": depth, "interlaced": interlaced,
            "droppedAlpha": colour_type in (4, 6) or transparency,
            "samples": [int(v) for v in expected.reshape(-1)],
        })

    number = 0
    for colour_type, depths in DEPTHS.items():
        for depth in depths:
            for interlaced in (False, True):
                maximum = 2 ** depth - 1
                palette = None
                extra = []
                if colour_type == 3:
                    entries = min(2 ** depth, 200)
                    palette = rng.integers(0, 256, size=(entries, 3))
                    stored = rng.integers(0, entries, size=(HEIGHT, WIDTH, 1))
                    if number % 2:
                        extra.append((b"tRNS", bytes([0, 128])))
                else:
                    stored = rng.integers(0, maximum + 1, size=(HEIGHT, WIDTH, STORED[colour_type]))
                # Extremes appear in every file.
                stored[0, 0] = 0
                stored[-1, -1] = stored.max() if colour_type == 3 else maximum
                extra.append((b"laBl", b"an unknown ancillary chunk"))
                split = [None, 64, 7][number % 3]
                png = encode(stored, colour_type, depth, interlaced, palette, split, extra, first_filter=number)
                expected, bit_depth = expected_samples(stored, colour_type, depth, palette)
                name = f"type{colour_type}_{depth}bit{'_adam7' if interlaced else ''}.png"
                add(name, png, expected, bit_depth, any(k == b"tRNS" for k, _ in extra))
                number += 1

    # Images smaller than Adam7's 8x8 tile leave passes empty.
    for width, height in [(1, 1), (2, 3), (5, 1)]:
        stored = rng.integers(0, 256, size=(height, width, 3))
        png = encode(stored, 2, 8, True, first_filter=width)
        add(f"type2_8bit_adam7_{width}x{height}.png", png, stored.astype(np.uint16), 8)
        stored = rng.integers(0, 2, size=(height, width, 1))
        png = encode(stored, 0, 1, True, first_filter=height)
        add(f"type0_1bit_adam7_{width}x{height}.png", png, (stored * 255).astype(np.uint16), 8)

    # Pillow's own encoder, for files no code of this project wrote.
    for mode, colour_type, depth in [("L", 0, 8), ("RGB", 2, 8), ("RGBA", 6, 8), ("P", 3, 8), ("I;16", 0, 16)]:
        if mode == "I;16":
            stored = rng.integers(0, 65536, size=(HEIGHT, WIDTH, 1))
            image = Image.fromarray(stored[:, :, 0].astype(np.uint16))
        elif mode == "P":
            stored = rng.integers(0, 16, size=(HEIGHT, WIDTH, 1))
            palette = rng.integers(0, 256, size=(16, 3))
            image = Image.fromarray(stored[:, :, 0].astype(np.uint8)).convert("P")
            image.putpalette(palette.astype(np.uint8).reshape(-1).tolist())
        else:
            stored = rng.integers(0, 256, size=(HEIGHT, WIDTH, STORED[colour_type]))
            image = Image.fromarray(stored.astype(np.uint8).squeeze())
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
        if mode == "P":
            # Pillow may shorten the palette or pack indices; the expectation follows the colours.
            expected = palette[stored[:, :, 0]].astype(np.uint16)
            add("pillow_P.png", png, expected, 8)
            continue
        expected, bit_depth = expected_samples(stored, colour_type, depth, None)
        add("pillow_" + mode.replace(";", "") + ".png", png, expected, bit_depth)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, name)) for name in os.listdir(OUT))
    print(f"{len(cases)} files, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
