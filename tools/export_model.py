#!/usr/bin/env python3
"""Export a float synthesis/analysis network to an LCAE model file (.lcaem, spec/lcae.md chapter 15).

Written from the spec alone. A network is a list of layers, each a convolution ("conv"), a
transposed convolution ("convT") or a ReLU ("relu"), with float weights in PyTorch's layout
(conv: [out][in][ky][kx], convT: [in][out][ky][kx]) and float biases. The synthesis takes
the latent at step 1 (what the analysis outputs, §15.6) and gives samples in sample units
(0…255 for 8 bits); the analysis takes samples in sample units.

Quantization (power-of-two quantizers, no zero point):
  - every tensor t gets fraction bits F_t: the largest F ≤ 15 with headroom × peak × 2^F ≤ 32767,
    peak = the largest |value| the float network produces on the calibration latents
    (before the ReLU for a convolution's output); F_in is the input's, F_out the output's;
  - every (transposed) convolution gets weight fraction bits q: the largest with
    max|w| × 2^q ≤ 32767, lowered if needed so that the shift q + F_in(layer) − F_out(layer)
    is at most 31 and the calibrated accumulator (with headroom) and the bias fit in an i32;
    weights round(w × 2^q), bias round(b × 2^(q + F_in(layer)));
  - analysis layers (run in floating point by encoders, §15.6) get q the same way and
    shift = q.
The exporter then runs the integer synthesis of §15.4 exactly (sums modulo 2^32,
round_shift, sat16) on the calibration latents and reports its PSNR against the float
network. Table sets come from `lcae fit` on the integer latents round(y / step).

Commands (from the repository root):
  python3 tools/export_model.py export --weights NET.npz --latents Y.npy... [--steps 26.2 68.6]
                                       [--colour rgb|grey] [--factorized] -o M.lcaem
  python3 tools/export_model.py verify --model M.lcaem --stream X.lcae --png X.png
  python3 tools/export_model.py demo -o /tmp/demo.lcaem

NET.npz holds, for NET = synthesis and (optionally) analysis: "NET.layers", a JSON list of
{"kind": "conv"|"convT"|"relu", "stride": [sy, sx], "padding": [py, px],
"output_padding": [oy, ox]}, and "NET.<i>.weight", "NET.<i>.bias" for layer i (the naming of
a torch.nn.Sequential state_dict); save_npz() writes it. Y.npy are float latents at step 1,
(C, H, W) or (N, C, H, W) (or an .npz holding them as "latents"): the calibration data and the table sets' training data.

verify decodes the stream's latent with `lcae decode-latents`, runs this script's integer
synthesis of the model file on it and compares the samples with the PNG `lcae decode` wrote.
demo fits a small nonlinear model on samples/images in numpy (no PyTorch), exports it, and
checks it end to end with the lcae CLI. Library use: see docs/models.md. Needs numpy;
Pillow for verify and demo; torch only if you call from_torch().
"""

import argparse
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass

# The matrices here are small: BLAS threads cost more than they gain (5x slower on 2 vCPUs).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

MODEL_SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A])
TABLE_SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x54, 0x0D, 0x0A, 0x1A, 0x0A])
STREAM_SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A])
KIND_CODES = {"conv": 1, "convT": 2, "relu": 3}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}
COLOURS = {"grey": 1, "rgb": 3}
CONTEXTS, FACTORIZED = 0, 1  # table set kinds (§15.2)
INT16_MAX = 32767
INT32_MAX = 2**31 - 1
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The default models' quality ladder (spec §15.7): table sets at Δ_j = 10 · 2^(j/2), j = 0 … 11,
# from quality 100 down to below quality 1; tools/train_cae.py trains at these steps.
LADDER = [10 * 2 ** (j / 2) for j in range(12)]


@dataclass
class Layer:
    """One layer. Float networks hold float weights; quantized ones int16 weights, int32 bias and a shift."""

    kind: str
    weight: np.ndarray = None
    bias: np.ndarray = None
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    output_padding: tuple = (0, 0)
    shift: int = 0

    def channels(self):
        """(in_channels, out_channels) of a (transposed) convolution."""
        i, o = self.weight.shape[:2]
        return (o, i) if self.kind == "conv" else (i, o)


# ---------------------------------------------------------------------------------------------
# Building networks: from torch, from .npz


def from_torch(module):
    """A float network from a torch.nn.Sequential of Conv2d, ConvTranspose2d and ReLU."""
    layers = []
    for m in module:
        name = type(m).__name__
        if name == "ReLU":
            layers.append(Layer("relu"))
            continue
        if name not in ("Conv2d", "ConvTranspose2d"):
            raise ValueError(f"{name}: only Conv2d, ConvTranspose2d and ReLU have an integer form (spec §15.3)")
        if m.groups != 1 or tuple(m.dilation) != (1, 1) or m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise ValueError(f"{name}: groups, dilation, padding modes other than zeros and string padding are not in §15.3")
        weight = m.weight.detach().cpu().double().numpy()
        out_channels = weight.shape[0] if name == "Conv2d" else weight.shape[1]
        bias = m.bias.detach().cpu().double().numpy() if m.bias is not None else np.zeros(out_channels)
        layers.append(Layer("conv" if name == "Conv2d" else "convT", weight, bias, tuple(m.stride), tuple(m.padding),
                            tuple(m.output_padding) if name == "ConvTranspose2d" else (0, 0)))
    return layers


