#!/usr/bin/env python3
"""Train the default model: a ReLU convolutional auto-encoder with a factorized prior.

    python3 tools/train_cae.py train [--hours H] [--ckpt tools/cae/checkpoint.pt]   # resumes
    python3 tools/train_cae.py train --init linear --channels 96 192 ...            # a new run
    python3 tools/train_cae.py train --colour grey --init rgb --channels 96 192 ... # grey, from RGB
    python3 tools/train_cae.py bench [--channels N M] [--patch P] [--batch B]         # steps/s
    python3 tools/train_cae.py weights [--ckpt C] [-o tools/cae]   # for make_default_models.py
    python3 tools/train_cae.py compare [--colour grey] [--log L]   # validations against JPEG, WebP
    python3 tools/train_cae.py start --channels N M              # linear_init's PSNR, untrained

The network is the Base of "Low-complexity learned image coding" (Ballé et al.'s fully
factorized model with ReLU in place of GDN): analysis 4 × conv 5×5 stride 2 (N, N, N, M
channels), synthesis 4 × transposed conv 5×5 stride 2 (N, N, N, 3), ReLU between layers.

One network serves every quality. The encoder quantizes the latent y at a step Δ that
`--quality` sets (Quality.step in Sources/LCAE/Codec/Quality.swift: Δ = 10 at quality 100,
doubling every 18 points), and the table sets are fitted at the ladder Δ_j = 10 · 2^(j/2),
j = 0…11. Training draws one ladder step per batch and minimises

    bits / pixels + D / λ(Δ),    λ(Δ) = 0.1155 Δ²  (Quality.lambda, squared 8-bit units per bit)

with D the squared error summed over the three colours, per pixel, in 8-bit sample units:
the same trade-off the encoder's RDOQ makes at that step. The loss is written L = (D + λ(Δ) ·
bits / pixels) / LOSS_SCALE, which has the same minimum, so that the distortion's gradients
weigh the same at every step (otherwise the finest steps, with λ a thousand times smaller
than the coarsest, dominate the optimiser's normalisation); --loss log minimises log L, so
that the coarse steps, whose L is several times larger, do not dominate either. The rate is
the factorized density of y/Δ (one density per ladder step, with uniform noise), the distortion is that of
the rounded latent (straight-through gradient). Internally the network sees samples / 255 −
0.5 and a latent y / LATENT_SCALE; `weights` folds these scales into the first and last
layers, so the exported analysis takes 8-bit samples and outputs the latent at step 1
(spec §15.6) and the synthesis outputs 8-bit samples.

A new run starts from PyTorch's random initialisation or (--init linear) from a
principal-component transform that the ReLU networks compute exactly (linear_init), with the
densities fitted to it before the networks train (fit_densities); docs/training.md says why.
A grey model (--colour grey: one input and one output channel, trained on the crops' rounded
BT.601 luma, D three times the squared error of that one channel, as if R = G = B) starts from
the RGB model's networks, derived for grey images (grey_from_rgb), and has its own checkpoint
and log.

Data: tools/cae/data/{train,valid}.npy from tools/make_training_set.py (uint8 crops).
Every --checkpoint-minutes the script writes the checkpoint (weights, densities, optimiser,
step, elapsed time) atomically, so it resumes where it stopped; every --valid-every steps it
appends validation PSNR and bits per pixel at four ladder steps to LOG (JSON lines).
Uses a GPU when torch sees one, the CPU cores otherwise.
"""

import argparse
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_model  # noqa: E402
from export_model import LADDER  # noqa: E402  (the steps the exported table sets are fitted at)

CAE = os.path.join(HERE, "cae")
LATENT_SCALE = 26.0  # exported latent = LATENT_SCALE × internal latent: quality 75 ≈ internal step 1
LOSS_SCALE = 100.0


def lam(step):
    return 0.1155 * step * step


def loss_of(bpp, d, j):
    return (d + lam(LADDER[j]) * bpp) / LOSS_SCALE


