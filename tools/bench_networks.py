#!/usr/bin/env python3
"""The synthesis network in lcae's integer kernels against PyTorch and ONNX Runtime, same run.

    python3 tools/bench_networks.py --weights NET.npz --model NET.lcaem [--image /tmp/bench768.png] [--repeats 9]

NET.npz is the float network in tools/export_model.py's layout and NET.lcaem its export, so
all three run the same layers on the latent of IMAGE's size (a 768 × 512 image: 48 × 32
positions). One thread everywhere (torch.set_num_threads(1), ONNX Runtime's intra- and
inter-op threads 1, lcae bench's default). Runs, medians of --repeats:
  lcae      `lcae bench --image IMAGE --model NET.lcaem --networks`: the synthesis on each
            kernel path (int16 weights and activations, int32 sums)
  PyTorch   fp32, torch.nn.Sequential of the same layers
  ORT fp32  the same module exported with torch.onnx.export
  ORT int8  that model quantized with onnxruntime.quantization.quantize_static (QDQ,
            calibrated on the latent), if ONNX Runtime can; the reason when it cannot
Prints milliseconds, G multiply-adds/s and the ratios to lcae's fastest path."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import export_model  # noqa: E402


def median_ms(body, repeats):
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def torch_network(layers):
    import torch
    from torch import nn
    modules = []
    for layer in layers:
        if layer.kind == "relu":
            modules.append(nn.ReLU())
            continue
        transposed = layer.kind == "convT"
        cin, cout = (layer.weight.shape[0], layer.weight.shape[1]) if transposed else (layer.weight.shape[1], layer.weight.shape[0])
        if transposed:
            m = nn.ConvTranspose2d(cin, cout, layer.weight.shape[2:], layer.stride, layer.padding, layer.output_padding)
        else:
            m = nn.Conv2d(cin, cout, layer.weight.shape[2:], layer.stride, layer.padding)
        m.weight.data = torch.from_numpy(layer.weight.astype(np.float32))
        m.bias.data = torch.from_numpy(layer.bias.astype(np.float32))
        modules.append(m)
    return nn.Sequential(*modules).eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", default="/tmp/bench768.png")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--lcae", default=os.path.join(REPO, ".build", "release", "lcae"))
    args = parser.parse_args()

    out = subprocess.run([args.lcae, "bench", "--image", args.image, "--model", args.model, "--networks", "--repeats",
                          str(args.repeats)], check=True, capture_output=True, text=True).stdout
    lcae_runs = {m.group(1): (float(m.group(2)), float(m.group(3)))
                 for m in re.finditer(r"^synthesis (\S+)\s+([0-9.]+) ms\s+([0-9.]+) G multiply-adds/s", out, re.M)}
    work = re.search(r"^synthesis .*\(([0-9.]+) G\)", out, re.M)
    macs = float(work.group(1)) * 1e9 if work else None

    import torch
    torch.set_num_threads(1)
    layers = export_model.load_npz(args.weights, "synthesis")
    net = torch_network(layers)
    from PIL import Image
    width, height = Image.open(args.image).size
    channels = layers[0].weight.shape[0]
    scale = 2 ** sum(1 for l in layers if l.kind != "relu")  # each layer doubles (the Base shape)
    latent = torch.from_numpy(np.random.default_rng(0).normal(0, 30, (1, channels, -(-height // scale), -(-width // scale)))
                              .astype(np.float32))
    runs = {}
    with torch.no_grad():
        runs["PyTorch fp32"] = median_ms(lambda: net(latent), args.repeats)

    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "synthesis.onnx")
        torch.onnx.export(net, (latent,), fp32, input_names=["y"], output_names=["x"], dynamo=False)
        session = ort.InferenceSession(fp32, options, providers=["CPUExecutionProvider"])
        feed = {"y": latent.numpy()}
        runs["ORT fp32"] = median_ms(lambda: session.run(None, feed), args.repeats)
        try:
            from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

            class Reader(CalibrationDataReader):
                def __init__(self):
                    self.items = iter([feed])

                def get_next(self):
                    return next(self.items, None)

            int8 = os.path.join(tmp, "synthesis-int8.onnx")
            quantize_static(fp32, int8, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8)
            session8 = ort.InferenceSession(int8, options, providers=["CPUExecutionProvider"])
            runs["ORT int8 (QDQ)"] = median_ms(lambda: session8.run(None, feed), args.repeats)
        except Exception as error:  # report, do not fail: int8 transposed convolutions are not always supported
            print(f"ORT int8: not measured ({type(error).__name__}: {str(error).splitlines()[0][:160]})")

    best = min(lcae_runs.items(), key=lambda kv: kv[1][0]) if lcae_runs else None
    print(f"synthesis of a {width}×{height} image's latent ({latent.shape[2]}×{latent.shape[3]}×{channels}), one thread, "
          f"medians of {args.repeats}" + (f", {macs / 1e9:.2f} G multiply-adds" if macs else ""))
    for path, (ms, rate) in lcae_runs.items():
        print(f"  lcae {path:<14} {ms:9.2f} ms  {rate:7.2f} G/s")
    for name, ms in runs.items():
        rate = f"{macs / ms / 1e6:7.2f} G/s" if macs else ""
        ratio = f"  lcae {best[0]} is {ms / best[1][0]:.2f}× faster" if best else ""
        print(f"  {name:<19} {ms:9.2f} ms  {rate}{ratio}")


if __name__ == "__main__":
    main()