def save_npz(path, dtype=np.float64, **networks):
    """Write float networks (e.g. synthesis=..., analysis=...) in the layout `export --weights`
    reads, their weights and biases as dtype."""
    arrays = {}
    for net, layers in networks.items():
        arrays[f"{net}.layers"] = np.array(json.dumps([
            {"kind": l.kind} if l.kind == "relu" else
            {"kind": l.kind, "stride": list(l.stride), "padding": list(l.padding), "output_padding": list(l.output_padding)}
            for l in layers]))
        for i, l in enumerate(layers):
            if l.kind != "relu":
                arrays[f"{net}.{i}.weight"] = np.asarray(l.weight, dtype)
                arrays[f"{net}.{i}.bias"] = np.asarray(l.bias, dtype)
    np.savez(path, **arrays)


def load_npz(path, net):
    """The float network `net` of an .npz written by save_npz (None if absent)."""
    data = np.load(path)
    if f"{net}.layers" not in data:
        return None
    layers = []
    for i, spec in enumerate(json.loads(str(data[f"{net}.layers"]))):
        if spec["kind"] == "relu":
            layers.append(Layer("relu"))
        else:
            layers.append(Layer(spec["kind"], data[f"{net}.{i}.weight"].astype(np.float64),
                                data[f"{net}.{i}.bias"].astype(np.float64), tuple(spec.get("stride", (1, 1))),
                                tuple(spec.get("padding", (0, 0))), tuple(spec.get("output_padding", (0, 0)))))
    return layers


# ITU-R BT.601 luma: what a grey model derived from an RGB one outputs.
LUMA = (0.299, 0.587, 0.114)


def grey_from_rgb(analysis, synthesis):
    """The grey networks derived from RGB ones: a grey image is R = G = B, so the first analysis
    layer sums its weights over the colours; the grey output is the luma of the RGB output, a
    linear map folded into the last synthesis layer."""
    import copy
    a, s = copy.deepcopy(analysis), copy.deepcopy(synthesis)
    a[0].weight = a[0].weight.sum(axis=1, keepdims=True)
    luma = np.asarray(LUMA)
    s[-1].weight = (s[-1].weight * luma.reshape(1, 3, 1, 1)).sum(axis=1, keepdims=True)
    s[-1].bias = np.asarray([float((s[-1].bias * luma).sum())])
    return a, s


def rescale(layers, input_scale=1.0, output_scale=1.0):
    """Fold a network's input and output scaling into its weights: a network trained on samples / 255
    becomes one on samples with input_scale=1/255 (analysis) or output_scale=255 (synthesis)."""
    convs = [i for i, l in enumerate(layers) if l.kind != "relu"]
    out = [Layer(l.kind, l.weight, l.bias, l.stride, l.padding, l.output_padding) for l in layers]
    out[convs[0]].weight = out[convs[0]].weight * input_scale
    out[convs[-1]].weight = out[convs[-1]].weight * output_scale
    out[convs[-1]].bias = out[convs[-1]].bias * output_scale
    return out


# ---------------------------------------------------------------------------------------------
# Layers in numpy: float (batched, with gradients for the demo) and integer (§15.4)