class FactorizedDensity(nn.Module):
    """A per-channel density, the non-parametric cumulative of Ballé et al. 2018 (filters 3, 3, 3)."""

    def __init__(self, channels, filters=(3, 3, 3), init_scale=10.0):
        super().__init__()
        dims = (1,) + tuple(filters) + (1,)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices, self.biases, self.factors = nn.ParameterList(), nn.ParameterList(), nn.ParameterList()
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.empty(channels, dims[i + 1], 1).uniform_(-0.5, 0.5)))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def logits(self, x):  # x: (C, 1, n) → cumulative logits (C, 1, n)
        for i, matrix in enumerate(self.matrices):
            x = torch.matmul(F.softplus(matrix), x) + self.biases[i]
            if i < len(self.factors):
                x = x + torch.tanh(self.factors[i]) * torch.tanh(x)
        return x

    def likelihood(self, y):  # y: (B, C, H, W)
        c = y.shape[1]
        v = y.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lower, upper = self.logits(v - 0.5), self.logits(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        p = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        return p.clamp_min(1e-9).reshape(c, y.shape[0], y.shape[2], y.shape[3]).permute(1, 0, 2, 3)


def analysis(n, m, colours=3):
    return nn.Sequential(
        nn.Conv2d(colours, n, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(n, n, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(n, n, 5, 2, 2), nn.ReLU(),
        nn.Conv2d(n, m, 5, 2, 2))


def synthesis(n, m, colours=3):
    return nn.Sequential(
        nn.ConvTranspose2d(m, n, 5, 2, 2, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(n, n, 5, 2, 2, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(n, n, 5, 2, 2, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(n, colours, 5, 2, 2, output_padding=1))


class AutoEncoder(nn.Module):
    def __init__(self, n, m, colours=3):
        super().__init__()
        self.n, self.m = n, m
        self.analysis, self.synthesis = analysis(n, m, colours), synthesis(n, m, colours)
        self.densities = nn.ModuleList(FactorizedDensity(m) for _ in LADDER)

    def forward(self, x01, j, noise=True, bf16=False):
        """Returns (bits per pixel, D per pixel in squared 8-bit units summed over colours, x̂01).
        A grey model's D counts its one sample three times, as an RGB model's D counts a grey
        image (R = G = B): the trade-off at each step stays the one the RGB model it starts from
        was trained for, so every quality codes a grey image about as finely as an RGB one.
        With bf16 the convolutions run in bfloat16 (1.6 times faster on two cores with
        AVX-512 BF16); the densities, the rounding and the distortion stay in float32."""
        delta = LADDER[j] / LATENT_SCALE
        y = self.latent(x01, j, bf16)
        rounded = y + (torch.round(y) - y).detach()
        bits = self.bits(y, j, noise)
        pixels = x01.shape[0] * x01.shape[2] * x01.shape[3]
        with torch.autocast(x01.device.type, dtype=torch.bfloat16, enabled=bf16):
            x_hat = self.synthesis(rounded * delta)
        x_hat = x_hat.float() + 0.5
        d = ((x_hat - x01) * 255).pow(2).sum() / pixels * (3 / x01.shape[1])
        return bits / pixels, d, x_hat

    def latent(self, x01, j, bf16=False):
        """The analysis of x01 in units of ladder step j, float32."""
        with torch.autocast(x01.device.type, dtype=torch.bfloat16, enabled=bf16):
            y = self.analysis(x01 - 0.5)
        return y.float() / (LADDER[j] / LATENT_SCALE)

    def bits(self, y, j, noise=True):
        """The bits of latent y under density j: of y plus uniform noise, or of y rounded."""
        rate_input = y + torch.empty_like(y).uniform_(-0.5, 0.5) if noise else torch.round(y)
        return -torch.log2(self.densities[j].likelihood(rate_input)).sum()

    def macs_per_pixel(self):
        total = 0
        for net, scale in ((self.analysis, 1.0), (self.synthesis, 1 / 256)):
            for layer in net:
                if isinstance(layer, nn.Conv2d):
                    scale /= 4  # stride 2: a quarter of the input's positions
                    total += scale * layer.in_channels * layer.out_channels * 25
                elif isinstance(layer, nn.ConvTranspose2d):
                    total += scale * layer.in_channels * layer.out_channels * 25
                    scale *= 4
        return total


def nested_order(blocks, depth):
    """(n, 2^depth, 2^depth, 3) blocks → (n, 3·4^depth) vectors, ordered as the stride-2 layers
    gather them: the outermost 2 × 2 split slowest, then the next, down to the colour."""
    n = blocks.shape[0]
    b = blocks.reshape((n,) + (2,) * (2 * depth) + (3,))
    perm = [0]
    for i in range(depth):
        perm += [1 + i, 1 + depth + i]
    return b.transpose(perm + [1 + 2 * depth]).reshape(n, -1)


def principal(vectors, k):
    """The k leading eigenvectors of the second-moment matrix, (dims, k)."""
    values, vecs = np.linalg.eigh(vectors.T @ vectors / len(vectors))
    return vecs[:, np.argsort(values)[::-1][:k]]


def linear_init(model, crops, rng, blocks=40000):
    """Starts the network at a two-level principal-component transform that its ReLU layers
    compute exactly: a value v passes a ReLU as the pair (v, −v) and the next layer takes
    relu(v) − relu(−v). The analysis keeps 2 × 2 × 3 and 4 × 4 × 3 pixels losslessly, projects
    each 8 × 8 × 3 block on its N/2 leading components and each 2 × 2 group of those on its M
    leading components, scaled so that the exported latent at step 1 is the orthonormal
    coefficient in 8-bit units (the scale at which λ(Δ) = 0.1155 Δ² is the high-rate slope of a
    step Δ). The synthesis is the transpose. From a random start the ReLU network learns slowly
    on these two cores (26 dB after 61,000 steps); this start is a 30 dB (M = 128) to 33 dB
    (M = 192) transform on the validation crops before any training. Channels the transform
    does not use start small and random so that training can give them nonlinear work."""
    n, m = model.n, model.m
    k3 = n // 2
    if n < 96 or m > 4 * k3:
        raise SystemExit(f"--init linear needs N ≥ 96 and M ≤ 2N, not N={n} M={m}")
    picks = rng.integers(0, len(crops), 400)
    x = crops[picks].astype(np.float64) / 255 - 0.5
    size = crops.shape[1] // 16 * 16
    x = x[:, :size, :size].reshape(-1, size // 16, 16, size // 16, 16, 3).transpose(0, 1, 3, 2, 4, 5)
    b16 = x.reshape(-1, 16, 16, 3)[rng.permutation(len(picks) * (size // 16) ** 2)[:blocks]]
    v3 = nested_order(b16.reshape(-1, 2, 8, 2, 8, 3).transpose(0, 1, 3, 2, 4, 5).reshape(-1, 8, 8, 3), 3)
    p3 = principal(v3, k3)                                   # (4·48, k3): 8×8×3 → k3
    p4 = principal((v3 @ p3).reshape(-1, 4 * k3), m)         # (4·k3, M)
    gain = 255 / LATENT_SCALE
    taps = [(0, 0), (0, 1), (1, 0), (1, 1)]  # stride 2, padding 2: output 2q + d uses tap 2 + d
    a = [l for l in model.analysis if not isinstance(l, nn.ReLU)]
    s = [l for l in model.synthesis if not isinstance(l, nn.ReLU)]
    w = [np.zeros(tuple(l.weight.shape)) for l in a + s]
    for weight, unused in ((w[0], np.s_[24:]), (w[1], np.s_[96:]), (w[5], np.s_[:, 96:]), (w[6], np.s_[:, 24:])):
        weight[unused] = rng.normal(0, 0.01, weight[unused].shape)
    for d, (dy, dx) in enumerate(taps):
        ty, tx = 2 + dy, 2 + dx
        for c in range(3):  # a[0]: pixels → ±(2×2×3); s[3] the reverse
            k = 3 * d + c
            w[0][k, c, ty, tx], w[0][12 + k, c, ty, tx] = 1, -1
            w[7][k, c, ty, tx], w[7][12 + k, c, ty, tx] = 1, -1
        for k in range(12):  # a[1]: ±(2×2×3) → ±(4×4×3); s[2] the reverse
            i = 12 * d + k
            for sign, wide, narrow in ((1, 0, 0), (-1, 48, 12)):  # the +v and −v channels
                w[1][wide + i, k, ty, tx], w[1][wide + i, 12 + k, ty, tx] = sign, -sign
                w[6][i, narrow + k, ty, tx], w[6][48 + i, narrow + k, ty, tx] = sign, -sign
        block3 = p3[48 * d:48 * (d + 1)]                        # (48, k3)
        block4 = p4[k3 * d:k3 * (d + 1)]                        # (k3, M)
        for sign, wide, narrow in ((1, 0, 0), (-1, 48, k3)):  # a[2], s[1]: ±(4×4×3) ↔ ±(k3 components)
            w[2][narrow:narrow + k3, :48, ty, tx] = sign * block3.T
            w[2][narrow:narrow + k3, 48:96, ty, tx] = -sign * block3.T
            w[5][:k3, wide:wide + 48, ty, tx] = sign * block3.T
            w[5][k3:2 * k3, wide:wide + 48, ty, tx] = -sign * block3.T
        w[3][:, :k3, ty, tx], w[3][:, k3:2 * k3, ty, tx] = gain * block4.T, -gain * block4.T
        w[4][:, :k3, ty, tx], w[4][:, k3:2 * k3, ty, tx] = block4.T / gain, -block4.T / gain
    with torch.no_grad():
        for layer, weight in zip(a + s, w):
            layer.weight.copy_(torch.from_numpy(weight))
            layer.bias.zero_()


def device(bf16=False):
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    native = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    if bf16 and dev.type == "cpu" and not native():
        # Without AVX-512 BF16 oneDNN emulates bfloat16: on an AVX2-only EPYC (session 12) a grey
        # N = 96, M = 192 step took 4.96 s against 0.44 s in float32.
        print("warning: this CPU has no AVX-512 BF16, so --bf16 is emulated and slower than float32 "
              "(about 11 times, docs/training.md); leave it out", file=sys.stderr)
    return dev


def load_crops(name, colour="rgb"):
    """The crops as uint8 (n, h, w, colours); grey: the rounded BT.601 luma of the RGB crops."""
    path = os.path.join(CAE, "data", f"{name}.npy")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run python3 tools/make_training_set.py first")
    crops = np.load(path)
    if colour == "grey":
        crops = np.rint(crops @ np.asarray(export_model.LUMA))[..., None].astype(np.uint8)
    return crops


def colours(colour):
    return 1 if colour == "grey" else 3


def paths(args):
    """The checkpoint and log of args.colour's run unless --ckpt or --log names others."""
    suffix = "-grey" if args.colour == "grey" else ""
    ckpt = getattr(args, "ckpt", None) or os.path.join(CAE, f"checkpoint{suffix}.pt")
    log = getattr(args, "log", None) or os.path.join(CAE, f"train-log{suffix}.jsonl")
    return ckpt, log


def copy_layers(modules, layers):
    """Sets torch modules' weights and biases to those of export_model layers (in torch's
    layout), in each module's dtype."""
    for module, layer in zip(modules, layers):
        if layer.kind != "relu":
            module.weight.data = torch.from_numpy(layer.weight).to(module.weight.dtype)
            module.bias.data = torch.from_numpy(layer.bias).to(module.bias.dtype)


def grey_from_rgb(grey, rgb):
    """Starts grey's networks at the RGB model's networks derived for grey images
    (export_model.grey_from_rgb) and its densities at the RGB model's."""
    a, s = export_model.grey_from_rgb(export_model.from_torch(rgb.analysis), export_model.from_torch(rgb.synthesis))
    copy_layers(list(grey.analysis) + list(grey.synthesis), a + s)
    grey.densities.load_state_dict(rgb.densities.state_dict())


def batch(crops, size, patch, rng, dev):
    idx = rng.integers(0, len(crops), size)
    ys = rng.integers(0, crops.shape[1] - patch + 1, size)
    xs = rng.integers(0, crops.shape[2] - patch + 1, size)
    out = np.stack([crops[i, y:y + patch, x:x + patch] for i, y, x in zip(idx, ys, xs)])
    if rng.random() < 0.5:
        out = out[:, :, ::-1]
    # (N, H, W, C) in memory is channels-last, the layout oneDNN's CPU convolutions prefer.
    t = torch.from_numpy(np.ascontiguousarray(out)).to(dev).permute(0, 3, 1, 2).float() / 255
    return t.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def validate(model, valid, dev, steps=(0, 3, 6, 9)):
    model.eval()
    x = torch.from_numpy(valid).to(dev).permute(0, 3, 1, 2).float() / 255
    out = {}
    for j in steps:
        bpp = d = 0.0
        for chunk in torch.split(x, 16):
            b, dist, x_hat = model(chunk, j, noise=False)
            n = chunk.shape[0]
            bpp += b.item() * n
            q = torch.round(x_hat.clamp(0, 1) * 255)
            d += ((q - chunk * 255) ** 2).mean().item() * n
        bpp, mse = bpp / len(x), d / len(x)
        out[f"q{j}"] = {"step": round(LADDER[j], 2), "bpp": round(bpp, 4),
                        "psnr": round(10 * math.log10(255 ** 2 / mse), 3)}
    model.train()
    return out


def fit_densities(model, crops, args, dev, steps=1500, lr=1e-2):
    """Fits the densities to a fixed analysis before the networks train: under densities far
    from the latent's, the rate's gradients pull a good starting transform apart (the first
    1,000 steps after a linear start without this cost 2 to 5 dB at Δ 10)."""
    optimiser = torch.optim.Adam(model.densities.parameters(), lr=lr)
    rng = np.random.default_rng(11)
    for _ in range(steps):
        j = int(rng.integers(0, args.ladder_max + 1))
        x = batch(crops, args.batch, args.patch, rng, dev)
        with torch.no_grad():
            y = model.latent(x, j, args.bf16)
        optimiser.zero_grad(set_to_none=True)
        (model.bits(y, j) / (x.shape[0] * x.shape[2] * x.shape[3])).backward()
        optimiser.step()
    print(f"densities fitted to the starting analysis in {steps} steps", flush=True)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(args):
    torch.set_num_threads(args.threads)
    dev = device(args.bf16)
    ckpt, log = paths(args)
    train_crops, valid = load_crops("train", args.colour), load_crops("valid", args.colour)[::2]
    model = AutoEncoder(*args.channels, colours(args.colour)).to(dev).to(memory_format=torch.channels_last)
    nets = list(model.analysis.parameters()) + list(model.synthesis.parameters())
    optimiser = torch.optim.Adam([{"params": nets, "lr": args.lr},
                                  {"params": model.densities.parameters(), "lr": args.lr * 10}])
    state = {"step": 0, "seconds": 0.0, "rng": 1}
    if os.path.exists(ckpt):
        saved = torch.load(ckpt, map_location=dev, weights_only=False)
        if tuple(saved["channels"]) != tuple(args.channels) or saved.get("colour", "rgb") != args.colour:
            raise SystemExit(f"{ckpt} holds a {saved.get('colour', 'rgb')} model with channels {saved['channels']}, "
                             f"not {args.colour} {args.channels}")
        model.load_state_dict(saved["model"])
        if not args.reset_optimiser:
            optimiser.load_state_dict(saved["optimiser"])
        state = saved["state"]
        print(f"resumed at step {state['step']} ({state['seconds'] / 3600:.2f} h)", flush=True)
    else:
        if (args.init == "rgb") != (args.colour == "grey"):
            raise SystemExit("a new grey run starts from an RGB model (--init rgb), and only a grey run does")
        if args.init == "linear":
            linear_init(model, train_crops, np.random.default_rng(7))
            fit_densities(model, train_crops, args, dev)
        elif args.init == "rgb":
            saved = torch.load(args.rgb_ckpt, map_location=dev, weights_only=False)
            rgb = AutoEncoder(*saved["channels"])
            rgb.load_state_dict(saved["model"])
            grey_from_rgb(model, rgb)
            print(f"grey networks from {args.rgb_ckpt}, step {saved['state']['step']}", flush=True)
            fit_densities(model, train_crops, args, dev)
        print(f"new model N={args.channels[0]} M={args.channels[1]} ({args.init} start), "
              f"{model.macs_per_pixel():.0f} multiply-adds per pixel", flush=True)
    rng = np.random.default_rng(state["rng"] * 1_000_003 + state["step"])
    start, last_save = time.time(), time.time()
    seconds0, window = state["seconds"], []

    def save_checkpoint():
        save_atomic({"channels": list(args.channels), "colour": args.colour, "model": model.state_dict(),
                     "optimiser": optimiser.state_dict(), "state": state}, ckpt)

    # SIGTERM or SIGINT ends the run after the current step, with a checkpoint.
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    while not stop:
        elapsed = seconds0 + time.time() - start
        if args.hours and elapsed > args.hours * 3600 or args.steps and state["step"] >= args.steps:
            break
        lr = args.lr * (0.1 if state["step"] >= args.decay_at else 1.0)
        ramp = min(1.0, (state["step"] + 1) / args.warmup) if args.warmup else 1.0
        optimiser.param_groups[0]["lr"], optimiser.param_groups[1]["lr"] = lr * ramp, lr * 10
        j = int(rng.integers(0, args.ladder_max + 1))
        x = batch(train_crops, args.batch, args.patch, rng, dev)
        bpp, d, _ = model(x, j, bf16=args.bf16)
        loss = loss_of(bpp, d, j)
        if args.loss == "log":
            loss = torch.log(loss)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(nets, 1.0)
        optimiser.step()
        state["step"] += 1
        window.append((j, bpp.item(), d.item()))
        if state["step"] % args.valid_every == 0 or time.time() - last_save > args.checkpoint_minutes * 60:
            state["seconds"] = seconds0 + time.time() - start
            record = {"step": state["step"], "hours": round(state["seconds"] / 3600, 3),
                      "train_loss": round(float(np.mean([loss_of(b, d, j) for j, b, d in window])), 4),
                      "valid": validate(model, valid, dev)}
            window = []
            with open(log, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)
            save_checkpoint()
            last_save = time.time()
    state["seconds"] = seconds0 + time.time() - start
    save_checkpoint()
    print(f"stopped at step {state['step']} ({state['seconds'] / 3600:.2f} h)", flush=True)


def bench(args):
    torch.set_num_threads(args.threads)
    dev = device(args.bf16)
    model = AutoEncoder(*args.channels, colours(args.colour)).to(dev).to(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (16, 256, 256, colours(args.colour)), dtype=np.uint8)
    times = []
    for i in range(args.repeats + 2):
        x = batch(crops, args.batch, args.patch, rng, dev)
        t = time.perf_counter()
        bpp, d, _ = model(x, 3, bf16=args.bf16)
        loss = loss_of(bpp, d, 3)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    median = float(np.median(times[2:]))
    pixels = args.batch * args.patch ** 2
    print(json.dumps({"channels": args.channels, "colour": args.colour, "patch": args.patch, "batch": args.batch,
                      "threads": args.threads, "device": dev.type, "bf16": args.bf16,
                      "macs_per_pixel": round(model.macs_per_pixel()),
                      "seconds_per_step": round(median, 4),
                      "pixels_per_second": round(pixels / median)}))


@torch.no_grad()
def start(args):
    """PSNR of linear_init's start on every 8th validation crop: from the unquantized latent and
    from the latent rounded at steps 10 and 40, before any training (its ceiling)."""
    torch.set_num_threads(args.threads)
    model = AutoEncoder(*args.channels)
    linear_init(model, load_crops("train"), np.random.default_rng(7))
    x = torch.from_numpy(load_crops("valid")[::8]).permute(0, 3, 1, 2).float() / 255
    y = model.analysis(x - 0.5)
    for name, step in (("unquantized", 0), ("Δ 10", 10), ("Δ 40", 40)):
        delta = step / LATENT_SCALE
        x_hat = model.synthesis(torch.round(y / delta) * delta if step else y) + 0.5
        mse = ((torch.round(x_hat.clamp(0, 1) * 255) - x * 255) ** 2).mean().item()
        print(f"N={model.n} M={model.m} {name}: {10 * math.log10(255 ** 2 / mse):.2f} dB")


ANCHOR_QUALITIES = (5, 10, 15, 20, 30, 40, 50, 60, 75, 90)


def compare(args):
    """Prints every validation of LOG beside JPEG (4:2:0) and WebP (method 6) on the same crops:
    the difference in dB from each anchor at the same rate, interpolated in log rate between its
    qualities. The anchors are measured as tools/eval_codec.py measures them, and pooled like
    validate(): total bits over total pixels, PSNR of the mean squared error. With --plot, also
    draws those differences against the step (PNG, matplotlib)."""
    import eval_codec  # Pillow and its codecs: only this command needs them
    _, log = paths(args)
    valid = load_crops("valid", args.colour)[::2]
    if args.colour == "grey":
        valid = valid[..., 0]  # Pillow codes (h, w) arrays as grey images
    curves = {}
    for anchor in ("JPEG", "WebP"):
        curve = []
        for q in ANCHOR_QUALITIES:
            points = [eval_codec.anchor_point(crop, anchor, q) for crop in valid]
            bpp = sum(p["bpp"] for p in points) / len(points)
            mse = sum(255 ** 2 / 10 ** (p["psnr"] / 10) for p in points) / len(points)
            curve.append((math.log(bpp), 10 * math.log10(255 ** 2 / mse)))
        curves[anchor] = np.array(curve)
    print("step  hours  " + "  ".join(f"Δ {LADDER[j]:.1f}: bpp, PSNR (vs JPEG / WebP)" for j in (0, 3, 6)))
    series = []  # (step, {j: gaps})
    with open(log) as f:
        for line in f:
            record = json.loads(line)
            cells, row = [], {}
            for j in (0, 3, 6):
                v = record["valid"][f"q{j}"]
                gaps = [v["psnr"] - np.interp(math.log(v["bpp"]), c[:, 0], c[:, 1]) for c in curves.values()]
                cells.append(f"{v['bpp']:.2f}, {v['psnr']:.2f} ({gaps[0]:+.1f} / {gaps[1]:+.1f})")
                row[j] = gaps
            print(f"{record['step']}  {record['hours']:.2f}  " + "  ".join(cells))
            series.append((record["step"], row))
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for k, (ax, anchor) in enumerate(zip(axes, curves)):
            for j in (0, 3, 6):
                ax.plot([s for s, _ in series], [r[j][k] for _, r in series], label=f"Δ {LADDER[j]:.1f}")
            ax.axhline(0, color="grey", linewidth=0.8)
            ax.set(title=f"validation PSNR minus {anchor}'s at the same rate", xlabel="training step", ylabel="dB")
            ax.grid(alpha=0.3)
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)


def folded_networks(saved):
    """The checkpoint's networks in export_model.py's layers, with the internal scales folded in:
    the analysis takes 8-bit samples and outputs the latent at step 1; the synthesis outputs
    8-bit samples."""
    model = AutoEncoder(*saved["channels"], colours(saved.get("colour", "rgb")))
    model.load_state_dict(saved["model"])
    a, s = export_model.from_torch(model.analysis), export_model.from_torch(model.synthesis)
    first = a[0]  # input samples / 255 − 0.5: the bias absorbs the offset
    first.bias = first.bias - 0.5 * first.weight.sum(axis=(1, 2, 3))
    first.weight = first.weight / 255
    a[-1].weight, a[-1].bias = a[-1].weight * LATENT_SCALE, a[-1].bias * LATENT_SCALE
    s[0].weight = s[0].weight / LATENT_SCALE
    s[-1].weight, s[-1].bias = s[-1].weight * 255, (s[-1].bias + 0.5) * 255
    return a, s


def export_weights(args):
    """The checkpoint's float weights (float32) for tools/make_default_models.py, as
    cae-{colour}.npz, and the latents its table sets are fitted on, latents-{colour}.npz: the
    analysis of every LATENT_EVERY-th training crop (grey: its rounded luma), at step 1, rounded
    to int16 (the table sets only ever see them rounded at steps ≥ 10)."""
    saved = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    colour = saved.get("colour", "rgb")
    a, s = folded_networks(saved)
    for layer in a + s:  # float32, as committed: the latents derive from these
        if layer.kind != "relu":
            layer.weight = layer.weight.astype(np.float32).astype(np.float64)
            layer.bias = layer.bias.astype(np.float32).astype(np.float64)
    os.makedirs(args.output, exist_ok=True)
    export_model.save_npz(os.path.join(args.output, f"cae-{colour}.npz"), synthesis=s, analysis=a, dtype=np.float32)
    crops = load_crops("train", colour)[::args.latent_every]
    torch.set_num_threads(os.cpu_count())
    net = nn.Sequential(*[nn.ReLU() if l.kind == "relu" else
                          nn.Conv2d(l.weight.shape[1], l.weight.shape[0], l.weight.shape[2], l.stride, l.padding)
                          for l in a]).double()
    copy_layers(net, a)
    x = torch.from_numpy(crops).permute(0, 3, 1, 2).double()
    with torch.no_grad():
        y = torch.cat([net(chunk) for chunk in torch.split(x, 16)]).numpy()
    if np.abs(y).max() > 32767:
        raise SystemExit(f"{colour}: latent values up to {np.abs(y).max():.0f} at step 1 do not fit int16")
    path = os.path.join(args.output, f"latents-{colour}.npz")
    np.savez_compressed(path, latents=np.rint(y).astype(np.int16))
    print(f"{path}: {y.shape}, |y| up to {np.abs(y).max():.0f}")
    print(f"{args.output}: {colour}, step {saved['state']['step']}, "
          f"{saved['state']['seconds'] / 3600:.2f} h of training")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("train", "bench"):
        p = sub.add_parser(name)
        p.add_argument("--channels", type=int, nargs=2, default=[96, 128], metavar=("N", "M"))
        p.add_argument("--patch", type=int, default=128)
        p.add_argument("--batch", type=int, default=8)
        p.add_argument("--threads", type=int, default=os.cpu_count())
        p.add_argument("--bf16", action="store_true",
                       help="convolutions in bfloat16 (validation and export stay float32); faster only "
                            "on a GPU or a CPU with AVX-512 BF16 (emulated, and slower, elsewhere)")
        p.add_argument("--colour", choices=("rgb", "grey"), default="rgb",
                       help="the model's colour (grey: trained on the crops' luma)")
    t = sub.choices["train"]
    t.add_argument("--ckpt", help="checkpoint (default: tools/cae/checkpoint.pt, grey: checkpoint-grey.pt)")
    t.add_argument("--log", help="validation log (default: tools/cae/train-log.jsonl, grey: train-log-grey.jsonl)")
    t.add_argument("--hours", type=float, default=0)
    t.add_argument("--steps", type=int, default=0)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--decay-at", type=int, default=10**9, help="step from which the learning rate is a tenth")
    t.add_argument("--init", choices=("random", "linear", "rgb"), default="random",
                   help="a new model's start: PyTorch's random one, the principal-component transform of "
                        "linear_init, or (grey) the RGB model of --rgb-ckpt with its networks derived for grey")
    t.add_argument("--rgb-ckpt", default=os.path.join(CAE, "checkpoint.pt"), help="the RGB model --init rgb starts from")
    t.add_argument("--warmup", type=int, default=0,
                   help="steps over which the networks' learning rate rises from 0 (the densities' does not)")
    t.add_argument("--loss", choices=("linear", "log"), default="linear",
                   help="minimise the loss of each step (linear) or its logarithm (log: every ladder step's "
                        "relative improvement weighs the same; under linear the coarse steps, whose loss is "
                        "several times larger, dominate)")
    t.add_argument("--reset-optimiser", action="store_true", help="resume the weights but not Adam's moments")
    t.add_argument("--ladder-max", type=int, default=len(LADDER) - 1, choices=range(len(LADDER)),
                   help="train on ladder steps 0 … this only (11: all, qualities 1 to 100; 8: qualities 30 and up)")
    t.add_argument("--valid-every", type=int, default=2000)
    t.add_argument("--checkpoint-minutes", type=float, default=15)
    sub.choices["bench"].add_argument("--repeats", type=int, default=5)
    p = sub.add_parser("start")
    p.add_argument("--channels", type=int, nargs=2, default=[96, 192], metavar=("N", "M"))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    c = sub.add_parser("compare")
    c.add_argument("--colour", choices=("rgb", "grey"), default="rgb", help="the run's colour (its crops and log)")
    c.add_argument("--log", help="validation log (default: the colour's, as for train)")
    c.add_argument("--plot", help="also draw the differences from JPEG and WebP against the step (PNG)")
    w = sub.add_parser("weights")
    w.add_argument("--ckpt", default=os.path.join(CAE, "checkpoint.pt"))
    w.add_argument("-o", "--output", default=CAE, help="folder for cae-{colour}.npz and latents-{colour}.npz, "
                   "colour the checkpoint's")
    w.add_argument("--latent-every", type=int, default=14, help="latents of every n-th training crop")
    args = parser.parse_args()
    {"train": train, "bench": bench, "start": start, "compare": compare,
     "weights": export_weights}[args.command](args)


if __name__ == "__main__":
    main()
