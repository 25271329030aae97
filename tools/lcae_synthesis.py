#!/usr/bin/env python3
"""Model files and integer synthesis of the `.lcae` format, written from spec/lcae.md alone.

Chapters 15 and 16: the model file (§15.1-§15.3, every check with its code and offset), the
integer synthesis of §15.4 bit for bit, the latent step of §16.2 and the image hash of §16.3.
It shares no code with the Swift library (Sources/) and was written without reading its
Model/ and Codec/ sources. NumPy is used for the arithmetic; every step is exact integer
arithmetic, reduced as the spec says: sums in int64, each kernel tap's dot product over the
input channels in float64, where it is exact (at most 4096 products of two int16 values,
each below 2^30 in magnitude, so every partial sum is an integer below 2^42 < 2^53).

Library use (tools/lcae_parse.py decodes image streams with it):

    model = lcae_synthesis.read_model(path)          # raises ModelError(code, offset, message)
    samples = lcae_synthesis.synthesize(model, latent, shift, gains, height, width)
    samples = lcae_synthesis.synthesize(..., stats=[])  # also appends each layer's ranges
    digest = lcae_synthesis.image_sha256(samples, model.bit_depth)

Command line (from the repository root):

    python3 tools/lcae_synthesis.py check MODEL.lcaem            # parse, print a summary
    python3 tools/lcae_synthesis.py synth MODEL LATENT.npy --height H --width W \
        [--shift S --gains G [G ...]] [-o SAMPLES.npy]          # print the image hash

Readings where chapter 15 leaves room (the report that came with this file lists them):
  * a signature that differs is badSignature at its first differing byte; a file shorter
    than the 12 bytes of signature and body_size whose bytes match is truncated at its end;
  * `truncated` inside the body is reported at the first byte of the field that does not fit
    (for weights and biases: the first weight);
  * the channel chain of a network (§15.3) is checked after all its layers are read;
  * a table set's kind other than 0 or 1 is badField (every field error is, §15.2).
"""

import argparse
import hashlib
import struct
import sys
import zlib

import numpy as np

MODEL_SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A])
MAX_MODEL_FILE = 2 ** 28
MAX_LAYERS = 64
MAX_TABLE_SETS = 256
MAX_CHANNELS = 4096
MAX_SIZE = 2 ** 20                       # §15.4.3: a layer output dimension
# §12.5.1 at level 3: 4 + C_max x (21 + 16 x S_max).
TABLE_BODY_BOUND = 4 + 4096 * (21 + 16 * 65536)

CONV, CONV_T, RELU = 1, 2, 3
LAYER_NAMES = {CONV: "convolution", CONV_T: "transposed convolution", RELU: "ReLU"}


class ModelError(Exception):
    """A model file that breaks chapter 15: a code of Table 9-1 and a file offset."""

    def __init__(self, code, offset, message):
        super().__init__(message)
        self.code, self.offset, self.message = code, offset, message


class Layer:
    def __init__(self, kind, offset):
        self.kind, self.offset = kind, offset
        self.in_channels = self.out_channels = None
        self.kernel = self.stride = self.pad = self.output_pad = (0, 0)
        self.shift = 0
        self.weights = None             # int64 array, PyTorch order (§15.3)
        self.bias = None                # int64 array

    def describe(self):
        if self.kind == RELU:
            return "ReLU"
        s = (f"{LAYER_NAMES[self.kind]} {self.in_channels}->{self.out_channels} "
             f"k{self.kernel[0]}x{self.kernel[1]} s{self.stride[0]}x{self.stride[1]} "
             f"p{self.pad[0]}x{self.pad[1]}")
        if self.kind == CONV_T:
            s += f" op{self.output_pad[0]}x{self.output_pad[1]}"
        return s + f" shift {self.shift}"


