"""The Python package against the library's contract: round trips, every error path, the
Pillow plugin, the conformance corpus (valid image streams decode to the image hashes of
their spec sheets, computed here from the returned samples as spec §16.3 defines them;
invalid streams give the codes their sheets expect), and decoding from several threads."""

import glob
import hashlib
import json
import os
import threading

import numpy as np
import pytest
from PIL import Image

import lcae

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(REPO, "samples", "conformance")


def photo(name="chelsea.png"):
    return np.asarray(Image.open(os.path.join(REPO, "samples", "images", name)))


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / mse)


def image_hash(array):
    """Spec §16.3: SHA-256 of the samples in row, column, channel order, one byte each at 8 bits,
    two little-endian at 16."""
    dtype = np.uint8 if array.dtype == np.uint8 else np.dtype("<u2")
    return hashlib.sha256(np.ascontiguousarray(array, dtype=dtype).tobytes()).hexdigest()


def sheets(kind):
    for path in sorted(glob.glob(os.path.join(CORPUS, kind, "*", "spec.json"))):
        with open(path) as f:
            sheet = json.load(f)
        folder = os.path.dirname(path)
        yield (os.path.basename(folder), os.path.join(folder, "stream.lcae"),
               [os.path.normpath(os.path.join(folder, t)) for t in sheet.get("tables") or []],
               [os.path.normpath(os.path.join(folder, m)) for m in sheet.get("models") or []], sheet)


def test_rgb_and_grey_round_trip():
    rgb = photo()[40:120, 60:190]
    stream = lcae.encode(rgb, quality=80)
    assert stream[:9] == lcae.SIGNATURE
    decoded = lcae.decode(stream)
    assert decoded.shape == rgb.shape and decoded.dtype == np.uint8
    # The default model gives 27.7–29.4 dB on these small crops; a flat image at a crop's mean 11–17 dB.
    assert psnr(decoded, rgb) > 25
    assert lcae.encode(rgb, quality=80) == stream  # deterministic
    grey = photo("camera.png")[100:164, 200:290]
    g = lcae.decode(lcae.encode(grey, quality=90))
    assert g.shape == grey.shape and psnr(g, grey) > 25
    # (H, W, 1) is grey too, and a path works as well as bytes
    assert np.array_equal(lcae.decode(lcae.encode(grey[:, :, None], quality=90)), g)


def test_quality_lambda_and_rdoq(tmp_path):
    rgb = photo()[100:148, 150:214]
    low, high = lcae.encode(rgb, quality=30), lcae.encode(rgb, quality=90)
    assert len(low) < len(high)
    assert len(lcae.encode(rgb, lambda_=500.0)) < len(lcae.encode(rgb, lambda_=5.0))
    optimized = lcae.encode(rgb, quality=60, rdoq=True)
    path = tmp_path / "x.lcae"
    path.write_bytes(optimized)
    assert lcae.decode(path).shape == rgb.shape
    assert lcae.check(path)["valid"]


def test_decode_bytes_like_and_threads_agree():
    stream = lcae.encode(photo()[:64, :64], quality=70)
    assert np.array_equal(lcae.decode(bytearray(stream), threads=1), lcae.decode(memoryview(stream), threads=3))


def test_inspect_matches_the_command_line_schema():
    stream = lcae.encode(photo()[:16, :24], quality=50)
    report = lcae.inspect(stream)
    assert report["schema"] == "lcae-inspect/1" and report["valid"]
    assert report["header"]["width"] == 24 and report["header"]["height"] == 16
    assert [c["type"] for c in report["chunks"]][0] == "HEAD"
    broken = lcae.inspect(stream[:-3])
    assert not broken["valid"] and broken["error"]["code"] == "truncated"
    assert "offset" in lcae.inspect(stream, verbose=True)["chunks"][0]


@pytest.mark.parametrize("damage, code", [
    (lambda s: s[:40], "truncated"),
    (lambda s: b"\x89PNG\r\n\x1a\n" + s[8:], "badSignature"),
    (lambda s: s[:60] + bytes([s[60] ^ 1]) + s[61:], "crcMismatch"),
    (lambda s: s + b"x", "trailingData"),
])
def test_bad_streams_raise_typed_errors(damage, code):
    stream = lcae.encode(photo()[:32, :32], quality=60)
    with pytest.raises(lcae.LCAEError) as info:
        lcae.decode(damage(stream))
    assert info.value.code == code and info.value.offset >= 0
    report = lcae.check(damage(stream))
    assert not report["valid"] and report["code"] == code