def output_size(layer, h, w):
    """§15.4.2: the output height and width of a layer."""
    if layer.kind == "relu":
        return h, w
    kh, kw = layer.weight.shape[2:]
    (sy, sx), (py, px) = layer.stride, layer.padding
    if layer.kind == "conv":
        return (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1
    oy, ox = layer.output_padding
    return (h - 1) * sy - 2 * py + kh + oy, (w - 1) * sx - 2 * px + kw + ox


def tap(x, w):
    """Σ_i w[i, o] x[n, i, y, x] for a (N, I, H, W) input: (N, O, H, W)."""
    return np.moveaxis(np.tensordot(x, w, axes=([1], [0])), 3, 1)


def conv_sum(layer, x, weight, bias):
    """bias + Σ weight × input of a (transposed) convolution over a batch (N, I, H, W), in x's dtype.
    Positions outside the input count as 0 (§15.4.2)."""
    n, _, h, w = x.shape
    kh, kw = weight.shape[2:]
    (sy, sx), (py, px) = layer.stride, layer.padding
    ho, wo = output_size(layer, h, w)
    if layer.kind == "conv":
        padded = np.zeros((n, x.shape[1], h + 2 * py, w + 2 * px), x.dtype)
        padded[:, :, py:py + h, px:px + w] = x
        acc = np.zeros((n, weight.shape[0], ho, wo), x.dtype)
        for ky in range(kh):
            for kx in range(kw):
                acc += tap(padded[:, :, ky:ky + (ho - 1) * sy + 1:sy, kx:kx + (wo - 1) * sx + 1:sx], weight[:, :, ky, kx].T)
        return acc + bias.reshape(1, -1, 1, 1)
    # Transposed: input (y, x) and tap (ky, kx) land on (y·sy + ky − py, x·sx + kx − px).
    full = np.zeros((n, weight.shape[1], max((h - 1) * sy + kh, ho + py), max((w - 1) * sx + kw, wo + px)), x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            full[:, :, ky:ky + (h - 1) * sy + 1:sy, kx:kx + (w - 1) * sx + 1:sx] += tap(x, weight[:, :, ky, kx])
    return full[:, :, py:py + ho, px:px + wo] + bias.reshape(1, -1, 1, 1)


def conv_t_backward(layer, x, grad, input_grad=True):
    """Gradients (weight, bias, input or None) of a float transposed convolution, for the demo's training."""
    n, _, h, w = x.shape
    kh, kw = layer.weight.shape[2:]
    (sy, sx), (py, px) = layer.stride, layer.padding
    ho, wo = grad.shape[2:]
    full = np.zeros((n, grad.shape[1], max((h - 1) * sy + kh, ho + py), max((w - 1) * sx + kw, wo + px)))
    full[:, :, py:py + ho, px:px + wo] = grad
    gw = np.zeros_like(layer.weight)
    gx = np.zeros_like(x) if input_grad else None
    for ky in range(kh):
        for kx in range(kw):
            g = full[:, :, ky:ky + (h - 1) * sy + 1:sy, kx:kx + (w - 1) * sx + 1:sx]
            gw[:, :, ky, kx] = np.tensordot(x, g, axes=([0, 2, 3], [0, 2, 3]))
            if input_grad:
                gx += tap(g, layer.weight[:, :, ky, kx].T)
    return gw, grad.sum(axis=(0, 2, 3)), gx


def float_forward(layers, x, keep=False):
    """The float network on a batch (N, C, H, W); with keep, also every layer's output (pre-ReLU ones included)."""
    outputs = []
    for layer in layers:
        x = np.maximum(x, 0) if layer.kind == "relu" else conv_sum(layer, x, layer.weight, layer.bias)
        outputs.append(x)
    return (x, outputs) if keep else x


def round_shift(v, s):
    """§15.4: ⌊(v + 2^(s−1)) / 2^s⌋, v as int64."""
    return v if s == 0 else (v + (1 << (s - 1))) >> s


def sat16(v):
    return np.clip(v, -32768, 32767)


def wrap32(v):
    """An exact int64 sum read modulo 2^32 as a two's-complement i32 (§15.4.2)."""
    return ((v + 2**31) & 0xFFFFFFFF) - 2**31


def synthesis_input(latent, shift, gains):
    """§15.4.1: x0 = sat16(round_shift(ŷ × g_k, s)), exact in 64 bits."""
    g = np.asarray(gains, np.int64).reshape(-1, 1, 1)
    return sat16(round_shift(latent.astype(np.int64) * g, shift))


def integer_synthesis(layers, x0):
    """§15.4.2 bit for bit on one (C, H, W) int16-valued tensor (held as int64)."""
    x = x0[None].astype(np.int64)
    for layer in layers:
        if layer.kind == "relu":
            x = np.maximum(x, 0)
        else:
            acc = wrap32(conv_sum(layer, x, layer.weight.astype(np.int64), layer.bias.astype(np.int64)))
            x = sat16(round_shift(acc, layer.shift))
    return x[0]


def samples(y, output_fraction_bits, bit_depth, height, width):
    """§15.4.4: the last layer's output as (height, width, channels) samples."""
    s = np.clip(round_shift(y.astype(np.int64), output_fraction_bits), 0, 2**bit_depth - 1)
    return np.moveaxis(s[:, :height, :width], 0, 2)


def latent_step(step, input_fraction_bits):
    """§16.2's reference choice: gain ≈ step × 2^(F_in + shift), the largest shift ≤ 31 with gain < 2^24."""
    scaled = step * 2**input_fraction_bits
    shift = 0
    while shift < 31 and scaled * 2**(shift + 1) < 2**24:
        shift += 1
    return shift, max(1, round(scaled * 2**shift))


def quantize_latent(y, step):
    """round(y / step), ties away from zero: the integer latent an encoder codes."""
    v = y / step
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int32)


def analysis_float(layers, image):
    """§15.6: the analysis of an (H, W, C) image (already padded, see pad_for_synthesis) in float64 with
    the quantized weights, each convolution computing (bias + Σ weight × input) / 2^shift."""
    x = np.moveaxis(image.astype(np.float64), 2, 0)[None]
    for layer in layers:
        x = np.maximum(x, 0) if layer.kind == "relu" else \
            conv_sum(layer, x, layer.weight.astype(np.float64), layer.bias.astype(np.float64)) / 2.0**layer.shift
    return x[0]


def pad_for_synthesis(image, synthesis):
    """The image padded to the synthesis output size of the smallest latent that covers it, by
    repeating its last row and column (§15.6)."""
    def smallest(target, axis):
        n = 1
        while True:
            size = (n, 1) if axis == 0 else (1, n)
            for layer in synthesis:
                size = output_size(layer, *size)
            if size[axis] >= target:
                return size[axis]
            n += 1
    rows = np.minimum(np.arange(smallest(image.shape[0], 0)), image.shape[0] - 1)
    cols = np.minimum(np.arange(smallest(image.shape[1], 1)), image.shape[1] - 1)
    return image[rows][:, cols]


# ---------------------------------------------------------------------------------------------
# Quantization


def fraction_bits(peak, headroom):
    """The largest F ≤ 15 with headroom × peak × 2^F ≤ 32767."""
    if peak <= 0:
        return 15
    return min(15, math.floor(math.log2(INT16_MAX / (headroom * peak))))


def weight_bits(weight):
    """The largest q with max|w| × 2^q ≤ 32767 (31 for an all-zero tensor)."""
    peak = float(np.abs(weight).max())
    return 31 if peak == 0 else math.floor(math.log2(INT16_MAX / peak))


def quantize_synthesis(layers, calibration, headroom=2.0):
    """Integer synthesis layers, F_in, F_out and a per-layer report, from float layers and calibration
    latents (a list of (C, H, W) float arrays in latent units at step 1, i.e. ŷ × step)."""
    peaks = [0.0] * len(layers)
    input_peak = 0.0
    for y in calibration:
        _, outputs = float_forward(layers, y[None].astype(np.float64), keep=True)
        input_peak = max(input_peak, float(np.abs(y).max()))
        peaks = [max(p, float(np.abs(o).max())) for p, o in zip(peaks, outputs)]
    f_in = fraction_bits(input_peak, headroom)
    if f_in < 0:
        raise ValueError(f"latent values up to {input_peak:.0f} do not fit int16 even without fraction bits; "
                         "scale the latent down (fold the factor into the analysis' last and the synthesis' first layer)")
    f = f_in
    out, report = [], []
    last = max(i for i, l in enumerate(layers) if l.kind != "relu")
    for i, layer in enumerate(layers):
        if layer.kind == "relu":
            out.append(Layer("relu"))
            continue
        target = fraction_bits(peaks[i], headroom)
        if i == last and target < 0:
            raise ValueError(f"output values up to {peaks[i]:.0f} do not fit int16")
        q = min(weight_bits(layer.weight), 31 - f + target)
        if peaks[i] > 0:  # the calibrated accumulator, with headroom, fits in an i32
            q = min(q, math.floor(math.log2(INT32_MAX / (headroom * peaks[i]))) - f)
        bias_peak = float(np.abs(layer.bias).max())
        if bias_peak > 0:
            q = min(q, math.floor(math.log2(INT32_MAX / bias_peak)) - f)
        target = min(target, q + f)  # shift ≥ 0: weights cannot be scaled up past int16
        weight = np.rint(layer.weight * 2.0**q).astype(np.int16)
        bias = np.rint(layer.bias * 2.0**(q + f)).astype(np.int32)
        out.append(Layer(layer.kind, weight, bias, layer.stride, layer.padding, layer.output_padding, q + f - target))
        report.append({"layer": i, "kind": layer.kind, "weight_bits": q, "in_bits": f, "out_bits": target,
                       "shift": q + f - target, "peak": peaks[i]})
        f = target
    return out, f_in, f, report


def quantize_analysis(layers):
    """Integer analysis layers (run in float by encoders, §15.6): shift = q, the weight fraction bits."""
    out = []
    for layer in layers:
        if layer.kind == "relu":
            out.append(Layer("relu"))
            continue
        q = min(31, weight_bits(layer.weight))
        bias_peak = float(np.abs(layer.bias).max())
        if bias_peak > 0:
            q = min(q, math.floor(math.log2(INT32_MAX / bias_peak)))
        if q < 0:
            raise ValueError("an analysis layer's weights or bias are too large for int16 / int32 with shift 0")
        out.append(Layer(layer.kind, np.rint(layer.weight * 2.0**q).astype(np.int16),
                         np.rint(layer.bias * 2.0**q).astype(np.int32), layer.stride, layer.padding, layer.output_padding, q))
    return out


def check_integer(float_layers, int_layers, f_in, f_out, latents, steps, bit_depth=8):
    """Integer synthesis (§15.4) against the float network on latents quantized at each step: for
    each step, (PSNR of the integer samples against the rounded float samples, max |difference|)."""
    top = 2**bit_depth - 1
    results = []
    for step in steps:
        shift, gain = latent_step(step, f_in)
        diffs, errors = [], 0.0
        count = 0
        for y in latents:
            q = quantize_latent(y, step)
            reference = np.clip(np.rint(float_forward(float_layers, (q * (gain / 2.0**(shift + f_in)))[None])[0]), 0, top)
            got = np.moveaxis(samples(integer_synthesis(int_layers, synthesis_input(q, shift, [gain])), f_out, bit_depth,
                                      *reference.shape[1:]), 2, 0)
            errors += float(np.sum((got - reference) ** 2))
            count += got.size
            diffs.append(int(np.abs(got - reference).max()))
        mse = errors / count
        results.append((step, math.inf if mse == 0 else 10 * math.log10(top * top / mse), max(diffs)))
    return results


# ---------------------------------------------------------------------------------------------
# Files: model (§15.1–15.3), table file (§12.2.1), stream chunks (§5.1)


def check_network(layers, inputs, outputs, name):
    """§15.3's chaining and field rules, before writing."""
    if len(layers) > 64:
        raise ValueError(f"{name}: {len(layers)} layers, at most 64")
    channels = inputs
    convs = 0
    for i, layer in enumerate(layers):
        if layer.kind == "relu":
            continue
        convs += 1
        c_in, c_out = layer.channels()
        kh, kw = layer.weight.shape[2:]
        if c_in != channels:
            raise ValueError(f"{name} layer {i}: {c_in} input channels after {channels}")
        if not (1 <= c_out <= 4096 and 1 <= kh <= 64 and 1 <= kw <= 64 and all(1 <= s <= 64 for s in layer.stride)):
            raise ValueError(f"{name} layer {i}: channels, kernel or stride out of §15.3's range")
        if not (layer.padding[0] < kh and layer.padding[1] < kw):
            raise ValueError(f"{name} layer {i}: padding must be below the kernel size (§15.3)")
        allowed = layer.stride if layer.kind == "convT" else (1, 1)
        if not all(0 <= p < a for p, a in zip(layer.output_padding, allowed)):
            raise ValueError(f"{name} layer {i}: output padding must be 0 (conv) or below the stride (convT)")
        if not 0 <= layer.shift <= 31:
            raise ValueError(f"{name} layer {i}: shift {layer.shift} outside 0…31")
        channels = c_out
    if convs == 0 or channels != outputs:
        raise ValueError(f"{name}: must have a convolution and end with {outputs} channels, not {channels}")


def layer_bytes(layer):
    if layer.kind == "relu":
        return bytes([KIND_CODES["relu"]])
    c_in, c_out = layer.channels()
    kh, kw = layer.weight.shape[2:]
    return (struct.pack("<BHHBBBBBBBBB", KIND_CODES[layer.kind], c_in, c_out, kh, kw, *layer.stride, *layer.padding,
                        *layer.output_padding, layer.shift)
            + layer.weight.astype("<i2").tobytes() + layer.bias.astype("<i4").tobytes())


def model_bytes(colour, bit_depth, latent_channels, f_in, f_out, synthesis, analysis, table_sets):
    """A model file (§15.1). table_sets: (step, kind, table body) triples; bodies are stored deflated
    when that is smaller."""
    image_channels = 3 if colour == COLOURS["rgb"] else 1
    check_network(synthesis, latent_channels, image_channels, "synthesis")
    if analysis:
        check_network(analysis, image_channels, latent_channels, "analysis")
    if not (0 <= f_in <= 15 and 0 <= f_out <= 15 and len(table_sets) <= 256):
        raise ValueError("fraction bits above 15 or more than 256 table sets")
    body = struct.pack("<HBBHBB", 1, colour, bit_depth, latent_channels, f_in, f_out)
    body += bytes([len(synthesis)]) + b"".join(layer_bytes(l) for l in synthesis)
    body += bytes([len(analysis)]) + b"".join(layer_bytes(l) for l in analysis)
    body += struct.pack("<H", len(table_sets))
    for step, kind, table in table_sets:
        deflated = zlib.compress(table, 9)
        compression, data = (1, deflated) if len(deflated) < len(table) else (0, table)
        body += struct.pack("<IBB", round(step * 65536), kind, compression) + hashlib.sha256(table).digest()
        body += struct.pack("<II", len(table), len(data)) + data
    return MODEL_SIGNATURE + struct.pack("<I", len(body)) + body + struct.pack("<I", zlib.crc32(body))


class Reader:
    def __init__(self, data, offset):
        self.data, self.offset = data, offset

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype, count):
        a = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += a.nbytes
        return a


