"""Shared by the constriction tools: install the pinned constriction, find the lcae binary."""

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

CONSTRICTION_VERSION = "0.5.0"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LCAE = REPO_ROOT / ".build" / "release" / "lcae"


def install_constriction():
    """The constriction module, pip-installing version 0.5.0 first if another (or none) is importable."""
    try:
        version = importlib.metadata.version("constriction")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != CONSTRICTION_VERSION:
        print(f"constriction {version} found; installing {CONSTRICTION_VERSION}", file=sys.stderr)
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", f"constriction=={CONSTRICTION_VERSION}"],
            stdout=sys.stderr,
        )
        importlib.invalidate_caches()
        version = importlib.metadata.version("constriction")
        if version != CONSTRICTION_VERSION:
            sys.exit(f"error: need constriction {CONSTRICTION_VERSION}, have {version}")
    import constriction

    return constriction


def find_lcae(path, build):
    """Path of the lcae binary; builds the default one if it is missing or --build."""
    lcae = Path(path).resolve() if path else DEFAULT_LCAE
    if build or (path is None and not lcae.exists()):
        cmd = ["swift", "build", "-c", "release", "--product", "lcae"]
        print(f"building: {' '.join(cmd)} (in {REPO_ROOT})", file=sys.stderr)
        subprocess.check_call(cmd, cwd=REPO_ROOT, stdout=sys.stderr)
    if not lcae.exists():
        sys.exit(f"error: {lcae} does not exist")
    return lcae