class TableSet:
    def __init__(self, offset, step_q16, kind, compression, sha256, body_size, data, data_offset):
        self.offset, self.step_q16, self.kind = offset, step_q16, kind
        self.compression, self.sha256, self.body_size = compression, sha256, body_size
        self.data, self.data_offset = data, data_offset

    def body(self):
        """The table body (§15.2): inflated and hash-checked when a stream uses the set.
        Raises ModelError(badCompression / badTable) at the set's data."""
        if self.compression == 0:
            body = self.data
        else:
            d = zlib.decompressobj()
            try:
                body = d.decompress(self.data, self.body_size + 1)
            except zlib.error as e:
                raise ModelError("badCompression", self.data_offset,
                                 f"table set data does not inflate: {e} (spec §15.2)")
            if len(body) != self.body_size or not d.eof or d.unused_data:
                raise ModelError("badCompression", self.data_offset,
                                 f"table set data does not inflate to exactly body_size "
                                 f"{self.body_size} bytes (spec §15.2)")
        if hashlib.sha256(body).hexdigest() != self.sha256:
            raise ModelError("badTable", self.data_offset,
                             "table set body does not hash to its table_sha256 (spec §15.2)")
        return bytes(body)


class Model:
    def __init__(self):
        self.sha256 = None              # hex, of the whole file (§15.1)
        self.colour_format = self.bit_depth = self.latent_channels = None
        self.input_fraction_bits = self.output_fraction_bits = None
        self.synthesis = []
        self.analysis = []
        self.table_sets = []

    @property
    def image_channels(self):
        return self.colour_format


class _Reader:
    """Reads body fields with file offsets; `truncated` at the field that does not fit."""

    def __init__(self, data, start, end):
        self.data, self.pos, self.end = data, start, end

    def take(self, size, what):
        if self.end - self.pos < size:
            raise ModelError("truncated", self.pos,
                             f"the model body ends inside {what} (spec §15.2)")
        at = self.pos
        self.pos += size
        return at

    def u8(self, what):
        at = self.take(1, what)
        return self.data[at], at

    def u16(self, what):
        at = self.take(2, what)
        return struct.unpack_from("<H", self.data, at)[0], at

    def u32(self, what):
        at = self.take(4, what)
        return struct.unpack_from("<I", self.data, at)[0], at


