"""Pillow plugin: after `import lcae`, Image.open reads .lcae image streams and Image.save
writes them (quality=…, rdoq=…, model=… as save options)."""

from PIL import Image, ImageFile

import lcae


def _accept(prefix):
    return prefix[:9] == lcae.SIGNATURE


class LCAEImageFile(ImageFile.ImageFile):
    format = "LCAE"
    format_description = "LCAE learned image codec stream"

    def _open(self):
        self._data = self.fp.read()
        if not _accept(self._data):
            raise SyntaxError("not an LCAE stream")
        header = lcae.inspect(self._data).get("header") or {}
        colour = header.get("colour_format")
        if colour not in ("grey", "rgb") or header.get("bit_depth") != 8:
            raise SyntaxError("an LCAE stream without an 8-bit grey or RGB image")
        self._mode = "L" if colour == "grey" else "RGB"
        self._size = (header["width"], header["height"])
        self.tile = []

    def load(self):
        if self._data is not None:
            array = lcae.decode(self._data)  # raises lcae.LCAEError on a broken stream
            self.im = Image.fromarray(array, self.mode).im
            self._data = None
        return Image.Image.load(self)


def _save(image, fp, filename):
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    import numpy as np

    info = image.encoderinfo
    fp.write(lcae.encode(np.asarray(image), quality=info.get("quality", 75), rdoq=info.get("rdoq", False),
                         model=info.get("model")))


Image.register_open(LCAEImageFile.format, LCAEImageFile, _accept)
Image.register_save(LCAEImageFile.format, _save)
Image.register_extension(LCAEImageFile.format, ".lcae")
Image.register_mime(LCAEImageFile.format, "image/x-lcae")