def read_model(data):
    """Parse a model file (§15.1–15.3) into a dict; raises ValueError on the checks this tool relies on."""
    if data[:8] != MODEL_SIGNATURE:
        raise ValueError("not a model file (signature)")
    (size,) = struct.unpack_from("<I", data, 8)
    if size != len(data) - 16 or struct.unpack_from("<I", data, 12 + size)[0] != zlib.crc32(data[12:12 + size]):
        raise ValueError("model body size or CRC mismatch")
    r = Reader(data[:12 + size], 12)
    version, colour, bit_depth, channels, f_in, f_out = r.take("<HBBHBB")
    if version != 1:
        raise ValueError(f"model_version {version}")

    def network():
        layers = []
        for _ in range(r.take("<B")):
            kind = KIND_NAMES.get(r.take("<B"))
            if kind is None:
                raise ValueError("unknown layer kind")
            if kind == "relu":
                layers.append(Layer("relu"))
                continue
            c_in, c_out, kh, kw, sy, sx, py, px, oy, ox, shift = r.take("<HHBBBBBBBBB")
            shape = (c_out, c_in, kh, kw) if kind == "conv" else (c_in, c_out, kh, kw)
            weight = r.array("<i2", c_in * c_out * kh * kw).reshape(shape)
            layers.append(Layer(kind, weight, r.array("<i4", c_out), (sy, sx), (py, px), (oy, ox), shift))
        return layers

    model = {"colour": colour, "bit_depth": bit_depth, "latent_channels": channels, "input_fraction_bits": f_in,
             "output_fraction_bits": f_out, "synthesis": network(), "analysis": network(), "table_sets": []}
    for _ in range(r.take("<H")):
        step_q16, kind, compression = r.take("<IBB")
        sha = r.data[r.offset:r.offset + 32]
        r.offset += 32
        body_size, data_size = r.take("<II")
        table = r.data[r.offset:r.offset + data_size]
        r.offset += data_size
        table = zlib.decompress(table) if compression == 1 else table
        if len(table) != body_size or hashlib.sha256(table).digest() != sha:
            raise ValueError("a table set's body does not match its size or SHA-256")
        model["table_sets"].append({"step": step_q16 / 65536, "kind": kind, "body": table})
    if r.offset != len(r.data):
        raise ValueError("trailing bytes after the table sets")
    return model