def parse_model(data):
    """A model file (§15.1-§15.3) from bytes. Returns Model; raises ModelError."""
    n = len(data)
    if n > MAX_MODEL_FILE:
        raise ModelError("limitExceeded", 0, f"a model file of {n} bytes is above 2^28 (spec §15.1)")
    for i in range(min(8, n)):
        if data[i] != MODEL_SIGNATURE[i]:
            raise ModelError("badSignature", i, "not a model file signature (spec §15.1)")
    if n < 12:
        raise ModelError("truncated", n, f"a model file of {n} bytes ends inside its header "
                         f"(spec §15.1)")
    body_size = struct.unpack_from("<I", data, 8)[0]
    if body_size != n - 16:
        raise ModelError("badChunkLength", 8, f"body_size {body_size} is not the file size less "
                         f"16 ({n - 16}) (spec §15.1)")
    crc_at = 12 + body_size
    stored = struct.unpack_from("<I", data, crc_at)[0]
    if zlib.crc32(data[12:crc_at]) != stored:
        raise ModelError("crcMismatch", crc_at, "model body CRC mismatch (spec §15.1)")
    m = Model()
    m.sha256 = hashlib.sha256(data).hexdigest()
    r = _Reader(data, 12, crc_at)

    def bad(at, msg, code="badField"):
        raise ModelError(code, at, msg)

    v, at = r.u16("model_version")
    if v != 1:
        bad(at, f"model_version {v}: this reader reads version 1 (spec §15.2)", "unsupportedVersion")
    cf, at = r.u8("colour_format")
    if cf not in (1, 3):
        bad(at, f"colour_format {cf} is not 1 (grey) or 3 (RGB) (spec §15.2)")
    m.colour_format = cf
    bd, at = r.u8("bit_depth")
    if bd not in (8, 16):
        bad(at, f"bit_depth {bd} is not 8 or 16 (spec §15.2)")
    m.bit_depth = bd
    c, at = r.u16("latent_channels")
    if not 1 <= c <= MAX_CHANNELS:
        bad(at, f"latent_channels {c} is not in 1...4096 (spec §15.2)")
    m.latent_channels = c
    fi, at = r.u8("input_fraction_bits")
    if fi > 15:
        bad(at, f"input_fraction_bits {fi} is above 15 (spec §15.2)")
    m.input_fraction_bits = fi
    fo, at = r.u8("output_fraction_bits")
    if fo > 15:
        bad(at, f"output_fraction_bits {fo} is above 15 (spec §15.2)")
    m.output_fraction_bits = fo
    m.synthesis = _network(r, "synthesis", c, cf, allow_empty=False)
    m.analysis = _network(r, "analysis", cf, c, allow_empty=True)
    count, at = r.u16("table_set_count")
    if count > MAX_TABLE_SETS:
        bad(at, f"table_set_count {count} is above 256 (spec §15.2)", "limitExceeded")
    for j in range(count):
        start = r.pos
        step, at = r.u32("step_q16")
        if step < 1:
            bad(at, f"table set {j}: step_q16 is 0 (spec §15.2)")
        kind, at = r.u8("kind")
        if kind not in (0, 1):
            bad(at, f"table set {j}: kind {kind} is not 0 or 1 (spec §15.2)")
        comp, at = r.u8("compression")
        if comp not in (0, 1):
            bad(at, f"table set {j}: compression {comp} is not 0 or 1 (spec §15.2)")
        at = r.take(32, "table_sha256")
        sha = bytes(data[at:at + 32]).hex()
        size, at = r.u32("body_size")
        if size > TABLE_BODY_BOUND:
            bad(at, f"table set {j}: body_size {size} is above {TABLE_BODY_BOUND} (spec §15.2)",
                "limitExceeded")
        dsize, at = r.u32("data_size")
        if comp == 0 and dsize != size:
            bad(at, f"table set {j}: data_size {dsize} is not body_size {size} (spec §15.2)")
        at = r.take(dsize, "table set data")
        m.table_sets.append(TableSet(start, step, kind, comp, sha, size,
                                     bytes(data[at:at + dsize]), at))
    if r.pos != crc_at:
        bad(r.pos, f"{crc_at - r.pos} bytes after the last table set (spec §15.2)", "trailingData")
    return m


def _network(r, name, cin, cout, allow_empty):
    count, count_at = r.u8(f"{name}_layer_count")
    if count > MAX_LAYERS:
        raise ModelError("limitExceeded", count_at,
                         f"{name}_layer_count {count} is above 64 (spec §15.2)")
    layers = [_layer(r, name, i) for i in range(count)]
    if count == 0 and allow_empty:
        return layers
    convs = [x for x in layers if x.kind != RELU]
    chain = cin
    ok = bool(convs)
    for x in convs:
        if x.in_channels != chain:
            ok = False
        chain = x.out_channels
    if not ok or chain != cout:
        raise ModelError("badField", count_at,
                         f"the {name} layers do not chain {cin} -> {cout} channels, or have no "
                         f"convolution (spec §15.3)")
    return layers


