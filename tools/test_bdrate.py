#!/usr/bin/env python3
"""Checks of the BD-rate and PSNR code of tools/eval_codec.py.

Known answers (a curve against itself, rates scaled by 0.9, a PSNR shift of a curve whose
log-rate is linear, and one whose log-rate is an exact cubic, integrated by hand), and
comparisons with reference implementations written differently: the cubic method against
numpy's Polynomial.fit integrated numerically with scipy.integrate.quad, the PCHIP method against
a direct implementation of the Fritsch-Carlson / Fritsch-Butland slopes, also integrated with quad.

Usage: python3 tools/test_bdrate.py   (exit status 1 if a check fails)
"""

import math
import os
import sys

import numpy as np
from PIL import features
from scipy.integrate import quad

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_codec import ANCHORS, anchor_point, bd_rate, overlap, psnr  # noqa: E402

FAILURES = []


def check(name, got, expected, tolerance):
    ok = abs(got - expected) <= tolerance
    print(f"{'ok  ' if ok else 'FAIL'} {name}: got {got:.10g}, expected {expected:.10g} (±{tolerance:g})")
    if not ok:
        FAILURES.append(name)


def check_raises(name, function):
    try:
        function()
    except ValueError as error:
        print(f"ok   {name}: ValueError ({error})")
        return
    print(f"FAIL {name}: no ValueError")
    FAILURES.append(name)


# Realistic rate-distortion curves (bpp, PSNR dB) for the comparisons with the reference implementations.
RNG = np.random.default_rng(2024)


def random_curve(points=6):
    psnrs = np.sort(RNG.uniform(26, 40, points))
    log_rates = -1.2 + 0.06 * (psnrs - 26) + RNG.normal(0, 0.02, points)
    return list(zip(10 ** np.maximum.accumulate(log_rates), psnrs))


def reference_cubic(anchor, test):
    """Least squares via numpy.polynomial (scaled domain), integrated numerically."""
    low, high = overlap(anchor, test)
    integrals = []
    for curve in (anchor, test):
        rates, psnrs = np.array(curve).T
        fit = np.polynomial.Polynomial.fit(psnrs, np.log10(rates), 3)
        integrals.append(quad(fit, low, high, epsabs=1e-13, epsrel=1e-13)[0])
    return (10 ** ((integrals[1] - integrals[0]) / (high - low)) - 1) * 100


def reference_pchip_function(x, y):
    """Piecewise cubic Hermite interpolant with Fritsch-Carlson monotone slopes: weighted harmonic
    mean inside (Fritsch-Butland weights), shape-preserving three-point formula at the ends."""
    h = np.diff(x)
    delta = np.diff(y) / h
    n = len(x)
    d = np.zeros(n)
    for k in range(1, n - 1):
        if delta[k - 1] * delta[k] > 0:
            w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
            d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])

    def end_slope(h0, h1, m0, m1):
        slope = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        if np.sign(slope) != np.sign(m0):
            return 0.0
        if np.sign(m0) != np.sign(m1) and abs(slope) > 3 * abs(m0):
            return 3 * m0
        return slope

    d[0] = end_slope(h[0], h[1], delta[0], delta[1])
    d[-1] = end_slope(h[-1], h[-2], delta[-1], delta[-2])

    def f(p):
        k = min(max(np.searchsorted(x, p) - 1, 0), n - 2)
        t = (p - x[k]) / h[k]
        h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
        h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
        return h00 * y[k] + h10 * h[k] * d[k] + h01 * y[k + 1] + h11 * h[k] * d[k + 1]

    return f


def reference_pchip(anchor, test):
    low, high = overlap(anchor, test)
    integrals = []
    for curve in (anchor, test):
        rates, psnrs = np.array(sorted(curve, key=lambda point: point[1])).T
        f = reference_pchip_function(psnrs, np.log10(rates))
        breaks = [p for p in psnrs if low < p < high]
        integrals.append(quad(f, low, high, points=breaks or None, limit=200, epsabs=1e-13, epsrel=1e-13)[0])
    return (10 ** ((integrals[1] - integrals[0]) / (high - low)) - 1) * 100


