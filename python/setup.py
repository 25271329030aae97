"""Builds the LCAE Swift library (the C interface, Sources/LCAEInterface) with `swift build`
and puts it, its header and the default models inside the package, so that
`pip install ./python` from the repository gives a self-contained `lcae` package. Needs the
Swift toolchain (and zlib's header), as the Swift package itself does."""

import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class BuildWithSwift(build_py):
    def run(self):
        subprocess.run(["swift", "build", "-c", "release", "--product", "LCAEInterface"], cwd=REPO, check=True)
        binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout.strip()
        library = "libLCAEInterface.dylib" if sys.platform == "darwin" else "libLCAEInterface.so"
        package = os.path.join(HERE, "lcae")
        shutil.copy2(os.path.join(binary, library), os.path.join(package, library))
        shutil.copy2(os.path.join(REPO, "Sources", "LCAEInterface", "include", "lcae.h"), os.path.join(package, "lcae.h"))
        models = os.path.join(package, "models")
        os.makedirs(models, exist_ok=True)
        for name in ("default-rgb.lcaem", "default-grey.lcaem"):
            shutil.copy2(os.path.join(REPO, "Sources", "LCAE", "Resources", name), os.path.join(models, name))
        super().run()


setup(cmdclass={"build_py": BuildWithSwift})