def _layer(r, name, i):
    kind, at = r.u8(f"{name} layer {i} kind")
    if kind not in LAYER_NAMES:
        raise ModelError("badField", at, f"{name} layer {i}: kind {kind} (spec §15.3)")
    layer = Layer(kind, at)
    if kind == RELU:
        return layer
    ci, at = r.u16("in_channels")
    if not 1 <= ci <= MAX_CHANNELS:
        raise ModelError("badField", at, f"{name} layer {i}: in_channels {ci} (spec §15.3)")
    co, at = r.u16("out_channels")
    if not 1 <= co <= MAX_CHANNELS:
        raise ModelError("badField", at, f"{name} layer {i}: out_channels {co} (spec §15.3)")
    at = r.take(9, "the layer's u8 fields")
    kh, kw, sy, sx, py, px, oy, ox, shift = r.data[at:at + 9]
    problems = []
    if not (1 <= kh <= 64 and 1 <= kw <= 64):
        problems.append(f"kernel {kh}x{kw} not in 1...64")
    if not (1 <= sy <= 64 and 1 <= sx <= 64):
        problems.append(f"stride {sy}x{sx} not in 1...64")
    if not (py < kh and px < kw):
        problems.append(f"padding {py}x{px} not below the kernel")
    if kind == CONV and (oy or ox):
        problems.append("output padding of a convolution")
    if kind == CONV_T and not (oy < sy and ox < sx):
        problems.append(f"output padding {oy}x{ox} not below the stride")
    if shift > 31:
        problems.append(f"shift {shift} above 31")
    if problems:
        raise ModelError("badField", at, f"{name} layer {i}: " + "; ".join(problems) +
                         " (spec §15.3)")
    layer.in_channels, layer.out_channels = ci, co
    layer.kernel, layer.stride, layer.pad = (kh, kw), (sy, sx), (py, px)
    layer.output_pad, layer.shift = (oy, ox), shift
    count = ci * co * kh * kw
    need = 2 * count + 4 * co
    if r.end - r.pos < need:
        raise ModelError("truncated", r.pos, f"{name} layer {i}: the file is too short for "
                         f"{count} weights and {co} biases (spec §15.3)")
    w = np.frombuffer(r.data, dtype="<i2", count=count, offset=r.pos).astype(np.int64)
    r.pos += 2 * count
    b = np.frombuffer(r.data, dtype="<i4", count=co, offset=r.pos).astype(np.int64)
    r.pos += 4 * co
    layer.weights = w.reshape((co, ci, kh, kw) if kind == CONV else (ci, co, kh, kw))
    layer.bias = b
    return layer


def read_model(path):
    import os
    size = os.path.getsize(path)
    if size > MAX_MODEL_FILE:
        raise ModelError("limitExceeded", 0, f"a model file of {size} bytes is above 2^28 "
                         f"(spec §15.1)")
    with open(path, "rb") as f:
        return parse_model(f.read())


# ---------------------------------------------------------------------------
# Synthesis (§15.4)
# ---------------------------------------------------------------------------

def round_shift(v, s):
    """§15.4: round half up, an arithmetic shift; v an int64 array."""
    if s == 0:
        return v
    return (v + (1 << (s - 1))) >> s


def sat16(v):
    return np.clip(v, -32768, 32767)


def wrap32(v):
    """A sum taken modulo 2^32, read as a two's-complement i32 (§15.4.2)."""
    return ((v + 2 ** 31) & 0xFFFFFFFF) - 2 ** 31


def layer_size(layer, h, w):
    """§15.4.2 output size; None when a dimension is below 1 or above 2^20 (§15.4.3)."""
    if layer.kind == RELU:
        return h, w
    (kh, kw), (sy, sx), (py, px), (oy, ox) = layer.kernel, layer.stride, layer.pad, layer.output_pad
    if layer.kind == CONV:
        if h + 2 * py < kh or w + 2 * px < kw:
            return None
        ho, wo = (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1
    else:
        ho, wo = (h - 1) * sy - 2 * py + kh + oy, (w - 1) * sx - 2 * px + kw + ox
    if not (1 <= ho <= MAX_SIZE and 1 <= wo <= MAX_SIZE):
        return None
    return ho, wo


def output_size(model, h, w):
    """§15.4.3: the synthesis output size of an h x w latent, or None."""
    for layer in model.synthesis:
        size = layer_size(layer, h, w)
        if size is None:
            return None
        h, w = size
    return h, w


def tap(weights, x, axes):
    """One kernel tap's dot product over the input channels, exact (see the module's docstring)."""
    return np.tensordot(weights.astype(np.float64), x, axes=axes).astype(np.int64)


def conv(layer, x):
    """The exact sum bias + Σ weight × input of every output (§15.4.2), before its reduction
    modulo 2^32: the reduction commutes with the sum, so the caller takes it once."""
    ci, h, w = x.shape
    (kh, kw), (sy, sx), (py, px) = layer.kernel, layer.stride, layer.pad
    ho, wo = layer_size(layer, h, w)
    xp = np.zeros((ci, h + 2 * py + kh, w + 2 * px + kw), dtype=np.float64)
    xp[:, py:py + h, px:px + w] = x
    acc = np.zeros((layer.out_channels, ho, wo), dtype=np.int64)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky:ky + sy * (ho - 1) + 1:sy, kx:kx + sx * (wo - 1) + 1:sx]
            acc += tap(layer.weights[:, :, ky, kx], patch, (1, 0))
    return acc + layer.bias[:, None, None]


