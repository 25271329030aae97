"""Read, write, check and inspect .lcae streams (spec/lcae.md in the LCAE repository).

    import lcae
    image = lcae.decode("photo.lcae")                    # numpy uint8 (H, W, 3), or (H, W) for grey
    data = lcae.encode(image, quality=75)                # bytes of an .lcae stream
    lcae.inspect(data)                                   # dict: the JSON of `lcae inspect --json`
    y = lcae.decode_latents(stream)                      # numpy int32 (C, H, W)
    stream = lcae.encode_latents(y, tables="T.tbl")      # bytes
    lcae.check(data)                                     # dict: valid, code, offset, clause, hashes

Errors raise LCAEError with the stable code of spec §9 or of the layer that failed (the codec's
unsupportedModel, unsupportedImage or badOption, the entropy coder's, the PNG reader's;
internalError otherwise), the byte offset in the stream (-1 when the error is not about its
bytes) and the spec clause. After `import lcae`, Pillow opens and saves .lcae files (PIL.Image.open,
Image.save(..., quality=...)). The GIL is released while the library works.
"""

import ctypes
import os

import numpy as np

from . import _native
from ._native import lib

__all__ = ["LCAEError", "decode", "encode", "inspect", "encode_latents", "decode_latents", "check", "default_model",
           "SIGNATURE", "__version__"]

__version__ = lib.lcae_version().decode()
SIGNATURE = bytes([0x8C, 0x4C, 0x43, 0x41, 0x45, 0x0D, 0x0A, 0x1A, 0x0A])
_MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")


class LCAEError(Exception):
    """An error from the library: `code` (stable, spec §9), `offset` (byte in the stream, or -1),
    `clause` (the spec section the message cites, or None), `message`."""

    def __init__(self, code, offset, clause, message):
        super().__init__(f"{code} at byte {offset}: {message}" if offset >= 0 else f"{code}: {message}")
        self.code, self.offset, self.clause, self.message = code, offset, clause, message


def _raise(error_pointer):
    error = _native.take_json(error_pointer) or {"code": "internalError", "offset": -1, "clause": None, "message": "no detail"}
    raise LCAEError(error["code"], error["offset"], error.get("clause"), error["message"])


def _bytes(source):
    """The stream's bytes, from a path or any bytes-like object."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read()
    return bytes(source)


def _u8(data):
    return ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_uint8)), len(data)


def default_model(colour="rgb"):
    """Path of the package's default model for "rgb" or "grey" images."""
    if colour not in ("rgb", "grey"):
        raise ValueError("colour is 'rgb' or 'grey'")
    return os.path.join(_MODELS, f"default-{colour}.lcaem")


def _with_defaults(models):
    return [*models, default_model("rgb"), default_model("grey")]


def decode(source, *, models=(), tables=(), threads=0):
    """Decode an image stream to a numpy array: (H, W, 3) RGB or (H, W) grey, uint8 (uint16 for
    16-bit models). The default models are always available; `models` and `tables` add model
    and table files. threads=0 uses every core."""
    data = _bytes(source)
    pointer, size = _u8(data)
    model_list, model_count, _m = _native.paths(_with_defaults(models))
    table_list, table_count, _t = _native.paths(tables)
    samples = ctypes.POINTER(ctypes.c_uint8)()
    width, height, channels, depth = (ctypes.c_int32() for _ in range(4))
    error = ctypes.c_void_p()
    if lib.lcae_decode_image(pointer, size, model_list, model_count, table_list, table_count, threads, ctypes.byref(samples),
                             ctypes.byref(width), ctypes.byref(height), ctypes.byref(channels), ctypes.byref(depth),
                             ctypes.byref(error)):
        _raise(error)
    count = width.value * height.value * channels.value
    array = _native.take_array(samples, count, np.uint8 if depth.value == 8 else np.dtype("<u2"))
    array = array.reshape(height.value, width.value, channels.value)
    return array[:, :, 0] if channels.value == 1 else array


