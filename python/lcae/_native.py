"""ctypes bindings to the LCAE shared library (include/lcae.h). ctypes releases the GIL for
the duration of every call, so Python threads decode and encode in parallel."""

import ctypes
import json
import os
import sys
import weakref

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_NAME = "libLCAEInterface.dylib" if sys.platform == "darwin" else "libLCAEInterface.so"

c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_out_bytes = ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8))
_out_text = ctypes.POINTER(ctypes.c_void_p)


def _load():
    path = os.environ.get("LCAE_LIBRARY") or os.path.join(_HERE, _NAME)
    if not os.path.exists(path):
        raise ImportError(f"the LCAE library is missing ({path}): install the package with `pip install ./python` "
                          "from the repository, which builds it with swift build")
    lib = ctypes.CDLL(path)
    i32, size, u8p, i32p, sizep = ctypes.c_int32, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_size_t)
    signatures = {
        "lcae_version": ([], ctypes.c_char_p),
        "lcae_free": ([ctypes.c_void_p], None),
        "lcae_inspect": ([u8p, size, i32, _out_text, _out_text], i32),
        "lcae_decode_image": ([u8p, size, c_char_pp, i32, c_char_pp, i32, i32, _out_bytes, i32p, i32p, i32p, i32p, _out_text], i32),
        "lcae_encode_image": ([u8p, i32, i32, i32, i32, ctypes.c_double, i32, i32, i32, ctypes.c_char_p, i32, _out_bytes, sizep,
                               _out_text], i32),
        "lcae_encode_latents": ([i32p, i32, i32, i32, ctypes.c_char_p, i32, i32, i32, i32, _out_bytes, sizep, _out_text], i32),
        "lcae_decode_latents": ([u8p, size, c_char_pp, i32, c_char_pp, i32, i32, ctypes.POINTER(i32p), i32p, i32p, i32p, _out_text], i32),
        "lcae_check": ([u8p, size, c_char_pp, i32, c_char_pp, i32, _out_text, _out_text], i32),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, result
    return lib


lib = _load()


def take_text(pointer):
    """The NUL-terminated string the library handed out, freed."""
    if not pointer.value:
        return None
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.lcae_free(pointer.value)


def take_json(pointer):
    text = take_text(pointer)
    return None if text is None else json.loads(text)


def take_bytes(pointer, count):
    """The `count` bytes the library handed out, copied, the buffer freed."""
    try:
        return ctypes.string_at(pointer, count) if count else b""
    finally:
        lib.lcae_free(ctypes.cast(pointer, ctypes.c_void_p))


def take_array(pointer, count, dtype):
    """`count` values of `dtype` the library handed out, as a NumPy array that owns the buffer:
    no copy; the buffer is freed with lcae_free when the array (and every view of it) is gone."""
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    dtype = np.dtype(dtype)
    if not count or not address:
        lib.lcae_free(address)
        return np.zeros(0, dtype)
    buffer = (ctypes.c_uint8 * (count * dtype.itemsize)).from_address(address)
    weakref.finalize(buffer, lib.lcae_free, address)
    return np.frombuffer(buffer, dtype=dtype, count=count)


def paths(items):
    """A C array of UTF-8 paths (and the objects that keep it alive)."""
    encoded = [os.fsencode(os.fspath(p)) for p in items]
    array = (ctypes.c_char_p * max(1, len(encoded)))(*encoded)
    return ctypes.cast(array, c_char_pp), len(encoded), array