def table_file_bytes(body):
    return TABLE_SIGNATURE + struct.pack("<I", len(body)) + body + struct.pack("<I", zlib.crc32(body))


def table_body(data):
    """The body of a table file (§12.2.1)."""
    (size,) = struct.unpack_from("<I", data, 8) if data[:8] == TABLE_SIGNATURE else (None,)
    if size is None or size != len(data) - 16 or struct.unpack_from("<I", data, 12 + size)[0] != zlib.crc32(data[12:12 + size]):
        raise ValueError("not a valid table file")
    return data[12:12 + size]


def step_chunk(stream):
    """(shift, gains) of an image stream's STEP chunk (§16.2), walking the chunks of §5.1; None without one."""
    if stream[:9] != STREAM_SIGNATURE:
        raise ValueError("not an .lcae stream")
    offset = 9
    while offset + 8 <= len(stream):
        length, kind = struct.unpack_from("<I4s", stream, offset)
        payload = stream[offset + 8:offset + 8 + length]
        if kind == b"STEP":
            _, shift, count = struct.unpack_from("<BBH", payload)
            return shift, list(struct.unpack_from(f"<{count}I", payload, 4))
        offset += 12 + length
    return None


# ---------------------------------------------------------------------------------------------
# Table sets with lcae fit


def find_lcae(path):
    path = path or os.path.join(REPO, ".build", "release", "lcae")
    if not os.access(path, os.X_OK):
        raise SystemExit(f"{path}: no lcae binary (build it with `swift build -c release`, or give --lcae)")
    return path