def encode(array, *, quality=75, lambda_=None, rdoq=False, effort=1, passes=3, model=None, threads=0):
    """Encode an 8-bit image, (H, W), (H, W, 1) or (H, W, 3), to the bytes of an .lcae stream with
    the default model for its colours (or `model`, a .lcaem path). quality 1…100, or lambda_
    (squared 8-bit error per bit) sets the latent step; rdoq=True runs RDOQ."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3):
        raise LCAEError("unsupportedImage", -1, None, f"an array of shape {np.shape(array)}: (H, W), (H, W, 1) or (H, W, 3)")
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.integer) or (a.size and (a.min() < 0 or a.max() > 255)):
            raise LCAEError("unsupportedImage", -1, None, f"samples must be integers 0…255, not {a.dtype}")
        a = a.astype(np.uint8)
    a = np.ascontiguousarray(a)
    path = os.fspath(model) if model is not None else default_model("grey" if a.shape[2] == 1 else "rgb")
    stream = ctypes.POINTER(ctypes.c_uint8)()
    size = ctypes.c_size_t()
    error = ctypes.c_void_p()
    if lib.lcae_encode_image(a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), a.shape[1], a.shape[0], a.shape[2], int(quality),
                             float(lambda_ or 0), 1 if rdoq else 0, int(effort), int(passes), os.fsencode(path), threads,
                             ctypes.byref(stream), ctypes.byref(size), ctypes.byref(error)):
        _raise(error)
    return _native.take_bytes(stream, size.value)


def inspect(source, *, verbose=False):
    """The inspection report of `lcae inspect --json` (schema lcae-inspect/1) as a dict. A broken
    stream gives a report too, with "valid": false and its "error"; nothing is raised for it."""
    data = _bytes(source)
    pointer, size = _u8(data)
    report, error = ctypes.c_void_p(), ctypes.c_void_p()
    lib.lcae_inspect(pointer, size, 1 if verbose else 0, ctypes.byref(report), ctypes.byref(error))
    if not report.value:
        _raise(error)
    return _native.take_json(report)


_PLACEMENTS = {"auto": 0, "in-band": 1, "referenced": 2}


def encode_latents(latent, *, tables=None, placement="auto", lanes=4, substreams=1, threads=0):
    """Encode an integer latent (C, H, W) as the bytes of a latent stream (spec chapter 12). With
    `tables` (a table file from `lcae fit`), placement "auto" keeps the smaller of those tables
    referenced and tables fitted to the latent in-band; "in-band" or "referenced" force one."""
    y = np.asarray(latent)
    if y.ndim != 3 or not np.issubdtype(y.dtype, np.integer):
        raise LCAEError("badOption", -1, None, "a latent is an integer array of shape (C, H, W)")
    if y.size and (y.min() < -2**31 or y.max() > 2**31 - 1):
        raise LCAEError("badOption", -1, None, "latent values must fit int32")
    if placement not in _PLACEMENTS:
        raise LCAEError("badOption", -1, None, f"placement is one of {sorted(_PLACEMENTS)}")
    y = np.ascontiguousarray(y, dtype=np.int32)
    stream = ctypes.POINTER(ctypes.c_uint8)()
    size = ctypes.c_size_t()
    error = ctypes.c_void_p()
    table_path = os.fsencode(os.fspath(tables)) if tables is not None else None
    if lib.lcae_encode_latents(y.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), *y.shape, table_path, _PLACEMENTS[placement],
                               lanes, substreams, threads, ctypes.byref(stream), ctypes.byref(size), ctypes.byref(error)):
        _raise(error)
    return _native.take_bytes(stream, size.value)


def decode_latents(source, *, tables=(), models=(), threads=0):
    """The first integer latent of a stream as int32 (C, H, W). References to tables are resolved
    among `tables` (table files) and the table sets of `models` and of the default models."""
    data = _bytes(source)
    pointer, size = _u8(data)
    table_list, table_count, _t = _native.paths(tables)
    model_list, model_count, _m = _native.paths(_with_defaults(models))
    values = ctypes.POINTER(ctypes.c_int32)()
    c, h, w = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
    error = ctypes.c_void_p()
    if lib.lcae_decode_latents(pointer, size, table_list, table_count, model_list, model_count, threads, ctypes.byref(values),
                               ctypes.byref(c), ctypes.byref(h), ctypes.byref(w), ctypes.byref(error)):
        _raise(error)
    return _native.take_array(values, c.value * h.value * w.value, np.dtype("<i4")).reshape(c.value, h.value, w.value)


def check(source, *, models=(), tables=()):
    """Check a stream against the whole spec (structure, full decode, hashes; spec §13.3): a dict
    with "valid", and for a non-conforming stream "code", "offset", "clause", "message"; the
    decoded latents' and image's SHA-256 for a conforming one."""
    data = _bytes(source)
    pointer, size = _u8(data)
    model_list, model_count, _m = _native.paths(_with_defaults(models))
    table_list, table_count, _t = _native.paths(tables)
    report, error = ctypes.c_void_p(), ctypes.c_void_p()
    if lib.lcae_check(pointer, size, model_list, model_count, table_list, table_count, ctypes.byref(report), ctypes.byref(error)):
        _raise(error)
    return _native.take_json(report)


try:  # the Pillow plugin, when Pillow is installed
    from . import _pillow  # noqa: F401
except ImportError:
    pass
