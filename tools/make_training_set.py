#!/usr/bin/env python3
"""Build the auto-encoder's training set from photographs that Debian's wallpaper packages ship.

    python3 tools/make_training_set.py [--out tools/cae/data] [--manifest tools/cae/manifest.json]

Each package is fetched with `apt-get download` and unpacked with `dpkg -x` (nothing is
installed). A file is used only if it is listed in PHOTOGRAPHS below (chosen by eye from the
packages' contents: photographs of real scenes, not drawn or rendered artwork) and the
package's machine-readable copyright file (DEP-5) gives it a licence in ALLOWED. Every
photograph is converted to RGB, resized with Lanczos so that its shorter side is each of
SHORT_SIDES (wallpapers are 1–5 K JPEGs; downscaling by two or more also removes their
compression artefacts), and cut into CROP × CROP crops on a grid of stride CROP/2.

Writes:
  OUT/train.npy, OUT/valid.npy   uint8 crops (N, CROP, CROP, 3); the photographs in VALIDATION
                                 only go to valid.npy
  MANIFEST                       per photograph: package, version, file, licence, copyright,
                                 SHA-256 of the file as shipped, its size, crops made

samples/images/ is the evaluation set and is never read here. Needs Pillow and numpy, and
apt-get (run `apt-get update` once on a fresh machine).
"""

import argparse
import fnmatch
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None

# Package → photographs in it, as paths inside the unpacked package.
PHOTOGRAPHS = {
    "mate-backgrounds": [
        f"usr/share/backgrounds/mate/nature/{name}.jpg"
        for name in ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird",
                     "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower")
    ],
    "lomiri-wallpapers-16.04": [
        f"usr/share/backgrounds/{name}.jpg"
        for name in ("Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
                     "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi",
                     "analogpattern_by_Peter_Nerlich", "free_by_Peter_Nerlich",
                     "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich",
                     "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
                     "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi")
    ],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"],
    "plasma-workspace-wallpapers": [
        f"usr/share/wallpapers/{name}/contents/images/{size}.jpg"
        for name, size in (("BytheWater", "2560x1600"), ("ColdRipple", "2560x1600"),
                           ("DarkestHour", "2560x1600"), ("EveningGlow", "2560x1600"),
                           ("FallenLeaf", "2560x1600"), ("Grey", "2560x1600"), ("Kite", "2560x1600"),
                           ("OneStandsOut", "2560x1600"), ("Path", "2560x1600"),
                           ("summer_1am", "2560x1600"))
    ],
}

# Held out of training: validation PSNR and rate are measured on these.
VALIDATION = {"usr/share/backgrounds/mate/nature/Storm.jpg",
              "usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg",
              "usr/share/wallpapers/Path/contents/images/2560x1600.jpg"}

# Licences that allow copying and derived works (DEP-5 short names, compared by prefix).
ALLOWED = ("GPL-2", "GPL-3", "LGPL", "CC-BY-4", "CC-BY-3", "CC-BY-SA-3", "CC-BY-SA-4", "CC0",
           "public-domain")

SHORT_SIDES = (512, 768)
CROP = 256


def run(cmd, cwd=None):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def fetch(package, work):
    """Download and unpack one package; returns (unpacked root, version)."""
    subprocess.run(["apt-get", "download", package], cwd=work, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    debs = glob.glob(os.path.join(work, f"{package}_*.deb"))
    if len(debs) != 1:
        raise SystemExit(f"{package}: expected one .deb after apt-get download, found {debs}")
    root = os.path.join(work, package)
    run(["dpkg", "-x", debs[0], root])
    version = subprocess.run(["dpkg-deb", "-f", debs[0], "Version"], check=True,
                             capture_output=True, text=True).stdout.strip()
    return root, version


def copyright_stanzas(path):
    """The Files stanzas of a DEP-5 copyright file: [(patterns, licence, copyright)]."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if not text.lstrip().startswith("Format:"):
        raise SystemExit(f"{path}: not a machine-readable (DEP-5) copyright file")
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            patterns = fields["Files"].split()
            licence = fields["License"].splitlines()[0].strip()
            stanzas.append((patterns, licence, fields.get("Copyright", "").splitlines()[0:1]))
    return stanzas


def licence_of(stanzas, relative):
    """DEP-5: the last stanza whose pattern matches wins. Patterns name paths in the upstream
    source tree, not where the package installs them: a pattern matches any suffix of the
    installed path, and a pattern without wildcards also matches by its file name alone."""
    parts = relative.split("/")
    found = None
    for patterns, licence, copyright_line in stanzas:
        for pattern in patterns:
            by_name = not any(c in pattern for c in "*?[") and pattern.split("/")[-1] == parts[-1]
            if by_name or any(fnmatch.fnmatchcase("/".join(parts[i:]), pattern) for i in range(len(parts))):
                found = (licence, copyright_line[0] if copyright_line else "")
    return found


def crops(image, short_side):
    w, h = image.size
    scale = short_side / min(w, h)
    resized = image.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
    a = np.asarray(resized, dtype=np.uint8)
    step = CROP // 2
    out = [a[y:y + CROP, x:x + CROP]
           for y in range(0, a.shape[0] - CROP + 1, step)
           for x in range(0, a.shape[1] - CROP + 1, step)]
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "cae", "data"))
    parser.add_argument("--manifest", default=os.path.join(here, "cae", "manifest.json"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    train, valid, entries = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for package, files in PHOTOGRAPHS.items():
            root, version = fetch(package, work)
            stanzas = copyright_stanzas(os.path.join(root, "usr/share/doc", package, "copyright"))
            for relative in files:
                path = os.path.join(root, relative)
                found = licence_of(stanzas, relative)
                if found is None or not found[0].startswith(ALLOWED):
                    print(f"skipped {package}/{relative}: licence {found}", file=sys.stderr)
                    continue
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                image = Image.open(path).convert("RGB")
                made = [c for side in SHORT_SIDES for c in crops(image, side)]
                (valid if relative in VALIDATION else train).extend(made)
                entries.append({
                    "package": package, "version": version, "file": relative,
                    "licence": found[0], "copyright": found[1], "sha256": digest,
                    "size": list(image.size), "crops": len(made),
                    "split": "valid" if relative in VALIDATION else "train",
                })
                print(f"{package}/{relative}: {found[0]}, {image.size[0]}×{image.size[1]}, {len(made)} crops")

    np.save(os.path.join(args.out, "train.npy"), np.stack(train))
    np.save(os.path.join(args.out, "valid.npy"), np.stack(valid))
    manifest = {
        "what": "training photographs of the default auto-encoder (tools/make_training_set.py)",
        "short_sides": list(SHORT_SIDES), "crop": CROP, "stride": CROP // 2,
        "train_crops": len(train), "valid_crops": len(valid), "photographs": entries,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.manifest)), exist_ok=True)
    with open(args.manifest, "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(entries)} photographs: {len(train)} training crops, {len(valid)} validation crops")


if __name__ == "__main__":
    main()