def fit_table_sets(latents, steps, lcae, kinds=(CONTEXTS,), log=print, generalization=0.0):
    """Table sets (step, kind, body) from float latents at step 1 (a list of (C, H, W) arrays), by
    `lcae fit` on round(y / step) at each step; kind 1 uses `lcae fit --factorized`; a positive
    generalization adds `lcae fit`'s smooth prior (spec §12.8)."""
    sets = []
    with tempfile.TemporaryDirectory() as tmp:
        for step in steps:
            paths = []
            for j, y in enumerate(latents):
                paths.append(os.path.join(tmp, f"y{j}.npy"))
                np.save(paths[-1], quantize_latent(y, step))
            for kind in kinds:
                out = os.path.join(tmp, "t.tbl")
                extra = ["--factorized"] if kind == FACTORIZED else []
                if generalization:
                    extra += ["--generalization", repr(generalization)]
                result = subprocess.run([lcae, "fit", *paths, "-o", out, *extra], capture_output=True, text=True, check=True)
                log(f"  step {step:.2f}, {'factorized' if kind == FACTORIZED else 'contexts'}: "
                    + result.stdout.strip().splitlines()[1])
                with open(out, "rb") as f:
                    sets.append((step, kind, table_body(f.read())))
    return sets


def export(synthesis, analysis, latents, colour="rgb", bit_depth=8, steps=(), kinds=(CONTEXTS,), lcae=None,
           headroom=2.0, log=print, calibration_count=None, check_count=None, generalization=0.0):
    """The whole export: quantize (calibrating on the first calibration_count latents, all by
    default, at step 1 and at each step), check the integer synthesis against the float one on
    the first check_count of them (all calibration latents by default; 0 skips the check), fit
    table sets on all latents, and return the model file's bytes."""
    chosen = list(latents)[:calibration_count]
    calibration = chosen + [quantize_latent(y, s) * s for s in steps for y in chosen]
    int_synthesis, f_in, f_out, report = quantize_synthesis(synthesis, calibration, headroom)
    log(f"synthesis: F_in {f_in}, F_out {f_out}")
    for r in report:
        log(f"  layer {r['layer']} {r['kind']}: peak |output| {r['peak']:.1f}, weight bits {r['weight_bits']}, "
            f"fraction bits {r['in_bits']} -> {r['out_bits']}, shift {r['shift']}")
    checked = chosen[:check_count]
    for step, value, diff in check_integer(synthesis, int_synthesis, f_in, f_out, checked, sorted({1.0, *steps}), bit_depth) if checked else []:
        log(f"  integer vs float synthesis at step {step:.2f}: PSNR {value:.2f} dB, max |difference| {diff}")
    int_analysis = quantize_analysis(analysis) if analysis else []
    table_sets = fit_table_sets(latents, steps, find_lcae(lcae), kinds, log, generalization) if steps else []
    channels = int_synthesis[next(i for i, l in enumerate(int_synthesis) if l.kind != "relu")].channels()[0]
    return model_bytes(COLOURS[colour], bit_depth, channels, f_in, f_out, int_synthesis, int_analysis, table_sets)


# ---------------------------------------------------------------------------------------------
# verify: the lcae decoder against this script's synthesis


def verify(model_path, stream_path, png_path, lcae, log=print):
    """Decode the stream's latent with lcae, synthesise it here (§15.4) from the model file, compare with
    the PNG lcae decode wrote. Returns the number of differing samples."""
    from PIL import Image

    with open(model_path, "rb") as f:
        model = read_model(f.read())
    with open(stream_path, "rb") as f:
        stream = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        tables = []
        for j, t in enumerate(model["table_sets"]):
            tables += ["--tables", os.path.join(tmp, f"t{j}.tbl")]
            with open(tables[-1], "wb") as f:
                f.write(table_file_bytes(t["body"]))
        out = os.path.join(tmp, "y.npy")
        subprocess.run([lcae, "decode-latents", stream_path, "-o", out, *tables], check=True, capture_output=True)
        latent = np.load(out)
    shift, gains = step_chunk(stream) or (0, [2**model["input_fraction_bits"]])
    decoded = np.array(Image.open(png_path))
    decoded = decoded[:, :, None] if decoded.ndim == 2 else decoded
    y = integer_synthesis(model["synthesis"], synthesis_input(latent, shift, gains))
    mine = samples(y, model["output_fraction_bits"], model["bit_depth"], *decoded.shape[:2])
    differing = int(np.count_nonzero(mine != decoded))
    log(f"verify: latent {'x'.join(map(str, latent.shape))}, STEP shift {shift} gain(s) {gains[:4]}; "
        f"{differing} of {decoded.size} samples differ between lcae decode and this script's §15.4 synthesis")
    return differing


# ---------------------------------------------------------------------------------------------
# demo: a small nonlinear model fitted in numpy


def load_images():
    from PIL import Image

    images = []
    for name in sorted(os.listdir(os.path.join(REPO, "samples", "images"))):
        if name.endswith(".png"):
            im = np.array(Image.open(os.path.join(REPO, "samples", "images", name)).convert("RGB"), np.float64)
            images.append((name, im))
    return images


def pca_analysis(images, block):
    """A linear analysis: the eigenvectors of block×block×3 patches (PyTorch order: colour, row, column),
    centred on the per-colour mean, as one convolution with kernel = stride = block."""
    patches, means = [], np.zeros(3)
    for _, im in images:
        h, w = im.shape[0] // block * block, im.shape[1] // block * block
        p = im[:h, :w].reshape(h // block, block, w // block, block, 3).transpose(0, 2, 4, 1, 3).reshape(-1, 3 * block * block)
        patches.append(p)
    patches = np.concatenate(patches)
    means = patches.reshape(len(patches), 3, -1).mean(axis=(0, 2))
    centred = patches - np.repeat(means, block * block)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(centred))
    vectors = vectors[:, ::-1]
    vectors *= np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    weight = vectors.T.reshape(-1, 3, block, block)
    bias = -(vectors.T @ np.repeat(means, block * block))
    return Layer("conv", weight, bias, (block, block)), vectors, means


