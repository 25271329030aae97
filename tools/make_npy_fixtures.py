#!/usr/bin/env python3
"""Write small .npy files with NumPy itself, for the Swift .npy reader's tests.

Usage (from the repository root):  python3 tools/make_npy_fixtures.py

Each file's content is described in its name; the tests check the values the reader
returns against the ones written here (arange-based, so the expected values are obvious).
"""

import os

import numpy as np

OUT = "Tests/LCAETests/Vectors/npy"


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)


def main():
    os.makedirs(OUT, exist_ok=True)
    save("int32_2x3.npy", np.arange(6, dtype=np.int32).reshape(2, 3) - 2)
    save("uint32_4.npy", np.array([0, 1, 2**31, 2**32 - 1], dtype=np.uint32))
    save("int64_3.npy", np.array([-5, 0, 7], dtype=np.int64))
    save("int16_3.npy", np.array([-300, 0, 300], dtype=np.int16))
    save("uint8_3.npy", np.array([0, 128, 255], dtype=np.uint8))
    save("float32_2x2x2.npy", (np.arange(8, dtype=np.float32) - 3.5).reshape(2, 2, 2))
    save("float64_3.npy", np.array([0.5, -1.5, 2.5], dtype=np.float64))
    save("scalar_int32.npy", np.array(42, dtype=np.int32))
    save("empty_int32_0x4.npy", np.zeros((0, 4), dtype=np.int32))
    save("int32_v2.npy", np.arange(3, dtype=np.int32), version=(2, 0))
    save("fortran_int32_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)))
    save("bigendian_int32.npy", np.arange(3, dtype=">i4"))
    save("complex64.npy", np.zeros(2, dtype=np.complex64))


if __name__ == "__main__":
    main()