def conv_transposed(layer, x):
    """As conv, for a transposed convolution."""
    ci, h, w = x.shape
    (kh, kw), (sy, sx), (py, px), (oy, ox) = layer.kernel, layer.stride, layer.pad, layer.output_pad
    ho, wo = layer_size(layer, h, w)
    # full[o, y*sy + ky, x*sx + kx] collects the terms; output row Y is full row Y + pad.
    fh, fw = (h - 1) * sy + kh + oy, (w - 1) * sx + kw + ox
    full = np.zeros((layer.out_channels, fh, fw), dtype=np.int64)
    xf = x.astype(np.float64)
    for ky in range(kh):
        for kx in range(kw):
            full[:, ky:ky + sy * (h - 1) + 1:sy, kx:kx + sx * (w - 1) + 1:sx] += tap(layer.weights[:, :, ky, kx], xf, (0, 0))
    return full[:, py:py + ho, px:px + wo] + layer.bias[:, None, None]


def synthesis_input(latent, shift, gains):
    """§15.4.1: x0 = sat16(round_shift(y x g_k, s)), exact in 64 bits."""
    y = np.asarray(latent, dtype=np.int64)
    g = np.asarray(gains, dtype=np.int64)
    if g.size == 1:
        g = np.full(y.shape[0], int(g.reshape(-1)[0]), dtype=np.int64)
    return sat16(round_shift(y * g[:, None, None], shift))


def run_synthesis(model, x, stats=None):
    """§15.4.2 layer by layer. With a list as stats, appends for each convolution the largest
    |exact sum| (an accumulator wraps when it exceeds 2^31 − 1 or is below −2^31), whether any
    wrapped, and the largest |value| after the shift, before saturation at 32767."""
    for layer in model.synthesis:
        if layer.kind == RELU:
            x = np.maximum(x, 0)
            continue
        acc = conv(layer, x) if layer.kind == CONV else conv_transposed(layer, x)
        wrapped = wrap32(acc)
        shifted = round_shift(wrapped, layer.shift)
        if stats is not None:
            stats.append({"sum": int(np.abs(acc).max(initial=0)), "wrapped": bool((wrapped != acc).any()),
                          "shifted": int(np.abs(shifted).max(initial=0))})
        x = sat16(shifted)
    return x


def synthesize(model, latent, shift, gains, height, width, stats=None):
    """§15.4: samples (height, width, Cimg) as uint8 or uint16 from an int32 latent C x H x W.
    The caller has checked the size (§15.4.3, §16.1). stats: as for run_synthesis."""
    y = run_synthesis(model, synthesis_input(latent, shift, gains), stats)
    s = round_shift(y, model.output_fraction_bits)
    s = np.clip(s, 0, (1 << model.bit_depth) - 1)[:, :height, :width]
    dtype = np.uint8 if model.bit_depth == 8 else np.dtype("<u2")
    return np.ascontiguousarray(s.transpose(1, 2, 0)).astype(dtype)