def demo_synthesis(vectors, means, block, extra, rng):
    """convT (C → 2·12 + extra, kernel = stride = block/2) + ReLU + convT (→ 3, kernel 4, stride 2, padding 1),
    initialised to equal the linear PCA synthesis: the first layer gives each 2×2×3 sub-block value v as
    the pair (v, −v), the second adds relu(v) − relu(−v) = v back at its pixel, plus the mean."""
    c = vectors.shape[1]
    half = block // 2
    v = vectors.reshape(3, half, 2, half, 2, c)  # colour, ky, dy, kx, dx, latent channel
    w1 = np.zeros((c, 24 + extra, half, half))
    w2 = np.zeros((24 + extra, 3, 4, 4))
    for colour in range(3):
        for dy in range(2):
            for dx in range(2):
                j = (colour * 2 + dy) * 2 + dx
                w1[:, 2 * j] = v[colour, :, dy, :, dx].transpose(2, 0, 1)
                w1[:, 2 * j + 1] = -w1[:, 2 * j]
                w2[2 * j, colour, 1 + dy, 1 + dx] = 1
                w2[2 * j + 1, colour, 1 + dy, 1 + dx] = -1
    w1[:, 24:] = rng.normal(0, 0.02, (c, extra, half, half))
    return [Layer("convT", w1, np.zeros(24 + extra), (half, half)), Layer("relu"),
            Layer("convT", w2, means.copy(), (2, 2), (1, 1))]