def test_bad_arguments_raise_typed_errors(tmp_path):
    with pytest.raises(lcae.LCAEError) as info:
        lcae.encode(np.zeros((4, 4, 2), np.uint8))
    assert info.value.code == "unsupportedImage" and info.value.offset == -1
    with pytest.raises(lcae.LCAEError) as info:
        lcae.encode(np.zeros((4, 4), np.uint8), quality=101)
    assert info.value.code == "badOption"
    with pytest.raises(lcae.LCAEError) as info:
        lcae.encode(np.zeros((4, 4), np.uint8), model=tmp_path / "missing.lcaem")
    assert info.value.code == "ioError"
    with pytest.raises(lcae.LCAEError):
        lcae.encode(np.full((4, 4), 300))
    with pytest.raises(lcae.LCAEError) as info:
        lcae.encode(np.full((4, 4), 0.5))
    assert info.value.code == "unsupportedImage"
    with pytest.raises(lcae.LCAEError) as info:
        lcae.encode_latents(np.zeros((2, 3), np.int32))
    assert info.value.code == "badOption"
    with pytest.raises(lcae.LCAEError) as info:
        lcae.decode_latents(b"")
    assert info.value.code == "truncated"


def test_latents_round_trip_with_and_without_tables():
    rng = np.random.default_rng(3)
    y = np.round(rng.laplace(0, 2, (12, 9, 11))).astype(np.int32)
    assert np.array_equal(lcae.decode_latents(lcae.encode_latents(y)), y)
    channels = lcae.inspect(lcae.encode_latents(y))["header"]["latents"][0]["channels"]
    assert channels == 12
    with open(os.path.join(REPO, "samples", "latents", "chelsea-crop-referenced.lcae"), "rb") as f:
        referenced = f.read()
    latent = lcae.decode_latents(referenced, tables=[os.path.join(REPO, "samples", "latents", "dct16.tbl")])
    assert latent.dtype == np.int32 and latent.ndim == 3
    again = lcae.encode_latents(latent, tables=os.path.join(REPO, "samples", "latents", "dct16.tbl"), placement="referenced")
    assert np.array_equal(lcae.decode_latents(again, tables=[os.path.join(REPO, "samples", "latents", "dct16.tbl")]), latent)
    with pytest.raises(lcae.LCAEError) as info:
        lcae.decode_latents(again)  # the referenced tables are not given
    assert info.value.code == "modelMismatch" and info.value.clause == "§12.5.2" and info.value.offset > 0


def test_pillow_plugin(tmp_path):
    rgb = photo()[:40, :56]
    path = tmp_path / "x.lcae"
    Image.fromarray(rgb).save(path, quality=85)
    with Image.open(path) as image:
        assert image.format == "LCAE" and image.size == (56, 40) and image.mode == "RGB"
        assert psnr(np.asarray(image), rgb) > 25
    Image.fromarray(photo("camera.png")[:20, :30]).save(tmp_path / "g.lcae")
    with Image.open(tmp_path / "g.lcae") as image:
        assert image.mode == "L" and image.size == (30, 20)
    path.write_bytes(path.read_bytes()[:-20])
    with Image.open(path) as image:
        with pytest.raises(lcae.LCAEError):
            image.load()


@pytest.mark.parametrize("name, stream, tables, models, sheet",
                         [s for s in sheets("valid") if s[4]["expected"].get("image_sha256")], ids=lambda v: v if isinstance(v, str) else "")
def test_corpus_valid_image_streams_decode_to_their_hashes(name, stream, tables, models, sheet):
    decoded = lcae.decode(stream, tables=tables, models=models)
    assert image_hash(decoded) == sheet["expected"]["image_sha256"]


@pytest.mark.parametrize("name, stream, tables, models, sheet", list(sheets("invalid")),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_corpus_invalid_streams_give_their_codes(name, stream, tables, models, sheet):
    report = lcae.check(stream, tables=tables, models=models)
    assert not report["valid"] and report["code"] == sheet["expected"]["error"]


def test_threads_decode_at_once():
    streams = [lcae.encode(photo()[i * 20:i * 20 + 60, :80], quality=70) for i in range(4)]
    expected = [lcae.decode(s, threads=1) for s in streams]
    results, errors = {}, []

    def work(k):
        try:
            for _ in range(3):
                results[k] = lcae.decode(streams[k % 4], threads=1)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.array_equal(results[k], expected[k % 4]) for k in range(8))