def default_step(model):
    """§16.2: without STEP, shift 0 and every gain 2^F_in."""
    return 0, [1 << model.input_fraction_bits]


def image_sha256(samples):
    """§16.3: SHA-256 of the samples in row, column, channel order (16-bit little-endian)."""
    return hashlib.sha256(np.ascontiguousarray(samples).tobytes()).hexdigest()


# ---------------------------------------------------------------------------
# Writing model files (for the conformance corpus; the layout of §15.1-§15.3)
# ---------------------------------------------------------------------------

def layer_bytes(kind, weights=None, bias=None, stride=(1, 1), pad=(0, 0), output_pad=(0, 0),
                shift=0):
    if kind == RELU:
        return bytes([RELU])
    w = np.asarray(weights)
    if kind == CONV:
        co, ci, kh, kw = w.shape
    else:
        ci, co, kh, kw = w.shape
    out = struct.pack("<BHH9B", kind, ci, co, kh, kw, stride[0], stride[1], pad[0], pad[1],
                      output_pad[0], output_pad[1], shift)
    return out + w.astype("<i2").tobytes() + np.asarray(bias).astype("<i4").tobytes()


def table_set_bytes(body, step_q16, kind, compression):
    data = zlib.compress(body, 9) if compression else body
    return (struct.pack("<IBB", step_q16, kind, compression) + hashlib.sha256(body).digest()
            + struct.pack("<II", len(body), len(data)) + data)


def model_bytes(colour_format, bit_depth, latent_channels, fin, fout, synthesis, analysis=(),
                table_sets=()):
    body = struct.pack("<HBBHBB", 1, colour_format, bit_depth, latent_channels, fin, fout)
    body += bytes([len(synthesis)]) + b"".join(synthesis)
    body += bytes([len(analysis)]) + b"".join(analysis)
    body += struct.pack("<H", len(table_sets)) + b"".join(table_sets)
    return model_file(body)


def model_file(body):
    return (MODEL_SIGNATURE + struct.pack("<I", len(body)) + body
            + struct.pack("<I", zlib.crc32(body)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="parse a model file (§15.1-§15.3)")
    c.add_argument("model")
    s = sub.add_parser("synth", help="synthesise an image from a latent .npy (§15.4)")
    s.add_argument("model")
    s.add_argument("latent")
    s.add_argument("--height", type=int, required=True)
    s.add_argument("--width", type=int, required=True)
    s.add_argument("--shift", type=int)
    s.add_argument("--gains", type=int, nargs="+")
    s.add_argument("-o", "--output")
    args = ap.parse_args(argv)
    try:
        model = read_model(args.model)
    except ModelError as e:
        print(f"error: {e.code} at byte {e.offset}: {e.message}", file=sys.stderr)
        return 2
    if args.command == "check":
        print(f"{args.model}: sha256 {model.sha256}, colour_format {model.colour_format}, "
              f"bit_depth {model.bit_depth}, {model.latent_channels} latent channels, "
              f"F_in {model.input_fraction_bits}, F_out {model.output_fraction_bits}, "
              f"{len(model.table_sets)} table sets")
        for x in model.synthesis:
            print("  synthesis: " + x.describe())
        for x in model.analysis:
            print("  analysis: " + x.describe())
        return 0
    latent = np.load(args.latent).astype(np.int64)
    shift, gains = default_step(model)
    if args.shift is not None:
        shift = args.shift
    if args.gains:
        gains = args.gains
    size = output_size(model, latent.shape[1], latent.shape[2])
    if size is None or size[0] < args.height or size[1] < args.width:
        print(f"error: badField: the synthesis output {size} does not cover "
              f"{args.height} x {args.width} (spec §15.4.3)", file=sys.stderr)
        return 2
    samples = synthesize(model, latent, shift, gains, args.height, args.width)
    if args.output:
        np.save(args.output, samples)
    print(image_sha256(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