def train_demo(layers, latents, images, steps, iterations, rng, log):
    """Adam on the squared error of the synthesis of quantized latents (ŷ × step, the step drawn from
    steps) against the image, on random 10×10-latent crops scored on their inner 8×8."""
    first, _, second = layers
    params = [first.weight, first.bias, second.weight, second.bias]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    scale = first.stride[0] * second.stride[0]
    crop, border, batch, rate = 10, 1, 16, 1e-3
    for it in range(1, iterations + 1):
        xs, targets = [], []
        for _ in range(batch):
            j = rng.integers(len(images))
            y, im = latents[j], images[j][1]
            r = rng.integers(0, min(y.shape[1], im.shape[0] // scale) - crop + 1)
            c = rng.integers(0, min(y.shape[2], im.shape[1] // scale) - crop + 1)
            step = steps[rng.integers(len(steps))]
            xs.append(quantize_latent(y[:, r:r + crop, c:c + crop], step) * step)
            inner = im[(r + border) * scale:(r + crop - border) * scale, (c + border) * scale:(c + crop - border) * scale]
            targets.append(np.moveaxis(inner, 2, 0))
        x, target = np.stack(xs), np.stack(targets)
        z = conv_sum(first, x, first.weight, first.bias)
        a = np.maximum(z, 0)
        out = conv_sum(second, a, second.weight, second.bias)
        inner = out[:, :, border * scale:-border * scale, border * scale:-border * scale]
        grad = np.zeros_like(out)
        grad[:, :, border * scale:-border * scale, border * scale:-border * scale] = 2 * (inner - target) / inner.size
        gw2, gb2, ga = conv_t_backward(second, a, grad)
        gw1, gb1, _ = conv_t_backward(first, x, ga * (z > 0), input_grad=False)
        for p, g, (m, s) in zip(params, [gw1, gb1, gw2, gb2], moments):
            m *= 0.9
            m += 0.1 * g
            s *= 0.999
            s += 0.001 * g * g
            p -= rate * (m / (1 - 0.9**it)) / (np.sqrt(s / (1 - 0.999**it)) + 1e-8)
        if it == 1 or it % 100 == 0:
            log(f"  iteration {it}: crop PSNR {10 * math.log10(255**2 / float(np.mean((inner - target) ** 2))):.2f} dB")


def float_psnr(layers, latents, images, step):
    """PSNR of the float synthesis of the latents quantized at step, over all images."""
    errors, count = 0.0, 0
    for y, (_, im) in zip(latents, images):
        out = float_forward(layers, (quantize_latent(y, step) * step)[None])[0]
        out = np.moveaxis(np.clip(np.rint(out), 0, 255), 0, 2)[:im.shape[0], :im.shape[1]]
        errors += float(np.sum((out - im) ** 2))
        count += im.size
    return 10 * math.log10(255**2 / (errors / count))


def run_json(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def demo(args):
    log = print
    start = time.time()
    lcae = find_lcae(args.lcae)
    rng = np.random.default_rng(args.seed)
    images = load_images()
    block = 8
    analysis_layer, vectors, means = pca_analysis(images, block)
    analysis = quantize_analysis([analysis_layer])
    synthesis = demo_synthesis(vectors, means, block, args.extra_channels, rng)
    log(f"demo: analysis conv 3->{vectors.shape[1]} kernel=stride={block} (PCA of {block}x{block}x3 blocks of "
        f"{len(images)} images); synthesis convT {vectors.shape[1]}->{synthesis[0].weight.shape[1]} kernel=stride={block // 2}, "
        f"ReLU, convT ->3 kernel 4 stride 2 padding 1")
    # The latents as an encoder computes them (§15.6): padded images through the quantized analysis.
    latents = [analysis_float(analysis, pad_for_synthesis(im, synthesis)) for _, im in images]
    steps = [10 * 2 ** ((100 - q) / 18) for q in args.qualities]
    before = [float_psnr(synthesis, latents, images, s) for s in steps]
    t = time.time()
    train_demo(synthesis, latents, images, steps, args.iterations, rng, log)
    after = [float_psnr(synthesis, latents, images, s) for s in steps]
    log(f"trained {args.iterations} iterations in {time.time() - t:.1f} s")
    for s, b, a in zip(steps, before, after):
        log(f"  float synthesis over the {len(images)} images at step {s:.2f}: PSNR {b:.2f} dB linear (initial), {a:.2f} dB trained")

    model = export(synthesis, [analysis_layer], latents, "rgb", 8, steps, (CONTEXTS,), lcae, args.headroom, log)
    with open(args.output, "wb") as f:
        f.write(model)
    log(f"wrote {args.output}: {len(model)} bytes, sha256 {hashlib.sha256(model).hexdigest()}")

    # End to end with the lcae CLI.
    png = os.path.join(REPO, "samples", "images", args.image)
    with tempfile.TemporaryDirectory() as tmp:
        for q in args.qualities:
            stream, decoded = os.path.join(tmp, "x.lcae"), os.path.join(tmp, "x.png")
            enc = run_json([lcae, "encode", png, "--model", args.output, "-o", stream, "--quality", str(q), "--json"])
            dec = subprocess.run([lcae, "decode", stream, "--model", args.output, "-o", decoded],
                                 capture_output=True, text=True, check=True).stdout.strip()
            default = run_json([lcae, "encode", png, "-o", os.path.join(tmp, "d.lcae"), "--quality", str(q), "--json"])
            log(f"{args.image} quality {q} (step {enc['step']:.2f}): {enc['bytes']} bytes, {enc['bits_per_pixel']:.4f} bpp, "
                f"PSNR {enc['psnr']:.2f} dB; default model: {default['bits_per_pixel']:.4f} bpp, PSNR {default['psnr']:.2f} dB")
            log(f"  lcae decode: {dec.split(': ', 1)[1]}")
            differing = verify(args.output, stream, decoded, lcae, log)
            if differing:
                raise SystemExit("the lcae decoder and this script's §15.4 synthesis disagree")
    log(f"demo done in {time.time() - start:.1f} s")


# ---------------------------------------------------------------------------------------------
# CLI


def load_latents(paths):
    latents = []
    for path in paths:
        a = np.load(path)
        a = (a["latents"] if isinstance(a, np.lib.npyio.NpzFile) else a).astype(np.float64)
        latents += list(a) if a.ndim == 4 else [a]
    return latents


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("export", help="quantize a float network from .npz and write a model file")
    p.add_argument("--weights", required=True, help=".npz with synthesis (and optionally analysis) layers, see save_npz()")
    p.add_argument("--latents", nargs="+", required=True, help="float latents at step 1 (.npy, (C,H,W) or (N,C,H,W))")
    p.add_argument("--steps", type=float, nargs="*", default=[], help="latent steps to fit table sets at (lcae fit)")
    p.add_argument("--factorized", action="store_true", help="also fit factorized table sets (kind 1)")
    p.add_argument("--colour", choices=COLOURS, default="rgb")
    p.add_argument("--bit-depth", type=int, choices=(8, 16), default=8)
    p.add_argument("--headroom", type=float, default=2.0, help="activation fraction bits leave this factor above the calibrated peak")
    p.add_argument("--calibration", type=int, help="calibrate on the first N latents only (default: all)")
    p.add_argument("--check", type=int, help="check the integer synthesis on the first N calibration latents (0: skip)")
    p.add_argument("--generalization", type=float, default=0.0, help="lcae fit --generalization for the table sets")
    p.add_argument("--lcae", help="lcae binary (default .build/release/lcae)")
    p.add_argument("-o", "--output", required=True)

    p = sub.add_parser("verify", help="compare lcae decode's PNG with this script's integer synthesis of the stream's latent")
    p.add_argument("--model", required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--png", required=True, help="what `lcae decode STREAM --model MODEL` wrote")
    p.add_argument("--lcae")

    p = sub.add_parser("demo", help="fit a small nonlinear model on samples/images in numpy, export it, encode and decode")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--extra-channels", type=int, default=8, help="hidden channels beyond the 24 of the linear initialisation")
    p.add_argument("--qualities", type=int, nargs="+", default=[75, 50], help="table sets at these qualities' steps")
    p.add_argument("--image", default="chelsea.png")
    p.add_argument("--headroom", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lcae")

    args = parser.parse_args(argv)
    if args.command == "export":
        synthesis = load_npz(args.weights, "synthesis")
        if synthesis is None:
            raise SystemExit(f"{args.weights}: no synthesis.layers")
        kinds = (CONTEXTS, FACTORIZED) if args.factorized else (CONTEXTS,)
        model = export(synthesis, load_npz(args.weights, "analysis"), load_latents(args.latents), args.colour, args.bit_depth,
                       args.steps, kinds, args.lcae, args.headroom, calibration_count=args.calibration, check_count=args.check,
                       generalization=args.generalization)
        with open(args.output, "wb") as f:
            f.write(model)
        print(f"wrote {args.output}: {len(model)} bytes, sha256 {hashlib.sha256(model).hexdigest()}")
    elif args.command == "verify":
        sys.exit(1 if verify(args.model, args.stream, args.png, find_lcae(args.lcae)) else 0)
    else:
        demo(args)


if __name__ == "__main__":
    main()