def main():
    base = [(0.12, 26.1), (0.25, 28.9), (0.48, 31.6), (0.85, 34.2), (1.40, 36.8), (2.10, 39.0)]

    for method in ("cubic", "pchip"):
        check(f"{method}: curve against itself", bd_rate(base, base, method), 0.0, 1e-12)
        scaled = [(0.9 * r, p) for r, p in base]
        check(f"{method}: rates x0.9", bd_rate(base, scaled, method), -10.0, 1e-9)
        check(f"{method}: rates x1.25 (anchor and test swapped)", bd_rate(scaled, base, method), 100 / 0.9 - 100, 1e-9)
        shuffled = [base[i] for i in (3, 0, 5, 1, 4, 2)]
        check(f"{method}: point order does not matter", bd_rate(shuffled, scaled, method), -10.0, 1e-9)

    # log10 R = a + b P; the test curve reaches each rate at +d dB, so log10 R_test(P) = a + b (P - d):
    # the mean log-rate difference is -b d on any overlap, the BD-rate (10^(-b d) - 1) * 100.
    b, d = 0.05, 1.0
    psnrs = np.arange(26.0, 40.0, 2.0)
    linear = [(10 ** (-1.5 + b * p), p) for p in psnrs]
    shifted = [(r, p + d) for r, p in linear]
    for method in ("cubic", "pchip"):
        check(f"{method}: linear log-rate, +1 dB", bd_rate(linear, shifted, method), (10 ** (-b * d) - 1) * 100, 1e-9)

    # log10 R = g(P) = 0.05 P + 0.0004 (P - 30)^3 (increasing), anchor at P = 26, 28, ..., 38,
    # test at the same rates +1 dB: log10 R_test(P) = g(P - 1). Overlap [27, 38]; by hand,
    # the integral of g(P - 1) - g(P) over it is -0.05 * 11 + 0.0001 [(P - 31)^4 - (P - 30)^4] from 27
    # to 38 = -0.55 + 0.0001 * ((2401 - 4096) - (256 - 81)) = -0.55 - 0.187, so the mean difference
    # is -0.737 / 11 and the BD-rate (10^(-0.737 / 11) - 1) * 100 = -14.2962...%.
    psnrs = np.arange(26.0, 39.0, 2.0)
    cubic_curve = [(10 ** (0.05 * p + 0.0004 * (p - 30) ** 3 - 2.5), p) for p in psnrs]
    cubic_shifted = [(r, p + 1) for r, p in cubic_curve]
    expected = (10 ** (-0.737 / 11) - 1) * 100
    low, high = overlap(cubic_curve, cubic_shifted)
    check("exact-cubic case: overlap starts at", low, 27.0, 1e-12)
    check("exact-cubic case: overlap ends at", high, 38.0, 1e-12)
    check("cubic: exact-cubic log-rate, +1 dB (closed form by hand)", bd_rate(cubic_curve, cubic_shifted, "cubic"), expected, 1e-9)
    check("pchip: exact-cubic log-rate, +1 dB (interpolation error)", bd_rate(cubic_curve, cubic_shifted, "pchip"), expected, 0.2)

    for i in range(20):
        anchor, test = random_curve(), random_curve(7)
        if overlap(anchor, test) is None:
            continue
        check(f"cubic vs Polynomial.fit + quad, random curves {i}", bd_rate(anchor, test, "cubic"), reference_cubic(anchor, test), 1e-8)
        check(f"pchip vs own Fritsch-Carlson + quad, random curves {i}", bd_rate(anchor, test, "pchip"), reference_pchip(anchor, test), 1e-8)

    high = [(r, p + 20) for r, p in base]
    for method in ("cubic", "pchip"):
        check_raises(f"{method}: disjoint PSNR ranges", lambda: bd_rate(base, high, method))
        check_raises(f"{method}: three points only", lambda: bd_rate(base[:3], base, method))
        check_raises(f"{method}: two points with one PSNR", lambda: bd_rate(base + [(3.0, 39.0)], base, method))

    zeros, ones = np.zeros((4, 5, 3), np.uint8), np.ones((4, 5, 3), np.uint8)
    check("PSNR at MSE 1", psnr(zeros, ones), 20 * math.log10(255), 1e-12)
    twos = ones.copy()
    twos[0, 0, 0] = 3  # squared errors: one 9, 59 ones -> MSE 68/60
    check("PSNR over all samples of all channels", psnr(zeros, twos), 10 * math.log10(255**2 * 60 / 68), 1e-12)
    grey = (np.arange(64 * 48).reshape(48, 64) % 251).astype(np.uint8)
    for anchor, (image_format, _) in ANCHORS.items():
        if not features.check({"JPEG": "jpg"}.get(image_format, image_format.lower())):
            print(f"skip {anchor}: this Pillow has no {image_format} codec")
            continue
        point = anchor_point(grey, anchor, 50)
        check(f"{anchor} of a grey image: PSNR is finite", float(math.isfinite(point["psnr"])), 1.0, 0)
        check(f"{anchor} of a grey image: bpp from the byte count", point["bpp"], 8 * point["bytes"] / (64 * 48), 0)

    print(f"\n{'all checks passed' if not FAILURES else f'{len(FAILURES)} check(s) failed'}")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
